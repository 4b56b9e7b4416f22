"""The hot queries' plans: every lookup through an index, nothing that grows with the square of
the history (issue: 100k runs on one machine). SQLite's ``EXPLAIN QUERY PLAN`` on an empty store
shows the plan it will use on a full one."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.store import ingest
from core.store.db import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "plans.db")


def _plan(store: Store, sql: str, params: dict | tuple) -> list[str]:
    return [str(row[3]) for row in store.query("EXPLAIN QUERY PLAN " + sql, params)]


def test_finding_the_jobs_whose_logs_to_fetch_never_scans_the_jobs_table(store: Store):
    """Per failed job its last green predecessor is read backwards from the failure through
    (repo_id, name, started_at); an automatic index would be rebuilt on every call."""
    plan = _plan(store, ingest._LOG_JOBS_SQL, {"repo": 1, "all_jobs": 0})
    assert not [step for step in plan if "AUTOMATIC" in step], plan
    scans = [step for step in plan if step.startswith("SCAN") and "jobs" in step]
    assert not scans, plan
    assert any("jobs_repo_name (repo_id=? AND name=? AND started_at<?)" in s for s in plan), plan


def test_counting_each_runs_tests_walks_the_primary_key_instead_of_sorting_every_test_row(
    store: Store,
):
    from core.store.features import _TESTS_SQL

    plan = _plan(store, _TESTS_SQL, (1,))
    assert any("test_results USING INDEX sqlite_autoindex_test_results_1" in s for s in plan), plan
