"""The periodic consistency check: GitHub's run counts against the store's, gaps filled.

Specification (issue 13): whatever made a run slip past the incremental listing, the next sync
after a day finds it by counting and fetches it, so the store ends equal to a clean sync; a
store that agrees with GitHub pays one request for the check, and a fresh check is not repeated.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.pipeline_monitor.agent import sync_repository
from agents.pipeline_monitor.consistency import find_gaps, iso
from core.sandbox.demo.generator import DEMO_REPO
from core.store.db import Store
from tests.integration.conftest import ALL_HISTORY, snapshot, source_for


def _sync(emu, db, **kwargs):
    store = Store(db)
    report = sync_repository(store, source_for(emu, db), DEMO_REPO, history=ALL_HISTORY, **kwargs)
    return store, report


def _lose_runs(store: Store, every: int) -> int:
    """Remove every ``every``-th stored run (all its attempts): a hole the cursor cannot see."""
    ids = [r[0] for r in store.query("SELECT run_id FROM runs WHERE is_latest = 1 ORDER BY 1")]
    lost = ids[::every]
    with store.transaction() as tx:
        tx.executemany("DELETE FROM runs WHERE run_id = ?", [(i,) for i in lost])
    return len(lost)


def _check_due(store: Store) -> None:
    with store.transaction() as tx:
        day_before = iso(datetime.now(UTC) - timedelta(days=2))
        tx.execute("UPDATE sync_state SET checked_at = ?", (day_before,))


@pytest.mark.parametrize("nothing_new", [True, False])
def test_runs_missing_from_the_store_are_found_by_the_daily_check_and_fetched(
    emulator, tmp_path, clean_snapshot, nothing_new
):
    db = tmp_path / "s.db"
    store, _ = _sync(emulator, db)
    lost = _lose_runs(store, every=9)
    _check_due(store)
    if not nothing_new:  # the first page changed too: the check runs after the listing
        with store.transaction() as tx:
            tx.execute("UPDATE sync_state SET runs_etag = NULL")

    _store, report = _sync(emulator, db)

    # the listing's look-back window sees the newest holes itself; the check finds the rest
    assert report.checked and report.fetched_runs == lost and report.repaired > 0
    assert report.repaired == lost or not nothing_new
    assert f"found {report.repaired} runs missing" in report.sentence()
    assert snapshot(store) == clean_snapshot


def test_a_store_that_agrees_with_github_pays_one_request_for_the_check(emulator, tmp_path):
    db = tmp_path / "s.db"
    store, _ = _sync(emulator, db)
    _check_due(store)

    _store, report = _sync(emulator, db)

    assert report.checked and report.repaired == 0 and report.not_modified
    assert report.requests == 3  # repository, the unchanged first page (304), one count
    _store, again = _sync(emulator, db)
    assert not again.checked and again.requests == 2  # checked less than a day ago


def test_a_full_recheck_always_runs_the_check(emulator, tmp_path, clean_snapshot):
    db = tmp_path / "s.db"
    store, _ = _sync(emulator, db)
    lost = _lose_runs(store, every=25)

    _store, report = _sync(emulator, db, full=True)

    assert report.checked and snapshot(store) == clean_snapshot and lost > 0


def test_gaps_are_narrowed_to_periods_of_a_day_by_halving():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=64)
    missing = [start + timedelta(days=10, hours=5), start + timedelta(days=40, hours=23)]
    asked = []

    def github(lo, hi):  # one run an hour
        asked.append((lo, hi))
        return int((hi - lo).total_seconds() // 3600)

    def stored(lo, hi):
        return int((hi - lo).total_seconds() // 3600) - sum(lo <= t < hi for t in missing)

    gaps = find_gaps(github, stored, start, end)

    assert len(gaps) == 2
    for (lo, hi), when in zip(gaps, missing, strict=True):
        assert lo <= when < hi and hi - lo <= timedelta(days=1)
    assert len(asked) <= 2 * 2 * 7  # two gaps, 64 days halved down to a day: about 2 k log2(64)
    assert find_gaps(github, lambda lo, hi: github(lo, hi), start, end) == []
