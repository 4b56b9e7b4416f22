"""Job logs in the store: what was kept of each raw log, zlib-compressed, and how to read it back.

The raw bytes are stored (head and tail only when over the size cap), not a parsed form, so a
better normaliser later re-reads old logs for free and line numbers always equal GitHub's.
Absence is recorded too (``expired``: GitHub no longer has the log), so nobody asks twice.
"""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from core.logs.normalise import (
    DEFAULT_MAX_LOG_BYTES,
    KeptLog,
    NormalisedLog,
    keep_head_and_tail,
    normalise_kept,
)
from core.store.db import Store

__all__ = [
    "CompressedLog",
    "LogInfo",
    "compress_log",
    "save_log",
    "save_missing_log",
    "load_log",
    "load_raw",
    "log_info",
    "stored_log_count",
]


@dataclass(frozen=True)
class LogInfo:
    repo_id: int
    job_id: int
    state: str  # "ok", "expired" or "error"
    raw_bytes: int | None
    n_lines: int | None
    truncated: bool
    error: str | None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CompressedLog:
    """What the store keeps of one log (:class:`KeptLog`'s bytes, zlib-compressed, and its
    counts), made where the log was read. Why apart from :func:`save_log`: a log fetch reads
    its logs in worker processes, and the store writes them on the one thread that also makes
    the API calls, the fetch's critical path; compressing there was an eighth of that thread's
    work at 44k runs. Made in the worker, it also crosses the pipe at a fraction of the size."""

    content: bytes
    head_bytes: int
    tail_first_line: int
    original_bytes: int
    n_lines: int
    kept_bytes: int  # head + tail, before compression (a batch is bounded by it)

    @property
    def truncated(self) -> bool:
        return self.tail_first_line > 0


def compress_log(kept: KeptLog) -> CompressedLog:
    """``kept`` as the store keeps it (see :class:`CompressedLog`)."""
    return CompressedLog(
        content=zlib.compress(kept.head + kept.tail, 6),
        head_bytes=len(kept.head),
        tail_first_line=kept.tail_first_line,
        original_bytes=kept.original_bytes,
        n_lines=kept.n_lines,
        kept_bytes=len(kept.head) + len(kept.tail),
    )


def save_log(
    conn: sqlite3.Connection,
    repo_id: int,
    job_id: int,
    raw: bytes | KeptLog | CompressedLog,
    max_bytes: int = DEFAULT_MAX_LOG_BYTES,
    error_lines: int | None = None,
) -> CompressedLog:
    """Store one log (raw bytes, what a streaming download kept, or that already compressed)
    in the caller's transaction; returns what was stored. ``error_lines``: how many of its
    lines read as errors (counted by the caller, which normalises the log anyway; a feature of
    the run)."""
    if isinstance(raw, CompressedLog):
        stored = raw
    else:
        stored = compress_log(
            raw if isinstance(raw, KeptLog) else keep_head_and_tail(raw, max_bytes)
        )
    conn.execute(
        "INSERT OR REPLACE INTO logs (job_id, repo_id, state, fetched_at, raw_bytes, n_lines,"
        " truncated, is_binary, head_bytes, tail_first_line, content, error, error_lines)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL,?)",
        (
            job_id,
            repo_id,
            "ok",
            _now(),
            stored.original_bytes,
            stored.n_lines,
            int(stored.truncated),
            0,
            stored.head_bytes,
            stored.tail_first_line,
            stored.content,
            error_lines,
        ),
    )
    return stored


def save_missing_log(
    conn: sqlite3.Connection, repo_id: int, job_id: int, state: str, error: str | None = None
) -> None:
    """Record that a job has no log (``expired``) or could not be fetched (``error``)."""
    conn.execute(
        "INSERT INTO logs (job_id, repo_id, state, fetched_at, error) VALUES (?,?,?,?,?) "
        "ON CONFLICT(repo_id, job_id) DO UPDATE SET state=excluded.state,"
        " fetched_at=excluded.fetched_at, error=excluded.error WHERE logs.state <> 'ok'",
        (job_id, repo_id, state, _now(), error),
    )


def load_raw(store: Store, repo_id: int, job_id: int) -> KeptLog | None:
    """The kept bytes of a stored log (None when no log is stored)."""
    rows = store.query(
        "SELECT content, head_bytes, tail_first_line, raw_bytes, n_lines FROM logs"
        " WHERE repo_id = ? AND job_id = ? AND state = 'ok'",
        (repo_id, job_id),
    )
    if not rows:
        return None
    content, head_bytes, tail_first, raw_bytes, n_lines = rows[0]
    data = zlib.decompress(content)
    return KeptLog(
        data[:head_bytes], data[head_bytes:], int(tail_first or 0), int(raw_bytes), int(n_lines)
    )


def load_log(store: Store, repo_id: int, job_id: int) -> NormalisedLog | None:
    """The normalised log of a job, with GitHub's line numbers (None when not stored)."""
    kept = load_raw(store, repo_id, job_id)
    return None if kept is None else normalise_kept(kept)


def log_info(store: Store, repo_id: int, job_id: int) -> LogInfo | None:
    rows = store.query(
        "SELECT state, raw_bytes, n_lines, truncated, error FROM logs"
        " WHERE repo_id = ? AND job_id = ?",
        (repo_id, job_id),
    )
    if not rows:
        return None
    state, raw_bytes, n_lines, truncated, error = rows[0]
    return LogInfo(repo_id, job_id, state, raw_bytes, n_lines, bool(truncated), error)


def stored_log_count(store: Store, repo: str) -> int:
    """How many logs of ``repo`` (by name) are stored (state ``ok``)."""
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM logs l JOIN repositories r ON r.id = l.repo_id"
            " WHERE r.full_name = ? COLLATE NOCASE AND l.state = 'ok'",
            (repo,),
        )
        or 0
    )
