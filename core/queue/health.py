"""Worker health in the store: who publishes, since when, how much, the last error.

The store is the one place every process sees, so it is where the Queues page reads health from,
where a restarted worker learns that its predecessor on this host died (and frees its leases at
once instead of waiting for them to expire), and where the app's supervisor checks that no other
worker is already publishing before it starts one (a store-level lease: a fresh heartbeat).
This module holds the policy (live states, heartbeat age, pid checks); the rows themselves are
read and written by :mod:`core.store.workers`.
"""

from __future__ import annotations

import os
import socket
import time

import pandas as pd

from core.store import workers
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
    "publishing_endpoint",
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
        workers.register_worker(tx, worker_id, os.getpid(), HOST, now, mode, endpoint)


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
        workers.update_heartbeat(
            tx,
            worker_id,
            now,
            state,
            sent_total,
            failed_total,
            (last_error or None) and last_error[:1000],
        )


def live_workers(store: Store, ttl_s: float = 30.0, now: float | None = None) -> list[dict]:
    """Workers whose heartbeat is younger than ``ttl_s`` and that did not say they stopped."""
    now = time.time() if now is None else now
    return workers.live_workers(store, LIVE_STATES, now - ttl_s)


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
        other = workers.other_live_worker(tx, LIVE_STATES, now - ttl_s, worker_id)
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
    rows = workers.host_workers(store, host, LIVE_STATES)
    dead = [r["worker_id"] for r in rows if r["pid"] and not _pid_alive(int(r["pid"]))]
    if dead:
        workers.mark_dead(store, dead)
    return dead


def forget_old(store: Store, older_than_s: float, now: float | None = None) -> int:
    """Delete rows of workers silent for longer than ``older_than_s`` (every run adds one)."""
    cutoff = (time.time() if now is None else now) - older_than_s
    return workers.delete_silent(store, cutoff)


def health_frame(store: Store, ttl_s: float = 30.0, now: float | None = None) -> pd.DataFrame:
    """Every known worker, newest first, with ``alive`` and seconds since the last heartbeat."""
    now = time.time() if now is None else now
    frame = workers.workers_frame(store)
    frame["heartbeat_age_s"] = (now - frame["heartbeat_at"]).round(1)
    frame["alive"] = frame["state"].isin(LIVE_STATES) & (frame["heartbeat_age_s"] < ttl_s)
    for column in ("started_at", "heartbeat_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame


def _local(url: str) -> bool:
    from core.queue.sqs import is_local_endpoint

    return is_local_endpoint(url)


def publishing_endpoint(
    store: Store, ttl_s: float = 30.0, now: float | None = None, host: str = HOST
) -> tuple[str, str] | None:
    """(endpoint, worker id) of the live worker that publishes from ``store``, newest first;
    the endpoint is ``""`` for AWS. A loopback endpoint counts only for a worker of this host
    (another machine's 127.0.0.1 is not ours). None when no worker publishes now."""
    frame = health_frame(store, ttl_s, now)
    for row in frame[frame["alive"]].itertuples():
        endpoint = row.endpoint if isinstance(row.endpoint, str) else ""
        if endpoint and _local(endpoint) and row.host != host:
            continue
        return endpoint, str(row.worker_id)
    return None
