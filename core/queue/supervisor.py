"""Run the publishing worker inside the app's process when there is no sidecar (Community Cloud).

Streamlit Community Cloud runs one process and no second one, so the app starts the worker
itself: a daemon thread, started at most once per *server* (a process-level lock and registry,
not ``st.session_state``, which is per browser tab). A second guard lives in the store: the
thread publishes only after :func:`core.queue.health.acquire_lease` finds no other live worker
(a sidecar ``python -m core.queue.worker``, or another app server sharing the store file);
otherwise it
stands by and checks again, so two processes never both run an embedded worker.

It shares the app server's CPU with the pages and the background tasks (a sync, a log fetch, an
analysis), so it publishes nothing while a task runs (``WorkerOptions.yield_to``) and catches up
right after: the outbox keeps every message meanwhile. A sidecar has no such reason to wait.

Where it publishes: ``sqs_endpoint_url`` when set; AWS when credentials are configured; else a
local moto server on 127.0.0.1 started here, with every queue bounded (core/queue/local_server.py).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import Settings
from core.queue.health import HOST, acquire_lease
from core.store.db import Store
from core.store.tasks import tasks_running

if TYPE_CHECKING:
    from core.queue.worker import Worker

__all__ = [
    "SupervisorStatus",
    "ensure_worker",
    "worker_status",
    "stop_workers",
    "resolve_publish_target",
    "LEASE_TTL_S",
]

log = logging.getLogger("ci_medic.worker")
LEASE_TTL_S = 30.0
_lock = threading.Lock()
_supervisors: dict[str, _Supervisor] = {}


@dataclass(frozen=True)
class SupervisorStatus:
    """What the embedded worker of this process is doing, in a sentence for the Queues page."""

    state: str  # starting | publishing | standby | stopped | failed | disabled
    worker_id: str
    endpoint: str
    detail: str


def resolve_publish_target(settings: Settings) -> tuple[Settings, int]:
    """(settings to publish with, local bound): a configured endpoint, AWS, or a local server."""
    if settings.sqs_endpoint_url:
        return settings, 0
    from core.queue.sqs import aws_configured

    if aws_configured():
        return settings, 0
    from core.queue.local_server import LOCAL_BOUND, local_settings, start_local_sqs

    return local_settings(settings, start_local_sqs(separate_process=True)), LOCAL_BOUND


class _Supervisor:
    def __init__(self, settings: Settings, ttl_s: float) -> None:
        self.settings, self.ttl_s = settings, ttl_s
        self.worker_id = f"{HOST}:{os.getpid()}:app-{uuid.uuid4().hex[:6]}"
        self.state, self.detail = "starting", "Starting the publishing worker."
        self.endpoint = settings.sqs_endpoint_url or "AWS SQS"
        self.worker: Worker | None = None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._main, name="ci-medic-worker", daemon=True)

    def status(self) -> SupervisorStatus:
        return SupervisorStatus(self.state, self.worker_id, self.endpoint, self.detail)

    def _main(self) -> None:
        from core.queue.worker import Worker, WorkerOptions

        try:
            settings, bound = resolve_publish_target(self.settings)
            self.endpoint = settings.sqs_endpoint_url or f"AWS SQS ({settings.sqs_region})"
            store = Store(settings.db_path)
            while not self._stop.is_set():
                if not acquire_lease(
                    store, self.worker_id, "embedded", settings.sqs_endpoint_url, self.ttl_s
                ):
                    self.state = "standby"
                    self.detail = "Another worker already publishes from this store."
                    self._stop.wait(self.ttl_s / 2)
                    continue
                self.state, self.detail = "publishing", f"Publishing to {self.endpoint}."
                options = WorkerOptions.from_settings(
                    settings, local_bound=bound or None, yield_to=partial(tasks_running, store)
                )
                self.worker = Worker(
                    store, settings, worker_id=self.worker_id, mode="embedded", options=options
                )
                if self._stop.is_set():
                    break
                self.worker.run()
            self.state, self.detail = "stopped", "The embedded worker stopped."
        except Exception as exc:  # noqa: BLE001 - shown on the Queues page, never raised
            log.exception("The embedded worker failed")
            self.state, self.detail = "failed", f"The embedded worker failed: {exc}"

    def stop(self, timeout: float) -> None:
        self._stop.set()
        if self.worker is not None:
            self.worker.stop()
        self.thread.join(timeout)


def _key(settings: Settings) -> str:
    return str(Path(settings.db_path).expanduser().resolve())


def ensure_worker(settings: Settings, ttl_s: float = LEASE_TTL_S) -> SupervisorStatus:
    """Start the embedded worker for this store unless this process already runs one.

    Cheap to call on every page run: after the first call it is a dictionary lookup.
    Set ``worker_embedded = false`` in the settings to never start one (a sidecar publishes).
    """
    if not getattr(settings, "worker_embedded", True):
        return SupervisorStatus(
            "disabled",
            "",
            settings.sqs_endpoint_url,
            "The embedded worker is off; run python -m core.queue.worker.",
        )
    with _lock:
        current = _supervisors.get(_key(settings))
        if current is not None and (current.thread.is_alive() or current.state == "failed"):
            return current.status()  # a failure stays visible until the server restarts
        supervisor = _Supervisor(settings, ttl_s)
        _supervisors[_key(settings)] = supervisor
        supervisor.thread.start()
        return supervisor.status()


def worker_status(settings: Settings) -> SupervisorStatus | None:
    """The embedded worker's status for this store, without starting one."""
    current = _supervisors.get(_key(settings))
    return None if current is None else current.status()


def stop_workers(timeout: float = 10.0) -> None:
    """Stop every embedded worker of this process (at exit, and in tests)."""
    with _lock:
        running = list(_supervisors.values())
        _supervisors.clear()
    for supervisor in running:
        supervisor.stop(timeout)


atexit.register(stop_workers, 5.0)
