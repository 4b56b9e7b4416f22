"""Flaky Tests and Flaky Jobs on a repository with nothing to judge say what to do next, in
words that fit where the store's data come from (a fetch, or an imported dump)."""

from __future__ import annotations

from pathlib import Path

from agents.base import AgentContext
from agents.flaky_tests.agent import FlakyJobs, FlakyTests
from core.config import Settings
from core.store.db import Store
from core.store.runs import save_repository

REPO = "acme/widgets"


def test_no_test_results_says_to_fetch_reports_or_import_a_dump_holding_them(tmp_path: Path):
    store = Store(tmp_path / "store.db")
    save_repository(store, {"id": 1, "full_name": REPO})

    result = FlakyTests().run(AgentContext(store, Settings(), REPO))

    assert result.findings.empty
    assert result.summary == (
        f"No test results of {REPO} are stored yet: fetch test reports first (or import a dump "
        "that holds JUnit reports as artifacts)."
    )


def test_no_jobs_says_to_sync_the_runs_first(tmp_path: Path):
    store = Store(tmp_path / "store.db")
    save_repository(store, {"id": 1, "full_name": REPO})

    result = FlakyJobs().run(AgentContext(store, Settings(), REPO))

    assert result.findings.empty
    assert result.summary.startswith(f"No job results of {REPO} are stored yet: sync")
