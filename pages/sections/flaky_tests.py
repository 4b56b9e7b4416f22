"""The Flaky tests section of the Intelligence page: trigger, verdict counts, the ranked table of
flaky and broken tests with their evidence, the quarantine list (owners, expiries, releases,
its JSON to download), and the demo's self-check.

Draws what :mod:`agents.flaky_tests.view` computes; test ids and commit messages are data, drawn
in tables (plain text), never as markdown.
"""

from __future__ import annotations

import streamlit as st

from agents.flaky_tests.view import (
    flaky_view,
    quarantine_view,
    selfcheck_table,
    verdict_table,
)
from agents.root_cause.view import demo_truth
from pages._shell import PageContext, no_data_yet, table, task_button

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
    table(
        verdict_table(view.findings),
        f"{page.repo} {agent}",
        f"{agent}_table",
        height=360,
        column_config={"test_id": TEXT(what[:-1].title(), width="large")},
    )
    if agent == "flaky_tests":
        _quarantine(page)
    truth = demo_truth(page.workspace, page.repo) if agent == "flaky_tests" else None
    if truth is not None:
        st.markdown("##### Self-check against what the demo planted")
        table(
            selfcheck_table(view.findings, truth),
            f"{page.repo} flaky self-check",
            f"{agent}_selfcheck",
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
