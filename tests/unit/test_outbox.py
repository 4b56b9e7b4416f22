"""The outbox as a work queue: leases, sent, backoff, dead letters, retry, stats, prune, health."""

from __future__ import annotations

import random

import pytest

from core.messages.envelope import make_message
from core.queue.health import (
    acquire_lease,
    forget_old,
    heartbeat,
    live_workers,
    reap_dead_local,
    register,
)
from core.queue.sqs import Entry, pack_batches
from core.store import outbox
from core.store.db import Store
from core.store.outbox import enqueue

NOW = 1_800_000_000.0


@pytest.fixture()
def store(tmp_path) -> Store:
    store = Store(tmp_path / "s.db")
    messages = [
        make_message(
            "anomaly",
            "o/r",
            f"k{i}",
            {"subject": f"run:{i}", "metric": "m", "value": 1.0, "score": 2.0},
        )
        for i in range(5)
    ]
    messages.append(make_message("commit", "o/r", "commit:a", {"sha": "a" * 40}))
    with store.transaction() as tx:
        enqueue(tx, messages)
    return store


def test_a_claimed_row_is_leased_to_one_worker_until_the_lease_expires(store):
    first = outbox.claim(store, "w1", limit=4, lease_s=30, now=NOW)
    second = outbox.claim(store, "w2", limit=10, lease_s=30, now=NOW + 1)
    assert [r.id for r in first] == [1, 2, 3, 4] and [r.id for r in second] == [5, 6]
    assert outbox.claim(store, "w3", now=NOW + 2) == []
    expired = outbox.claim(store, "w3", limit=10, now=NOW + 31)
    assert {r.id for r in expired} == {1, 2, 3, 4, 5, 6}


def test_rows_due_for_a_retry_and_rows_never_tried_are_claimed_together_oldest_first(store):
    rows = outbox.claim(store, "w1", limit=3, now=NOW)  # rows 1-3
    outbox.mark_failed(store, [(rows[1], "refused")], base_s=10, cap_s=10, now=NOW)  # row 2
    outbox.release(store, [rows[0]], delay_s=5, error="SQS away", now=NOW)  # row 1
    outbox.release(store, [rows[2]], delay_s=0, error="SQS away", now=NOW)  # row 3, due now
    assert [r.id for r in outbox.claim(store, "w2", limit=3, now=NOW)] == [3, 4, 5]
    assert [r.id for r in outbox.claim(store, "w3", limit=10, now=NOW + 11)] == [1, 2, 6]


def test_sent_rows_are_never_claimed_again_and_counted_per_queue(store):
    rows = outbox.claim(store, "w1", limit=10, now=NOW)
    assert outbox.mark_sent(store, rows, now=NOW) == 6
    assert outbox.mark_sent(store, rows, now=NOW) == 0  # idempotent
    assert outbox.claim(store, "w2", limit=10, now=NOW + 999) == []
    frame = outbox.stats(store, now=NOW).set_index("queue")
    assert frame.loc["analysis", "sent_total"] == 5 and frame.loc["metrics", "sent_total"] == 1
    assert list(frame.index[:4]) == list(outbox.QUEUE_KINDS)  # every queue, even if empty


def test_failures_back_off_exponentially_then_dead_letter(store):
    rng = random.Random(1)
    delays = []
    for attempt in range(1, 4):
        row = outbox.claim(store, "w", limit=1, now=NOW + 1000 * attempt)[0]
        dead = outbox.mark_failed(
            store,
            [(row, "InvalidParameterValue")],
            max_attempts=3,
            base_s=1.0,
            rng=rng,
            now=NOW + 1000 * attempt,
        )
        due = store.scalar("SELECT next_attempt_at FROM outbox WHERE id = 1")
        delays.append(due - (NOW + 1000 * attempt))
    assert dead == 1 and 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0
    row = store.query("SELECT status, attempts, last_error FROM outbox WHERE id = 1")[0]
    assert tuple(row) == ("dead", 3, "InvalidParameterValue")
    frame = outbox.stats(store, now=NOW).set_index("queue")
    assert frame.loc["analysis", "dead"] == 1 and frame.loc["analysis", "failed_total"] == 3


def test_backoff_is_capped_and_jittered():
    rng = random.Random(7)
    values = [outbox.backoff_delay(20, base_s=1, cap_s=60, rng=rng) for _ in range(50)]
    assert all(30 <= v <= 60 for v in values) and len(set(values)) > 40


def test_a_permanent_failure_dead_letters_at_once(store):
    row = outbox.claim(store, "w", limit=1, now=NOW)[0]
    assert outbox.mark_failed(store, [(row, "not JSON")], permanent=True, now=NOW) == 1


def test_release_postpones_without_counting_an_attempt(store):
    rows = outbox.claim(store, "w", limit=10, now=NOW)
    outbox.release(store, rows, delay_s=5, error="SQS is unreachable", now=NOW)
    assert store.scalar("SELECT MAX(attempts) FROM outbox") == 0
    assert outbox.claim(store, "w", now=NOW + 4) == []
    assert len(outbox.claim(store, "w", limit=10, now=NOW + 5)) == 6


def test_dead_letters_can_be_retried_one_or_all(store):
    rows = outbox.claim(store, "w", limit=3, now=NOW)
    outbox.mark_failed(store, [(r, "boom") for r in rows], permanent=True, now=NOW)
    assert outbox.retry_dead(store, [rows[0].id]) == 1
    assert outbox.retry_dead(store) == 2
    assert store.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'dead'") == 0
    assert store.scalar("SELECT MAX(attempts) FROM outbox") == 0


def test_producing_a_dead_message_again_revives_it_with_the_new_body(store):
    row = outbox.claim(store, "w", limit=1, now=NOW)[0]
    outbox.mark_failed(store, [(row, "schema")], permanent=True, now=NOW)
    fixed = make_message(
        "anomaly", "o/r", "k0", {"subject": "run:0", "metric": "m", "value": 2.0, "score": 2.0}
    )
    with store.transaction() as tx:
        assert enqueue(tx, [fixed]) == 1
        assert enqueue(tx, [fixed]) == 0  # a pending duplicate is ignored
    assert store.scalar("SELECT status FROM outbox WHERE id = 1") == "pending"


def test_a_dead_workers_leases_are_freed_at_once(store):
    outbox.claim(store, "gone", limit=10, lease_s=600, now=NOW)
    assert outbox.recover_leases(store, ["gone"]) == 6
    assert len(outbox.claim(store, "w", limit=10, now=NOW)) == 6


def test_prune_keeps_dead_letters_and_recent_rows(store):
    rows = outbox.claim(store, "w", limit=10, now=NOW)
    outbox.mark_sent(store, rows[:4], now=NOW)
    outbox.mark_failed(store, [(rows[4], "x")], permanent=True, now=NOW)
    outbox.record_sample(store, now=NOW)
    assert outbox.prune(store, retention_s=60, now=NOW + 30) == 0
    assert outbox.prune(store, retention_s=60, now=NOW + 61) == 4
    assert store.scalar("SELECT COUNT(*) FROM outbox") == 2
    assert store.scalar("SELECT COUNT(*) FROM queue_samples") == 0


def test_samples_record_every_queue(store):
    outbox.record_sample(store, now=NOW)
    rows = store.query("SELECT queue, backlog FROM queue_samples ORDER BY queue")
    assert dict(tuple(r) for r in rows) == {"analysis": 5, "features": 0, "logs": 0, "metrics": 1}


def test_only_one_live_worker_holds_the_store_lease(store):
    assert acquire_lease(store, "app-1", "embedded", "", ttl_s=30, now=NOW)
    assert not acquire_lease(store, "app-2", "embedded", "", ttl_s=30, now=NOW + 10)
    heartbeat(store, "app-1", "idle", 0, 0, None, now=NOW + 20)
    assert not acquire_lease(store, "app-2", "embedded", "", ttl_s=30, now=NOW + 45)
    assert acquire_lease(store, "app-2", "embedded", "", ttl_s=30, now=NOW + 51)
    heartbeat(store, "app-2", "stopped", 0, 0, None, now=NOW + 52)
    assert acquire_lease(store, "app-3", "embedded", "", ttl_s=30, now=NOW + 53)
    assert [w["worker_id"] for w in live_workers(store, 30, now=NOW + 53)] == ["app-3"]
    assert forget_old(store, 3600, now=NOW + 53 + 3600) == 2  # app-1, app-2; app-3 is recent


def test_workers_of_this_host_whose_process_died_are_reaped(store):
    register(store, "ghost", "sidecar", "")
    store.query("UPDATE worker_health SET pid = 2147483646 WHERE worker_id = 'ghost'")
    register(store, "me", "sidecar", "")
    assert reap_dead_local(store) == ["ghost"]
    assert store.scalar("SELECT state FROM worker_health WHERE worker_id = 'ghost'") == "dead"


def test_batches_respect_ten_entries_and_256_kib():
    small = [Entry(f"s{i}", "x" * 100) for i in range(25)]
    assert [len(b) for b in pack_batches(small)] == [10, 10, 5]
    big = [Entry(f"b{i}", "y" * 100_000) for i in range(5)]
    batches = pack_batches(big)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert all(sum(e.size for e in b) <= 256 * 1024 for b in batches)
