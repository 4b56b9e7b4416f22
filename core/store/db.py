"""The SQLite store: one file in WAL mode shared by the app, the CLI and the worker process.

Why SQLite: zero set-up on a fresh machine and on Streamlit Community Cloud, transactional
writes so that data and the outbox messages describing it commit together, and WAL so a
reader (the app) never blocks the writer (a sync) or the worker. Every write is an idempotent
upsert keyed by GitHub's ids, so re-syncing or re-importing the same data changes nothing.

Connections are per thread (Streamlit serves sessions from several threads); writes take
``BEGIN IMMEDIATE`` so two processes queue up instead of failing half-way.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import ConfigError
from core.store.schema import MIGRATIONS

__all__ = ["Store", "SCHEMA_VERSION"]

SCHEMA_VERSION = len(MIGRATIONS)


class Store:
    """Owns the database file; hands out connections and runs migrations once per process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"Cannot create the folder for the store at {self.path}: {exc}"
            ) from exc
        self._local = threading.local()
        self._migrate()

    # -- connections ------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, timeout=60, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as exc:
                raise ConfigError(f"Cannot open the store at {self.path}: {exc}") from exc
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together or not at all."""
        conn = self._connection()
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self._connection().execute(sql, params).fetchall()

    def frame(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> pd.DataFrame:
        """Run a read query into a DataFrame (the pages' and agents' usual entry)."""
        return pd.read_sql_query(sql, self._connection(), params=params)

    def scalar(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        row = self._connection().execute(sql, params).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- schema -----------------------------------------------------------------------------
    def _migrate(self) -> None:
        conn = self._connection()
        conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as tx:
            current = tx.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise ConfigError(
                    f"The store at {self.path} was written by a newer CI Medic "
                    f"(schema {current} > {SCHEMA_VERSION}); upgrade CI Medic or use another --db."
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[version]):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {version + 1}")

    @property
    def schema_version(self) -> int:
        return int(self.scalar("PRAGMA user_version"))

    # -- small shared helpers ---------------------------------------------------------------
    def repo_id(self, full_name: str) -> int | None:
        return self.scalar(
            "SELECT id FROM repositories WHERE full_name = ? COLLATE NOCASE", (full_name,)
        )

    def repositories(self) -> pd.DataFrame:
        return self.frame(
            "SELECT id, full_name, default_branch, html_url, source, synced_at "
            "FROM repositories ORDER BY full_name"
        )

    def record_agent_run(
        self,
        repo_id: int | None,
        agent: str,
        started_at: float,
        status: str,
        findings: int = 0,
        summary: str = "",
        error: str = "",
    ) -> None:
        """Append one line to the agent status history (what the Overview page shows)."""
        finished = time.time()
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO agent_runs (repo_id, agent, started_at, finished_at, duration_s,"
                " status, findings, summary, error) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    repo_id,
                    agent,
                    started_at,
                    finished,
                    finished - started_at,
                    status,
                    findings,
                    summary,
                    error,
                ),
            )


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit implicitly)."""
    return [part.strip() for part in script.split(";\n") if part.strip()]
