"""The detector's three tests, run on every point at once: which points could be a spike, a
level shift or a trend, and which of those the series' own habits make unremarkable.

Every array here is causal (its value at ``t`` uses points up to ``t``; see :mod:`.rolling`),
so the sequential pass (:mod:`.decide`) can trust them without peeking. Candidates are +1 (up),
-1 (down) or 0 per point.

- **Spike**: the point's residual (it minus the median of the points just before it) beyond
  a band of ``spike_z`` robust sigmas, ``tail_z`` tail spreads and ``spike_effect`` of the level.
- **Level shift**: the median of the last ``confirm`` points far (``shift_z`` standard errors of
  the difference of two medians, and ``shift_effect`` of the level) from the median of the
  ``reference`` points before them, with those ``confirm`` points on the new level's side of
  the midpoint (a burst falls back; a new level holds, spikes and all).
- **Trend**: the medians of the three thirds of the last ``trend_window`` points rising (or
  falling) step by step by ``trend_z`` standard errors and ``trend_effect`` in all.
- **Unremarkable** (:meth:`Candidates.unusual` drops them): no larger than ``usual_margin``
  times the largest such excursion of the recent history (as long as this one, so a change
  that outlasts every burst is news again), or a move to a level the series stayed at lately.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from agents.anomaly_detection.model import DetectorConfig, Kind
from agents.anomaly_detection.rolling import (
    Baseline,
    Episodes,
    baseline,
    past_median,
    recent_median,
    usual_peaks,
    without,
)

__all__ = ["Candidates", "MEDIAN_SE", "STEADY_MISS", "lag"]

MEDIAN_SE = 1.2533  # standard error of a median in sigma / sqrt(n) units (normal noise)
STEADY_MISS = 1  # points of the last ``confirm`` that may stray from a new level
_SETTLED = 32  # residuals a noise scale needs before it is trusted on its own
NEWS_POINTS = 60  # the recent points whose top a spike that is always news must clear


class Candidates:
    """The per-point statistics and candidates of one series (finite values, oldest first).

    ``raw[kind]``: the tests' verdicts; ``final[kind]``: those that are not unremarkable.
    The other arrays are what a flag reports (levels, scores, band widths).
    """

    def __init__(self, x: np.ndarray, config: DetectorConfig) -> None:
        self.x, self.c = x, config
        self.k, self.third = config.confirm, config.trend_window // 3
        series = pd.Series(x)
        self.recent = recent_median(series, self.k)
        self.ref = past_median(series, config.reference, lag=self.k)
        # The scales twice: the second time without the residuals of the level changes the
        # first pass found (one real shift must not widen the band for the next many points).
        self.base: Baseline = baseline(x, config.level_window, config.history)
        shifted = self._shifts() != 0
        if shifted.any():  # else the second pass would compute the same scales again
            self.base = without(self.base, shifted, config.history)
        self.raw: dict[Kind, np.ndarray] = {
            "spike": self._spikes(),
            "level_shift": self._shifts(),
            "trend": self._trends(series),
        }
        self.news = self._news()  # spikes that are always news (read by the sequential pass too)
        self.sizes: dict[Kind, np.ndarray] = {
            "spike": np.abs(self.base.residual),
            "level_shift": np.abs(self.recent - self.ref),
            "trend": np.abs(self.trend_rise),
        }
        self.habits = {kind: self._habit(kind) for kind in self.raw}
        self._episodes: dict[int, Episodes] = {}  # spike excursions per direction (band())
        self.final = {kind: self.unusual(kind) for kind in self.raw}

    # -- the tests --------------------------------------------------------------------------

    def core_before(self, points: int) -> np.ndarray:
        """The noise scale for a test over the last ``points`` points: the scale known before
        they began (not inflated by a change among them), or, while that one rests on fewer
        than ``_SETTLED`` points, the larger of it and the current one."""
        before = lag(self.base.core, points - 1)
        early = np.arange(len(before)) - points + 1 < _SETTLED
        return np.where(early, np.fmax(before, self.base.core), before)

    def _spikes(self) -> np.ndarray:
        up, dn = self.widths(np.arange(len(self.x)), self.base.level)
        out = np.zeros(len(self.x), dtype=int)
        out[self.base.residual > up] = 1
        out[self.base.residual < -dn] = -1
        return out

    def _shifts(self) -> np.ndarray:
        c, k, n = self.c, self.k, len(self.x)
        self.core_k = self.core_before(k)
        d = self.recent - self.ref
        se = self.core_k * MEDIAN_SE * np.sqrt(1 / k + 1 / c.reference)
        self.shift_score = d / se
        self.shift_width = np.maximum(
            c.shift_z / c.sensitivity * se, c.shift_effect / c.sensitivity * np.abs(self.ref)
        )
        steady = np.zeros(n, dtype=bool)
        if n >= k:
            ends = np.arange(k - 1, n)
            # steady: the points lie on the new level's side of the midpoint between the two
            # levels (a new level of a spiky series keeps its spikes; a burst falls back)
            middle = (self.ref[ends] + d[ends] / 2)[:, None]
            side = (sliding_window_view(self.x, k) - middle) * np.sign(d[ends])[:, None] > 0
            steady[ends] = side.sum(axis=1) >= k - STEADY_MISS
        return np.where((np.abs(d) >= self.shift_width) & steady, np.sign(d), 0).astype(int)

    def _trends(self, series: pd.Series) -> np.ndarray:
        c, third = self.c, self.third
        m3 = recent_median(series, third)
        m2, m1 = lag(m3, third), lag(m3, 2 * third)
        rise = m3 - m1
        se = self.core_before(3 * third) * MEDIAN_SE * np.sqrt(2 / third)
        self.trend_ref, self.trend_end, self.trend_rise = m1, m3, rise
        self.trend_score = rise / se
        self.trend_width = np.maximum(
            c.trend_z / c.sensitivity * se, c.trend_effect / c.sensitivity * np.abs(m1)
        )
        steady = ((m2 - m1) * np.sign(rise) >= 0.2 * np.abs(rise)) & (
            (m3 - m2) * np.sign(rise) >= 0.2 * np.abs(rise)
        )
        return np.where((np.abs(rise) >= self.trend_width) & steady, np.sign(rise), 0).astype(int)

    # -- the series' habits -----------------------------------------------------------------

    def unusual(self, kind: Kind) -> np.ndarray:
        """``raw[kind]`` without the candidates that are the series' normal life."""
        raw, size, habit, c = self.raw[kind], self.sizes[kind], self.habits[kind], self.c
        first = c.warmup  # before it only a spike that is news is flagged (below)
        out = raw.copy()
        out[:first] = 0
        for direction in (1, -1):
            active = raw == direction
            at = np.flatnonzero(active)
            at = at[at >= first]
            longest = c.reference // 2 if kind == "level_shift" else None
            usual = usual_peaks(habit, active, at, c.usual_history, c.usual_rank, longest)
            out[at[habit[at] <= c.usual_margin * usual]] = 0
        at = np.flatnonzero(out)
        if kind == "spike":
            level, span = self.x, 1
        elif kind == "level_shift":
            level, span = self.recent, self.k + c.reference
        else:
            level, span = self.trend_end, 3 * self.third
        out[at[self._visited(at, level, size / 4, span)]] = 0
        if kind == "spike":
            out[self.news] = 1
        return out

    def _habit(self, kind: Kind) -> np.ndarray:
        """The sizes the series' habits are compared in: ``sizes[kind]``, or with
        ``relative_habits`` that size as a share of the level it moved from (run durations
        scale: after a job got 60% slower its bursts are 60% longer in seconds, so in seconds
        the bursts of before would make the new ones look like news). NaN (never usual, never
        making anything usual) where the level is 0."""
        size = self.sizes[kind]
        if not self.c.relative_habits:
            return size
        level = {"spike": self.base.level, "level_shift": self.ref, "trend": self.trend_ref}[kind]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(level != 0, size / np.abs(level), np.nan)

    def _news(self) -> np.ndarray:
        """Points at least ``news_ratio`` times their baseline level and half as much again as
        the top (95th percentile) of the last :data:`NEWS_POINTS` points, from the first point
        a spike may be flagged at: always worth an alert, whatever the series did before. The
        second condition keeps a two-mode series out (a workflow whose runs take 2 or 9
        minutes depending on the paths a commit touches: its 9-minute runs are not news
        when its median sits at 2)."""
        c = self.c
        out = np.zeros(len(self.x), dtype=bool)
        if c.news_ratio is None or len(self.x) <= c.first_spike:
            return out
        top = pd.Series(self.x).shift(1).rolling(NEWS_POINTS, min_periods=1).quantile(0.95)
        level = self.base.level
        with np.errstate(invalid="ignore"):
            big = (self.x >= c.news_ratio * level) & (self.x >= 1.5 * top.to_numpy())
        out[c.first_spike :] = (big & (level > 0))[c.first_spike :]
        return out

    def _visited(
        self, at: np.ndarray, level: np.ndarray, near: np.ndarray, span: int
    ) -> np.ndarray:
        """Whether the series stayed at ``level`` (within ``near``, a quarter of the move) for
        ``confirm`` points in the usual history before the last ``span`` points: a move to a
        level it knows (autoscaling between two sizes, a daily peak, a regression that was
        fixed) is its normal life, not news."""
        out = np.zeros(len(at), dtype=bool)
        for i, t in enumerate(at):
            past = self.x[max(0, t - self.c.usual_history) : max(0, t - span + 1)]
            out[i] = np.count_nonzero(np.abs(past - level[t]) <= near[t]) >= self.k
        return out

    # -- bands ------------------------------------------------------------------------------

    def widths(self, t: np.ndarray | int, level: np.ndarray | float) -> tuple:
        """Half-widths (up, down) of the spike band around ``level`` at ``t``."""
        c, b = self.c, self.base
        effect = c.spike_effect / c.sensitivity * np.abs(level)
        z, tail_z = c.spike_z / c.sensitivity, c.tail_z / c.sensitivity
        up = np.maximum.reduce([z * b.core[t], tail_z * b.upper[t], effect])
        dn = np.maximum.reduce([z * b.core[t], tail_z * b.lower[t], effect])
        return up, dn

    def band(self, t: int, level: float) -> tuple[float, float]:
        """The band of usual values at ``t`` around ``level``: the spike band, widened to the
        excursions the series has made lately."""
        up, dn = self.widths(t, level)
        c = self.c
        at = np.array([t])
        m, h, r = c.usual_margin, c.usual_history, c.usual_rank
        unit = abs(level) if c.relative_habits else 1.0
        up = max(float(up), m * unit * self._spike_episodes(1).usual(at, h, r)[0])
        dn = max(float(dn), m * unit * self._spike_episodes(-1).usual(at, h, r)[0])
        return level - dn, level + up

    def _spike_episodes(self, direction: int) -> Episodes:
        """The series' spike excursions in one direction, found once for every band asked."""
        if direction not in self._episodes:
            active = self.raw["spike"] == direction
            self._episodes[direction] = Episodes.of(self.habits["spike"], active)
        return self._episodes[direction]


def lag(values: np.ndarray, points: int) -> np.ndarray:
    """``values`` moved ``points`` later (NaN in front)."""
    if points <= 0:
        return values
    out = np.full(len(values), np.nan)
    out[points:] = values[:-points]
    return out
