"""Bad input and brutal interruptions: a clear sentence, and the store left intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from agents.actions import run_agent_on
from agents.pipeline_monitor.agent import sync_repository
from core.dump.files import DumpWriter
from core.errors import (
    AccessDenied,
    BadCredentials,
    ConfigError,
    NoWorkflows,
    RateLimited,
    RepoNotFound,
    SourceError,
)
from core.sandbox.demo.generator import DEMO_REPO
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from tests.conftest import REPO_ROOT
from tests.integration.conftest import ALL_HISTORY, snapshot, source_for

TOKEN = "ghp_CANARY_token_0123456789abcdef"


def _synced_store(emu: Emulator, db) -> Store:
    store = Store(db)
    sync_repository(store, source_for(emu, db), DEMO_REPO, history=ALL_HISTORY)
    return store


def test_a_sync_killed_with_sigkill_then_restarted_equals_a_clean_sync(
    small_demo, tmp_path, clean_snapshot
):
    db = tmp_path / "s.db"
    with Emulator(small_demo) as emu:
        emu.faults.add("slow", path=r"/jobs", times=10_000, delay_s=0.01)
        env = dict(os.environ, CI_MEDIC_GITHUB_TOKEN="t")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agents.cli",
                "--db",
                str(db),
                "sync",
                DEMO_REPO,
                "--base-url",
                emu.base_url,
                "--days",
                "3650",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while _runs(db) < 40:  # checked every 50 ms until 40 runs are stored, at most 120 s
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the sync stored {_runs(db)} runs, then exited or stalled")
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert 0 < _runs(db) < 300, "the kill must land half-way"
        emu.faults.clear()
        store = _synced_store(emu, db)
    assert snapshot(store) == clean_snapshot


def _runs(db) -> int:
    if not db.exists():
        return 0
    try:
        return Store(db).scalar("SELECT COUNT(*) FROM runs") or 0
    except Exception:  # noqa: BLE001 - the writer may hold the schema lock at start-up
        return 0


@pytest.fixture()
def synced(emulator, tmp_path):
    store = _synced_store(emulator, tmp_path / "s.db")
    return store, snapshot(store)


@pytest.mark.parametrize("repo_text", ["not a repo", "https://github.com/only-owner", ""])
def test_malformed_repository_text_is_refused_before_any_request(emulator, synced, repo_text):
    store, before = synced
    from core.workspace import Workspace

    ws = Workspace(source_settings(emulator, store), "live", DEMO_REPO, store)
    emulator.clear_requests()
    with pytest.raises(ConfigError, match="owner/name"):
        run_agent_on(ws, "pipeline_monitor", repo_text)
    assert emulator.requests == [] and snapshot(store) == before


def source_settings(emu, store):
    from tests.integration.conftest import settings_for

    return settings_for(emu, store.path)


def test_unknown_repository_gives_a_404_sentence(emulator, synced):
    store, before = synced
    with pytest.raises(RepoNotFound, match="not found"):
        sync_repository(store, source_for(emulator, store.path), "acme-labs/nope")
    assert snapshot(store) == before


def test_bad_token_gives_a_401_sentence_without_the_token(small_demo, tmp_path):
    with Emulator(small_demo, valid_tokens={"good"}) as emu:
        store = Store(tmp_path / "s.db")
        with pytest.raises(BadCredentials) as caught:
            sync_repository(store, source_for(emu, store.path, github_token=TOKEN), DEMO_REPO)
    assert "Bad credentials" in str(caught.value) and TOKEN not in str(caught.value)


def test_token_without_access_gives_a_403_sentence(small_demo, tmp_path):
    with Emulator(small_demo, denied_tokens={TOKEN}) as emu:
        store = Store(tmp_path / "s.db")
        with pytest.raises(AccessDenied, match="actions:read"):
            sync_repository(store, source_for(emu, store.path, github_token=TOKEN), DEMO_REPO)


def test_repository_without_workflows_says_so(tmp_path):
    writer = DumpWriter(tmp_path / "empty")
    writer.repo({"id": 5, "full_name": "acme/empty", "default_branch": "main"})
    writer.workflows([])
    writer.runs([])
    with Emulator(tmp_path / "empty") as emu:
        store = Store(tmp_path / "s.db")
        with pytest.raises(NoWorkflows, match="no GitHub Actions workflows"):
            sync_repository(store, source_for(emu, store.path), "acme/empty")
    assert store.scalar("SELECT COUNT(*) FROM runs") == 0


def test_exhausted_rate_limit_with_a_long_reset_stops_with_the_reset_time(emulator, synced):
    store, before = synced
    emulator.set_now(None)
    emulator.faults.add("rate_limit", times=100, reset_in_s=3600)
    source = source_for(emulator, store.path, max_rate_limit_wait_s=5)
    with pytest.raises(RateLimited, match="run it again after the reset"):
        sync_repository(store, source, DEMO_REPO)
    assert snapshot(store) == before


def test_rate_limit_waits_are_visible_while_they_last(emulator, tmp_path):
    waits: list[str] = []
    from core.github.source import GitHubSource
    from tests.integration.conftest import settings_for

    emulator.faults.add("retry_after", path=r"/actions/runs$", times=1, seconds=2)
    source = GitHubSource(
        settings_for(emulator, tmp_path / "s.db"),
        on_wait=lambda _left, msg: waits.append(msg),
        sleep=lambda _s: None,
    )
    source.runs_page(DEMO_REPO, 1)
    assert waits and "Waiting" in waits[0]


def test_malformed_json_that_never_heals_gives_a_sentence_and_keeps_the_store(emulator, synced):
    store, before = synced
    emulator.faults.add("malformed_json", times=100)
    with pytest.raises(SourceError, match="malformed JSON"):
        sync_repository(store, source_for(emulator, store.path), DEMO_REPO)
    assert snapshot(store) == before


def test_the_token_never_reaches_the_store_messages_or_errors(small_demo, tmp_path, caplog):
    caplog.set_level("DEBUG")
    with Emulator(small_demo) as emu:
        store = Store(tmp_path / "s.db")
        source = source_for(emu, store.path, github_token=TOKEN)
        sync_repository(store, source, DEMO_REPO, history=ALL_HISTORY)
        emu.faults.add("server_error", times=100, status=500)
        with pytest.raises(SourceError) as caught:
            sync_repository(store, source_for(emu, store.path, github_token=TOKEN), "a/b")
    store.close()
    haystacks = [caught.value.args[0], caplog.text]
    haystacks += [p.read_bytes().decode("latin-1") for p in tmp_path.glob("s.db*")]
    assert all(TOKEN not in text and TOKEN[4:20] not in text for text in haystacks)
