"""One publishing cycle, with a transport that records every request instead of a server.

A cycle claims several requests' worth of rows at once and sends those requests side by side;
what must not change is SQS's limits per request, each row marked exactly once, a refused entry
retried alone, and an outage postponing the rest without blaming anything.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

import pytest

from core.config import Settings
from core.messages.envelope import make_message
from core.queue.sqs import MAX_BATCH_BYTES, BatchResult, Entry, EntryFailure, SqsUnavailable
from core.queue.worker import Worker, WorkerOptions
from core.store.db import Store
from core.store.outbox import enqueue

OPTIONS = WorkerOptions(batch_size=10, batches_per_cycle=5, send_threads=3, backoff_cap_s=0.01)


class Recorder:
    """Accepts everything, except entries of the rows named in ``refuse``; keeps each request."""

    def __init__(self, refuse: frozenset[int] = frozenset(), down: bool = False) -> None:
        self.requests: list[tuple[str, list[Entry]]] = []
        self.refuse, self.down = refuse, down
        self._lock = threading.Lock()

    def send_batch(self, name: str, entries: list[Entry]) -> BatchResult:
        with self._lock:
            self.requests.append((name, list(entries)))
        if self.down:
            raise SqsUnavailable("SQS is unreachable (test)")
        result = BatchResult()
        for entry in entries:
            row = int(entry.id[1:].split("p")[0])
            if row in self.refuse:
                result.failed[entry.id] = EntryFailure("InvalidParameterValue", "no", True)
            else:
                result.ok.append(entry.id)
        return result


def _store(tmp_path, count: int, kind: str = "commit") -> Store:
    store = Store(tmp_path / "s.db")
    messages = [
        make_message("commit", "o/r", f"commit:{i}", {"sha": f"{i:040x}"})
        if kind == "commit"
        else make_message(
            "anomaly",
            "o/r",
            f"a{i}",
            {"subject": "run:1", "metric": "m", "value": 1.0, "score": 2.0},
        )
        for i in range(count)
    ]
    with store.transaction() as tx:
        enqueue(tx, messages)
    return store


def _worker(store: Store, sqs: Recorder, **changes) -> Worker:
    settings = Settings().with_(db_path=str(store.path))
    return Worker(store, settings, sqs=sqs, options=replace(OPTIONS, **changes))  # type: ignore[arg-type]


def _status(store: Store) -> Counter:
    return Counter(r[0] for r in store.query("SELECT status FROM outbox"))


def test_a_cycle_claims_several_requests_worth_and_keeps_each_request_within_sqs_limits(tmp_path):
    store = _store(tmp_path, 47)
    sqs = Recorder()

    claimed, sent = _worker(store, sqs).step()

    assert (claimed, sent) == (47, 47)
    assert sorted(len(entries) for _, entries in sqs.requests) == [7, 10, 10, 10, 10]
    assert all(sum(e.size for e in entries) <= MAX_BATCH_BYTES for _, entries in sqs.requests)
    sent_ids = [e.id for _, entries in sqs.requests for e in entries]
    assert len(sent_ids) == len(set(sent_ids)) == 47  # every row sent once
    assert _status(store) == {"sent": 47}
    assert store.scalar("SELECT sent_total FROM queue_stats WHERE queue = 'metrics'") == 47


def test_the_batch_size_caps_entries_per_request(tmp_path):
    store = _store(tmp_path, 9)
    sqs = Recorder()

    _worker(store, sqs, batch_size=2, batches_per_cycle=10).run(burst=True)

    assert sorted(len(entries) for _, entries in sqs.requests) == [1, 2, 2, 2, 2]
    assert _status(store) == {"sent": 9}


def test_an_entry_sqs_refuses_costs_only_its_own_row_an_attempt(tmp_path):
    store = _store(tmp_path, 25)
    refused = store.scalar("SELECT MIN(id) FROM outbox") + 12
    sqs = Recorder(refuse=frozenset({refused}))

    claimed, sent = _worker(store, sqs).step()

    assert (claimed, sent) == (25, 24)
    rows = {r[0]: (r[1], r[2]) for r in store.query("SELECT id, status, attempts FROM outbox")}
    assert rows.pop(refused) == ("pending", 1)
    assert set(rows.values()) == {("sent", 0)}


@pytest.mark.parametrize("threads", [1, 3])
def test_an_outage_postpones_every_row_of_the_cycle_without_counting_attempts(tmp_path, threads):
    store = _store(tmp_path, 30)
    sqs = Recorder(down=True)
    worker = _worker(store, sqs, send_threads=threads)

    claimed, sent = worker.step()

    assert (claimed, sent) == (30, 0)
    assert _status(store) == {"pending": 30}
    assert store.scalar("SELECT MAX(attempts) FROM outbox") == 0
    assert store.scalar("SELECT COUNT(*) FROM outbox WHERE lease_owner IS NOT NULL") == 0
    if threads == 1:  # one after the other: nothing more is tried once SQS is found gone
        assert len(sqs.requests) == 1
    assert worker.state == "backing_off"


@pytest.mark.parametrize("threads", [1, 4])
def test_a_fifo_queues_requests_go_one_after_the_other_in_row_order(tmp_path, threads):
    store = _store(tmp_path, 35)
    sqs = Recorder()
    settings = Settings().with_(db_path=str(store.path))
    settings = settings.with_(queues=dict(settings.queues, metrics="ci_cd_metrics_queue.fifo"))
    worker = Worker(store, settings, sqs=sqs, options=replace(OPTIONS, send_threads=threads))  # type: ignore[arg-type]

    worker.run(burst=True)

    rows = [int(e.id[1:].split("p")[0]) for _, entries in sqs.requests for e in entries]
    assert rows == sorted(rows) and len(rows) == 35
    assert {e.group_id for _, entries in sqs.requests for e in entries} == {"o/r"}


def test_a_worker_keeping_local_queues_bounded_claims_no_more_than_the_bound_per_cycle(tmp_path):
    store = _store(tmp_path, 47)
    sqs = Recorder()

    claimed, sent = _worker(store, sqs, local_bound=30).step()

    assert (claimed, sent) == (30, 30)
