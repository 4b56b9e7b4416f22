"""Our parsers against the demo's planted truth: the counts a user sees are the real ones."""

from __future__ import annotations

from collections import Counter

import pytest

from core.dump.files import Dump
from core.store.db import Store
from tests.stored_results import stored_results


@pytest.fixture(scope="module")
def imported(small_demo, imported_demo, tmp_path_factory):
    """The small demo as imported (a copy of the session's import) and what it planted."""
    return imported_demo.copy_to(tmp_path_factory.mktemp("truth")), Dump(small_demo).truth()


def _counts(store: Store, source: str) -> dict[int, Counter]:
    rows = store.query(
        f"SELECT job_id, outcome, COUNT(*) FROM {stored_results(store)} WHERE source = ? "
        "GROUP BY job_id, outcome",
        (source,),
    )
    counts: dict[int, Counter] = {}
    for job_id, outcome, n in rows:
        key = "failed" if outcome in ("failed", "error") else outcome
        counts.setdefault(job_id, Counter())[key] += n
    return counts


def test_junit_reports_give_the_planted_pass_fail_skip_counts_of_every_job(imported):
    store, truth = imported
    junit = _counts(store, "junit")
    expected = {
        int(job): counts for job, counts in truth["test_counts"].items() if int(job) in junit
    }
    assert len(expected) > 50
    wrong = {
        job: (dict(junit[job]), counts)
        for job, counts in expected.items()
        if any(junit[job][k] != counts[k] for k in ("passed", "failed", "skipped"))
    }
    assert not wrong, list(wrong.items())[:3]


def test_console_output_finds_exactly_the_failed_tests_of_each_failing_job(imported):
    store, truth = imported
    console = _counts(store, "console")
    failing = {
        int(job): counts["failed"]
        for job, counts in truth["test_counts"].items()
        if counts["failed"] and int(job) in console
    }
    assert len(failing) > 5
    wrong = {
        job: (console[job]["failed"], n)
        for job, n in failing.items()
        if console[job]["failed"] != n
    }
    assert not wrong, list(wrong.items())[:3]


def test_the_failed_test_ids_match_the_planted_root_causes(imported):
    store, truth = imported
    planted = {
        int(job): set(cause["tests"])
        for job, cause in truth["root_causes"].items()
        if cause.get("tests")
    }
    found = {}
    for job_id, test_id in store.query(
        f"SELECT job_id, test_id FROM {stored_results(store)} WHERE "
        "source = 'junit' AND outcome IN ('failed', 'error')"
    ):
        found.setdefault(job_id, set()).add(test_id)
    compared = [job for job in planted if job in found]
    assert len(compared) > 5
    assert all(planted[job] <= found[job] for job in compared)
