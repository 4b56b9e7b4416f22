"""Pipelines (Layer 1 · Collection): set the repository, collect, read the Actions history."""

import streamlit as st

from agents.actions import has_agent, run_collection
from agents.pipeline_monitor import charts
from agents.pipeline_monitor.kpis import RUNNER_PRICES_USD
from core.errors import CIMedicError
from core.github.repo_names import parse_repo
from core.workspace import token_status
from pages._drilldown import drill_down
from pages._shell import (
    chart,
    current_period,
    current_repo,
    current_workspace,
    pipelines,
    progress_reporter,
    show_error,
    table,
)

workspace = current_workspace()
repo = current_repo(workspace)


def collect(agent: str, verb: str, repo_text: str, options: dict | None = None) -> None:
    """Run one collection agent with live progress; a new repository becomes the current one."""
    failure = None
    with st.status(f"{verb} {repo_text}…", expanded=True) as status:
        bar = st.progress(0.0)
        try:
            result = run_collection(workspace, agent, repo_text, progress_reporter(bar), options)
        except Exception as exc:  # noqa: BLE001 - shown as a sentence, never a traceback
            failure = exc
            status.update(label=f"{verb} {repo_text} failed", state="error", expanded=False)
        else:
            status.update(label=result.summary or "Done.", state="complete")
    if failure is not None:
        show_error(failure)
        return
    if parse_repo(repo_text).lower() == repo.lower():
        st.success(result.summary or "Done.")  # the charts below are drawn from the new data
        return
    st.session_state["repo"] = parse_repo(repo_text)  # another repository: redraw everything
    st.session_state["collect_message"] = result.summary or "Done."
    st.rerun()


def collection_panel() -> None:
    """Repository input (validated as typed), token status and the two triggers."""
    if message := st.session_state.pop("collect_message", None):
        st.success(message)
    left, right = st.columns([3, 2])
    repo_text = left.text_input(
        "Repository",
        value=repo,
        key="repo_input",
        placeholder="owner/name or https://github.com/owner/name",
    )
    right.caption("Token")
    right.caption(token_status(workspace))
    problem = "" if repo_text.strip() else "empty"
    try:
        if not problem:
            parse_repo(repo_text)
    except CIMedicError as exc:
        problem = str(exc)
        st.error(problem)
    logs_ready = has_agent("log_ingester")
    one, two, three = st.columns([1, 1, 4])
    full = three.checkbox(
        "Re-check every stored run",
        key="full_recheck",
        help="A normal sync looks 3 days back. Re-runs of older runs only show up when every "
        "stored run is listed again (about one request per 100 runs). If it is "
        "interrupted, the next sync finishes it.",
    )
    if one.button("Sync now", key="sync_button", type="primary", disabled=bool(problem)):
        collect("pipeline_monitor", "Syncing", repo_text, {"full": full})
    if two.button("Fetch logs", key="fetch_logs_button", disabled=bool(problem) or not logs_ready):
        collect("log_ingester", "Fetching logs of", repo_text)
    if not logs_ready:
        st.caption("Fetch logs arrives with the Log Ingester agent, which is not installed yet.")


def price_inputs() -> dict[str, float]:
    """Per-minute list prices, editable because plans and larger runners differ."""
    with st.expander("Runner prices used for cost (USD per minute)"):
        columns = st.columns(len(RUNNER_PRICES_USD))
        prices = {
            name: column.number_input(
                name,
                min_value=0.0,
                value=float(price),
                step=0.001,
                format="%.3f",
                key=f"price_{name}",
            )
            for column, (name, price) in zip(columns, RUNNER_PRICES_USD.items(), strict=True)
        }
        st.caption(
            "GitHub-hosted standard runner list prices (GitHub billing docs, 2024-2025); "
            "each job is rounded up to a whole minute. Self-hosted/unknown runners cost 0."
        )
    return prices


st.title("Pipelines")
st.caption("Layer 1 · Collection — the runs, jobs, steps and logs of the repository.")
with st.container(border=True):
    collection_panel()
prices = price_inputs()
view = pipelines(workspace, repo, current_period(), prices)
if view.window is None:
    st.info(f"No runs of {repo or 'this repository'} yet: press Sync now.")
    st.stop()
st.caption(f"{repo} · {view.window.label()}")
stem = f"{repo} {view.window.days}d"
activity, durations, cost, drill = st.tabs(
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
        table(view.slowest_jobs, f"{stem} slowest jobs", "slow_jobs_table")
    with steps_column:
        chart(
            charts.slowest_steps_figure(view.slowest_steps), f"{stem} slowest steps", "slow_steps"
        )
        table(view.slowest_steps, f"{stem} slowest steps", "slow_steps_table")
with cost:
    chart(
        charts.queue_trend_figure(view.queue_trend), f"{stem} queue time", "queue", view.queue_trend
    )
    chart(charts.minutes_figure(view.minutes), f"{stem} minutes by OS", "minutes")
    table(view.minutes, f"{stem} minutes and cost by OS", "minutes_table")
with drill:
    drill_down(workspace, view)
