"""The series anomaly detector's specification, on synthetic series made here (seeded).

What a user relies on: a spike is flagged as a spike with a band around the usual values; a
level shift gives one level_shift alert near where it starts and no alert per point after it;
plain noise (also heavy-tailed) gives nothing; a decision never depends on later points (the
flags of a prefix are the flags of the whole series cut to that prefix); NaN points are
skipped, not crashes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.anomaly_detection.series import DetectorConfig, Flag, detect
from agents.anomaly_detection.watch import ci_config


def _noise(seed: int, n: int = 300, level: float = 100.0, sigma: float = 2.0) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0.0, sigma, n)


@pytest.mark.parametrize("seed", range(5))
def test_a_spike_is_flagged_as_a_spike_with_a_band_around_the_usual_values(seed):
    values = _noise(seed)
    values[200] = 160.0

    flags = detect(values)

    spike = [f for f in flags if f.index == 200]
    assert [f.kind for f in spike] == ["spike"], flags
    assert spike[0].value == 160.0 and spike[0].score > 0
    assert spike[0].expected_low < 100.0 < spike[0].expected_high < 160.0
    assert [f.index for f in flags] == [200]


def test_a_drop_is_a_spike_too_with_a_negative_score():
    values = _noise(1)
    values[150] = 40.0

    flags = detect(values)

    assert [(f.index, f.kind) for f in flags] == [(150, "spike")]
    assert flags[0].score < 0 and flags[0].expected_low > 40.0


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("jump", [30.0, -25.0])
def test_a_level_shift_gives_exactly_one_level_shift_alert_near_its_start(seed, jump):
    values = _noise(seed, n=400, sigma=3.0)
    values[200:] += jump

    flags = detect(values)

    shifts = [f for f in flags if f.kind == "level_shift"]
    assert len(shifts) == 1, flags
    assert 200 <= shifts[0].index <= 200 + DetectorConfig().confirm + 2
    assert math.copysign(1, shifts[0].score) == math.copysign(1, jump)
    # Nothing before the shift, and nothing for the points after it but its own first point.
    assert all(f.index >= 200 for f in flags)
    assert all(f.index <= shifts[0].index for f in flags), flags


def test_a_slow_drift_is_flagged_as_a_trend():
    values = _noise(3, n=420)
    values[250:330] *= np.linspace(1.0, 1.8, 80)
    values[330:] *= 1.8

    flags = detect(values)

    assert flags and all(250 <= f.index < 340 for f in flags), flags
    assert "trend" in {f.kind for f in flags}


@pytest.mark.parametrize("seed", range(8))
def test_a_slowdown_seen_as_a_step_while_still_ramping_up_is_one_alert(seed):
    """A job that gets 80% slower over 60 runs may first be flagged as a level shift (the
    start of a ramp looks like a step); the trend the rest of the ramp shows once the
    shift's hold is over is the same slowdown, not a second alert."""
    rng = np.random.default_rng(seed)
    values = 100 * rng.lognormal(0.0, 0.05, 400)
    values *= 1 + np.concatenate([np.zeros(200), np.linspace(0, 0.8, 60), np.full(140, 0.8)])
    changes = [f for f in detect(values) if f.kind != "spike"]
    assert len(changes) == 1, changes
    assert 200 <= changes[0].index < 260


@pytest.mark.parametrize("seed", range(10))
def test_plain_noise_gives_no_flag(seed):
    rng = np.random.default_rng(seed)

    assert detect(rng.normal(50.0, 5.0, 2000)) == []
    assert detect(np.exp(rng.normal(5.0, 0.3, 2000))) == []  # heavy right tail, like durations
    assert detect(np.full(500, 7.0)) == []


def test_a_recurring_excursion_is_usual_after_it_has_been_seen():
    values = _noise(2, n=1000)
    values[100::150] = 180.0  # a nightly job

    flags = detect(values)

    assert len(flags) <= 1, flags


def test_nan_and_infinite_points_are_skipped():
    values = _noise(4)
    values[200] = 160.0
    holes = values.copy()
    holes[[10, 50, 199, 250]] = np.nan
    holes[60] = np.inf
    kept = np.flatnonzero(np.isfinite(holes))

    flags = detect(holes)
    plain = detect(holes[kept])

    assert [f.index for f in flags] == [int(kept[f.index]) for f in plain]
    assert [f.kind for f in flags] == [f.kind for f in plain] == ["spike"]
    assert detect([math.nan] * 100) == []
    assert detect([]) == []


def test_every_flag_is_finite():
    values = _noise(5, n=600)
    values[100] = 300.0
    values[300:] += 40.0

    for flag in detect(values):
        assert isinstance(flag, Flag)
        assert flag.kind in {"spike", "level_shift", "trend"}
        numbers = (flag.value, flag.score, flag.expected_low, flag.expected_high)
        assert all(math.isfinite(number) for number in numbers)
        assert flag.expected_low <= flag.expected_high


def test_sensitivity_must_be_positive():
    with pytest.raises(ValueError, match="sensitivity"):
        DetectorConfig(sensitivity=0)


def test_higher_sensitivity_flags_a_smaller_spike():
    values = _noise(6)
    values[200] = 124.0

    assert 200 not in [f.index for f in detect(values)]
    assert 200 in [f.index for f in detect(values, DetectorConfig(sensitivity=2.0))]


@st.composite
def _series(draw) -> np.ndarray:
    """Noise with spikes, shifts, ramps, NaN gaps and flat stretches, all drawn."""
    n = draw(st.integers(0, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = draw(st.floats(1.0, 1000.0)) * (1 + rng.normal(0, draw(st.floats(0.0, 0.3)), n))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, max(0, n - 1)))
        effect = draw(st.sampled_from(["spike", "shift", "ramp", "nan", "flat"]))
        size = draw(st.floats(-0.8, 3.0))
        if effect == "spike":
            values[at : at + 1] *= 1 + size
        elif effect == "shift":
            values[at:] *= 1 + size
        elif effect == "ramp":
            values[at:] *= 1 + np.linspace(0, size, n - at)
        elif effect == "nan":
            values[at : at + draw(st.integers(1, 5))] = np.nan
        else:
            values[at : at + draw(st.integers(1, 80))] = values[at] if n else 0.0
    return values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_series(), cut=st.floats(0.0, 1.0))
def test_streaming_a_prefix_flags_what_the_whole_series_flags_up_to_there(values, cut):
    end = int(round(cut * len(values)))

    whole = detect(values)
    prefix = detect(values[:end])

    assert prefix == [f for f in whole if f.index < end]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_series(), cut=st.floats(0.0, 1.0))
def test_streaming_holds_with_the_ci_settings_too(values, cut):
    """Habits compared as shares of the level look only at points up to each decision."""
    end = int(round(cut * len(values)))

    whole = detect(values, ci_config())
    prefix = detect(values[:end], ci_config())

    assert prefix == [f for f in whole if f.index < end]
