"""What the Queues page reads about the queues: samples over time, publishing rate, dead letters
and the last published envelopes.

Why in the store and not from SQS: looking at a queue must not consume from it, and the page must
work while SQS is down, so everything it shows comes from the outbox and ``queue_samples``.
Shaping (timestamps, parsing, shortening) stays with the page's read model,
:mod:`core.queue.view`; the live per-queue counters are :func:`core.store.outbox.stats`.
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from core.store.db import Store

__all__ = ["samples_since", "sent_per_minute", "dead_letters", "last_sent_bodies"]


def samples_since(store: Store, since: float) -> pd.DataFrame:
    """The ``queue_samples`` rows from ``since`` on, oldest first."""
    return store.frame(
        "SELECT ts, queue, backlog, sent_total, failed_total, dead"
        " FROM queue_samples WHERE ts >= ? ORDER BY ts",
        (since,),
    )


def sent_per_minute(store: Store, since: float) -> pd.DataFrame:
    """Sent outbox rows per minute (epoch seconds) and queue, from ``since``."""
    return store.frame(
        "SELECT CAST(sent_at / 60 AS INTEGER) * 60 AS minute, queue,"
        " COUNT(*) AS sent FROM outbox WHERE status = 'sent' AND sent_at >= ?"
        " GROUP BY 1, 2 ORDER BY 1",
        (since,),
    )


def dead_letters(store: Store, limit: int = 500) -> pd.DataFrame:
    """Dead outbox rows (without their bodies), newest first."""
    return store.frame(
        "SELECT id, message_id, queue, event_type, attempts, last_error,"
        " created_at, dead_at FROM outbox WHERE status = 'dead'"
        " ORDER BY dead_at DESC LIMIT ?",
        (limit,),
    )


def last_sent_bodies(store: Store, n: int = 5) -> list[sqlite3.Row]:
    """(queue, body) of the newest ``n`` sent rows of each queue, by queue then newest first."""
    return store.query(
        "SELECT queue, body FROM (SELECT queue, body, ROW_NUMBER() OVER (PARTITION BY queue"
        " ORDER BY sent_at DESC, id DESC) AS rank FROM outbox WHERE status = 'sent')"
        " WHERE rank <= ? ORDER BY queue, rank",
        (n,),
    )
