"""Anomaly Detection against what the demo planted (``truth.json``): the page's self-check, held
as tests on the demo the app shows (full size, seed 7)."""

from __future__ import annotations

import pandas as pd
import pytest

from agents.anomaly_detection.agent import AnomalyDetection
from agents.anomaly_detection.evaluation import PlantedResult, evaluate_planted
from agents.base import AgentContext
from agents.runner import run_agent
from core.config import Settings
from core.sandbox.demo.generator import DEMO_REPO


@pytest.fixture(scope="module")
def anomalies(full_demo) -> pd.DataFrame:
    store, _truth = full_demo
    return run_agent(AnomalyDetection(), AgentContext(store, Settings(), DEMO_REPO)).findings


@pytest.fixture(scope="module")
def planted(anomalies, full_demo) -> dict[str, PlantedResult]:
    _store, truth = full_demo
    return {result.planted.split(" ")[0]: result for result in evaluate_planted(anomalies, truth)}


def test_every_planted_duration_spike_is_flagged_as_a_spike_of_its_run(planted):
    spikes = planted["duration"]
    assert spikes.expected >= 5
    assert spikes.found == spikes.expected, spikes.detail


def test_most_duration_spikes_raised_point_at_a_planted_one(planted):
    """Alert hygiene: the demo's everyday runs (two-mode workflows, heavy tails) are not news."""
    spikes = planted["duration"]
    assert spikes.precision is not None and spikes.precision >= 0.5, spikes


def test_the_planted_slowdown_is_found_on_its_job_after_it_began(planted):
    slowdown = planted["slowdown"]
    assert slowdown.found == 1, slowdown.detail


def test_the_outage_shows_as_long_runner_queues_named_as_an_outage(anomalies, planted, full_demo):
    outage = next(result for key, result in planted.items() if "outage" in result.planted)
    assert outage.found == 1, outage.detail
    waits = anomalies[anomalies["metric"] == "queue_s"]
    when = pd.to_datetime(waits["created_at"], utc=True, format="ISO8601")
    window = full_demo[1]["outage"]
    inside = waits[
        (when >= pd.Timestamp(window["start"]) - pd.Timedelta("1h"))
        & (when <= pd.Timestamp(window["end"]) + pd.Timedelta("1h"))
    ]
    assert inside["cause"].str.contains("outage").any(), inside[["reason", "cause"]]


def test_no_spike_is_reported_twice_for_the_same_series_and_run(anomalies):
    assert not anomalies["key"].duplicated().any()
