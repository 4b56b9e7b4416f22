"""The background runner over the real emulator: work a page asks for finishes, whatever happens.

Each test runs the real agents through PyGithub against the emulator, in the runner's thread
(as in the app server) or in the test's thread (``run_next``) where the test moves a clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.background import TaskRunner, prepare_demo
from core.sandbox.demo.generator import DEMO_REPO, generate_demo
from core.sandbox.emulator.faults import RateLimiter
from core.sandbox.emulator.server import Emulator
from core.store import tasks as task_store
from core.store.db import Store
from core.workspace import Workspace
from tests.integration.conftest import settings_for


@pytest.fixture(scope="module")
def recent_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~300-run demo ending today, inside the monitor's 90-day history window."""
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    folder = tmp_path_factory.mktemp("recent") / "dump"
    return generate_demo(folder, seed=11, end=end, runs_target=300, days=20)


@pytest.fixture()
def emulator(recent_demo: Path) -> Iterator[Emulator]:
    with Emulator(recent_demo) as emu:
        yield emu


def _workspace(emu: Emulator, tmp_path: Path, mode: str = "live") -> Workspace:
    settings = settings_for(emu, tmp_path / "store.db")
    return Workspace(settings, mode, DEMO_REPO, Store(settings.db_path))


def _wait_for(condition, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the timeout"
        time.sleep(0.02)


def test_given_a_submitted_sync_when_the_runner_thread_runs_it_then_it_ends_done_with_a_summary(
    emulator: Emulator, tmp_path: Path
):
    workspace = _workspace(emulator, tmp_path)
    runner = TaskRunner(workspace).start()
    try:
        queued = runner.submit(DEMO_REPO, "pipeline_monitor", "Sync")
        _wait_for(lambda: not task_store.task(workspace.store, queued.id).active)
    finally:
        runner.stop()

    done = task_store.task(workspace.store, queued.id)
    assert done.state == "done", done.error
    assert done.summary.startswith("Synced") and done.progress == 1
    assert workspace.store.scalar("SELECT COUNT(*) FROM runs") > 0


def test_given_a_task_running_when_the_page_script_is_gone_then_the_task_still_finishes(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A click stops the page's script run; the runner's thread is not the script's."""
    workspace = _workspace(emulator, tmp_path)
    release, started = threading.Event(), threading.Event()
    from agents import background

    real = background.run_agent_on

    def slow(*args, **kwargs):
        started.set()
        assert release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(background, "run_agent_on", slow)
    runner = TaskRunner(workspace).start()
    try:
        queued = runner.submit(DEMO_REPO, "pipeline_monitor", "Sync")
        assert started.wait(60)
        # what a click does to a page: its script run ends; nothing reaches the runner
        assert task_store.task(workspace.store, queued.id).state == "running"
        release.set()
        _wait_for(lambda: not task_store.task(workspace.store, queued.id).active)
    finally:
        runner.stop()

    assert task_store.task(workspace.store, queued.id).state == "done"


def test_given_githubs_rate_limit_when_a_task_meets_it_then_it_waits_and_resumes_by_itself(
    recent_demo: Path, tmp_path: Path
):
    now = [time.time()]
    with Emulator(recent_demo) as emu:
        emu.rate = RateLimiter(150, clock=lambda: now[0])
        workspace = _workspace(emu, tmp_path)
        runner = TaskRunner(workspace, clock=lambda: now[0])
        queued = runner.submit(DEMO_REPO, "pipeline_monitor", "Sync")

        assert runner.run_next()
        waiting = task_store.task(workspace.store, queued.id)
        assert waiting.state == "queued" and waiting.not_before > now[0] + 600
        assert waiting.message.startswith("Sync reached GitHub's rate limit")
        assert "resumes by itself" in waiting.message and "kept" in waiting.message
        assert not runner.run_next()  # not before the reset

        for _hour in range(50):  # each hour passes; the sync goes on where it stopped
            current = task_store.task(workspace.store, queued.id)
            if not current.active:
                break
            now[0] = current.not_before + 1
            assert runner.run_next()

    resumed = task_store.task(workspace.store, queued.id)
    assert resumed.state == "done", resumed.message
    assert resumed.summary.startswith("Synced")


def test_given_the_demo_first_start_when_prepared_then_sync_logs_and_root_causes_run_in_order(
    emulator: Emulator, tmp_path: Path
):
    workspace = _workspace(emulator, tmp_path, mode="demo")
    runner = TaskRunner(workspace)

    queued = prepare_demo(workspace, runner)
    runner.run_until_idle()

    actions = [task.action for task in queued]
    assert actions[:3] == ["Sync", "Fetch logs", "Root Cause Analysis"]
    assert actions.index("Fetch test reports") > actions.index("Root Cause Analysis")
    states = {task.action: task_store.task(workspace.store, task.id).state for task in queued}
    assert set(states.values()) == {"done"}, states
    assert workspace.store.scalar("SELECT COUNT(*) FROM findings WHERE agent = 'root_cause'") > 0
    assert prepare_demo(workspace, runner) == []  # a restart queues nothing already done


def test_given_the_demo_emulator_when_asked_then_its_rate_limit_never_blocks_normal_use():
    from github import Auth, Github

    from core.sandbox.local import start_demo

    demo = start_demo()
    client = Github(base_url=demo.base_url, auth=Auth.Token("demo-token"))

    assert client.get_rate_limit().resources.core.limit >= 1_000_000
