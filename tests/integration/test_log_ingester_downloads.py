"""The Log Ingester's downloads run a few at a time: what is stored does not depend on it.

API calls (the artifact list's pages, each log's and artifact's 302) stay one at a time; the
downloads from the pre-signed URLs and their reading run on threads (in worker processes for
a long fetch). These tests check that a fetch on four threads, or in four processes, stores
exactly what a fetch one download at a time stores, in the same order (the outbox's order is
the order messages will be published in), that reading the repository's artifact list stores
what asking each run for its own stores, with fewer requests, and that a download that fails
costs its own artifact and nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.base import AgentContext
from agents.log_ingester import agent as log_ingester
from agents.log_ingester import artifact_lists, readers
from agents.log_ingester.agent import LogIngester
from agents.pipeline_monitor.agent import sync_repository
from agents.runner import run_agent
from core.sandbox.demo.generator import DEMO_REPO
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from tests.integration.conftest import ALL_HISTORY, settings_for, source_for
from tests.stored_results import stored_results


@pytest.fixture(scope="module")
def module_emulator(small_demo) -> Iterator[Emulator]:
    """One emulator for the module's fault-free fetches (a fault is planted on its own one),
    with room in its rate limit for all of them (a fetch of the small demo asks ~2k times)."""
    with Emulator(small_demo, rate_limit=100_000) as emu:
        yield emu


@pytest.fixture(scope="module")
def synced(module_emulator, tmp_path_factory) -> Path:
    """A synced store of the small demo, with no logs or reports yet."""
    db = tmp_path_factory.mktemp("synced") / "synced.db"
    sync_repository(Store(db), source_for(module_emulator, db), DEMO_REPO, history=ALL_HISTORY)
    return db


@pytest.fixture(scope="module")
def fetched(module_emulator, synced, tmp_path_factory) -> dict[int, Store]:
    """The synced store fetched one download at a time, four at a time on threads and four at a
    time in worker processes (each once for the module: a fetch of the whole small demo takes
    seconds); the requests made on threads under ``"requests"``, in processes under
    ``"requests in processes"``."""
    folder = tmp_path_factory.mktemp("fetched")
    counted: list[int] = []
    stores = {
        threads: _fetch(module_emulator, synced, folder, f"threads-{threads}.db", threads, counted)
        for threads in (1, 4)
    }
    requests = counted[-1]
    stores["processes"] = _fetch(
        module_emulator, synced, folder, "processes.db", 4, counted, processes=True
    )
    return {**stores, "requests": requests, "requests in processes": counted[-1]}


def _fetch(
    emulator: Emulator,
    synced: Path,
    folder: Path,
    name: str,
    threads: int,
    counted: list[int] | None = None,
    run_by_run: bool = False,
    batch_results: int | None = None,
    statements: list[str] | None = None,
    processes: bool = False,
) -> Store:
    """Fetch logs and reports into a copy of ``synced``; the requests made are appended to
    ``counted``; ``run_by_run``: each run's artifacts asked for by itself; ``batch_results``:
    the test results a batch of reports waits for; ``statements``: every SQL statement the
    fetch ran, appended as it ran; ``processes``: the downloads read in worker processes
    (however short the fetch), else on ``threads`` threads."""
    db = folder / name
    with sqlite3.connect(synced) as source, sqlite3.connect(db) as copy:
        source.backup(copy)  # the WAL's pages too (a file copy would miss them)
    settings = settings_for(emulator, db)
    source = source_for(emulator, db)
    store = Store(db)
    if statements is not None:
        with store.transaction() as conn:  # this thread's connection: the one the agent uses
            conn.set_trace_callback(statements.append)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(log_ingester, "READERS", threads)
        patch.setattr(readers, "READERS", threads)
        if run_by_run:
            patch.setattr(artifact_lists, "EXTRA_PAGES", 0)
        if batch_results is not None:
            patch.setattr(log_ingester, "BATCH_RESULTS", batch_results)
        agent = LogIngester()
        agent.processes_from = 0 if processes else 10**9
        run_agent(agent, AgentContext(store, settings, DEMO_REPO, source=source))
    if counted is not None:
        counted.append(source.requests_made)
    return Store(db)


def _written(store: Store) -> dict[str, list[tuple]]:
    """What the ingester wrote, in the order it wrote it where order is kept (the outbox)."""
    return {
        "logs": [
            tuple(r)
            for r in store.query(
                "SELECT job_id, state, raw_bytes, n_lines, content, error FROM logs ORDER BY job_id"
            )
        ],
        "tests": [
            tuple(r)
            for r in store.query(
                "SELECT job_id, test_id, outcome, source, duration_s, message"
                f" FROM {stored_results(store)} ORDER BY job_id, test_id, source"
            )
        ],
        "reports": [
            tuple(r)
            for r in store.query(
                "SELECT run_id, attempt, artifacts, tests, error FROM run_reports"
                " ORDER BY run_id, attempt"
            )
        ],
        "outbox": [
            tuple(r) for r in store.query("SELECT message_id, event_type FROM outbox ORDER BY id")
        ],
    }


def test_given_four_download_threads_when_fetched_then_the_store_equals_one_at_a_time(fetched):
    serial, threaded = _written(fetched[1]), _written(fetched[4])

    assert serial["tests"] and serial["logs"] and serial["outbox"]
    assert threaded == serial


def test_given_worker_processes_reading_when_fetched_then_the_store_and_requests_equal_threads(
    fetched,
):
    assert _written(fetched["processes"]) == _written(fetched[4])
    assert fetched["requests in processes"] == fetched["requests"]


def test_given_artifacts_listed_run_by_run_when_fetched_then_the_store_equals_the_repository_list(
    module_emulator, synced, fetched, tmp_path
):
    counted: list[int] = []

    by_run = _fetch(module_emulator, synced, tmp_path, "by-run.db", 4, counted, run_by_run=True)

    assert _written(by_run) == _written(fetched[4])
    runs = by_run.scalar("SELECT COUNT(*) FROM run_reports")
    assert runs and fetched["requests"] < counted[0] - runs // 2  # a page serves many runs


def test_given_one_artifact_download_failing_when_fetched_then_only_that_artifact_is_missing(
    emulator, synced, fetched, tmp_path
):
    clean = fetched[4]
    run_id, artifacts = clean.query(
        "SELECT run_id, artifacts FROM run_reports WHERE artifacts > 1 ORDER BY run_id LIMIT 1"
    )[0]
    jobs = dict(clean.query("SELECT job_id, name FROM jobs WHERE run_id = ?", (run_id,)))
    listed = source_for(emulator, tmp_path / "any.db").run_artifacts(DEMO_REPO, run_id)
    broken = next(a for a in listed if log_ingester.match_artifact_to_job(a["name"], jobs))
    emulator.faults.add(
        "server_error", path=rf"^/_downloads/.*/artifacts/{broken['id']}$", times=None
    )

    faulted = _fetch(emulator, synced, tmp_path, "faulted.db", 4)

    stored, error = faulted.query(
        "SELECT artifacts, error FROM run_reports WHERE run_id = ?", (run_id,)
    )[0]
    assert stored == artifacts - 1 and broken["name"] in error
    before, after = _written(clean), _written(faulted)
    assert after["logs"] == before["logs"] and after["outbox"] == before["outbox"]
    others = [r for r in after["reports"] if r[0] != run_id]
    assert others == [r for r in before["reports"] if r[0] != run_id]
    lost = set(before["tests"]) - set(after["tests"])
    assert lost and len({row[0] for row in lost}) == 1  # one artifact: one job's results
    assert set(after["tests"]) < set(before["tests"])


def _report_transactions(statements: list[str]) -> list[list[int]]:
    """Each transaction that stored reports, as the test results it had stored when it marked
    each of its runs read (a run's mark, its ``run_reports`` row as traced with its values,
    says how many results its reports held: the sixth value)."""
    found: list[list[int]] = []
    marks: list[int] = []
    rows = 0
    for sql in statements:
        if sql.startswith("BEGIN"):
            marks, rows = [], 0
        elif sql.startswith("INSERT OR REPLACE INTO run_reports"):
            rows += int(sql.split("VALUES (", 1)[1].split(",")[5])
            marks.append(rows)
        elif sql == "COMMIT" and marks:
            found.append(marks)
    return found


def test_given_a_limit_of_results_per_batch_when_fetched_then_each_batch_is_one_transaction(
    emulator, synced, fetched, tmp_path
):
    statements: list[str] = []

    batched = _fetch(
        emulator,  # its own: the module's has spent its rate limit on the fetches above
        synced,
        tmp_path,
        "batched.db",
        4,
        batch_results=2000,
        statements=statements,
    )

    transactions = _report_transactions(statements)
    runs = batched.scalar("SELECT COUNT(*) FROM run_reports")
    assert len(transactions) > 2 and sum(len(marks) for marks in transactions) == runs
    for marks in transactions[:-1]:  # each batch ends with the run that reached the limit
        assert marks[-1] >= 2000 and (len(marks) == 1 or marks[-2] < 2000)
    assert _written(batched) == _written(fetched[4])  # the same rows as in bigger batches
