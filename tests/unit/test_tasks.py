"""Background tasks in the store: what a page asks for is recorded, claimed once, never lost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.store import tasks as task_store
from core.store.db import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "tasks.db")


def test_given_a_double_click_when_submitted_twice_then_one_task_does_the_work(store: Store):
    first = task_store.submit_task(store, "o/r", "pipeline_monitor", "Sync", {"full": False})
    second = task_store.submit_task(store, "O/R", "pipeline_monitor", "Sync", {"full": False})

    assert second.id == first.id
    assert [task.id for task in task_store.active_tasks(store)] == [first.id]


def test_given_other_options_or_another_repo_when_submitted_then_they_are_separate_tasks(
    store: Store,
):
    sync = task_store.submit_task(store, "o/r", "pipeline_monitor", "Sync")
    full = task_store.submit_task(store, "o/r", "pipeline_monitor", "Sync", {"full": True})
    other = task_store.submit_task(store, "o/other", "pipeline_monitor", "Sync")

    assert len({sync.id, full.id, other.id}) == 3


def test_given_two_runners_when_they_claim_then_each_task_goes_to_exactly_one(store: Store):
    task_store.submit_task(store, "o/r", "a", "A")
    task_store.submit_task(store, "o/r", "b", "B")

    claims = [task_store.claim_next(store, owner) for owner in ("one", "two", "three")]

    assert [claim.agent for claim in claims if claim] == ["a", "b"]
    assert claims[2] is None
    assert {claim.owner for claim in claims if claim} == {"one", "two"}


def test_given_a_running_task_when_it_reports_then_progress_and_message_are_readable(
    store: Store,
):
    queued = task_store.submit_task(store, "o/r", "log_ingester", "Fetch logs")
    task_store.claim_next(store, "me")

    task_store.report_progress(store, queued.id, 0.4, "Log 4/10: build")

    running = task_store.task(store, queued.id)
    assert running.state == "running" and running.progress == pytest.approx(0.4)
    assert running.message == "Log 4/10: build"


def test_given_a_finished_task_when_the_same_is_asked_again_then_a_new_task_is_queued(
    store: Store,
):
    first = task_store.submit_task(store, "o/r", "root_cause", "Root cause analysis")
    task_store.claim_next(store, "me")
    task_store.finish_task(store, first.id, "done", summary="12 failed jobs explained")

    again = task_store.submit_task(store, "o/r", "root_cause", "Root cause analysis")

    assert again.id != first.id
    assert task_store.completed(store, "o/r", "root_cause")
    done = task_store.task(store, first.id)
    assert done.state == "done" and done.progress == 1 and done.summary.startswith("12")


def test_given_a_rate_limited_task_when_deferred_then_it_waits_and_starts_after_the_reset(
    store: Store,
):
    queued = task_store.submit_task(store, "o/r", "log_ingester", "Fetch logs")
    task_store.claim_next(store, "me")
    reset = time.time() + 3600

    task_store.defer_task(store, queued.id, reset, "Fetch logs reached GitHub's rate limit")

    waiting = task_store.task(store, queued.id)
    assert waiting.active and waiting.waiting
    assert task_store.claim_next(store, "me") is None
    assert task_store.claim_next(store, "me", now=reset + 1).id == queued.id


def test_given_a_task_of_a_dead_server_when_a_runner_starts_then_it_is_marked_interrupted(
    store: Store,
):
    queued = task_store.submit_task(store, "o/r", "pipeline_monitor", "Sync")
    task_store.claim_next(store, "host:1:gone", now=time.time() - 600)

    assert task_store.interrupt_orphans(store, {"host:2:alive"}, stale_after_s=60) == 1

    interrupted = task_store.task(store, queued.id)
    assert interrupted.state == "interrupted" and not interrupted.active
    assert "Interrupted" in interrupted.error and "start it again" in interrupted.error
    recorded = store.query("SELECT agent, status, error FROM agent_runs")
    assert [tuple(row) for row in recorded] == [("pipeline_monitor", "error", interrupted.error)]


def test_given_a_live_runner_of_another_process_when_checked_then_its_task_is_left_alone(
    store: Store,
):
    queued = task_store.submit_task(store, "o/r", "pipeline_monitor", "Sync")
    task_store.claim_next(store, "host:1:busy")
    task_store.beat(store, queued.id)

    assert task_store.interrupt_orphans(store, {"host:2:me"}, stale_after_s=60) == 0
    assert task_store.task(store, queued.id).state == "running"


def test_given_an_unknown_final_state_when_finishing_then_it_is_refused(store: Store):
    queued = task_store.submit_task(store, "o/r", "a", "A")

    with pytest.raises(ValueError):
        task_store.finish_task(store, queued.id, "exploded")
