"""How CI Medic scales with history: the demo's first start and every page at growing sizes.

    python bench/scale_bench.py [--factors 1,5,20,45] [--keep DIR [--reuse]]
    python bench/scale_bench.py --again DIR/x45    # on a kept home: agents again, pages

For each factor the demo generator writes a 90-day history of about ``factor`` x 2,200 runs
(45x is 100k runs), and the app's own first start runs on it exactly as on a user's machine
(:func:`agents.background.prepare_demo`: sync through the local emulator and PyGithub, logs,
test reports, every Layer-2 agent), then every page's first render is timed under Streamlit's
AppTest. Each factor runs in a fresh Python process, so its peak RSS is its own.

Measured per stage (generation, opening the workspace, every first-start task, each page's
first render): CPU seconds and wall seconds. The growth exponents (time ~ runs^k between the
smallest and the largest factor: 1 is linear) are computed from CPU seconds, because on a
shared machine a stage can take 3-4x more wall than CPU and the wall exponents then measure the
neighbours. A stage's CPU is the app process's (``time.process_time``: every thread of it,
e.g. the log ingester's downloads) plus its child processes': the demo's emulator runs in a
child of its own for the whole first start, so its CPU is read from ``/proc/<pid>/stat``
while it lives (children that ended count through ``RUSAGE_CHILDREN``); the table shows the
child's share separately. Also printed: peak RSS (the app's, the emulator's ``VmHWM``, the
generator's: it runs in a process of its own, as the app never generates a large demo),
bytes written (``/proc/self/io``'s ``write_bytes``, the app's every thread; the emulator
child writes nothing to the store) per stage and for the whole first start, the part of them that
never reached the disk (``cancelled_write_bytes``: SQLite's temporary sort files, deleted
first), and the store's growth per stage (``page_count x page_size``) and in all (file sizes
after a final checkpoint, itself a stage: what the WAL still held).
Every MB is 10^6 bytes, RSS included (``ru_maxrss`` and ``VmHWM`` are KiB: until
2026-12-07 the RSS columns were MiB under the name MB, 4.9% lower than the target's 2 GB
reads). Each stage is printed as it finishes, so a large factor that cannot finish still reports.

Targets (issue 17): pages <= 2 s, log fetch + analysis <= 10 minutes, every Layer-2 agent
<= 60 s, peak RSS <= 2 GB, bytes written <= 3x the store's growth, exponents <= 1.1. It
measures; it does not assert. With ``--keep DIR --reuse`` a factor whose home already holds a
finished measurement is not run again (a 20x run can come before the 5x one; one table at the
end).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from core.workspace import Workspace

BASE_RUNS = 2200
DAYS = 90
LANDING = "pages/overview.py"
PAGES = (
    "pages/overview.py",
    "pages/layer1_collection.py",
    "pages/layer2_intelligence.py",
    "pages/queues.py",
)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _io(field: str = "write_bytes") -> int:
    """One counter of ``/proc/self/io``: ``write_bytes`` (the pages this process dirtied in
    files, every thread of it) or ``cancelled_write_bytes`` (of those, the ones that never
    reached the disk: the file was deleted or cut first, as SQLite's temporary sort files are)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value)
    return 0


def reference_cpu_s() -> float:
    """CPU seconds of a fixed workload much like the app's own (Python objects, JSON, SQLite
    inserts and an ordered read, a numpy sort). Tables from different machines are compared
    through it: the same code ran ~3x slower, in every stage alike, on 2026-12-05's machine
    (this workload 6.1 s, the 1x generation 17.8 s) than on 2026-12-04's (the generation
    5.8 s). The exponents within one table do not depend on it."""
    import sqlite3

    import numpy as np

    start = time.process_time()
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    rows = ((i, json.dumps({"i": i, "s": f"{i * 7919 % 100003:x}" * 3})) for i in range(300_000))
    conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
    total = sum(len(json.loads(v)["s"]) for (v,) in conn.execute("SELECT v FROM t ORDER BY v"))
    conn.close()
    np.sort(np.random.default_rng(total).random(5_000_000))
    return time.process_time() - start


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


def _pages_bytes(db: Path) -> int:
    """The store's logical size (page_count x page_size, WAL frames included), read through a
    connection of its own: what a stage grew the database by, whatever the files' sizes (a WAL
    file keeps its size after a checkpoint until it is truncated)."""
    import sqlite3

    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        count = conn.execute("PRAGMA page_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return int(count) * int(size)


def _live_children() -> list[tuple[int, float]]:
    """(pid, CPU seconds) of this process's running children, the emulator among them.

    Why /proc: RUSAGE_CHILDREN counts only children that ended and were waited for, and the
    emulator lives for the whole first start. A child's own children that ended count too
    (cutime/cstime)."""
    me, found = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked: RUSAGE_CHILDREN has it once waited for
            continue
        if int(fields[1]) == me:
            ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
            found.append((int(stat.parent.name), ticks / CLOCK_TICKS))
    return found


def _cpu() -> tuple[float, float]:
    """(this process's CPU seconds, its children's): every thread of the app, and the emulator.

    A child that ends between two readings moves from /proc to RUSAGE_CHILDREN with its
    whole total, so differences of this sum stay right."""
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = ended.ru_utime + ended.ru_stime + sum(cpu for _, cpu in _live_children())
    return time.process_time(), children


class Stopwatch:
    """CPU (app + children), wall seconds and bytes the app wrote (``/proc/self/io``: every
    thread of it; the emulator child writes nothing to the store) during one stage; with
    ``db``, also how much the stage grew the store (:func:`_pages_bytes`)."""

    def __init__(self, db: Path | None = None) -> None:
        self.db = db
        self.written_mb = self.cancelled_mb = self.grown_mb = 0.0

    def __enter__(self) -> Stopwatch:
        self.pages0 = _pages_bytes(self.db) if self.db else 0
        self.written0, self.cancelled0 = _io("write_bytes"), _io("cancelled_write_bytes")
        self.own0, self.child0 = _cpu()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        own, child = _cpu()
        self.wall = time.perf_counter() - self.wall0
        self.written_mb = (_io("write_bytes") - self.written0) / 1e6
        self.cancelled_mb = (_io("cancelled_write_bytes") - self.cancelled0) / 1e6
        self.child = child - self.child0
        self.cpu = own - self.own0 + self.child
        self.peak_mb = _peak_rss_mb()
        if self.db:
            self.grown_mb = (_pages_bytes(self.db) - self.pages0) / 1e6

    def record(self) -> dict[str, float]:
        return {
            "cpu": self.cpu,
            "child": self.child,
            "wall": self.wall,
            "peak_mb": self.peak_mb,
            "written_mb": self.written_mb,
            "cancelled_mb": self.cancelled_mb,
            "grown_mb": self.grown_mb,
        }


def _peak_rss_mb() -> float:
    """The app process's peak RSS so far: read after every stage, it says which one set it."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _emulator_peak_mb() -> float:
    """The emulator child's peak RSS (VmHWM), read while it still runs."""
    peak = 0.0
    for pid, _ in _live_children():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"core.sandbox.emulator.server" not in command:
            print(f"  (another child process: {command.decode()[:120]})", flush=True)
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) * 1024 / 1e6)
    return peak


def _say(factor: float, label: str, stage: dict[str, float], note: str = "") -> None:
    print(
        f"  {factor:g}x {label}: CPU {stage['cpu']:.1f} s (emulator child {stage['child']:.1f}),"
        f" wall {stage['wall']:.1f} s, peak RSS so far {stage['peak_mb']:,.0f} MB,"
        f" written {stage.get('written_mb', 0):,.1f} MB (never reached the disk:"
        f" {stage.get('cancelled_mb', 0):,.1f}), store grew"
        f" {stage.get('grown_mb', 0):,.1f} MB{note}",
        flush=True,
    )


def _demo_environment(home: Path) -> None:
    """This process as the app on the demo in ``home``: no token, no store path of its own."""
    os.environ["CI_MEDIC_HOME"] = str(home)
    for name in ("GITHUB_TOKEN", "CI_MEDIC_GITHUB_TOKEN", "CI_MEDIC_DB_PATH"):
        os.environ.pop(name, None)
    # The pages would start the embedded publishing worker: a thread of this process draining
    # the whole outbox (and a local SQS server process) while the renders are timed, its CPU
    # counted as theirs. Publishing is measured by worker_bench.py.
    os.environ["CI_MEDIC_WORKER_EMBEDDED"] = "false"


def one_factor(factor: float, home: Path) -> dict:
    """Generate, first-start and render at one size; returns the measurements.

    Written to ``home/result.json`` after every stage (``complete`` once all are), so a factor
    killed half-way still leaves the stages it finished."""
    from core.sandbox.local import DEMO_FORMAT

    _demo_environment(home)
    target = round(BASE_RUNS * factor)
    out: dict = {"factor": factor, "complete": False, "runs": target, "jobs": 0, "stages": {}}
    out["failed"], out["pages"] = [], {}
    out["reference_cpu_s"] = reference_cpu_s()
    print(f"  {factor:g}x reference workload: CPU {out['reference_cpu_s']:.2f} s", flush=True)

    def stage(label: str, watch: Stopwatch, note: str = "") -> None:
        out["stages"][label] = watch.record()
        _say(factor, label, out["stages"][label], note)
        (home / "result.json").write_text(json.dumps(out))

    folder = home / f"demo-dump-v{DEMO_FORMAT}-seed7"
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    # The generator runs in a process of its own (its CPU counts as a child's): the app never
    # generates more than the 1x demo, so a 45x generation's memory (~2.5 GB, every simulated
    # run held until truth.json is written) is no part of the app's peak; it is printed apart.
    command = [sys.executable, "-m", "core.sandbox.demo.generator", str(folder), "--seed", "7"]
    command += ["--days", str(DAYS), "--runs", str(target), "--end", end.isoformat()]
    with Stopwatch() as watch:
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        (folder / ".complete").write_text("ok\n")
    stage("generate", watch)
    out["generator_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6

    from agents.background import TaskRunner, prepare_demo
    from core.store import tasks as task_store
    from core.workspace import open_workspace

    written, cancelled = _io("write_bytes"), _io("cancelled_write_bytes")
    with Stopwatch() as watch:  # starts the emulator child, which loads the dump
        runner = TaskRunner(open_workspace(dict(os.environ), {}))
    stage("open workspace (emulator start)", watch)
    store = runner.workspace.store
    db = Path(runner.workspace.settings.db_path)
    before = _size(db)
    queued = prepare_demo(runner.workspace, runner)
    spent: dict[int, dict[str, float]] = {}
    summed = ("cpu", "child", "wall", "written_mb", "cancelled_mb", "grown_mb")
    while True:
        with Stopwatch(db) as watch:
            ran = runner.run_next()
        if not ran:
            break
        tasks = [t for t in (task_store.task(store, q.id) for q in queued) if t is not None]
        task = max(tasks, key=lambda t: t.started_at or 0.0)  # the one just claimed
        total = spent.setdefault(task.id, dict.fromkeys(summed, 0.0))
        for key in summed:
            total[key] += getattr(watch, key)
        total["peak_mb"] = watch.peak_mb
        if task.active:  # deferred to a rate-limit reset: it runs again
            continue
        label = (
            task.agent if task.agent != "log_ingester" else f"log_ingester {task.action.lower()}"
        )
        if task.agent == "pipeline_monitor":
            out["runs"] = int(store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1") or 0)
            out["jobs"] = int(store.scalar("SELECT COUNT(*) FROM jobs") or 0)
        out["stages"][label] = total
        if task.state != "done":
            out["failed"].append(label)
        note = "" if task.state == "done" else f" -- {task.state.upper()}: {task.error}"
        _say(factor, label, total, note)
        (home / "result.json").write_text(json.dumps(out))
    with Stopwatch(db) as watch:  # what is left in the WAL, written into the database file
        store.query("PRAGMA wal_checkpoint(TRUNCATE)")
    stage("final checkpoint", watch)
    out["written_mb"] = (_io("write_bytes") - written) / 1e6
    out["cancelled_mb"] = (_io("cancelled_write_bytes") - cancelled) / 1e6
    out["store_mb"] = (_size(db) - before) / 1e6
    for page in PAGES:
        out["pages"][page], error = first_render(page)
        if error:
            out["failed"].append(page)
        _say(factor, f"first render {Path(page).stem}", out["pages"][page], error)
    out["peak_rss_mb"] = _peak_rss_mb()
    out["emulator_rss_mb"] = _emulator_peak_mb()
    out["complete"] = True
    (home / "result.json").write_text(json.dumps(out))
    return out


LAYER2 = (
    "root_cause",
    "feature_engineering",
    "anomaly_detection",
    "flaky_tests",
    "flaky_jobs",
    "failure_prediction",
)


def again(home: Path) -> None:
    """On a kept home, each Layer-2 agent run once more and each page's first render, every
    one in a fresh process: its own CPU and peak RSS, not the first start's whole process.
    An agent's second run is what a click on its button costs on that history (root cause
    analysis reads only failures that are new; the others recompute or check what is)."""
    print(f"again on {home}: reference workload CPU {reference_cpu_s():.2f} s", flush=True)
    for kind, names in (("--agent", LAYER2), ("--page", PAGES)):
        for name in names:
            command = [sys.executable, __file__, kind, name, "--home", str(home)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                print(
                    f"  {name}: failed (exit {done.returncode}): {done.stderr[-600:]}", flush=True
                )
                continue
            print(f"  {lines[-1]}", flush=True)


def _open_home(home: Path) -> Workspace:
    """The kept home's demo workspace, as the app opens it (its emulator started)."""
    _demo_environment(home)
    from core.workspace import open_workspace

    return open_workspace(dict(os.environ), {})


def one_agent(name: str, home: Path) -> None:
    """One agent's run on ``home``'s store, in this fresh process: its CPU, wall and the
    process's peak RSS (workspace opened first, outside the timing)."""
    from agents.base import AgentContext
    from agents.registry import get_agent
    from agents.runner import run_agent

    workspace = _open_home(home)
    with Stopwatch() as watch:
        result = run_agent(
            get_agent(name), AgentContext(workspace.store, workspace.settings, workspace.repo)
        )
    print(
        f"{name}: CPU {watch.cpu:.1f} s, wall {watch.wall:.1f} s, peak RSS {_peak_rss_mb():,.0f} MB"
        f" -- {result.summary[:100]}",
        flush=True,
    )


def one_page(page: str, home: Path) -> None:
    """One page's first render on ``home``, in this fresh process (:func:`first_render`), the
    libraries and the agents imported first, as they are when the first start renders."""
    import importlib

    _open_home(home)
    for module in ("plotly.express", "plotly.graph_objects", "agents.registry", "pages._shell"):
        importlib.import_module(module)
    measured, error = first_render(page)
    print(
        f"first render {Path(page).stem}: CPU {measured['cpu']:.2f} s,"
        f" wall {measured['wall']:.2f} s, peak RSS {_peak_rss_mb():,.0f} MB{error}",
        flush=True,
    )


def first_render(page: str) -> tuple[dict[str, float], str]:
    """One page's first render in a new AppTest session (its caches cold): its CPU and wall
    seconds, and '' or the exception it raised.

    The Overview is the landing page: its first render is the session's first run (timing a
    switch to it after that run would find its caches filled); another page's is the switch
    to it after the landing run."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if page == LANDING:
        with Stopwatch() as watch:
            app.run()
    else:
        app.run()  # the landing page (the Overview) and the sidebar
        with Stopwatch() as watch:
            app.switch_page(page).run()
    if not app.exception:
        return watch.record(), ""
    first = app.exception[0]
    return watch.record(), f" -- RAISED: {first.message}\n" + "\n".join(first.stack_trace)


def exponent(small: dict, large: dict, value: float, other: float) -> float:
    """k in time ~ runs^k between two factors."""
    if not (value > 0 and other > 0) or large["runs"] <= small["runs"]:
        return float("nan")
    return math.log(other / value) / math.log(large["runs"] / small["runs"])


def _value(result: dict, group: str, label: str, key: str) -> float:
    """One measurement; NaN where the stage failed or never ran (a factor cut short)."""
    if label in result["failed"] or key not in result[group].get(label, {}):
        return float("nan")
    return float(result[group][label][key])


# First-start stages that are no part of the "log fetch + analysis" sum.
NOT_ANALYSIS = (
    "generate",
    "open workspace (emulator start)",
    "pipeline_monitor",
    "final checkpoint",
)


def report(results: list[dict]) -> None:
    stages = list(dict.fromkeys(s for r in results for s in r["stages"]))
    heads = "".join(f"{r['factor']:>9g}x{'' if r['complete'] else '*'}" for r in results)
    print("\n" + f"{'':34}" + heads + "   exponent")
    small, large = results[0], results[-1]

    def row(label: str, values: list[float], unit: str) -> None:
        cells = "".join(
            f"{v:>9.1f}{unit}" + ("" if r["complete"] else " ")
            for v, r in zip(values, results, strict=True)
        )
        k = exponent(small, large, values[0], values[-1]) if len(values) > 1 else float("nan")
        print(f"{label:34}{cells}   {k:5.2f}")

    def section(title: str, key: str, unit: str = "s", only_nonzero: bool = False) -> None:
        print(title)
        for stage in stages:
            values = [_value(r, "stages", stage, key) for r in results]
            if not only_nonzero or any(v > 0.05 for v in values):
                row(stage, values, unit)
        for page in PAGES:
            values = [_value(r, "pages", page, key) for r in results]
            if not only_nonzero or any(v > 0.05 for v in values):
                row(f"first render {Path(page).stem}", values, unit)

    def total(key: str) -> list[float]:
        return [float(r[key]) if key in r else float("nan") for r in results]

    row("runs", [r["runs"] for r in results], " ")
    row("reference workload (CPU s)", total("reference_cpu_s"), " ")
    row("jobs", [r["jobs"] for r in results], " ")
    section("CPU seconds (the app process + its emulator child; the exponents to read):", "cpu")
    section(
        "  of which child processes (CPU s: the generator, then the emulator):",
        "child",
        only_nonzero=True,
    )
    section("wall seconds (a shared machine: slowed by its neighbours):", "wall")
    # the "log fetch + analysis": every first-start task after the sync, one after
    # the other as the app runs them (compare factors and days by the reference workload)
    analysis = [s for s in stages if s not in NOT_ANALYSIS]
    for key, label in (("wall", "log fetch + analysis (wall s)"), ("cpu", "  its CPU s")):
        row(label, [sum(_value(r, "stages", s, key) for s in analysis) for r in results], "s")
    section("the app's peak RSS after the stage (MB):", "peak_mb", " ")
    section("written by the stage (MB, /proc/self/io):", "written_mb", " ", only_nonzero=True)
    section(
        "  of which never reached the disk (MB: temporary files deleted first):",
        "cancelled_mb",
        " ",
        only_nonzero=True,
    )
    section("the store grew by (MB, page_count x page_size):", "grown_mb", " ", only_nonzero=True)
    row("peak RSS, app (MB)", total("peak_rss_mb"), " ")
    row("peak RSS, emulator child (MB)", total("emulator_rss_mb"), " ")
    row("peak RSS, generator process (MB)", total("generator_rss_mb"), " ")
    row("written (MB)", total("written_mb"), " ")
    row("  of which never reached the disk", total("cancelled_mb"), " ")
    row("store growth (MB)", total("store_mb"), " ")
    ratio = [
        r["written_mb"] / r["store_mb"] if r.get("store_mb") else float("nan") for r in results
    ]
    row("written / store growth", ratio, " ")
    net = [
        (r["written_mb"] - r.get("cancelled_mb", 0.0)) / r["store_mb"]
        if r.get("store_mb")
        else float("nan")
        for r in results
    ]
    row("  less what never reached the disk", net, " ")
    if not all(r["complete"] for r in results):
        print("* cut short: only the stages it finished")


def _saved(home: Path) -> dict | None:
    """A factor's measurement as its child left it (None if it never got as far as one)."""
    try:
        return json.loads((home / "result.json").read_text())
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,5,20,45")
    parser.add_argument("--keep", type=Path, default=None, help="keep the homes here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: a factor whose home holds a finished measurement is not run again",
    )
    parser.add_argument(
        "--again",
        type=Path,
        default=None,
        help="a kept home (e.g. DIR/x45): each agent's second run and each page's first render, "
        "each in a fresh process",
    )
    parser.add_argument("--agent", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--page", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:  # the child process of one factor
        one_factor(args.one, args.home)
        return
    if args.agent:  # the child processes of --again
        one_agent(args.agent, args.home)
        return
    if args.page:
        one_page(args.page, args.home)
        return
    if args.again is not None:
        again(args.again)
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="ci-medic-scale-"))
    results = []
    for factor in [float(f) for f in args.factors.split(",") if f.strip()]:
        home = base / f"x{factor:g}"
        saved = _saved(home) if args.reuse and args.keep else None
        if saved and saved["complete"]:
            results.append(saved)
            print(f"{factor:g}x: {saved['runs']:,} runs, measured before ({home})", flush=True)
            continue
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        print(f"{factor:g}x: about {round(BASE_RUNS * factor):,} runs", flush=True)
        began = time.perf_counter()
        with open(home / "stderr.log", "w") as errors:  # the stages print as they finish
            child = subprocess.run(
                [sys.executable, __file__, "--one", str(factor), "--home", str(home)],
                stderr=errors,
                check=False,
            )
        result = _saved(home)
        if child.returncode != 0 or not (result and result["complete"]):
            tail = (home / "stderr.log").read_text(errors="replace")[-3000:]
            print(f"{factor:g}x failed (exit status {child.returncode}):\n{tail}", flush=True)
            if result:
                results.append(result)
            break
        results.append(result)
        print(
            f"{factor:g}x: {result['runs']:,} runs, {result['jobs']:,} jobs, "
            f"{time.perf_counter() - began:.0f} s in all",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    if results:
        report(results)


if __name__ == "__main__":
    main()
