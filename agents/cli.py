"""``ci-medic`` (also ``python -m agents.cli``): CI Medic without the app: demo, import, sync,
status, analyze, rca, anomalies, flaky.

The store is chosen with ``--db PATH`` (or ``CI_MEDIC_DB_PATH``), so two stores never mix.
The token only ever comes from the environment (``CI_MEDIC_GITHUB_TOKEN`` or ``GITHUB_TOKEN``),
never from a flag, so it cannot end up in shell history or ``ps`` output.
Exit codes: 0 done, 1 a CI Medic error (one sentence on stderr; an operating-system error on a
path, such as a name over 255 bytes or a file where a folder must be, is one too), 2 bad usage
(argparse's sentence) or an unexpected error (one line naming it, never a traceback;
``CI_MEDIC_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from tqdm import tqdm

from agents.base import AgentContext
from agents.flaky_tests.command import add_parser as add_flaky_parser
from agents.flaky_tests.command import run as run_flaky
from core.config import Settings
from core.errors import CIMedicError, ConfigError, file_above, path_error
from core.progress import Progress
from core.store.db import Store, store_error

if TYPE_CHECKING:
    from agents.anomaly_detection.series import Flag
    from agents.root_cause.analysis import RootCause

__all__ = ["main", "build_parser"]

MAX_HISTORY_DAYS = 3650  # ten years: GitHub Actions itself is younger
QUARANTINE_FILE = "quarantine.json"  # what `analyze` writes next to the CSVs (Flaky Tests)
# the path arguments of each command, as its usage names them (for the sentence of an OS error)
_PATH_ARGUMENTS = {
    "demo": {"out": "OUT"},
    "import": {"dump": "DUMP"},
    "analyze": {"out": "--out"},
    "anomalies": {"file": "FILE.csv"},
    "flaky": {"file": "HISTORY.csv"},
}


def _whole(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low`` (``1.5``, ``-3`` are refused)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ci-medic",
        description="CI Medic without the app: demo, import, sync, status, analyze, rca, "
        "anomalies.",
    )
    parser.add_argument("--db", help="store file (default: CI_MEDIC_DB_PATH or ~/.ci-medic/)")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the demo repository dump")
    demo.add_argument("out", type=Path, help="folder to write the dump into")
    demo.add_argument("--seed", type=_whole(0), default=7)
    imp = sub.add_parser("import", help="load a dump or recorded payloads into the store")
    imp.add_argument("dump", type=Path)
    sync = sub.add_parser("sync", help="incrementally sync OWNER/REPO from GitHub")
    sync.add_argument("repo", help="owner/name or a GitHub URL")
    sync.add_argument("--base-url", help="GitHub API base URL (GitHub Enterprise, emulator)")
    sync.add_argument("--budget", type=_whole(1), help="at most this many requests")
    sync.add_argument(
        "--days",
        type=_whole(1),
        default=90,
        help="on a first sync, how many days of history to read (default 90, at most 3650)",
    )
    sync.add_argument(
        "--full",
        action="store_true",
        help="re-check every stored run, not only the last 3 days (re-runs and "
        "late completions of older runs); unchanged runs cost only the list "
        "pages",
    )
    sub.add_parser("status", help="what the store holds, per repository")
    analyze = sub.add_parser(
        "analyze", help="run every agent, write findings as CSV and the quarantine list"
    )
    analyze.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for the CSV files and quarantine.json (a quarantine.json already there, "
        "e.g. the committed one, is continued)",
    )
    analyze.add_argument("--repo", help="repository (default: the only one in the store)")
    # rca parses its own arguments (_rca_parser), so its options may come before, between and
    # after the logs: this parser only hands them over, in order and as typed. No argument
    # starts with NUL (a command line cannot hold one), so none of them is an option here.
    rca = sub.add_parser(
        "rca", help="root-cause analysis of log files", add_help=False, prefix_chars="\0"
    )
    rca.add_argument("rest", nargs=argparse.REMAINDER)
    anomalies = sub.add_parser(
        "anomalies",
        help="flag the anomalous points of a numeric series in a CSV file",
        description="Flag spikes, level shifts and trends in one numeric series (a CSV file "
        "with a time and a value column, oldest row first), deciding at each row from the "
        "rows up to it only.",
    )
    anomalies.add_argument("file", type=Path, metavar="FILE.csv")
    anomalies.add_argument("--time-col", default="timestamp", help="default: timestamp")
    anomalies.add_argument("--value-col", default="value", help="default: value")
    anomalies.add_argument(
        "--sensitivity",
        type=_positive,
        default=1.0,
        help="scales every threshold: 2 flags more, 0.5 fewer (default 1)",
    )
    anomalies.add_argument("--json", action="store_true", help="one JSON object per flagged row")
    add_flaky_parser(sub)
    return parser


def _positive(text: str) -> float:
    """An argparse type: a positive, finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.db:
        settings = settings.with_(db_path=str(args.db))
    return settings


def _bar(description: str) -> tuple[tqdm, Progress]:
    bar = tqdm(
        total=100,
        desc=description,
        unit="%",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        bar_format="{desc}: {percentage:3.0f}%|{bar}|",
    )

    def progress(fraction: float, message: str) -> None:
        bar.n = round(100 * max(0.0, min(1.0, fraction)))
        bar.set_postfix_str(message[:60], refresh=True)

    return bar, progress


def _output_folder(path: Path, flag: str, *, create: bool = True) -> Path:
    """``path`` as a folder to write into (created when missing), or a sentence saying why not."""
    if path.exists() and not path.is_dir():
        raise CIMedicError(
            f"{flag} {path} is a file, but it must be a folder to write into: give a folder "
            "path (it is created when missing)."
        )
    if not create:
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = file_above(path)
        why = f"{blocker} is a file, not a folder" if blocker else exc.strerror or str(exc)
        raise CIMedicError(
            f"Cannot create the folder {flag} {path} ({why}): choose a folder you can write to."
        ) from exc
    return path


def _cmd_demo(args: argparse.Namespace, _settings: Settings) -> int:
    from core.sandbox.demo.generator import generate_demo

    _output_folder(args.out, "OUT", create=False)  # the generator creates it
    path = generate_demo(args.out, seed=args.seed)
    print(f"Demo dump written to {path}")
    return 0


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from core.dump.importer import import_path

    store = Store(settings.db_path)
    bar, progress = _bar("import")
    with bar:
        report = import_path(store, args.dump, progress, max_log_bytes=settings.max_log_bytes)
    print(report.sentence())
    return 0


def _cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from agents.pipeline_monitor.agent import sync_repository
    from core.github.repo_names import parse_repo
    from core.github.source import GitHubSource

    repo = parse_repo(args.repo)
    if args.days > MAX_HISTORY_DAYS:
        raise ConfigError(
            f"--days {args.days:,} reaches back further than any Actions history: give at most "
            f"{MAX_HISTORY_DAYS:,} days (ten years)."
        )
    if args.base_url is not None:
        settings = settings.with_(github_base_url=args.base_url)
    if args.budget is not None:
        settings = settings.with_(request_budget=args.budget)
    store = Store(settings.db_path)
    bar, progress = _bar(f"sync {repo}")
    with bar:
        source = GitHubSource(settings, on_wait=lambda _left, msg: progress(bar.n / 100, msg))
        report = sync_repository(
            store, source, repo, progress, history=timedelta(days=args.days), full=args.full
        )
    print(report.sentence())
    return 0


def _when(value: object) -> str:
    """A stored ISO time as ``2026-05-01 12:00 UTC`` (``never`` when missing)."""
    if value is None or pd.isna(value) or value == "":
        return "never"
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def status_text(status: pd.DataFrame) -> str:
    """``ci-medic status`` as lines a person reads: one block per repository, counted as
    ``import`` reports them (runs and earlier attempts apart, distinct commits)."""
    blocks = []
    for row in status.itertuples():
        attempts = (
            f" (and {row.earlier_attempts:,} earlier attempts)" if row.earlier_attempts else ""
        )
        state = row.sync_status if isinstance(row.sync_status, str) else ""
        lines = [
            str(row.repository),
            f"  runs         {row.runs:,}{attempts}",
            f"  jobs         {row.jobs:,}",
            f"  commits      {row.commits:,} distinct",
            f"  logs         {row.logs:,}",
            f"  newest run   {_when(row.newest_run)}",
            f"  last sync    {_when(row.last_sync)}"
            + (f" ({state})" if state and state != "ok" else ""),
        ]
        if isinstance(row.sync_message, str) and row.sync_message and state != "ok":
            lines.append(f"  sync said    {row.sync_message}")
        blocks.append("\n".join(lines))
    pending = int(status["outbox_pending"].iloc[0]) if len(status) else 0
    blocks.append(f"Outbox: {pending:,} message(s) waiting for the publishing worker.")
    return "\n\n".join(blocks)


def _cmd_status(_args: argparse.Namespace, settings: Settings) -> int:
    from core.store.status import store_status

    path = Path(settings.db_path).expanduser()
    if not path.exists():  # a read-only command never creates a store
        print(
            f"There is no store at {path} yet: `ci-medic --db {path} import DUMP` or "
            f"`ci-medic --db {path} sync owner/name` creates and fills it."
        )
        return 0
    status = store_status(Store(path))
    if status.empty:
        print(
            f"The store at {path} holds no repository yet: "
            "`ci-medic import DUMP` or `ci-medic sync owner/name` fills it."
        )
    else:
        print(status_text(status))
    return 0


def _cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from agents.registry import all_agents
    from agents.runner import run_agent, write_findings_csv
    from core.github.repo_names import parse_repo

    path = Path(settings.db_path).expanduser()
    if not path.exists():  # analysing never creates a store
        raise CIMedicError(
            f"There is no store at {path} yet, so there is nothing to analyze: import or sync "
            f"one first (`ci-medic --db {path} import DUMP` or `ci-medic --db {path} sync "
            "owner/name`)."
        )
    store = Store(path)
    repos = store.repositories()["full_name"].tolist()
    repo = parse_repo(args.repo) if args.repo else (repos[0] if len(repos) == 1 else None)
    if repo is None:
        raise CIMedicError(
            f"The store holds {len(repos)} repositories; choose one with --repo "
            f"({', '.join(repos) or 'import or sync one first'})."
        )
    known = {name.lower(): name for name in repos}
    if repo.lower() not in known:
        raise CIMedicError(
            f"The store at {path} holds no repository {repo} "
            f"({'it holds ' + ', '.join(repos) if repos else 'it holds none yet'}): import or "
            f"sync it first (`ci-medic --db {path} sync {repo}`), or choose one it holds with "
            "--repo."
        )
    repo = known[repo.lower()]  # as the store spells it
    out = _output_folder(args.out, "--out")
    previous = _committed_quarantine(out / QUARANTINE_FILE, repo)
    for agent in all_agents():
        if agent.needs_source:
            print(f"{agent.title}: skipped (collection needs a GitHub source; use `sync`).")
            continue
        _, progress = _bar(agent.title)
        options = {"quarantine": previous} if agent.name == "flaky_tests" and previous else {}
        result = run_agent(agent, AgentContext(store, settings, repo, progress, options=options))
        written = _written(
            out / agent.csv_name, partial(write_findings_csv, result, out, agent.csv_name)
        )
        print(f"{agent.title}: {result.summary} -> {written}")
        if agent.name == "flaky_tests":
            _write_quarantine(store, repo, out / QUARANTINE_FILE)
    return 0


def _written(path: Path, write: Callable[[], Path]) -> Path:
    """``write()``, an OS error on ``path`` as a sentence."""
    try:
        return write()
    except OSError as exc:
        raise CIMedicError(
            f"Cannot write {path} ({exc.strerror or exc}): choose an --out folder you can write to."
        ) from exc


def _committed_quarantine(path: Path, repo: str) -> dict | None:
    """The quarantine list already in the --out folder (the one a user committed), which
    ``analyze`` continues: its entries keep their created dates. None when there is none; a
    file that is no list of this repository is a sentence, never overwritten."""
    from agents.flaky_tests.quarantine import QuarantineError, parse_quarantine

    if not path.is_file():
        return None
    try:
        document = parse_quarantine(path.read_text(encoding="utf-8"), str(path))
    except (QuarantineError, UnicodeDecodeError) as exc:
        raise CIMedicError(
            f"{exc} Fix it or move it away: `analyze` continues the quarantine list it finds "
            "in --out."
        ) from exc
    if str(document["repository"]).lower() != repo.lower():
        raise CIMedicError(
            f"{path} is the quarantine list of {document['repository']}, not of {repo}: "
            "choose another --out folder for this repository."
        )
    return document


def _write_quarantine(store: Store, repo: str, path: Path) -> None:
    from agents.flaky_tests.view import quarantine_json

    text = quarantine_json(store, repo)
    if text is None:  # nothing judged: no list was made
        return
    _written(path, partial(_write_text, path, text))
    document = json.loads(text)
    print(
        f"Quarantine list: {len(document['quarantined']):,} quarantined, "
        f"{len(document['released']):,} released -> {path}"
    )


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _file_arguments(rest: Sequence[str]) -> list[tuple[int, str, bool]]:
    """(index in ``rest``, path, is the previous green log) of every file ``rca`` will read."""
    found, index = [], 0
    while index < len(rest):
        item = rest[index]
        if item == "--previous-green" and index + 1 < len(rest):
            found.append((index + 1, rest[index + 1], True))
            index += 2
            continue
        if item.startswith("--previous-green="):
            found.append((index, item.partition("=")[2], True))
        elif not item.startswith("-"):
            found.append((index, item, False))
        index += 1
    return found


def _cmd_rca(args: argparse.Namespace, settings: Settings) -> int:
    """``rca``: files that are not logs (an archive, an executable) are refused with a sentence
    instead of being read as text; the other logs are analysed as usual, each read as the Log
    Ingester keeps a log (:func:`core.logs.bounded.read_head_and_tail`): at most
    ``max_log_bytes`` of it, its head and tail, however far a ``.gz`` expands."""
    from core.logs.sniff import not_a_log

    refused: set[int] = set()
    for index, path, green in _file_arguments(args.rest):
        try:
            kind = not_a_log(path)
        except OSError:
            continue  # missing or unreadable: rca says so in its own words
        if kind is None:
            continue
        print(f"error: {path} looks like {kind}, not a log.", file=sys.stderr)
        if green:
            return 1
        refused.add(index)
    if not refused:
        return _rca(args.rest, settings.max_log_bytes)
    rest = [item for index, item in enumerate(args.rest) if index not in refused]
    if not any(not green for index, _, green in _file_arguments(rest)):
        return 1  # nothing left to analyse
    return max(1, _rca(rest, settings.max_log_bytes))


def _rca_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ci-medic rca", description="Root-cause analysis of failed CI job logs."
    )
    parser.add_argument("logs", nargs="+", metavar="LOGFILE", help="plain or .gz log files")
    parser.add_argument(
        "--previous-green", metavar="LOGFILE", help="log of the last successful run"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per file and line")
    return parser


def _rca(argv: Sequence[str], max_bytes: int) -> int:
    """Root causes of log files, read with a bound: a log is decompressed
    as a stream and only its head and tail within ``max_bytes`` are analysed (a note on stderr
    says so); a damaged or truncated gzip is a sentence, not a traceback. The options may come
    anywhere among the logs (``rca --json a.log``, ``rca a.log --json b.log``)."""
    from agents.root_cause.analysis import analyse_log

    args = _rca_parser().parse_intermixed_args(argv)
    green = None
    if args.previous_green:
        try:
            green = _read_log(args.previous_green, max_bytes)
        except OSError as error:
            print(
                f"Cannot read the previous green log {args.previous_green}: {error.strerror}.",
                file=sys.stderr,
            )
            return 2
        except CIMedicError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    status = 0
    for path in args.logs:
        try:
            result = analyse_log(_read_log(path, max_bytes), previous_green=green)
        except OSError as error:
            print(f"Cannot read {path}: {error.strerror or error}.", file=sys.stderr)
            status = 1
            continue
        except CIMedicError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps(result.to_json(path), ensure_ascii=False), flush=True)
        else:
            _print_readable(path, result)
    return status


def _print_readable(path: str, result: RootCause) -> None:
    ranges = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in result.lines) or "-"
    kind = "transient" if result.transient else "deterministic"
    print(
        f"{path}\n  {result.category} ({result.confidence:.2f}, {kind})  lines {ranges}  "
        f"fingerprint {result.fingerprint}\n  {result.summary}\n  next: {result.suggestion}\n"
    )


def _read_log(path: str, max_bytes: int) -> str:
    """A plain or gzip log as text numbered like the file, at most ``max_bytes`` of it (its head
    and tail); a note on stderr says when the middle was left out."""
    from core.logs.bounded import cut_note, kept_text, read_head_and_tail

    kept = read_head_and_tail(path, max_bytes)
    text, offset = kept_text(kept)
    note = cut_note(path, kept, max_bytes, offset)
    if note:
        print(f"note: {note}", file=sys.stderr)
    return text


def _cmd_anomalies(args: argparse.Namespace, _settings: Settings) -> int:
    """``anomalies``: the streaming series detector over a CSV file. A file that is no series
    (missing, a folder, empty, no such column, text where numbers belong) is exit 2 with one
    sentence, like a bad argument."""
    from agents.anomaly_detection.csv_input import SeriesInputError, read_series
    from agents.anomaly_detection.seasonal import detect_seasonal
    from agents.anomaly_detection.series import DetectorConfig

    try:
        series = read_series(args.file, args.time_col, args.value_col)
    except SeriesInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if series.skipped:
        print(
            f"note: skipped {series.skipped:,} row(s) whose value is blank, NaN or infinite.",
            file=sys.stderr,
        )
    flags = detect_seasonal(
        series.values, series.timestamps, DetectorConfig(sensitivity=args.sensitivity)
    )
    if args.json:
        for flag in flags:
            row = {
                "timestamp": series.timestamps[flag.index],
                "value": flag.value,
                "score": flag.score,
                "expected_low": flag.expected_low,
                "expected_high": flag.expected_high,
                "kind": flag.kind,
            }
            print(json.dumps(row, ensure_ascii=False, allow_nan=False))
        return 0
    count = len(series.values) - series.skipped
    points = f"{count:,} point{'' if count == 1 else 's'}"
    if not flags:
        print(f"No anomaly in the {points} of {args.file}.")
        return 0
    found = f"{len(flags)} anomal{'y' if len(flags) == 1 else 'ies'}"
    print(f"{found} in the {points} of {args.file}:")
    print(anomalies_table([series.timestamps[flag.index] for flag in flags], flags))
    return 0


def anomalies_table(timestamps: Sequence[str], flags: Sequence[Flag]) -> str:
    """The flags as aligned columns a person reads (``--json`` is for programs)."""
    rows = [("timestamp", "kind", "value", "expected", "score")]
    rows += [
        (
            stamp,
            flag.kind,
            f"{flag.value:.6g}",
            f"{flag.expected_low:.4g} .. {flag.expected_high:.4g}",
            f"{flag.score:+.1f}",
        )
        for stamp, flag in zip(timestamps, flags, strict=True)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


COMMANDS = {
    "demo": _cmd_demo,
    "import": _cmd_import,
    "sync": _cmd_sync,
    "status": _cmd_status,
    "analyze": _cmd_analyze,
    "rca": _cmd_rca,
    "anomalies": _cmd_anomalies,
    "flaky": lambda args, _settings: run_flaky(args),
}


def unexpected_error(exc: BaseException) -> str:
    """One line for an error no code of ours turned into a sentence (a bug): never a
    traceback, which ``CI_MEDIC_DEBUG=1`` shows instead."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= 300 else text[:299] + "…"
    return (
        f"Unexpected error ({type(exc).__name__}: {text or 'no message'}). This is a bug in "
        "CI Medic: run the command again with CI_MEDIC_DEBUG=1 to see where it happened, and "
        "report it."
    )


def given_paths(args: argparse.Namespace) -> dict[str, str]:
    """Each path the user typed -> the option it was given with (``--db``, ``OUT``)."""
    given = {str(args.db): "--db"} if getattr(args, "db", None) else {}
    for name, option in _PATH_ARGUMENTS.get(args.command, {}).items():
        value = getattr(args, name, None)
        if value is not None:
            given.setdefault(str(value), option)
    return given


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = _settings(args)
        return COMMANDS[args.command](args, settings)
    except CIMedicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        kept = (
            "nothing was imported: the store is as it was"
            if args.command == "import"
            else "everything saved so far is kept"
        )
        print(f"interrupted: {kept}; run the command again to resume.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last guard: a line, never a traceback
        where = settings.db_path if settings else "the store"
        translated = None
        if isinstance(exc, sqlite3.Error):
            translated = store_error(where, exc)
        elif isinstance(exc, OSError):  # a path the file system refused: the user can fix it
            translated = path_error(exc, given_paths(args))
        if translated is not None:
            print(f"error: {translated}", file=sys.stderr)
            return 1
        if os.environ.get("CI_MEDIC_DEBUG", "").strip() not in {"", "0"}:
            raise
        print(unexpected_error(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
