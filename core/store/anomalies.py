"""The duration and queue-time series Anomaly Detection watches, read per repository.

Why these shapes: a slowdown shows where it happens (one job, one step, one runner label), so the
series are per workflow (run durations), per job, per step and per runner label, and queue time
(waiting for a runner) is kept apart from run time (doing the work). Only successful jobs and
steps count towards durations: a failed job stops early or hangs, and that is Root Cause
Analysis's business, not a duration anomaly. Steps are read only where they matter (a mean of
at least ``min_step_s`` seconds): a 100k-run history holds millions of one-second steps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from core.store.db import Store

__all__ = ["run_series", "job_series", "step_series", "step_names", "commits_touched"]

_RUNS_SQL = """
SELECT run_id, attempt, workflow_name AS workflow, created_at, duration_s, head_sha,
       run_number, html_url
FROM runs WHERE repo_id = :repo AND is_latest = 1 AND status = 'completed'
  AND conclusion = 'success' AND duration_s IS NOT NULL {where}
ORDER BY created_at, run_id
"""

_JOBS_SQL = """
SELECT j.job_id, j.run_id, j.attempt, r.workflow_name AS workflow, j.name AS job,
       j.started_at, r.created_at, j.duration_s, j.queue_s, j.conclusion, j.runner_os,
       j.labels, r.head_sha, r.run_number
FROM jobs j JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE j.repo_id = :repo AND j.status = 'completed' AND j.started_at IS NOT NULL {where}
ORDER BY j.started_at, j.job_id
"""

# Which (job, step) pairs matter is read from the daily step summaries (:mod:`.rollups`: a few
# thousand rows), not from the steps. Then the loop starts from the jobs of those pairs' names
# (an index) and finds each job's run and steps by key (CROSS JOIN fixes that order): left to
# choose, SQLite walked every step of the repository and looked up its job and run, three
# searches per step (100k runs, 4.9M steps: 77 s for the pairs and as long again for the rows;
# this way 28 s on a loaded machine, the same rows in the same order).
_STEPS_SQL = """
WITH usual AS (
  SELECT job, step FROM step_daily WHERE repo_id = :repo {usual}
  GROUP BY job, step HAVING SUM(total_s) >= :min_step_s * SUM(steps)
)
SELECT j.job_id, j.run_id, j.attempt, r.workflow_name AS workflow, j.name AS job,
       s.name AS step, s.number, s.started_at, s.duration_s, r.head_sha, r.run_number
FROM jobs j
CROSS JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
CROSS JOIN steps s ON s.repo_id = j.repo_id AND s.job_id = j.job_id
JOIN usual u ON u.job = j.name AND u.step = s.name
WHERE j.repo_id = :repo AND j.name IN (SELECT job FROM usual)
  AND s.conclusion = 'success' AND s.duration_s IS NOT NULL
  AND s.started_at IS NOT NULL {where}
ORDER BY s.started_at, j.job_id, s.number
"""

# The names of a few jobs' steps (the jobs around a change point, for its cause): read for
# those jobs only, since every job's names joined are a string per job (800k at 100k runs).
_STEP_NAMES_SQL = """
SELECT job_id, GROUP_CONCAT(name, '|') AS step_names FROM (
  SELECT s.job_id, s.name FROM steps s
  WHERE s.repo_id = ? AND s.job_id IN (SELECT value FROM json_each(?))
  ORDER BY s.job_id, s.number
) GROUP BY job_id
"""

_COMMITS_SQL = """
SELECT sha, message, files, author_login, committed_at FROM commits WHERE repo_id = ?
"""


def run_series(store: Store, repo_id: int, workflow: str | None = None) -> pd.DataFrame:
    """Successful runs (latest attempts), oldest first: their workflow and duration (of one
    ``workflow`` where given)."""
    where, bound = _conditions({"workflow": ("workflow_name", workflow)})
    return store.frame(_RUNS_SQL.format(where=where), {"repo": repo_id, **bound})


def job_series(
    store: Store,
    repo_id: int,
    workflow: str | None = None,
    job: str | None = None,
    labels: str | None = None,
) -> pd.DataFrame:
    """Every finished job of every attempt, oldest start first: duration, queue time and
    runner, with its run's commit (its steps' names: :func:`step_names`). Narrowed to one
    ``workflow``, ``job`` name or runner ``labels`` where given (``"unknown"``: no labels), as
    the page's chart of one series asks: a 100k-run history holds 800k jobs."""
    where, bound = _conditions(
        {
            "workflow": ("r.workflow_name", workflow),
            "job": ("j.name", job),
            "labels": ("COALESCE(j.labels, 'unknown')", labels),
        }
    )
    return store.frame(_JOBS_SQL.format(where=where), {"repo": repo_id, **bound})


def step_series(
    store: Store,
    repo_id: int,
    min_step_s: float = 20.0,
    workflow: str | None = None,
    job: str | None = None,
    step: str | None = None,
) -> pd.DataFrame:
    """Successful steps of the (job, step) pairs that take ``min_step_s`` on average over all
    their timed steps (of one ``workflow``, ``job`` or ``step`` where given)."""
    pair = {"job": ("j.name", job), "step": ("s.name", step)}
    where, bound = _conditions({"workflow": ("r.workflow_name", workflow), **pair})
    # the pair's average over its own steps, not the history's
    usual, _ = _conditions({"job": ("job", job), "step": ("step", step)})
    sql = _STEPS_SQL.format(where=where, usual=usual)
    return store.frame(sql, {"repo": repo_id, "min_step_s": min_step_s, **bound})


def _conditions(where: dict[str, tuple[str, str | None]]) -> tuple[str, dict[str, str]]:
    """`` AND column = :name`` for each given value (column names are ours, values are bound
    parameters), and the parameters."""
    wanted = {name: (column, value) for name, (column, value) in where.items() if value is not None}
    sql = "".join(f" AND {column} = :{name}" for name, (column, _v) in wanted.items())
    return sql, {name: value for name, (_c, value) in wanted.items()}


def step_names(store: Store, repo_id: int, job_ids: Sequence[int]) -> dict[int, str]:
    """The names of each given job's steps in their order, ``|``-joined (a job with no
    stored steps is left out)."""
    rows = store.query(_STEP_NAMES_SQL, (repo_id, json.dumps([int(i) for i in job_ids])))
    return {int(row["job_id"]): str(row["step_names"]) for row in rows}


def commits_touched(store: Store, repo_id: int) -> pd.DataFrame:
    """The repository's stored commits: message and changed files (a JSON list)."""
    return store.frame(_COMMITS_SQL, (repo_id,))
