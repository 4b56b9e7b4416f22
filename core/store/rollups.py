"""The per-day summaries of jobs and steps (``job_daily``, ``queue_daily``, ``step_daily``)
kept right as runs are written, so the Overview and Pipelines pages never read a window's jobs;
and each run attempt's job and step totals (``run_totals``), so the analyses never sum every
step of the history.

Why per run and by difference: :func:`core.store.runs.save_run_bundle` writes one run (all its
attempts, jobs and steps) per transaction, and a re-sync may rewrite a run whose jobs were in
progress. Before the write, :func:`withdraw_run` takes what the stored rows of that run counted
out of the summaries; after it, :func:`add_run` counts the new rows in. Counts and totals are
exact under any update; a maximum cannot be taken back, so the step groups whose maximum may
have been withdrawn are measured again from their day's rows (only on a re-sync, a few groups).
Recomputing whole days instead would cost a day of rows per run written (an import of 100k runs
would read each day a thousand times).

Every statement joins runs -> jobs -> steps with CROSS JOIN, SQLite's way of fixing the loop
order: left to choose, it may walk all of a repository's steps from the steps side.

Keys are as :mod:`core.store.schema` (V9) describes: the run's day (first ten characters of its
``created_at``), '' for a name or runner GitHub left empty.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from core.store.schema import RUN_TOTALS

__all__ = ["Withdrawal", "add_run", "withdraw_run"]

# The rows of one run (every attempt), as the summaries key them. (The unary + keeps SQLite
# from reading "created_at IS NOT NULL" as a range over runs_repo_created: the run's key finds
# its rows.)
_JOBS_OF_RUN = """
FROM runs r CROSS JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id
    AND j.attempt = r.attempt
WHERE r.repo_id = :repo AND r.run_id = :run AND +r.created_at IS NOT NULL
"""
_STEPS_OF_RUN = _JOBS_OF_RUN.replace(
    "WHERE", "CROSS JOIN steps s ON s.repo_id = j.repo_id AND s.job_id = j.job_id\nWHERE", 1
)

_JOB_COUNTS = f"""
INSERT INTO job_daily (repo_id, day, workflow, job, runner_os, skipped, timed, duration_s, jobs)
SELECT r.repo_id, substr(r.created_at, 1, 10), COALESCE(r.workflow_name, ''), COALESCE(j.name, ''),
       COALESCE(j.runner_os, ''), j.conclusion IS 'skipped', j.duration_s IS NOT NULL,
       COALESCE(j.duration_s, 0), :sign * COUNT(*)
{_JOBS_OF_RUN}
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ON CONFLICT (repo_id, day, workflow, job, runner_os, skipped, timed, duration_s)
DO UPDATE SET jobs = jobs + excluded.jobs
"""

_QUEUE_COUNTS = f"""
INSERT INTO queue_daily (repo_id, day, runner_os, skipped, queue_s, jobs)
SELECT r.repo_id, substr(r.created_at, 1, 10), COALESCE(j.runner_os, ''),
       j.conclusion IS 'skipped', j.queue_s, :sign * COUNT(*)
{_JOBS_OF_RUN} AND j.queue_s IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (repo_id, day, runner_os, skipped, queue_s) DO UPDATE SET jobs = jobs + excluded.jobs
"""

# Withdrawing keeps the maximum (it cannot be taken back); adding raises it.
_STEP_TOTALS = f"""
INSERT INTO step_daily (repo_id, day, workflow, job, step, steps, total_s, max_s)
SELECT r.repo_id, substr(r.created_at, 1, 10), COALESCE(r.workflow_name, ''), COALESCE(j.name, ''),
       COALESCE(s.name, ''), :sign * COUNT(*), :sign * SUM(s.duration_s), MAX(s.duration_s)
{_STEPS_OF_RUN} AND s.duration_s IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (repo_id, day, workflow, job, step) DO UPDATE SET steps = steps + excluded.steps,
    total_s = total_s + excluded.total_s,
    max_s = CASE WHEN :sign > 0 THEN MAX(max_s, excluded.max_s) ELSE max_s END
"""

# The step groups of the run whose stored maximum is one of the run's own durations.
_MAXIMA_AT_RISK = f"""
SELECT d.day, d.workflow, d.job, d.step
FROM step_daily d JOIN (
    SELECT substr(r.created_at, 1, 10) AS day, COALESCE(r.workflow_name, '') AS workflow,
           COALESCE(j.name, '') AS job, COALESCE(s.name, '') AS step, MAX(s.duration_s) AS top
    {_STEPS_OF_RUN} AND s.duration_s IS NOT NULL
    GROUP BY 1, 2, 3, 4
) m ON d.repo_id = :repo AND d.day = m.day AND d.workflow = m.workflow AND d.job = m.job
    AND d.step = m.step
WHERE m.top >= d.max_s
"""

_REMEASURE_MAXIMUM = """
UPDATE step_daily SET max_s = (
    SELECT MAX(s.duration_s)
    FROM runs r CROSS JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id
        AND j.attempt = r.attempt
    CROSS JOIN steps s ON s.repo_id = j.repo_id AND s.job_id = j.job_id
    WHERE r.repo_id = :repo AND r.created_at >= :day AND r.created_at < date(:day, '+1 day')
      AND substr(r.created_at, 1, 10) = :day AND COALESCE(r.workflow_name, '') = :workflow
      AND COALESCE(j.name, '') = :job AND COALESCE(s.name, '') = :step
      AND s.duration_s IS NOT NULL)
WHERE repo_id = :repo AND day = :day AND workflow = :workflow AND job = :job AND step = :step
"""

_DAYS_OF_RUN = f"SELECT DISTINCT substr(r.created_at, 1, 10) AS day {_JOBS_OF_RUN}"

_RUN_TOTALS_OF_RUN = RUN_TOTALS.format(where="j.repo_id = :repo AND j.run_id = :run")


@dataclass
class Withdrawal:
    """What :func:`add_run` finishes after a stored run was withdrawn: the days it touched
    (keys whose count fell to 0 are dropped there) and the step groups whose maximum may have
    been one of its durations (measured again)."""

    days: list[str] = field(default_factory=list)
    maxima: list[tuple[str, str, str, str]] = field(default_factory=list)


def withdraw_run(tx: sqlite3.Connection, repo_id: int, run_id: int) -> Withdrawal:
    """Take the stored rows of one run out of the summaries, before they are overwritten.

    Nothing to do (and nothing to finish) for a run not stored yet: an import or a first sync.
    """
    params = {"repo": repo_id, "run": run_id}
    days = [row[0] for row in tx.execute(_DAYS_OF_RUN, params)]
    if not days:
        return Withdrawal()
    maxima = [tuple(row) for row in tx.execute(_MAXIMA_AT_RISK, params)]
    _count(tx, repo_id, run_id, -1)
    return Withdrawal(days, maxima)


def add_run(tx: sqlite3.Connection, repo_id: int, run_id: int, withdrawn: Withdrawal) -> None:
    """Count the run's rows as now stored into the summaries, then finish ``withdrawn``; sum
    each of the run's attempts again into ``run_totals`` (from its own rows: exact)."""
    _count(tx, repo_id, run_id, 1)
    params = {"repo": repo_id, "run": run_id}
    tx.execute("DELETE FROM run_totals WHERE repo_id = :repo AND run_id = :run", params)
    tx.execute(_RUN_TOTALS_OF_RUN, params)
    for day in withdrawn.days:
        for table, count in (
            ("job_daily", "jobs"),
            ("queue_daily", "jobs"),
            ("step_daily", "steps"),
        ):
            tx.execute(
                f"DELETE FROM {table} WHERE repo_id = ? AND day = ? AND {count} = 0", (repo_id, day)
            )
    tx.executemany(
        _REMEASURE_MAXIMUM,
        [
            {"repo": repo_id, "day": day, "workflow": workflow, "job": job, "step": step}
            for day, workflow, job, step in withdrawn.maxima
        ],
    )


def _count(tx: sqlite3.Connection, repo_id: int, run_id: int, sign: int) -> None:
    params = {"repo": repo_id, "run": run_id, "sign": sign}
    for sql in (_JOB_COUNTS, _QUEUE_COUNTS, _STEP_TOTALS):
        tx.execute(sql, params)
