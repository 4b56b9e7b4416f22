"""report_batch: the test reports of several runs stored in one transaction, each test name
looked up once (TestIds), with a page cache big enough for the by-test index while it lasts.
What it stores is what storing each report by itself stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.logs.reports.junit import TestResult
from core.store.db import Store
from core.store.ingest import (
    ResultPreparer,
    mark_reports_read,
    report_batch,
    save_test_results,
    store_report,
)
from core.store.runs import save_repository
from tests.stored_results import stored_results

REPO = 7
JOBS = ({1000: "unit pytest", 1001: "e2e cypress"}, frozenset({1001}))


def reports() -> list[tuple[int, str, list[TestResult]]]:
    """(run, artifact, results): the same names run after run, and one new per run."""
    found = []
    for run in range(3):
        results = [
            TestResult(f"t::{n}", n, "t", None, "passed", 0.001 * len(n), None)
            for n in ("a", "bb", "ccc")
        ]
        results.append(TestResult(f"t::new{run}", "new", "t", None, "failed", None, "boom"))
        results.append(TestResult("t::a", "a", "t", None, "skipped", float("nan"), "again"))
        found.append((100 + run, "pytest-results", results))
    return found


def new_store(path: Path) -> Store:
    store = Store(path)
    save_repository(store, {"id": REPO, "full_name": "acme/app"})
    return store


def rows(store: Store) -> list[tuple]:
    return [
        tuple(r)
        for r in store.query(
            "SELECT job_id, test_id, outcome, duration_s, message, source"
            f" FROM {stored_results(store)} ORDER BY 1, 2"
        )
    ]


def test_given_several_runs_in_one_batch_when_stored_then_rows_equal_storing_each_by_itself(
    tmp_path: Path,
):
    alone, batched = new_store(tmp_path / "alone.db"), new_store(tmp_path / "batched.db")
    for run, artifact, results in reports():
        store_report(alone, REPO, run, 1, artifact, results, JOBS)

    with report_batch(batched, REPO) as ids:
        for run, artifact, results in reports():
            store_report(batched, REPO, run, 1, artifact, results, JOBS, ids)
            mark_reports_read(batched, REPO, run, 1, 1, len(results), None)

    assert rows(batched) == rows(alone) and len(rows(alone)) == 6  # all on job 1000
    names = [r[0] for r in batched.query("SELECT name FROM tests ORDER BY name")]
    assert names == ["t::a", "t::bb", "t::ccc", "t::new0", "t::new1", "t::new2"]
    assert batched.scalar("SELECT COUNT(*) FROM run_reports") == 3


def test_given_a_batch_that_fails_when_it_ends_then_nothing_of_it_stays_and_the_cache_is_back(
    tmp_path: Path,
):
    store = new_store(tmp_path / "s.db")
    before = store.scalar("PRAGMA cache_size")

    with pytest.raises(RuntimeError), report_batch(store, REPO) as ids:
        run, artifact, results = reports()[0]
        store_report(store, REPO, run, 1, artifact, results, JOBS, ids)
        assert store.scalar("PRAGMA cache_size") != before  # roomier while it lasts
        raise RuntimeError("the disk is full")

    assert store.scalar("PRAGMA cache_size") == before
    assert store.scalar("SELECT COUNT(*) FROM tests") == 0 and rows(store) == []
    save_test_results(store, REPO, 1000, reports()[1][2], "junit")  # ids are asked afresh
    assert {r[1] for r in rows(store)} == {"t::a", "t::bb", "t::ccc", "t::new1"}


def test_given_reports_with_the_same_tests_when_prepared_then_each_name_is_one_shared_string():
    """A batch holds its rows until its transaction: a test's name is kept once, not per row."""
    prepare = ResultPreparer()

    first, second = (prepare(results) for _run, _artifact, results in reports()[:2])

    assert first.rows[0][0] == "t::a" and first.rows[0][0] is second.rows[0][0]
    assert first.rows[0][0] is first.rows[-1][0]  # listed twice in a report: one string
    assert first.failed and not prepare(reports()[0][2][:3]).failed
    assert first.rows[3] == ("t::new0", 1, None, "boom") and first.rows[4][2] is None  # NaN


def test_given_prepared_results_when_stored_then_rows_equal_storing_the_parsed_results(
    tmp_path: Path,
):
    parsed, prepared = new_store(tmp_path / "parsed.db"), new_store(tmp_path / "prepared.db")
    prepare = ResultPreparer()

    for run, artifact, results in reports():
        store_report(parsed, REPO, run, 1, artifact, results, JOBS)
        store_report(prepared, REPO, run, 1, artifact, prepare(results), JOBS)

    assert rows(prepared) == rows(parsed) and rows(parsed)
