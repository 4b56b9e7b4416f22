"""Seasonal baselines: a series that follows the clock is judged against its own hour (or hour
of the week), not against its overall level.

Taxi rides at 3 am, a queue for runners at 9 am on a Monday: for such a series the usual value
depends on when it is, and a detector that only knows the recent level calls every evening
peak a spike and misses a quiet rush hour. Where the clock explains the series, the detector
runs on the series minus its seasonal offset (the median of the past values at the same slot
of the cycle, minus the median of all past values over the same cycles) and reports bands
with the offset added back.

**Where they exist.** An offset is applied only where, over the past cycles, it explained at
least :data:`MIN_SHARE` of the series' spread (robustly: the median absolute residual with the
offset against without it) and after :data:`MIN_CYCLES` whole cycles; a series without a
season keeps its plain baseline (an offset read from noise only adds noise). Daily (slot: the
hour) and weekly (slot: the hour of the week) cycles compete per point; the one that explains
more is used.

**Streaming.** Every statistic at a point uses only the points before it, so the flags keep
:func:`agents.anomaly_detection.series.detect`'s property: the flags of a prefix are the flags
of the whole series cut to that prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from agents.anomaly_detection.model import DetectorConfig, Flag
from agents.anomaly_detection.series import detect

__all__ = ["seasonal_offsets", "detect_seasonal", "MIN_SHARE", "MIN_CYCLES", "CYCLES"]

CYCLES = 7  # past cycles a slot's median and the season's strength are read from
MIN_CYCLES = 3  # whole cycles seen before a season is trusted
MIN_SHARE = 0.3  # share of the spread the season must explain, over the past, to be used
_PERIODS = (("day", pd.Timedelta(days=1), 24), ("week", pd.Timedelta(days=7), 168))


def seasonal_offsets(values: np.ndarray, timestamps: Sequence[str] | pd.Series) -> np.ndarray:
    """Per point, the seasonal offset to take away before detection (0 where the series has no
    season, where the times are not ISO 8601 dates in order, or before enough cycles were
    seen)."""
    x = np.asarray(values, dtype=float)
    none = np.zeros(len(x))
    text = pd.Series(list(timestamps), dtype=object)
    when = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if len(x) < 2 or when.isna().any() or not when.is_monotonic_increasing:
        return none
    interval = when.diff().median()
    if not interval > pd.Timedelta(0):
        return none
    span = when.iloc[-1] - when.iloc[0]
    best, best_share = none, np.zeros(len(x))
    for name, period, slots in _PERIODS:
        per_cycle = period / interval
        if per_cycle < slots or span < MIN_CYCLES * period:
            continue  # fewer points than slots per cycle, or too few cycles
        slot = when.dt.hour if name == "day" else when.dt.dayofweek * 24 + when.dt.hour
        offset, share = _profile(x, slot.to_numpy(), per_cycle, slots)
        better = share > best_share
        best = np.where(better, offset, best)
        best_share = np.where(better, share, best_share)
    return np.where(best_share >= MIN_SHARE, best, 0.0)


def _profile(
    x: np.ndarray, slot: np.ndarray, per_cycle: float, slots: int
) -> tuple[np.ndarray, np.ndarray]:
    """The causal offset of each point's slot and the share of the spread it explained over
    the past :data:`CYCLES` cycles (0 where not known yet)."""
    series = pd.Series(x)
    window = max(2, int(CYCLES * per_cycle))
    first = max(2, int(MIN_CYCLES * per_cycle))
    level = series.shift(1).rolling(window, min_periods=first).median()
    per_slot = per_cycle / slots  # points of one slot in one cycle
    slot_window = max(3, int(CYCLES * per_slot))
    slot_first = max(2, int(MIN_CYCLES * per_slot))
    slot_median = series.groupby(slot).transform(
        lambda part: part.shift(1).rolling(slot_window, min_periods=slot_first).median()
    )
    offset = (slot_median - level).to_numpy()
    plain = (series - level).abs()
    seasonal = (series - level - offset).abs()
    spread = plain.shift(1).rolling(window, min_periods=first).median()
    left = seasonal.shift(1).rolling(window, min_periods=first).median()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = 1.0 - (left / spread).to_numpy() ** 2
    known = np.isfinite(offset) & np.isfinite(share)
    return np.where(known, offset, 0.0), np.where(known, share, 0.0)


def detect_seasonal(
    values: np.ndarray, timestamps: Sequence[str] | pd.Series, config: DetectorConfig
) -> list[Flag]:
    """:func:`~agents.anomaly_detection.series.detect` on the series without its season, with
    each flag's value and band back in the series' own terms."""
    x = np.asarray(values, dtype=float)
    offsets = seasonal_offsets(x, timestamps)
    if not offsets.any():
        return detect(x, config)
    flags = detect(x - offsets, config)
    return [
        replace(
            flag,
            value=float(x[flag.index]),
            expected_low=flag.expected_low + float(offsets[flag.index]),
            expected_high=flag.expected_high + float(offsets[flag.index]),
        )
        for flag in flags
    ]
