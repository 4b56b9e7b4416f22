"""Faults, all with zero messages lost: SQS going away mid-drain, the worker killed mid-batch,
poison messages, server-side hiccups. A real SQS-compatible server (moto) runs on loopback.

The rule checked everywhere: every message_id in the outbox arrives at least once; a message
may arrive twice only as the same message_id (at-least-once delivery); nothing that is merely
unlucky (an outage, a crash) ends in the dead letters.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import boto3

import core
from core.messages.envelope import make_message
from core.queue.sqs import BatchResult, EntryFailure, SqsAdapter
from core.queue.view import retry_dead_letters
from core.queue.worker import Worker
from core.store.outbox import enqueue
from tests.integration.sqs_support import (
    FAST,
    MotoServer,
    count,
    drain,
    filled_store,
    outbox_ids,
    settings_for,
    wait_until,
)

pytest_plugins = ["tests.integration.sqs_fixtures"]  # fixtures: moto, sqs_url, aws_env

ROOT = Path(core.__file__).resolve().parents[1]  # the checkout holding core/
REPO = "octo-org/demo"


def _assert_all_arrived(deliveries, expected: set[str]) -> None:
    ids = [d.envelope.get("message_id") for d in deliveries]
    assert [d.error for d in deliveries if d.error] == []
    assert set(ids) == expected, f"lost: {sorted(expected - set(ids))[:5]}"


def test_sqs_stopped_mid_drain_then_restarted_empty_loses_nothing(aws_env, tmp_path):
    server = MotoServer()
    server.reset()
    # a run is 1 message: 90+ of them, two per cycle, so the outage below lands mid-drain
    # even when stopping the server takes its half second on a busy machine
    store = filled_store(tmp_path, runs=90, jobs_per_run=4)
    expected = outbox_ids(store)
    settings = settings_for(server.url, store.path)
    worker = Worker(store, settings, options=replace(FAST, batch_size=2, batches_per_cycle=1))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: count(store, "sent") >= 10, what="a first part to be published")
        server.stop()
        wait_until(lambda: worker.state == "backing_off", what="the worker to back off")
        wait_until(  # several tries in a row against the dead endpoint, however slow they are
            lambda: worker._outages >= 3, timeout=60, what="three tries against the dead SQS"
        )
        assert count(store, "dead") == 0 and count(store, "pending") > 0
        assert store.scalar("SELECT MAX(attempts) FROM outbox") == 0  # not the messages' fault
        assert "unreachable" in (worker.last_error or "")
        # What was published before the outage is kept by SQS: read it through a second port
        # (same in-process backend), then wipe everything so the restart comes up queue-less.
        admin = MotoServer()
        delivered = drain(settings_for(admin.url, store.path))
        admin.reset()
        admin.stop()
        server = MotoServer(int(settings.sqs_endpoint_url.rsplit(":", 1)[1]))
        wait_until(lambda: count(store, "pending") == 0, timeout=30, what="the drain to finish")
    finally:
        worker.stop()
        thread.join(10)
    delivered += drain(settings)
    server.stop()
    _assert_all_arrived(delivered, expected)
    assert count(store, "dead") == 0


def _spawn(store_path: Path, url: str, *extra: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    command = [
        sys.executable,
        "-m",
        "core.queue.worker",
        "run",
        "--db",
        str(store_path),
        "--endpoint",
        url,
        "--backoff-base",
        "0.05",
        "--backoff-cap",
        "0.3",
        *extra,
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _leased(store) -> int:
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND lease_owner IS NOT NULL"
        )
    )


def test_worker_killed_with_sigkill_mid_batch_and_restarted_loses_nothing(sqs_url, tmp_path):
    store = filled_store(tmp_path, runs=60)  # enough messages that the kill lands mid-drain
    expected = outbox_ids(store)
    worker = _spawn(store.path, sqs_url, "--batch-size", "1")
    try:
        wait_until(
            lambda: count(store, "sent") >= 5 and _leased(store) > 0,
            timeout=30,
            every=0.005,
            what="the worker to hold a batch",
        )
    finally:
        worker.kill()
        worker.wait(10)
    assert count(store, "pending") > 0
    restarted = _spawn(store.path, sqs_url, "--burst")  # frees the dead worker's lease at once
    _out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err
    assert count(store, "pending") == 0 and count(store, "dead") == 0
    _assert_all_arrived(drain(settings_for(sqs_url, store.path)), expected)


def test_first_sigterm_finishes_the_batch_and_exits_cleanly(sqs_url, tmp_path):
    store = filled_store(tmp_path)
    worker = _spawn(store.path, sqs_url, "--batch-size", "1")
    wait_until(lambda: count(store, "sent") >= 3, timeout=30, what="publishing to start")
    worker.send_signal(signal.SIGTERM)
    _out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert _leased(store) == 0  # the batch in hand was recorded, nothing left half-done
    assert store.scalar("SELECT state FROM worker_health") == "stopped"
    sent = outbox_ids(store, "sent")
    assert {d.envelope["message_id"] for d in drain(settings_for(sqs_url, store.path))} == sent


def _insert_raw(store, message_id: str, queue: str, event_type: str, body: str) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO outbox (message_id, queue, event_type, body, created_at)"
            " VALUES (?,?,?,?,?)",
            (message_id, queue, event_type, body, time.time()),
        )


def test_poison_messages_go_to_dead_letters_while_the_rest_flow(sqs_url, tmp_path):
    store = filled_store(tmp_path, runs=3, jobs_per_run=2)
    settings = settings_for(sqs_url, store.path)
    client = boto3.client("sqs", endpoint_url=sqs_url, region_name="us-east-1")
    logs_url = client.create_queue(
        QueueName=settings.queues["logs"], Attributes={"MaximumMessageSize": "1024"}
    )["QueueUrl"]
    big = make_message("job_log", REPO, "log:big", {"job_id": 99, "content": "x" * 3000})
    with store.transaction() as tx:
        enqueue(
            tx,
            [big]
            + [
                make_message("job_log", REPO, f"log:{i}", {"job_id": i, "content": "ok"})
                for i in range(3)
            ],
        )
    run = json.loads(store.scalar("SELECT body FROM outbox WHERE event_type = 'workflow_run'"))
    run["message_id"], run["data"]["run_id"] = "b" * 32, "not-a-number"
    _insert_raw(store, "a" * 32, "metrics", "workflow_run", "{not json")
    _insert_raw(store, "b" * 32, "metrics", "workflow_run", json.dumps(run))
    commit = json.loads(store.scalar("SELECT body FROM outbox WHERE event_type = 'commit'"))
    commit["message_id"] = "c" * 32
    _insert_raw(store, "c" * 32, "billing", "commit", json.dumps(commit))
    poison = {"a" * 32, "b" * 32, "c" * 32, big.message_id}
    good = outbox_ids(store) - poison
    worker = Worker(store, settings, options=FAST)

    wait_until(
        lambda: worker.run(burst=True) >= 0 and count(store, "pending") == 0,
        what="every message to be sent or dead",
    )

    dead = {r["message_id"]: r for r in store.query("SELECT * FROM outbox WHERE status='dead'")}
    assert set(dead) == poison
    assert "not JSON" in dead["a" * 32]["last_error"]
    assert "run_id" in dead["b" * 32]["last_error"]
    assert "billing" in dead["c" * 32]["last_error"]
    assert "1024" in dead[big.message_id]["last_error"]
    assert dead[big.message_id]["attempts"] == FAST.max_attempts  # retried, then given up
    _assert_all_arrived(drain(settings), good)

    client.set_queue_attributes(QueueUrl=logs_url, Attributes={"MaximumMessageSize": "262144"})
    assert retry_dead_letters(store, [dead[big.message_id]["id"]]) == 1
    worker.run(burst=True)
    assert [d.envelope["message_id"] for d in drain(settings)] == [big.message_id]


class _HiccupOnce(SqsAdapter):
    """The real adapter, except that SQS reports the first entry of the first batch as a
    server-side failure (SenderFault=false), which moto cannot be made to do."""

    hiccups = 0

    def send_batch(self, name, entries):
        if self.hiccups:
            return super().send_batch(name, entries)
        self.hiccups += 1
        result = super().send_batch(name, entries[1:])
        result.failed[entries[0].id] = EntryFailure("InternalError", "try again", False)
        return BatchResult(result.ok, result.failed)


def test_server_side_entry_failures_are_retried_without_counting_attempts(sqs_url, tmp_path):
    store = filled_store(tmp_path, runs=2, jobs_per_run=2)
    expected = outbox_ids(store)
    settings = settings_for(sqs_url, store.path)
    worker = Worker(store, settings, options=FAST, sqs=_HiccupOnce(settings))
    wait_until(
        lambda: worker.run(burst=True) >= 0 and count(store, "pending") == 0, what="the drain"
    )
    assert store.scalar("SELECT MAX(attempts) FROM outbox") == 0
    _assert_all_arrived(drain(settings), expected)
