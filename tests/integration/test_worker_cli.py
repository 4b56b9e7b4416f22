"""The worker's commands as a new user runs them (issue 12), against a real moto server.

``status`` and ``consume`` only read, so they never create a store; ``consume`` finds the queue
where the store's worker publishes without being told the endpoint; a server that refuses
frequent purges is reported once, not every few seconds.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from core.queue.cli import main
from core.queue.local_server import STRICT_PURGE_ENV, start_local_sqs, stop_local_sqs
from core.queue.sqs import BatchRejected, SqsAdapter
from core.queue.worker import Worker
from core.store.db import Store
from tests.integration.sqs_support import (
    FAST,
    count,
    filled_store,
    outbox_ids,
    settings_for,
    wait_until,
)

pytest_plugins = ["tests.integration.sqs_fixtures"]  # fixtures: moto, sqs_url, aws_env


@pytest.fixture()
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with no AWS configuration, no endpoint setting and an empty CI Medic home."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "CI_MEDIC_SQS_ENDPOINT_URL",
        "CI_MEDIC_DB_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("CI_MEDIC_HOME", str(home / ".ci-medic"))
    return home / ".ci-medic"


def test_given_no_store_when_worker_status_then_it_refuses_naming_the_path_and_creates_none(
    no_aws, capsys
):
    default = no_aws / "ci_medic.db"

    code = main(["status"])

    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ")
    assert f"There is no store at {default}" in err and "--db" in err
    assert not default.exists() and not no_aws.exists()


def test_given_only_the_apps_demo_store_when_worker_status_then_it_points_there(no_aws, capsys):
    Store(no_aws / "demo.db").close()

    assert main(["status"]) == 1

    assert f"--db {no_aws / 'demo.db'}" in capsys.readouterr().err
    assert not (no_aws / "ci_medic.db").exists()


def test_given_a_live_worker_publishing_locally_when_consume_without_endpoint_then_it_reads_there(
    sqs_url, no_aws, tmp_path, capsys
):
    store = filled_store(tmp_path, runs=2, jobs_per_run=2)
    worker = Worker(store, settings_for(sqs_url, store.path), options=FAST)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: count(store, "pending") == 0, what="the worker to publish")
        out = tmp_path / "metrics.jsonl"

        code = main(["consume", "metrics", "--db", str(store.path), "--out", str(out)])

        err = capsys.readouterr().err
        assert code == 0, err
        assert f"Reading from {sqs_url}, where worker {worker.id} publishes" in err
        received = {json.loads(line)["message_id"] for line in out.read_text().splitlines()}
        metrics = {
            r[0] for r in store.query("SELECT message_id FROM outbox WHERE queue = 'metrics'")
        }
        assert received == metrics and metrics <= outbox_ids(store)
    finally:
        worker.stop()
        thread.join(10)


def test_given_no_endpoint_no_aws_and_no_live_worker_when_consume_then_it_says_how_to_start_one(
    no_aws, tmp_path, capsys
):
    store = filled_store(tmp_path, runs=1, jobs_per_run=1)

    code = main(["consume", "metrics", "--db", str(store.path)])

    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: There is no SQS to read from")
    assert f"python -m core.queue.worker run --local --db {store.path}" in err
    assert "Traceback" not in err


class _RefusesFrequentPurges(SqsAdapter):
    """SQS's rule: one PurgeQueue per queue per minute; this server refuses every purge."""

    purges: list[str]

    def purge(self, name: str) -> None:
        self.purges.append(name)
        raise BatchRejected(
            f"SQS PurgeQueue on {name} failed: AWS.SimpleQueueService.PurgeQueueInProgress: "
            f"Only one PurgeQueue operation on {name} is allowed every 60 seconds."
        )


def test_given_a_server_refusing_purges_when_the_worker_bounds_queues_then_it_says_so_once(
    sqs_url, tmp_path, caplog
):
    store = filled_store(tmp_path, runs=6, jobs_per_run=2)
    settings = settings_for(sqs_url, store.path)
    sqs = _RefusesFrequentPurges(settings)
    sqs.purges = []
    options = replace(FAST, batch_size=5, local_bound=2)
    worker = Worker(store, settings, sqs=sqs, options=options)

    with caplog.at_level(logging.DEBUG, logger="ci_medic.worker"):
        worker.run(burst=True)  # many small batches: the queues are trimmed after each one

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert count(store, "pending") == 0  # publishing itself is unaffected
    assert sqs.purges and len(sqs.purges) == len(set(sqs.purges))  # once per queue per minute
    assert len(warnings) == len(set(sqs.purges))  # and said once per queue
    assert all("PurgeQueueInProgress" in r.getMessage() for r in warnings)


def test_given_the_local_server_when_started_then_it_lets_the_worker_purge_every_few_seconds(
    aws_env, monkeypatch
):
    monkeypatch.delenv(STRICT_PURGE_ENV, raising=False)

    local = start_local_sqs()
    try:
        sqs = SqsAdapter(settings_for(local.url, Path(os.devnull)))
        sqs.queue_url("ci_cd_purge_check")
        sqs.purge("ci_cd_purge_check")
        sqs.purge("ci_cd_purge_check")  # newer moto refuses this one unless told not to
    finally:
        stop_local_sqs(local)

    assert os.environ[STRICT_PURGE_ENV] == "false"
