"""The Root causes section of the Intelligence page: trigger, failures, clusters, self-check.

Draws what :mod:`agents.root_cause.view` computes; every number comes from there. Log text,
summaries and suggestions are drawn as plain text (``st.text``/``st.code``/tables), never as
markdown: they quote logs, which anyone who can push a commit can write.
"""

from __future__ import annotations

import streamlit as st

from agents.pipeline_monitor.view import window_for
from agents.root_cause import charts as rca_charts
from agents.root_cause.view import (
    NO_LOGS_MESSAGE,
    RootCauseView,
    evaluation_view,
    failure_detail,
    filter_failures,
    filter_options,
    highlight_failing,
    root_cause_view,
)
from core.presentation.exports import csv_bytes, export_name
from core.presentation.links import safe_link, safe_links
from pages._settings import DEMO_LINKS_NOTE, github_host, github_links, shown
from pages._shell import PageContext, chart, no_data_yet, table, task_button

__all__ = ["render"]

LINK = st.column_config.LinkColumn
TEXT = st.column_config.TextColumn
FAILURE_COLUMNS = {
    "created_at": "When",
    "category": "Class",
    "confidence": st.column_config.NumberColumn("Confidence", format="%.2f"),
    "html_url": LINK("GitHub", display_text="open job"),
    "summary": TEXT("Summary", width="large"),
    "suggestion": TEXT("Suggestion", width="large"),
    "cluster": "Cluster id",
    "job_id": None,
    "label": None,
}


def analyse_panel(page: PageContext, view: RootCauseView) -> RootCauseView:
    """The trigger (queued in the background, like every agent run); returns the view to draw."""
    if not view.logs:
        no_data_yet(page.workspace, page.repo, NO_LOGS_MESSAGE)
        st.page_link(
            "pages/layer1_collection.py", label="Go to Pipelines", icon=":material/arrow_forward:"
        )
    left, right = st.columns([1, 4])
    with left:
        task_button(
            page.workspace,
            page.repo,
            "root_cause",
            "Root cause analysis",
            "Analyse failures",
            key="analyse_button",
            disabled=not view.logs,
            primary=True,
        )
    right.caption(
        "Reads every failed job's stored log once: the failing lines, the class, "
        "a suggestion and a fingerprint that groups the same failure across runs."
    )
    return view


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
    links = github_links(page.workspace)
    drawn, config = shown(
        failures if links else failures.drop(columns=["html_url"]), FAILURE_COLUMNS
    )
    table(drawn, f"{page.repo} root causes", "rca_failures", height=320, column_config=config)
    if not links:
        st.caption(DEMO_LINKS_NOTE)
    if failures.empty:
        return
    jobs = dict(zip(failures["label"], failures["job_id"], strict=True))
    label = st.selectbox("Failure to inspect", list(jobs), key="rca_failure")
    failure_panel(page, view, int(jobs[label]))


def failure_panel(page: PageContext, view: RootCauseView, job_id: int) -> None:
    """The excerpt with the failing rows tinted and marked, the suggestion and the evidence."""
    detail = failure_detail(page.workspace.store, page.repo, view.finding(job_id))
    st.markdown("##### What failed")
    st.text(detail.summary)  # plain text: a summary quotes log lines
    links = github_links(page.workspace)
    host = github_host(page.workspace)
    job_url = safe_link(detail.job_url, host)
    if job_url and links:
        st.link_button("Open this job on GitHub", job_url)
    if not detail.found:
        st.info(detail.message)
    else:
        st.caption(detail.message)
        lines = safe_links(detail.lines, host)  # https:// to the configured GitHub, or empty
        if not links or not lines["github"].astype(bool).any():
            lines = lines.drop(columns=["github"])
        st.dataframe(
            highlight_failing(lines),
            hide_index=True,
            width="stretch",
            key="rca_excerpt_table",
            height=min(420, 36 * (len(lines) + 1)),
            column_config={
                "line": "Line",
                "step": "Step",
                "text": TEXT("Text", width="large"),
                "failing": st.column_config.CheckboxColumn("Failing"),
                "github": LINK("GitHub", display_text="open line"),
            },
        )
        st.download_button(
            "CSV",
            icon=":material/download:",
            data=lambda: csv_bytes(safe_links(detail.lines, host)),
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
    names = rca_charts.cluster_names(view.findings)
    chart(
        rca_charts.cluster_days_figure(view.days, names),
        f"{page.repo} top clusters per day",
        "rca_days",
        view.days,
    )
    clusters = view.clusters.copy()
    clusters.insert(1, "failure", clusters["cluster"].map(names))
    drawn, config = shown(
        clusters,
        {
            "cluster": "Cluster id",
            "failure": TEXT("Failure", width="large"),
            "category": "Class",
            "fingerprint": None,
            "on_default_branch": "Also failing on the default branch?",
            "example_job_id": "Example job",
        },
    )
    table(drawn, f"{page.repo} failure clusters", "rca_clusters", column_config=config)
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
    jobs, config = shown(
        evaluation.jobs, {"job_id": "Job ID", "hit@5": "Failing lines in the first 5 ranges"}
    )
    table(jobs, f"{page.repo} rca self-evaluation", "rca_eval", column_config=config)


def render(page: PageContext) -> None:
    """The Root causes tab, top to bottom: trigger, failures, clusters, self-evaluation."""
    store = page.workspace.store
    window = window_for(store, page.repo, page.days)
    period = (window.start, window.end) if window is not None else None
    view = analyse_panel(page, root_cause_view(store, page.repo, period=period))
    if not view.analysed_in_all:
        if view.logs:
            st.info("No failure analysed yet: press Analyse failures.")
        return
    if window is not None:
        st.caption(
            f"Failed jobs of the {window.label()}: {len(view.failures):,} of "
            f"{view.analysed_in_all:,} analysed. The sidebar's period chooses."
        )
    if not view.analysed:
        st.info(
            f"No analysed failure in the last {page.days} days of activity: choose a longer "
            "period in the sidebar."
        )
        return
    failures_section(page, view)
    clusters_section(page, view)
    evaluation_section(page, view)
