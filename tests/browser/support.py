"""What the real-browser tests share: Debian's chromium, a server per home, waits that settle.

A server's home holds only a small demo *dump*, so the first start (sync, logs, analyses in the
background) runs in the server exactly as on a new user's first start, just on fewer runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.app.conftest import build_demo_dump

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "browser_context",
    "current",
    "rerun_after",
    "serve",
    "settled",
    "shot",
    "skip_reason",
]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("CI_MEDIC_SCREENSHOTS", "/tmp"))


def skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"Debian's chromium is not installed at {CHROMIUM}; `apt-get install -y "
            "chromium` (scripts/run-tests.sh does it where apt is available)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -r requirements-dev.txt"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)  # between checks of the condition, bounded by the deadline
    pytest.fail(f"streamlit was not healthy after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def serve(home: Path) -> Iterator[str]:
    build_demo_dump(home)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"GITHUB_TOKEN", "CI_MEDIC_GITHUB_TOKEN", "CI_MEDIC_DB_PATH", "CI_MEDIC_REPO"}
    }
    env["CI_MEDIC_HOME"] = str(home)
    env["CI_MEDIC_WORKER_EMBEDDED"] = "true"  # as the README's run command does
    port, log = _free_port(), home / "streamlit.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, log, timeout_s=120)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def settled(page, timeout_ms: int = 120_000) -> None:
    """Wait until no script run is in progress (how Streamlit's own browser tests tell it).

    The app root carries the run state; it reads ``notRunning`` again once the run that drew
    what the caller just waited for has finished, so call it after waiting for something that
    only the new run draws (a page's title, a result), never right after a click.
    """
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=timeout_ms
    )


def rerun_after(page, action: Callable[[], object], timeout_ms: int = 120_000) -> None:
    """Do ``action`` (a click that reruns the page) and wait until the rerun it caused ended.

    A wait for "not running" alone can pass before the rerun begins, and what the new run draws
    is not always visible text (a select box shows its choice in an input's value). So a
    MutationObserver, set before the click, records the app root's run state going to
    ``running`` and then back to ``notRunning``; call it when nothing else reruns the page
    (after :func:`background_done`).
    """
    page.evaluate(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            window.__ciMedicRerunEnded = false;
            let began = false;
            window.__ciMedicObserver?.disconnect();
            window.__ciMedicObserver = new MutationObserver(() => {
                const state = app.dataset.testScriptState;
                if (state === "running") began = true;
                else if (began && state === "notRunning") window.__ciMedicRerunEnded = true;
            });
            window.__ciMedicObserver.observe(
                app, {attributes: true, attributeFilter: ["data-test-script-state"]}
            );
        }"""
    )
    action()
    page.wait_for_function("() => window.__ciMedicRerunEnded === true", timeout=timeout_ms)


def current(scope):
    """The elements the page's latest run drew inside ``scope`` (a page, or a locator such as
    the sidebar), without the stale ones of the run before.

    While a rerun draws, Streamlit keeps the previous run's elements on the page, marked
    ``data-stale``, until the run ends; where the two runs place a widget at different spots
    (a first start's re-route, a task ending mid-draw) both are in the page for a moment, and a
    strict locator would find two. (Streamlit's own dialogs, the page links and tab buttons are
    not element containers: find those on the page, once it has settled.)
    """
    return scope.locator('[data-testid="stElementContainer"]:not([data-stale="true"])')


def background_done(page, timeout_ms: int = 600_000) -> None:
    """Wait until the task panel says nothing runs in the background any more, and the rerun
    that its last ending triggers has finished.

    The demo's first start goes on after the first results are on the page (features,
    anomalies, flaky tests, predictions); each ending reruns the page, and a click that lands
    in such a rerun is lost. Tests that click wait for this first.
    """
    # Both at one moment: checked one after the other, the panel could be seen empty while a
    # rerun redraws it and the run state read idle once that rerun ended, with tasks still
    # running (and rerunning the page under the next click).
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app !== null && app.dataset.testScriptState === "notRunning"
                && !document.body.innerText.includes("Running in the background");
        }""",
        timeout=timeout_ms,
    )


def shot(page, name: str) -> None:
    """A full-height screenshot (Streamlit scrolls inside stMain, so resize to fit it)."""
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 1000"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 6000)})
    page.screenshot(path=str(SHOTS / f"ci-medic-{name}.png"), full_page=True, timeout=60_000)
    page.set_viewport_size({"width": 1400, "height": 1000})


def browser_context(playwright, profile: Path, **options):
    """Debian's chromium through Playwright (``playwright install`` cannot download here)."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1000},
        **options,
    )
