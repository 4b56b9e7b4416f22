"""A real browser on the real server: a new user's first start on the demo, a chart, a CSV.

Debian's chromium drives ``streamlit run app.py`` through Playwright's sync API. The server's
home holds only a small demo *dump*, so the first sync runs in the server exactly as on a new
user's first start (emulator + PyGithub), just on fewer runs. Skips, saying why, only where
chromium or playwright is missing (``scripts/run-tests.sh`` installs chromium where apt works).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.conftest import build_demo_dump

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

# Generous for a busy 2-core machine: the first start syncs the demo inside the server.
pytestmark = pytest.mark.timeout(420)


def _skip_reason() -> str | None:
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


if (_reason := _skip_reason()) is not None:
    pytest.skip(_reason, allow_module_level=True)


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


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port, over a home with a small demo dump."""
    yield from _serve(tmp_path_factory.mktemp("browser-home"))


@pytest.fixture
def fresh_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another server no browser has asked anything yet."""
    yield from _serve(tmp_path_factory.mktemp("fresh-home"))


def _serve(home: Path) -> Iterator[str]:
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


def _settled(page, timeout_ms: int = 120_000) -> None:
    """Wait until no script run is in progress (how Streamlit's own browser tests tell it).

    The app root carries the run state; it reads ``notRunning`` again once the run that drew
    what the caller just waited for has finished, so call it after waiting for something that
    only the new run draws (a page's title, a result), never right after a click.
    """
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=timeout_ms
    )


def _shot(page, name: str) -> None:
    """A full-height screenshot (Streamlit scrolls inside stMain, so resize to fit it)."""
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 1000"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 6000)})
    page.screenshot(path=str(SHOTS / f"ci-medic-{name}.png"), full_page=True, timeout=60_000)
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_given_a_new_user_when_the_demo_opens_then_charts_show_and_a_csv_downloads(
    app_url: str, tmp_path: Path
):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.goto(app_url, timeout=120_000)

            # The first start syncs the demo, then the Overview shows its KPIs and a chart.
            expect(
                page.get_by_test_id("stMetricLabel").filter(has_text="Failure rate")
            ).to_be_visible(timeout=180_000)
            _settled(page)
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
            _shot(page, "overview")

            page.get_by_test_id("stSidebarNavLink").filter(has_text="Pipelines").click()
            expect(page.get_by_role("heading", name="Pipelines", exact=True)).to_be_visible(
                timeout=60_000
            )
            _settled(page)
            # Plotly draws each chart after the run ends (its bundle loads lazily): wait for a
            # second one instead of counting what happens to be drawn already.
            expect(page.locator(".js-plotly-plot").nth(1)).to_be_visible(timeout=60_000)
            _shot(page, "pipelines")

            csv_button = page.get_by_test_id("stDownloadButton").filter(has_text="CSV").first
            expect(csv_button).to_be_enabled(timeout=60_000)
            with page.expect_download(timeout=60_000) as download:
                csv_button.click()
            name = download.value.suggested_filename
            lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
        finally:
            browser.close()

    assert name.endswith(".csv")
    assert lines[0] == "day,outcome,runs"
    assert len(lines) > 5 and any(",success," in line for line in lines[1:])


def test_given_a_fresh_server_when_a_deep_link_is_the_first_request_then_a_click_still_counts(
    fresh_app_url: str, tmp_path: Path
):
    """Streamlit serves a fresh server's first request in its old pages-folder mode; widgets drawn
    in that mode would lose their first click (the page re-routes itself before drawing)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.goto(f"{fresh_app_url}/layer1_collection", timeout=120_000)
            sync_now = page.get_by_role("button", name="Sync now")
            expect(sync_now).to_be_visible(timeout=180_000)
            # Clicked once the first start (first sync, then the re-route) has finished: the
            # button the click lands on is then the one the final run drew, not a stale one.
            _settled(page)
            expect(sync_now).to_be_enabled(timeout=30_000)
            sync_now.click()
            report = page.get_by_test_id("stAlert").filter(has_text="requests").first
            expect(report).to_be_visible(timeout=120_000)
            expect(report).to_contain_text("acme-labs/shopfront")
        finally:
            browser.close()
