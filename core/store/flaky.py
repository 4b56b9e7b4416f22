"""The histories Flaky Tests judges: every test result and every job outcome, of every attempt.

Why every attempt: a re-run that passed must not erase the failed attempt it replaced; that pair
on one commit is the strongest flakiness evidence there is. Rows come oldest run first, attempts
in order, so the engine reads them as a time series, with the branch of each run so that a
regression confined to one branch can be followed along it.

Test results come from two sources of unequal coverage, and :func:`test_history` reads each
job execution (one job of one run attempt) from the best one it has:

- a **JUnit report** lists every test of the execution; where one was read, it alone counts;
- the **console log** is read for failed jobs (and a few green baselines) only, and most
  runners print only their failures there. An execution without a report (older than the
  artifacts' retention, or an earlier attempt, whose report was replaced by the re-run's) is
  read from its log. Its tests are renamed to the report's spelling of the same test
  (:mod:`core.logs.reports.spellings`), so one test has one history;
- the **job's conclusion** says the rest: a job that succeeded had no failing test, and a job
  whose log names failing tests had no other failing test. A test known in a job (it passed or
  failed there) is given a pass in the job's executions without a report that say so, up to its
  last result in that job (a test renamed or removed stops there). Without those passes a
  log-only stretch of history would show a test's failures back to back (the passes between
  them were never written down) and read as a regression; with them it reads as what it was.
  A test that never failed in a job gets them only where the job failed: there they say how
  large a share of the job's tests failed (an outage's many, or one test's own), which is what
  the infrastructure guard weighs; where the job succeeded they would change no verdict and
  only cost memory (a million rows for the demo's three months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.logs.reports.spellings import report_spellings
from core.store.db import Store
from core.store.result_codes import JUNIT, OUTCOME_CODES, SOURCE_CODES, decode, outcome_sql

__all__ = ["test_history", "job_history", "test_results_of", "rerun_job_attempts"]

_REPORTED = f"SELECT DISTINCT job_id FROM test_results WHERE repo_id = :repo AND source = {JUNIT}"

# A repository's results as numbers (its interned test, outcome and source codes, its job); the
# words come from small tables read apart (:func:`_observed`). Run and attempt are the job's
# (test results do not repeat them).
_TESTS_SQL = f"""
SELECT t.test, t.outcome, t.job_id, t.source, t.message
FROM test_results t
WHERE t.repo_id = :repo
  AND (t.source = {JUNIT} OR t.job_id NOT IN ({_REPORTED}))
"""

_TEST_NAMES_SQL = "SELECT id, name FROM tests WHERE repo_id = :repo"

# The jobs that have results, each with its run's commit, time and branch.
_RESULT_JOBS_SQL = """
SELECT j.job_id, j.run_id, j.attempt, r.head_sha AS commit_sha, r.created_at, j.name AS job,
       r.head_branch AS branch
FROM jobs j
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE j.repo_id = :repo
  AND j.job_id IN (SELECT DISTINCT job_id FROM test_results WHERE repo_id = :repo)
"""

# Executions without a report whose conclusion tells which tests did not fail: those that
# succeeded, and failed ones (kept only when their log names a failing test).
_UNREPORTED_SQL = f"""
SELECT j.job_id, j.run_id, j.attempt, r.head_sha AS commit_sha, r.created_at, j.name AS job,
       r.head_branch AS branch, j.conclusion
FROM jobs j
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE j.repo_id = :repo AND j.status = 'completed' AND j.conclusion IN ('success', 'failure')
  AND j.job_id NOT IN ({_REPORTED})
"""

_JOBS_SQL = """
SELECT j.name AS test_id, j.conclusion AS outcome, j.run_id, j.attempt,
       r.head_sha AS commit_sha, r.created_at, r.workflow_name AS job,
       r.head_branch AS branch, j.duration_s
FROM jobs j
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE j.repo_id = ? AND j.status = 'completed'
  AND j.conclusion IN ('success', 'failure', 'timed_out', 'startup_failure')
ORDER BY r.created_at, j.run_id, j.attempt, j.name
"""

# The failed job attempts a re-run followed (what Flaky Tests charges as wasted minutes): the
# repository's re-run attempts (k + 1 > 1) lead (CROSS JOIN fixes the loop order), read from the
# runs' key, which covers them; then each one's jobs of attempt k and the same name's job in
# attempt k + 1 through (repo_id, run_id, attempt). Only re-run runs' jobs are read, never all.
_RERUN_SQL = """
SELECT j.run_id, j.attempt, j.name AS job, j.duration_s
FROM runs r
CROSS JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id AND j.attempt = r.attempt - 1
WHERE r.repo_id = :repo AND r.attempt > 1 AND j.status = 'completed'
  AND j.conclusion IN ('failure', 'timed_out', 'startup_failure')
  AND EXISTS (
      SELECT 1 FROM jobs n
      WHERE n.repo_id = r.repo_id AND n.run_id = r.run_id AND n.attempt = r.attempt
        AND n.name = j.name
  )
"""

# One test's latest stored results (the page's drill-down): its interned id by (repo_id, name),
# its results through the index by test, the newest ``limit`` only, however long the history.
_ONE_TEST_SQL = f"""
SELECT j.run_id, j.attempt, j.name AS job, r.created_at, {outcome_sql("t.outcome")} AS outcome,
       t.message
FROM tests n
JOIN test_results t INDEXED BY test_results_test ON t.test = n.id AND t.repo_id = n.repo_id
JOIN jobs j ON j.repo_id = t.repo_id AND j.job_id = t.job_id
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE n.repo_id = :repo AND n.name = :test
ORDER BY r.created_at DESC, j.run_id DESC, j.attempt DESC, j.name DESC
LIMIT :limit
"""

_COLUMNS = ["test_id", "outcome", "run_id", "attempt", "commit_sha", "created_at", "job"]
_COLUMNS += ["branch", "message"]
_ORDER = ["created_at", "run_id", "attempt", "job", "test_id"]
_FAILED = ("failed", "error")


def test_history(store: Store, repo_id: int) -> pd.DataFrame:
    """Every test result the store knows or can tell (see the module docstring): ``test_id,
    outcome, run_id, attempt, commit_sha, created_at, job, branch, message``, oldest first."""
    observed = _one_spelling(_observed(store, repo_id))
    if observed.empty:
        return observed.reindex(columns=_COLUMNS)
    implied = _implied_passes(observed, store.frame(_UNREPORTED_SQL, {"repo": repo_id}))
    history = pd.concat([observed, implied], ignore_index=True).reindex(columns=_COLUMNS)
    keys = [pd.factorize(history[name], sort=True)[0] for name in reversed(_ORDER)]
    return history.take(np.lexsort(keys)).reset_index(drop=True)


def _observed(store: Store, repo_id: int) -> pd.DataFrame:
    """The stored results as the engine reads them: ``test_id, outcome, run_id, attempt,
    commit_sha, created_at, job, branch, message, job_id, source``, in the store's order.

    Why not one query joining the words in: sqlite3 then builds a Python string for every
    cell, six per result, before pandas stores them (2.2M results at 11k runs). Read as numbers
    and looked up in the small tables, only the distinct values ever become Python strings:
    the same frame, 17.8 -> 11.2 s and peak RSS 2.77 -> 2.26 GB there."""
    params = {"repo": repo_id}
    results = store.frame(_TESTS_SQL, params)
    names = store.frame(_TEST_NAMES_SQL, params)
    jobs = store.frame(_RESULT_JOBS_SQL, params)
    at = pd.Index(jobs["job_id"]).get_indexer(results["job_id"])
    name_at = pd.Index(names["id"]).get_indexer(results["test"])
    kept = (at >= 0) & (name_at >= 0)  # a result whose job or run is not stored is not read
    at, name_at, results = at[kept], name_at[kept], results[kept].reset_index(drop=True)
    run_columns = ("run_id", "attempt", "commit_sha", "created_at", "job", "branch")
    columns = {
        "test_id": names["name"].to_numpy()[name_at],
        "outcome": decode(results["outcome"], OUTCOME_CODES),
        **{name: jobs[name].to_numpy()[at] for name in run_columns},
        "message": results["message"].to_numpy(),
        "job_id": results["job_id"].to_numpy(),
        "source": decode(results["source"], SOURCE_CODES),
    }
    return pd.DataFrame(columns)


def job_history(store: Store, repo_id: int) -> pd.DataFrame:
    """Every decided job outcome, a job's name standing for the test: ``test_id, outcome,
    run_id, attempt, commit_sha, created_at, job`` (its workflow), ``branch`` and
    ``duration_s``."""
    return store.frame(_JOBS_SQL, (repo_id,))


def test_results_of(store: Store, repo_id: int, test_id: str, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` stored results of one test (as stored: reported or read from a log,
    not the passes :func:`test_history` infers), oldest first: ``run_id, attempt, job,
    created_at, outcome, message``."""
    frame = store.frame(_ONE_TEST_SQL, {"repo": repo_id, "test": test_id, "limit": int(limit)})
    return frame.iloc[::-1].reset_index(drop=True)


def rerun_job_attempts(store: Store, repo_id: int) -> pd.DataFrame:
    """The failed job attempts that the same job's next attempt in the same run followed (a
    re-run), with what they cost: ``run_id, attempt, job`` (its name), ``duration_s`` (None
    where unknown). Failures never re-run are not here: they cost no re-run."""
    return store.frame(_RERUN_SQL, {"repo": repo_id})


def _one_spelling(observed: pd.DataFrame) -> pd.DataFrame:
    """Console ids renamed to the report's id of the same test, where one is known."""
    console = observed["source"].ne("junit")
    renamed = report_spellings(
        observed.loc[console, "test_id"].unique(), observed.loc[~console, "test_id"].unique()
    )
    if renamed:
        observed.loc[console, "test_id"] = observed.loc[console, "test_id"].replace(renamed)
    return observed


def _implied_passes(observed: pd.DataFrame, unreported: pd.DataFrame) -> pd.DataFrame:
    """The passes a job's conclusion tells, in its executions without a report (see the module
    docstring), for each test known in that job (it passed or failed there) up to its last
    result there (a test renamed or removed stops there)."""
    failed = observed["outcome"].isin(_FAILED).to_numpy()
    named = observed.loc[failed & observed["source"].ne("junit").to_numpy(), "job_id"].unique()
    said = unreported[
        unreported["conclusion"].eq("success").to_numpy() | unreported["job_id"].isin(named)
    ].reset_index(drop=True)
    test, tests = pd.factorize(observed["test_id"])
    job, _ = pd.factorize(pd.concat([observed["job"], said["job"]]), use_na_sentinel=True)
    stamp, _ = pd.factorize(pd.concat([observed["created_at"], said["created_at"]]), sort=True)
    size = len(observed)
    ran = observed["outcome"].isin(("passed", *_FAILED)).to_numpy()
    known = (
        pd.DataFrame({"job": job[:size], "test": test, "last": stamp[:size], "failing": failed})[
            ran
        ]
        .groupby(["job", "test"], as_index=False)
        .agg(last=("last", "max"), failing=("failing", "any"))
    )
    executions = pd.DataFrame(
        {
            "row": np.arange(len(said)),
            "job": job[size:],
            "at": stamp[size:],
            "named": said["job_id"].isin(named).to_numpy(),
        }
    )
    pairs = executions.merge(known, on="job")
    keep = (pairs["at"] <= pairs["last"]) & (pairs["failing"] | pairs["named"])
    pairs = pairs[keep.to_numpy()]
    execution, _ = pd.factorize(pd.concat([observed["job_id"], said["job_id"]]))
    width = len(tests)
    seen = np.unique(execution[:size].astype(np.int64) * width + test)
    rows, tested = pairs["row"].to_numpy(), pairs["test"].to_numpy()
    fresh = ~np.isin(execution[size:][rows].astype(np.int64) * width + tested, seen)
    implied = said.take(rows[fresh]).reset_index(drop=True)
    implied["test_id"] = tests.take(tested[fresh])
    return implied.assign(outcome="passed", message=None).reindex(columns=_COLUMNS)
