"""``python -m core.queue.worker``: the sidecar that publishes the store's outbox to SQS.

The app, the CLI and the agents never talk to SQS: they write messages into the outbox in the
same transaction as the data they describe, and this loop publishes them. It is built to be
tested the way rq/dramatiq workers are: ``Worker(store, settings).run(burst=True)`` drains what
is due and returns how many rows it published; ``stop()`` (the first SIGTERM) lets the current
batch finish and be recorded, then exits.

One cycle: claim up to ``batch_size * batches_per_cycle`` rows with a lease -> check each
(schema, secrets, known queue) -> split oversize bodies into ordered parts -> pack into
SendMessageBatch requests (``batch_size`` <= 10 entries, 256 KiB) -> send them, up to
``send_threads`` at a time -> record what was sent, back off what failed, dead-letter what
keeps failing, and postpone everything (without blaming the messages) while SQS is unreachable.

Why a cycle holds several requests and sends them side by side: a claim and a mark are one
store transaction each, and one request is a round trip; a cycle of one request (10 rows) spent
more time on those than on publishing. Requests to a standard queue are independent, so they go
out concurrently (boto3 clients are thread-safe); a FIFO queue's requests go one after the other
so each repository's messages keep their order.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, fields

from core.config import Settings
from core.messages.envelope import InvalidMessage, find_secrets, split_body, validate
from core.queue import health as worker_health
from core.queue.sqs import (
    MAX_BATCH_BYTES,
    BatchRejected,
    Entry,
    QueueMissing,
    SqsAdapter,
    SqsUnavailable,
    pack_batches,
)
from core.store import outbox
from core.store.db import Store
from core.store.outbox import OutboxRow

__all__ = ["Worker", "WorkerOptions", "main"]

log = logging.getLogger("ci_medic.worker")
_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]")
_ATTRIBUTE_MARGIN = 512  # bytes kept free in every message for its attributes
# SQS allows one PurgeQueue per queue every 60 s and refuses the next with PurgeQueueInProgress
# (moto does not, SQS-compatible servers may): a refused purge is not retried for this long.
PURGE_COOLDOWN_S = 60.0


@dataclass(frozen=True)
class WorkerOptions:
    """Tuning knobs; each can come from ``Settings.worker_<name>`` once config.py has it."""

    batch_size: int = 10  # entries per SendMessageBatch request (SQS allows 10)
    batches_per_cycle: int = 10  # requests per claim: one claim and one mark for all of them
    send_threads: int = 4  # requests in flight at once (boto3's pool keeps 4 connections)
    lease_s: float = 60.0
    max_attempts: int = 6
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 120.0
    idle_s: float = 1.0
    heartbeat_s: float = 5.0
    sample_s: float = 15.0
    retention_s: float = 3 * 86400.0
    max_message_bytes: int = MAX_BATCH_BYTES
    local_bound: int = 0
    burst_outage_tries: int = 3
    # While this answers True the worker publishes nothing (it keeps its lease): the embedded
    # worker gives the app server's CPU to the user's background tasks and catches up after.
    yield_to: Callable[[], bool] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> WorkerOptions:
        values = {f.name: getattr(settings, f"worker_{f.name}", f.default) for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class _Outcome:
    """Per-entry results of one cycle, folded into per-row results by ``_settle``."""

    ok: set[str]
    failed: dict[str, str]
    outage: str | None = None

    def merge(self, other: _Outcome) -> None:
        self.ok |= other.ok
        self.failed.update(other.failed)
        self.outage = self.outage or other.outage


def _known_secrets(settings: Settings) -> list[str]:
    """Literal secret values no message may contain (the token, real AWS keys)."""
    values = [settings.github_token.reveal()]
    values += [os.environ.get(k, "") for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]
    return [v for v in values if len(v) >= 12]


class Worker:
    """Publishes the outbox of ``store`` to the SQS that ``settings`` points at."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        sqs: SqsAdapter | None = None,
        options: WorkerOptions | None = None,
        worker_id: str | None = None,
        mode: str = "sidecar",
        rng: random.Random | None = None,
    ) -> None:
        self.store, self.settings = store, settings
        self.options = options or WorkerOptions.from_settings(settings)
        self.id = worker_id or f"{worker_health.HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.mode = mode
        self.sent_total = 0
        self.failed_total = 0
        self.last_error: str | None = None
        self.state = "starting"
        self._sqs = sqs
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._outages = 0
        self._outage_delay = 0.0
        self._due: dict[str, float] = {}
        self._sent_at_trim = 0
        self._purge_after: dict[str, float] = {}  # queue -> when a refused purge may retry
        self._purge_warned: set[str] = set()
        self._literals = _known_secrets(settings)
        self._pool: ThreadPoolExecutor | None = None

    # -- control ----------------------------------------------------------------------------
    @property
    def sqs(self) -> SqsAdapter:
        if self._sqs is None:
            self._sqs = SqsAdapter(self.settings)
        return self._sqs

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the loop to exit after the batch in hand is sent and recorded."""
        self._stop.set()

    def run(self, burst: bool = False) -> int:
        """Publish until stopped (or, with ``burst``, until nothing is due); return rows sent."""
        self._start()
        total = 0
        try:
            while not self._stop.is_set():
                if not burst and self._yielding():
                    self._housekeeping()
                    self._set_state("idle")
                    self._stop.wait(self.options.idle_s)
                    continue
                claimed, sent = self._guarded_step(burst)
                total += sent
                self._housekeeping()
                if self._outages:
                    if burst and self._outages >= self.options.burst_outage_tries:
                        break
                    self._stop.wait(self._outage_delay)
                elif not claimed:
                    if burst:
                        break
                    self._set_state("idle")
                    self._stop.wait(self.options.idle_s)
        finally:
            self._finish()
        return total

    def _yielding(self) -> bool:
        try:
            return bool(self.options.yield_to and self.options.yield_to())
        except Exception:  # noqa: BLE001 - cannot tell (a locked store): publish as usual
            return False

    def _guarded_step(self, burst: bool) -> tuple[int, int]:
        """A long-running worker survives the unexpected (a locked store, a bug in one cycle):
        it logs, backs off and goes on; its leased rows return after the lease expires."""
        try:
            return self.step()
        except Exception as exc:
            if burst:
                raise
            log.exception("A publishing cycle failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._set_state("backing_off")
            self._stop.wait(self.options.backoff_cap_s / 4)
            return 0, 0

    # -- one cycle --------------------------------------------------------------------------
    def step(self) -> tuple[int, int]:
        """Claim, check, send and record one batch; returns (rows claimed, rows sent)."""
        opts = self.options
        limit = max(1, opts.batch_size) * max(1, opts.batches_per_cycle)
        if opts.local_bound:  # a bounded local queue is trimmed between cycles: stay near it
            limit = min(limit, max(opts.batch_size, opts.local_bound))
        rows = outbox.claim(self.store, self.id, limit, opts.lease_s)
        if not rows:
            return 0, 0
        self._set_state("running")
        plan: dict[str, list[tuple[OutboxRow, list[Entry]]]] = {}
        rejected: list[tuple[OutboxRow, str]] = []
        for row in rows:
            try:
                name, entries = self._entries(row)
            except InvalidMessage as exc:
                rejected.append((row, str(exc)))
            else:
                plan.setdefault(name, []).append((row, entries))
        if rejected:
            self._fail(rejected, permanent=True)
        outcome = self._send_plan(plan)
        sent = self._settle([item for items in plan.values() for item in items], outcome)
        return len(rows), sent

    def _entries(self, row: OutboxRow) -> tuple[str, list[Entry]]:
        """The SQS entries of one row; InvalidMessage when it must never be published."""
        envelope = validate(row.body)
        secrets = find_secrets(envelope, self._literals, text=row.body)
        if secrets:
            raise InvalidMessage(
                "Refused to publish: the message contains what looks like a "
                f"{' and a '.join(secrets)}."
            )
        name = self.settings.queues.get(row.queue)
        if not name:
            raise InvalidMessage(f"No queue name is configured for the kind {row.queue!r}.")
        bodies = split_body(row.body, self.options.max_message_bytes - _ATTRIBUTE_MARGIN)
        fifo = name.endswith(".fifo")
        group = _GROUP_UNSAFE.sub("_", str(envelope["repo"]))[:128] or "ci-medic"
        entries = []
        for index, body in enumerate(bodies):
            attributes = {"event_type": envelope["event_type"], "message_id": row.message_id}
            if len(bodies) > 1:
                attributes["part"] = f"{index + 1}/{len(bodies)}"
            dedup = row.message_id if len(bodies) == 1 else f"{row.message_id}-{index}"
            entries.append(
                Entry(
                    f"r{row.id}p{index}",
                    body,
                    attributes,
                    group if fifo else None,
                    dedup if fifo else None,
                )
            )
        return name, entries

    def _send_plan(self, plan: dict[str, list[tuple[OutboxRow, list[Entry]]]]) -> _Outcome:
        """Send every queue's entries; lanes (one request, or a FIFO queue's ordered run of
        requests) go out side by side, and none starts once SQS has been found unreachable."""
        lanes: list[tuple[str, list[list[Entry]]]] = []
        for name, items in plan.items():
            entries = [e for _, es in items for e in es]
            batches = pack_batches(entries, max(1, self.options.batch_size), MAX_BATCH_BYTES)
            if name.endswith(".fifo"):
                lanes.append((name, batches))
            else:
                lanes.extend((name, [batch]) for batch in batches)
        gone = threading.Event()
        outcome = _Outcome(set(), {})
        if len(lanes) <= 1 or self.options.send_threads <= 1:
            for name, batches in lanes:
                outcome.merge(self._send_lane(name, batches, gone))
            return outcome
        _ = self.sqs  # the adapter is built here, once, not by several threads at once
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.options.send_threads, thread_name_prefix="ci-medic-send"
            )
        futures = [self._pool.submit(self._send_lane, name, b, gone) for name, b in lanes]
        wait(futures)  # every request has ended before anything is recorded (or raised)
        for future in futures:
            outcome.merge(future.result())
        return outcome

    def _send_lane(self, name: str, batches: list[list[Entry]], gone: threading.Event) -> _Outcome:
        """Send batches in order; stop (the rest postponed) when SQS is unreachable."""
        outcome = _Outcome(set(), {})
        for batch in batches:
            if gone.is_set():
                break
            try:
                self._send_batch(name, batch, outcome)
            except (SqsUnavailable, QueueMissing) as exc:
                outcome.outage = str(exc)
                gone.set()
        return outcome

    def _send_batch(self, name: str, batch: list[Entry], outcome: _Outcome) -> None:
        """One request; a batch refused as a whole is retried entry by entry to find the bad one."""
        try:
            try:
                result = self.sqs.send_batch(name, batch)
            except QueueMissing:  # e.g. a restarted local server: re-create (when allowed)
                self.sqs.forget(name)
                result = self.sqs.send_batch(name, batch)
        except BatchRejected as exc:
            if len(batch) == 1:
                outcome.failed[batch[0].id] = str(exc)
                return
            for entry in batch:
                self._send_batch(name, [entry], outcome)
            return
        outcome.ok.update(result.ok)
        for entry_id, failure in result.failed.items():
            if failure.sender_fault:
                outcome.failed[entry_id] = f"{failure.code}: {failure.message}"

    def _settle(self, items: list[tuple[OutboxRow, list[Entry]]], outcome: _Outcome) -> int:
        """Fold entry results into rows: sent (every part), failed (any part) or postponed."""
        sent, failed, postponed = [], [], []
        for row, entries in items:
            ids = [e.id for e in entries]
            if all(i in outcome.ok for i in ids):
                sent.append(row)
            elif any(i in outcome.failed for i in ids):
                failed.append((row, next(outcome.failed[i] for i in ids if i in outcome.failed)))
            else:
                postponed.append(row)
        self.sent_total += outbox.mark_sent(self.store, sent)
        if failed:
            self._fail(failed, permanent=False)
        self._outages = self._outages + 1 if outcome.outage else 0
        if postponed:
            delay = outbox.backoff_delay(
                max(1, self._outages),
                self.options.backoff_base_s,
                self.options.backoff_cap_s,
                self._rng,
            )
            error = outcome.outage or "SQS could not take the message now (server side)."
            outbox.release(self.store, postponed, delay, error)
            self._outage_delay = delay
        if outcome.outage:
            self.last_error = outcome.outage
            self._set_state("backing_off")
            log.warning("%s; retrying in %.1fs", outcome.outage, self._outage_delay)
        return len(sent)

    def _fail(self, failures: list[tuple[OutboxRow, str]], permanent: bool) -> None:
        opts = self.options
        dead = outbox.mark_failed(
            self.store,
            failures,
            max_attempts=opts.max_attempts,
            base_s=opts.backoff_base_s,
            cap_s=opts.backoff_cap_s,
            permanent=permanent,
            rng=self._rng,
        )
        self.failed_total += len(failures)
        self.last_error = failures[-1][1]
        if dead:
            log.warning(
                "%d message(s) moved to dead letters; last error: %s", dead, self.last_error
            )

    # -- lifecycle and health -----------------------------------------------------------------
    def _start(self) -> None:
        dead = worker_health.reap_dead_local(self.store)
        freed = outbox.recover_leases(self.store, dead)
        if freed:
            log.info("Freed %d message(s) leased by dead worker(s) %s", freed, dead)
        worker_health.register(self.store, self.id, self.mode, self.settings.sqs_endpoint_url)
        now = time.time()
        self._due = {"heartbeat": now, "sample": now, "prune": now, "trim": now}

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._due["heartbeat"] = 0.0

    def _housekeeping(self) -> None:
        now, opts = time.time(), self.options
        if now >= self._due["heartbeat"]:
            worker_health.heartbeat(
                self.store,
                self.id,
                self.state,
                self.sent_total,
                self.failed_total,
                self.last_error,
                now,
            )
            self._due["heartbeat"] = now + opts.heartbeat_s
        if now >= self._due["sample"]:
            outbox.record_sample(self.store, now)
            self._due["sample"] = now + opts.sample_s
        if now >= self._due["prune"]:
            outbox.prune(self.store, opts.retention_s, now)
            worker_health.forget_old(self.store, opts.retention_s, now)
            self._due["prune"] = now + 600
        grown = self.sent_total - self._sent_at_trim >= max(1, opts.local_bound // 2)
        if opts.local_bound and not self._outages and (grown or now >= self._due["trim"]):
            self._trim()
            self._sent_at_trim, self._due["trim"] = self.sent_total, now + 5

    def _trim(self, now: float | None = None) -> None:
        """Keep each local queue under ``local_bound`` by purging it (see local_server.py).

        A purge the server refuses (SQS's one-per-minute PurgeQueue limit, a server without
        PurgeQueue) is retried only after ``PURGE_COOLDOWN_S``, and said once per queue: the
        trim runs every few seconds, and one warning a minute per queue is noise, not news.
        """
        from core.queue.local_server import trim_queue

        now = time.time() if now is None else now
        for name in self.settings.queues.values():
            if now < self._purge_after.get(name, 0.0):
                continue
            try:
                trim_queue(self.sqs, name, self.options.local_bound)
            except (SqsUnavailable, QueueMissing, BatchRejected) as exc:
                self._purge_after[name] = now + PURGE_COOLDOWN_S
                if name in self._purge_warned:
                    log.debug("Could not bound %s: %s", name, exc)
                    continue
                self._purge_warned.add(name)
                log.warning(
                    "Could not bound %s (%s); trying again every %.0f s without saying so again.",
                    name,
                    exc,
                    PURGE_COOLDOWN_S,
                )

    def _finish(self) -> None:
        self.state = "stopped"
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        try:
            worker_health.heartbeat(
                self.store, self.id, "stopped", self.sent_total, self.failed_total, self.last_error
            )
            outbox.record_sample(self.store)
        except Exception:  # noqa: BLE001 - never hide the real reason the loop ended
            log.exception("Could not record the worker's final health")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m core.queue.worker`` (see core/queue/cli.py for the commands)."""
    from core.queue.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
