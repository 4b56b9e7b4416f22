"""What a stored run publishes: one ``workflow_run`` message per attempt with that attempt's jobs
(and their steps) inside, one per commit, and a ``workflow_job`` message only for a job whose
attempt came without its run payload, so no stored job is ever without a message."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from core.messages.envelope import validate
from core.store.db import Store
from core.store.runs import RunBundle, save_repository, save_run_bundle

REPO = "o/r"


def _run(attempt: int, updated: str = "2026-01-01T00:15:00Z") -> dict[str, Any]:
    return {
        "id": 500,
        "run_attempt": attempt,
        "name": "CI",
        "status": "completed",
        "conclusion": "success",
        "head_sha": "a" * 40,
        "created_at": "2026-01-01T00:00:00Z",
        "run_started_at": "2026-01-01T00:00:00Z",
        "updated_at": updated,
    }


def _job(job_id: int, conclusion: str = "success", steps: int = 3) -> dict[str, Any]:
    return {
        "id": job_id,
        "name": f"test ({job_id})",
        "status": "completed",
        "conclusion": conclusion,
        "started_at": "2026-01-01T00:01:00Z",
        "completed_at": "2026-01-01T00:10:00Z",
        "steps": [
            {"number": n, "name": f"step {n}", "status": "completed", "conclusion": "success"}
            for n in range(1, steps + 1)
        ],
    }


@pytest.fixture()
def store(tmp_path) -> tuple[Store, int]:
    store = Store(tmp_path / "s.db")
    return store, save_repository(store, {"id": 1, "full_name": REPO})


def _envelopes(store: Store) -> list[dict[str, Any]]:
    return [validate(r[0]) for r in store.query("SELECT body FROM outbox ORDER BY id")]


def test_a_run_is_one_message_with_its_jobs_and_their_steps_inside(store):
    db, repo_id = store
    commit = {"sha": "a" * 40, "commit": {"message": "change"}}
    bundle = RunBundle(run=_run(1), jobs={1: [_job(11), _job(12), _job(13)]}, commit=commit)

    assert save_run_bundle(db, repo_id, REPO, bundle) == 2

    envelopes = _envelopes(db)
    assert Counter(e["event_type"] for e in envelopes) == {"workflow_run": 1, "commit": 1}
    run = next(e for e in envelopes if e["event_type"] == "workflow_run")
    assert run["schema_version"] == 2
    assert [j["job_id"] for j in run["data"]["jobs"]] == [11, 12, 13]
    assert [len(j["steps"]) for j in run["data"]["jobs"]] == [3, 3, 3]
    assert run["data"]["jobs"][0]["steps"][0]["name"] == "step 1"


def test_each_attempt_carries_its_own_jobs(store):
    db, repo_id = store
    bundle = RunBundle(
        run=_run(2), earlier_attempts=[_run(1)], jobs={1: [_job(11, "failure")], 2: [_job(21)]}
    )

    save_run_bundle(db, repo_id, REPO, bundle)

    runs = {e["data"]["attempt"]: e["data"] for e in _envelopes(db)}
    assert {a: [j["job_id"] for j in d["jobs"]] for a, d in runs.items()} == {1: [11], 2: [21]}
    assert (runs[1]["is_latest"], runs[2]["is_latest"]) == (0, 1)


def test_jobs_of_an_attempt_without_its_run_payload_still_get_their_own_messages(store):
    db, repo_id = store
    bundle = RunBundle(run=_run(2), jobs={1: [_job(11)], 2: [_job(21)]})

    save_run_bundle(db, repo_id, REPO, bundle)

    envelopes = _envelopes(db)
    jobs = [e["data"]["job_id"] for e in envelopes if e["event_type"] == "workflow_job"]
    run = next(e for e in envelopes if e["event_type"] == "workflow_run")
    assert jobs == [11] and [j["job_id"] for j in run["data"]["jobs"]] == [21]
    stored = {r[0] for r in db.query("SELECT job_id FROM jobs")}
    assert stored == {11, 21}


def test_the_same_run_again_publishes_nothing_and_a_changed_job_publishes_the_run_anew(store):
    db, repo_id = store
    first = RunBundle(run=_run(1), jobs={1: [_job(11), _job(12)]})
    assert save_run_bundle(db, repo_id, REPO, first) == 1
    assert save_run_bundle(db, repo_id, REPO, first) == 0

    changed = RunBundle(run=_run(1), jobs={1: [_job(11), _job(12, "failure")]})
    assert save_run_bundle(db, repo_id, REPO, changed) == 1

    bodies = [json.loads(r[0]) for r in db.query("SELECT body FROM outbox ORDER BY id")]
    assert [j["conclusion"] for j in bodies[-1]["data"]["jobs"]] == ["success", "failure"]
