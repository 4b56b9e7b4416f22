"""What the store holds, per repository: the CLI's ``status`` and the app's sidebar read this."""

from __future__ import annotations

import pandas as pd

from core.store.db import Store

__all__ = ["store_status"]

_STATUS_SQL = """
SELECT r.full_name AS repository,
       (SELECT COUNT(*) FROM runs WHERE repo_id = r.id AND is_latest = 1) AS runs,
       (SELECT COUNT(*) FROM runs WHERE repo_id = r.id AND is_latest = 0) AS earlier_attempts,
       (SELECT COUNT(*) FROM jobs WHERE repo_id = r.id) AS jobs,
       (SELECT COUNT(*) FROM commits WHERE repo_id = r.id) AS commits,
       (SELECT COUNT(*) FROM logs WHERE repo_id = r.id AND state = 'ok') AS logs,
       (SELECT MAX(created_at) FROM runs WHERE repo_id = r.id) AS newest_run,
       r.synced_at AS last_sync,
       s.status AS sync_status,
       s.message AS sync_message
FROM repositories r LEFT JOIN sync_state s ON s.repo_id = r.id
ORDER BY r.full_name
"""


def store_status(store: Store) -> pd.DataFrame:
    """One row per repository; an empty frame (with the columns) for an empty store."""
    frame = store.frame(_STATUS_SQL)
    frame["outbox_pending"] = store.scalar("SELECT COUNT(*) FROM outbox WHERE status='pending'")
    return frame
