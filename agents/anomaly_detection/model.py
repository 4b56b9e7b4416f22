"""What the series detector is told and what it says: its settings, its flags, their kinds.

Kept apart from the detector so the modules that compute (:mod:`.candidates`, :mod:`.decide`)
and the one that is called (:mod:`.series`) share them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DetectorConfig", "Flag", "Kind"]

Kind = Literal["spike", "level_shift", "trend"]


@dataclass(frozen=True)
class DetectorConfig:
    """Settings only (scikit-learn's rule: nothing is learned here). Windows count points.

    ``warmup``: points seen before the first decision (a baseline of fewer is a guess).
    ``news_ratio``: a spike at least this many times its baseline level (and well above the
    recent top) is always news: never usual, never inside a cooldown (a job that takes 3x its
    time twice a month is worth two alerts); None turns it off. ``spike_warmup``: points seen
    before such a spike may be flagged, when fewer than ``warmup`` (a run that takes three
    times the median of 20 runs is plain; anything subtler waits for ``warmup`` points: on the
    CI development halves, spikes judged from 20 points doubled the false alarms).
    ``level_window``: points whose median is a spike's baseline. ``history``: residuals the
    scales and the usual extremes come from. ``confirm``: points a new level must hold before
    it is a level shift (fewer: faster but every burst looks like a shift). ``reference``:
    points before those that the new level is compared with. ``trend_window``: points a drift
    is measured over (its first and last thirds). ``*_z``: thresholds in robust sigmas;
    ``*_effect``: minimum change relative to the level (0.3 = 30%). ``usual_rank``: an
    excursion no larger than ``usual_margin`` times the ``usual_rank``-th largest of those of
    its kind that ended in the last ``usual_history`` points is usual. ``relative_habits``:
    excursions are compared as shares of their level, not in the series' units (durations,
    whose bursts grow with them).
    """

    sensitivity: float = 1.0
    warmup: int = 50
    spike_warmup: int | None = None
    level_window: int = 16
    history: int = 600
    confirm: int = 6
    reference: int = 32
    trend_window: int = 48
    spike_z: float = 10.0
    tail_z: float = 3.0
    shift_z: float = 6.0
    trend_z: float = 6.0
    spike_effect: float = 0.3
    shift_effect: float = 0.25
    trend_effect: float = 0.2
    usual_history: int = 1000
    usual_rank: int = 1
    usual_margin: float = 2.0
    relative_habits: bool = False
    cooldown: int = 50
    news_ratio: float | None = None

    @property
    def first_spike(self) -> int:
        """The first point a spike may be flagged at."""
        return min(self.warmup, self.spike_warmup if self.spike_warmup is not None else self.warmup)

    def __post_init__(self) -> None:
        if not self.sensitivity > 0:
            raise ValueError(f"sensitivity must be a positive number, got {self.sensitivity}")
        if min(self.confirm, self.reference, self.level_window) < 2 or self.trend_window < 9:
            raise ValueError("windows must hold at least 2 points (the trend window 9)")


@dataclass(frozen=True)
class Flag:
    """One flagged point: where it is, what it is and what the detector expected instead.

    ``index`` is the point's position in the series given to :func:`detect` (NaN points
    count). ``score`` is signed, in robust sigmas: how far the point (a spike) or the new level
    (a shift or trend) is from the baseline. ``expected_low``/``expected_high`` is the band of
    values the detector considered usual just before this point.
    """

    index: int
    value: float
    score: float
    expected_low: float
    expected_high: float
    kind: Kind
