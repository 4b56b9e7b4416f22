"""The SQLite store: one file in WAL mode shared by the app, the CLI and the worker process.

Why SQLite: zero set-up on a fresh machine and on Streamlit Community Cloud, transactional
writes so that data and the outbox messages describing it commit together, and WAL so a
reader (the app) never blocks the writer (a sync) or the worker. Every write is an idempotent
upsert keyed by GitHub's ids, so re-syncing or re-importing the same data changes nothing.

Connections are per thread (Streamlit serves sessions from several threads); writes take
``BEGIN IMMEDIATE`` so two processes queue up instead of failing half-way.

A file is opened only when it is a CI Medic store (``PRAGMA application_id`` is ours, or a store
written before the id existed: our tables and a ``user_version``), a new or empty file, or a path
that does not exist yet; anything else (another program's database, a file that is not SQLite,
a store of a newer CI Medic) is refused before anything is written to it. Every sqlite3 error
that comes from the file rather than from our code (read-only, locked, damaged, unopenable, disk
full) is raised as a ConfigError whose sentence says what is wrong and what to do.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import ConfigError, file_above
from core.store import packed_results
from core.store.schema import MIGRATIONS

__all__ = [
    "Store",
    "SCHEMA_VERSION",
    "APPLICATION_ID",
    "WAL_CHECKPOINT_PAGES",
    "WAL_LIMIT_BYTES",
    "store_error",
]

SCHEMA_VERSION = len(MIGRATIONS)
APPLICATION_ID = 0x43494D44  # 'CIMD' in the file header: this SQLite file is a CI Medic store
_SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables every store since V1 holds: how a store written before APPLICATION_ID is recognised.
_V1_TABLES = frozenset({"repositories", "runs", "jobs", "steps", "findings", "outbox"})
_DEFAULT_TIMEOUT_S = 60.0
# A committing connection copies the WAL back into the database once the WAL holds this many
# pages (SQLite's default: 1,000 pages, 4 MB). Every copy writes each page the WAL holds once,
# however often it changed since the last one; a bulk ingestion dirties the same index pages
# (by test, by job name, the outbox's message ids: keys that arrive in no order) in every
# transaction, so a copy every 4 MB wrote them over and over: the 5x demo's report fetch wrote
# 899 MB for 144 MB of growth, 588 MB with a copy per 64 MiB; its sync 926 MB for 287 MB, 800.
WAL_CHECKPOINT_PAGES = 16384  # 64 MiB at SQLite's default 4 KiB pages
# ... and a WAL file that grew past this (a long reader held a checkpoint back) is cut back to
# it after the next checkpoint, so the disk it takes stays bounded.
WAL_LIMIT_BYTES = 64 * 1024 * 1024
# The Stores of this process (what their files are: :func:`_file_key`), and the lock that keeps
# a header read (:func:`_refuse_non_files`) from running beside another Store's opening.
_LIVE: weakref.WeakSet[Store] = weakref.WeakSet()
_OPENING = threading.RLock()


class Store:
    """Owns the database file; hands out connections and runs migrations once per process."""

    def __init__(self, path: str | Path, *, timeout_s: float = _DEFAULT_TIMEOUT_S) -> None:
        self.path = Path(path).expanduser()
        self.timeout_s = timeout_s
        self._local = threading.local()
        with _OPENING:  # a header read must not overlap another Store's first connection
            _refuse_non_files(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                blocker = file_above(self.path)
                why = f"{blocker} is a file, not a folder" if blocker else exc.strerror or str(exc)
                raise ConfigError(
                    f"Cannot create the folder for the store at {self.path} ({why}): choose "
                    "another --db (or CI_MEDIC_DB_PATH)."
                ) from exc
            try:
                self._migrate()
            except BaseException:
                self.close()
                raise
            self._file = _file_key(self.path)
            _LIVE.add(self)

    # -- connections ------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._translated():
                conn = sqlite3.connect(
                    self.path,
                    timeout=self.timeout_s,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.row_factory = sqlite3.Row
                packed_results.register(conn)
                conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
                conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
            self._local.conn = conn
        return conn

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Raise the file's sqlite3 errors (read-only, locked, damaged...) as sentences."""
        try:
            yield
        except sqlite3.Error as exc:
            translated = store_error(self.path, exc, self.timeout_s)
            if translated is None:
                raise
            raise translated from exc
        except pd.errors.DatabaseError as exc:  # pandas wraps the sqlite3 error
            cause = exc.__cause__
            translated = (
                store_error(self.path, cause, self.timeout_s)
                if isinstance(cause, sqlite3.Error)
                else None
            )
            if translated is None:
                raise
            raise translated from cause

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together or not at all."""
        conn = self._connection()
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        with self._translated():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # sqlite may have rolled back already (disk full)
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        conn = self._connection()
        with self._translated():
            return conn.execute(sql, params).fetchall()

    def frame(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> pd.DataFrame:
        """Run a read query into a DataFrame (the pages' and agents' usual entry)."""
        conn = self._connection()
        with self._translated():
            return pd.read_sql_query(sql, conn, params=params)

    def scalar(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        conn = self._connection()
        with self._translated():
            row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def seal(self) -> None:
        """Fold the write-ahead log into the store's file, then close this thread's connection.

        A connection another thread still holds keeps the -wal file alive on close, so a plain
        close can leave committed rows outside the main file; after this, a copy of the single
        file is the whole store (a template a test copies, a backup).
        """
        self.query("PRAGMA wal_checkpoint(TRUNCATE)")
        self.close()

    # -- schema -----------------------------------------------------------------------------
    def _migrate(self) -> None:
        """Check the file is ours (reading only), then switch to WAL and migrate if needed."""
        conn = self._connection()
        with self._translated():
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            }
            journal = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        self._refuse_foreign(application_id, current, tables)
        if journal == "wal" and current == SCHEMA_VERSION and application_id == APPLICATION_ID:
            return  # the usual open: nothing to write, so no write lock to wait for
        with self._translated():
            if journal != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as tx:
            current = tx.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:  # another process upgraded it meanwhile
                raise self._newer(current)
            for version in range(current, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[version]):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {version + 1}")
            tx.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _refuse_foreign(self, application_id: int, version: int, tables: set[str]) -> None:
        """A ConfigError unless the file is a CI Medic store this release can open, or new."""
        untouched = "CI Medic left it untouched"
        choose = (
            "choose another file with --db (or CI_MEDIC_DB_PATH), or a new path to create a store."
        )
        if application_id not in (0, APPLICATION_ID):
            raise ConfigError(
                f"{self.path} is not a CI Medic store: it is the SQLite database of another "
                f"program (application id {application_id:#x}), so {untouched}; {choose}"
            )
        # a store written before the id existed: our tables and a schema version
        legacy = version >= 1 and _V1_TABLES.issubset(tables)
        if application_id == 0 and not tables and 0 < version <= SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path} is not a CI Medic store: it is an SQLite database of another "
                f"program (schema version {version} but none of CI Medic's tables), so "
                f"{untouched}; {choose}"
            )
        if application_id == 0 and tables and not legacy:
            shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
            raise ConfigError(
                f"{self.path} is not a CI Medic store: it is an SQLite database of another "
                f"program (its tables: {shown}), so {untouched}; {choose}"
            )
        if version > SCHEMA_VERSION:
            raise self._newer(version)

    def _newer(self, version: int) -> ConfigError:
        return ConfigError(
            f"The store at {self.path} was written by a newer CI Medic "
            f"(schema {version} > {SCHEMA_VERSION}), so CI Medic left it untouched; upgrade "
            "CI Medic or use another --db."
        )

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


def _file_key(path: Path) -> tuple[int, int] | None:
    """The file's identity (device, inode): the same file under any name; None if missing."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _refuse_non_files(path: Path) -> None:
    """Refuse, before SQLite opens anything, a folder or a file that is not an SQLite database.

    The header is read only from a file no live Store of this process has open: closing any
    descriptor of a file releases every POSIX lock the process holds on it, SQLite's included.
    Reading it for a second Store of the same file (the app's workspace and its publishing
    worker) left this process's connections unseen by other processes; the next one to close
    its last connection (a CLI command, a worker process) then took itself for the store's
    last user, folded the WAL in and deleted it under this process's open connections, whose
    next reads said "disk I/O error" or "database disk image is malformed".
    """
    if path.is_dir():
        raise ConfigError(
            f"{path} is a folder, not a store file: give --db (or CI_MEDIC_DB_PATH) a file "
            f"path, such as {path / 'ci_medic.db'}."
        )
    if not path.exists():
        return  # a new store is created
    if not path.is_file():
        raise ConfigError(
            f"{path} is not a regular file, so it cannot be a CI Medic store: give --db (or "
            "CI_MEDIC_DB_PATH) a file path."
        )
    key = _file_key(path)
    if any(store._file == key for store in list(_LIVE)):
        return  # SQLite holds it open here: see above
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the store at {path} ({exc.strerror or exc}): check its permissions, "
            "or choose another file with --db."
        ) from exc
    if not _SQLITE_MAGIC.startswith(head):  # empty: a new store; a cut header: damaged
        raise ConfigError(
            f"{path} is not a CI Medic store (it is not an SQLite database at all), so CI Medic "
            "left it untouched: choose another file with --db (or CI_MEDIC_DB_PATH), or a path "
            "that does not exist yet to create a new store."
        )


# SQLite's primary result codes of the errors that come from the file, not from our SQL.
_PERM, _BUSY, _LOCKED = sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED
_READONLY, _IOERR, _FULL = sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL
_CORRUPT, _NOTADB, _CANTOPEN = (
    sqlite3.SQLITE_CORRUPT,
    sqlite3.SQLITE_NOTADB,
    sqlite3.SQLITE_CANTOPEN,
)
# When the error carries no code (it was built by hand): the words SQLite uses for each.
_WORDS = {
    _READONLY: ("readonly", "read-only"),
    _BUSY: ("database is locked", "database is busy", "database table is locked"),
    _CORRUPT: ("malformed", "corrupt"),
    _NOTADB: ("file is not a database",),
    _CANTOPEN: ("unable to open",),
    _FULL: ("database or disk is full",),
    _IOERR: ("disk i/o error",),
    _PERM: ("access permission denied",),
}


def store_error(
    path: str | Path, exc: BaseException, timeout_s: float = _DEFAULT_TIMEOUT_S
) -> ConfigError | None:
    """The sentence for an sqlite3 error that comes from the store file; None for any other
    (a bug in our SQL: let it surface)."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary is None or primary not in _WORDS and primary != _LOCKED:
        text = str(exc).lower()
        primary = next((c for c, words in _WORDS.items() if any(w in text for w in words)), None)
    detail = str(exc) or type(exc).__name__
    if primary == _READONLY:
        message = (
            f"The store at {path} is read-only ({detail}): make the file and its folder "
            "writable by this user (SQLite writes -wal and -shm files next to it), or choose "
            "another store with --db."
        )
    elif primary in (_BUSY, _LOCKED):
        message = (
            f"The store at {path} is locked by another process (a sync, an import, the app or "
            f"the worker) and stayed locked for more than {timeout_s:g} s: wait for it to "
            "finish, or stop it, then run the command again."
        )
    elif primary in (_CORRUPT, _NOTADB):
        message = (
            f"The store at {path} is damaged ({detail}): it may have been truncated or "
            "overwritten. Restore it from a backup, or move it aside and let CI Medic create a "
            "new one there (`ci-medic import` or `ci-medic sync` fills it again)."
        )
    elif primary == _CANTOPEN:
        message = (
            f"Cannot open the store at {path} ({detail}): check that it is a file, not a "
            "folder, and that its folder exists and is writable, or choose another --db."
        )
    elif primary == _FULL:
        message = (
            f"The disk holding the store at {path} is full ({detail}): free some space, then "
            "run the command again; nothing of the interrupted write was kept."
        )
    elif primary in (_IOERR, _PERM):
        message = (
            f"Reading or writing the store at {path} failed ({detail}): check the disk and "
            "the file's permissions, then run the command again."
        )
    else:
        return None
    return ConfigError(message)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit implicitly)."""
    return [part.strip() for part in script.split(";\n") if part.strip()]
