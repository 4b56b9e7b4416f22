"""What Feature Engineering reads (runs, their jobs, steps, tests, logs and commits, aggregated per
run in SQLite) and the feature rows it keeps (``run_features``).

Why aggregate here: a 100k-run history has half a million jobs and millions of steps; SQLite sums
them per run without moving those rows into Python, and the agent's pure code gets one frame per
concept, already shaped. Feature rows are stored as JSON with the catalogue version that made
them and a digest of their values: a re-run rewrites only the rows whose values changed, and
skips the computation altogether when nothing it reads changed (:func:`inputs_fingerprint`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from core.messages.envelope import Message
from core.store.db import Store
from core.store.outbox import enqueue
from core.store.schema import COUNTED_FAILED_JOB

__all__ = [
    "FeatureInputs",
    "feature_inputs",
    "featured_runs",
    "inputs_fingerprint",
    "run_measures",
    "save_run_features",
    "load_run_features",
    "job_rows",
]

_FAILED = COUNTED_FAILED_JOB

_RUNS_SQL = """
SELECT run_id, attempt, workflow_id, workflow_name, event, status, conclusion, head_branch,
       head_sha, actor, pr_numbers, created_at, run_started_at, updated_at, duration_s
FROM runs WHERE repo_id = ? AND is_latest = 1
ORDER BY created_at, run_id
"""

# Each run attempt's job and step totals, kept as runs are written (schema V13, rollups): summed
# here, they cost a search per step on every analysis (4.9M steps at 100k runs). ``steps > 0``:
# a run whose jobs have no steps has no step totals, as when they were summed from the steps.
_JOBS_SQL = """
SELECT run_id, attempt, jobs, failed_jobs, queue_s_max, queue_s_total, job_seconds, job_s_max,
       runner_os, labels
FROM run_totals WHERE repo_id = ?
"""

_STEPS_SQL = """
SELECT run_id, attempt, steps, step_s_max FROM run_totals WHERE repo_id = ? AND steps > 0
"""

# Each job's counts from its packed digest (``job_tests``, V14: a row per job, not per test),
# summed per run of the job (test results do not repeat the job's run). CROSS JOIN: each count
# finds its job by the key (the planner would otherwise index the counts on the fly).
_TESTS_SQL = """
SELECT j.run_id, j.attempt, SUM(t.results) AS tests, SUM(t.failures) AS test_failures
FROM job_tests t
CROSS JOIN jobs j ON j.repo_id = t.repo_id AND j.job_id = t.job_id
WHERE t.repo_id = ?1
GROUP BY j.run_id, j.attempt
"""

# The read logs' error counts from their own index (V16; a log's row holds its text first),
# each log's job by key (CROSS JOIN: left to choose, SQLite walks every job and looks for its log).
_LOGS_SQL = """
SELECT j.run_id, j.attempt, SUM(l.error_lines) AS log_error_lines
FROM logs l CROSS JOIN jobs j ON j.repo_id = l.repo_id AND j.job_id = l.job_id
WHERE l.repo_id = ? AND l.state = 'ok' GROUP BY j.run_id, j.attempt
"""

_COMMITS_SQL = """
SELECT sha AS head_sha, additions, deletions, files_changed, files, message, author_login,
       committed_at
FROM commits WHERE repo_id = ?
"""


@dataclass(frozen=True)
class FeatureInputs:
    """One repository's history as Feature Engineering needs it: runs (latest attempts, oldest
    first), per-run aggregates of their jobs, steps, tests and logs, and the runs' commits."""

    runs: pd.DataFrame
    jobs: pd.DataFrame
    steps: pd.DataFrame
    tests: pd.DataFrame
    logs: pd.DataFrame
    commits: pd.DataFrame
    default_branch: str | None


def feature_inputs(store: Store, repo_id: int) -> FeatureInputs:
    """Read everything the features of ``repo_id``'s runs are computed from."""
    params = (repo_id,)
    branch = store.scalar("SELECT default_branch FROM repositories WHERE id = ?", params)
    runs, jobs, steps = run_measures(store, repo_id)
    return FeatureInputs(
        runs=runs,
        jobs=jobs,
        steps=steps,
        tests=store.frame(_TESTS_SQL, params),
        logs=store.frame(_LOGS_SQL, params),
        commits=store.frame(_COMMITS_SQL, params),
        default_branch=branch,
    )


def run_measures(store: Store, repo_id: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The runs and their job and step aggregates, as in :func:`feature_inputs`, without the
    test, log and commit aggregates (Anomaly Detection's multivariate pass measures a run by
    its durations only; at 100k runs the test aggregates alone read 20M results)."""
    params = (repo_id,)
    return (
        store.frame(_RUNS_SQL, params),
        store.frame(_JOBS_SQL, params),
        store.frame(_STEPS_SQL, params),
    )


_JOB_ROWS_SQL = f"""
SELECT j.job_id, j.run_id, j.attempt, r.workflow_name AS workflow, j.name AS job,
       r.created_at AS run_created_at, j.started_at, j.completed_at, j.status, j.conclusion,
       j.duration_s, j.queue_s, j.runner_os, j.labels,
       (SELECT COUNT(*) FROM steps s WHERE s.repo_id = j.repo_id AND s.job_id = j.job_id)
         AS steps,
       (SELECT MAX(s.duration_s) FROM steps s WHERE s.repo_id = j.repo_id AND s.job_id = j.job_id)
         AS step_s_max,
       t.tests, t.test_failures, l.error_lines AS log_error_lines,
       j.conclusion IN {_FAILED} AS failed_flag
FROM jobs j
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
LEFT JOIN (SELECT job_id, results AS tests, failures AS test_failures
           FROM job_tests WHERE repo_id = :repo) t ON t.job_id = j.job_id
LEFT JOIN logs l ON l.repo_id = j.repo_id AND l.job_id = j.job_id AND l.state = 'ok'
WHERE j.repo_id = :repo
ORDER BY r.created_at, j.job_id
"""


def job_rows(store: Store, repo_id: int) -> pd.DataFrame:
    """Every job of every attempt with its step, test and log aggregates, oldest run first:
    what the per-job feature table is computed from."""
    return store.frame(_JOB_ROWS_SQL, {"repo": repo_id})


# Cheap aggregates of everything a run's features are computed from, each read from an index
# or a small table (the jobs' from each run attempt's totals, kept exact with every write of a
# run: summed from the jobs' rows they took 2 s of a cold start at 100k runs): the runs
# (a new one, a new attempt, a status, conclusion, duration or updated_at that moved), their jobs
# (conclusions, durations, queue times), the logs and their error counts, the test reports (one
# row per run: its test count and when it was read), the commits and the default branch. Times
# are summed as whole seconds, an exact integer (a sum of 100k Julian days as a float steps by
# seconds). Steps are left out: 5M rows at 100k runs, and they change only with their job.
_FINGERPRINT_SQL = f"""
SELECT (SELECT default_branch FROM repositories WHERE id = :repo),
    (SELECT printf('%d:%d:%d:%d:%d:%.3f', COUNT(*), TOTAL(is_latest * attempt),
                   SUM(CAST(strftime('%s', updated_at) AS INTEGER)), SUM(status = 'completed'),
                   SUM(conclusion IN {_FAILED}), TOTAL(duration_s))
     FROM runs WHERE repo_id = :repo),
    (SELECT printf('%d:%d:%.3f:%.3f', TOTAL(jobs), TOTAL(failed_jobs), TOTAL(job_seconds),
                   TOTAL(queue_s_total))
     FROM run_totals WHERE repo_id = :repo),
    (SELECT printf('%d:%d:%d', COUNT(*), TOTAL(state = 'ok'), TOTAL(error_lines))
     FROM logs WHERE repo_id = :repo),
    (SELECT printf('%d:%d:%d', COUNT(*), TOTAL(tests),
                   SUM(CAST(strftime('%s', fetched_at) AS INTEGER)))
     FROM run_reports WHERE repo_id = :repo),
    (SELECT printf('%d:%d', COUNT(*), TOTAL(files_changed)) FROM commits WHERE repo_id = :repo)
"""


def inputs_fingerprint(store: Store, repo_id: int) -> str:
    """A text that changes when what :func:`feature_inputs` reads of ``repo_id`` changes in any
    way the sync or an import changes it: new or updated runs and jobs, logs, test reports read
    (again), commits, another default branch. Aggregates, not the rows: an edit that keeps
    every count and sum equal (a job's runner swapped for another, nothing else) goes unseen
    until the next change; the sync and import move a run's updated_at with any update."""
    row = store.query(_FINGERPRINT_SQL, {"repo": repo_id})[0]
    return "|".join("" if value is None else str(value) for value in row)


def featured_runs(store: Store, repo_id: int, catalogue: str) -> dict[tuple[int, int], str]:
    """(run_id, attempt) -> the digest of the stored feature row, for the rows of
    ``catalogue`` (rows of another catalogue, or stored before digests, are absent)."""
    rows = store.query(
        "SELECT run_id, attempt, digest FROM run_features"
        " WHERE repo_id = ? AND catalogue = ? AND digest IS NOT NULL",
        (repo_id, catalogue),
    )
    return {(int(r[0]), int(r[1])): str(r[2]) for r in rows}


def save_run_features(
    store: Store,
    repo_id: int,
    catalogue: str,
    rows: Iterable[tuple[dict[str, Any], str]],
    messages: list[Message],
) -> int:
    """Upsert feature rows (each a dict with ``run_id``, ``attempt``, ``created_at`` and the
    features, with its digest) and their messages in one transaction; a run's rows of its
    other attempts go (only its latest attempt has features). Returns the rows written."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = [
        (
            repo_id,
            int(row["run_id"]),
            int(row["attempt"]),
            row.get("created_at"),
            catalogue,
            now,
            json.dumps(row, default=str, allow_nan=False),
            digest,
        )
        for row, digest in rows
    ]
    with store.transaction() as tx:
        # a first attempt has no earlier one to replace: only re-runs look (100k searches
        # at 100k runs, nearly all of them for nothing, otherwise)
        tx.executemany(
            "DELETE FROM run_features WHERE repo_id = ? AND run_id = ? AND attempt <> ?",
            [(repo_id, value[1], value[2]) for value in values if value[2] != 1],
        )
        tx.executemany(
            "INSERT INTO run_features (repo_id, run_id, attempt, created_at, catalogue,"
            " computed_at, data, digest) VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT (repo_id, run_id, attempt)"
            " DO UPDATE SET created_at = excluded.created_at, catalogue = excluded.catalogue,"
            " computed_at = excluded.computed_at, data = excluded.data,"
            " digest = excluded.digest",
            values,
        )
        enqueue(tx, messages)
    return len(values)


def load_run_features(store: Store, repo: str) -> pd.DataFrame:
    """The stored feature rows of ``repo`` (by name), oldest run first."""
    rows = store.query(
        "SELECT f.data FROM run_features f JOIN repositories r ON r.id = f.repo_id"
        " WHERE r.full_name = ? COLLATE NOCASE ORDER BY f.created_at, f.run_id",
        (repo,),
    )
    # one parse of every row (each a JSON object) as an array: at 100k runs 5.7 -> 4.6 CPU s
    # against a parse per row
    return pd.DataFrame(json.loads("[" + ",".join(r[0] for r in rows) + "]"))
