"""Read models for the Queues page: every frame it shows, shaped here so the page only renders.

All of it comes from the store (outbox, queue_stats, queue_samples, worker_health), never from
SQS: looking at a queue must not consume from it, and the page must work while SQS is down.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
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
    "message_summary",
    "messages_table",
]

MESSAGE_COLUMNS = ["time", "event_type", "queue", "summary", "message_id"]


@dataclass(frozen=True)
class QueuePage:
    overview: pd.DataFrame
    history: pd.DataFrame
    sent_per_minute: pd.DataFrame
    dead_letters: pd.DataFrame
    last_messages: dict[str, list[dict[str, Any]]]
    workers: pd.DataFrame
    supervisor: SupervisorStatus | None
    # per queue kind, one readable row per message of ``last_messages`` (same order)
    last_rows: dict[str, pd.DataFrame] = field(default_factory=dict)

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


def _text(value: Any, limit: int = 80) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _share(value: Any) -> str:
    try:
        return f"{float(value):.0%}"
    except (TypeError, ValueError):
        return str(value)


def _run_summary(d: dict[str, Any]) -> str:
    name = d.get("workflow_name") or "run"
    number = f" #{d['run_number']}" if d.get("run_number") is not None else ""
    outcome = d.get("conclusion") or d.get("status") or "?"
    branch = f" · {d['head_branch']}" if d.get("head_branch") else ""
    jobs = d.get("jobs")  # schema_version 2: the attempt's jobs travel inside
    counted = f", {len(jobs)} jobs" if isinstance(jobs, list) else ""
    return f"{name}{number} attempt {d.get('attempt', '?')}: {outcome}{counted}{branch}"


def _job_summary(d: dict[str, Any]) -> str:
    outcome = d.get("conclusion") or d.get("status") or "?"
    steps = d.get("steps")
    counted = f", {len(steps)} steps" if isinstance(steps, list) else ""
    return f"{d.get('name', 'job')} (run {d.get('run_id', '?')}): {outcome}{counted}"


def _commit_summary(d: dict[str, Any]) -> str:
    title = str(d.get("message") or "").splitlines()[0] if d.get("message") else ""
    return f"{str(d.get('sha', '?'))[:7]} {title}".strip()


def _log_summary(d: dict[str, Any]) -> str:
    size = f", {int(d['raw_bytes']):,} bytes" if d.get("raw_bytes") is not None else ""
    lines = f"{int(d['n_lines']):,} lines" if d.get("n_lines") is not None else "log"
    return f"log of {d.get('job_name') or 'job ' + str(d.get('job_id', '?'))}: {lines}{size}"


_SUMMARIES = {
    "workflow_run": _run_summary,
    "workflow_job": _job_summary,
    "job_steps": lambda d: f"{len(d.get('steps') or [])} steps of job {d.get('job_id', '?')}",
    "commit": _commit_summary,
    "job_log": _log_summary,
    "feature_set": lambda d: f"{len(d.get('features') or {})} features of {d.get('subject')}",
    "anomaly": lambda d: (
        f"{d.get('subject')}: {d.get('metric')} = {d.get('value')} (score {d.get('score')})"
    ),
    "flaky_test": lambda d: f"{d.get('test_id')}: flaky in {_share(d.get('flake_rate'))} of runs",
    "root_cause": lambda d: (
        f"{d.get('subject')}: {d.get('category')}"
        + (f" · {d['summary']}" if d.get("summary") else "")
    ),
    "prediction": lambda d: (
        f"{d.get('subject')}: fails with probability {_share(d.get('probability'))}"
    ),
    "remediation": lambda d: f"{d.get('subject')}: {d.get('action')} ({d.get('status')})",
    "message_part": lambda d: (
        f"part {int(d.get('index', 0)) + 1} of {d.get('count')} of a "
        f"{d.get('parent_event_type')} message"
    ),
}


def message_summary(envelope: dict[str, Any], limit: int = 160) -> str:
    """One readable line about a published message (its JSON stays available as it is)."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        return _text(envelope.get("unparsed_body", "(not a CI Medic message)"), limit)
    summarise = _SUMMARIES.get(str(envelope.get("event_type")))
    if summarise is not None:
        try:
            return _text(summarise(data), limit)
        except (TypeError, ValueError, KeyError, AttributeError):
            pass  # a field of an unexpected type: the generic line below
    scalars = [f"{k}={_text(v, 40)}" for k, v in data.items() if isinstance(v, (str, int, float))]
    return _text(", ".join(scalars[:4]) or "(no data fields)", limit)


def messages_table(envelopes: list[dict[str, Any]], queue: str) -> pd.DataFrame:
    """One row per message: when it was produced, its event type, the queue, a one-line
    summary and its id (the page shows each message's JSON next to the table)."""
    rows = [
        {
            "time": pd.to_datetime(envelope.get("timestamp"), utc=True, errors="coerce"),
            "event_type": str(envelope.get("event_type") or "?"),
            "queue": queue,
            "summary": message_summary(envelope),
            "message_id": str(envelope.get("message_id") or ""),
        }
        for envelope in envelopes
    ]
    return pd.DataFrame(rows, columns=MESSAGE_COLUMNS)


def load_queue_page(
    store: Store, settings: Settings, hours: float = 6.0, last_n: int = 5, start_worker: bool = True
) -> QueuePage:
    """Everything the Queues page shows; starts the embedded worker once per server."""
    supervisor = ensure_worker(settings) if start_worker else worker_status(settings)
    since = time.time() - hours * 3600
    workers = health_frame(store)
    last = last_messages(store, last_n)
    return QueuePage(
        _overview(store, settings),
        history(store, since),
        sent_per_minute(store, since),
        dead_letters(store),
        last,
        workers,
        supervisor,
        {
            kind: messages_table(items, settings.queues.get(kind, kind))
            for kind, items in last.items()
        },
    )


def retry_dead_letters(store: Store, ids: list[int] | None = None) -> int:
    """Put dead letters (these ids, or all) back in line; returns how many."""
    return outbox.retry_dead(store, ids)
