"""The duration and queue-time series Anomaly Detection watches, read per repository.

Why these shapes: a slowdown shows where it happens (one job, one step, one runner label), so the
series are per workflow (run durations), per job, per step and per runner label, and queue time
(waiting for a runner) is kept apart from run time (doing the work). Only successful jobs and
steps count towards durations: a failed job stops early or hangs, and that is Root Cause
Analysis's business, not a duration anomaly. Steps are read only where they matter (a mean of
at least ``min_step_s`` seconds): a 100k-run history holds millions of one-second steps.
"""

from __future__ import annotations

import pandas as pd

from core.store.db import Store

__all__ = ["run_series", "job_series", "step_series", "commits_touched"]

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
       j.labels, r.head_sha, r.run_number,
       (SELECT GROUP_CONCAT(s.name, '|') FROM steps s
        WHERE s.repo_id = j.repo_id AND s.job_id = j.job_id) AS step_names
FROM jobs j JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE j.repo_id = :repo AND j.status = 'completed' AND j.started_at IS NOT NULL {where}
ORDER BY j.started_at, j.job_id
"""

_STEPS_SQL = """
WITH usual AS (
  SELECT j.name AS job, s.name AS step FROM steps s
  JOIN jobs j ON j.repo_id = s.repo_id AND j.job_id = s.job_id
  WHERE s.repo_id = :repo AND s.conclusion = 'success' {usual}
  GROUP BY j.name, s.name HAVING AVG(s.duration_s) >= :min_step_s
)
SELECT j.job_id, j.run_id, j.attempt, r.workflow_name AS workflow, j.name AS job,
       s.name AS step, s.number, s.started_at, s.duration_s, r.head_sha, r.run_number
FROM steps s
JOIN jobs j ON j.repo_id = s.repo_id AND j.job_id = s.job_id
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
JOIN usual u ON u.job = j.name AND u.step = s.name
WHERE s.repo_id = :repo AND s.conclusion = 'success' AND s.duration_s IS NOT NULL
  AND s.started_at IS NOT NULL {where}
ORDER BY s.started_at, j.job_id, s.number
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
    """Every finished job of every attempt, oldest start first: duration, queue time, runner
    and the names of its steps (``|``-joined), with its run's commit. Narrowed to one
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
    """Successful steps of the (job, step) pairs that take ``min_step_s`` on average (of one
    ``workflow``, ``job`` or ``step`` where given)."""
    pair = {"job": ("j.name", job), "step": ("s.name", step)}
    where, bound = _conditions({"workflow": ("r.workflow_name", workflow), **pair})
    usual, _ = _conditions(pair)  # the pair's average over its own steps, not the history's
    sql = _STEPS_SQL.format(where=where, usual=usual)
    return store.frame(sql, {"repo": repo_id, "min_step_s": min_step_s, **bound})


def _conditions(where: dict[str, tuple[str, str | None]]) -> tuple[str, dict[str, str]]:
    """`` AND column = :name`` for each given value (column names are ours, values are bound
    parameters), and the parameters."""
    wanted = {name: (column, value) for name, (column, value) in where.items() if value is not None}
    sql = "".join(f" AND {column} = :{name}" for name, (column, _v) in wanted.items())
    return sql, {name: value for name, (_c, value) in wanted.items()}


def commits_touched(store: Store, repo_id: int) -> pd.DataFrame:
    """The repository's stored commits: message and changed files (a JSON list)."""
    return store.frame(_COMMITS_SQL, (repo_id,))
