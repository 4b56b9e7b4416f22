"""Log Ingester through the emulator: logs, test results, and hostile input that loses nothing."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from datetime import timedelta

import pytest

from agents.base import AgentContext
from agents.log_ingester.agent import LogIngester
from agents.pipeline_monitor.agent import sync_repository
from agents.runner import run_agent
from core.errors import BudgetExhausted
from core.github.source import GitHubSource
from core.messages.envelope import validate
from core.sandbox.demo.generator import DEMO_REPO
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from core.store.ingest import match_artifact_to_job
from core.store.logs import load_log, log_info
from tests.integration.conftest import ALL_HISTORY, settings_for, source_for
from tests.integration.dump_factory import FULL_NAME, job_id, make_dump, run_id
from tests.stored_results import stored_results

BIG = 200 * 1024 * 1024


def _bomb() -> bytes:
    """A real zip bomb: 200 MiB of zeros deflated to a few hundred KiB."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("junit.xml", "w", force_zip64=True) as member,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(200):
            member.write(block)
    return buffer.getvalue()


def _traversal() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.xml", "<testsuite/>")
    return buffer.getvalue()


def _replace_artifact(root, index: int, data: bytes) -> None:
    folder = root / "artifacts" / str(run_id(index)) / "test-results"
    for path in folder.iterdir():
        path.unlink()
    (folder / "__raw__.zip").write_bytes(data)


def _write_log(root, job: int, data: bytes) -> None:
    for old in (root / "logs").glob(f"{job}.txt*"):
        old.unlink()
    (root / "logs" / f"{job}.txt.gz").write_bytes(gzip.compress(data, compresslevel=1))


@pytest.fixture(scope="module")
def hostile_dump(tmp_path_factory):
    """Runs 2, 5, 8, 11, 14 fail (job 1): 2, 5, 8 get hostile logs, 11 none, 14 stays clean."""
    root = make_dump(tmp_path_factory.mktemp("hostile") / "dump", runs=15, expired_logs=(11,))
    line = b"2024-05-01T12:00:00.0000000Z step output that repeats and repeats\n"
    huge = line * (BIG // len(line)) + b"2024-05-01T12:09:00.0000000Z ##[error]the real cause\n"
    _write_log(root, job_id(2, 1, 1), huge)
    _write_log(root, job_id(5, 1, 1), os.urandom(256 * 1024))
    _write_log(root, job_id(8, 1, 1), b"2024-05-01T12:00:00.0000000Z <script>alert(1)</script>\n")
    _replace_artifact(root, 3, _bomb())
    _replace_artifact(root, 4, _traversal())
    return root


@pytest.fixture(scope="module")
def ingested(hostile_dump, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "s.db"
    with Emulator(hostile_dump) as emu:
        settings = settings_for(emu, db)
        source = GitHubSource(settings, sleep=lambda _s: None)
        store = Store(db)
        sync_repository(store, source, FULL_NAME, history=timedelta(days=9000))
        result = run_agent(LogIngester(), AgentContext(store, settings, FULL_NAME, source=source))
        again = run_agent(LogIngester(), AgentContext(store, settings, FULL_NAME, source=source))
    return store, result, again


def test_failed_jobs_and_their_last_green_predecessors_get_logs(ingested):
    store, result, _ = ingested
    failed = {job_id(i, 1, 1) for i in (2, 5, 8)}
    green_before = {job_id(i, 1, 1) for i in (1, 4, 7, 10)}  # same job name, last success
    stored = {r[0] for r in store.query("SELECT job_id FROM logs WHERE state = 'ok'")}
    assert failed <= stored and green_before <= stored
    assert result.metrics["logs"] == len(stored)


def test_every_queued_message_is_valid_against_its_schema(ingested):
    store, _, _ = ingested
    bodies = [r[0] for r in store.query("SELECT body FROM outbox")]
    kinds = {validate(body)["event_type"] for body in bodies}
    assert {"workflow_run", "job_log"} <= kinds  # jobs travel inside their run


def test_a_second_run_fetches_nothing_again(ingested):
    _store, _result, again = ingested
    assert again.metrics["logs"] == 0 and again.metrics["reports"] == 0


def test_a_200_mb_log_is_kept_as_head_and_tail_with_true_line_numbers(ingested):
    store, _, _ = ingested
    info = log_info(store, store.repo_id(FULL_NAME), job_id(2, 1, 1))
    assert info.truncated and info.raw_bytes > BIG
    log = load_log(store, store.repo_id(FULL_NAME), job_id(2, 1, 1))
    assert log.texts[-1].endswith("the real cause") and log.line_numbers[-1] == info.n_lines
    assert any("truncated" in text for text in log.texts)
    assert (
        store.scalar("SELECT LENGTH(content) FROM logs WHERE job_id = ?", (job_id(2, 1, 1),))
        < 25 * 1024 * 1024
    )


def test_a_log_of_random_bytes_is_stored_readable(ingested):
    store, _, _ = ingested
    log = load_log(store, store.repo_id(FULL_NAME), job_id(5, 1, 1))
    assert log is not None and log.is_binary


def test_html_in_a_log_stays_text(ingested):
    store, _, _ = ingested
    log = load_log(store, store.repo_id(FULL_NAME), job_id(8, 1, 1))
    assert "<script>alert(1)</script>" in log.texts


def test_an_expired_log_is_recorded_and_not_asked_for_again(ingested):
    store, _, _ = ingested
    assert log_info(store, store.repo_id(FULL_NAME), job_id(11, 1, 1)).state == "expired"


def test_a_zip_bomb_and_a_traversal_zip_are_refused_with_reasons_and_the_rest_flows(ingested):
    store, result, _ = ingested
    errors = dict(store.query("SELECT run_id, error FROM run_reports WHERE error IS NOT NULL"))
    assert set(errors) == {run_id(3), run_id(4)}
    assert "ratio" in errors[run_id(3)].lower() or "bomb" in errors[run_id(3)].lower()
    assert "path" in errors[run_id(4)].lower()
    results = stored_results(store)
    junit_runs = {
        r[0] for r in store.query(f"SELECT DISTINCT run_id FROM {results} WHERE source = 'junit'")
    }
    assert len(junit_runs) == 13  # 15 runs minus the two refused archives


def test_console_and_junit_results_agree_on_the_failing_test(ingested):
    store, _, _ = ingested
    failed = store.query(
        f"SELECT source, test_id FROM {stored_results(store)} WHERE outcome = 'failed' "
        "AND job_id = ? ORDER BY source",
        (job_id(14, 1, 1),),
    )
    assert [source for source, _ in failed] == ["console", "junit"]
    assert all(test_id.endswith("test_flaky") for _, test_id in failed)


@pytest.mark.parametrize(
    "artifact, expected",
    [
        ("pytest-results-3.11", 1),
        ("pytest-results-windows", 2),
        ("jest-junit", 3),
        ("coverage-html", None),
    ],
)
def test_artifacts_are_matched_to_the_job_that_wrote_them(artifact, expected):
    jobs = {
        1: "backend (ubuntu-latest, 3.11) Run pytest",
        2: "backend (windows-latest, 3.12) Run pytest",
        3: "frontend Run jest",
    }
    assert match_artifact_to_job(artifact, jobs) == expected


def _log_fetch(emu, db, **changes):
    settings = settings_for(emu, db, **changes)
    source = GitHubSource(settings, sleep=lambda _s: None)
    return run_agent(LogIngester(), AgentContext(Store(db), settings, DEMO_REPO, source=source))


def _stored(db) -> dict[str, set]:
    store = Store(db)
    return {
        "logs": {tuple(r) for r in store.query("SELECT job_id, state FROM logs")},
        "tests": {
            tuple(r)
            for r in store.query(f"SELECT job_id, test_id, outcome FROM {stored_results(store)}")
        },
        "reports": {tuple(r) for r in store.query("SELECT run_id, attempt FROM run_reports")},
    }


def test_a_log_fetch_stopped_by_its_budget_keeps_what_it_fetched_and_resumes_without_gaps(
    emulator, tmp_path
):
    """Logs and reports are saved in batches; a stop mid-batch (budget, rate limit) still saves
    every download made before it, and the next fetch asks only for the rest."""
    clean, stopped = tmp_path / "clean.db", tmp_path / "stopped.db"
    for db in (clean, stopped):
        sync_repository(Store(db), source_for(emulator, db), DEMO_REPO, history=ALL_HISTORY)
    _log_fetch(emulator, clean)
    with pytest.raises(BudgetExhausted):
        _log_fetch(emulator, stopped, request_budget=25)
    partial = _stored(stopped)
    assert 0 < len(partial["logs"]) < len(_stored(clean)["logs"])
    resumed = _log_fetch(emulator, stopped)
    assert _stored(stopped) == _stored(clean)
    fetched_again = resumed.metrics["logs"] + resumed.metrics["expired"]
    assert fetched_again + len(partial["logs"]) == len(_stored(clean)["logs"])
