"""The sequential pass that turns candidates into flags, oldest point first: alert hygiene.

The vectorised tests (:mod:`.candidates`) know nothing of what was already said. This pass
does, and keeps the alerts readable:

- a spike is flagged at the first point of an excursion; the points right after it that stay
  out of the band are the same excursion (if it lasts it becomes a level shift, flagged once);
- after a level shift or trend the baseline is the new regime's own points for a while (the
  rolling windows still hold the old level), so the points after a change are not flagged one
  by one, a second change (the level moving on) is seen, and a move back into the old band is
  the end of a temporary excursion, not a new event;
- a flag of the same kind and direction less than ``cooldown`` points after the last one is
  dropped unless it is clearly larger: a disturbance that keeps flaring up is one event. Level
  shifts and trends count as one kind here, a change: a slowdown first seen as a step while
  it was still ramping up is one event, not a level shift and then a trend.

It visits only candidate points and the points of a change's hold, so it stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.anomaly_detection.candidates import MEDIAN_SE, STEADY_MISS, Candidates
from agents.anomaly_detection.model import DetectorConfig, Flag, Kind
from agents.anomaly_detection.shape import change_kind

__all__ = ["flags_of"]


def flags_of(x: np.ndarray, config: DetectorConfig) -> list[Flag]:
    """The flags of ``x`` (finite values, oldest first); indices are positions in ``x``."""
    return _Pass(Candidates(x, config)).run()


@dataclass
class _Change:
    """The last level shift or trend: the new regime starts at ``start`` and is judged on its
    own points until ``until``; ``before`` is the band of usual values before the change."""

    kind: Kind
    direction: int
    start: int
    until: int
    before: tuple[float, float]

    def back(self, value: float, direction: int) -> bool:
        """A move against the change that lands in the old band: the end of a temporary
        excursion (a burst, a slowdown that was fixed), not a new event."""
        return direction == -self.direction and self.before[0] <= value <= self.before[1]


class _Pass:
    def __init__(self, cand: Candidates) -> None:
        self.cand, self.x, self.c, self.k = cand, cand.x, cand.c, cand.k
        self.flags: list[Flag] = []
        self.change: _Change | None = None
        self.last_out = {1: -2, -1: -2}  # the last out-of-band point per direction
        # (spike or change, direction) -> (index, |score|) of the last flag kept
        self.last_flag: dict[tuple[str, int], tuple[int, float]] = {}

    def run(self) -> list[Flag]:
        final = self.cand.final
        candidates = np.flatnonzero(
            (final["spike"] != 0) | (final["level_shift"] != 0) | (final["trend"] != 0)
        )
        candidates = candidates[candidates >= self.c.first_spike]
        self.news = self.cand.news
        n = len(self.x)
        t = int(candidates[0]) if len(candidates) else n
        while t < n:
            if self.change is not None and t <= self.change.until:
                self._after_change(t)
                t += 1
                continue
            self.change = None
            self._steady(t)
            after = np.searchsorted(candidates, t, side="right")
            t = int(candidates[after]) if after < len(candidates) else n
        return self.flags

    def _steady(self, t: int) -> None:
        """A point with no recent change: the vectorised tests decide."""
        final = self.cand.final
        shift, trend = int(final["level_shift"][t]), int(final["trend"][t])
        if shift or trend:
            self._change_flag(t, shift or trend, shift_fired=bool(shift))
        elif final["spike"][t]:
            self._spike_flag(t, int(final["spike"][t]), float(self.cand.base.level[t]))
        else:  # out of band but usual: still part of an excursion
            self._out_of_band(t, int(self.cand.raw["spike"][t]))

    def _after_change(self, t: int) -> None:
        """A point in a change's hold: judged against the new regime's points."""
        change, k, c, cand = self.change, self.k, self.c, self.cand
        assert change is not None
        regime = self.x[change.start : t - k + 1]
        if len(regime) >= k:
            ref = float(np.median(regime))
            d = float(cand.recent[t] - ref)
            direction = int(np.sign(d))
            if change.back(float(cand.recent[t]), direction):
                self.change = _Change(
                    "level_shift", direction, t - k + 1, change.until, (-np.inf, np.inf)
                )
                return
            se = cand.core_k[t] * MEDIAN_SE * np.sqrt(1 / k + 1 / len(regime))
            width = max(c.shift_z / c.sensitivity * se, c.shift_effect / c.sensitivity * abs(ref))
            near = np.abs(self.x[t - k + 1 : t + 1] - cand.recent[t]) <= abs(d) / 2
            same_trend = change.kind == "trend" and direction == change.direction
            if not same_trend and abs(d) >= width and near.sum() >= k - STEADY_MISS:
                self._flag_change(t, direction, ref, d / se, width, "level_shift")
                return
        level = float(np.median(self.x[change.start : t]))
        low, high = cand.band(t, level)
        direction = 1 if self.x[t] > high else -1 if self.x[t] < low else 0
        if direction and not change.back(float(self.x[t]), direction):
            self._spike_flag(t, direction, level)

    def _out_of_band(self, t: int, direction: int) -> bool:
        """Record an out-of-band point; True when it starts a new excursion."""
        if not direction:
            return False
        continued = self.last_out[direction] == t - 1
        self.last_out[direction] = t
        return not continued

    def _spike_flag(self, t: int, direction: int, level: float) -> None:
        if not self._out_of_band(t, direction):
            return
        cand = self.cand
        low, high = cand.band(t, level)
        scale = cand.base.upper[t] if direction > 0 else cand.base.lower[t]
        score = (self.x[t] - level) / scale
        flag = Flag(t, float(self.x[t]), round(float(score), 3), low, high, "spike")
        self._add(flag, direction, news=bool(self.news[t]))

    def _change_flag(self, t: int, direction: int, *, shift_fired: bool) -> None:
        """A level shift or a trend at ``t``, reported with the statistics of its kind."""
        cand = self.cand
        window = self.x[max(0, t - 3 * cand.third + 1) : t + 1]
        kind = change_kind(window, shift_fired=shift_fired)
        if kind == "level_shift":
            shift_stats = bool(cand.raw["level_shift"][t])
        else:  # a trend the shift test found: only its statistics exist
            shift_stats = not cand.raw["trend"][t]
        if shift_stats:
            ref, score, width = cand.ref[t], cand.shift_score[t], cand.shift_width[t]
        else:
            ref, score, width = cand.trend_ref[t], cand.trend_score[t], cand.trend_width[t]
        self._flag_change(t, direction, float(ref), float(score), float(width), kind)

    def _flag_change(
        self, t: int, direction: int, ref: float, score: float, width: float, kind: Kind
    ) -> None:
        """Flag a change from level ``ref``; its band is the range the level could have moved
        in without a flag (``width`` either side), and the new regime starts here."""
        flag = Flag(t, float(self.x[t]), round(score, 3), ref - width, ref + width, kind)
        self._add(flag, direction)
        start = t - self.k + 1 if kind == "level_shift" else t
        hold = max(self.c.reference, 3 * self.cand.third)
        self.change = _Change(kind, direction, start, t + hold, self.cand.band(t, ref))
        self.last_out[direction] = t

    def _add(self, flag: Flag, direction: int, *, news: bool = False) -> None:
        """Keep ``flag`` unless one of its kind (spike, or change: a level shift or a trend)
        and direction came less than ``cooldown`` points ago and this one is no larger
        (``usual_margin``); a spike that is news (``news_ratio``) is always kept."""
        key = ("spike" if flag.kind == "spike" else "change", direction)
        size = abs(flag.score)
        last = self.last_flag.get(key)
        if (
            news
            or last is None
            or flag.index - last[0] >= self.c.cooldown
            or size > last[1] * self.c.usual_margin
        ):
            self.flags.append(flag)
            self.last_flag[key] = (flag.index, size)
