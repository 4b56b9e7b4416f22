"""Pure shapers for the pages: KPIs, chart frames and billing, from frames to frames.

Nothing here touches the store or Streamlit, so every number the pages show can be tested on a
hand-made frame. :mod:`agents.pipeline_monitor.view` loads the frames and calls these.

A jobs frame may carry a ``weight`` column: the row stands for that many jobs with the same
values. The views pass the store's per-day value counts that way (a 90-day window of 770k jobs
is a few thousand such rows), so sums, counts, medians and p95s are those of the jobs themselves,
exactly; a frame without the column is one job per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

__all__ = [
    "FAILED_CONCLUSIONS",
    "RUNNER_PRICES_USD",
    "SKIPPED_OS",
    "UNKNOWN_OS",
    "billable_minutes",
    "cost_usd",
    "duration_trend",
    "kpi_table",
    "minutes_by_os",
    "period_kpis",
    "queue_trend",
    "runner_label",
    "runner_prices",
    "runs_per_day",
    "slowest_jobs",
    "success_rates",
    "trend_freq",
    "weighted_quantile",
]

FAILED_CONCLUSIONS: tuple[str, ...] = ("failure", "timed_out", "startup_failure")
# Conclusions that say nothing about whether the code works: left out of success rates.
_UNDECIDED = ("cancelled", "skipped", "neutral", "stale", "action_required")

# GitHub-hosted standard runners, list price in USD per minute (Linux 2-core, Windows 2-core,
# macOS), from GitHub's "Actions minute multiplier reference" / "About billing for GitHub
# Actions" (docs.github.com, rates as published 2024-2025). GitHub rounds each job's minutes up
# to the next whole minute. Public repositories and included free minutes are not deducted.
# Override per call with ``runner_prices({...})`` (the Pipelines page exposes the three prices).
RUNNER_PRICES_USD: Mapping[str, float] = MappingProxyType(
    {"Linux": 0.008, "Windows": 0.016, "macOS": 0.08}
)
UNKNOWN_OS = "Unknown"
# A skipped job never gets a runner (GitHub reports no labels, no OS and zero seconds): it is
# shown under this name, and left out of billing and queue times, instead of as "Unknown".
SKIPPED_OS = "skipped (no runner)"


def runner_label(runner_os: pd.Series, conclusion: pd.Series | None = None) -> pd.Series:
    """The runner OS to show: ``SKIPPED_OS`` for skipped jobs without one, else ``UNKNOWN_OS``."""
    skipped = (
        conclusion.eq("skipped") & runner_os.isna()
        if conclusion is not None
        else pd.Series(False, index=runner_os.index)
    )
    return runner_os.mask(skipped, SKIPPED_OS).fillna(UNKNOWN_OS)


def _ran(jobs: pd.DataFrame) -> pd.DataFrame:
    """Jobs that ran on a runner (skipped jobs never did: no minutes, no queue time)."""
    return jobs[jobs["runner_os"] != SKIPPED_OS] if "runner_os" in jobs else jobs


def _weights(frame: pd.DataFrame) -> pd.Series:
    """How many jobs each row stands for (1 without a ``weight`` column)."""
    if "weight" in frame:
        return frame["weight"].astype("int64")
    return pd.Series(1, index=frame.index, dtype="int64")


def weighted_quantile(values: pd.Series, weights: pd.Series, q: float) -> float | None:
    """The ``q`` quantile of ``values`` each repeated ``weights`` times, interpolated linearly
    between order statistics as pandas does (None when there is nothing to measure)."""
    frame = pd.DataFrame({"value": values, "weight": weights}).assign(key=0)
    out = _grouped_quantiles(frame, ["key"], "value", (q,))
    return float(out[q].iloc[0]) if len(out) else None


def _grouped_quantiles(
    frame: pd.DataFrame, keys: list[str], value: str, qs: tuple[float, ...]
) -> pd.DataFrame:
    """Per group of ``keys``: ``count`` (weighted) and each quantile in ``qs`` of ``value``.

    The k-th smallest value of a group is found in the cumulative weights of its sorted rows, so
    a value counted a thousand times costs one row (what makes the per-day counts exact).
    """
    data = frame[frame[value].notna()]
    weights = _weights(data).to_numpy()
    codes = data.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    order = np.lexsort((data[value].to_numpy(dtype=float), codes))
    values = data[value].to_numpy(dtype=float)[order]
    cumulative = np.cumsum(weights[order])
    counts = np.bincount(codes, weights=weights, minlength=codes.max() + 1 if len(codes) else 0)
    counts = counts.astype("int64")
    index = data.groupby(keys, sort=True, dropna=False)[value].size().index
    starts = np.cumsum(counts) - counts
    out = pd.DataFrame({"count": counts}, index=index)
    for q in qs:
        position = (counts - 1) * q
        low = np.floor(position).astype("int64")
        high = np.minimum(low + 1, counts - 1)
        at_low = values[np.searchsorted(cumulative, starts + low, side="right")]
        at_high = values[np.searchsorted(cumulative, starts + high, side="right")]
        out[q] = at_low + (position - low) * (at_high - at_low)
    return out


# --------------------------------------------------------------------------- KPIs


def runner_prices(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The per-minute price table with ``overrides`` applied (unknown runners cost 0)."""
    prices = dict(RUNNER_PRICES_USD)
    prices.update({os_name: float(price) for os_name, price in (overrides or {}).items()})
    return prices


def billable_minutes(duration_s: pd.Series) -> pd.Series:
    """Minutes GitHub bills per job: each job's duration rounded up to a whole minute."""
    seconds = pd.to_numeric(duration_s, errors="coerce").fillna(0.0).clip(lower=0.0)
    return np.ceil(seconds / 60.0).astype("int64")


def _failure_mask(runs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(decided, failed): completed runs whose conclusion says something, and the failures."""
    decided = (
        (runs["status"] == "completed")
        & runs["conclusion"].notna()
        & ~runs["conclusion"].isin(_UNDECIDED)
    )
    return decided, decided & runs["conclusion"].isin(FAILED_CONCLUSIONS)


def period_kpis(
    runs: pd.DataFrame,
    jobs: pd.DataFrame,
    prices: Mapping[str, float] | None = None,
    queues: pd.DataFrame | None = None,
) -> dict[str, float | None]:
    """Headline numbers of one period; None where the period has nothing to measure.

    ``jobs`` gives the minutes and cost, ``queues`` (``jobs`` when not given) the queue times:
    the store counts the two separately (:func:`core.store.dashboards.queue_times_between`).
    """
    decided, failed = _failure_mask(runs)
    durations = runs.loc[runs["status"] == "completed", "duration_s"].dropna()
    ran = _ran(jobs)
    waited = _ran(jobs if queues is None else queues)
    minutes = billable_minutes(ran["duration_s"]) * _weights(ran)
    price = ran["runner_os"].map(runner_prices(prices)).fillna(0.0)
    return {
        "runs": float(len(runs)),
        "failure_rate": float(failed.sum() / decided.sum()) if decided.any() else None,
        "median_duration_s": float(durations.median()) if len(durations) else None,
        "p95_queue_s": weighted_quantile(waited["queue_s"], _weights(waited), 0.95),
        "minutes": float(minutes.sum()),
        "cost_usd": float((minutes * price).sum()),
    }


# key, label, format, which direction is better
_KPI_SPECS: tuple[tuple[str, str, str, str], ...] = (
    ("runs", "Runs", "count", "neutral"),
    ("failure_rate", "Failure rate", "percent", "lower"),
    ("median_duration_s", "Median duration", "duration", "lower"),
    ("p95_queue_s", "p95 queue", "duration", "lower"),
    ("minutes", "Minutes used", "count", "lower"),
    ("cost_usd", "Estimated cost", "usd", "lower"),
)


def _fmt(kind: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "duration":
        return f"{value / 60:.1f} min" if value >= 60 else f"{value:.0f} s"
    if kind == "usd":
        return f"${value:,.2f}"
    return f"{value:,.0f}"


def _delta(kind: str, value: float | None, previous: float | None) -> str | None:
    """Change versus the previous period: points for rates, percent for the rest."""
    if value is None or previous is None:
        return None
    if kind == "percent":
        return f"{(value - previous) * 100:+.1f} pp"
    if previous == 0:
        return None if value == 0 else "new"
    return f"{(value - previous) / previous:+.0%}"


def kpi_table(
    current: Mapping[str, float | None], previous: Mapping[str, float | None]
) -> pd.DataFrame:
    """One row per KPI: value, previous value, display texts and which direction is better."""
    rows = []
    for key, label, kind, better in _KPI_SPECS:
        value, before = current.get(key), previous.get(key)
        rows.append(
            {
                "kpi": key,
                "label": label,
                "value": value,
                "previous": before,
                "text": _fmt(kind, value),
                "previous_text": _fmt(kind, before),
                "delta": _delta(kind, value, before),
                "better": better,
            }
        )
    frame = pd.DataFrame(rows)
    frame["delta"] = pd.Series([row["delta"] for row in rows], dtype=object)  # None stays None
    return frame


# --------------------------------------------------------------------------- chart frames


def _bucket(times: pd.Series, freq: str) -> pd.Series:
    """Day (``D``) or week starting Monday (``W``) of each time, as naive UTC dates."""
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
    if freq == "W":
        return naive.dt.to_period("W-SUN").dt.start_time
    return naive.dt.floor("D")


def trend_freq(days: int) -> str:
    """Daily points up to a month, weekly beyond (90 daily points per workflow are noise)."""
    return "D" if days <= 31 else "W"


def runs_per_day(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs per day and outcome (conclusion, or status while a run is unfinished)."""
    frame = pd.DataFrame(
        {
            "day": _bucket(runs["created_at"], "D"),
            "outcome": runs["conclusion"].fillna(runs["status"]).fillna("unknown"),
        }
    )
    return frame.groupby(["day", "outcome"]).size().reset_index(name="runs")


def _percentiles(frame: pd.DataFrame, keys: list[str], value: str, scale: float) -> pd.DataFrame:
    grouped = _grouped_quantiles(frame, keys, value, (0.5, 0.95))
    out = pd.DataFrame(
        {"p50": grouped[0.5] / scale, "p95": grouped[0.95] / scale, "count": grouped["count"]}
    )
    return out.reset_index().round({"p50": 2, "p95": 2})


def duration_trend(runs: pd.DataFrame, freq: str = "D") -> pd.DataFrame:
    """p50/p95 run duration in minutes per period bucket and workflow (completed runs)."""
    done = runs[(runs["status"] == "completed") & runs["duration_s"].notna()]
    frame = pd.DataFrame(
        {
            "period": _bucket(done["created_at"], freq),
            "workflow": done["workflow"].fillna("?"),
            "value": done["duration_s"],
        }
    )
    return _percentiles(frame, ["period", "workflow"], "value", 60.0)


def queue_trend(jobs: pd.DataFrame, freq: str = "D") -> pd.DataFrame:
    """p50/p95 job queue time in seconds per period bucket and runner OS."""
    ran = _ran(jobs)
    waited = ran[ran["queue_s"].notna()]
    frame = pd.DataFrame(
        {
            "period": _bucket(waited["created_at"], freq),
            "runner_os": waited["runner_os"],
            "value": waited["queue_s"],
            "weight": _weights(waited),
        }
    )
    return _percentiles(frame, ["period", "runner_os"], "value", 1.0)


def slowest_jobs(jobs: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Jobs with the highest median duration (minutes), with p95, count and total."""
    done = jobs[jobs["duration_s"].notna()]
    weights = _weights(done)
    named = pd.DataFrame(
        {
            "workflow": done["workflow"].fillna("?"),
            "job": done["job"].fillna("?"),
            "duration_s": done["duration_s"],
            "weight": weights,
            "total": done["duration_s"] * weights,
        }
    )
    grouped = _grouped_quantiles(named, ["workflow", "job"], "duration_s", (0.5, 0.95))
    frame = pd.DataFrame(
        {
            "runs": grouped["count"],
            "median_min": grouped[0.5] / 60,
            "p95_min": grouped[0.95] / 60,
            "total_min": named.groupby(["workflow", "job"])["total"].sum() / 60,
        }
    ).reset_index()
    frame = frame.sort_values("median_min", ascending=False).head(top)
    return frame.round({"median_min": 2, "p95_min": 2, "total_min": 1}).reset_index(drop=True)


def success_rates(runs: pd.DataFrame, by: str, top: int = 15) -> pd.DataFrame:
    """Success rate per ``by`` value (workflow, branch or event) over decided runs.

    Only the ``top`` values with most runs are kept (a repository can have hundreds of
    branches); the rest is summed up as ``(other)``.
    """
    decided, failed = _failure_mask(runs)
    keys = runs[by].fillna("(none)").astype(str)
    frame = pd.DataFrame(
        {
            by: keys,
            "decided": decided,
            "failed": failed,
            "success": decided & (runs["conclusion"] == "success"),
        }
    )
    counts = keys.value_counts()
    frame.loc[~keys.isin(counts.index[:top]), by] = "(other)"
    out = frame.groupby(by).agg(
        runs=(by, "size"),
        decided=("decided", "sum"),
        failures=("failed", "sum"),
        successes=("success", "sum"),
    )
    out["success_rate"] = (out["successes"] / out["decided"].where(out["decided"] > 0)).round(4)
    return (
        out.reset_index()
        .sort_values(["success_rate", "runs"], ascending=[True, False], na_position="last")
        .reset_index(drop=True)
    )


def minutes_by_os(jobs: pd.DataFrame, prices: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Billable minutes and their list-price cost per runner OS (skipped jobs never ran)."""
    table = runner_prices(prices)
    ran = _ran(jobs)
    weights = _weights(ran)
    frame = pd.DataFrame(
        {
            "runner_os": ran["runner_os"],
            "jobs": weights,
            "minutes": billable_minutes(ran["duration_s"]) * weights,
        }
    )
    out = frame.groupby("runner_os").agg(jobs=("jobs", "sum"), minutes=("minutes", "sum"))
    out = out.reset_index()
    out["usd_per_minute"] = out["runner_os"].map(table).fillna(0.0)
    out["cost_usd"] = (out["minutes"] * out["usd_per_minute"]).round(2)
    return out.sort_values("cost_usd", ascending=False).reset_index(drop=True)


def cost_usd(minutes: pd.DataFrame, prices: Mapping[str, float] | None = None) -> float:
    """The cost of ``minutes`` (a :func:`minutes_by_os` frame) at ``prices`` (list prices
    where not given): what the Overview's "Estimated cost" shows for the edited prices."""
    if minutes.empty:
        return 0.0
    price = minutes["runner_os"].map(runner_prices(prices)).fillna(0.0)
    return float((minutes["minutes"] * price).sum())
