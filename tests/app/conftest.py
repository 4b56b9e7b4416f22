"""AppTest fixtures: one small demo home per session, synced once through the real demo path.

The home holds what ``core.sandbox.local`` looks for (``demo-dump-v{N}-seed7`` with its
``.complete`` marker), so the app uses a ~300-run demo instead of generating the full one, and
the first sync runs once here through the emulator and PyGithub (as on a real first start).
Every test then points ``CI_MEDIC_HOME`` at that home; the cached workspace is shared.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "app.py"
SMALL_DEMO = {"runs_target": 300, "days": 20}
# How long AppTest waits for one script run to finish (it returns as soon as the run does):
# generous, since a busy 2-core machine runs a sync or a log fetch several times slower.
RUN_TIMEOUT_S = 300


def build_demo_dump(home: Path) -> Path:
    """Write a small demo dump where the app looks for the cached demo; returns its folder.

    The demo ends at today's midnight (UTC) so every run lies inside the monitor's 90-day
    history window; within one day the dump is byte-for-byte the same.
    """
    from core.sandbox.demo.generator import generate_demo
    from core.sandbox.local import DEMO_FORMAT

    folder = home / f"demo-dump-v{DEMO_FORMAT}-seed7"
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    generate_demo(folder, seed=7, end=end, **SMALL_DEMO)
    (folder / ".complete").write_text("ok\n")
    return folder


def sync_demo_home(home: Path) -> None:
    """Run the app's first start (sync, logs, every analysis) outside Streamlit.

    The same tasks the app queues on a first start (:func:`agents.background.prepare_demo`),
    run here in the test's thread, so every page test starts from a finished first start.
    """
    from agents.background import TaskRunner, prepare_demo
    from core.workspace import open_workspace

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CI_MEDIC_HOME", str(home))
        runner = TaskRunner(open_workspace({"CI_MEDIC_HOME": str(home)}, {}))
        prepare_demo(runner.workspace, runner)
        runner.run_until_idle()
        runner.workspace.store.seal()  # a copy of the home is then a whole home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CI_MEDIC_HOME with a small demo dump and a store already synced from it: this
    session's own copy of a home built once per test run (the tests press buttons that write)."""
    from tests.built_once import built_once

    def build(home: Path) -> None:
        build_demo_dump(home)
        sync_demo_home(home)

    built = built_once(tmp_path_factory, "app-home", build)
    home = tmp_path_factory.mktemp("app-home") / "home"
    shutil.copytree(built, home)
    return home


@pytest.fixture()
def app(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """A fresh AppTest session of app.py on the small demo (run it with ``app.run()``)."""
    monkeypatch.setenv("CI_MEDIC_HOME", str(demo_home))
    yield AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)


@pytest.fixture()
def no_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """No task runner in this process for the test: tasks it records as another server's
    (claimed by "elsewhere") stay as recorded. A runner left by an earlier test would claim a
    queued one between its submit and the test's claim, or call a claimed one orphaned once
    its heartbeat is a minute old; the page still draws every task from the store."""
    from agents.background import stop_runners
    from pages import _shell

    stop_runners()
    monkeypatch.setattr(_shell, "ensure_runner", lambda _workspace: None)


def settle(app: AppTest, timeout_s: float = RUN_TIMEOUT_S) -> AppTest:
    """Wait until no background task of this process is queued or running, then rerun.

    A button queues its agent for the server's runner thread (in this process under AppTest);
    the page polls it. A test waits for that condition, never for a fixed time.
    """
    from agents.background import runners_idle

    deadline = time.monotonic() + timeout_s
    while not runners_idle():
        if time.monotonic() > deadline:
            raise TimeoutError("background tasks still active after the timeout")
        time.sleep(0.05)
    return app.run()


def texts(elements) -> list[str]:
    """The text of every element in an AppTest element list."""
    return [str(element.value) for element in elements]


@pytest.fixture()
def script_log(monkeypatch: pytest.MonkeyPatch):
    """Every job's stored log is one whose lines look like HTML and script."""
    from core.logs.normalise import normalise_log

    log = normalise_log(b"<script>alert('owned')</script>\n<b>bold?</b>\nerror: boom\n")
    monkeypatch.setattr("core.store.logs.load_log", lambda _store, _repo_id, _job_id: log)
    return log
