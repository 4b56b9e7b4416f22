"""A real browser on the real server: a deep link as a fresh server's first request, then a
chart and a CSV on the demo (the newcomer's whole first start is ``test_walkthrough.py``).

Debian's chromium drives ``streamlit run app.py`` through Playwright's sync API (helpers in
``tests/browser/support.py``). Skips, saying why, only where chromium or playwright is missing
(``scripts/run_tests.py`` installs chromium where apt works).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.support import (
    background_done,
    browser_context,
    current,
    serve,
    settled,
    shot,
    skip_reason,
)

# Generous for a 2-core machine busy with other work too (the suite must pass with both cores
# loaded): the first start syncs and analyses the demo inside the server.
pytestmark = pytest.mark.timeout(1200)

if (_reason := skip_reason()) is not None:
    pytest.skip(_reason, allow_module_level=True)


@dataclass
class _Server:
    """A server and whether a browser has asked it anything yet."""

    url: str
    asked: bool = False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    """``streamlit run app.py`` on a free loopback port, over a home with a small demo dump.

    One first start serves the module: the deep-link test takes it while nothing has asked it
    anything (it is defined first), the others after."""
    for url in serve(tmp_path_factory.mktemp("browser-home")):
        yield _Server(url)


@pytest.fixture
def app_url(server: _Server) -> str:
    server.asked = True
    return server.url


@pytest.fixture
def fresh_app_url(server: _Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server no browser has asked anything yet: the module's own while it is unasked (the
    usual order), else one of its own (this test run alone after another, or reordered)."""
    if not server.asked:
        server.asked = True
        yield server.url
    else:
        yield from serve(tmp_path_factory.mktemp("fresh-home"))


def test_given_a_fresh_server_when_a_deep_link_is_the_first_request_then_a_click_still_counts(
    fresh_app_url: str, tmp_path: Path
):
    """Streamlit serves a fresh server's first request in its old pages-folder mode; widgets drawn
    in that mode would lose their first click (the page re-routes itself before drawing)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = browser_context(playwright, tmp_path / "profile")
        try:
            page = browser.new_page()
            page.goto(f"{fresh_app_url}/layer1_collection", timeout=120_000)
            # the current run's button: a stale one (the first start's, disabled while it
            # syncs) may still be on the page while the next run draws
            sync_now = current(page).get_by_role("button", name="Sync now")
            expect(sync_now).to_be_visible(timeout=180_000)
            # Clicked once the first start (first sync, the analyses, then the re-route) has
            # finished: the button the click lands on is the one the final run drew, not a
            # stale one (each task's ending reruns the page).
            background_done(page)
            expect(sync_now).to_be_enabled(timeout=300_000)
            sync_now.click()
            # The first start's own "Synced …" ending may linger for a moment (a stale element
            # while the page reruns): wait for the sentence only this click's sync writes.
            report = page.get_by_test_id("stAlert").filter(
                has_text="acme-labs/shopfront is up to date"
            )
            expect(report.first).to_be_visible(timeout=300_000)
        finally:
            browser.close()


def test_given_a_new_user_when_the_demo_opens_then_charts_show_and_a_csv_downloads(
    app_url: str, tmp_path: Path
):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = browser_context(playwright, tmp_path / "profile", accept_downloads=True)
        try:
            page = browser.new_page()
            page.goto(app_url, timeout=120_000)

            # The Overview shows its KPIs and a chart (after the first start, when this test
            # runs alone).
            expect(
                current(page).get_by_test_id("stMetricLabel").filter(has_text="Failure rate")
            ).to_be_visible(timeout=180_000)
            settled(page)
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
            shot(page, "overview")

            page.get_by_test_id("stSidebarNavLink").filter(has_text="Pipelines").click()
            expect(
                current(page).get_by_role("heading", name="Pipelines", exact=True)
            ).to_be_visible(timeout=60_000)
            settled(page)
            # Plotly draws each chart after the run ends (its bundle loads lazily): wait for a
            # second one instead of counting what happens to be drawn already.
            expect(page.locator(".js-plotly-plot").nth(1)).to_be_visible(timeout=60_000)
            shot(page, "pipelines")

            background_done(page)  # a task's ending reruns the page: not mid-click
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
