"""Seasonal baselines: a series that follows the clock is judged against its own hour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.anomaly_detection.seasonal import detect_seasonal, seasonal_offsets
from agents.anomaly_detection.series import DetectorConfig, detect

HALF_HOURS = pd.date_range("2024-01-01", periods=48 * 28, freq="30min")
RUSH_HOUR = 48 * 21 + 16  # day 21, 08:00


def _city_traffic(seed: int = 4) -> np.ndarray:
    """Four weeks of half-hourly rides: quiet nights, a morning and an evening rush."""
    hour = np.asarray(HALF_HOURS.hour)
    rush = [(hour >= 7) & (hour < 10), (hour >= 17) & (hour < 20), hour < 6]
    usual = np.select(rush, [300.0, 250.0, 30.0], 120.0)
    return usual * np.random.default_rng(seed).lognormal(0.0, 0.05, len(usual))


def _stamps() -> list[str]:
    return [stamp.isoformat() for stamp in HALF_HOURS]


def test_a_quiet_rush_hour_is_flagged_though_its_value_is_ordinary_for_the_day():
    """120 rides is a normal midday but an empty morning rush: only the hour's own baseline
    sees it (the recent level mixes the hours)."""
    rides = _city_traffic()
    rides[RUSH_HOUR : RUSH_HOUR + 4] = 120.0
    flags = detect_seasonal(rides, _stamps(), DetectorConfig())
    assert [flag.index for flag in flags] == [RUSH_HOUR]
    assert flags[0].expected_low > 200  # the band is the rush hour's, in rides
    assert RUSH_HOUR not in [flag.index for flag in detect(rides, DetectorConfig())]


def test_the_daily_rhythm_itself_raises_nothing():
    assert detect_seasonal(_city_traffic(), _stamps(), DetectorConfig()) == []


def test_a_series_without_a_season_keeps_its_plain_baseline():
    noise = 100 + np.random.default_rng(2).normal(0, 5, len(HALF_HOURS))
    assert not seasonal_offsets(noise, _stamps()).any()


def test_times_that_are_not_dates_in_order_mean_no_season():
    rides = _city_traffic()
    assert not seasonal_offsets(rides, [str(i) for i in range(len(rides))]).any()
    assert not seasonal_offsets(rides, _stamps()[::-1]).any()


def test_the_decision_at_a_point_uses_only_the_points_before_it():
    """The flags of a prefix are the flags of the whole series cut to that prefix."""
    rides = _city_traffic(7)
    rides[RUSH_HOUR : RUSH_HOUR + 4] = 120.0
    whole = detect_seasonal(rides, _stamps(), DetectorConfig())
    cut = RUSH_HOUR + 2
    prefix = detect_seasonal(rides[:cut], _stamps()[:cut], DetectorConfig())
    assert prefix == [flag for flag in whole if flag.index < cut]
