"""What Flaky Tests reads from the store (``core.store.flaky.test_history``): each job execution
from the best source it has, one spelling per test, and the passes a job's conclusion tells.

The history is written here: one job, ``unit``, run on ten commits of main. Runs 0 to 5 are
older than the reports (only the failed run 2 has a log, naming one failing test in the
console's spelling); runs 6 to 9 have JUnit reports. Run 8 was re-run: its failed first attempt
has a log only, its second attempt a report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.logs.reports.junit import TestResult
from core.store.db import Store
from core.store.flaky import test_history as read_test_history
from core.store.ingest import save_test_results
from core.store.runs import RunBundle, save_repository, save_run_bundle

REPO = "acme/shop"
X, Y = "tests.test_cart::test_total", "tests.test_cart::test_empty"
X_LOG = "tests/test_cart.py::test_total"


def job_id(run: int, attempt: int) -> int:
    return 500 + run * 10 + attempt


def save_run(store: Store, repo_id: int, run: int, conclusions: list[str]) -> None:
    """Run ``100 + run`` on commit ``sha<run>`` of main, one attempt per conclusion, each with
    one job ``unit`` (job id :func:`job_id`)."""
    attempts = [
        {
            "id": 100 + run,
            "run_attempt": attempt,
            "name": "CI",
            "event": "push",
            "status": "completed",
            "conclusion": conclusion,
            "head_branch": "main",
            "head_sha": f"sha{run}",
            "created_at": f"2026-03-{run + 1:02d}T10:0{attempt}:00Z",  # a re-run comes later
            "updated_at": f"2026-03-{run + 1:02d}T10:10:00Z",
        }
        for attempt, conclusion in enumerate(conclusions, start=1)
    ]
    jobs = {
        attempt: [
            {
                "id": job_id(run, attempt),
                "name": "unit",
                "status": "completed",
                "conclusion": conclusion,
            }
        ]
        for attempt, conclusion in enumerate(conclusions, start=1)
    }
    save_run_bundle(store, repo_id, REPO, RunBundle(attempts[-1], attempts[:-1], jobs))


def _save_results(store: Store, repo_id: int, run: int, attempt: int, source: str, results):
    save_test_results(
        store,
        repo_id,
        job_id(run, attempt),
        [TestResult(test, test, "", None, outcome) for test, outcome in results],
        source,
    )


@pytest.fixture()
def history(tmp_path) -> pd.DataFrame:
    store = Store(tmp_path / "s.db")
    repo_id = save_repository(store, {"id": 1, "full_name": REPO, "default_branch": "main"})
    for run in range(10):
        conclusions = ["failure" if run == 2 else "success"]
        if run == 8:
            conclusions = ["failure", "success"]
        save_run(store, repo_id, run, conclusions)
    _save_results(store, repo_id, 2, 1, "console", [(X_LOG, "failed")])
    _save_results(store, repo_id, 8, 1, "console", [(X_LOG, "failed")])
    for run in (6, 7, 8, 9):
        attempt = 2 if run == 8 else 1
        _save_results(store, repo_id, run, attempt, "junit", [(X, "passed"), (Y, "passed")])
    _save_results(store, repo_id, 7, 1, "console", [(X_LOG, "failed")])  # a report's job
    return read_test_history(store, repo_id)


def _outcomes(history: pd.DataFrame, test: str) -> list[tuple[int, int, str]]:
    rows = history[history["test_id"] == test]
    return list(
        zip(rows["run_id"].astype(int) - 100, rows["attempt"], rows["outcome"], strict=True)
    )


def test_a_test_has_one_history_under_its_reports_spelling(history):
    """The log's node id and the report's dotted id name one test: its failures from logs and
    its passes from reports must be one series, or neither half would show it flaky."""
    assert set(history["test_id"]) == {X, Y}


def test_a_test_that_failed_in_a_job_passed_wherever_that_job_said_nothing_failed(history):
    """Before the reports, only the failed run 2 was written down. The runs that succeeded had
    no failing test, so ``test_total`` passed there; without those passes its two failures
    (runs 2 and 8) would be back to back, which reads as a regression. A report, where there is
    one, is the whole truth about its execution (run 7's log is not read), and the failed first
    attempt of run 8, which only a log tells, is kept next to its passing re-run."""
    expected = [(run, 1, "passed") for run in range(10)]
    expected[2] = (2, 1, "failed")
    expected[8:9] = [(8, 1, "failed"), (8, 2, "passed")]
    assert _outcomes(history, X) == expected


def test_a_test_that_never_failed_gets_a_pass_only_where_its_job_failed(history):
    """Where a log names the failures of its job, the job's other tests passed: those passes
    say how large a share of the job failed, which the outage guard weighs. Where the job
    succeeded they would change nothing for a test that never failed, so none are added."""
    assert _outcomes(history, Y) == [
        (2, 1, "passed"),
        (6, 1, "passed"),
        (7, 1, "passed"),
        (8, 1, "passed"),
        (8, 2, "passed"),
        (9, 1, "passed"),
    ]


def test_rows_come_oldest_first_with_each_runs_branch(history):
    assert history["created_at"].is_monotonic_increasing
    assert set(history["branch"]) == {"main"}
    assert list(history.columns) == [
        "test_id",
        "outcome",
        "run_id",
        "attempt",
        "commit_sha",
        "created_at",
        "job",
        "branch",
        "message",
    ]


def test_the_words_of_a_history_are_stored_once_each(history):
    """Millions of results name a few thousand tests, jobs, commits and times: each row holds a
    code, each word is stored once (pandas keeps every cell of a text column)."""
    for name in ("test_id", "outcome", "commit_sha", "created_at", "job", "branch"):
        assert isinstance(history[name].dtype, pd.CategoricalDtype), name
    assert history["created_at"].cat.categories.is_monotonic_increasing  # codes sort as words


@pytest.mark.parametrize(("places", "band"), [(50, 1 << 22), (50, 300), (3_000_000_000, 300)])
def test_the_time_order_is_a_stable_sort_by_execution_then_test(
    places: int, band: int, monkeypatch
) -> None:
    """Rows sort by their execution's place in time, then by test (no test first), ties in
    row order, whether they are sorted at once or a band of places at a time (300 rows: ~17
    bands); with places too many for 4-byte keys the order is the same, in 8 bytes."""
    from core.store import flaky
    from core.store.flaky import _time_order

    monkeypatch.setattr(flaky, "_ROWS_PER_BAND", band)
    rng = np.random.default_rng(3)
    place = rng.integers(0, places, 40, dtype=np.int64)
    at = rng.integers(0, 40, 5_000).astype(np.int32)
    test = rng.integers(-1, 6, 5_000).astype(np.int32)

    order = _time_order(place, at, test, 6)

    expected = np.argsort(place[at] * 7 + test + 1, kind="stable")
    assert order.tolist() == expected.tolist()
