"""Store files as an older release left them, for the tests of upgrades and of opening them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.store import packed_results
from core.store.db import _statements
from core.store.schema import MIGRATIONS


def written_by_schema(path: Path, version: int) -> sqlite3.Connection:
    """A store at ``path`` as schema ``version`` wrote it: its first ``version`` migrations
    run by hand on a plain connection (no application id, as before the id existed), which
    stays open for the test to add rows; the caller commits and closes it. The connection
    knows the store's aggregate (a migration from V14 on names it)."""
    conn = sqlite3.connect(path)
    packed_results.register(conn)
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    return conn
