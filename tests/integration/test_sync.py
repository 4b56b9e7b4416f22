"""Pipeline Monitor against the emulator through the real PyGithub client.

Specification: a cold sync stores exactly what the dump holds within the request budget the issue
sets; a re-sync of an unchanged repository costs at most two requests; faults, interruptions and
time passing never leave duplicates or gaps: the store always ends equal to a clean sync.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from agents.pipeline_monitor.agent import sync_repository
from core.dump.files import Dump
from core.errors import BudgetExhausted
from core.sandbox.demo.generator import DEMO_REPO
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from tests.integration.conftest import ALL_HISTORY, snapshot, source_for


def _sync(emu: Emulator, db, **changes):
    store = Store(db)
    source = source_for(emu, db, **changes)
    report = sync_repository(store, source, DEMO_REPO, history=ALL_HISTORY)
    return store, report


def test_cold_sync_stores_every_run_attempt_job_and_commit(emulator, small_demo, tmp_path):
    store, report = _sync(emulator, tmp_path / "s.db")
    dump = Dump(small_demo)
    runs, attempts = list(dump.runs()), list(dump.attempts())
    assert store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1") == len(runs)
    assert store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 0") == len(attempts)
    jobs = sum(len(dump.jobs(r["id"]) or []) for r in runs)
    jobs += sum(len(dump.jobs(a["id"], a["run_attempt"]) or []) for a in attempts)
    assert store.scalar("SELECT COUNT(*) FROM jobs") == jobs
    assert store.scalar("SELECT COUNT(*) FROM commits") == len({r["head_sha"] for r in runs})
    assert store.scalar("SELECT COUNT(*) FROM steps") > jobs  # every job has several steps
    assert report.fetched_runs == len(runs)


def test_cold_sync_stays_within_the_request_budget_of_the_issue(emulator, small_demo, tmp_path):
    _store, report = _sync(emulator, tmp_path / "s.db")
    dump = Dump(small_demo)
    runs = list(dump.runs())
    attempts = len(runs) + sum(1 for _ in dump.attempts())
    shas = len({r["head_sha"] for r in runs})
    allowed = math.ceil(len(runs) / 100) + attempts + shas
    # repository + workflows + one run object per earlier attempt fit in the 2% allowance
    assert report.requests <= allowed * 1.02 + 2, (report.requests, allowed)


def test_resync_of_an_unchanged_repository_costs_at_most_two_requests(emulator, tmp_path):
    store, _ = _sync(emulator, tmp_path / "s.db")
    before = snapshot(store)
    emulator.clear_requests()
    _store, report = _sync(emulator, tmp_path / "s.db")
    assert report.not_modified and report.requests <= 2
    assert [r.status for r in emulator.requests] == [200, 304]
    assert snapshot(store) == before


def test_a_cold_sync_stores_each_page_of_runs_before_it_lists_the_next(emulator, tmp_path):
    """The sync's memory must not grow with the history: it never holds more than one page."""
    _sync(emulator, tmp_path / "s.db")
    paths = [record.path for record in emulator.requests]
    second_page = next(
        i for i, path in enumerate(paths) if "/actions/runs?" in path and "page=2" in path
    )
    assert any("/jobs" in path for path in paths[:second_page])


def test_a_run_pushed_onto_the_next_page_during_the_sync_is_fetched_once(
    emulator, small_demo, tmp_path
):
    runs = sorted(Dump(small_demo).runs(), key=lambda r: r["created_at"])
    at = lambda run: datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))  # noqa: E731
    emulator.set_now(at(runs[len(runs) // 2]))
    later = at(runs[len(runs) // 2 + 30])  # 30 new runs push page 2 down by 30

    def progress(_share: float, message: str) -> None:
        if message.startswith("Listed 100 "):
            emulator.set_now(later)

    store = Store(tmp_path / "s.db")
    report = sync_repository(
        store, source_for(emulator, tmp_path / "s.db"), DEMO_REPO, progress, ALL_HISTORY
    )
    assert report.listed > len(set(report.fetched))  # some runs were listed twice
    assert len(report.fetched) == len(set(report.fetched))
    stored = store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1")
    assert stored == len(set(report.fetched))


def test_time_passing_then_resync_equals_a_clean_sync(
    emulator, small_demo, tmp_path, clean_snapshot
):
    runs = sorted(Dump(small_demo).runs(), key=lambda r: r["created_at"])
    midpoint = datetime.fromisoformat(runs[len(runs) // 2]["created_at"].replace("Z", "+00:00"))
    emulator.set_now(midpoint)
    store, first = _sync(emulator, tmp_path / "s.db")
    assert 0 < store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1") < len(runs)
    emulator.set_now(None)
    _store, second = _sync(emulator, tmp_path / "s.db")
    assert snapshot(store) == clean_snapshot
    assert second.fetched_runs < len(runs)  # incremental: the first half is not fetched again


@pytest.mark.parametrize(
    "kind, params",
    [
        ("rate_limit", {"reset_in_s": 1}),
        ("retry_after", {"seconds": 1}),
        ("server_error", {"status": 500}),
        ("server_error", {"status": 502}),
        ("reset", {}),
        ("malformed_json", {}),
    ],
)
def test_faults_mid_sync_are_survived_and_the_store_equals_a_clean_sync(
    emulator, tmp_path, clean_snapshot, kind, params
):
    emulator.faults.add(kind, path=r"/jobs", times=3, after=20, **params)
    store, _report = _sync(emulator, tmp_path / "s.db")
    assert snapshot(store) == clean_snapshot


def test_a_sync_stopped_by_its_budget_resumes_with_no_gap_or_duplicate(
    emulator, tmp_path, clean_snapshot
):
    db = tmp_path / "s.db"
    with pytest.raises(BudgetExhausted):
        _sync(emulator, db, request_budget=120)
    store = Store(db)
    partial = store.scalar("SELECT COUNT(*) FROM runs")
    assert partial > 0
    _sync(emulator, db)
    assert snapshot(store) == clean_snapshot


@pytest.mark.parametrize("ahead", [timedelta(days=2), timedelta(days=365 * 975)])
def test_a_run_dated_in_the_future_never_hides_the_runs_synced_after_it(
    tmp_path, ahead, monkeypatch
):
    """Regression (issue 13): one future-dated run poisoned the cursor; later syncs skipped
    every new run while reporting success. The runs are hourly and end 10 hours ago (the second
    dump adds 50 runs after the first's); run 10 is dated ``ahead`` of the present (clock skew,
    a bogus year)."""
    from datetime import UTC, datetime

    from core.dump.files import DumpWriter, resolve
    from tests.integration import dump_factory
    from tests.integration.dump_factory import FULL_NAME, make_dump

    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    monkeypatch.setattr(dump_factory, "START", hour - timedelta(hours=90))
    # one instant for both dumps: run 10 is the same record in each (a second ticking over
    # between them would make it a changed run, which is another test)
    skewed = (datetime.now(UTC) + ahead).strftime("%Y-%m-%dT%H:%M:%SZ")

    def dump(folder, runs: int):
        root = make_dump(tmp_path / folder, runs=runs, with_logs=False, with_artifacts=False)
        records = list(Dump(root).runs())
        records[10]["created_at"] = records[10]["run_started_at"] = skewed
        compressed = resolve(root / "runs.jsonl").name.endswith(".gz")
        DumpWriter(root, compress=compressed).runs(records)
        return root

    def sync(root, db):
        with Emulator(root) as emu:
            store = Store(db)
            report = sync_repository(store, source_for(emu, db), FULL_NAME, history=ALL_HISTORY)
        return store, report

    before, after = dump("before", 30), dump("after", 80)
    store, _ = sync(before, tmp_path / "s.db")
    assert store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1") == 30
    store, second = sync(after, tmp_path / "s.db")

    clean, _ = sync(after, tmp_path / "clean.db")
    assert store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1") == 80
    assert snapshot(store) == snapshot(clean)
