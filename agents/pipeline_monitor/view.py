"""Read models for the pages: the store's rows loaded and bundled into what a page draws.

Loaders run one store query each (:mod:`core.store.dashboards`, aggregating in SQLite where that
saves moving rows into Python); the pure frame-to-frame shaping lives in
:mod:`agents.pipeline_monitor.kpis`. The views read the period's runs, but never its jobs or
steps: those come as the store's per-day value counts (:func:`load_job_counts`,
:func:`load_queue_counts`, :func:`slowest_steps`), a few thousand rows for any period, which the
shapers weigh to the same numbers the jobs themselves give. A page calls one *view*
(:func:`overview_view`, :func:`pipelines_view`) that bundles every frame it draws, so the page
stays "widgets, one call, draw" and one cache entry holds the whole bundle.

Periods end at the newest run of the repository (not at "now"): a demo dump generated last week
or a repository that was quiet for a month still shows its last N days of activity, and the
previous period is the N days before that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from agents.pipeline_monitor.kpis import (
    cost_usd,
    duration_trend,
    kpi_table,
    minutes_by_os,
    period_kpis,
    queue_trend,
    runner_label,
    runs_per_day,
    slowest_jobs,
    success_rates,
    trend_freq,
)
from core.store import dashboards
from core.store.agent_runs import last_run_per_agent
from core.store.db import Store
from core.store.findings import recent_findings as stored_recent_findings

__all__ = [
    "ATTENTION_AGENTS",
    "PERIODS",
    "OverviewView",
    "PipelinesView",
    "Window",
    "age_text",
    "agent_status",
    "data_version",
    "latest_failures",
    "load_job_counts",
    "load_jobs",
    "load_queue_counts",
    "load_run_outcomes",
    "load_runs",
    "overview_kpis",
    "overview_view",
    "pipelines_view",
    "recent_findings",
    "repo_freshness",
    "slowest_steps",
    "window_for",
]

PERIODS: tuple[int, ...] = (7, 30, 90)

# Agents whose findings appear under "Needs attention" once they are registered.
ATTENTION_AGENTS: tuple[tuple[str, str], ...] = (
    ("anomaly_detection", "New anomalies"),
    ("flaky_tests", "Flaky tests"),
)

# The agent whose findings explain a failed job (its class and summary join the failures).
EXPLAINING_AGENT = "root_cause"

_ISO = "%Y-%m-%dT%H:%M:%SZ"


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Window:
    """The ``days`` ending at ``end`` (inclusive), starting after ``start`` (exclusive)."""

    days: int
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def previous(self) -> Window:
        return Window(self.days, self.start - pd.Timedelta(days=self.days), self.start)

    def bounds(self) -> tuple[str, str]:
        """The ISO strings the store compares ``created_at`` with (times sort as text)."""
        return self.start.strftime(_ISO), self.end.strftime(_ISO)

    def label(self) -> str:
        first = (self.start + pd.Timedelta(seconds=1)).strftime("%d %b %Y")
        return f"last {self.days} days of activity ({first} – {self.end.strftime('%d %b %Y')})"


def window_for(store: Store, repo: str, days: int) -> Window | None:
    """The period of ``days`` ending at the newest run of ``repo`` (None: no runs yet)."""
    newest = dashboards.newest_run_at(store, repo)
    if not newest:
        return None
    end = pd.Timestamp(newest)
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    return Window(int(days), end - pd.Timedelta(days=int(days)), end)


def data_version(store: Store, repo: str) -> str:
    """Changes whenever a sync, an agent run or a log fetch changed what the pages show.

    Cheap enough to compute on every rerun; caches key on it so they never serve stale data.
    """
    return "|".join(str(value) for value in dashboards.data_version(store, repo))


# --------------------------------------------------------------------------- loaders


def load_runs(store: Store, repo: str, window: Window) -> pd.DataFrame:
    """Latest attempt of every run created in ``window``, newest first."""
    frame = dashboards.runs_between(store, repo, *window.bounds())
    return _with_times(frame, "created_at")


def load_run_outcomes(store: Store, repo: str, window: Window) -> pd.DataFrame:
    """The latest attempts of ``window`` with only created_at, status, conclusion and duration
    (what :func:`~agents.pipeline_monitor.kpis.period_kpis` and ``runs_per_day`` read)."""
    frame = dashboards.run_outcomes_between(store, repo, *window.bounds())
    return _with_times(frame, "created_at")


def load_jobs(store: Store, repo: str, window: Window) -> pd.DataFrame:
    """Every job of every attempt of the runs created in ``window`` (all attempts are billed):
    for a question about single jobs; the views read :func:`load_job_counts` instead.

    A job without a runner OS is ``skipped (no runner)`` when it was skipped, else ``Unknown``.
    """
    frame = dashboards.jobs_between(store, repo, *window.bounds())
    frame["runner_os"] = runner_label(frame["runner_os"], frame["conclusion"])
    return _with_times(frame, "created_at")


def load_job_counts(store: Store, repo: str, window: Window) -> pd.DataFrame:
    """The jobs of ``window`` as :func:`load_jobs` labels them, counted: one row per workflow,
    job, runner OS, conclusion (skipped or not) and duration, ``weight`` jobs each."""
    frame = dashboards.job_durations_between(store, repo, *window.bounds())
    frame["runner_os"] = runner_label(frame["runner_os"], frame["conclusion"])
    return frame


def load_queue_counts(store: Store, repo: str, window: Window) -> pd.DataFrame:
    """The queue times of the jobs of ``window``, counted per day of their run (``created_at``
    is that day's midnight, UTC) and runner OS: ``weight`` jobs waited ``queue_s``."""
    frame = dashboards.queue_times_between(store, repo, *window.bounds())
    frame["runner_os"] = runner_label(frame["runner_os"], frame["conclusion"])
    frame["created_at"] = pd.to_datetime(frame.pop("day"), utc=True, format="%Y-%m-%d")
    return frame


def slowest_steps(store: Store, repo: str, window: Window, top: int = 15) -> pd.DataFrame:
    """Steps with the highest mean duration in ``window``, from the per-day step summaries."""
    frame = dashboards.slowest_steps(store, repo, *window.bounds(), int(top))
    return frame.round({"mean_min": 2, "max_min": 2, "total_min": 1})


def _with_times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce", format="ISO8601")
    return frame


# --------------------------------------------------------------------------- overview


def agent_status(store: Store, repo: str, agents: Sequence[tuple[str, str, int]]) -> pd.DataFrame:
    """Last run of every registered agent on ``repo`` (``agents``: name, title, layer)."""
    last = last_run_per_agent(store, repo).set_index("agent")
    rows = []
    for name, title, layer in agents:
        seen = last.loc[name] if name in last.index else None
        rows.append(
            {
                "layer": layer,
                "agent": title,
                "name": name,
                "status": "never run" if seen is None else seen["status"],
                "last_run": None
                if seen is None
                else pd.Timestamp(seen["started_at"], unit="s", tz="UTC"),
                "duration_s": None if seen is None else round(float(seen["duration_s"] or 0), 2),
                "findings": None if seen is None else int(seen["findings"] or 0),
                "summary": "" if seen is None else (seen["summary"] or ""),
                "error": "" if seen is None else (seen["error"] or ""),
            }
        )
    return pd.DataFrame(rows)


def latest_failures(store: Store, repo: str, runs: int = 10) -> pd.DataFrame:
    """The failed jobs of the ``runs`` newest failed runs, with links to both on GitHub and
    the root cause Root Cause Analysis found for each (empty until it ran)."""
    frame = dashboards.latest_failed_jobs(store, repo, int(runs), explained_by=EXPLAINING_AGENT)
    return _with_times(frame, "created_at")


def root_cause_line(store: Store, repo: str, window: Window | None) -> str:
    """One sentence of the period's most common root causes ("" until the agent ran)."""
    if window is None:
        return ""
    kinds = dashboards.finding_kinds(store, repo, EXPLAINING_AGENT, window.bounds()[0])
    if kinds.empty:
        return ""
    total = int(kinds["findings"].sum())
    top = ", ".join(
        f"{str(row.kind).replace('_', ' ')} {int(row.findings):,}"
        for row in kinds.head(4).itertuples()
    )
    return f"Most common root causes of the {total:,} failed jobs explained in this period: {top}."


def recent_findings(store: Store, repo: str, agent: str, limit: int = 10) -> pd.DataFrame:
    """The newest findings one agent stored for ``repo``."""
    frame = stored_recent_findings(store, repo, agent, int(limit))
    return _with_times(frame, "created_at")


@dataclass
class OverviewView:
    """Everything the Overview page draws, in one picklable bundle (cacheable)."""

    repo: str
    window: Window | None
    kpis: pd.DataFrame
    runs_per_day: pd.DataFrame
    agents: pd.DataFrame
    failures: pd.DataFrame
    attention: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    previous_complete: bool = True  # False: the data starts inside the previous period
    # Billable minutes per runner OS of the period and of the one before (minutes_by_os): the
    # page reprices them with the prices edited on the Pipelines page (overview_kpis).
    minutes: pd.DataFrame = field(default_factory=pd.DataFrame)
    minutes_before: pd.DataFrame = field(default_factory=pd.DataFrame)
    root_causes: str = ""  # the period's most common root causes, in one sentence


def overview_view(
    store: Store,
    repo: str,
    days: int,
    agents: Sequence[tuple[str, str, int]],
    prices: Mapping[str, float] | None = None,
) -> OverviewView:
    """KPIs of the period versus the previous one, agent health and what needs attention.

    ``attention`` maps a section title to the agent's newest findings, or to None while the
    agent is not registered yet (the page then says "not yet available", never dummy data).
    """
    window = window_for(store, repo, days)
    kpis, per_day = pd.DataFrame(), pd.DataFrame()
    minutes, minutes_before = pd.DataFrame(), pd.DataFrame()
    if window is not None:
        runs = load_run_outcomes(store, repo, window)
        jobs = load_job_counts(store, repo, window)
        now = period_kpis(runs, jobs, prices, load_queue_counts(store, repo, window))
        before = window.previous
        jobs_before = load_job_counts(store, repo, before)
        then = period_kpis(
            load_run_outcomes(store, repo, before),
            jobs_before,
            prices,
            load_queue_counts(store, repo, before),
        )
        kpis, per_day = kpi_table(now, then), runs_per_day(runs)
        minutes, minutes_before = minutes_by_os(jobs), minutes_by_os(jobs_before)
    names = {name for name, _title, _layer in agents}
    attention = {
        title: recent_findings(store, repo, name) if name in names else None
        for name, title in ATTENTION_AGENTS
    }
    view = OverviewView(
        repo,
        window,
        kpis,
        per_day,
        agent_status(store, repo, agents),
        latest_failures(store, repo),
        attention,
    )
    if window is not None:
        first = dashboards.oldest_run_at(store, repo)
        view.previous_complete = bool(first) and first <= window.previous.bounds()[0]
    view.minutes, view.minutes_before = minutes, minutes_before
    view.root_causes = root_cause_line(store, repo, window)
    return view


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def overview_kpis(view: OverviewView, prices: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The Overview's KPI table with "Estimated cost" at ``prices`` (the Pipelines page's edited
    per-minute prices; list prices where not given), both periods, without reloading anything."""
    if view.kpis.empty:
        return view.kpis
    now = {row.kpi: _number(row.value) for row in view.kpis.itertuples()}
    then = {row.kpi: _number(row.previous) for row in view.kpis.itertuples()}
    empty = pd.DataFrame()  # a bundle cached before these fields existed has none
    now["cost_usd"] = cost_usd(getattr(view, "minutes", empty), prices)
    then["cost_usd"] = cost_usd(getattr(view, "minutes_before", empty), prices)
    return kpi_table(now, then)


# --------------------------------------------------------------------------- pipelines


@dataclass
class PipelinesView:
    """Every frame the Pipelines page charts for one period, in one picklable bundle."""

    repo: str
    window: Window | None
    runs: pd.DataFrame
    runs_per_day: pd.DataFrame
    duration_trend: pd.DataFrame
    queue_trend: pd.DataFrame
    slowest_jobs: pd.DataFrame
    slowest_steps: pd.DataFrame
    success: dict[str, pd.DataFrame]
    minutes: pd.DataFrame
    freq: str = "D"


def pipelines_view(
    store: Store, repo: str, days: int, prices: Mapping[str, float] | None = None
) -> PipelinesView:
    """Load the period's runs and its jobs' counts once and shape every chart's frame."""
    window = window_for(store, repo, days)
    if window is None:
        empty = pd.DataFrame()
        return PipelinesView(repo, None, empty, empty, empty, empty, empty, empty, {}, empty)
    runs, jobs = load_runs(store, repo, window), load_job_counts(store, repo, window)
    freq = trend_freq(days)
    return PipelinesView(
        repo,
        window,
        runs,
        runs_per_day(runs),
        duration_trend(runs, freq),
        queue_trend(load_queue_counts(store, repo, window), freq),
        slowest_jobs(jobs),
        slowest_steps(store, repo, window),
        {by: success_rates(runs, by) for by in ("workflow", "branch", "event")},
        minutes_by_os(jobs, prices),
        freq,
    )


# --------------------------------------------------------------------------- freshness


def repo_freshness(store: Store, repo: str, now: pd.Timestamp | None = None) -> dict[str, str]:
    """Sentences for the sidebar: when the data was last synced and how new the newest run is."""
    row = dashboards.freshness(store, repo)
    if row is None:
        return {"synced": "Never synced.", "newest": "", "status": ""}
    synced_at, status, message, newest, runs = row
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    return {
        "synced": f"Last sync {age_text(synced_at, now)}." if synced_at else "Never synced.",
        "newest": f"{int(runs):,} runs · newest {age_text(newest, now)}." if newest else "",
        "status": message if status and status != "ok" and message else "",
    }


def age_text(when: str | pd.Timestamp | None, now: pd.Timestamp) -> str:
    """``5 min ago``, ``3 h ago``, ``12 days ago`` — how long ago a stored time was."""
    if when is None or when == "":
        return "never"
    stamp = pd.Timestamp(when)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    seconds = max(0.0, (now - stamp).total_seconds())
    for limit, size, unit in ((60, 1, "s"), (3600, 60, "min"), (172800, 3600, "h")):
        if seconds < limit:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds / 86400:.0f} days ago"
