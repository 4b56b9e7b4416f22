"""Flaky Tests against what the demo planted (``truth.json``): the acceptance of the agent.

The demo the app shows (seed 7, three months ending 2026-12-01) plants flaky tests at known
rates in known jobs, regressions on main and on feature branches (each from a commit until a
fix), and a registry outage on one day. What the agent must get right on it:

- every planted flaky test with a rate of 2% or more is judged flaky, in the job it flakes in
  (a test planted in the nightly Windows job only also runs, and never fails, in the Linux jobs
  on every push: judged on all its jobs pooled it would hardly show);
- no planted regression is called flaky, and each names the commit that introduced it as its
  culprit, whether it broke main or only a pull request's branch, and whether it was read from
  JUnit reports or, older than the reports' retention, from the failed jobs' logs;
- the outage produces no flaky verdict: its failures say nothing about any test;
- the quarantine list holds flaky tests only, each owned as the demo's CODEOWNERS says;
- Flaky Jobs calls flaky exactly the jobs that hold a planted flaky test: not the jobs that
  pull requests broke and fixed with their next push (lint, the CLI on Linux), nor one that
  only an outage failed.

The agents run once for the module, on the session's imported demo.
"""

from __future__ import annotations

import pandas as pd
import pytest

from agents.base import AgentContext
from agents.flaky_tests.agent import FlakyJobs, FlakyTests
from agents.flaky_tests.view import flaky_view, quarantine_view, selfcheck_table
from agents.runner import run_agent
from core.config import Settings
from core.sandbox.demo.generator import DEMO_REPO


@pytest.fixture(scope="module")
def judged(full_demo) -> pd.DataFrame:
    """The agent's whole answer (every test, stable ones too), indexed by test id."""
    store, _truth = full_demo
    result = run_agent(FlakyTests(), AgentContext(store, Settings(), DEMO_REPO))
    return result.findings.set_index("test_id")


@pytest.fixture(scope="module")
def judged_jobs(full_demo) -> pd.DataFrame:
    """Flaky Jobs' whole answer (every job), indexed by job name."""
    store, _truth = full_demo
    result = run_agent(FlakyJobs(), AgentContext(store, Settings(), DEMO_REPO))
    return result.findings.set_index("test_id")


@pytest.fixture(scope="module")
def truth(full_demo) -> dict:
    return full_demo[1]


def _planted_flaky(truth: dict) -> dict[str, set[str]]:
    """Each planted flaky test with a rate of 2% or more, and the jobs it was planted in."""
    planted: dict[str, set[str]] = {}
    for flaky in truth["flaky_tests"]:
        if flaky["rate"] >= 0.02:
            planted.setdefault(flaky["test_id"], set()).add(flaky["job"])
    return planted


def test_every_planted_flaky_test_with_a_rate_of_two_percent_or_more_is_judged_flaky(judged, truth):
    """The point of the agent: a test that fails now and then for no reason in the code is
    found. Every one planted here failed at least once in the history, so none is beyond
    reach (the self-check would say "no failure observed" for one that never did)."""
    planted = _planted_flaky(truth)
    assert len(planted) >= 8
    assert all(judged.loc[test, "failures"] > 0 for test in planted)
    missed = {test: judged.loc[test, "verdict"] for test in planted}
    missed = {test: verdict for test, verdict in missed.items() if verdict != "flaky"}
    assert missed == {}


def test_each_planted_flaky_test_is_named_flaky_in_a_job_it_was_planted_in(judged, truth):
    """A test is judged in each job it runs in, and the job where it flakes is named: the
    platform to look at (a Windows-only flake is no Linux problem)."""
    for test, jobs in _planted_flaky(truth).items():
        named = set(judged.loc[test, "jobs"])
        assert named and named <= jobs, (test, named, jobs)


def test_no_planted_regression_is_called_flaky(judged, truth):
    """A test that fails from a commit until a fix is broken, not flaky, also when the
    regression lived on a feature branch, whose failing pushes are interleaved in time with
    main's passing runs (followed along the branch, they are one streak)."""
    said = {
        test: judged.loc[test, "verdict"]
        for regression in truth["regressions"]
        for test in regression["tests"]
    }
    assert len(said) >= 5
    assert "flaky" not in set(said.values()), said


def test_every_planted_regression_names_the_commit_that_introduced_it(judged, truth):
    """Whoever fixes a regression needs its cause: each planted regression's tests name the
    regression's first commit as their culprit (a fixed one keeps it, with its fix, while it is
    recent)."""
    wrong = {}
    for regression in truth["regressions"]:
        for test in regression["tests"]:
            culprit = judged.loc[test, "culprit_sha"]
            if culprit != regression["introduced_sha"]:
                wrong[test] = (culprit, regression["introduced_sha"], regression["branch"])
    assert wrong == {}


def test_the_outage_day_produces_no_flaky_verdict(judged, truth):
    """An outage fails jobs for reasons that are no test's own: no test is flaky on evidence
    from that day alone."""
    day = pd.Timestamp(truth["outage"]["start"]).normalize()
    flaky = judged[judged["verdict"] == "flaky"]
    first = pd.to_datetime(flaky["first_flake"], utc=True).dt.normalize()
    last = pd.to_datetime(flaky["last_flake"], utc=True).dt.normalize()
    only_that_day = flaky.index[(first == day) & (last == day)].tolist()
    assert only_that_day == []
    outage_runs = set(truth["outage"]["runs"])
    assert not any(set(runs) and set(runs) <= outage_runs for runs in flaky["evidence_runs"])


def test_the_pages_self_check_is_right_on_every_line(full_demo, judged, truth):
    """The self-check the Flaky Tests section shows reads the stored findings (flaky and
    broken tests, not the stable ones); on this demo every line of it is right."""
    store, _ = full_demo
    table = selfcheck_table(flaky_view(store, DEMO_REPO, "flaky_tests").findings, truth)
    assert (
        len(table)
        == len(_planted_flaky(truth)) + sum(len(r["tests"]) for r in truth["regressions"]) + 1
    )
    wrong = table[~table["right"].eq(True)]
    assert wrong.empty, wrong.to_string()


def test_the_quarantine_list_holds_flaky_tests_only_owned_as_the_demos_codeowners_says(
    full_demo, judged, truth
):
    """The demo's CODEOWNERS (imported from its ``files/``) gives the backend's tests to the
    backend team, except the e2e suite inside it, which is QA's (a later line wins)."""
    store, _ = full_demo
    view = quarantine_view(store, DEMO_REPO)
    entries = view.entries.set_index("test_id")

    assert view.codeowners == ".github/CODEOWNERS" and len(entries) > 0
    assert set(judged.loc[entries.index, "verdict"]) == {"flaky"}
    assert set(entries.index) <= set(_planted_flaky(truth)) | {
        f["test_id"] for f in truth["flaky_tests"]
    }
    for test_id, entry in entries.iterrows():
        if test_id.startswith("tests.e2e."):
            assert entry["owners"] == "@acme-labs/qa", test_id
        elif test_id.startswith("tests."):
            assert entry["owners"] == "@acme-labs/backend", test_id
        if entry["owner_file"] is not None:
            assert entry["owners"], test_id  # the catch-all line owns every file


def test_flaky_jobs_are_the_jobs_that_hold_a_planted_flaky_test_and_no_others(judged_jobs, truth):
    """A job that holds a flaky test fails now and then for no reason in its code, and is found
    (re-runs of its failures that passed, failures on main the next commit did not reproduce).
    The other jobs fail too, for reasons in the code: lint and the CLI on Linux fail on pull
    requests whose next push fixed them (a fix, not a flake), lint and others broke on main for
    a while (a regression), and an outage failed a few jobs once. None of that is flakiness."""
    holding = {flaky["job"] for flaky in truth["flaky_tests"]}
    flaky = set(judged_jobs.index[judged_jobs["verdict"].eq("flaky")])
    assert len(holding) >= 5
    assert holding - flaky == set(), judged_jobs.loc[sorted(holding - flaky), ["verdict", "score"]]
    assert flaky - holding == set(), judged_jobs.loc[sorted(flaky - holding), ["verdict", "score"]]
