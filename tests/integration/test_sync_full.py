"""Full re-check (``sync --full``) against the emulator through the real PyGithub client.

Specification: GitHub lists runs by creation, so a normal sync, which reads back only the
look-back window (or stops at a 304 on the first page), misses a re-run made later of a run
older than that window. A full re-check lists the whole stored history and fetches exactly the
runs whose attempt, status or updated_at changed: on an unchanged store it costs the list pages
and nothing more. It is idempotent, obeys the request budget and resumes after a stop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agents.cli import main
from agents.pipeline_monitor.agent import LOOKBACK, SyncReport, sync_repository
from core.dump.files import Dump
from core.errors import BudgetExhausted
from core.sandbox.demo.generator import DEMO_REPO
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from tests.integration.conftest import ALL_HISTORY, snapshot, source_for
from tests.integration.dump_factory import (
    FULL_NAME,
    attempt_window,
    make_dump,
    move_latest_attempt,
    run_id,
)

RUNS = 150  # two list pages; the oldest runs are far more than LOOKBACK older than the newest
RERUN = (0, 1, 2)  # old runs re-run after everything else, outside the look-back window
LAST_END = attempt_window(RUNS - 1)[1]
SYNCED_AT = LAST_END + timedelta(hours=1)  # the first sync: every run done, no re-run yet
RERUN_AT = LAST_END + timedelta(days=1)


@pytest.fixture(scope="module")
def late_rerun_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 hourly runs; runs 0-2 get a second attempt a day after the newest run ended."""
    root = make_dump(
        tmp_path_factory.mktemp("late") / "dump",
        RUNS,
        attempts={index: 2 for index in RERUN},
        jobs_per_run=1,
        with_logs=False,
        with_artifacts=False,
        with_files=False,
    )
    for index in RERUN:
        move_latest_attempt(root, index, RERUN_AT + index * timedelta(hours=1))
    assert RERUN_AT - attempt_window(RERUN[-1])[0] > LOOKBACK
    return root


@pytest.fixture()
def late(late_rerun_dump: Path) -> Iterator[Emulator]:
    with Emulator(late_rerun_dump) as emu:
        yield emu


def _sync(
    emu: Emulator, db: Path, repo: str = FULL_NAME, full: bool = False, **changes
) -> SyncReport:
    return sync_repository(
        Store(db), source_for(emu, db, **changes), repo, history=ALL_HISTORY, full=full
    )


def _synced_before_the_reruns(emu: Emulator, db: Path) -> Store:
    """Given a store synced while runs 0-2 had one attempt, and the re-runs happened since."""
    emu.set_now(SYNCED_AT)
    _sync(emu, db)
    emu.set_now(None)
    return Store(db)


def _clean(emu: Emulator, db: Path) -> dict:
    """The store a cold sync of today's repository holds: what every re-check must reach."""
    _sync(emu, db)
    return snapshot(Store(db))


def _attempt(store: Store, index: int) -> int:
    return store.scalar(
        "SELECT attempt FROM runs WHERE run_id = ? AND is_latest = 1", (run_id(index),)
    )


def _run_detail_paths(emu: Emulator) -> list[str]:
    """Requests beyond the repository and the runs list pages (runs, jobs, commits)."""
    base = f"/repos/{FULL_NAME}"
    listing = {base, f"{base}/actions/runs"}
    return [r.path for r in emu.requests if r.path.split("?")[0] not in listing]


def test_a_late_rerun_of_an_old_run_is_missed_by_a_sync_and_found_by_a_full_recheck(late, tmp_path):
    store = _synced_before_the_reruns(late, tmp_path / "s.db")
    clean = _clean(late, tmp_path / "clean.db")

    normal = _sync(late, tmp_path / "s.db")
    assert normal.fetched_runs == 0 and [_attempt(store, i) for i in RERUN] == [1, 1, 1]

    late.clear_requests()
    full = _sync(late, tmp_path / "s.db", full=True)
    assert sorted(full.fetched) == [run_id(i) for i in RERUN]
    assert (full.rechecked, full.changed) == (RUNS, len(RERUN))
    assert f"{RUNS} stored runs re-checked, {len(RERUN)} changed" in full.sentence()
    assert snapshot(store) == clean
    # one jobs list per re-run: attempt 1 and every commit were already stored
    assert len(_run_detail_paths(late)) == len(RERUN)


def test_a_full_recheck_of_an_unchanged_store_fetches_no_run_details(
    emulator, small_demo, tmp_path
):
    db = tmp_path / "s.db"
    sync_repository(Store(db), source_for(emulator, db), DEMO_REPO, history=ALL_HISTORY)
    before = snapshot(Store(db))
    emulator.clear_requests()
    report = sync_repository(
        Store(db), source_for(emulator, db), DEMO_REPO, history=ALL_HISTORY, full=True
    )
    runs = sum(1 for _ in Dump(small_demo).runs())
    paths = [r.path.split("?")[0] for r in emulator.requests]
    assert set(paths) == {f"/repos/{DEMO_REPO}", f"/repos/{DEMO_REPO}/actions/runs"}
    assert paths.count(f"/repos/{DEMO_REPO}/actions/runs") <= math.ceil(runs / 100) + 1
    assert (report.fetched_runs, report.rechecked, report.changed) == (0, runs, 0)
    assert snapshot(Store(db)) == before


def test_a_full_recheck_is_idempotent(late, tmp_path):
    store = _synced_before_the_reruns(late, tmp_path / "s.db")
    _sync(late, tmp_path / "s.db", full=True)
    after_first = snapshot(store)
    late.clear_requests()
    again = _sync(late, tmp_path / "s.db", full=True)
    assert (again.fetched_runs, again.changed) == (0, 0)
    assert _run_detail_paths(late) == [] and snapshot(store) == after_first


def test_a_full_recheck_stopped_by_its_budget_resumes_with_no_gap_or_duplicate(late, tmp_path):
    store = _synced_before_the_reruns(late, tmp_path / "s.db")
    clean = _clean(late, tmp_path / "clean.db")
    # repository + two list pages + one re-run's jobs, then the budget is spent
    with pytest.raises(BudgetExhausted):
        _sync(late, tmp_path / "s.db", full=True, request_budget=4)
    assert [_attempt(store, i) for i in RERUN].count(2) == 1
    resumed = _sync(late, tmp_path / "s.db", full=True)
    assert resumed.changed == len(RERUN) - 1
    assert snapshot(store) == clean


def test_the_default_sync_keeps_its_request_count(late, tmp_path):
    _synced_before_the_reruns(late, tmp_path / "s.db")
    late.clear_requests()
    report = _sync(late, tmp_path / "s.db")
    assert report.not_modified and [r.status for r in late.requests] == [200, 304]
    assert "re-checked" not in report.sentence()


def test_the_cli_full_flag_rechecks_and_says_how_many_changed(late, tmp_path, monkeypatch, capsys):
    store = _synced_before_the_reruns(late, tmp_path / "s.db")
    monkeypatch.setenv("CI_MEDIC_GITHUB_TOKEN", "t0ken-for-tests")
    code = main(
        [
            "--db",
            str(tmp_path / "s.db"),
            "sync",
            FULL_NAME,
            "--base-url",
            late.base_url,
            "--days",
            "3650",
            "--full",
        ]
    )
    assert code == 0
    assert f"{RUNS} stored runs re-checked, {len(RERUN)} changed" in capsys.readouterr().out
    assert [_attempt(store, i) for i in RERUN] == [2, 2, 2]


def test_a_stopped_full_recheck_is_finished_by_the_next_plain_sync(late, tmp_path):
    store = _synced_before_the_reruns(late, tmp_path / "s.db")
    clean = _clean(late, tmp_path / "clean.db")
    with pytest.raises(BudgetExhausted):
        _sync(late, tmp_path / "s.db", full=True, request_budget=4)

    resumed = _sync(late, tmp_path / "s.db")  # no --full: the store remembers the unfinished one
    assert resumed.full and resumed.continued and resumed.changed == len(RERUN) - 1
    assert "Interrupted full re-check finished" in resumed.sentence()
    assert snapshot(store) == clean

    late.clear_requests()
    after = _sync(late, tmp_path / "s.db")  # finished: back to the two-request check
    assert after.not_modified and not after.full
    assert [r.status for r in late.requests] == [200, 304]
