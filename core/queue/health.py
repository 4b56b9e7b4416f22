"""Worker health in the store: who publishes, since when, how much, the last error.

The store is the one place every process sees, so it is where the Queues page reads health from,
where a restarted worker learns that its predecessor on this host died (and frees its leases at
once instead of waiting for them to expire), and where the app's supervisor checks that no other
worker is already publishing before it starts one (a store-level lease: a fresh heartbeat).
"""

from __future__ import annotations

import os
import socket
import time

import pandas as pd

from core.store.db import Store

__all__ = [
    "HOST",
    "register",
    "heartbeat",
    "acquire_lease",
    "live_workers",
    "reap_dead_local",
    "forget_old",
    "health_frame",
    "LIVE_STATES",
]

HOST = socket.gethostname()
LIVE_STATES = ("starting", "running", "idle", "backing_off", "stopping")


def register(
    store: Store, worker_id: str, mode: str, endpoint: str, now: float | None = None
) -> None:
    """Insert (or reset) this worker's row with state ``starting``."""
    now = time.time() if now is None else now
    with store.transaction() as tx:
        tx.execute(
            "INSERT OR REPLACE INTO worker_health (worker_id, pid, host, started_at,"
            " heartbeat_at, state, sent_total, failed_total, last_error, mode, endpoint)"
            " VALUES (?,?,?,?,?,'starting',0,0,NULL,?,?)",
            (worker_id, os.getpid(), HOST, now, now, mode, endpoint),
        )


def heartbeat(
    store: Store,
    worker_id: str,
    state: str,
    sent_total: int,
    failed_total: int,
    last_error: str | None,
    now: float | None = None,
) -> None:
    now = time.time() if now is None else now
    with store.transaction() as tx:
        tx.execute(
            "UPDATE worker_health SET heartbeat_at = ?, state = ?, sent_total = ?,"
            " failed_total = ?, last_error = ? WHERE worker_id = ?",
            (
                now,
                state,
                sent_total,
                failed_total,
                (last_error or None) and last_error[:1000],
                worker_id,
            ),
        )


def _live_sql(exclude: bool) -> str:
    marks = ",".join("?" * len(LIVE_STATES))
    return (
        f"SELECT worker_id, pid, host, mode, state, heartbeat_at FROM worker_health"
        f" WHERE state IN ({marks}) AND heartbeat_at > ?"
        + (" AND worker_id <> ?" if exclude else "")
    )


def live_workers(store: Store, ttl_s: float = 30.0, now: float | None = None) -> list[dict]:
    """Workers whose heartbeat is younger than ``ttl_s`` and that did not say they stopped."""
    now = time.time() if now is None else now
    rows = store.query(_live_sql(False), (*LIVE_STATES, now - ttl_s))
    return [dict(r) for r in rows]


def acquire_lease(
    store: Store,
    worker_id: str,
    mode: str,
    endpoint: str,
    ttl_s: float = 30.0,
    now: float | None = None,
) -> bool:
    """Register ``worker_id`` only if no other live worker publishes from this store.

    Check and insert happen in one ``BEGIN IMMEDIATE`` transaction, so two app servers starting
    together cannot both win.
    """
    now = time.time() if now is None else now
    with store.transaction() as tx:
        other = tx.execute(_live_sql(True), (*LIVE_STATES, now - ttl_s, worker_id)).fetchone()
        if other is not None:
            return False
        register(store, worker_id, mode, endpoint, now)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def reap_dead_local(store: Store, host: str = HOST) -> list[str]:
    """Mark workers of this host whose process is gone as ``dead``; return their ids."""
    marks = ",".join("?" * len(LIVE_STATES))
    rows = store.query(
        f"SELECT worker_id, pid FROM worker_health WHERE host = ? AND state IN ({marks})",
        (host, *LIVE_STATES),
    )
    dead = [r["worker_id"] for r in rows if r["pid"] and not _pid_alive(int(r["pid"]))]
    if dead:
        with store.transaction() as tx:
            tx.executemany(
                "UPDATE worker_health SET state = 'dead' WHERE worker_id = ?", [(w,) for w in dead]
            )
    return dead


def forget_old(store: Store, older_than_s: float, now: float | None = None) -> int:
    """Delete rows of workers silent for longer than ``older_than_s`` (every run adds one)."""
    cutoff = (time.time() if now is None else now) - older_than_s
    with store.transaction() as tx:
        return tx.execute("DELETE FROM worker_health WHERE heartbeat_at < ?", (cutoff,)).rowcount


def health_frame(store: Store, ttl_s: float = 30.0, now: float | None = None) -> pd.DataFrame:
    """Every known worker, newest first, with ``alive`` and seconds since the last heartbeat."""
    now = time.time() if now is None else now
    frame = store.frame(
        "SELECT worker_id, mode, state, host, pid, endpoint, started_at,"
        " heartbeat_at, sent_total, failed_total, last_error FROM worker_health"
        " ORDER BY heartbeat_at DESC"
    )
    frame["heartbeat_age_s"] = (now - frame["heartbeat_at"]).round(1)
    frame["alive"] = frame["state"].isin(LIVE_STATES) & (frame["heartbeat_age_s"] < ttl_s)
    for column in ("started_at", "heartbeat_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame
