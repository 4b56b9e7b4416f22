"""Pipelines (Layer 1 · Collection): set the repository, collect, read the Actions history."""

import streamlit as st

from agents.actions import has_agent
from agents.pipeline_monitor import charts
from agents.pipeline_monitor.kpis import RUNNER_PRICES_USD
from core.errors import CIMedicError
from core.github.repo_names import parse_repo
from core.presentation.text import plain
from core.workspace import token_status
from pages._drilldown import drill_down, remembered_tabs
from pages._settings import price_key, remember_prices, runner_prices, shown
from pages._shell import (
    chart,
    current_period,
    current_repo,
    current_workspace,
    no_data_yet,
    pipelines,
    table,
    task_button,
)

workspace = current_workspace()
repo = current_repo(workspace)


def collection_panel() -> None:
    """Repository input (validated as typed), token status and the two background triggers.

    A trigger only queues the agent (it runs in the server's background runner): the panel at
    the top of the page shows its progress, clicks elsewhere never stop it, and a repository
    other than the current one becomes the current one.
    """
    left, right = st.columns([3, 2])
    repo_text = left.text_input(
        "Repository",
        value=repo,
        key="repo_input",
        placeholder="owner/name or https://github.com/owner/name",
    )
    right.caption("Token")
    right.caption(token_status(workspace))
    target, problem = "", "empty"
    if repo_text.strip():
        try:
            target, problem = parse_repo(repo_text), ""
        except CIMedicError as exc:
            problem = str(exc)
            st.error(plain(problem))  # quotes what was typed
    logs_ready = has_agent("log_ingester")
    one, two, three = st.columns([1, 1, 4])
    full = three.checkbox(
        "Re-check every stored run",
        key="full_recheck",
        help="A normal sync looks 3 days back. Re-runs of older runs only show up when every "
        "stored run is listed again (about one request per 100 runs). If it is "
        "interrupted, the next sync finishes it.",
    )
    with one:
        task_button(
            workspace,
            target,
            "pipeline_monitor",
            "Full re-check" if full else "Sync",
            "Sync now",
            key="sync_button",
            options={"full": True} if full else {},
            disabled=bool(problem),
            primary=True,
        )
    with two:
        task_button(
            workspace,
            target,
            "log_ingester",
            "Fetch logs",
            "Fetch logs",
            key="fetch_logs_button",
            disabled=bool(problem) or not logs_ready,
        )
    if not logs_ready:
        st.caption("Fetch logs arrives with the Log Ingester agent, which is not installed yet.")


def readable_table(frame, name: str, key: str) -> None:
    """A read model's frame with human headers, local times and empty cells for missing values."""
    data, config = shown(frame)
    table(data, name, key, column_config=config)


def price_inputs() -> dict[str, float]:
    """Per-minute list prices, editable because plans and larger runners differ; every page
    (the Overview's cost too) uses the prices set here for the rest of the session."""
    saved = runner_prices()
    with st.expander("Runner prices used for cost (USD per minute)"):
        columns = st.columns(len(RUNNER_PRICES_USD))
        prices = {
            name: column.number_input(
                name,
                min_value=0.0,
                value=float(saved[name]),
                step=0.001,
                format="%.3f",
                key=price_key(name),
            )
            for column, name in zip(columns, RUNNER_PRICES_USD, strict=True)
        }
        st.caption(
            "GitHub-hosted standard runner list prices (GitHub billing docs, 2024-2025); "
            "each job is rounded up to a whole minute. Self-hosted/unknown runners cost 0; "
            "skipped jobs never get a runner and are not billed."
        )
    remember_prices(prices)
    return prices


st.title("Pipelines")
st.caption("Layer 1 · Collection — the runs, jobs, steps and logs of the repository.")
with st.container(border=True):
    collection_panel()
prices = price_inputs()
view = pipelines(workspace, repo, current_period(), prices)
if view.window is None:
    no_data_yet(
        workspace, repo, f"No runs of {plain(repo) or 'this repository'} yet: press Sync now."
    )
    st.stop()
st.caption(f"{plain(repo)} · {view.window.label()}")
stem = f"{repo} {view.window.days}d"
activity, durations, cost, drill = remembered_tabs(
    ["Activity", "Durations", "Queue time & cost", "Run → job → step → log"]
)
with activity:
    chart(
        charts.runs_per_day_figure(view.runs_per_day),
        f"{stem} runs per day",
        "runs_day",
        view.runs_per_day,
    )
    by = st.radio("Success rate by", list(view.success), horizontal=True, key="success_by")
    chart(
        charts.success_rate_figure(view.success[by], by),
        f"{stem} success by {by}",
        "success",
        view.success[by],
    )
with durations:
    chart(
        charts.duration_trend_figure(view.duration_trend),
        f"{stem} duration trend",
        "duration",
        view.duration_trend,
    )
    jobs_column, steps_column = st.columns(2)
    with jobs_column:
        chart(charts.slowest_jobs_figure(view.slowest_jobs), f"{stem} slowest jobs", "slow_jobs")
        readable_table(view.slowest_jobs, f"{stem} slowest jobs", "slow_jobs_table")
    with steps_column:
        chart(
            charts.slowest_steps_figure(view.slowest_steps), f"{stem} slowest steps", "slow_steps"
        )
        readable_table(view.slowest_steps, f"{stem} slowest steps", "slow_steps_table")
with cost:
    chart(
        charts.queue_trend_figure(view.queue_trend), f"{stem} queue time", "queue", view.queue_trend
    )
    chart(charts.minutes_figure(view.minutes), f"{stem} minutes by OS", "minutes")
    readable_table(view.minutes, f"{stem} minutes and cost by OS", "minutes_table")
with drill:
    drill_down(workspace, view)
