"""The outbox as a work queue: enqueue, claim with a lease, mark sent, back off, dead-letter,
retry, prune.

``enqueue`` writes messages (built by the pure :mod:`core.messages.envelope`) inside the caller's
transaction, so the data they describe and the messages commit together.

Why a lease and not a status flip: a worker killed between claiming and marking must not strand
its rows, and two workers (the app's embedded one and a sidecar) must never send the same row at
the same moment. A claim stamps ``lease_owner``/``lease_until`` in one ``BEGIN IMMEDIATE``
transaction; an expired lease (or one of a worker known dead) makes the row claimable again.
The consequence is at-least-once delivery: a row sent but not yet marked is sent again after a
crash, with the same ``message_id``, which is what consumers deduplicate on.

Two kinds of failure are kept apart: a per-message failure (SQS refused *this* message, it is
invalid, it carries a secret) counts an attempt and ends in the dead-letter state after
``max_attempts``; an outage (SQS unreachable) only postpones rows (``release``) and never
dead-letters them, because the message is not at fault.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from core.messages.envelope import Message
from core.store.db import Store

__all__ = [
    "OutboxRow",
    "QUEUE_KINDS",
    "enqueue",
    "claim",
    "mark_sent",
    "mark_failed",
    "release",
    "recover_leases",
    "retry_dead",
    "backoff_delay",
    "stats",
    "record_sample",
    "prune",
    "due_count",
]

QUEUE_KINDS: tuple[str, ...] = ("metrics", "logs", "features", "analysis")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    message_id: str
    queue: str
    event_type: str
    body: str
    attempts: int


def enqueue(conn: sqlite3.Connection, messages: list[Message]) -> int:
    """Insert messages into the outbox inside the caller's transaction.

    A message already in the outbox is left alone (same id = same fact), except a dead letter:
    producing it again (e.g. after fixing the producer) revives it with the new body.
    """
    now = time.time()
    before = conn.total_changes
    conn.executemany(
        "INSERT INTO outbox (message_id, queue, event_type, body, created_at) VALUES (?,?,?,?,?)"
        " ON CONFLICT (message_id) DO UPDATE SET body = excluded.body, status = 'pending',"
        " attempts = 0, next_attempt_at = 0, last_error = NULL WHERE outbox.status = 'dead'",
        [(m.message_id, m.queue, m.event_type, m.body, now) for m in messages],
    )
    return conn.total_changes - before


# The due rows, oldest first, in two parts that each read the index outbox_pending(status,
# next_attempt_at, id) in order and stop at the limit: rows never tried (next_attempt_at = 0, by
# far the most: the index gives them in id order) and rows waiting for a retry (few). As one
# range on next_attempt_at, SQLite sorted every due row for each claim: 200 ms per claim with
# 200,000 rows pending, more than publishing them took.
_DUE_IDS = """
SELECT id FROM (
    SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at = 0
    AND lease_until <= :now ORDER BY id LIMIT :limit)
UNION ALL
SELECT id FROM (
    SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at > 0
    AND next_attempt_at <= :now AND lease_until <= :now ORDER BY id LIMIT :limit)
ORDER BY id LIMIT :limit
"""


def claim(
    store: Store, owner: str, limit: int = 10, lease_s: float = 60.0, now: float | None = None
) -> list[OutboxRow]:
    """Lease up to ``limit`` due rows (oldest first) to ``owner``; nobody else gets them."""
    now = time.time() if now is None else now
    with store.transaction() as tx:
        rows = tx.execute(
            "UPDATE outbox SET lease_owner = :owner, lease_until = :until WHERE id IN ("
            f"{_DUE_IDS}) RETURNING id, message_id, queue, event_type, body, attempts",
            {"owner": owner, "until": now + lease_s, "now": now, "limit": int(limit)},
        ).fetchall()
    return sorted((OutboxRow(*tuple(r)) for r in rows), key=lambda r: r.id)


def due_count(store: Store, now: float | None = None) -> int:
    """Rows a claim could take right now (pending, due, not leased)."""
    now = time.time() if now is None else now
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND "
            "next_attempt_at <= ? AND lease_until <= ?",
            (now, now),
        )
    )


def _by_queue(rows: Iterable[OutboxRow]) -> dict[str, list[OutboxRow]]:
    groups: dict[str, list[OutboxRow]] = defaultdict(list)
    for row in rows:
        groups[row.queue].append(row)
    return groups


def _bump(tx, queue: str, column: str, amount: int, now: float, error: str | None = None) -> None:
    tx.execute(
        "INSERT INTO queue_stats (queue) VALUES (?) ON CONFLICT (queue) DO NOTHING", (queue,)
    )
    stamp = "last_sent_at" if column == "sent_total" else "last_error_at"
    tx.execute(
        f"UPDATE queue_stats SET {column} = {column} + ?, {stamp} = ?,"
        " last_error = COALESCE(?, last_error) WHERE queue = ?",
        (amount, now, error, queue),
    )


def mark_sent(store: Store, rows: Sequence[OutboxRow], now: float | None = None) -> int:
    """Record that SQS accepted these rows; returns how many were still pending."""
    now = time.time() if now is None else now
    marked = 0
    with store.transaction() as tx:
        for queue, group in _by_queue(rows).items():
            before = tx.total_changes
            tx.executemany(
                "UPDATE outbox SET status = 'sent', sent_at = ?, lease_owner = NULL,"
                " lease_until = 0, last_error = NULL WHERE id = ? AND status = 'pending'",
                [(now, row.id) for row in group],
            )
            changed = tx.total_changes - before
            if changed:
                _bump(tx, queue, "sent_total", changed, now)
            marked += changed
    return marked


def backoff_delay(
    attempts: int, base_s: float = 1.0, cap_s: float = 300.0, rng: random.Random | None = None
) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random.

    The fixed half guarantees progress between tries; the random half stops many rows (or many
    workers) that failed together from retrying in lock-step.
    """
    step = min(cap_s, base_s * (2 ** max(0, attempts - 1)))
    return step / 2 + (rng or random).uniform(0, step / 2)


def mark_failed(
    store: Store,
    failures: Sequence[tuple[OutboxRow, str]],
    *,
    max_attempts: int = 8,
    base_s: float = 1.0,
    cap_s: float = 300.0,
    permanent: bool = False,
    rng: random.Random | None = None,
    now: float | None = None,
) -> int:
    """Count one attempt per failed row; back off, or dead-letter when out of attempts.

    ``permanent`` (an invalid body, a secret) dead-letters at once: retrying cannot help.
    Returns the number of rows moved to the dead-letter state.
    """
    now = time.time() if now is None else now
    dead = 0
    with store.transaction() as tx:
        for row, error in failures:
            attempts = row.attempts + 1
            is_dead = permanent or attempts >= max_attempts
            delay = 0.0 if is_dead else backoff_delay(attempts, base_s, cap_s, rng)
            cur = tx.execute(
                "UPDATE outbox SET attempts = ?, last_error = ?, lease_owner = NULL,"
                " lease_until = 0, next_attempt_at = ?, status = ?, dead_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (
                    attempts,
                    error[:2000],
                    now + delay,
                    "dead" if is_dead else "pending",
                    now if is_dead else None,
                    row.id,
                ),
            )
            if cur.rowcount:
                _bump(tx, row.queue, "failed_total", 1, now, error[:500])
                if is_dead:
                    _bump(tx, row.queue, "dead_total", 1, now, error[:500])
                    dead += 1
    return dead


def release(
    store: Store, rows: Sequence[OutboxRow], delay_s: float, error: str, now: float | None = None
) -> None:
    """Give rows back without counting an attempt (SQS unreachable is not the message's fault)."""
    now = time.time() if now is None else now
    with store.transaction() as tx:
        tx.executemany(
            "UPDATE outbox SET lease_owner = NULL, lease_until = 0, next_attempt_at = ?,"
            " last_error = ? WHERE id = ? AND status = 'pending'",
            [(now + delay_s, error[:2000], row.id) for row in rows],
        )


def recover_leases(store: Store, owners: Iterable[str]) -> int:
    """Free the leases of workers known to be dead, so a restart need not wait for expiry."""
    owners = list(owners)
    if not owners:
        return 0
    marks = ",".join("?" * len(owners))
    with store.transaction() as tx:
        cur = tx.execute(
            f"UPDATE outbox SET lease_owner = NULL, lease_until = 0"
            f" WHERE status = 'pending' AND lease_owner IN ({marks})",
            owners,
        )
        return cur.rowcount


def retry_dead(store: Store, ids: Iterable[int] | None = None) -> int:
    """Put dead letters (all, or these ids) back in line with a fresh attempt count."""
    sql = (
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = 0,"
        " dead_at = NULL, lease_owner = NULL, lease_until = 0 WHERE status = 'dead'"
    )
    with store.transaction() as tx:
        if ids is None:
            return tx.execute(sql).rowcount
        wanted = [int(i) for i in ids]
        return sum(tx.execute(sql + " AND id = ?", (i,)).rowcount for i in wanted)


_STATS_SQL = """
SELECT queue,
       SUM(status = 'pending') AS backlog,
       SUM(status = 'pending' AND lease_until > :now) AS in_flight,
       SUM(status = 'pending' AND attempts > 0) AS retrying,
       SUM(status = 'sent') AS sent_kept,
       SUM(status = 'dead') AS dead,
       MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest_pending_at
FROM outbox GROUP BY queue
"""


def stats(store: Store, now: float | None = None) -> pd.DataFrame:
    """One row per queue kind: backlog, in flight, retrying, dead, totals and the last error."""
    now = time.time() if now is None else now
    live = store.frame(_STATS_SQL, {"now": now}).set_index("queue")
    totals = store.frame(
        "SELECT queue, sent_total, failed_total, dead_total, last_sent_at,"
        " last_error, last_error_at FROM queue_stats"
    ).set_index("queue")
    kinds = list(dict.fromkeys([*QUEUE_KINDS, *live.index, *totals.index]))
    frame = live.join(totals, how="outer").reindex(kinds)
    counts = [
        "backlog",
        "in_flight",
        "retrying",
        "sent_kept",
        "dead",
        "sent_total",
        "failed_total",
        "dead_total",
    ]
    frame[counts] = frame[counts].fillna(0).astype(int)
    frame["oldest_pending_s"] = (now - frame["oldest_pending_at"]).clip(lower=0)
    return frame.drop(columns=["oldest_pending_at"]).rename_axis("queue").reset_index()


def record_sample(store: Store, now: float | None = None) -> None:
    """Append one point per queue for the charts over time (backlog, sent, failed, dead)."""
    now = time.time() if now is None else now
    frame = stats(store, now)
    with store.transaction() as tx:
        tx.executemany(
            "INSERT OR REPLACE INTO queue_samples (ts, queue, backlog, sent_total, failed_total,"
            " dead) VALUES (?,?,?,?,?,?)",
            [
                (now, r.queue, int(r.backlog), int(r.sent_total), int(r.failed_total), int(r.dead))
                for r in frame.itertuples()
            ],
        )


def prune(store: Store, retention_s: float, now: float | None = None) -> int:
    """Delete sent rows and samples older than the retention; dead letters are kept."""
    cutoff = (time.time() if now is None else now) - retention_s
    with store.transaction() as tx:
        removed = tx.execute(
            "DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?", (cutoff,)
        ).rowcount
        tx.execute("DELETE FROM queue_samples WHERE ts < ?", (cutoff,))
    return removed
