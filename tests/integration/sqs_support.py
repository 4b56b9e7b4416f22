"""Shared helpers for the worker's integration tests: a real SQS-compatible server (moto) on
loopback, stores filled through the real import path, and a consumer that drains every queue.

Every moto server started in one process shares one in-memory backend, so each test resets it
(``/moto-api/reset``) and keeps its queues small (moto slows down past ~1,000 messages).
"""

from __future__ import annotations

import logging
import shutil
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from core.config import Settings
from core.queue.consumer import Delivery, consume
from core.queue.sqs import SqsAdapter
from core.queue.worker import WorkerOptions
from core.store.db import Store

FAST = WorkerOptions(
    batch_size=10,
    lease_s=30,
    max_attempts=3,
    backoff_base_s=0.05,
    backoff_cap_s=0.3,
    idle_s=0.05,
    heartbeat_s=0.2,
    sample_s=0.2,
)


class MotoServer:
    """moto's threaded server on 127.0.0.1 that can be stopped and restarted on the same port."""

    def __init__(self, port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        self.port = int(self._server.get_host_and_port()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.stop()
        self._server._server.server_close()  # release the port for a restart

    def reset(self) -> None:
        """Forget every queue and message (a fresh server)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        urllib.request.urlopen(request, timeout=30).close()


def settings_for(url: str, db: Path, **changes: object) -> Settings:
    return Settings().with_(db_path=str(db), sqs_endpoint_url=url, **changes)


_TEMPLATES: dict[str, Path] = {}


def filled_store(tmp_path: Path, runs: int = 12, jobs_per_run: int = 3) -> Store:
    """A store holding a synced repository and its outbox (copied from a per-session template,
    since importing is the slow part)."""
    key = f"{runs}x{jobs_per_run}"
    if key not in _TEMPLATES or not _TEMPLATES[key].exists():
        from core.dump.importer import import_path
        from tests.integration.dump_factory import make_dump

        root = Path(tmp_path.parent / f"template-{key}")
        root.mkdir(exist_ok=True)
        dump = make_dump(
            root / "dump",
            runs=runs,
            jobs_per_run=jobs_per_run,
            attempts={1: 2, 4: 3},
            with_logs=False,
            with_files=False,
        )
        template = Store(root / "template.db")
        import_path(template, dump)
        template.seal()
        _TEMPLATES[key] = root / "template.db"
    target = tmp_path / "store.db"
    shutil.copy(_TEMPLATES[key], target)
    return Store(target)


def demo_store(tmp_path: Path) -> Store:
    """The embedded demo's generator (30 runs over 3 days) imported through the real path, or
    the small hand-made dump when core.sandbox.demo.generator is not available."""
    try:
        from core.sandbox.demo.generator import generate_demo
    except ImportError:
        return filled_store(tmp_path, runs=30, jobs_per_run=4)
    from core.dump.importer import import_path

    dump = generate_demo(
        tmp_path / "dump", seed=5, end=datetime(2026, 1, 1, tzinfo=UTC), runs_target=30, days=3
    )
    store = Store(tmp_path / "demo.db")
    import_path(store, dump)
    return store


def outbox_ids(store: Store, status: str | None = None) -> set[str]:
    sql = "SELECT message_id FROM outbox" + (" WHERE status = ?" if status else "")
    return {r[0] for r in store.query(sql, (status,) if status else ())}


def drain(
    settings: Settings, kinds: tuple[str, ...] = ("metrics", "logs", "features", "analysis")
) -> list[Delivery]:
    """Receive and delete everything currently in the given queues (missing queues are empty)."""
    from core.queue.sqs import QueueMissing

    sqs = SqsAdapter(settings)
    got: list[Delivery] = []
    for kind in kinds:
        try:
            consume(sqs, settings.queues[kind], got.append, wait_s=0, idle_polls=1)
        except QueueMissing:
            continue
    return got


def drain_during(settings: Settings, action: Callable[[], object]) -> tuple[object, list[Delivery]]:
    """Run ``action`` while a consumer thread keeps every queue drained (as a live consumer
    would); return the action's result and everything received, including after it ended."""
    import threading

    done, got = threading.Event(), []

    def loop() -> None:
        while not done.is_set():
            got.extend(drain(settings))
            done.wait(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        result = action()
    finally:
        done.set()
        thread.join(30)
    return result, got + drain(settings)


def wait_until(
    predicate: Callable[[], bool],
    timeout: float = 20.0,
    every: float = 0.05,
    what: str = "condition",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


def count(store: Store, status: str) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM outbox WHERE status = ?", (status,)))
