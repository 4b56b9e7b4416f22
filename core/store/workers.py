"""The ``worker_health`` table: one row per outbox worker, its heartbeat, counters and last error.

Why it lives in the store: the store is the one place every process sees, so it is where a
worker announces itself, where the app's supervisor checks for a live publisher before starting
another one, and where a restarted worker learns that its predecessor died. The policy (which
states count as live, how old a heartbeat may be, whether a pid is alive) is the caller's,
:mod:`core.queue.health`; this module only reads and writes the rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from core.store.db import Store

__all__ = [
    "register_worker",
    "update_heartbeat",
    "live_workers",
    "other_live_worker",
    "host_workers",
    "mark_dead",
    "delete_silent",
    "workers_frame",
]


def register_worker(
    conn: sqlite3.Connection,
    worker_id: str,
    pid: int,
    host: str,
    now: float,
    mode: str,
    endpoint: str,
) -> None:
    """Insert (or reset) a worker's row with state ``starting``, in the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO worker_health (worker_id, pid, host, started_at,"
        " heartbeat_at, state, sent_total, failed_total, last_error, mode, endpoint)"
        " VALUES (?,?,?,?,?,'starting',0,0,NULL,?,?)",
        (worker_id, pid, host, now, now, mode, endpoint),
    )


def update_heartbeat(
    conn: sqlite3.Connection,
    worker_id: str,
    now: float,
    state: str,
    sent_total: int,
    failed_total: int,
    last_error: str | None,
) -> None:
    """Stamp a worker's heartbeat, state and counters, in the caller's transaction."""
    conn.execute(
        "UPDATE worker_health SET heartbeat_at = ?, state = ?, sent_total = ?,"
        " failed_total = ?, last_error = ? WHERE worker_id = ?",
        (now, state, sent_total, failed_total, last_error, worker_id),
    )


def _live_sql(states: Sequence[str], exclude: bool) -> str:
    marks = ",".join("?" * len(states))
    return (
        f"SELECT worker_id, pid, host, mode, state, heartbeat_at FROM worker_health"
        f" WHERE state IN ({marks}) AND heartbeat_at > ?"
        + (" AND worker_id <> ?" if exclude else "")
    )


def live_workers(store: Store, states: Sequence[str], since: float) -> list[dict[str, Any]]:
    """Workers in one of ``states`` whose heartbeat is newer than ``since``."""
    rows = store.query(_live_sql(states, False), (*states, since))
    return [dict(r) for r in rows]


def other_live_worker(
    conn: sqlite3.Connection, states: Sequence[str], since: float, worker_id: str
) -> sqlite3.Row | None:
    """A live worker other than ``worker_id`` (None: nobody else), in the caller's transaction."""
    return conn.execute(_live_sql(states, True), (*states, since, worker_id)).fetchone()


def host_workers(store: Store, host: str, states: Sequence[str]) -> list[sqlite3.Row]:
    """``worker_id`` and ``pid`` of the workers of ``host`` in one of ``states``."""
    marks = ",".join("?" * len(states))
    return store.query(
        f"SELECT worker_id, pid FROM worker_health WHERE host = ? AND state IN ({marks})",
        (host, *states),
    )


def mark_dead(store: Store, worker_ids: Iterable[str]) -> None:
    """Set these workers' state to ``dead`` (one transaction)."""
    with store.transaction() as tx:
        tx.executemany(
            "UPDATE worker_health SET state = 'dead' WHERE worker_id = ?",
            [(w,) for w in worker_ids],
        )


def delete_silent(store: Store, cutoff: float) -> int:
    """Delete the rows whose last heartbeat is older than ``cutoff``; returns how many."""
    with store.transaction() as tx:
        return tx.execute("DELETE FROM worker_health WHERE heartbeat_at < ?", (cutoff,)).rowcount


def workers_frame(store: Store) -> pd.DataFrame:
    """Every known worker's row, newest heartbeat first."""
    return store.frame(
        "SELECT worker_id, mode, state, host, pid, endpoint, started_at,"
        " heartbeat_at, sent_total, failed_total, last_error FROM worker_health"
        " ORDER BY heartbeat_at DESC"
    )
