"""The worker against a real SQS-compatible server on loopback (moto), through boto3.

Given a store filled by the real import path (and analysis results written by agents), when the
worker drains the outbox, then a consumer receives every message once, whole and valid against
its schema, and nothing that looks like a secret ever reaches a queue.
"""

from __future__ import annotations

import json
import threading
import time

import boto3
import pytest

from core.errors import PublishError
from core.messages.envelope import make_message, split_body
from core.queue.cli import main
from core.queue.consumer import consume
from core.queue.local_server import start_local_sqs, stop_local_sqs, trim_queue
from core.queue.sqs import SqsAdapter, SqsUnavailable, make_client
from core.queue.supervisor import ensure_worker, stop_workers
from core.queue.worker import Worker
from core.store.outbox import enqueue, stats
from tests.integration.sqs_support import (
    FAST,
    count,
    demo_store,
    drain,
    drain_during,
    filled_store,
    outbox_ids,
    settings_for,
    wait_until,
)

pytest_plugins = ["tests.integration.sqs_fixtures"]  # fixtures: moto, sqs_url, aws_env

REPO = "octo-org/demo"


def analysis_messages(repo: str = REPO, log_bytes: int = 600_000) -> list:
    """One message of every non-metrics event type, as the Layer 1-3 agents write them."""
    log = "".join(f"2026-01-01T00:00:{i % 60:02d}Z step {i}: ok\n" for i in range(100_000))
    return [
        make_message(
            "job_log",
            repo,
            "log:1",
            {
                "job_id": 1,
                "run_id": 9,
                "encoding": "utf-8",
                "content": log[:log_bytes],
                "n_lines": 1,
            },
        ),
        make_message(
            "feature_set",
            repo,
            "features:job:1",
            {
                "subject": "job:1",
                "feature_version": 1,
                "features": {"duration_s": 312.5, "queue_s": 4.0, "is_main": True},
            },
        ),
        make_message(
            "anomaly",
            repo,
            "anomaly:run:9",
            {
                "subject": "run:9",
                "metric": "duration_s",
                "value": 900.0,
                "expected": 300.0,
                "score": 4.2,
                "severity": "high",
            },
        ),
        make_message(
            "flaky_test",
            repo,
            "flaky:t1",
            {"test_id": "tests/test_api.py::test_login", "flake_rate": 0.18, "runs": 50},
        ),
        make_message(
            "root_cause",
            repo,
            "rca:job:1",
            {
                "subject": "job:1",
                "job_id": 1,
                "category": "dependency",
                "confidence": 0.8,
                "evidence": ["ERROR: Could not find a version that satisfies"],
            },
        ),
        make_message(
            "prediction",
            repo,
            "pred:run:10",
            {
                "subject": "run:10",
                "probability": 0.73,
                "label": "fail",
                "model": "rf-v1",
                "top_features": [{"feature": "files_changed", "value": 40, "shap": 0.21}],
            },
        ),
        make_message(
            "remediation",
            repo,
            "fix:job:1",
            {"subject": "job:1", "action": "pin dependency", "status": "dry_run", "risk": "low"},
        ),
    ]


def test_demo_sync_and_analysis_arrive_whole_and_valid(sqs_url, tmp_path):
    store = demo_store(tmp_path)
    with store.transaction() as tx:
        enqueue(tx, analysis_messages())
    expected = outbox_ids(store)
    settings = settings_for(sqs_url, store.path)

    worker = Worker(store, settings, options=FAST)
    sent, deliveries = drain_during(settings, lambda: worker.run(burst=True))

    assert sent == len(expected) and count(store, "sent") == len(expected)
    assert [d.error for d in deliveries if d.error] == []
    assert sorted(d.envelope["message_id"] for d in deliveries) == sorted(expected)
    big = analysis_messages()[0].message_id  # the 600 kB log, among the demo's own logs
    log = next(d for d in deliveries if d.envelope["message_id"] == big)
    stored = store.scalar("SELECT body FROM outbox WHERE message_id = ?", (big,))
    assert log.parts > 1 and json.loads(stored)["data"] == log.envelope["data"]
    kinds = set(d.envelope["event_type"] for d in deliveries)
    assert {"workflow_run", "commit", "job_log", "prediction"} <= kinds
    runs = [d.envelope for d in deliveries if d.envelope["event_type"] == "workflow_run"]
    carried = {(job["job_id"], job["attempt"]) for run in runs for job in run["data"]["jobs"]}
    stored = {tuple(r) for r in store.query("SELECT job_id, attempt FROM jobs")}
    assert carried == stored  # every stored job arrived, inside its run's message
    frame = stats(store).set_index("queue")
    assert frame["sent_total"].sum() == len(expected) and frame["backlog"].sum() == 0
    health = store.query("SELECT state, sent_total FROM worker_health")
    assert [tuple(r) for r in health] == [("stopped", len(expected))]


def test_fifo_queues_deduplicate_by_message_id_and_group_by_repo(sqs_url, tmp_path):
    store = filled_store(tmp_path, runs=3, jobs_per_run=2)
    fifo = {kind: f"ci_medic_{kind}.fifo" for kind in ("metrics", "logs", "features", "analysis")}
    settings = settings_for(sqs_url, store.path, queues=fifo)
    expected = outbox_ids(store)
    Worker(store, settings, options=FAST).run(burst=True)
    with store.transaction() as tx:  # publish everything a second time (a crash before marking)
        tx.execute("UPDATE outbox SET status = 'pending'")
    Worker(store, settings, options=FAST).run(burst=True)

    client = boto3.client("sqs", endpoint_url=sqs_url, region_name="us-east-1")
    url = client.get_queue_url(QueueName=fifo["metrics"])["QueueUrl"]
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    got = client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"]
    )["Messages"][0]
    client.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
    assert attributes["FifoQueue"] == "true"
    assert got["Attributes"]["MessageGroupId"] == REPO
    first_id = json.loads(got["Body"])["message_id"]
    assert got["Attributes"]["MessageDeduplicationId"] == first_id
    ids = [first_id] + [d.envelope["message_id"] for d in drain(settings)]
    assert sorted(ids) == sorted(expected)  # deduplicated: each exactly once


def test_missing_queue_is_not_created_when_not_allowed_and_nothing_dies(sqs_url, tmp_path):
    store = filled_store(tmp_path, runs=2, jobs_per_run=1)
    settings = settings_for(sqs_url, store.path, sqs_create_queues=False)
    worker = Worker(store, settings, options=FAST)
    assert worker.run(burst=True) == 0
    assert count(store, "dead") == 0 and count(store, "sent") == 0
    assert "creating queues is off" in (worker.last_error or "")
    attempts = store.scalar("SELECT MAX(attempts) FROM outbox")
    assert attempts == 0  # an outage is not the message's fault


def test_secrets_are_redacted_at_the_source_and_refused_at_the_edge(sqs_url, tmp_path):
    store = filled_store(tmp_path, runs=1, jobs_per_run=1)
    token = "ghp_" + "A1b2C3d4" * 5
    settings = settings_for(sqs_url, store.path, github_token="s3cret-configured-token-42")
    leaked = make_message(
        "root_cause",
        REPO,
        "rca:leak",
        {
            "subject": "job:1",
            "category": "auth",
            "confidence": 0.9,
            "evidence": [f"export GITHUB_TOKEN={token}", "AKIAIOSFODNN7EXAMPLE"],
        },
    )
    with store.transaction() as tx:
        enqueue(tx, [leaked])
        raw = json.loads(leaked.body)
        raw["message_id"], raw["data"]["summary"] = "f" * 32, "token s3cret-configured-token-42"
        tx.execute(
            "INSERT INTO outbox (message_id, queue, event_type, body, created_at)"
            " VALUES (?, 'analysis', 'root_cause', ?, ?)",
            ("f" * 32, json.dumps(raw), time.time()),
        )
    Worker(store, settings, options=FAST).run(burst=True)
    published = json.dumps([d.envelope for d in drain(settings)])
    assert token not in published and "AKIAIOSFODNN7EXAMPLE" not in published
    assert "s3cret-configured-token-42" not in published and "[REDACTED]" in published
    error = store.scalar("SELECT last_error FROM outbox WHERE status = 'dead'")
    assert "configured secret" in error


def test_consume_and_status_commands(sqs_url, tmp_path, capsys):
    store = filled_store(tmp_path, runs=2, jobs_per_run=2)
    common = ["--db", str(store.path), "--endpoint", sqs_url]
    assert main(["run", "--burst", *common]) == 0
    out = tmp_path / "metrics.jsonl"
    assert main(["consume", "metrics", "--out", str(out), *common]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {x["message_id"] for x in lines} == outbox_ids(store)
    assert all("_invalid" not in x for x in lines)
    assert main(["status", *common]) == 0
    printed = capsys.readouterr().out
    assert "ci_cd_metrics_queue" in printed and "stopped" in printed


def test_embedded_worker_starts_once_per_server_and_defers_to_a_live_one(sqs_url, tmp_path):
    store = filled_store(tmp_path, runs=2, jobs_per_run=1)
    settings = settings_for(sqs_url, store.path)

    def workers() -> int:
        return [t.name for t in threading.enumerate()].count("ci-medic-worker")

    before = workers()  # another test's worker may still be stopping
    try:
        first, second = ensure_worker(settings), ensure_worker(settings)
        assert first.worker_id == second.worker_id
        assert workers() == before + 1
        wait_until(lambda: count(store, "pending") == 0, what="the embedded worker to publish")
    finally:
        stop_workers()
    other = settings_for(sqs_url, tmp_path / "other.db")
    from core.queue.health import register
    from core.store.db import Store

    register(Store(other.db_path), "sidecar-elsewhere", "sidecar", sqs_url)  # live heartbeat
    try:
        wait_until(lambda: ensure_worker(other).state == "standby", what="standby")
    finally:
        stop_workers()


def test_local_server_queues_stay_bounded(aws_env, tmp_path):
    local = start_local_sqs()
    try:
        store = filled_store(tmp_path, runs=4, jobs_per_run=2)
        settings = settings_for(local.url, store.path)
        Worker(store, settings, options=FAST).run(burst=True)
        sqs = SqsAdapter(settings)
        name = settings.queues["metrics"]
        depth = sqs.depth(name)
        assert trim_queue(sqs, name, keep=depth) == 0  # within the bound: untouched
        assert trim_queue(sqs, name, keep=5) == depth and sqs.depth(name) == 0
    finally:
        stop_local_sqs(local)


def test_without_aws_configuration_nothing_probes_instance_metadata(tmp_path, monkeypatch):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    import botocore.httpsession

    real_send = botocore.httpsession.URLLib3Session.send

    def guarded_send(self, request):
        assert "169.254.169.254" not in request.url and "fd00:ec2" not in request.url, (
            "boto3 probed the instance-metadata address"
        )
        return real_send(self, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", guarded_send)
    settings = settings_for("", tmp_path / "s.db")
    sqs = SqsAdapter(settings, make_client(settings))
    import os

    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    with pytest.raises(SqsUnavailable) as info:
        sqs.queue_url("ci_cd_metrics_queue")
    assert isinstance(info.value, PublishError) and "credentials" in str(info.value).lower()
    local = make_client(settings_for("http://127.0.0.1:9", tmp_path / "s.db"))
    assert local._request_signer._credentials.access_key == "testing"


def test_a_consumer_stopping_half_way_through_a_split_message_hands_its_parts_back(
    sqs_url, tmp_path
):
    settings = settings_for(sqs_url, tmp_path / "unused.db")
    message = analysis_messages()[0]  # the 600 kB log: several parts
    parts = split_body(message.body, 256 * 1024)
    client = boto3.client("sqs", endpoint_url=sqs_url, region_name="us-east-1")
    url = client.create_queue(QueueName=settings.queues["logs"])["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody=parts[0])  # the rest is not published yet

    first = consume(
        SqsAdapter(settings),
        settings.queues["logs"],
        lambda _d: None,
        wait_s=0,
        idle_polls=1,
        visibility_s=300,
    )
    for part in parts[1:]:
        client.send_message(QueueUrl=url, MessageBody=part)
    got: list = []
    consume(
        SqsAdapter(settings),
        settings.queues["logs"],
        got.append,
        wait_s=0,
        idle_polls=1,
        visibility_s=300,
    )

    assert first.received == 1 and first.delivered == 0
    assert [d.envelope["message_id"] for d in got] == [message.message_id]  # not 300 s later
    assert got[0].parts == len(parts) and got[0].error is None


def test_given_app_work_running_when_the_embedded_worker_yields_then_it_publishes_right_after(
    sqs_url, tmp_path
):
    """The embedded worker leaves the app server's CPU to a running task, and catches up."""
    from dataclasses import replace

    store = filled_store(tmp_path, runs=2, jobs_per_run=1)
    pending = count(store, "pending")
    asked, busy = [0], [True]

    def task_running() -> bool:
        asked[0] += 1
        return busy[0]

    worker = Worker(
        store, settings_for(sqs_url, store.path), options=replace(FAST, yield_to=task_running)
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: asked[0] >= 3, what="the worker to look three times")
        assert count(store, "pending") == pending  # nothing sent while the task runs
        busy[0] = False
        wait_until(lambda: count(store, "pending") == 0, what="the worker to catch up")
    finally:
        worker.stop()
        thread.join(10)
