"""The consumer side: receive what the worker published, rebuild split messages, check schemas.

``python -m core.queue.worker consume QUEUE`` uses this so a user can watch the stream end to end,
and the integration tests use it to prove nothing was lost. Messages are deleted only after the
callback has them (at-least-once), and the parts of a split message only once all of them have
arrived, so a consumer stopped half-way loses nothing: the parts it holds are handed back
(made visible again at once), and anything else becomes visible after its timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.messages.envelope import PART_EVENT, InvalidMessage, join_parts, parse, validate
from core.queue.sqs import Received, SqsAdapter

__all__ = ["Delivery", "ConsumeReport", "consume"]


@dataclass(frozen=True)
class Delivery:
    """One whole message as a consumer sees it; ``error`` is None when it matches its schema."""

    envelope: dict[str, Any]
    error: str | None
    parts: int = 1


@dataclass
class ConsumeReport:
    received: int = 0
    delivered: int = 0
    invalid: int = 0
    duplicates: int = 0
    message_ids: list[str] = field(default_factory=list)


class _Parts:
    """Parts of split messages waiting for their siblings: message_id -> index -> part."""

    def __init__(self) -> None:
        self.waiting: dict[str, dict[int, tuple[dict[str, Any], str]]] = {}

    def add(self, envelope: dict[str, Any], receipt: str) -> tuple[str, list[str]] | None:
        """Keep a part; when the message is complete return (joined body, all receipts)."""
        key = str(envelope.get("message_id"))
        bucket = self.waiting.setdefault(key, {})
        bucket[int(envelope["data"]["index"])] = (envelope, receipt)
        if len(bucket) < int(envelope["data"]["count"]):
            return None
        del self.waiting[key]
        return join_parts(p for p, _ in bucket.values()), [r for _, r in bucket.values()]

    def receipts(self) -> list[str]:
        """Receipts of every part still waiting for a sibling."""
        return [r for bucket in self.waiting.values() for _, r in bucket.values()]


def _open(message: Received, parts: _Parts) -> tuple[Delivery | None, list[str]]:
    """A received SQS message -> (a whole delivery or None while parts are missing, receipts)."""
    try:
        envelope = parse(message.body)
        count = 1
        receipts = [message.receipt]
        if envelope.get("event_type") == PART_EVENT:
            validate(envelope)
            joined = parts.add(envelope, message.receipt)
            if joined is None:
                return None, []
            envelope, receipts = parse(joined[0]), joined[1]
            count = len(receipts)
        validate(envelope)
        return Delivery(envelope, None, count), receipts
    except InvalidMessage as exc:
        envelope = {"unparsed_body": message.body[:2000]}
        return Delivery(envelope, str(exc)), [message.receipt]


def consume(
    sqs: SqsAdapter,
    queue: str,
    on_message: Callable[[Delivery], None],
    *,
    max_messages: int | None = None,
    follow: bool = False,
    wait_s: int = 1,
    visibility_s: int = 30,
    idle_polls: int = 2,
) -> ConsumeReport:
    """Receive from ``queue`` until it stays empty for ``idle_polls`` polls (or forever with
    ``follow``), calling ``on_message`` once per whole message; returns what was seen."""
    report, parts, seen = ConsumeReport(), _Parts(), set()
    idle = 0
    while max_messages is None or report.delivered < max_messages:
        batch = sqs.receive(queue, 10, wait_s, visibility_s)
        if not batch:
            idle += 1
            if not follow and idle >= idle_polls:
                break
            continue
        idle = 0
        report.received += len(batch)
        done: list[str] = []
        for message in batch:
            if max_messages is not None and report.delivered >= max_messages:
                break  # left undeleted: visible again after the visibility timeout
            delivery, receipts = _open(message, parts)
            if delivery is None:
                continue
            on_message(delivery)
            done.extend(receipts)
            report.delivered += 1
            report.invalid += delivery.error is not None
            message_id = str(delivery.envelope.get("message_id"))
            report.duplicates += message_id in seen
            seen.add(message_id)
            report.message_ids.append(message_id)
        sqs.delete(queue, done)
    held = parts.receipts()
    if held:  # a message still missing parts: hand its parts to the next consumer now
        sqs.release(queue, held)
    return report
