"""Commands of ``python -m core.queue.worker``: ``run`` (default), ``consume QUEUE``, ``status``.

``run`` installs the signal handlers: the first SIGTERM/SIGINT lets the batch in hand finish and
be recorded, then the worker exits 0; a second one ends the process at once. Exit codes: 0 done,
1 a CI Medic error (one sentence on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from core.config import Settings
from core.errors import CIMedicError

if TYPE_CHECKING:
    from core.queue.worker import Worker

__all__ = ["main", "build_parser"]

_COMMANDS = {"run", "consume", "status"}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="store file (default: CI_MEDIC_DB_PATH or ~/.ci-medic/)")
    common.add_argument(
        "--endpoint", help="SQS endpoint URL (default: CI_MEDIC_SQS_ENDPOINT_URL or AWS)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m core.queue.worker",
        description="Publish the outbox to SQS; watch the queues.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[common], help="publish the outbox (default command)")
    run.add_argument("--burst", action="store_true", help="drain what is due, then exit")
    run.add_argument(
        "--local",
        action="store_true",
        help="start a local SQS server on 127.0.0.1 and publish there (bounded)",
    )
    run.add_argument("--batch-size", type=int)
    run.add_argument("--lease", type=float, dest="lease_s", help="row lease in seconds")
    run.add_argument("--max-attempts", type=int)
    run.add_argument("--backoff-base", type=float, dest="backoff_base_s")
    run.add_argument("--backoff-cap", type=float, dest="backoff_cap_s")
    run.add_argument(
        "--bound",
        type=int,
        dest="local_bound",
        help="keep each queue at most this many messages (local servers only)",
    )
    consume = sub.add_parser("consume", parents=[common], help="print what arrives in QUEUE")
    consume.add_argument("queue", help="a kind (metrics, logs, features, analysis) or a name")
    consume.add_argument("--max", type=int, dest="max_messages", help="stop after N messages")
    consume.add_argument("--out", type=Path, help="append JSON lines here instead of printing")
    consume.add_argument("--follow", action="store_true", help="keep waiting for more")
    sub.add_parser("status", parents=[common], help="backlog per queue and worker health")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.db:
        settings = settings.with_(db_path=str(args.db))
    if args.endpoint:
        settings = settings.with_(sqs_endpoint_url=args.endpoint)
    return settings


def _install_signals(worker: Worker) -> None:
    """First signal: graceful stop; second: the default action (exit now)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, _frame: object) -> None:
        if worker.stopping:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        logging.getLogger("ci_medic.worker").info("Signal %d: finishing the batch", signum)
        worker.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from core.queue.worker import Worker, WorkerOptions
    from core.store.db import Store

    overrides = {
        k: getattr(args, k)
        for k in (
            "batch_size",
            "lease_s",
            "max_attempts",
            "backoff_base_s",
            "backoff_cap_s",
            "local_bound",
        )
    }
    if args.local:
        from core.queue.local_server import LOCAL_BOUND, local_settings, start_local_sqs

        local = start_local_sqs()
        settings = local_settings(settings, local)
        overrides["local_bound"] = overrides["local_bound"] or LOCAL_BOUND
        print(f"Local SQS server on {local.url}", file=sys.stderr, flush=True)
    worker = Worker(
        Store(settings.db_path),
        settings,
        options=WorkerOptions.from_settings(settings, **overrides),
    )
    _install_signals(worker)
    sent = worker.run(burst=args.burst)
    print(f"Published {sent} message(s); {worker.failed_total} failure(s).", file=sys.stderr)
    return 0


def _cmd_consume(args: argparse.Namespace, settings: Settings) -> int:
    from core.queue.consumer import Delivery, consume
    from core.queue.sqs import SqsAdapter

    name = settings.queues.get(args.queue, args.queue)
    sink: TextIO = args.out.open("a", encoding="utf-8") if args.out else sys.stdout

    def emit(delivery: Delivery) -> None:
        record = dict(delivery.envelope)
        if delivery.error:
            record["_invalid"] = delivery.error
        if args.out:
            sink.write(json.dumps(record, separators=(",", ":")) + "\n")
        else:
            sink.write(json.dumps(record, indent=2) + "\n")
        sink.flush()

    try:
        report = consume(
            SqsAdapter(settings), name, emit, max_messages=args.max_messages, follow=args.follow
        )
    finally:
        if args.out:
            sink.close()
    print(
        f"{report.delivered} message(s) from {name}; {report.invalid} invalid, "
        f"{report.duplicates} duplicate(s).",
        file=sys.stderr,
    )
    return 0


def _cmd_status(_args: argparse.Namespace, settings: Settings) -> int:
    from core.queue.health import health_frame
    from core.store.db import Store
    from core.store.outbox import stats

    store = Store(settings.db_path)
    frame = stats(store)
    frame.insert(1, "name", frame["queue"].map(lambda k: settings.queues.get(k, "?")))
    print(frame.drop(columns=["last_error_at", "last_sent_at"]).to_string(index=False))
    health = health_frame(store)
    print()
    print(
        health[
            [
                "worker_id",
                "mode",
                "state",
                "alive",
                "heartbeat_age_s",
                "sent_total",
                "failed_total",
                "last_error",
            ]
        ]
        .head(10)
        .to_string(index=False)
        if len(health)
        else "No worker has run against this store yet."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in _COMMANDS and args_list[0] not in {"-h", "--help"}):
        args_list.insert(0, "run")
    args = build_parser().parse_args(args_list)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handlers = {"run": _cmd_run, "consume": _cmd_consume, "status": _cmd_status}
    try:
        return handlers[args.command](args, _settings(args))
    except CIMedicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
