"""The Flaky tests section of the Intelligence page: trigger, verdict counts, the verdict split
and score distribution, the ranked table of flaky and broken tests with their evidence, the CI
minutes their re-runs cost, the clusters that flake together, one test's drill-down (its
pass/fail strip and its results with their messages), the quarantine list (owners, expiries,
releases, its JSON to download), and the demo's self-check.

Draws what :mod:`agents.flaky_tests.view` computes; test ids, job names and failure messages are
data, drawn in tables (plain text) or as escaped chart labels, never as markdown.
"""

from __future__ import annotations

import streamlit as st

from agents.flaky_tests.view import (
    cluster_table,
    drill_options,
    evidence_table,
    flaky_view,
    quarantine_view,
    rerun_table,
    score_figure,
    selfcheck_table,
    split_figure,
    strip_figure,
    verdict_split,
    verdict_table,
    wasted_figure,
    wasted_table,
    wasted_total,
)
from agents.root_cause.view import demo_truth
from core.store.flaky import test_results_of
from pages._shell import PageContext, chart, no_data_yet, table, task_button

__all__ = ["render", "render_for"]

TEXT = st.column_config.TextColumn


def render_for(page: PageContext, agent: str, what: str) -> None:
    """The section of one of the two flaky agents (tests or jobs)."""
    view = flaky_view(page.workspace.store, page.repo, agent)
    left, right = st.columns([1, 4])
    with left:
        task_button(
            page.workspace,
            page.repo,
            agent,
            f"Flaky {what}",
            f"Judge {what}",
            key=f"{agent}_button",
            primary=not view.judged,
        )
    right.caption(
        f"Every {what[:-1]} judged on its whole history: flaky (passes and fails on the same "
        "commit, or fails now and then and passes again), broken (fails since a commit: its "
        "culprit), stable; failures shared by most of a run (an outage) are not evidence."
    )
    if not view.judged:
        no_data_yet(page.workspace, page.repo, f"No {what} judged yet: press Judge {what}.")
        return
    table(view.counts, f"{page.repo} {agent} verdicts", f"{agent}_counts")
    _charts(page, view.findings, agent, what)
    table(
        verdict_table(view.findings),
        f"{page.repo} {agent}",
        f"{agent}_table",
        height=360,
        column_config={"test_id": TEXT(what[:-1].title(), width="large")},
    )
    if agent == "flaky_jobs":
        _reruns(page)
    _wasted(page, view.findings, agent, what)
    _clusters(page, view.findings, agent, what)
    if agent == "flaky_tests":
        _drill_down(page, view.findings)
        _quarantine(page)
    truth = demo_truth(page.workspace, page.repo) if agent == "flaky_tests" else None
    if truth is not None:
        st.markdown("##### Self-check against what the demo planted")
        table(
            selfcheck_table(view.findings, truth),
            f"{page.repo} flaky self-check",
            f"{agent}_selfcheck",
        )


def _charts(page: PageContext, findings, agent: str, what: str) -> None:
    """The verdict split and the score distribution, side by side."""
    split = verdict_split(findings)  # stable items are not stored: their row is left out
    left, right = st.columns(2)
    with left:
        chart(
            split_figure(split, f"Verdicts of the {what}"),
            f"{page.repo} {agent} verdict split",
            f"{agent}_split",
            data=split,
        )
    with right:
        chart(
            score_figure(findings, f"Scores of the judged {what}"),
            f"{page.repo} {agent} scores",
            f"{agent}_scores",
            data=findings.reindex(columns=["test_id", "verdict", "score"]),
        )


def _reruns(page: PageContext) -> None:
    """The jobs that just failed and the chance that re-running each one passes."""
    st.markdown("##### Just failed: will a re-run pass?")
    failed = rerun_table(page.workspace.store, page.repo)
    if failed.empty:
        st.caption("No job's latest attempt failed.")
        return
    st.caption(
        "Each job whose latest attempt failed: how often its earlier failures of about the same "
        "length passed when re-run, shrunk towards its re-run pass rate (70% for a job never "
        "re-run). High: likely a flake, re-run it; low: the re-run will likely fail the same way."
    )
    table(
        failed,
        f"{page.repo} re-run chances",
        "flaky_jobs_reruns",
        column_config={
            "job": TEXT("Job", width="medium"),
            "rerun_pass_probability": st.column_config.ProgressColumn(
                "Re-run passes", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )


def _wasted(page: PageContext, findings, agent: str, what: str) -> None:
    """The CI minutes re-runs cost: the total and the costliest items."""
    st.markdown("##### Minutes wasted by re-runs")
    total = wasted_total(findings)
    top = wasted_table(findings)
    st.caption(
        f"{total:,.1f} CI minutes in all were thrown away: the failed attempts of these {what}"
        " that a re-run replaced (shared equally where several failed in one job attempt)."
        if total
        else f"No re-run minutes recorded for these {what} (job durations unknown, or no re-runs)."
    )
    if not top.empty:
        chart(
            wasted_figure(top, f"Costliest {what} in re-run minutes"),
            f"{page.repo} {agent} minutes wasted",
            f"{agent}_wasted",
            data=top,
        )


def _clusters(page: PageContext, findings, agent: str, what: str) -> None:
    """The items that flake together (one shared cause fixes them all)."""
    clusters = cluster_table(findings)
    st.markdown("##### Flaking together")
    if clusters.empty:
        st.caption(f"No cluster: no two flaky {what} fail in the same runs often enough.")
        return
    st.caption(
        f"{len(clusters):,} cluster{'s' * (len(clusters) != 1)} of flaky {what} that fail in "
        "the same runs: a shared cause, fixed once for all of them."
    )
    table(
        clusters,
        f"{page.repo} {agent} clusters",
        f"{agent}_clusters",
        column_config={"members": TEXT("Members", width="large")},
    )


def _drill_down(page: PageContext, findings) -> None:
    """One flaky or broken test: its pass/fail strip and its recent results with messages."""
    options = drill_options(findings)
    if not options:
        return
    st.markdown("##### One test, run by run")
    test = st.selectbox(
        "Test",
        options,
        key="flaky_tests_drill",
        help="The 200 flaky or broken tests of highest score",
    )
    repo_id = page.workspace.store.repo_id(page.repo)
    if test is None or repo_id is None:
        return
    results = test_results_of(page.workspace.store, repo_id, test)
    chart(
        strip_figure(results, f"{test}: its latest {len(results):,} results"),
        f"{page.repo} {test} strip",
        "flaky_tests_strip",
        data=results,
    )
    table(
        evidence_table(results),
        f"{page.repo} {test} results",
        "flaky_tests_results",
        height=300,
        column_config={"job": TEXT("Job"), "message": TEXT("Message", width="large")},
    )


def _quarantine(page: PageContext) -> None:
    """The quarantine list: who owns each quarantined test and until when, what left and why."""
    view = quarantine_view(page.workspace.store, page.repo)
    st.markdown("##### Quarantine list")
    if not view.exists:
        st.caption("No quarantine list yet: it is made when the tests are judged.")
        return
    owners = f"owners from {view.codeowners}" if view.codeowners else "no CODEOWNERS file"
    st.caption(
        f"Flaky tests only (never a broken one), each until its expiry, then re-evaluated; "
        f"released early after enough clean runs. {len(view.entries):,} quarantined, "
        f"{len(view.released):,} released recently; {owners}; last changed {view.updated}."
    )
    table(
        view.entries,
        f"{page.repo} quarantine",
        "flaky_quarantine",
        height=300,
        column_config={"test_id": TEXT("Test", width="large"), "reason": TEXT("Reason")},
    )
    if not view.released.empty:
        st.markdown("###### Released, and why")
        table(
            view.released,
            f"{page.repo} quarantine released",
            "flaky_quarantine_released",
            column_config={"test_id": TEXT("Test", width="large"), "reason": TEXT("Reason")},
        )
    st.download_button(
        "quarantine.json",
        icon=":material/download:",
        data=view.json,
        file_name="quarantine.json",
        mime="application/json",
        key="flaky_quarantine_json",
        on_click="ignore",
        help="The list as JSON, to commit to the repository or hand to a CI job",
    )


def render(page: PageContext) -> None:
    render_for(page, "flaky_tests", "tests")
