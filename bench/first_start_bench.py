"""How long a new user waits on a first start: server start -> first page -> root causes on it.

    python bench/first_start_bench.py [--runs-target N]

What it does, as the README's run command does after the install: a fresh, empty
``CI_MEDIC_HOME`` and ``HOME``, ``streamlit run app.py`` on a free port, a real headless
Chromium (Debian's ``chromium`` through Playwright) opening the app, and no click at all. It
prints the seconds from the server's start until: the server answers, the Overview's title is
drawn, the demo's runs are on the page (its KPIs), and the root causes are on the page (the
"Most common root causes" line the Overview draws once Root Cause Analysis has run), plus the
background tasks' own timings from the store. Numbers only; nothing is asserted.

``--runs-target`` generates a smaller demo (the default is the full ~2,200-run demo a user gets).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TIMEOUT_MS = 600_000


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("streamlit exited before answering")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("streamlit never answered")


def _prebuilt_demo(home: Path, runs_target: int) -> None:
    """A smaller demo dump where the app looks for its cached one (only with --runs-target)."""
    from datetime import UTC, datetime

    from core.sandbox.demo.generator import generate_demo
    from core.sandbox.local import DEMO_FORMAT

    folder = home / f"demo-dump-v{DEMO_FORMAT}-seed7"
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    generate_demo(folder, seed=7, end=end, runs_target=runs_target, days=30)
    (folder / ".complete").write_text("ok\n")


def _task_timings(home: Path) -> list[tuple[str, float, float]]:
    from core.store.db import Store

    store = Store(home / "demo.db")
    rows = store.query(
        "SELECT action, started_at, finished_at FROM tasks WHERE state = 'done' ORDER BY id"
    )
    return [(row["action"], row["started_at"], row["finished_at"]) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-target", type=int, default=0)
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory(prefix="ci-medic-first-start-") as tmp:
        home, user_home = Path(tmp) / "ci-medic", Path(tmp) / "home"
        home.mkdir()
        user_home.mkdir()
        if args.runs_target:
            _prebuilt_demo(home, args.runs_target)
        env = {k: v for k, v in os.environ.items() if "TOKEN" not in k}
        env.update(CI_MEDIC_HOME=str(home), HOME=str(user_home))
        port = _port()
        url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
        command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
        command += ["--browser.gatherUsageStats", "false"]
        started = time.monotonic()
        wall_start = time.time()
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        marks: dict[str, float] = {}
        try:
            _healthy(url, server, started + 120)
            marks["server answers"] = time.monotonic() - started
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=ARGS
                )
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url, timeout=TIMEOUT_MS)
                expect(page.get_by_role("heading", name="Overview")).to_be_visible(
                    timeout=TIMEOUT_MS
                )
                marks["first page drawn"] = time.monotonic() - started
                failure_rate = page.get_by_test_id("stMetricLabel").filter(has_text="Failure rate")
                expect(failure_rate).to_be_visible(timeout=TIMEOUT_MS)
                marks["runs on the page"] = time.monotonic() - started
                expect(page.get_by_text("Most common root causes").first).to_be_visible(
                    timeout=TIMEOUT_MS
                )
                marks["root causes on the page"] = time.monotonic() - started
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(
            f"first start on {os.cpu_count()} cores, demo runs target: {args.runs_target or 'full'}"
        )
        for name, seconds in marks.items():
            print(f"  {name:<26} {seconds:6.1f} s after the server started")
        for action, begin, end in _task_timings(home):
            print(
                f"  task {action:<22} {begin - wall_start:6.1f} -> {end - wall_start:6.1f} s"
                f" ({end - begin:.1f} s)"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
