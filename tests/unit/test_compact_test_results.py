"""Test results stored compactly (schema V8, issue 17): a store written before keeps every result
its readers showed, and what is written from now on reads back the same way.

The history here: one job, ``unit``, in run 100 (failed, then re-run green) and run 101. The
failed first attempt has only its log's word (``t::a`` failed); the others have JUnit reports,
one with a skipped test, an error and a passing test with a message of its own (pytest's
XPASS reason).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.logs.reports.junit import OUTCOMES, TestResult
from core.logs.reports.records import parse_seconds
from core.store.db import SCHEMA_VERSION, Store
from core.store.features import feature_inputs, job_rows
from core.store.flaky import test_history as read_history
from core.store.flaky import test_results_of as read_results
from core.store.ingest import save_test_results
from core.store.result_codes import OUTCOME_CODES, SOURCE_CODES
from core.store.runs import save_repository
from tests.old_stores import written_by_schema

REPO = 7
RUNS = [  # run_id, attempt, is_latest, created_at, conclusion
    (100, 1, 0, "2026-03-01T10:00:00Z", "failure"),
    (100, 2, 1, "2026-03-01T10:05:00Z", "success"),
    (101, 1, 1, "2026-03-02T10:00:00Z", "failure"),
]
JOBS = [(1000, 100, 1, "failure"), (1001, 100, 2, "success"), (1010, 101, 1, "failure")]
# as V7 stored them: job_id, test_id, repo_id, run_id, attempt, outcome, duration_s, message, source
V7_RESULTS = [
    (1000, "t::a", REPO, 100, 1, "failed", 1.5, "boom", "console"),
    (1001, "t::a", REPO, 100, 2, "passed", 0.25, None, "junit"),
    (1001, "t::b", REPO, 100, 2, "skipped", None, "not on linux", "junit"),
    (1010, "t::a", REPO, 101, 1, "passed", 0.0, "printed by the test", "junit"),
    (1010, "t::b", REPO, 101, 1, "error", 2.0, "setup failed", "junit"),
]


def v7_store(path: Path) -> Path:
    """A store as schema V7 wrote it, with the history above."""
    conn = written_by_schema(path, 7)
    conn.execute("INSERT INTO repositories (id, full_name) VALUES (?, 'acme/app')", (REPO,))
    conn.executemany(
        "INSERT INTO runs (run_id, attempt, repo_id, is_latest, created_at, status, conclusion,"
        " head_sha, head_branch) VALUES (?, ?, ?, ?, ?, 'completed', ?, 'sha', 'main')",
        [
            (run, attempt, REPO, latest, at, conclusion)
            for run, attempt, latest, at, conclusion in RUNS
        ],
    )
    conn.executemany(
        "INSERT INTO jobs (job_id, run_id, attempt, repo_id, name, status, conclusion)"
        " VALUES (?, ?, ?, ?, 'unit', 'completed', ?)",
        [(job, run, attempt, REPO, conclusion) for job, run, attempt, conclusion in JOBS],
    )
    conn.executemany("INSERT INTO test_results VALUES (?,?,?,?,?,?,?,?,?)", V7_RESULTS)
    conn.commit()
    conn.close()
    return path


def rows(frame: pd.DataFrame) -> list[tuple]:
    """A frame's rows as tuples, a missing value as None (pandas reads SQL NULL as NaN too)."""
    return [tuple(r) for r in frame.astype(object).where(frame.notna(), None).itertuples(False)]


@pytest.fixture()
def migrated(tmp_path: Path) -> Store:
    return Store(v7_store(tmp_path / "v7.db"))


def test_a_v7_store_is_upgraded_to_interned_tests_and_coded_outcomes(migrated: Store):
    assert migrated.schema_version == SCHEMA_VERSION
    assert [r[0] for r in migrated.query("SELECT name FROM tests ORDER BY id")] == ["t::a", "t::b"]
    columns = {r[1] for r in migrated.query("PRAGMA table_info(test_results)")}
    assert columns == {"repo_id", "job_id", "test", "outcome", "source", "duration_ms", "message"}
    stored = migrated.query(
        "SELECT job_id, outcome, source, duration_ms, message FROM test_results"
        " ORDER BY job_id, test"
    )
    passed, failed, error, skipped = (OUTCOME_CODES[o] for o in OUTCOMES)
    junit, console = SOURCE_CODES["junit"], SOURCE_CODES["console"]
    assert [tuple(r) for r in stored] == [  # V18: only the results with a message keep a row
        (1000, failed, console, 1500, "boom"),
        (1001, skipped, junit, None, "not on linux"),
        (1010, passed, junit, 0, "printed by the test"),
        (1010, error, junit, 2000, "setup failed"),
    ]


def test_one_tests_results_read_back_as_before_with_the_jobs_run_and_attempt(migrated: Store):
    results = read_results(migrated, REPO, "t::a")

    assert list(results.columns) == ["run_id", "attempt", "job", "created_at", "outcome", "message"]
    assert rows(results) == [
        (100, 1, "unit", "2026-03-01T10:00:00Z", "failed", "boom"),
        (100, 2, "unit", "2026-03-01T10:05:00Z", "passed", None),
        (101, 1, "unit", "2026-03-02T10:00:00Z", "passed", "printed by the test"),
    ]
    assert read_results(migrated, REPO, "t::nope").empty


def test_the_history_reads_back_each_execution_from_its_best_source(migrated: Store):
    history = read_history(migrated, REPO)

    assert rows(history[["test_id", "outcome", "run_id", "attempt", "message"]]) == [
        ("t::a", "failed", 100, 1, "boom"),
        ("t::b", "passed", 100, 1, None),  # the failed job's log named t::a alone
        ("t::a", "passed", 100, 2, None),
        ("t::b", "skipped", 100, 2, "not on linux"),
        ("t::a", "passed", 101, 1, "printed by the test"),
        ("t::b", "error", 101, 1, "setup failed"),
    ]


def test_the_feature_counts_of_tests_and_failures_per_run_and_per_job_are_unchanged(
    migrated: Store,
):
    per_run = feature_inputs(migrated, REPO).tests
    assert [tuple(r) for r in per_run.itertuples(index=False)] == [
        (100, 1, 1, 1),
        (100, 2, 2, 0),
        (101, 1, 2, 1),
    ]
    per_job = job_rows(migrated, REPO).set_index("job_id")[["tests", "test_failures"]]
    assert per_job.to_dict("index") == {
        1000: {"tests": 1, "test_failures": 1},
        1001: {"tests": 2, "test_failures": 0},
        1010: {"tests": 2, "test_failures": 1},
    }


def test_results_written_after_the_upgrade_reuse_the_interned_test(migrated: Store):
    """A report of the re-run replaces the log's word on the same job and test, as before."""
    report = [
        TestResult("t::a", "a", "t", None, "error", 0.5, "flaked"),
        TestResult("t::c", "c", "t", None, "passed", message="ok"),
    ]

    save_test_results(migrated, REPO, 1000, report, "junit")

    assert [r[0] for r in migrated.query("SELECT name FROM tests ORDER BY id")] == [
        "t::a",
        "t::b",
        "t::c",
    ]
    assert list(read_results(migrated, REPO, "t::a")["outcome"]) == ["error", "passed", "passed"]
    assert read_results(migrated, REPO, "t::c")[["outcome", "message"]].values.tolist() == [
        ["passed", "ok"]
    ]


@pytest.mark.parametrize("time", ["NaN", "inf", "-inf", "1e400", "1e300"])
def test_a_report_time_that_is_no_duration_is_stored_as_unknown(tmp_path: Path, time: str):
    """``float()`` reads these from a JUnit ``time`` attribute; none is a whole millisecond."""
    store = Store(tmp_path / "s.db")
    save_repository(store, {"id": REPO, "full_name": "acme/app"})
    result = TestResult("t::a", "a", "t", None, "failed", parse_seconds(time), "boom")

    save_test_results(store, REPO, 1000, [result], "junit")

    assert store.query("SELECT duration_ms, message FROM test_results")[0][:] == (None, "boom")
