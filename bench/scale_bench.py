"""How CI Medic scales with history: the demo's first start and every page at growing sizes.

    python bench/scale_bench.py [--factors 1,5,20,45] [--keep DIR]

For each factor the demo generator writes a 90-day history of about ``factor`` x 2,200 runs
(45x is 100k runs), and the app's own first start runs on it exactly as on a user's machine
(:func:`agents.background.prepare_demo`: sync through the local emulator and PyGithub, logs,
test reports, every Layer-2 agent), then every page's first render is timed under Streamlit's
AppTest. Each factor runs in a fresh Python process, so its peak RSS is its own.

Printed per factor: the time of every stage (from the task records), peak RSS, bytes written
to disk (``/proc/self/io``, the whole first start), the store's size, and each page's first
render; then the growth exponent of every stage between the smallest and the largest factor
(time ~ runs^k: 1 is linear). Targets (issue 17): pages <= 2 s, log fetch + analysis <= 10
minutes, every Layer-2 agent <= 60 s, peak RSS <= 2 GB, bytes written <= 3x the store's
growth, exponents <= 1.1. It measures; it does not assert.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASE_RUNS = 2200
DAYS = 90
LANDING = "pages/overview.py"
PAGES = (
    "pages/overview.py",
    "pages/layer1_collection.py",
    "pages/layer2_intelligence.py",
    "pages/queues.py",
)


def _written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes"):
            return int(line.split()[1])
    return 0


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


def one_factor(factor: float, home: Path) -> dict:
    """Generate, first-start and render at one size; returns the measurements."""
    from core.sandbox.demo.generator import generate_demo
    from core.sandbox.local import DEMO_FORMAT

    os.environ["CI_MEDIC_HOME"] = str(home)
    for name in ("GITHUB_TOKEN", "CI_MEDIC_GITHUB_TOKEN", "CI_MEDIC_DB_PATH"):
        os.environ.pop(name, None)
    folder = home / f"demo-dump-v{DEMO_FORMAT}-seed7"
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    began = time.perf_counter()
    generate_demo(folder, seed=7, end=end, runs_target=round(BASE_RUNS * factor), days=DAYS)
    (folder / ".complete").write_text("ok\n")
    out: dict = {"factor": factor, "stages": {"generate": time.perf_counter() - began}}

    from agents.background import TaskRunner, prepare_demo
    from core.workspace import open_workspace

    written = _written()
    runner = TaskRunner(open_workspace(dict(os.environ), {}))
    store = runner.workspace.store
    db = Path(runner.workspace.settings.db_path)
    before = _size(db)
    prepare_demo(runner.workspace, runner)
    runner.run_until_idle(timeout_s=6 * 3600)
    store.query("PRAGMA wal_checkpoint(TRUNCATE)")
    for agent, action, state, seconds in store.query(
        "SELECT agent, action, state, finished_at - started_at FROM tasks ORDER BY id"
    ):
        label = agent if agent != "log_ingester" else f"log_ingester {action.lower()}"
        out["stages"][label] = float(seconds or 0.0) if state == "done" else float("nan")
    out["runs"] = int(store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1") or 0)
    out["jobs"] = int(store.scalar("SELECT COUNT(*) FROM jobs") or 0)
    out["written_mb"] = (_written() - written) / 1e6
    out["store_mb"] = (_size(db) - before) / 1e6
    out["pages"] = first_renders()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def first_renders() -> dict[str, float]:
    """Each page's first render in a new AppTest session (its caches cold).

    The Overview is the landing page: its first render is the session's first run (timing a
    switch to it after that run would find its caches filled)."""
    from streamlit.testing.v1 import AppTest

    times = {}
    for page in PAGES:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        began = time.perf_counter()
        app.run()  # the landing page (the Overview) and the sidebar
        if page != LANDING:
            began = time.perf_counter()
            app.switch_page(page).run()
        times[page] = time.perf_counter() - began
        if app.exception:
            times[page] = float("nan")
    return times


def exponent(small: dict, large: dict, value: float, other: float) -> float:
    """k in time ~ runs^k between two factors."""
    if not (value > 0 and other > 0) or large["runs"] <= small["runs"]:
        return float("nan")
    return math.log(other / value) / math.log(large["runs"] / small["runs"])


def report(results: list[dict]) -> None:
    stages = list(dict.fromkeys(s for r in results for s in r["stages"]))
    header = f"{'stage':34}" + "".join(f"{r['factor']:>9g}x" for r in results)
    print("\n" + header + "   exponent")
    small, large = results[0], results[-1]

    def row(label: str, values: list[float], unit: str) -> None:
        cells = "".join(f"{v:>9.1f}{unit}" for v in values)
        k = exponent(small, large, values[0], values[-1]) if len(values) > 1 else float("nan")
        print(f"{label:34}{cells}   {k:5.2f}")

    row("runs", [r["runs"] for r in results], " ")
    row("jobs", [r["jobs"] for r in results], " ")
    for stage in stages:
        row(stage, [r["stages"].get(stage, float("nan")) for r in results], "s")
    for page in PAGES:
        row(f"first render {Path(page).stem}", [r["pages"][page] for r in results], "s")
    row("peak RSS (MB)", [r["peak_rss_mb"] for r in results], " ")
    row("written (MB)", [r["written_mb"] for r in results], " ")
    row("store growth (MB)", [r["store_mb"] for r in results], " ")
    ratio = [r["written_mb"] / r["store_mb"] if r["store_mb"] else float("nan") for r in results]
    row("written / store growth", ratio, " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,5,20,45")
    parser.add_argument("--keep", type=Path, default=None, help="keep the homes here")
    parser.add_argument("--one", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:  # the child process of one factor
        print(json.dumps(one_factor(args.one, args.home)))
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="ci-medic-scale-"))
    results = []
    for factor in [float(f) for f in args.factors.split(",") if f.strip()]:
        home = base / f"x{factor:g}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        began = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(factor), "--home", str(home)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(f"{factor:g}x failed:\n{child.stderr[-3000:]}")
            break
        result = json.loads(child.stdout.strip().splitlines()[-1])
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
