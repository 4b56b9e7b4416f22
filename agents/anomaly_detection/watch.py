"""Which series are watched, and each flag turned into an anomaly a person can read and act on.

The series: run durations per workflow, job durations and queue times per job, step durations
per step, queue times per runner label. Each is run through the same streaming detector as
``ci-medic anomalies`` (:func:`agents.anomaly_detection.series.detect`), so a flag at a run
depends only on the runs before it. A level shift or a trend gets its likely cause
(:mod:`agents.anomaly_detection.causes`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from agents.anomaly_detection.causes import cause_rows, likely_cause
from agents.anomaly_detection.series import DetectorConfig, Flag, detect

__all__ = [
    "ANOMALY_COLUMNS",
    "Watched",
    "watched_series",
    "anomalies_of",
    "anomalies_of_all",
    "DETECT_THREADS",
    "severity_of",
    "shared_waits",
    "ci_config",
    "flags_of",
    "series_key",
    "series_parts",
]

# ``anomalies.csv``: the contract's columns first, then what the page needs
ANOMALY_COLUMNS = (
    "run_id",
    "run_attempt",
    "job_name",
    "step_name",
    "metric",
    "value",
    "expected_low",
    "expected_high",
    "score",
    "severity",
    "kind",
    "reason",
    "cause",
    "scope",
    "workflow",
    "runner",
    "created_at",
    "run_number",
    "subject",
    "key",
    "shared_with",
)
SERIES_PARTS = ("scope", "metric", "workflow", "job_name", "step_name", "runner")
MIN_POINTS = 60  # a series shorter than this is not watched (no baseline to speak of)
MIN_EFFECT_S = 30.0  # an anomaly moves a duration or a wait by at least this many seconds
USUAL_POINTS = 30  # the values before an anomaly its "usual" range is read from
BLOCK = 4  # runs per block of the second, slow pass (its windows span four times as many runs)


@dataclass(frozen=True, eq=False)
class Watched:
    """One series: what it measures, where, and which rows of ``source`` it holds.

    Rows are taken from ``source`` only when asked for (:meth:`rows_at`): a 100k-run history
    has thousands of series, and holding each one's rows at once kept a copy of every job three
    times over (its duration, its queue time, its runner label's queue time)."""

    scope: str  # workflow, job, step or runner
    metric: str  # duration_s or queue_s
    workflow: str
    job: str
    step: str
    runner: str
    source: pd.DataFrame
    positions: np.ndarray  # of ``source``'s rows, oldest first, each with a ``metric`` value

    def rows_at(self, where: slice | list[int]) -> pd.DataFrame:
        """The rows at these positions of the series (not of ``source``), in their order: the
        few an anomaly is reported from (a series of a job holds ~100k rows)."""
        return self.source.take(self.positions[where]).reset_index(drop=True)

    @cached_property
    def values(self) -> np.ndarray:
        """The series' ``metric`` oldest first, as floats: what the detector reads. Kept once
        made: the detector's thread and the anomalies both read it, and each making converts
        the source's whole column (800k jobs at 100k runs)."""
        return self.source[self.metric].to_numpy(dtype=float)[self.positions]

    @property
    def what(self) -> str:
        """The series in words, for the reason sentence."""
        if self.scope == "runner":
            return f"The wait for a '{self.runner}' runner"
        if self.scope == "step":
            return f"Step '{self.step}' of {self.job}"
        if self.scope == "job":
            return f"Job {self.job}" + (" waiting for a runner" if self.metric == "queue_s" else "")
        return f"Workflow {self.workflow}"


def watched_series(
    runs: pd.DataFrame, jobs: pd.DataFrame, steps: pd.DataFrame
) -> Iterator[Watched]:
    """Every series worth watching (at least :data:`MIN_POINTS` points), in a stable order:
    workflows, job durations, job queue times, steps, runner labels, each sorted by name."""
    yield from _series("workflow", "duration_s", runs, {"workflow": runs["workflow"]})
    where = {"workflow": jobs["workflow"], "job": jobs["job"]}
    yield from _series("job", "duration_s", jobs, where, jobs["conclusion"] == "success")
    yield from _series("job", "queue_s", jobs, where)
    where = {"workflow": steps["workflow"], "job": steps["job"], "step": steps["step"]}
    yield from _series("step", "duration_s", steps, where)
    yield from _series("runner", "queue_s", jobs, {"runner": jobs["labels"].fillna("unknown")})


def _series(
    scope: str,
    metric: str,
    frame: pd.DataFrame,
    where: dict[str, pd.Series],
    keep: pd.Series | None = None,
) -> Iterator[Watched]:
    """The series of ``frame``'s rows grouped by the ``where`` columns (only rows with a
    ``metric`` value, and ``keep``'s where given), as positions into ``frame``."""
    usable = frame[metric].notna().to_numpy()
    if keep is not None:
        usable = usable & keep.fillna(False).to_numpy(dtype=bool)
    at = np.flatnonzero(usable)
    if len(at) < MIN_POINTS:
        return
    keys = pd.DataFrame({name: column.to_numpy()[at] for name, column in where.items()})
    indices = keys.groupby(list(where), sort=False).indices  # one key column: plain keys
    groups = {k if isinstance(k, tuple) else (k,): rows for k, rows in indices.items()}
    for key in sorted(groups, key=lambda k: tuple(map(str, k))):
        positions = groups[key]
        if len(positions) < MIN_POINTS:
            continue
        names = dict(zip(where, key, strict=True))
        yield Watched(
            scope,
            metric,
            str(names.get("workflow", "")),
            str(names.get("job", "")),
            str(names.get("step", "")),
            str(names.get("runner", "")),
            frame,
            at[positions],
        )


StepNames = Callable[[list[int]], dict[int, str]]  # job ids -> their steps' names, "|"-joined


def anomalies_of(
    watched: Watched,
    commits: pd.DataFrame,
    config: DetectorConfig,
    step_names: StepNames | None = None,
    flags: list[Flag] | None = None,
) -> list[dict[str, object]]:
    """The anomalies of one series, one per flag (the detector already keeps one per shift).

    ``step_names`` reads the names of some jobs' steps: a job's level shift may begin where a
    step was added or removed. It is asked only for the jobs around a change point. ``flags``:
    :func:`flags_of` the series' :attr:`~Watched.values` with ``config``, where the caller
    has them already (the agent runs the detector on several threads)."""
    values = watched.values
    found = [
        flag
        for flag in (flags if flags is not None else flags_of(values, config))
        if abs(flag.value - (flag.expected_low + flag.expected_high) / 2) >= MIN_EFFECT_S
    ]  # a change of fewer seconds is one nobody would act on
    if not found:
        return []
    out = []
    flagged = watched.rows_at([flag.index for flag in found])
    for flag, (_, row) in zip(found, flagged.iterrows(), strict=True):
        start = _change_start(values, flag, config) if flag.kind != "spike" else flag.index
        low, high = usual_range(values, start)
        flag = replace(flag, expected_low=low, expected_high=high)
        cause = ""
        if flag.kind in ("level_shift", "trend") and watched.metric != "queue_s":
            cause = _cause(watched, start, commits, step_names)
        out.append(_anomaly(watched, row, flag, cause))
    return out


def _cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


DETECT_THREADS = max(1, min(4, _cores()))
"""Series detected at once: one per core this process may use (at most four)."""


def anomalies_of_all(
    series: list[Watched],
    commits: pd.DataFrame,
    sensitivity: float = 1.0,
    step_names: StepNames | None = None,
    watching: Callable[[int, Watched], None] | None = None,
) -> list[dict[str, object]]:
    """:func:`anomalies_of` every series, in order, with the CI settings at ``sensitivity``;
    ``watching(index, series)`` is told as each one's anomalies are made (1-based).

    The detector runs on every series at once, a thread per core (:data:`DETECT_THREADS`):
    its rolling medians and quantiles (most of its time) run in pandas' compiled loops without
    the GIL, so a 2-core machine detects in about half the time. The anomalies are made here,
    in order, from each series' flags as they come: the same rows as one series after the
    other."""
    configs = [ci_config(sensitivity, watched.metric) for watched in series]
    rows: list[dict[str, object]] = []
    pool = ThreadPoolExecutor(DETECT_THREADS, thread_name_prefix="anomalies")
    try:
        detected = [
            pool.submit(flags_of, watched.values, config)
            for watched, config in zip(series, configs, strict=True)
        ]
        for index, (watched, config, flags) in enumerate(
            zip(series, configs, detected, strict=True), start=1
        ):
            if watching is not None:
                watching(index, watched)
            rows += anomalies_of(watched, commits, config, step_names, flags.result())
    finally:  # a failure (or a stop) leaves no series waiting for a thread
        pool.shutdown(wait=True, cancel_futures=True)
    return rows


def _cause(
    watched: Watched, start: int, commits: pd.DataFrame, step_names: StepNames | None
) -> str:
    """:func:`likely_cause` of a change at ``start`` from the rows it reads
    (:func:`cause_rows`), a job's with their steps' names."""
    reach = cause_rows(start)
    near = watched.rows_at(reach)
    if watched.scope == "job" and step_names is not None and "job_id" in near:
        names = step_names([int(job) for job in near["job_id"]])
        near = near.assign(step_names=near["job_id"].map(names))
    return likely_cause(near, start - (reach.start or 0), commits)


def ci_config(sensitivity: float = 1.0, metric: str = "duration_s") -> DetectorConfig:
    """The detector's settings for CI durations and queue times.

    A repeated spike is news each time (a job that takes 3x its time twice a month is worth
    two alerts), so a run that took twice its usual time or more is always reported
    (``news_ratio``), from the 20th run of a series on (a nightly job has a few dozen runs a
    quarter). Queue times are not held to the 2x rule: a wait of 40 s where 10 s is usual is
    everyday life for hosted runners; their spikes must stand out from the series' own bursts.
    (An earlier answer to repeated spikes, calling an excursion usual only when three earlier
    ones were as large, cost precision on every kind on the CI development half.)

    Durations compare a burst with the series' earlier ones as a share of its level
    (``relative_habits``): after a job got 60% slower its bursts are 60% longer in seconds,
    so in seconds the bursts of before would hide nothing and the new ones would look like
    news.

    Level shifts are confirmed by medians and a robust scale, not ranks. Rank tests over the
    confirm window against the 32 runs before it (Mann-Whitney's U as the share of pairs the
    new runs win, leaving out their lowest) were tried on the CI development halves
    (``bench/anomaly_bench.py``, tuned on A, cleaning windows 25, 41 and 61): next to the
    medians' test or in its place they flag the real bursts left in the cleaned series as
    shifts (spike false alarms on A 0.52 -> 0.87 per 1k runs); as a second condition that
    lets the medians' bar drop from 6 to 5 or 3 standard errors they gain 0.01-0.08 of
    level-shift F1 on A but cost B 0.05-0.10 of spike F1; at the same bar they only take a
    few false alarms away (worst-window F1 +0.03 on A, +0.01 on B) and make a series whose
    runs are twice as long one time in five confirm a 40% slowdown later (17 -> 10 of 20
    synthetic series within five runs), because its new runs do not outrank its old long
    ones. A 30% slowdown of runs that vary by 25-30% is not told from the bursts such
    series have in six runs by any of these tests.

    Nor on a log scale (durations are multiplicative: a slowdown multiplies every run, bursts
    are ratios). The detector on ``level * (1 + ln(x / level))`` with the effects moved to
    that scale (the 2x news rule at 1 + ln 2), tried on the same halves with ten copies per
    workflow: fewer false alarms on B (level shifts 2.41 -> 1.55 per 1k runs) but level-shift
    F1 A 0.80 -> 0.72, B 0.73 -> 0.70 and spike F1 A 0.95 -> 0.84 at the usual bar; a lower
    bar (5, 4.5 or 4 standard errors, effects 0.20-0.22) won none of it back. Of the shifts
    still missed within six runs, two thirds never reach the medians' bar there (their
    medians sit 3-6 standard errors apart); the rest are held back as the series' habits.
    """
    if metric != "duration_s":
        return DetectorConfig(sensitivity=sensitivity, spike_warmup=20)
    return DetectorConfig(
        sensitivity=sensitivity, spike_warmup=20, news_ratio=2.0, relative_habits=True
    )


def flags_of(values: np.ndarray, config: DetectorConfig) -> list[Flag]:
    """The detector's flags, plus the changes it cannot see point by point: a job that slows by
    80% over a month moves a few percent per 48 runs, and a 40% shift in a series whose runs
    vary by 30% needs more than six runs to be told from noise. A second pass over the medians
    of blocks of :data:`BLOCK` runs (each known when its last run is: still a stream) adds its
    level shifts and trends, except near a change the first pass reported."""
    flags = detect(values, config)
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) < BLOCK * 3 * config.trend_window:
        return _one_per_shift(flags, config)
    changes = [f.index for f in flags if f.kind != "spike"]
    usable = len(finite) // BLOCK * BLOCK
    blocks = np.median(values[finite[:usable]].reshape(-1, BLOCK), axis=1)
    for flag in detect(blocks, config):
        index = int(finite[flag.index * BLOCK + BLOCK - 1])  # the block's last run
        if flag.kind != "spike" and all(abs(index - i) > config.cooldown for i in changes):
            flags.append(replace(flag, index=index, value=float(values[index])))
            changes.append(index)
    return _one_per_shift(sorted(flags, key=lambda f: f.index), config)


def _one_per_shift(flags: list[Flag], config: DetectorConfig) -> list[Flag]:
    """Drop a spike that was the first point of a level shift confirmed right after it: the
    stream could not know then, the history does, and a shift is one alert, not two."""
    changes = [f for f in flags if f.kind != "spike"]
    reach = config.confirm + 4

    def first_of_a_shift(spike: Flag) -> bool:
        up = spike.score > 0  # signed; its band may be wider than what flagged it
        return any(
            0 < change.index - spike.index <= reach and (change.score > 0) == up
            for change in changes
        )

    return [f for f in flags if f.kind != "spike" or not first_of_a_shift(f)]


def usual_range(values: np.ndarray, end: int, points: int = USUAL_POINTS) -> tuple[float, float]:
    """The 5th to 95th percentile of the ``points`` values before position ``end``: what a
    person calls usual ("240-310 s"). The detector's own band is a decision threshold, wider
    on purpose; this is the range the reason sentence quotes."""
    past = values[max(0, end - points) : end]
    past = past[np.isfinite(past)]
    if len(past) == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(past, [5, 95])
    return float(max(0.0, low)), float(high)


def _change_start(values: np.ndarray, flag: Flag, config: DetectorConfig) -> int:
    """Where the new level most likely began: the first of the points before the flag that sit
    closer to the new level than to the old one, with all later ones too."""
    if flag.kind == "trend":
        return max(0, flag.index - config.trend_window // 2)
    lookback = config.confirm + 4
    lo = max(0, flag.index - lookback)
    new = np.nanmedian(values[max(0, flag.index - config.confirm + 1) : flag.index + 1])
    old = np.nanmedian(values[max(0, lo - config.reference) : lo]) if lo > 0 else np.nan
    if not np.isfinite(old):
        return lo
    closer = np.abs(values[lo : flag.index + 1] - new) < np.abs(values[lo : flag.index + 1] - old)
    start = flag.index
    for offset in range(len(closer) - 1, -1, -1):  # a dozen points at most
        if not closer[offset]:
            break
        start = lo + offset
    return start


def _up(flag: Flag) -> bool:
    """The flag says "more" (slower, longer wait): above the band, or a rising level."""
    return flag.value > flag.expected_high or (flag.kind != "spike" and flag.score > 0)


def severity_of(flag: Flag) -> str:
    """high: twice the usual top or more (or 20 sigmas); medium: 30% over it (or 10 sigmas);
    low: the rest, and every speed-up."""
    if not _up(flag):
        return "low"
    ratio = flag.value / flag.expected_high if flag.expected_high > 0 else np.inf
    if ratio >= 2 or abs(flag.score) >= 20:
        return "high"
    if ratio >= 1.3 or abs(flag.score) >= 10:
        return "medium"
    return "low"


def _anomaly(watched: Watched, row: pd.Series, flag: Flag, cause: str) -> dict[str, object]:
    run_id, attempt = int(row["run_id"]), int(row.get("attempt", 1) or 1)
    key = "|".join(
        [
            watched.scope,
            watched.metric,
            watched.workflow,
            watched.job,
            watched.step,
            watched.runner,
            str(run_id),
            str(attempt),
            flag.kind,
        ]
    )
    return {
        "run_id": run_id,
        "run_attempt": attempt,
        "job_name": watched.job,
        "step_name": watched.step,
        "metric": watched.metric,
        "value": round(float(flag.value), 3),
        "expected_low": round(float(flag.expected_low), 3),
        "expected_high": round(float(flag.expected_high), 3),
        "score": round(float(flag.score), 2),
        "severity": severity_of(flag),
        "kind": flag.kind,
        "reason": _reason(watched, flag, row),
        "cause": cause,
        "scope": watched.scope,
        "workflow": watched.workflow or str(row.get("workflow") or ""),
        "runner": watched.runner,
        # when it happened: a job's or step's start (a wait ends there), else the run's creation
        "created_at": str(row.get("started_at") or row.get("created_at") or ""),
        "run_number": None if pd.isna(row.get("run_number")) else int(row.get("run_number")),
        "subject": f"run:{run_id}:{attempt}",
        "key": key,
    }


def _reason(watched: Watched, flag: Flag, row: pd.Series) -> str:
    usual = f"usual {_seconds(flag.expected_low)}–{_seconds(flag.expected_high)}"
    value = _seconds(flag.value)
    run = f"run #{int(row['run_number'])}" if pd.notna(row.get("run_number")) else "this run"
    verb = "waited" if watched.metric == "queue_s" else "took"
    if flag.kind == "spike":
        return f"{watched.what} {verb} {value} in {run}, {usual}."
    if flag.kind == "level_shift":
        direction = "up" if _up(flag) else "down"
        return f"{watched.what} moved {direction} to about {value} by {run}, {usual} before."
    direction = (
        ("growing" if watched.metric == "queue_s" else "slowing down")
        if _up(flag)
        else ("shrinking" if watched.metric == "queue_s" else "speeding up")
    )
    return f"{watched.what} has been {direction}: about {value} by {run}, {usual} before."


def _seconds(value: float) -> str:
    """Seconds in words: 45 s, 14 min, 2.5 h."""
    if not np.isfinite(value):
        return "?"
    if abs(value) < 120:
        return f"{value:.0f} s"
    if abs(value) < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def shared_waits(anomalies: pd.DataFrame, within: str = "2h", least: int = 3) -> pd.Series:
    """The cause of queue-time anomalies that many series share: a wait for runners that grows
    for several jobs or labels at once is a runner shortage or an outage, not a commit.

    Returns a cause per row of ``anomalies`` ("" where none): queue-time anomalies whose time
    lies within ``within`` of at least ``least - 1`` other queue-time anomalies of other series.
    """
    causes = pd.Series("", index=anomalies.index, dtype=object)
    waits = anomalies[anomalies["metric"] == "queue_s"]
    if len(waits) < least:
        return causes
    when = pd.to_datetime(waits["created_at"], utc=True, errors="coerce", format="ISO8601")
    window = pd.Timedelta(within)
    series = waits["scope"] + "|" + waits["job_name"] + "|" + waits["runner"]
    for index, at in when.dropna().items():  # a few dozen queue anomalies at most
        near = (when - at).abs() <= window
        others = series[near].nunique()
        if others >= least:
            first, last = when[near].min(), when[near].max()
            causes[index] = (
                f"runner shortage or outage: the wait grew for {others} jobs and runner labels "
                f"at once ({first:%Y-%m-%d %H:%M}–{last:%H:%M} UTC), not a code change"
            )
    return causes


def series_key(frame: pd.DataFrame) -> pd.Series:
    """Which watched series each anomaly row is of, as one text key: the JSON list of its
    ``scope, metric, workflow, job, step, runner`` (JSON, not a separator: a job's name is
    free text, ``Build | Linux`` included). :func:`series_parts` reads one back."""
    parts = frame[list(SERIES_PARTS)].fillna("").astype(str).to_numpy().tolist()
    return pd.Series([json.dumps(row) for row in parts], index=frame.index, dtype=object)


def series_parts(key: str) -> tuple[str, str, str, str, str, str]:
    """``scope, metric, workflow, job, step, runner`` of a :func:`series_key`."""
    scope, metric, workflow, job, step, runner = json.loads(key)
    return scope, metric, workflow, job, step, runner
