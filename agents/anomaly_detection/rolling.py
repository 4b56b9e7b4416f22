"""Causal rolling statistics of one series, computed for every point at once.

Each array's value at index ``t`` is computed from points ``<= t`` only (most from points
``< t``: what the detector *expected* before it saw ``x[t]``), so deciding at ``t`` with them
never peeks at later points and the flags of a prefix are the flags of the whole series cut to
that prefix. Everything is a pandas rolling window (compiled loops), which keeps a 20k-point
series far under a second; the detector's sequential part (:mod:`.series`) only visits the few
points these arrays make candidates.

Scales come from *residuals* (a point minus the median of the points just before it) rather
than from the raw values, so a level shift or a slow drift does not inflate them for long, and
they are robust quantile spreads, never a standard deviation, because the series we care about
(CI run durations) have a heavy right tail: one 10x run must not widen the band for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Baseline",
    "Episodes",
    "baseline",
    "past_median",
    "recent_median",
    "usual_peaks",
    "without",
]

# A normal distribution's quantile spreads in standard deviations: turning quantile spreads
# into "sigma" units keeps the z thresholds readable.
_IQR_SIGMAS = 1.349  # q75 - q25
_TAIL_SIGMAS = 1.2816  # q90 - q50
_MIN_PERIODS = 8  # fewer past points than this give no statistic (NaN, never a flag)


@dataclass(frozen=True)
class Baseline:
    """What the series usually does just before each point (arrays as long as the series).

    ``level``: median of the ``level_window`` points before ``t``. ``residual``: ``x - level``.
    ``core``: robust scale of the residuals before ``t`` (interquartile range in sigma units),
    the noise a median of a few points is judged against. ``upper``/``lower``: the spread of the
    residuals' upper/lower tail (q90 - q50, q50 - q10), so a series whose runs are sometimes
    2x slower gets a wide upper band without a wide lower one.
    """

    level: np.ndarray
    residual: np.ndarray
    core: np.ndarray
    upper: np.ndarray
    lower: np.ndarray


def past_median(series: pd.Series, window: int, lag: int = 1) -> np.ndarray:
    """Median of the ``window`` points that end ``lag`` points before each point (``lag=1``:
    the points just before it); NaN until half the window is there."""
    rolled = series.shift(lag).rolling(window, min_periods=max(1, min(window, _MIN_PERIODS)))
    return rolled.median().to_numpy()


def recent_median(series: pd.Series, window: int) -> np.ndarray:
    """Median of the last ``window`` points up to and including each point."""
    return series.rolling(window, min_periods=window).median().to_numpy()


def baseline(values: np.ndarray, level_window: int, history: int) -> Baseline:
    """The :class:`Baseline` of ``values`` (finite floats, oldest first).

    ``history`` points of residuals feed the scales: enough to make a quantile spread stable,
    few enough to follow a series whose noise changes.
    """
    level = past_median(pd.Series(values, dtype=float), level_window)
    residual = values - level
    return Baseline(level, residual, *_scales(residual, level, history))


def without(first: Baseline, skip: np.ndarray, history: int) -> Baseline:
    """``first`` with the residuals where ``skip`` is true (the points of a level change,
    while the level median still lags behind them) left out of the scales: one real shift
    must not widen the band for the next ``history`` points.

    Only the points whose window of ``history`` residuals holds a skipped one get new scales,
    each stretch computed from the ``history`` residuals before it on: a rolling quantile
    depends on its window's values alone, so these are the values a pass over the whole
    series gives, bit for bit, for a tenth of the work (on the 100k-run demo, 8.5% of the
    points of the series that had a change were in such a window)."""
    kept = np.where(skip, np.nan, first.residual)
    core, upper, lower = first.core.copy(), first.upper.copy(), first.lower.copy()
    for begin, end in _touched(skip, history):
        start = max(0, begin - history)
        scales = _scales(kept[start:end], first.level[start:end], history)
        for whole, part in zip((core, upper, lower), scales, strict=True):
            whole[begin:end] = part[begin - start :]
    return Baseline(first.level, first.residual, core, upper, lower)


def _touched(skip: np.ndarray, history: int) -> list[tuple[int, int]]:
    """The stretches ``[begin, end)`` of points whose ``history`` points before them hold a
    point where ``skip`` is true (from the one after it to ``history`` points later), merged."""
    stretches: list[tuple[int, int]] = []
    for point in np.flatnonzero(skip):
        begin, end = int(point) + 1, min(len(skip), int(point) + history + 1)
        if begin >= end:
            continue
        if stretches and begin <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], max(stretches[-1][1], end))
        else:
            stretches.append((begin, end))
    return stretches


def _scales(
    residual: np.ndarray, level: np.ndarray, history: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(core, upper, lower) of :class:`Baseline` from the ``history`` residuals before each
    point (NaN residuals left out)."""
    past = pd.Series(residual).shift(1).rolling(history, min_periods=_MIN_PERIODS)
    q10, q25, q50, q75, q90 = (past.quantile(q).to_numpy() for q in (0.1, 0.25, 0.5, 0.75, 0.9))
    # A floor keeps a perfectly flat stretch (a CPU metric stuck at 0.13) from dividing by
    # zero; the detector's minimum effect size decides whether a change from it matters.
    floor = 1e-9 + 1e-4 * np.abs(level)
    core = np.fmax((q75 - q25) / _IQR_SIGMAS, floor)
    upper = np.fmax((q90 - q50) / _TAIL_SIGMAS, core)
    lower = np.fmax((q50 - q10) / _TAIL_SIGMAS, core)
    return core, upper, lower


def usual_peaks(
    size: np.ndarray,
    active: np.ndarray,
    at: np.ndarray,
    history: int,
    rank: int,
    longest: int | None = None,
) -> np.ndarray:
    """For each index in ``at``: the ``rank``-th largest peak ``size`` among the *episodes*
    (runs of consecutive ``active`` points) that ended before it, within the last ``history``
    points, and lasted at least as long as the episode it is in so far; 0 when there were
    fewer such episodes.

    An excursion is usual when the series has made one as large and as long before (bursts of
    a network metric, a daily peak, a project whose runs are sometimes 1.6x slower for a few
    runs): counting episodes rather than points keeps one long burst from making everything
    after it usual, and asking for one as long means a change that outlasts every burst the
    series has had is no longer usual. With ``longest``, only episodes shorter than that
    count: a level that came back soon may recur, but a lasting change is never a habit.
    """
    return Episodes.of(size, active, longest).usual(at, history, rank)


@dataclass(frozen=True)
class Episodes:
    """The episodes of one series' ``active`` points (see :func:`usual_peaks`), found once:
    the detector asks for the usual peak at many single points (each spike's band), and
    finding the episodes again for each of them cost a pass over the whole series per point
    (at 100k runs, a seventh of Anomaly Detection's time)."""

    active: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    peaks: np.ndarray
    run_start: np.ndarray  # for each point, where the run of active points it is in began

    @classmethod
    def of(cls, size: np.ndarray, active: np.ndarray, longest: int | None = None) -> Episodes:
        flag = active.astype(np.int8)
        edges = np.diff(np.concatenate([[0], flag, [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
        if len(starts):
            peaks = np.maximum.reduceat(np.where(active, np.nan_to_num(size), 0.0), starts)
        else:
            peaks = np.zeros(0)
        if longest is not None:
            short = ends - starts < longest
            starts, ends, peaks = starts[short], ends[short], peaks[short]
        run_start = np.maximum.accumulate(
            np.where(np.diff(np.concatenate([[0], flag])) == 1, np.arange(len(flag)), 0)
        )
        return cls(active, starts, ends, peaks, run_start)

    def usual(self, at: np.ndarray, history: int, rank: int) -> np.ndarray:
        """:func:`usual_peaks` at the indices ``at``."""
        out = np.zeros(len(at))
        if not len(at) or not len(self.starts):
            return out
        ends, starts = self.ends, self.starts
        for i, t in enumerate(at):
            age = t - self.run_start[t] if self.active[t] else 0
            recent = self.peaks[(ends < t) & (ends >= t - history) & (ends - starts >= age)]
            if len(recent) >= rank:
                out[i] = np.partition(recent, len(recent) - rank)[len(recent) - rank]
        return out
