"""Overview: KPIs versus the previous period, the health of every agent, what needs attention."""

import streamlit as st

from agents.pipeline_monitor.charts import runs_per_day_figure
from agents.pipeline_monitor.view import overview_kpis
from core.presentation.text import plain
from pages._settings import DEMO_LINKS_NOTE, github_links, runner_prices, shown
from pages._shell import (
    chart,
    current_period,
    current_repo,
    current_workspace,
    no_data_yet,
    overview,
    table,
)

TO_PIPELINES = {"label": "Go to Pipelines", "icon": ":material/arrow_forward:"}
TEXT = st.column_config.TextColumn

workspace = current_workspace()
repo = current_repo(workspace)
st.title("Overview")
if not repo:
    st.info("No repository yet: set one on the Pipelines page and sync it.")
    st.page_link("pages/layer1_collection.py", **TO_PIPELINES)
    st.stop()

view = overview(workspace, repo, current_period())
if view.window is None:
    no_data_yet(workspace, repo, f"No runs of {plain(repo)} yet: sync it on the Pipelines page.")
    st.page_link("pages/layer1_collection.py", **TO_PIPELINES)
    st.stop()

note = "" if view.previous_complete else " (the data starts inside that period: read with care)"
st.caption(
    f"{plain(repo)} · {view.window.label()} · changes are versus the {view.window.days} days "
    f"before{note}."
)
# "Estimated cost" at the per-minute prices set on the Pipelines page (list prices if unset)
kpis = list(overview_kpis(view, runner_prices()).itertuples())
PRICED = " · at the runner prices set on the Pipelines page"
for row in range(0, len(kpis), 3):  # rows of three: labels and values stay whole
    for column, kpi in zip(st.columns(3), kpis[row : row + 3], strict=False):
        column.metric(
            kpi.label,
            kpi.text,
            delta=kpi.delta,
            border=True,
            delta_color={"lower": "inverse", "higher": "normal"}.get(kpi.better, "off"),
            help=f"Previous period: {kpi.previous_text}"
            + (PRICED if kpi.kpi == "cost_usd" else ""),
        )

chart(
    runs_per_day_figure(view.runs_per_day),
    f"{repo} runs per day {view.window.days}d",
    "overview_runs",
    view.runs_per_day,
)

st.subheader("Agents")
agents, config = shown(
    view.agents,
    {
        "name": None,
        "summary": TEXT("Summary", width="large"),
        "error": TEXT("Error", width="large"),
    },
)
table(agents, f"{repo} agent status", "agents", column_config=config)
for agent in view.agents[view.agents["status"] == "error"].itertuples():
    st.error(f"{plain(agent.agent)}: {plain(agent.error)}")  # the error may quote GitHub

st.subheader("Needs attention now")
if root_causes := getattr(view, "root_causes", ""):
    st.text(root_causes)  # built from stored classes: still drawn as text, never markdown
st.markdown("**Latest failed runs and their failed jobs**")
if view.failures.empty:
    st.success("No failed runs.")
else:
    links = github_links(workspace)
    failures = view.failures if links else view.failures.drop(columns=["run_url", "job_url"])
    failures, config = shown(
        failures,
        {
            "created_at": "When",
            "run_number": st.column_config.NumberColumn("Run #", format="%d"),
            "run_url": st.column_config.LinkColumn("Run", display_text="open run"),
            "job_url": st.column_config.LinkColumn("Job", display_text="open job"),
            "root_cause": "Root cause",
            "cause_summary": st.column_config.TextColumn("What failed", width="large"),
            "run_id": None,
            "job_id": None,
        },
    )
    table(failures, f"{repo} latest failures", "failures", column_config=config)
    if not links:
        st.caption(DEMO_LINKS_NOTE)
for title, findings in view.attention.items():
    st.markdown(f"**{plain(title)}**")
    if findings is None:
        st.caption("Not yet available: the agent that finds these is not installed yet.")
    elif findings.empty:
        st.caption("Nothing found yet (run the agent on its Layer page).")
    else:
        found, config = shown(findings)
        table(found, f"{repo} {title}", f"attention_{title}", column_config=config)
