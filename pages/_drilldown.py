"""The Pipelines page's drill-down: run (filtered, newest first) -> jobs -> steps -> the job's log.

Drawn by ``pages/layer1_collection.py``; everything it shows comes from the pure read models
:mod:`agents.pipeline_monitor.drilldown` (runs, jobs, steps) and
:mod:`agents.pipeline_monitor.log_viewer` (the job's log); this module only draws them.

Selections survive reruns: a filter, a runner price or another tab redraws the page, and the
chosen run, job and error line stay chosen while they are still offered (:func:`sticky_select`
keeps them in session state, also across runs that do not draw the widget). The log is drawn
with ``st.html`` from :func:`~agents.pipeline_monitor.log_viewer.log_html`, which escapes every
piece of log text (no Markdown is ever applied to it). A link (a table's GitHub column, a link
button, the log's line numbers) is kept only when it is ``https://`` to the configured GitHub
(:func:`pages._settings.github_host`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from agents.pipeline_monitor import charts
from agents.pipeline_monitor.drilldown import (
    default_job,
    default_run,
    filter_options,
    filter_runs,
    job_steps,
    jobs_table,
    keep_choice,
    outcome_text,
    run_jobs,
    runs_table,
    steps_table,
    time_zone,
)
from agents.pipeline_monitor.log_viewer import (
    NO_LOG_MESSAGE,
    PAGE_ROWS,
    LogIndex,
    filtered_lines,
    job_page_url,
    load_log_index,
    log_html,
    log_version,
    log_window,
)
from core.presentation.links import safe_link
from core.presentation.text import plain
from core.store.db import Store
from core.workspace import Workspace
from pages._settings import DEMO_LINKS_NOTE, github_host, github_links
from pages._shell import chart, table

__all__ = ["TAB_KEY", "drill_down", "log_viewer", "remembered_tabs", "sticky_select"]

LINK = st.column_config.LinkColumn
TAB_KEY = "pipelines_tab"


def remembered_tabs(labels: Sequence[str], key: str = TAB_KEY) -> Sequence[Any]:
    """``st.tabs`` that keep the open tab across reruns (a filter, a price, a click).

    Keyed and tracked (``on_change="rerun"``): the open tab lives in ``st.session_state[key]``
    instead of only in the browser, so a rerun never falls back to the first tab.
    """
    return st.tabs(list(labels), key=key, on_change="rerun")


def sticky_select(
    label: str,
    options: Sequence[Hashable],
    fallback: Hashable,
    key: str,
    *,
    format_func: Callable[[Any], str] = str,
    **kwargs: Any,
) -> Any:
    """A select box whose choice stays while it is still offered, else shows ``fallback``.

    The choice is also kept under a second, non-widget key: Streamlit forgets a widget's state
    after a run that does not draw it (an empty filter result, another tab drawn lazily).
    """
    kept = f"_{key}_kept"
    current = st.session_state.get(key, st.session_state.get(kept))
    st.session_state[key] = keep_choice(options, current, fallback)
    value = st.selectbox(label, list(options), key=key, format_func=format_func, **kwargs)
    st.session_state[kept] = value
    return value


def viewer_time_zone() -> str:
    """The browser's time zone (UTC when the browser did not say or names an unknown zone)."""
    try:
        return time_zone(st.context.timezone)
    except Exception:  # noqa: BLE001 - no browser context (bare script, AppTest): UTC
        return "UTC"


def drill_down(workspace: Workspace, view) -> None:
    """Run (filtered, newest first) → its jobs (all attempts) → steps → the job's log."""
    tz = viewer_time_zone()
    options = filter_options(view.runs)
    columns = st.columns(3)
    chosen = {}
    for column, name in zip(columns, ("workflow", "branch", "conclusion"), strict=True):
        with column:
            chosen[name] = sticky_select(
                "Result" if name == "conclusion" else name.title(),
                options[name],
                None,
                f"drill_{name}",
                format_func=outcome_text if name == "conclusion" else str,
                index=None,
                placeholder="All",
            )
    runs = filter_runs(view.runs, **chosen, tz=tz)
    if runs.empty:
        st.info("No run matches these filters.")
        return
    labels = dict(zip(runs["run_id"].astype(int), runs["label"], strict=True))
    run_id = sticky_select(
        "Run", list(labels), default_run(runs), "drill_run", format_func=labels.get
    )
    links = github_links(workspace)
    table(
        runs_table(runs, tz),
        f"{view.repo} runs",
        "drill_runs",
        height=240,
        column_config={"GitHub": LINK("GitHub", display_text="open") if links else None},
    )
    st.caption(
        f"Times in {tz}. The run list opens on the newest finished run."
        + ("" if links else f" {DEMO_LINKS_NOTE}")
    )
    jobs = run_jobs(workspace.store, view.repo, run_id)
    st.markdown("##### Jobs of this run (every attempt)")
    table(
        jobs_table(jobs, tz),
        f"{view.repo} run {run_id} jobs",
        "drill_jobs",
        column_config={"GitHub": LINK("GitHub", display_text="open") if links else None},
    )
    if jobs.empty:
        return
    job_labels = dict(zip(jobs["job_id"].astype(int), jobs["label"], strict=True))
    job_id = sticky_select(
        "Job", list(job_labels), default_job(jobs), "drill_job", format_func=job_labels.get
    )
    steps = job_steps(workspace.store, view.repo, job_id)
    chart(charts.steps_figure(steps, job_labels[job_id]), f"job {job_id} steps", "drill_steps")
    table(steps_table(steps, tz), f"job {job_id} steps", "drill_steps_table")
    log_viewer(workspace, view.repo, job_id)


# --------------------------------------------------------------------------- log viewer


@st.cache_resource(ttl=600, max_entries=4, show_spinner="Reading the log…")
def _log_index(
    _store: Store, db_path: str, repo: str, job_id: int, version: tuple, host: str = ""
) -> LogIndex | None:
    """A job's log read once per stored version (a 20 MiB log takes about a second).

    The lines link to GitHub only when the job's link is ``https://`` to ``host``, the
    configured GitHub's web host (none in demo mode: the repository is not on github.com);
    otherwise they keep their steps but link nowhere.
    """
    index = load_log_index(_store, repo, job_id)
    if index is None or safe_link(index.job_url, host):
        return index
    return replace(index, job_url=None)


def _jumped(start_key: str) -> None:
    """An error line was picked: show its context (leave paging, search and the filter)."""
    st.session_state.pop(start_key, None)
    st.session_state["log_search"] = ""
    st.session_state["log_errors_only"] = False


def _go(start_key: str, start: int | None) -> None:
    if start is None:
        st.session_state.pop(start_key, None)
    else:
        st.session_state[start_key] = int(start)


def log_viewer(workspace: Workspace, repo: str, job_id: int) -> None:
    """The job's log: error lines to jump to (by their text), their context highlighted, folds
    for ``##[group]``s, search, paging and links to the lines on GitHub."""
    st.markdown("##### Log")
    store = workspace.store
    job_id = int(job_id)
    links = github_links(workspace)
    host = github_host(workspace)
    index = _log_index(store, str(store.path), repo, job_id, log_version(store, repo, job_id), host)
    url = safe_link(job_page_url(store, repo, job_id), host) if links else None
    if index is None:
        if url:
            st.link_button("Open this job on GitHub", url)
        st.info(NO_LOG_MESSAGE)
        return
    jump_key, start_key = f"log_jump_{job_id}", f"log_start_{job_id}"
    left, right = st.columns([3, 1])
    search = left.text_input("Search the log (plain text, any case)", key="log_search")
    errors_only = right.toggle("Error lines only", key="log_errors_only")
    errors = {error.number: error for error in index.errors}
    at = None
    if errors:
        at = sticky_select(
            f"Jump to an error ({len(errors):,} error lines)",
            list(errors),
            index.cause,
            jump_key,
            format_func=lambda number: errors[number].label,
            index=None,
            placeholder="Pick an error line to see its context",
            on_change=_jumped,
            args=(start_key,),
        )
    else:
        st.caption("No error line in this log.")
    if search or errors_only:
        window = filtered_lines(index, search=search, errors_only=errors_only)
        note = "Pick an error line above to see it in the log."
        if at is not None:
            st.button(
                f"Show line {at:,} in the log",
                key=f"{jump_key}_show",
                on_click=_jumped,
                args=(start_key,),
                help="Leaves the search and shows this error line with the lines around it",
            )
    else:
        window = log_window(index, at=at, start=st.session_state.get(start_key))
        note = "Folded groups open with a click; the ones holding an error are open."
    with st.container(horizontal=True, gap="small"):
        if url:
            st.link_button("Open this job on GitHub", url)
        line_url = safe_link(index.line_url(window.selected), host) if window.selected else None
        if line_url and line_url != url:
            st.link_button(f"Open line {window.selected:,} on GitHub", line_url)
        st.download_button(
            "Log (.txt)",
            icon=":material/download:",
            data=lambda: "\n".join(index.log.texts) + "\n",
            file_name=f"job-{job_id}.log.txt",
            mime="text/plain",
            key=f"log_txt_{job_id}",
            on_click="ignore",
            help="The stored log as plain text (ANSI codes removed)",
        )
    st.caption(f"{plain(window.message)} {note}")  # the message quotes the search text
    st.html(log_html(window))
    if not (search or errors_only):
        _pager(index, window, start_key)
    if links:
        st.caption(
            "Line numbers are the whole job log's; GitHub numbers lines per step, and the links "
            "on the numbers open the line in its step."
        )


def _pager(index: LogIndex, window, start_key: str) -> None:
    """First / earlier / later / last page buttons, and back to the chosen error."""
    last = max(0, index.total_lines - PAGE_ROWS)
    with st.container(horizontal=True, gap="small"):
        st.button(
            "« Start",
            key=f"{start_key}_first",
            disabled=window.start == 0,
            on_click=_go,
            args=(start_key, 0),
        )
        st.button(
            "◀ Earlier",
            key=f"{start_key}_earlier",
            disabled=window.earlier is None,
            on_click=_go,
            args=(start_key, window.earlier),
        )
        st.button(
            "Later ▶",
            key=f"{start_key}_later",
            disabled=window.later is None,
            on_click=_go,
            args=(start_key, window.later),
        )
        st.button(
            "End »",
            key=f"{start_key}_last",
            disabled=window.later is None,
            on_click=_go,
            args=(start_key, last),
        )
        if st.session_state.get(start_key) is not None and index.errors:
            st.button(
                "Back to the error",
                key=f"{start_key}_back",
                on_click=_go,
                args=(start_key, None),
            )
