"""Commands of ``python -m core.queue.worker``: ``run`` (default), ``consume QUEUE``, ``status``.

``status`` and ``consume`` only read: they never create a store (a missing one is a sentence that
names the path). ``consume`` reads where the messages are: ``--endpoint`` or
``CI_MEDIC_SQS_ENDPOINT_URL`` when given, else where the live worker of the store publishes (the
local server of ``run --local`` or of the app's embedded worker, recorded in the store's worker
health), else AWS when configured; with none of these it says how to start a worker.

``run`` installs the signal handlers: the first SIGTERM/SIGINT lets the batch in hand finish and
be recorded, then the worker exits 0; a second one ends the process at once. Exit codes: 0 done,
1 a CI Medic error (one sentence on stderr; an operating-system error on a path, such as a
``--db`` name over 255 bytes, is one too), 2 bad usage (argparse's sentence) or an unexpected
error (one line naming it, never a traceback; ``CI_MEDIC_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pandas as pd

from core.config import Settings
from core.errors import CIMedicError, ConfigError, path_error

if TYPE_CHECKING:
    from core.queue.worker import Worker

__all__ = ["main", "build_parser", "consume_settings"]

_COMMANDS = {"run", "consume", "status"}
SQS_MAX_BATCH = 10  # SendMessageBatch takes at most 10 entries


def _whole(low: int, high: int | None = None, why: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high] (``1.5``, ``-3`` are refused)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            wanted = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {wanted}{why}, got {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="store file (default: CI_MEDIC_DB_PATH or ~/.ci-medic/)")
    common.add_argument(
        "--endpoint",
        help="SQS endpoint URL (default: CI_MEDIC_SQS_ENDPOINT_URL; for consume, else where the "
        "store's worker publishes; else AWS)",
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
    run.add_argument(
        "--batch-size",
        type=_whole(1, SQS_MAX_BATCH, " (SQS sends at most 10 messages per batch)"),
        help="messages per SendMessageBatch request, 1 to 10 (a cycle claims 10 requests' worth)",
    )
    run.add_argument("--lease", type=_seconds, dest="lease_s", help="row lease in seconds")
    run.add_argument("--max-attempts", type=_whole(1))
    run.add_argument("--backoff-base", type=_seconds, dest="backoff_base_s")
    run.add_argument("--backoff-cap", type=_seconds, dest="backoff_cap_s")
    run.add_argument(
        "--bound",
        type=_whole(0),
        dest="local_bound",
        help="keep each queue at most this many messages (local servers only)",
    )
    consume = sub.add_parser("consume", parents=[common], help="print what arrives in QUEUE")
    consume.add_argument("queue", help="a kind (metrics, logs, features, analysis) or a name")
    consume.add_argument("--max", type=_whole(1), dest="max_messages", help="stop after N messages")
    consume.add_argument("--out", type=Path, help="append JSON lines here instead of printing")
    consume.add_argument("--follow", action="store_true", help="keep waiting for more")
    sub.add_parser("status", parents=[common], help="backlog per queue and worker health")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.db:
        settings = settings.with_(db_path=str(args.db))
    if args.endpoint is not None:
        settings = settings.with_(sqs_endpoint_url=args.endpoint)
    return settings


def _demo_hint(path: Path) -> str:
    """A pointer to the app's demo store when it exists next to the default one."""
    demo = Path(Settings().db_path).expanduser().parent / "demo.db"
    if demo.exists() and demo.resolve() != path.resolve():
        return f" The app's demo store is {demo}: add --db {demo}."
    return ""


def _existing_store(settings: Settings, command: str) -> Path:
    """The store ``command`` reads; a sentence (never a new empty store) when it is missing."""
    path = Path(settings.db_path).expanduser()
    if path.exists():  # a file (the store checks it is one of ours) or a folder (it says so)
        return path
    raise ConfigError(
        f"There is no store at {path}, and `{command}` only reads one, so it did not create "
        f"it: choose the store with --db PATH (or CI_MEDIC_DB_PATH).{_demo_hint(path)}"
    )


def consume_settings(settings: Settings) -> tuple[Settings, str]:
    """(settings pointed at where the messages are, a sentence saying where that is).

    The same places the worker publishes to, in the same order: a configured endpoint, the
    endpoint of the store's live worker (the local server it started, or AWS), AWS when
    configured; else a ConfigError saying how to start a worker.
    """
    from core.queue.health import publishing_endpoint
    from core.queue.sqs import aws_configured
    from core.store.db import Store

    if settings.sqs_endpoint_url:
        return settings, f"Reading from {settings.sqs_endpoint_url}."
    path = Path(settings.db_path).expanduser()
    found = publishing_endpoint(Store(path)) if path.is_file() else None
    if found is not None:
        endpoint, worker = found
        where = endpoint or f"AWS SQS ({settings.sqs_region})"
        return settings.with_(sqs_endpoint_url=endpoint), (
            f"Reading from {where}, where worker {worker} publishes from {path}."
        )
    if aws_configured():
        return settings, f"Reading from AWS SQS ({settings.sqs_region})."
    store = f"the store at {path}" if path.is_file() else f"{path} (there is no store there)"
    raise ConfigError(
        "There is no SQS to read from: no endpoint is given (--endpoint or "
        "CI_MEDIC_SQS_ENDPOINT_URL), no AWS credentials are configured and no worker publishes "
        f"from {store}. Start one with `python -m core.queue.worker run --local --db {path}` "
        "(or open the app, whose embedded worker publishes to a local server) and run this "
        f"again.{_demo_hint(path)}"
    )


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

    settings, where = consume_settings(settings)
    sink: TextIO = _appendable(args.out) if args.out else sys.stdout
    print(where, file=sys.stderr, flush=True)
    name = settings.queues.get(args.queue, args.queue)

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


def _appendable(path: Path) -> TextIO:
    """``path`` opened to append JSON lines, or a sentence saying why it cannot be."""
    if path.is_dir():
        raise ConfigError(
            f"--out {path} is a folder, but consume appends JSON lines to a file: give a file "
            f"path, such as {path / 'messages.jsonl'}."
        )
    try:
        return path.open("a", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"Cannot append to --out {path} ({exc.strerror or exc}): choose a file in a folder "
            "that exists and that you can write to."
        ) from exc


def _printable(frame: pd.DataFrame) -> str:
    """A frame as aligned text without ``None``/``NaN`` cells or long errors."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype == object or shown[column].isna().any():
            shown[column] = shown[column].map(
                lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v)[:60]
            )
    return shown.to_string(index=False)


def _cmd_status(_args: argparse.Namespace, settings: Settings) -> int:
    from core.queue.health import health_frame
    from core.store.db import Store
    from core.store.outbox import stats

    store = Store(_existing_store(settings, "status"))
    frame = stats(store)
    frame.insert(1, "name", frame["queue"].map(lambda k: settings.queues.get(k, "?")))
    frame["oldest_pending_s"] = frame["oldest_pending_s"].round(0)
    print(f"Store: {store.path}")
    print(_printable(frame.drop(columns=["last_error_at", "last_sent_at"])))
    health = health_frame(store)
    columns = [
        "worker_id",
        "mode",
        "endpoint",
        "state",
        "alive",
        "heartbeat_age_s",
        "sent_total",
        "failed_total",
        "last_error",
    ]
    print()
    print(
        _printable(health[columns].head(10))
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
    settings: Settings | None = None
    try:
        settings = _settings(args)
        return handlers[args.command](args, settings)
    except CIMedicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: what was sent so far is recorded.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last guard: a line, never a traceback
        given = {str(v): f"--{k}" for k in ("db", "out") if (v := getattr(args, k, None))}
        return _unexpected(exc, settings, given)


def _unexpected(exc: Exception, settings: Settings | None, given: dict[str, str]) -> int:
    """An sqlite3 error that escaped the store, or an operating-system error on a path (``given``:
    each path the user typed -> its option), as its sentence (exit 1); anything else as one
    line naming it (exit 2), re-raised with its traceback when ``CI_MEDIC_DEBUG`` is set."""
    import sqlite3

    from core.store.db import store_error

    translated = None
    if isinstance(exc, sqlite3.Error):
        translated = store_error(settings.db_path if settings else "the store", exc)
    elif isinstance(exc, OSError):
        translated = path_error(exc, given)
    if translated is not None:
        print(f"error: {translated}", file=sys.stderr)
        return 1
    if os.environ.get("CI_MEDIC_DEBUG", "").strip() not in {"", "0"}:
        raise exc
    text = " ".join(str(exc).split())
    text = text if len(text) <= 300 else text[:299] + "…"
    print(
        f"Unexpected error ({type(exc).__name__}: {text or 'no message'}). This is a bug in "
        "CI Medic: run the command again with CI_MEDIC_DEBUG=1 to see where it happened, and "
        "report it.",
        file=sys.stderr,
    )
    return 2
