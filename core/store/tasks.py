"""Background tasks: every agent run a page asks for, recorded so that no click or reload loses it.

Why in the store: a Streamlit script run is stopped by any click (st.rerun), so work cannot live
in it. A page records a task here and returns; a runner thread of the app server
(:mod:`agents.background`) claims it, runs the agent and writes its progress back; every page
polls these rows. The store outlives the browser tab and the script run; if the server itself
dies, the next runner finds the task ``running`` under a dead owner and marks it
``interrupted``, so the page says what happened instead of spinning forever.

States: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``interrupted``; a rate-limited task
goes back to ``queued`` with ``not_before`` at the reset time (shown as *waiting*).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from core.store.db import Store

__all__ = [
    "ACTIVE_STATES",
    "Task",
    "active_tasks",
    "beat",
    "claim_next",
    "completed",
    "defer_task",
    "finish_task",
    "interrupt_orphans",
    "latest_task",
    "recent_tasks",
    "report_progress",
    "submit_task",
    "task",
    "tasks_running",
]

ACTIVE_STATES = ("queued", "running")
INTERRUPTED = (
    "Interrupted: the app server stopped while this ran. What was stored before is kept; start"
    " it again to finish."
)
_COLUMNS = (
    "id, repo, agent, action, options, state, progress, message, summary, error, owner,"
    " heartbeat_at, not_before, created_at, started_at, finished_at"
)


@dataclass(frozen=True)
class Task:
    """One requested agent run, as a page shows it."""

    id: int
    repo: str
    agent: str
    action: str  # what the user asked for, in words: "Sync", "Fetch logs", "Root cause analysis"
    options: dict[str, Any]
    state: str
    progress: float
    message: str
    summary: str
    error: str
    owner: str
    heartbeat_at: float | None
    not_before: float
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def waiting(self) -> bool:
        """Queued behind a rate-limit reset (it resumes by itself at ``not_before``)."""
        return self.state == "queued" and self.not_before > time.time()


def _task(row: Any) -> Task:
    values = dict(row)
    values["options"] = json.loads(values["options"] or "{}")
    for text in ("message", "summary", "error", "owner"):
        values[text] = values[text] or ""
    return Task(**values)


def submit_task(
    store: Store, repo: str, agent: str, action: str, options: dict[str, Any] | None = None
) -> Task:
    """Queue a run of ``agent`` on ``repo``, unless the same run is already queued or running.

    Returns the task that will do the work (the existing one when the user clicks twice, or two
    tabs ask at once), so a double click never runs a sync twice.
    """
    body = json.dumps(options or {}, sort_keys=True)
    with store.transaction() as conn:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM tasks WHERE repo = ? COLLATE NOCASE AND agent = ?"
            " AND options = ? AND state IN ('queued', 'running') ORDER BY id LIMIT 1",
            (repo, agent, body),
        ).fetchone()
        if row is not None:
            return _task(row)
        cursor = conn.execute(
            "INSERT INTO tasks (repo, agent, action, options, created_at) VALUES (?, ?, ?, ?, ?)",
            (repo, agent, action, body, time.time()),
        )
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (cursor.lastrowid,)
        ).fetchone()
    return _task(row)


def claim_next(store: Store, owner: str, now: float | None = None) -> Task | None:
    """Take the oldest queued task that may start now; None when there is none.

    One UPDATE guarded by ``state = 'queued'`` inside an immediate transaction: two runners
    (two app servers on one store) never both claim a task.
    """
    now = time.time() if now is None else now
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT id FROM tasks WHERE state = 'queued' AND not_before <= ? ORDER BY id LIMIT 1",
            (now,),
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE tasks SET state = 'running', owner = ?, started_at = ?, heartbeat_at = ?,"
            " progress = 0, error = NULL WHERE id = ? AND state = 'queued'",
            (owner, now, now, row["id"]),
        )
        claimed = conn.execute(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (row["id"],))
        return _task(claimed.fetchone())


def report_progress(store: Store, task_id: int, fraction: float, message: str) -> None:
    """Progress and heartbeat of a running task (the runner calls this at most a few times/s)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE tasks SET progress = ?, message = ?, heartbeat_at = ?"
            " WHERE id = ? AND state = 'running'",
            (max(0.0, min(1.0, float(fraction))), message, time.time(), task_id),
        )


def beat(store: Store, task_id: int) -> None:
    """The runner is alive and still on this task (sent while the agent itself is quiet)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE tasks SET heartbeat_at = ? WHERE id = ? AND state = 'running'",
            (time.time(), task_id),
        )


def finish_task(store: Store, task_id: int, state: str, summary: str = "", error: str = "") -> None:
    """Close a task as ``done`` or ``failed`` with its sentence."""
    if state not in ("done", "failed"):
        raise ValueError(f"a task finishes as done or failed, not {state!r}")
    with store.transaction() as conn:
        conn.execute(
            "UPDATE tasks SET state = ?, summary = ?, error = ?, finished_at = ?,"
            " progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END WHERE id = ?",
            (state, summary or None, error or None, time.time(), state, task_id),
        )


def defer_task(store: Store, task_id: int, not_before: float, message: str) -> None:
    """Put a running task back in the queue until ``not_before`` (a rate-limit reset)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE tasks SET state = 'queued', not_before = ?, message = ?, owner = NULL"
            " WHERE id = ?",
            (not_before, message, task_id),
        )


def interrupt_orphans(store: Store, live_owners: set[str], stale_after_s: float) -> int:
    """Mark ``running`` tasks whose runner is gone as ``interrupted``; returns how many.

    A runner is gone when it is not one of ``live_owners`` (this process's runners) and its
    heartbeat is older than ``stale_after_s`` (another process that stopped beating: killed,
    or a server restart).
    """
    cutoff = time.time() - stale_after_s
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT id, owner, heartbeat_at FROM tasks WHERE state = 'running'"
        ).fetchall()
        gone = [
            row["id"]
            for row in rows
            if row["owner"] not in live_owners and (row["heartbeat_at"] or 0) < cutoff
        ]
        for task_id in gone:
            conn.execute(
                "UPDATE tasks SET state = 'interrupted', finished_at = ?, error = ?"
                " WHERE id = ? AND state = 'running'",
                (time.time(), INTERRUPTED, task_id),
            )
            # the Overview's agent table shows it too, like any other ending of an agent run
            conn.execute(
                "INSERT INTO agent_runs (repo_id, agent, started_at, finished_at, duration_s,"
                " status, error) SELECT r.id, t.agent, t.started_at, t.finished_at,"
                " t.finished_at - t.started_at, 'error', t.error FROM tasks t"
                " LEFT JOIN repositories r ON r.full_name = t.repo WHERE t.id = ?",
                (task_id,),
            )
    return len(gone)


def completed(store: Store, repo: str, agent: str, options: dict[str, Any] | None = None) -> bool:
    """Whether a run of ``agent`` with exactly these options on ``repo`` ever finished ``done``."""
    return bool(
        store.scalar(
            "SELECT 1 FROM tasks WHERE repo = ? COLLATE NOCASE AND agent = ? AND options = ?"
            " AND state = 'done' LIMIT 1",
            (repo, agent, json.dumps(options or {}, sort_keys=True)),
        )
    )


def tasks_running(store: Store) -> bool:
    """Whether any task is running now (the embedded publisher waits for it)."""
    return bool(store.scalar("SELECT 1 FROM tasks WHERE state = 'running' LIMIT 1"))


def task(store: Store, task_id: int) -> Task | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (task_id,))
    return _task(rows[0]) if rows else None


def active_tasks(store: Store, repo: str | None = None) -> list[Task]:
    """Queued and running tasks (of ``repo`` when given), oldest first."""
    where = "state IN ('queued', 'running')"
    params: tuple[Any, ...] = ()
    if repo is not None:
        where += " AND repo = ? COLLATE NOCASE"
        params = (repo,)
    rows = store.query(f"SELECT {_COLUMNS} FROM tasks WHERE {where} ORDER BY id", params)
    return [_task(row) for row in rows]


def latest_task(store: Store, repo: str, agent: str) -> Task | None:
    """The newest task of ``agent`` on ``repo``, whatever its state."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM tasks WHERE repo = ? COLLATE NOCASE AND agent = ?"
        " ORDER BY id DESC LIMIT 1",
        (repo, agent),
    )
    return _task(rows[0]) if rows else None


def recent_tasks(store: Store, repo: str, limit: int = 20) -> list[Task]:
    """The newest tasks of ``repo``, newest first (the page's activity list)."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM tasks WHERE repo = ? COLLATE NOCASE ORDER BY id DESC LIMIT ?",
        (repo, limit),
    )
    return [_task(row) for row in rows]
