"""The ``sync_state`` table: where each repository's incremental sync stands.

Why a table of its own: a sync's cursor (the runs-page ETag, the newest synced run, whether a
full re-check is still pending) must survive a crash and only move when a sync completes, so an
interrupted sync resumes with no gap and no duplicate. The Pipeline Monitor owns the policy; the
app and the CLI only ask whether a repository was ever synced.
"""

from __future__ import annotations

import sqlite3

from core.store.db import Store

__all__ = [
    "load_sync_state",
    "sync_completed_at",
    "mark_full_pending",
    "complete_sync",
    "set_sync_status",
    "mark_checked",
]


def load_sync_state(store: Store, repo_id: int) -> sqlite3.Row | None:
    """The repository's ``sync_state`` row (None before its first sync started)."""
    rows = store.query("SELECT * FROM sync_state WHERE repo_id = ?", (repo_id,))
    return rows[0] if rows else None


def sync_completed_at(store: Store, repo_id: int) -> str | None:
    """When the repository's last completed sync finished (None: never)."""
    return store.scalar("SELECT completed_at FROM sync_state WHERE repo_id = ?", (repo_id,))


def mark_full_pending(store: Store, repo_id: int) -> None:
    """Remember that a full re-check is under way (cleared by :func:`complete_sync`)."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO sync_state (repo_id, full_pending) VALUES (?, 1) "
            "ON CONFLICT(repo_id) DO UPDATE SET full_pending = 1",
            (repo_id,),
        )


def complete_sync(
    store: Store,
    repo_id: int,
    *,
    etag: str | None,
    first_page_oldest: str | None,
    completed_at: str,
    newest_created_at: str | None,
    requests: int,
    message: str,
) -> None:
    """Move the cursor of a completed sync and stamp the repository's ``synced_at``, together
    (one transaction); clears ``full_pending``."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO sync_state (repo_id, runs_etag, first_page_oldest, completed_at,"
            " newest_created_at, requests_last, status, message, full_pending)"
            " VALUES (?,?,?,?,?,?,?,?,0)"
            " ON CONFLICT(repo_id) DO UPDATE SET runs_etag=excluded.runs_etag,"
            " first_page_oldest=excluded.first_page_oldest,"
            " completed_at=excluded.completed_at, newest_created_at=excluded."
            "newest_created_at, requests_last=excluded.requests_last,"
            " status=excluded.status, message=excluded.message, full_pending=0",
            (
                repo_id,
                etag,
                first_page_oldest,
                completed_at,
                newest_created_at,
                requests,
                "ok",
                message,
            ),
        )
        tx.execute("UPDATE repositories SET synced_at = ? WHERE id = ?", (completed_at, repo_id))


def set_sync_status(store: Store, repo_id: int, status: str, message: str) -> None:
    """Record a sync's status and sentence (e.g. ``interrupted``) without moving its cursor."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO sync_state (repo_id, status, message) VALUES (?,?,?) "
            "ON CONFLICT(repo_id) DO UPDATE SET status=excluded.status, "
            "message=excluded.message",
            (repo_id, status, message),
        )


def mark_checked(store: Store, repo_id: int, checked_at: str) -> None:
    """Record when the stored runs were last found consistent with GitHub's counts."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO sync_state (repo_id, checked_at) VALUES (?, ?) "
            "ON CONFLICT(repo_id) DO UPDATE SET checked_at = excluded.checked_at",
            (repo_id, checked_at),
        )
