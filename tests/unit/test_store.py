"""The store: schema versioning, WAL, idempotent upserts, concurrent processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.store.db import SCHEMA_VERSION, WAL_CHECKPOINT_PAGES, WAL_LIMIT_BYTES, Store
from core.store.runs import RunBundle, save_repository, save_run_bundle
from tests.old_stores import written_by_schema
from tests.stored_results import stored_results

ROOT = Path(__file__).resolve().parents[2]
REPO = {"id": 1, "full_name": "acme/app", "default_branch": "main"}


def _run(run_id: int, attempt: int = 1, status: str = "completed") -> dict:
    return {
        "id": run_id,
        "run_attempt": attempt,
        "name": "CI",
        "status": status,
        "conclusion": "success" if status == "completed" else None,
        "head_sha": "abc",
        "created_at": "2024-05-01T10:00:00Z",
        "run_started_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-05-01T10:05:00Z",
        "pull_requests": [{"number": 7}],
        "actor": {"login": "dev"},
    }


def _job(job_id: int, run_id: int, attempt: int = 1) -> dict:
    return {
        "id": job_id,
        "run_id": run_id,
        "run_attempt": attempt,
        "name": "test",
        "status": "completed",
        "conclusion": "success",
        "created_at": "2024-05-01T10:00:00Z",
        "started_at": "2024-05-01T10:00:30Z",
        "completed_at": "2024-05-01T10:04:30Z",
        "labels": ["ubuntu-latest"],
        "steps": [
            {
                "name": "Set up job",
                "number": 1,
                "status": "completed",
                "conclusion": "success",
                "started_at": "2024-05-01T10:00:30Z",
                "completed_at": "2024-05-01T10:00:32Z",
            }
        ],
    }


def test_given_a_new_path_when_opened_then_schema_is_current_and_wal(tmp_path):
    store = Store(tmp_path / "sub" / "s.db")
    assert store.schema_version == SCHEMA_VERSION
    assert store.scalar("PRAGMA journal_mode") == "wal"


def test_given_a_connection_when_opened_then_the_wal_is_copied_back_per_64_mib_and_cut_back(
    tmp_path,
):
    """Not SQLite's 4 MB: a copy back writes every page the WAL holds, so a bulk ingestion
    copied the same index pages back again and again (see core.store.db)."""
    store = Store(tmp_path / "s.db")

    page = store.scalar("PRAGMA page_size")
    assert store.scalar("PRAGMA wal_autocheckpoint") == WAL_CHECKPOINT_PAGES
    assert WAL_CHECKPOINT_PAGES * page == WAL_LIMIT_BYTES == 64 * 1024 * 1024
    assert store.scalar("PRAGMA journal_size_limit") == WAL_LIMIT_BYTES


def test_given_a_store_of_an_older_release_when_opened_then_it_is_upgraded_keeping_its_rows(
    tmp_path,
):
    path = tmp_path / "old.db"
    conn = written_by_schema(path, SCHEMA_VERSION - 1)
    conn.execute("INSERT INTO repositories (id, full_name) VALUES (1, 'acme/app')")
    conn.execute("INSERT INTO sync_state (repo_id, status) VALUES (1, 'ok')")
    conn.commit()
    conn.close()

    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.query("SELECT status, full_pending FROM sync_state")[0][:] == ("ok", 0)


def test_given_a_store_keyed_by_github_ids_alone_when_opened_then_its_history_is_rekeyed_whole(
    tmp_path,
):
    """V5 keys runs, jobs, steps, logs, test results and run reports by repository + id; the
    copy keeps every row and gives each step its job's repository."""
    path = tmp_path / "v4.db"
    conn = written_by_schema(path, 4)
    rows = {
        "repositories (id, full_name)": (7, "acme/app"),
        "workflows (id, repo_id, name)": (70, 7, "CI"),
        "runs (run_id, attempt, repo_id, status)": (100, 1, 7, "completed"),
        "jobs (job_id, run_id, attempt, repo_id, name)": (1000, 100, 1, 7, "test"),
        "steps (job_id, number, name)": (1000, 1, "Run tests"),
        "logs (job_id, repo_id, state)": (1000, 7, "ok"),
        "test_results (job_id, test_id, repo_id, outcome)": (1000, "t.a", 7, "passed"),
        "run_reports (run_id, attempt, repo_id, tests)": (100, 1, 7, 1),
    }
    for table, values in rows.items():
        conn.execute(f"INSERT INTO {table} VALUES ({','.join('?' * len(values))})", values)
    conn.commit()
    conn.close()

    store = Store(path)

    assert store.schema_version == SCHEMA_VERSION
    assert tuple(store.query("SELECT repo_id, job_id, number, name FROM steps")[0]) == (
        7,
        1000,
        1,
        "Run tests",
    )
    for table, values in rows.items():
        columns = table.split(" ", 1)[1]
        source = stored_results(store) if table.startswith("test_results") else table.split()[0]
        assert tuple(store.query(f"SELECT {columns.strip('()')} FROM {source}")[0]) == values


def test_given_a_store_from_the_future_when_opened_then_clear_error(tmp_path):
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(ConfigError, match="newer CI Medic"):
        Store(path)


def test_given_the_same_bundle_twice_when_saved_then_nothing_is_duplicated(tmp_path):
    store = Store(tmp_path / "s.db")
    repo_id = save_repository(store, REPO)
    bundle = RunBundle(run=_run(10), jobs={1: [_job(100, 10)]})
    first = save_run_bundle(store, repo_id, "acme/app", bundle)
    second = save_run_bundle(store, repo_id, "acme/app", bundle)
    assert first == 1 and second == 0  # one run message (its job inside); the replay adds none
    counts = [store.scalar(f"SELECT COUNT(*) FROM {t}") for t in ("runs", "jobs", "steps")]
    assert counts == [1, 1, 1]


def test_given_a_rerun_when_saved_then_only_the_new_attempt_is_latest(tmp_path):
    store = Store(tmp_path / "s.db")
    repo_id = save_repository(store, REPO)
    save_run_bundle(store, repo_id, "acme/app", RunBundle(run=_run(10), jobs={1: [_job(1, 10)]}))
    save_run_bundle(
        store, repo_id, "acme/app", RunBundle(run=_run(10, attempt=2), jobs={2: [_job(2, 10, 2)]})
    )
    rows = store.query("SELECT attempt, is_latest FROM runs ORDER BY attempt")
    assert [tuple(r) for r in rows] == [(1, 0), (2, 1)]


def test_given_a_failing_write_when_inside_a_transaction_then_nothing_is_kept(tmp_path):
    store = Store(tmp_path / "s.db")
    save_repository(store, REPO)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.execute("DELETE FROM repositories")
        raise RuntimeError("boom")
    assert store.scalar("SELECT COUNT(*) FROM repositories") == 1


def _writer(path: str, start: int) -> None:
    store = Store(path)
    repo_id = save_repository(store, REPO)
    for run_id in range(start, start + 40):
        save_run_bundle(
            store,
            repo_id,
            "acme/app",
            RunBundle(run=_run(run_id), jobs={1: [_job(run_id * 10, run_id)]}),
        )


def test_given_two_processes_writing_when_both_finish_then_every_run_is_there(tmp_path):
    path = str(tmp_path / "s.db")
    Store(path)
    code = "import sys; from tests.unit.test_store import _writer; _writer(sys.argv[1], {})"
    procs = [
        subprocess.Popen([sys.executable, "-c", code.format(start), path], cwd=ROOT)
        for start in (1, 1000)
    ]
    assert [proc.wait(120) for proc in procs] == [0, 0]
    assert Store(path).scalar("SELECT COUNT(*) FROM runs") == 80
