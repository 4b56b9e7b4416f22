"""The CI minutes re-runs threw away, per test and per job (``minutes_wasted``, issue 15).

Specification (:mod:`agents.flaky_tests.waste`): an item that failed in attempt k of a run whose
same job ran again in attempt k + 1 wasted that failed attempt's minutes; tests that failed
together in one job attempt share its minutes equally, so the tests' minutes add up to the job
minutes thrown away; a failure never re-run wasted nothing. The store says which failed job
attempts were re-run (``core.store.flaky.rerun_job_attempts``).

The histories are written here: repository ``acme/shop``, workflow ``CI``, runs on main.
"""

from __future__ import annotations

import pandas as pd
import pytest

from agents.base import AgentContext
from agents.flaky_tests.agent import FlakyJobs, FlakyTests
from agents.flaky_tests.waste import wasted_minutes
from core.config import Settings
from core.logs.reports.records import TestResult
from core.store.db import Store
from core.store.flaky import job_history, rerun_job_attempts
from core.store.flaky import test_history as read_test_history
from core.store.ingest import save_test_results
from core.store.runs import RunBundle, save_repository, save_run_bundle

REPO = "acme/shop"
X, Y, Z = "tests.test_cart::test_total", "tests.test_cart::test_empty", "tests.test_pay::test_ok"

# One job of one attempt: (name, conclusion, minutes it ran, {test: outcome})
Job = tuple[str, str, float, dict[str, str]]


@pytest.fixture()
def store(tmp_path) -> Store:
    store = Store(tmp_path / "s.db")
    save_repository(store, {"id": 1, "full_name": REPO, "default_branch": "main"})
    return store


def save_run(store: Store, run: int, attempts: list[list[Job]]) -> None:
    """Run ``run`` on commit ``sha<run>``: one attempt per list, its jobs as given (job ids
    ``run * 100 + attempt * 10 + position``), each job's test results as a JUnit report."""
    repo_id = store.repo_id(REPO)
    payloads, jobs = [], {}
    for attempt, attempt_jobs in enumerate(attempts, start=1):
        conclusion = "failure" if any(j[1] != "success" for j in attempt_jobs) else "success"
        payloads.append(
            {
                "id": run,
                "run_attempt": attempt,
                "name": "CI",
                "event": "push",
                "status": "completed",
                "conclusion": conclusion,
                "head_branch": "main",
                "head_sha": f"sha{run}",
                "created_at": f"2026-03-{run:02d}T{attempt:02d}:00:00Z",
                "updated_at": f"2026-03-{run:02d}T{attempt:02d}:59:00Z",
            }
        )
        jobs[attempt] = [
            {
                "id": run * 100 + attempt * 10 + position,
                "name": name,
                "status": "completed",
                "conclusion": job_conclusion,
                "started_at": f"2026-03-{run:02d}T{attempt:02d}:00:00Z",
                "completed_at": f"2026-03-{run:02d}T{attempt:02d}:{int(minutes):02d}:00Z",
            }
            for position, (name, job_conclusion, minutes, _tests) in enumerate(attempt_jobs)
        ]
    save_run_bundle(store, repo_id, REPO, RunBundle(payloads[-1], payloads[:-1], jobs))
    for attempt, attempt_jobs in enumerate(attempts, start=1):
        for position, (_name, _conclusion, _minutes, tests) in enumerate(attempt_jobs):
            results = [TestResult(t, t, "", None, outcome) for t, outcome in tests.items()]
            if results:
                save_test_results(
                    store, repo_id, run * 100 + attempt * 10 + position, results, "junit"
                )


def minutes_of_tests(store: Store) -> dict[str, float]:
    repo_id = store.repo_id(REPO)
    wasted = wasted_minutes(read_test_history(store, repo_id), rerun_job_attempts(store, repo_id))
    return wasted.round(2).to_dict()


def minutes_of_jobs(store: Store) -> dict[str, float]:
    repo_id = store.repo_id(REPO)
    history = job_history(store, repo_id)
    return wasted_minutes(history, rerun_job_attempts(store, repo_id), "test_id").to_dict()


def test_a_test_that_failed_in_a_10_minute_job_passing_when_re_run_wasted_10_minutes(store):
    save_run(
        store,
        1,
        [
            [("unit", "failure", 10, {X: "failed", Y: "passed"})],
            [("unit", "success", 12, {X: "passed", Y: "passed"})],
        ],
    )
    assert minutes_of_tests(store) == {X: 10.0}  # the failed attempt's minutes, not the re-run's 12


def test_two_tests_that_failed_together_share_the_jobs_minutes_so_they_add_up(store):
    save_run(
        store,
        1,
        [
            [("unit", "failure", 10, {X: "failed", Y: "error", Z: "passed"})],
            [("unit", "success", 10, {X: "passed", Y: "passed", Z: "passed"})],
        ],
    )
    assert minutes_of_tests(store) == {X: 5.0, Y: 5.0}


def test_a_failure_never_re_run_wasted_nothing(store):
    save_run(store, 1, [[("unit", "failure", 10, {X: "failed"})]])
    save_run(store, 2, [[("unit", "success", 10, {X: "passed"})]])  # the next push fixed it
    assert minutes_of_tests(store) == {}
    assert minutes_of_jobs(store) == {}


def test_each_failed_attempt_a_re_run_followed_counts_and_the_last_one_does_not(store):
    """Attempt 1 (10 min) and attempt 2 (8 min) failed and were re-run; attempt 3 failed too
    and nobody re-ran it (a broken test: its re-runs were wasted all the same)."""
    save_run(
        store,
        1,
        [
            [("unit", "failure", 10, {X: "failed"})],
            [("unit", "failure", 8, {X: "failed"})],
            [("unit", "failure", 9, {X: "failed"})],
        ],
    )
    assert minutes_of_tests(store) == {X: 18.0}
    assert minutes_of_jobs(store) == {"unit": 18.0}


def test_a_failed_job_wasted_its_own_minutes_and_the_jobs_re_run_with_it_wasted_none(store):
    """A "re-run all jobs": lint passed in attempt 1 and ran again; only unit's failure is
    waste. e2e failed in a job that was not run again (re-run of failed jobs elsewhere): 0."""
    save_run(
        store,
        1,
        [
            [
                ("lint", "success", 2, {}),
                ("unit", "failure", 10, {X: "failed"}),
                ("e2e", "timed_out", 30, {}),
            ],
            [("lint", "success", 2, {}), ("unit", "success", 11, {X: "passed"})],
        ],
    )
    assert minutes_of_jobs(store) == {"unit": 10.0}
    assert minutes_of_tests(store) == {X: 10.0}


def test_a_failed_job_attempt_without_a_failing_test_is_charged_to_the_job_only(store):
    """The build broke before any test ran: no test is to blame, the job wasted its minutes."""
    save_run(
        store,
        1,
        [[("unit", "failure", 4, {})], [("unit", "success", 10, {X: "passed"})]],
    )
    assert minutes_of_tests(store) == {}
    assert minutes_of_jobs(store) == {"unit": 4.0}


def test_the_store_lists_only_the_failed_job_attempts_the_same_jobs_next_attempt_followed(store):
    save_run(
        store,
        1,
        [
            [("unit", "failure", 10, {}), ("lint", "success", 1, {}), ("e2e", "failure", 20, {})],
            [("unit", "failure", 7, {})],  # only unit was re-run, and failed again
            [("unit", "success", 7, {})],
        ],
    )
    reruns = rerun_job_attempts(store, store.repo_id(REPO))
    rows = reruns.sort_values("attempt").to_dict("records")
    assert rows == [
        {"run_id": 1, "attempt": 1, "job": "unit", "duration_s": 600.0},
        {"run_id": 1, "attempt": 2, "job": "unit", "duration_s": 420.0},
    ]


def test_both_agents_give_every_verdict_its_minutes_wasted(store):
    for run in range(1, 9):  # X flakes once in eight pushes; each job is 10 minutes
        flaky = run == 4
        first = [
            ("unit", "failure" if flaky else "success", 10, {X: "failed" if flaky else "passed"})
        ]
        again = [[("unit", "success", 10, {X: "passed"})]] if flaky else []
        save_run(store, run, [first, *again])
    ctx = AgentContext(store, Settings(), REPO)

    tests = FlakyTests().run(ctx).findings.set_index("test_id")
    jobs = FlakyJobs().run(ctx).findings.set_index("test_id")

    assert tests.loc[X, "verdict"] == "flaky" and tests.loc[X, "minutes_wasted"] == 10.0
    assert jobs.loc["unit", "verdict"] == "flaky" and jobs.loc["unit", "minutes_wasted"] == 10.0


def test_an_unknown_duration_counts_zero_minutes():
    history = pd.DataFrame(
        {"test_id": [X], "outcome": ["failed"], "run_id": [1], "attempt": [1], "job": ["unit"]}
    )
    reruns = pd.DataFrame({"run_id": [1], "attempt": [1], "job": ["unit"], "duration_s": [None]})
    assert wasted_minutes(history, reruns).to_dict() == {X: 0.0}
