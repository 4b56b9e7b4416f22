"""Jobs and their steps as the pages and the analysis agents read them.

Why one module: the run -> job -> step drill-down, the log viewer's GitHub links (a log's
sections map onto the job's API steps) and Root Cause Analysis (a failed job, its failed step
and its last green twin) all ask the same tables the same kind of question. Writes happen
elsewhere: a whole run with its jobs and steps in :mod:`core.store.runs`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.store.db import Store
from core.store.schema import FAILED_JOB

__all__ = ["jobs_of_run", "steps_of_job", "job_html_url", "api_steps", "failed_jobs_with_logs"]


def jobs_of_run(store: Store, repo_id: int, run_id: int) -> pd.DataFrame:
    """Every job of every attempt of one run, latest attempt first, with its log's state
    (``not fetched`` when no log row exists)."""
    return store.frame(
        "SELECT j.attempt, j.job_id, j.name AS job, j.status, j.conclusion, j.queue_s,"
        " j.duration_s, j.runner_os, j.started_at, j.html_url, COALESCE(l.state, 'not fetched')"
        " AS log FROM jobs j LEFT JOIN logs l ON l.repo_id = j.repo_id AND l.job_id = j.job_id"
        " WHERE j.repo_id = ? AND j.run_id = ? ORDER BY j.attempt DESC, j.started_at, j.name",
        (repo_id, run_id),
    )


def steps_of_job(store: Store, repo_id: int, job_id: int) -> pd.DataFrame:
    """The steps of one job in order, with their durations in seconds."""
    return store.frame(
        "SELECT number, name, status, conclusion, started_at, completed_at, duration_s"
        " FROM steps WHERE repo_id = ? AND job_id = ? ORDER BY number",
        (repo_id, job_id),
    )


def job_html_url(store: Store, repo_id: int, job_id: int) -> Any:
    """The stored ``html_url`` of a job (None when the job or its URL is not stored)."""
    rows = store.query(
        "SELECT html_url FROM jobs WHERE repo_id = ? AND job_id = ?", (repo_id, job_id)
    )
    return rows[0][0] if rows else None


def api_steps(store: Store, repo_id: int, job_id: int) -> list[dict[str, Any]]:
    """The job's steps as GitHub's API lists them (number, name, conclusion, times), in order:
    what :func:`core.logs.normalise.map_github_steps` maps a log's sections onto."""
    return [
        dict(row)
        for row in store.query(
            "SELECT number, name, conclusion, started_at, completed_at FROM steps"
            " WHERE repo_id = ? AND job_id = ? ORDER BY number",
            (repo_id, job_id),
        )
    ]


_FAILED_JOBS_SQL = f"""
SELECT j.job_id, j.run_id, j.attempt, j.name AS job, j.conclusion, j.started_at, j.html_url,
       r.workflow_name AS workflow, r.workflow_id, r.head_branch AS branch, r.pr_numbers AS prs,
       r.created_at, r.head_sha,
       (SELECT s.name FROM steps s WHERE s.repo_id = j.repo_id AND s.job_id = j.job_id
        AND s.conclusion = 'failure' ORDER BY s.number LIMIT 1) AS failed_step,
       (SELECT g.job_id FROM jobs g JOIN runs gr ON gr.repo_id = g.repo_id AND gr.run_id = g.run_id
        AND gr.attempt = g.attempt
        JOIN logs gl ON gl.repo_id = g.repo_id AND gl.job_id = g.job_id AND gl.state = 'ok'
        WHERE g.repo_id = j.repo_id AND g.name = j.name AND gr.workflow_id IS r.workflow_id
          AND g.conclusion = 'success' AND g.started_at < j.started_at
        ORDER BY g.started_at DESC LIMIT 1) AS green_job_id
FROM jobs j
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
JOIN logs l ON l.repo_id = j.repo_id AND l.job_id = j.job_id AND l.state = 'ok'
WHERE j.repo_id = :repo
  AND j.conclusion IN {FAILED_JOB}
  AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.repo_id = j.repo_id AND f.agent = :agent
                  AND f.key = :agent || ':' || j.job_id)
ORDER BY j.started_at
"""


def failed_jobs_with_logs(store: Store, repo_id: int, unexplained_by: str = "") -> pd.DataFrame:
    """Failed jobs with a stored log, their failed step and their last green job with a log,
    in start order (through the partial index ``jobs_failed``, schema V10). With
    ``unexplained_by``: only those that agent has no finding for yet (findings keyed by job id,
    as :func:`core.store.findings.save_findings` keys them), so a second analysis reads only
    what is new."""
    return store.frame(_FAILED_JOBS_SQL, {"repo": repo_id, "agent": unexplained_by})
