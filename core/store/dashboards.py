"""The read queries behind the Overview and Pipelines pages: runs, jobs and steps of a period,
the latest failures, how fresh a repository's data is and a version stamp for the caches.

Why a module of its own: these are aggregates over several tables, shaped for the pages (one
statement each, aggregating in SQLite where that saves moving rows into Python), not the
questions of any one table's owner. A period's jobs and steps are read from the per-day
summaries :mod:`core.store.rollups` keeps (value counts, so percentiles stay exact), never row
by row: at 100k runs a 90-day window holds 770k jobs and 5M steps. A repository is named, not
numbered: every query resolves it with :data:`core.store.repositories.REPO_ID_BY_NAME`.
Periods are ``(start, end]`` pairs of ISO-8601 UTC strings (they sort as text, like the stored
``created_at``). The shaping into charts and KPIs is :mod:`agents.pipeline_monitor.view`'s.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

import pandas as pd

from core.store.db import Store
from core.store.findings import finding_key
from core.store.repositories import REPO_ID_BY_NAME as _REPO_ID

__all__ = [
    "newest_run_at",
    "oldest_run_at",
    "data_version",
    "runs_between",
    "run_outcomes_between",
    "jobs_between",
    "job_durations_between",
    "queue_times_between",
    "slowest_steps",
    "latest_failed_jobs",
    "freshness",
]


def newest_run_at(store: Store, repo: str) -> Any:
    """``created_at`` of the newest stored run of ``repo`` (None: no runs)."""
    return store.scalar(f"SELECT MAX(created_at) FROM runs WHERE repo_id = {_REPO_ID}", (repo,))


def oldest_run_at(store: Store, repo: str) -> Any:
    """``created_at`` of the oldest stored run of ``repo`` (None: no runs)."""
    return store.scalar(f"SELECT MIN(created_at) FROM runs WHERE repo_id = {_REPO_ID}", (repo,))


def data_version(store: Store, repo: str) -> sqlite3.Row:
    """(synced_at, newest agent run id, stored logs, stored runs of ``repo``): any change to
    what the pages show changes one of them."""
    return store.query(
        f"SELECT (SELECT synced_at FROM repositories WHERE id = {_REPO_ID}),"
        " (SELECT MAX(id) FROM agent_runs), (SELECT COUNT(*) FROM logs),"
        f" (SELECT COUNT(*) FROM runs WHERE repo_id = {_REPO_ID})",
        (repo, repo),
    )[0]


_RUN_COLUMNS = """run_id, attempt, workflow_name AS workflow, run_number, event, status,
       conclusion, head_branch AS branch, actor, created_at, duration_s, html_url,
       display_title AS title"""


def runs_between(store: Store, repo: str, start: str, end: str) -> pd.DataFrame:
    """Latest attempt of every run created in ``(start, end]``, newest first."""
    return store.frame(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE repo_id = {_REPO_ID} AND is_latest = 1"
        " AND created_at > ? AND created_at <= ? ORDER BY created_at DESC",
        (repo, start, end),
    )


def run_outcomes_between(store: Store, repo: str, start: str, end: str) -> pd.DataFrame:
    """What the Overview's KPIs and runs per day need of the latest attempt of every run created
    in ``(start, end]``: half the bytes of :func:`runs_between` for two periods of 44k runs."""
    return store.frame(
        "SELECT created_at, status, conclusion, duration_s FROM runs"
        f" WHERE repo_id = {_REPO_ID} AND is_latest = 1 AND created_at > ? AND created_at <= ?",
        (repo, start, end),
    )


def jobs_between(store: Store, repo: str, start: str, end: str) -> pd.DataFrame:
    """Every job of every attempt of the runs created in ``(start, end]``."""
    return store.frame(
        "SELECT j.job_id, j.run_id, j.attempt, r.workflow_name AS workflow, j.name AS job,"
        " j.status, j.conclusion, r.created_at, j.queue_s, j.duration_s, j.runner_os,"
        " j.html_url FROM runs r JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id"
        " AND j.attempt = r.attempt"
        f" WHERE r.repo_id = {_REPO_ID} AND r.created_at > ? AND r.created_at <= ?",
        (repo, start, end),
    )


# The per-day summaries (core.store.rollups) hold whole days; a period starts and ends inside a
# day, so its two edge days are summed from their own rows (at most a day of jobs each). Runs
# lead the joins (CROSS JOIN fixes SQLite's loop order: runs of the edges by runs_repo_created,
# then their jobs and steps by key; left to choose, it may walk every step of the repository).
_EDGE_RUNS = (
    "FROM runs r CROSS JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id"
    " AND j.attempt = r.attempt"
)
_EDGE_WHERE = (
    "WHERE r.repo_id = :repo AND ((r.created_at > :start AND r.created_at < :first_day)"
    " OR (r.created_at >= :last_day AND r.created_at <= :end))"
)
_WHOLE_DAYS = "WHERE repo_id = :repo AND day >= :first_day AND day < :last_day"

_JOB_COUNTS_SQL = f"""
SELECT NULLIF(workflow, '') AS workflow, NULLIF(job, '') AS job,
       NULLIF(runner_os, '') AS runner_os, CASE WHEN skipped THEN 'skipped' END AS conclusion,
       CASE WHEN timed THEN duration_s END AS duration_s, SUM(jobs) AS weight
FROM (
    SELECT workflow, job, runner_os, skipped, timed, duration_s, jobs FROM job_daily
    {_WHOLE_DAYS}
    UNION ALL
    SELECT COALESCE(r.workflow_name, ''), COALESCE(j.name, ''), COALESCE(j.runner_os, ''),
           j.conclusion IS 'skipped', j.duration_s IS NOT NULL, COALESCE(j.duration_s, 0),
           COUNT(*)
    {_EDGE_RUNS} {_EDGE_WHERE}
    GROUP BY 1, 2, 3, 4, 5, 6)
GROUP BY workflow, job, runner_os, skipped, timed, duration_s
"""

_QUEUE_COUNTS_SQL = f"""
SELECT day, NULLIF(runner_os, '') AS runner_os,
       CASE WHEN skipped THEN 'skipped' END AS conclusion, queue_s, SUM(jobs) AS weight
FROM (
    SELECT day, runner_os, skipped, queue_s, jobs FROM queue_daily {_WHOLE_DAYS}
    UNION ALL
    SELECT substr(r.created_at, 1, 10), COALESCE(j.runner_os, ''), j.conclusion IS 'skipped',
           j.queue_s, COUNT(*)
    {_EDGE_RUNS} {_EDGE_WHERE} AND j.queue_s IS NOT NULL
    GROUP BY 1, 2, 3, 4)
GROUP BY day, runner_os, skipped, queue_s
"""

_SLOWEST_STEPS_SQL = f"""
SELECT NULLIF(workflow, '') AS workflow, NULLIF(job, '') AS job, NULLIF(step, '') AS step,
       SUM(steps) AS runs, SUM(total_s) / SUM(steps) / 60.0 AS mean_min,
       MAX(max_s) / 60.0 AS max_min, SUM(total_s) / 60.0 AS total_min
FROM (
    SELECT workflow, job, step, steps, total_s, max_s FROM step_daily {_WHOLE_DAYS}
    UNION ALL
    SELECT COALESCE(r.workflow_name, ''), COALESCE(j.name, ''), COALESCE(s.name, ''),
           COUNT(*), SUM(s.duration_s), MAX(s.duration_s)
    {_EDGE_RUNS} CROSS JOIN steps s ON s.repo_id = j.repo_id AND s.job_id = j.job_id
    {_EDGE_WHERE} AND s.duration_s IS NOT NULL
    GROUP BY 1, 2, 3)
GROUP BY workflow, job, step
ORDER BY mean_min DESC, workflow, job, step
LIMIT :top
"""


def slowest_steps(store: Store, repo: str, start: str, end: str, top: int) -> pd.DataFrame:
    """The ``top`` steps by mean duration (minutes) of the runs created in ``(start, end]``:
    count, mean, maximum and total of the steps with a duration, from the per-day summary."""
    return store.frame(_SLOWEST_STEPS_SQL, {**_period(store, repo, start, end), "top": top})


def job_durations_between(store: Store, repo: str, start: str, end: str) -> pd.DataFrame:
    """The jobs of every attempt of the runs created in ``(start, end]`` as value counts: one
    row per (workflow, job, runner_os, conclusion 'skipped' or None, duration_s) with
    ``weight``, how many jobs had it (exact medians, sums and minutes without loading a job)."""
    return store.frame(_JOB_COUNTS_SQL, _period(store, repo, start, end))


def queue_times_between(store: Store, repo: str, start: str, end: str) -> pd.DataFrame:
    """The queue times of the jobs of the runs created in ``(start, end]`` as value counts per
    day: (day, runner_os, conclusion 'skipped' or None, queue_s, weight)."""
    return store.frame(_QUEUE_COUNTS_SQL, _period(store, repo, start, end))


def _period(store: Store, repo: str, start: str, end: str) -> dict[str, Any]:
    """The parameters of ``(start, end]``: the whole days from the day after ``start`` up to
    the day of ``end`` (exclusive) come from the summaries, the rest from the rows."""
    first_day = (date.fromisoformat(start[:10]) + timedelta(days=1)).isoformat()
    return {
        "repo": store.repo_id(repo) or -1,
        "start": start,
        "end": end,
        "first_day": first_day,
        "last_day": max(first_day, end[:10]),
    }


def latest_failed_jobs(
    store: Store, repo: str, runs: int, explained_by: str | None = None
) -> pd.DataFrame:
    """The failed jobs of the ``runs`` newest failed runs (a run without a failed job as one
    ``(run)`` row), newest first; with ``explained_by`` (an analysis agent's name), the class
    and summary that agent stored for each job (empty until it ran), found by its key (the
    agent's name and the job's id): by its subject alone SQLite read every finding of the agent
    for each job (at 100k runs, 26k findings: 0.2-0.3 s of every Overview render)."""
    return store.frame(
        "WITH failed AS (SELECT run_id, attempt, repo_id, workflow_name, run_number, head_branch,"
        " created_at, html_url FROM runs WHERE repo_id = " + _REPO_ID + " AND is_latest = 1"
        " AND conclusion IN ('failure', 'timed_out', 'startup_failure')"
        " ORDER BY created_at DESC LIMIT ?)"
        " SELECT f.created_at, f.workflow_name AS workflow, f.run_number, f.head_branch AS"
        " branch, COALESCE(j.name, '(run)') AS job, COALESCE(j.conclusion, 'failure') AS"
        " conclusion, rc.kind AS root_cause, rc.summary AS cause_summary,"
        " f.html_url AS run_url, j.html_url AS job_url, f.run_id, j.job_id"
        " FROM failed f LEFT JOIN jobs j ON j.repo_id = f.repo_id AND j.run_id = f.run_id"
        " AND j.attempt = f.attempt"
        " AND j.conclusion IN ('failure', 'timed_out', 'startup_failure')"
        " LEFT JOIN findings rc ON rc.repo_id = f.repo_id AND rc.agent = ?"
        " AND rc.key = ? || j.job_id AND rc.subject = 'job:' || j.job_id"
        " ORDER BY f.created_at DESC, j.name",
        (repo, runs, explained_by or "", finding_key(explained_by or "", "")),
    )


def finding_kinds(store: Store, repo: str, agent: str, since: str) -> pd.DataFrame:
    """How many findings of each kind ``agent`` stored for ``repo`` about things created since
    ``since`` (ISO time, the finding's own ``created_at`` field), most frequent first."""
    return store.frame(
        "SELECT kind, COUNT(*) AS findings FROM findings WHERE repo_id = " + _REPO_ID + ""
        " AND agent = ? AND json_extract(data, '$.created_at') >= ? GROUP BY kind"
        " ORDER BY findings DESC, kind",
        (repo, agent, since),
    )


def freshness(store: Store, repo: str) -> sqlite3.Row | None:
    """(synced_at, sync status, sync message, newest run's created_at, latest runs stored) of
    ``repo``; None when the repository is not stored."""
    rows = store.query(
        "SELECT r.synced_at, s.status, s.message, (SELECT MAX(created_at) FROM runs"
        " WHERE repo_id = r.id), (SELECT COUNT(*) FROM runs WHERE repo_id = r.id"
        " AND is_latest = 1) FROM repositories r LEFT JOIN sync_state s ON s.repo_id = r.id"
        " WHERE r.full_name = ? COLLATE NOCASE",
        (repo,),
    )
    return rows[0] if rows else None
