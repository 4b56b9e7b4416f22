"""Live mode with a real token: every page renders, and the token shows nowhere.

The app is pointed at the emulator (the only difference from github.com is the base URL), a
canary token is configured, a sync and a log fetch run from the Pipelines page, then every
page's text, tables and JSON, and every CSV export, are searched for the token.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.sandbox.demo.generator import DEMO_REPO
from core.sandbox.emulator.server import Emulator
from tests.app.conftest import APP, RUN_TIMEOUT_S, build_demo_dump, settle

CANARY = "ghp_LIVEcanary0123456789abcdefABCDEF0123"
PAGES = [
    "pages/overview.py",
    "pages/layer1_collection.py",
    "pages/layer2_intelligence.py",
    "pages/queues.py",
]


@pytest.fixture()
def live_app(tmp_path, monkeypatch):
    dump = build_demo_dump(tmp_path / "dump-home")
    with Emulator(dump, valid_tokens={CANARY}) as emu:
        for name, value in {
            "CI_MEDIC_GITHUB_TOKEN": CANARY,
            "CI_MEDIC_REPO": DEMO_REPO,
            "CI_MEDIC_GITHUB_BASE_URL": emu.base_url,
            "CI_MEDIC_DB_PATH": str(tmp_path / "live.db"),
            "CI_MEDIC_HOME": str(tmp_path / "live-home"),
        }.items():
            monkeypatch.setenv(name, value)
        yield AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)


def _everything_shown(at: AppTest) -> str:
    parts = [
        str(e.value)
        for kind in (
            "markdown",
            "caption",
            "code",
            "info",
            "success",
            "warning",
            "error",
            "text",
            "title",
            "header",
            "subheader",
            "json",
        )
        for e in getattr(at, kind)
    ]
    parts += [str(m.value) + str(m.label) for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [str(b.proto) for b in at.get("download_button")]
    return "\n".join(parts)


def test_live_pages_sync_fetch_and_never_show_the_token(live_app):
    live_app.run()
    live_app.switch_page("pages/layer1_collection.py").run()
    assert not live_app.exception
    settle(live_app.button(key="sync_button").click().run())
    assert not live_app.exception
    shown = []
    for page in PAGES:
        live_app.switch_page(page).run()
        assert not live_app.exception, page
        shown.append(_everything_shown(live_app))
    text = "\n".join(shown)
    assert "Live mode" in text or "live" in text.lower()
    assert CANARY not in text and CANARY[4:20] not in text
