"""A local SQS-compatible server on loopback (moto's), for the embedded demo and the tests.

Why moto: it speaks the SQS JSON protocol boto3 uses (batches, FIFO dedup, long polling), starts
in-process in ~0.4 s and needs no network. Its limit is speed: every operation scans the whole
queue (moto 5.2 reads all of a queue's attributes, message counts included, for every message
it takes), so on 2 busy cores sends fall from ~590/s with the queue purged every 50 messages to
~160/s every 250 and ~50/s every 1,000, and receiving (hence deleting the oldest messages one
batch at a time) is slower still. So the demo keeps each local queue *bounded*: whenever a queue
holds more than ``LOCAL_BOUND`` messages, the worker (option ``local_bound``) purges it, which
moto does instantly, and claims no more than that many rows per cycle so a cycle cannot
overshoot it by much. Nothing is lost that matters: the outbox keeps every message (the Queues
page shows them from there), and a consumer attached with ``python -m core.queue.worker consume
QUEUE --follow`` reads the stream as it comes, which keeps the queue short and below the bound
anyway.

Purging every few seconds is what real SQS forbids (one PurgeQueue per queue per minute), and
newer moto releases enforce that limit too (5.2.5 does, 5.2.1 did not; the variable
``MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR``, default true), which made the worker log a
refused purge per queue every few seconds. The local server is therefore started with that
check off: it exists to be bounded this way.

The app runs its local server in a child process (``separate_process=True``): moto spends
CPU on every message, and inside the app server it competed for the interpreter lock with the
pages and the background tasks (a first start took 103 s instead of 46 s on 2 cores). The child
exits by itself when the app server is gone.

``python -m core.queue.local_server [--port 4566]`` runs the server in the foreground for a sidecar
setup.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import socket
import subprocess
import sys
import threading
import time
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

LOCAL_BOUND = 50
"""At most this many messages wait in a local demo queue (moto's sends cost grows with it)."""
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


class _ChildServer:
    """moto running in a child process (``python -m core.queue.local_server``)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_child(timeout_s: float = 60.0) -> LocalSqs:
    port = _free_port()
    env = {**os.environ, STRICT_PURGE_ENV: os.environ.get(STRICT_PURGE_ENV, "false")}
    process = subprocess.Popen(
        [sys.executable, "-m", "core.queue.local_server", "--port", str(port)]
        + ["--parent", str(os.getpid())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConfigError(f"The local SQS server exited at start (code {process.returncode}).")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)  # between checks of the condition, bounded by the deadline
    else:
        _ChildServer(process).stop()
        raise ConfigError(f"The local SQS server did not answer within {timeout_s:.0f} s.")
    child = LocalSqs("127.0.0.1", port, _ChildServer(process))
    atexit.register(child.server.stop)
    return child


def start_local_sqs(port: int = 0, *, separate_process: bool = False) -> LocalSqs:
    """Start moto on 127.0.0.1 (once per process for ``port=0``; any free port) and return it.

    ``separate_process``: in a child process (the app's choice, see the module's docstring).
    """
    with _lock:
        _allow_frequent_purges()
        if port == 0 and _default_port and _default_port[0] in _servers:
            return _servers[_default_port[0]]
        if port and port in _servers:
            return _servers[port]
        if separate_process and port == 0:
            local = _start_child()
            _servers[local.port] = local
            _default_port[:] = [local.port]
            return local
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


def _exit_with(parent: int) -> None:
    """A child server outlives no app server, even one killed with SIGKILL."""
    while True:
        time.sleep(2)
        try:
            os.kill(parent, 0)
        except OSError:
            os._exit(0)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a local SQS server in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m core.queue.local_server",
        description="Local SQS-compatible server on 127.0.0.1",
    )
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--parent", type=int, default=0, help="exit when this process is gone")
    args = parser.parse_args(argv)
    local = start_local_sqs(args.port)
    if args.parent:
        threading.Thread(target=_exit_with, args=(args.parent,), daemon=True).start()
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
