"""Read models for the Queues page: every frame it shows, shaped here so the page only renders.

All of it comes from the store (outbox, queue_stats, queue_samples, worker_health), never from
SQS: looking at a queue must not consume from it, and the page must work while SQS is down.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.config import Settings
from core.queue.health import health_frame
from core.queue.supervisor import SupervisorStatus, ensure_worker, worker_status
from core.store import outbox, queue_health
from core.store.db import Store

__all__ = [
    "QueuePage",
    "load_queue_page",
    "retry_dead_letters",
    "dead_letters",
    "history",
    "sent_per_minute",
    "last_messages",
]


@dataclass(frozen=True)
class QueuePage:
    overview: pd.DataFrame
    history: pd.DataFrame
    sent_per_minute: pd.DataFrame
    dead_letters: pd.DataFrame
    last_messages: dict[str, list[dict[str, Any]]]
    workers: pd.DataFrame
    supervisor: SupervisorStatus | None

    @property
    def backlog(self) -> int:
        return int(self.overview["backlog"].sum())

    @property
    def dead(self) -> int:
        return int(self.overview["dead"].sum())


def _overview(store: Store, settings: Settings) -> pd.DataFrame:
    frame = outbox.stats(store)
    frame.insert(1, "name", frame["queue"].map(lambda k: settings.queues.get(k, "(none)")))
    frame["oldest_pending_s"] = frame["oldest_pending_s"].round(1)
    for column in ("last_sent_at", "last_error_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame


def history(store: Store, since: float) -> pd.DataFrame:
    """Samples in long form: time, queue, backlog, sent_total, failed_total, dead."""
    frame = queue_health.samples_since(store, since)
    frame["time"] = pd.to_datetime(frame["ts"], unit="s", utc=True)
    return frame.drop(columns=["ts"])


def sent_per_minute(store: Store, since: float) -> pd.DataFrame:
    """Messages published per minute and queue (from the outbox rows still kept)."""
    frame = queue_health.sent_per_minute(store, since)
    frame["minute"] = pd.to_datetime(frame["minute"], unit="s", utc=True)
    return frame


def dead_letters(store: Store, limit: int = 500) -> pd.DataFrame:
    """Dead letters, newest first, with the error that killed them."""
    frame = queue_health.dead_letters(store, limit)
    for column in ("created_at", "dead_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame


def last_messages(store: Store, n: int = 5) -> dict[str, list[dict[str, Any]]]:
    """The newest ``n`` published envelopes per queue kind, parsed for pretty display."""
    result: dict[str, list[dict[str, Any]]] = {kind: [] for kind in outbox.QUEUE_KINDS}
    rows = queue_health.last_sent_bodies(store, n)
    for row in rows:
        try:
            envelope = json.loads(row["body"])
        except ValueError:
            envelope = {"unparsed_body": row["body"][:2000]}
        result.setdefault(row["queue"], []).append(_shorten(envelope))
    return result


def _shorten(envelope: dict[str, Any], limit: int = 4000) -> dict[str, Any]:
    """Long strings (a job log) are cut for display only; the published message is whole."""
    data = envelope.get("data")
    if isinstance(data, dict):
        envelope = dict(
            envelope,
            data={
                k: (
                    v[:limit] + f"… ({len(v):,} characters)"
                    if isinstance(v, str) and len(v) > limit
                    else v
                )
                for k, v in data.items()
            },
        )
    return envelope


def load_queue_page(
    store: Store, settings: Settings, hours: float = 6.0, last_n: int = 5, start_worker: bool = True
) -> QueuePage:
    """Everything the Queues page shows; starts the embedded worker once per server."""
    supervisor = ensure_worker(settings) if start_worker else worker_status(settings)
    since = time.time() - hours * 3600
    workers = health_frame(store)
    return QueuePage(
        _overview(store, settings),
        history(store, since),
        sent_per_minute(store, since),
        dead_letters(store),
        last_messages(store, last_n),
        workers,
        supervisor,
    )


def retry_dead_letters(store: Store, ids: list[int] | None = None) -> int:
    """Put dead letters (these ids, or all) back in line; returns how many."""
    return outbox.retry_dead(store, ids)
