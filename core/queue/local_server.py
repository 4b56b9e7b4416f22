"""A local SQS-compatible server on loopback (moto's), for the embedded demo and the tests.

Why moto: it speaks the SQS JSON protocol boto3 uses (batches, FIFO dedup, long polling), starts
in-process in ~0.4 s and needs no network. Its limit is speed: every operation scans the whole
queue, so sends fall from ~450/s on an empty queue to ~60/s at 800 messages, and receiving
(hence deleting the oldest messages one batch at a time) is slower still. So the demo keeps each
local queue *bounded*: whenever a queue holds more than ``LOCAL_BOUND`` messages, the worker
(option ``local_bound``) purges it, which moto does instantly. Nothing is lost that matters:
the outbox keeps every message (the Queues page shows them from there), and a consumer attached
with ``python -m core.queue.worker consume QUEUE --follow`` reads the stream as it comes, which
keeps the queue short and below the bound anyway.

Purging every few seconds is what real SQS forbids (one PurgeQueue per queue per minute), and
newer moto releases enforce that limit too (5.2.5 does, 5.2.1 did not; the variable
``MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR``, default true), which made the worker log a
refused purge per queue every few seconds. The local server is therefore started with that
check off: it exists to be bounded this way.

``python -m core.queue.local_server [--port 4566]`` runs the server in the foreground for a sidecar
setup.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.config import Settings
from core.errors import ConfigError

__all__ = [
    "LOCAL_BOUND",
    "LocalSqs",
    "start_local_sqs",
    "stop_local_sqs",
    "local_settings",
    "trim_queue",
    "main",
]

LOCAL_BOUND = 250
"""At most this many messages wait in a local demo queue (moto stays fast below ~300)."""
STRICT_PURGE_ENV = "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"

_lock = threading.Lock()
_servers: dict[int, LocalSqs] = {}
_default_port: list[int] = []


@dataclass(frozen=True)
class LocalSqs:
    host: str
    port: int
    server: Any

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _quiet() -> None:
    """moto's HTTP server logs every request through werkzeug; one line per message is noise."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _allow_frequent_purges() -> None:
    """Let the in-process moto purge a queue more than once a minute (it reads this variable on
    every PurgeQueue); a value someone set on purpose is kept."""
    os.environ.setdefault(STRICT_PURGE_ENV, "false")


def start_local_sqs(port: int = 0) -> LocalSqs:
    """Start moto on 127.0.0.1 (once per process for ``port=0``; any free port) and return it."""
    with _lock:
        _allow_frequent_purges()
        if port == 0 and _default_port and _default_port[0] in _servers:
            return _servers[_default_port[0]]
        if port and port in _servers:
            return _servers[port]
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # pragma: no cover - moto[server] is in requirements.txt
            raise ConfigError(
                "The local SQS server needs moto[server]: pip install 'moto[server]'."
            ) from exc
        _quiet()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        try:
            server.start()
        except OSError as exc:
            raise ConfigError(f"Cannot start the local SQS server on port {port}: {exc}") from exc
        host, bound = server.get_host_and_port()
        local = LocalSqs(str(host), int(bound), server)
        _servers[local.port] = local
        if port == 0:
            _default_port[:] = [local.port]
        return local


def stop_local_sqs(local: LocalSqs | None = None) -> None:
    """Stop one server (or every server this process started)."""
    with _lock:
        targets = [local] if local is not None else list(_servers.values())
        for item in targets:
            if _servers.pop(item.port, None) is not None:
                item.server.stop()


def local_settings(settings: Settings, local: LocalSqs) -> Settings:
    """``settings`` pointed at the local server (the adapter then uses dummy credentials)."""
    return settings.with_(sqs_endpoint_url=local.url)


def trim_queue(sqs: Any, name: str, keep: int) -> int:
    """Purge ``name`` when it holds more than ``keep`` messages; returns how many were dropped.

    ``sqs`` is a :class:`core.queue.sqs.SqsAdapter`. Meant for local demo queues only: on a real
    queue this would throw away what consumers have not read yet.
    """
    try:
        depth = sqs.depth(name)
    except Exception:  # noqa: BLE001 - a queue not created yet has nothing to trim
        return 0
    if depth <= keep:
        return 0
    sqs.purge(name)
    return depth


def main(argv: Sequence[str] | None = None) -> int:
    """Run a local SQS server in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m core.queue.local_server",
        description="Local SQS-compatible server on 127.0.0.1",
    )
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    local = start_local_sqs(args.port)
    print(
        f"Local SQS server on {local.url} (set CI_MEDIC_SQS_ENDPOINT_URL={local.url})", flush=True
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_local_sqs(local)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
