"""A finished task's freed memory goes back to the system before the next task starts; a block
that allocates many objects without cycles runs with the garbage collector paused."""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path

import pytest

import agents.background as background
import core.memory as memory
from agents.background import TaskRunner
from core.config import Settings
from core.memory import _malloc_trim, collector_paused, give_back_memory
from core.store import tasks as task_store
from core.store.db import Store
from core.workspace import Workspace


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


@pytest.mark.skipif(
    _malloc_trim() is None or not Path("/proc/self/status").exists(),
    reason="needs glibc's malloc_trim and /proc",
)
def test_freed_blocks_the_allocator_kept_are_returned_to_the_system():
    blocks = [bytes(2000) for _ in range(60_000)]  # 120 MB of malloc'd blocks (not pymalloc's)
    pinned = blocks[::1000]  # a few live ones spread over the heap: it cannot shrink from its top
    del blocks
    kept = _resident_mb()

    give_back_memory()

    assert _resident_mb() < kept - 60, "the freed blocks stayed with the process"
    assert len(pinned) == 60


def test_the_runner_runs_each_task_with_older_objects_frozen_and_gives_memory_back_after(
    tmp_path, monkeypatch
):
    given_back: list[str] = []
    frozen_while_running: list[int] = []
    monkeypatch.setattr(memory, "give_back_memory", lambda: given_back.append("now"))
    run = background.run_agent_on

    def observed(*args, **kwargs):
        frozen_while_running.append(gc.get_freeze_count())
        return run(*args, **kwargs)

    monkeypatch.setattr(background, "run_agent_on", observed)
    settings = Settings().with_(db_path=str(tmp_path / "s.db"))
    workspace = Workspace(settings, "live", "acme/empty", Store(settings.db_path))
    runner = TaskRunner(workspace)
    runner.submit("acme/empty", "feature_engineering", "Compute features")
    runner.submit("acme/empty", "no_such_agent", "Nothing")

    runner.run_until_idle()

    states = [t.state for t in task_store.recent_tasks(workspace.store, "acme/empty")]
    assert sorted(states) == ["done", "failed"] and given_back == ["now", "now"]
    assert len(frozen_while_running) == 2 and min(frozen_while_running) > 0
    assert gc.get_freeze_count() == 0  # nothing stays frozen once the tasks are over


def test_the_collector_is_paused_inside_the_block_and_back_after_it():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_a_block_that_raised():
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a damaged document")

    assert gc.isenabled()


def test_overlapping_pauses_on_two_threads_give_the_collector_back_only_after_the_last():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = gc.isenabled()
        seen["after both ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert seen == {"after the first ended": False, "after both ended": True}


def test_a_collector_the_caller_had_turned_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_dump_parses_a_large_json_document_with_the_collector_paused(tmp_path, monkeypatch):
    from core.dump import files

    causes = {str(n): {"lines": [[n, n + 1]], "category": "test_failure"} for n in range(30_000)}
    (tmp_path / "truth.json").write_text(json.dumps({"root_causes": causes}))
    (tmp_path / "repo.json").write_text('{"full_name": "acme/widgets"}')
    assert (tmp_path / "truth.json").stat().st_size >= files.LARGE_JSON_BYTES
    enabled_while_parsing: list[bool] = []
    loads = files.json.loads

    def observed(raw):
        enabled_while_parsing.append(gc.isenabled())
        return loads(raw)

    monkeypatch.setattr(files.json, "loads", observed)
    dump = files.Dump(tmp_path)

    assert dump.truth() == {"root_causes": causes}
    assert dump._json("repo.json") == {"full_name": "acme/widgets"}
    # the large document paused; a small one (one per request in the emulator) did not
    assert enabled_while_parsing == [False, True] and gc.isenabled()
