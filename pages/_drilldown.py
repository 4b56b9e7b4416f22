"""The Pipelines page's drill-down: run (filtered, newest first) -> jobs -> steps -> the job's log.

Drawn by ``pages/layer1_collection.py``; the numbers come from
:mod:`agents.pipeline_monitor.drilldown` (pure read model), this module only draws them.
"""

from __future__ import annotations

import streamlit as st

from agents.pipeline_monitor import charts
from agents.pipeline_monitor.drilldown import (
    filter_options,
    filter_runs,
    job_steps,
    log_view,
    run_jobs,
)
from core.workspace import Workspace
from pages._shell import chart, table

__all__ = ["drill_down"]

LINK = st.column_config.LinkColumn


def drill_down(workspace: Workspace, view) -> None:
    """Run (filtered, newest first) → its jobs (all attempts) → steps → the job's log."""
    options = filter_options(view.runs)
    columns = st.columns(3)
    chosen = {
        name: column.selectbox(
            name.title(), options[name], index=None, placeholder="All", key=f"drill_{name}"
        )
        for column, name in zip(columns, ("workflow", "branch", "conclusion"), strict=True)
    }
    runs = filter_runs(view.runs, **chosen)
    if runs.empty:
        st.info("No run matches these filters.")
        return
    run_ids = dict(zip(runs["label"], runs["run_id"], strict=True))
    run_id = run_ids[st.selectbox("Run", list(run_ids), key="drill_run")]
    table(
        runs.drop(columns="label"),
        f"{view.repo} runs",
        "drill_runs",
        height=240,
        column_config={"html_url": LINK("GitHub", display_text="open")},
    )
    jobs = run_jobs(workspace.store, run_id)
    st.markdown("##### Jobs of this run (every attempt)")
    table(
        jobs.drop(columns="label"),
        f"{view.repo} run {run_id} jobs",
        "drill_jobs",
        column_config={"html_url": LINK("GitHub", display_text="open")},
    )
    if jobs.empty:
        return
    job_ids = dict(zip(jobs["label"], jobs["job_id"], strict=True))
    job_label = st.selectbox("Job", list(job_ids), key="drill_job")
    job_id = int(job_ids[job_label])
    steps = job_steps(workspace.store, job_id)
    chart(charts.steps_figure(steps, job_label), f"job {job_id} steps", "drill_steps")
    table(steps, f"job {job_id} steps", "drill_steps_table")
    log_viewer(workspace, job_id)


def log_viewer(workspace: Workspace, job_id: int) -> None:
    """Search, error lines and a jump to one error line; text is only ever shown as text."""
    st.markdown("##### Log")
    left, middle = st.columns([3, 1])
    search = left.text_input("Search the log (plain text, any case)", key="log_search")
    errors_only = middle.toggle("Error lines only", key="log_errors_only")
    jump_key = f"log_jump_{job_id}"
    log = log_view(
        workspace.store,
        job_id,
        search=search,
        errors_only=errors_only,
        around=st.session_state.get(jump_key),
    )
    if log.job_url:
        st.link_button("Open this job on GitHub", log.job_url)
    if not log.found:
        st.info(log.message)
        return
    st.selectbox(
        "Jump to an error line",
        log.error_lines[:500],
        index=None,
        key=jump_key,
        placeholder=f"{len(log.error_lines)} error lines: pick one to see its context",
    )
    st.caption(log.message)
    table(
        log.lines,
        f"job {job_id} log",
        "log_lines",
        height=min(420, 36 * (len(log.lines) + 1)),
        column_config={
            "text": st.column_config.TextColumn("text", width="large"),
            "github": LINK("GitHub", display_text="open"),
        },
    )
