"""The histories Flaky Tests judges: every test result and every job outcome, of every attempt.

Why every attempt: a re-run that passed must not erase the failed attempt it replaced; that pair
on one commit is the strongest flakiness evidence there is. Rows come oldest run first, attempts
in order, so the engine reads them as a time series.
"""

from __future__ import annotations

import pandas as pd

from core.store.db import Store

__all__ = ["test_history", "job_history"]

_TESTS_SQL = """
WITH junit_jobs AS (
  SELECT DISTINCT k.name FROM test_results u
  JOIN jobs k ON k.repo_id = u.repo_id AND k.job_id = u.job_id
  WHERE u.repo_id = :repo AND u.source = 'junit'
)
SELECT t.test_id, t.outcome, t.run_id, t.attempt, r.head_sha AS commit_sha, r.created_at,
       j.name AS job, t.message
FROM test_results t
JOIN jobs j ON j.repo_id = t.repo_id AND j.job_id = t.job_id
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE t.repo_id = :repo
  AND (t.source = 'junit' OR j.name NOT IN (SELECT name FROM junit_jobs))
ORDER BY r.created_at, t.run_id, t.attempt, j.name, t.test_id
"""

_JOBS_SQL = """
SELECT j.name AS test_id, j.conclusion AS outcome, j.run_id, j.attempt,
       r.head_sha AS commit_sha, r.created_at, r.workflow_name AS job, j.duration_s
FROM jobs j
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE j.repo_id = ? AND j.status = 'completed'
  AND j.conclusion IN ('success', 'failure', 'timed_out', 'startup_failure')
ORDER BY r.created_at, j.run_id, j.attempt, j.name
"""


def test_history(store: Store, repo_id: int) -> pd.DataFrame:
    """Every stored test result: ``test_id, outcome, run_id, attempt, commit_sha, created_at,
    job, message``.

    A job whose runs have JUnit reports is judged on those alone: its console results come from
    the logs, which are fetched for failed jobs (and their green baselines) only, so they would
    show a test failing in nearly every run it appears in, a regression where there is none."""
    return store.frame(_TESTS_SQL, {"repo": repo_id})


def job_history(store: Store, repo_id: int) -> pd.DataFrame:
    """Every decided job outcome, a job's name standing for the test: ``test_id, outcome,
    run_id, attempt, commit_sha, created_at, job`` (its workflow) and ``duration_s``."""
    return store.frame(_JOBS_SQL, (repo_id,))
