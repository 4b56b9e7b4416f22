"""Flaky Tests and Flaky Jobs over a stored history: every attempt counts, verdicts stored.

Specification (issue 15): a job that failed and then passed when re-run on the same commit is
flaky (the failed attempt is kept next to the passing one); the agents write their documented
columns, and a second run with nothing new queues no message.
"""

from __future__ import annotations

from agents.base import AgentContext
from agents.flaky_tests.agent import FLAKY_COLUMNS, JOB_COLUMNS, FlakyJobs, FlakyTests
from agents.flaky_tests.view import rerun_table
from core.config import Settings
from core.dump.importer import import_path
from core.store.db import Store
from tests.integration.dump_factory import FULL_NAME, make_dump


def _store(tmp_path) -> Store:
    store = Store(tmp_path / "s.db")
    # runs 3, 7 and 11 fail in attempt 1 and pass when re-run on the same commit
    import_path(
        store, make_dump(tmp_path / "d", runs=40, attempts={3: 2, 7: 2, 11: 2}, fail_every=0)
    )
    return store


def test_a_job_that_passes_when_re_run_on_the_same_commit_is_flaky(tmp_path):
    store = _store(tmp_path)
    ctx = AgentContext(store, Settings(), FULL_NAME)

    jobs = FlakyJobs().run(ctx)

    assert tuple(jobs.findings.columns[: len(FLAKY_COLUMNS)]) == FLAKY_COLUMNS
    flaky = jobs.findings[jobs.findings["verdict"] == "flaky"]
    assert len(flaky) >= 1 and (flaky["same_sha_flips"] >= 2).all()
    again = FlakyJobs().run(ctx)
    assert again.messages == [] and len(again.findings) == len(jobs.findings)


def test_test_results_of_every_attempt_are_judged(tmp_path):
    store = _store(tmp_path)
    result = FlakyTests().run(AgentContext(store, Settings(), FULL_NAME))
    assert not result.findings.empty and result.metrics["judged"] == len(result.findings)
    assert set(result.findings["verdict"]) <= {"flaky", "broken", "stable", "insufficient_data"}


def test_a_job_whose_latest_attempt_failed_gets_its_chance_that_a_re_run_passes(tmp_path):
    store = Store(tmp_path / "s.db")
    # runs 3, 7 and 11 were rescued by a re-run; the newest run (index 39) fails
    import_path(
        store, make_dump(tmp_path / "d", runs=40, attempts={3: 2, 7: 2, 11: 2}, fail_every=40)
    )
    latest = store.frame(
        "SELECT j.name, j.conclusion FROM jobs j JOIN runs r USING (repo_id, run_id, attempt)"
        " WHERE r.created_at = (SELECT MAX(created_at) FROM runs)"
    )
    failed = set(latest.loc[latest["conclusion"] == "failure", "name"])
    assert failed, "the dump's newest run should have a failed job"

    jobs = FlakyJobs().run(AgentContext(store, Settings(), FULL_NAME)).findings

    assert tuple(jobs.columns) == JOB_COLUMNS
    chances = jobs.set_index("test_id")["rerun_pass_probability"]
    assert set(chances.dropna().index) == failed
    assert chances.dropna().between(0, 1).all()
    # the page's table reads them stored, stable jobs included (not stored as findings)
    shown = rerun_table(store, FULL_NAME)
    assert set(shown["job"]) == failed and shown["run_id"].notna().all()
    assert shown.set_index("job")["rerun_pass_probability"].to_dict() == chances.dropna().to_dict()
