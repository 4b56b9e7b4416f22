"""The Root causes section of the Intelligence page: trigger, failures, clusters, self-check.

Draws what :mod:`agents.root_cause.view` computes; every number comes from there. Log text,
summaries and suggestions are drawn as plain text (``st.text``/``st.code``/tables), never as
markdown: they quote logs, which anyone who can push a commit can write.
"""

from __future__ import annotations

import streamlit as st

from agents.root_cause import charts as rca_charts
from agents.root_cause.view import (
    NO_LOGS_MESSAGE,
    RootCauseView,
    analyse_failures,
    evaluation_view,
    failure_detail,
    filter_failures,
    filter_options,
    highlight_failing,
    root_cause_view,
)
from core.presentation.exports import csv_bytes, export_name
from pages._shell import PageContext, chart, progress_reporter, show_error, table

__all__ = ["render"]

LINK = st.column_config.LinkColumn
FAILURE_COLUMNS = {
    "created_at": st.column_config.DatetimeColumn("when", format="D MMM, HH:mm"),
    "category": "class",
    "confidence": st.column_config.NumberColumn("confidence", format="%.2f"),
    "html_url": LINK("GitHub", display_text="open job"),
    "summary": st.column_config.TextColumn("summary", width="large"),
    "suggestion": st.column_config.TextColumn("suggestion", width="large"),
    "job_id": None,
    "label": None,
}


def analyse_panel(page: PageContext, view: RootCauseView) -> RootCauseView:
    """The trigger; returns the view to draw (reloaded when the agent just ran)."""
    if not view.logs:
        st.info(NO_LOGS_MESSAGE)
        st.page_link("pages/layer1_collection.py", label="Go to Pipelines", icon="📥")
    left, right = st.columns([1, 4])
    pressed = left.button(
        "Analyse failures", key="analyse_button", type="primary", disabled=not view.logs
    )
    right.caption(
        "Reads every failed job's stored log once: the failing lines, the class, "
        "a suggestion and a fingerprint that groups the same failure across runs."
    )
    if not pressed:
        return view
    with st.status(f"Analysing the failed jobs of {page.repo}…", expanded=True) as status:
        bar = st.progress(0.0)
        try:
            result = analyse_failures(page.workspace, page.repo, progress_reporter(bar))
        except Exception as exc:  # noqa: BLE001 - shown as a sentence, never a traceback
            status.update(label="Analysing failures failed", state="error", expanded=False)
            show_error(exc)
            return view
        status.update(label=result.summary or "Done.", state="complete", expanded=False)
    st.success(result.summary or "Done.")
    return root_cause_view(page.workspace.store, page.repo)


def failures_section(page: PageContext, view: RootCauseView) -> None:
    """Filters, the failures table and one failure's log excerpt."""
    options = filter_options(view.failures)
    columns = st.columns(4)
    chosen = {
        name: column.selectbox(
            name.title(), options[name], index=None, placeholder="All", key=f"rca_{name}"
        )
        for column, name in zip(columns, ("class", "workflow", "branch", "transient"), strict=True)
    }
    failures = filter_failures(
        view.failures, chosen["class"], chosen["workflow"], chosen["branch"], chosen["transient"]
    )
    st.caption(f"{len(failures):,} of {len(view.failures):,} analysed failed jobs.")
    table(
        failures,
        f"{page.repo} root causes",
        "rca_failures",
        height=320,
        column_config=FAILURE_COLUMNS,
    )
    if failures.empty:
        return
    jobs = dict(zip(failures["label"], failures["job_id"], strict=True))
    label = st.selectbox("Failure to inspect", list(jobs), key="rca_failure")
    failure_panel(page, view, int(jobs[label]))


def failure_panel(page: PageContext, view: RootCauseView, job_id: int) -> None:
    """The excerpt with the failing rows tinted and marked, the suggestion and the evidence."""
    detail = failure_detail(page.workspace.store, view.finding(job_id))
    st.markdown("##### What failed")
    st.text(detail.summary)  # plain text: a summary quotes log lines
    if detail.job_url:
        st.link_button("Open this job on GitHub", detail.job_url)
    if not detail.found:
        st.info(detail.message)
    else:
        st.caption(detail.message)
        st.dataframe(
            highlight_failing(detail.lines),
            hide_index=True,
            width="stretch",
            key="rca_excerpt_table",
            height=min(420, 36 * (len(detail.lines) + 1)),
            column_config={
                "text": st.column_config.TextColumn("text", width="large"),
                "failing": st.column_config.CheckboxColumn("failing"),
                "github": LINK("GitHub", display_text="open line"),
            },
        )
        st.download_button(
            "⬇ CSV",
            data=lambda: csv_bytes(detail.lines),
            file_name=f"{export_name(page.repo, 'job', job_id, 'excerpt')}.csv",
            mime="text/csv",
            key="rca_excerpt_csv",
            on_click="ignore",
        )
    st.markdown("##### Suggested next step")
    st.text(detail.suggestion)
    if detail.evidence:
        st.markdown("##### Evidence (the key lines)")
        st.code("\n".join(detail.evidence), language=None)


def clusters_section(page: PageContext, view: RootCauseView) -> None:
    """Recurring failures: the clusters table, their days and the class distribution."""
    st.subheader("Clusters over time")
    chart(
        rca_charts.cluster_days_figure(view.days),
        f"{page.repo} top clusters per day",
        "rca_days",
        view.days,
    )
    table(
        view.clusters,
        f"{page.repo} failure clusters",
        "rca_clusters",
        column_config={
            "first_seen": st.column_config.DatetimeColumn("first seen", format="D MMM, HH:mm"),
            "last_seen": st.column_config.DatetimeColumn("last seen", format="D MMM, HH:mm"),
            "category": "class",
            "fingerprint": None,
            "on_default_branch": st.column_config.CheckboxColumn(
                "also failing on the default branch?"
            ),
            "example_job_id": st.column_config.NumberColumn("example job", format="%d"),
        },
    )
    chart(
        rca_charts.class_distribution_figure(view.classes),
        f"{page.repo} failure classes",
        "rca_classes",
        view.classes,
    )


def evaluation_section(page: PageContext, view: RootCauseView) -> None:
    """Demo only: how the agent does against the causes the demo generator planted."""
    evaluation = evaluation_view(page.workspace, view)
    if evaluation is None:
        return
    st.subheader("Self-evaluation against the demo's planted causes")
    st.caption(
        "Demo mode only: the demo repository was generated with known root causes; "
        "the agent never sees them. Live repositories have no such answer key."
    )
    if not evaluation.evaluated:
        st.info("No analysed failure has a planted cause yet.")
        return
    for column, (label, value) in zip(
        st.columns(4),
        (
            ("Failures evaluated", f"{evaluation.evaluated:,}"),
            ("Class accuracy", f"{evaluation.accuracy:.1%}"),
            ("Failing lines hit@5", f"{evaluation.hit_at_5:.1%}"),
            ("Transient accuracy", f"{evaluation.transient_accuracy:.1%}"),
        ),
        strict=True,
    ):
        column.metric(label, value, border=True)
    chart(
        rca_charts.confusion_figure(evaluation.confusion),
        f"{page.repo} rca confusion matrix",
        "rca_confusion",
        evaluation.confusion.reset_index(),
    )
    table(evaluation.jobs, f"{page.repo} rca self-evaluation", "rca_eval")


def render(page: PageContext) -> None:
    """The Root causes tab, top to bottom: trigger, failures, clusters, self-evaluation."""
    view = analyse_panel(page, root_cause_view(page.workspace.store, page.repo))
    if not view.analysed:
        if view.logs:
            st.info("No failure analysed yet: press Analyse failures.")
        return
    failures_section(page, view)
    clusters_section(page, view)
    evaluation_section(page, view)
