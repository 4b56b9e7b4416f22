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
from core.store.runs import with_run_words

__all__ = ["run_series", "job_series", "step_series", "step_names", "commits_touched"]

_RUNS_SQL = """
SELECT run_id, attempt, workflow_name AS workflow, created_at, duration_s, head_sha,
       run_number, html_url
FROM runs WHERE repo_id = :repo AND is_latest = 1 AND status = 'completed'
  AND conclusion = 'success' AND duration_s IS NOT NULL {where}
ORDER BY created_at, run_id
"""

# Each run attempt's words, read once and given to its jobs and steps in pandas
# (:func:`_with_run_words`): joined in SQL, sqlite3 made a Python string of each for every job
# and step (100k runs: the job series 5.0 -> 3.6 CPU s, the step series 6.7 -> 5.2 s).
_RUN_WORDS_SQL = """
SELECT run_id, attempt, workflow_name AS workflow, created_at, head_sha, run_number
FROM runs WHERE repo_id = :repo {where}
"""
# one workflow's jobs and steps, narrowed in SQL (the page's chart of one series)
_OF_WORKFLOW = (
    "(j.run_id, j.attempt) IN"
    " (SELECT run_id, attempt FROM runs WHERE repo_id = :repo AND workflow_name = :workflow)"
)

_JOBS_SQL = """
SELECT j.job_id, j.run_id, j.attempt, j.name AS job, j.started_at, j.duration_s, j.queue_s,
       j.conclusion, j.runner_os, j.labels
FROM jobs j
WHERE j.repo_id = :repo AND j.status = 'completed' AND j.started_at IS NOT NULL {where}
ORDER BY j.started_at, j.job_id
"""
_JOB_COLUMNS = ["job_id", "run_id", "attempt", "workflow", "job", "started_at", "created_at"]
_JOB_COLUMNS += ["duration_s", "queue_s", "conclusion", "runner_os", "labels", "head_sha"]
_JOB_COLUMNS += ["run_number"]

# Which (job, step) pairs matter is read from the daily step summaries (:mod:`.rollups`: a few
# thousand rows), not from the steps. Then the loop starts from the jobs of those pairs' names
# (an index) and finds each job's run and steps by key (CROSS JOIN fixes that order): left to
# choose, SQLite walked every step of the repository and looked up its job and run, three
# searches per step (100k runs, 4.9M steps: 77 s for the pairs and as long again for the rows;
# this way 28 s on a loaded machine, the same rows in the same order). Each step's run words
# are added in pandas (see _RUN_WORDS_SQL); a job whose run attempt is not stored is left out.
_WATCHED_STEPS = """
WITH usual AS (
  SELECT job, step FROM step_daily WHERE repo_id = :repo {usual}
  GROUP BY job, step HAVING SUM(total_s) >= :min_step_s * SUM(steps)
)
SELECT j.job_id, j.run_id, j.attempt, j.name AS job, s.name AS step, s.number, s.started_at,
       s.duration_s
{loops}
JOIN usual u ON u.job = j.name AND u.step = s.name
WHERE s.conclusion = 'success' AND s.duration_s IS NOT NULL AND s.started_at IS NOT NULL
  AND {first}
ORDER BY s.started_at, j.job_id, s.number
"""
_STEPS_SQL = _WATCHED_STEPS.format(
    usual="{usual}",
    loops="FROM jobs j\nCROSS JOIN steps s ON s.repo_id = j.repo_id AND s.job_id = j.job_id",
    first="j.repo_id = :repo AND j.name IN (SELECT job FROM usual) {where}",
)
# The whole repository's (Anomaly Detection's read): the other way round, the steps first, each
# kept only if its name is one of the pairs' step names (a test on the row itself) before its
# job is looked up by key. The jobs-first loop above visits every step of every job of those
# names (at 100k runs 4.9M steps for 632k rows: 3.9 s; this way 2.3 s, the same rows in the same
# order); narrowed to a job, a step or a workflow, it reads far fewer steps than a scan would.
_ALL_STEPS_SQL = _WATCHED_STEPS.format(
    usual="",
    loops="FROM steps s\nCROSS JOIN jobs j ON j.repo_id = s.repo_id AND j.job_id = s.job_id",
    first="s.repo_id = :repo AND s.name IN (SELECT step FROM usual)",
)
_STEP_COLUMNS = ["job_id", "run_id", "attempt", "workflow", "job", "step", "number"]
_STEP_COLUMNS += ["started_at", "duration_s", "head_sha", "run_number"]

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
            "workflow": (_OF_WORKFLOW, workflow),
            "job": ("j.name", job),
            "labels": ("COALESCE(j.labels, 'unknown')", labels),
        }
    )
    jobs = store.frame(_JOBS_SQL.format(where=where), {"repo": repo_id, **bound})
    return _with_run_words(store, repo_id, jobs, workflow, _JOB_COLUMNS)


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
    where, bound = _conditions({"workflow": (_OF_WORKFLOW, workflow), **pair})
    # the pair's average over its own steps, not the history's
    usual, _ = _conditions({"job": ("job", job), "step": ("step", step)})
    whole = workflow is None and job is None and step is None
    sql = _ALL_STEPS_SQL if whole else _STEPS_SQL.format(where=where, usual=usual)
    steps = store.frame(sql, {"repo": repo_id, "min_step_s": min_step_s, **bound})
    return _with_run_words(store, repo_id, steps, workflow, _STEP_COLUMNS)


def _with_run_words(
    store: Store, repo_id: int, rows: pd.DataFrame, workflow: str | None, columns: list[str]
) -> pd.DataFrame:
    """``rows`` (each with ``run_id, attempt``) with their run attempt's words
    (:data:`_RUN_WORDS_SQL`), in their order and as ``columns``; a row whose run attempt is not
    stored is left out, as a join in SQL leaves it."""
    if rows.empty:
        return pd.DataFrame(columns=columns)
    where, bound = _conditions({"workflow": ("workflow_name", workflow)})
    runs = store.frame(_RUN_WORDS_SQL.format(where=where), {"repo": repo_id, **bound})
    return with_run_words(rows, runs, columns)


def _conditions(where: dict[str, tuple[str, str | None]]) -> tuple[str, dict[str, str]]:
    """`` AND column = :name`` for each given value (column names are ours, values are bound
    parameters), and the parameters; a "column" that already names its parameter (``:name``)
    is a whole condition of its own."""
    wanted = {name: (column, value) for name, (column, value) in where.items() if value is not None}
    sql = "".join(
        f" AND {column}" if f":{name}" in column else f" AND {column} = :{name}"
        for name, (column, _v) in wanted.items()
    )
    return sql, {name: value for name, (_c, value) in wanted.items()}


def step_names(store: Store, repo_id: int, job_ids: Sequence[int]) -> dict[int, str]:
    """The names of each given job's steps in their order, ``|``-joined (a job with no
    stored steps is left out)."""
    rows = store.query(_STEP_NAMES_SQL, (repo_id, json.dumps([int(i) for i in job_ids])))
    return {int(row["job_id"]): str(row["step_names"]) for row in rows}


def commits_touched(store: Store, repo_id: int) -> pd.DataFrame:
    """The repository's stored commits: message and changed files (a JSON list)."""
    return store.frame(_COMMITS_SQL, (repo_id,))
