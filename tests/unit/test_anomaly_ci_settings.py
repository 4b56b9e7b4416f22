"""The detector's CI settings (``ci_config``): what a repository's durations are held to."""

from __future__ import annotations

import numpy as np

from agents.anomaly_detection.series import DetectorConfig, detect
from agents.anomaly_detection.watch import ci_config, flags_of


def _durations(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 300 * rng.lognormal(0.0, 0.08, n)


def _spikes(values: np.ndarray, config: DetectorConfig) -> list[int]:
    return [f.index for f in flags_of(values, config) if f.kind == "spike"]


def test_a_run_at_three_times_its_usual_time_is_news_from_the_twentieth_run():
    """A nightly job has a few dozen runs a quarter: waiting 50 runs would miss its spikes."""
    values = _durations(40)
    values[25] *= 3
    assert _spikes(values, ci_config()) == [25]
    assert 25 not in [f.index for f in detect(values, DetectorConfig())]


def test_repeated_large_spikes_are_each_reported():
    """A job that takes 3x its time twice a month is worth two alerts, even close together."""
    values = _durations(400)
    for at in (120, 135, 300):
        values[at] *= 3.2
    assert _spikes(values, ci_config()) == [120, 135, 300]


def test_a_two_mode_workflow_is_not_news_when_its_long_mode_comes_back():
    """Runs take 2 or 9 minutes depending on what a commit touches: the 9-minute runs are
    everyday life, though more than twice the median when short runs dominate for a while."""
    rng = np.random.default_rng(5)
    long = rng.random(600) < 0.2
    values = np.where(long, 540.0, 120.0) * rng.lognormal(0.0, 0.05, 600)
    assert _spikes(values, ci_config()) == []


def test_queue_times_are_not_held_to_the_twice_as_long_rule():
    """A 40 s wait where 10 s is usual is a hosted runner's everyday life."""
    assert ci_config(metric="queue_s").news_ratio is None
    assert ci_config().news_ratio == 2.0


def test_queue_times_keep_their_habits_in_seconds():
    """Waits are often zero, and a share of a zero level means nothing: comparing a burst
    with earlier ones as a share of the level is for durations."""
    assert ci_config(metric="queue_s").relative_habits is False
    assert ci_config().relative_habits is True


def test_a_slowdown_to_over_twice_the_time_is_one_alert_not_a_spike_and_a_shift():
    """Its first run is a spike the stream must report at once (more than twice the usual
    time), with a band widened to the series' earlier 70% bursts that reaches above it; the
    shift confirmed four runs later is the one alert for both."""
    values = 300 * np.random.default_rng(0).lognormal(0.0, 0.03, 500)
    values[60:400:50] *= 1.7
    values[400:] *= 2.2
    first = next(f for f in detect(values, ci_config()) if f.index == 400)
    assert first.kind == "spike" and first.value < first.expected_high

    flags = [(f.index, f.kind) for f in flags_of(values, ci_config()) if f.index >= 400]

    assert flags == [(404, "level_shift")]
