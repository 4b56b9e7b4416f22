"""Anomaly Detection over a stored history: one alert per event, a reason, and a cause.

Specification (issue 14): a job that once takes four times its usual time is one spike with its
usual range; a job that settles at a new level after a commit touching the workflow file is one
level shift whose cause names that commit and file; a steady history raises nothing; waits that
grow for many jobs at once are an outage, not a commit; ``anomalies.csv`` has the contract's
columns; a second run with nothing new queues no message.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents.anomaly_detection.agent import ANOMALY_COLUMNS, AnomalyDetection
from agents.base import AgentContext
from core.config import Settings
from core.dump.importer import import_path
from core.store.db import Store
from tests.integration.dump_factory import FULL_NAME, make_dump, run_id, sha_of

RUNS, SPIKE, SHIFT = 220, 70, 150
CONTRACT = (
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
)


def _history(tmp_path, shape: str) -> Store:
    """An imported dump of RUNS passing runs of one job, its durations rewritten: noisy around
    5 min, plus (``events``) a 20-min spike at run SPIKE and a move to 9 min from run SHIFT,
    whose commit touched the workflow file."""
    store = Store(tmp_path / f"{shape}.db")
    import_path(store, make_dump(tmp_path / shape, runs=RUNS, jobs_per_run=1, fail_every=0))
    rng = np.random.default_rng(5)
    durations = 300 + rng.normal(0, 15, RUNS)
    if shape == "events":
        durations[SPIKE] = 1200
        durations[SHIFT:] += 240
    with store.transaction() as tx:
        for index, seconds in enumerate(durations):
            tx.execute(
                "UPDATE jobs SET duration_s = ?, queue_s = 5 WHERE run_id = ?",
                (float(seconds), run_id(index)),
            )
        tx.execute(
            "UPDATE commits SET files = ? WHERE sha = ?",
            (json.dumps([".github/workflows/ci.yml", "src/app.py"]), sha_of(SHIFT)),
        )
    return store


def _run(store: Store, **options):
    ctx = AgentContext(store, Settings(), FULL_NAME, options=options)
    return AnomalyDetection().run(ctx)


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    store = _history(tmp_path_factory.mktemp("events"), "events")
    return store, _run(store)


def test_a_spike_is_one_anomaly_with_its_usual_range(events):
    _store, result = events
    jobs = result.findings[result.findings["scope"] == "job"]
    spikes = jobs[(jobs["kind"] == "spike") & (jobs["metric"] == "duration_s")]

    assert spikes["run_id"].tolist() == [run_id(SPIKE)]
    spike = spikes.iloc[0]
    assert spike["value"] == 1200 and 250 <= spike["expected_low"] < spike["expected_high"] <= 400
    assert spike["severity"] == "high" and "took 20 min" in spike["reason"]


def test_a_level_shift_is_one_anomaly_that_names_the_commit_that_caused_it(events):
    _store, result = events
    jobs = result.findings[result.findings["scope"] == "job"]
    shifts = jobs[jobs["kind"] == "level_shift"]

    assert len(shifts) == 1
    shift = shifts.iloc[0]
    position = [run_id(i) for i in range(RUNS)].index(int(shift["run_id"]))
    assert SHIFT <= position <= SHIFT + 5  # found within five runs
    assert sha_of(SHIFT)[:7] in shift["cause"] and "workflow file" in shift["cause"]
    assert "moved up" in shift["reason"]


def test_the_csv_has_the_contract_columns_first(events):
    _store, result = events
    assert tuple(result.findings.columns[: len(CONTRACT)]) == CONTRACT
    assert tuple(ANOMALY_COLUMNS[: len(CONTRACT)]) == CONTRACT


def test_a_second_run_with_nothing_new_queues_nothing(events):
    store, first = events
    again = _run(store)
    assert first.messages and again.messages == []
    assert len(again.findings) == len(first.findings)


def test_a_steady_history_raises_nothing(tmp_path):
    result = _run(_history(tmp_path, "steady"))
    assert result.findings.empty and "No anomaly" in result.summary
