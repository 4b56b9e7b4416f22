"""Overview: KPIs versus the previous period, the health of every agent, what needs attention."""

import streamlit as st

from agents.pipeline_monitor.charts import runs_per_day_figure
from pages._shell import chart, current_period, current_repo, current_workspace, overview, table

workspace = current_workspace()
repo = current_repo(workspace)
st.title("Overview")
if not repo:
    st.info("No repository yet: set one on the Pipelines page and sync it.")
    st.page_link("pages/layer1_collection.py", label="Go to Pipelines", icon="📥")
    st.stop()

view = overview(workspace, repo, current_period())
if view.window is None:
    st.info(f"No runs of {repo} yet: sync it on the Pipelines page.")
    st.page_link("pages/layer1_collection.py", label="Go to Pipelines", icon="📥")
    st.stop()

note = "" if view.previous_complete else " (the data starts inside that period: read with care)"
st.caption(
    f"{repo} · {view.window.label()} · changes are versus the {view.window.days} days before{note}."
)
kpis = list(view.kpis.itertuples())
for row in range(0, len(kpis), 3):  # rows of three: labels and values stay whole
    for column, kpi in zip(st.columns(3), kpis[row : row + 3], strict=False):
        column.metric(
            kpi.label,
            kpi.text,
            delta=kpi.delta,
            border=True,
            delta_color={"lower": "inverse", "higher": "normal"}.get(kpi.better, "off"),
            help=f"Previous period: {kpi.previous_text}",
        )

chart(
    runs_per_day_figure(view.runs_per_day),
    f"{repo} runs per day {view.window.days}d",
    "overview_runs",
    view.runs_per_day,
)

st.subheader("Agents")
table(
    view.agents,
    f"{repo} agent status",
    "agents",
    column_config={
        "name": None,
        "last_run": st.column_config.DatetimeColumn("last run", format="D MMM YYYY, HH:mm"),
        "duration_s": st.column_config.NumberColumn("duration (s)", format="%.1f"),
    },
)
for agent in view.agents[view.agents["status"] == "error"].itertuples():
    st.error(f"{agent.agent}: {agent.error}")

st.subheader("Needs attention now")
st.markdown("**Latest failed runs and their failed jobs**")
if view.failures.empty:
    st.success("No failed runs. 🎉")
else:
    table(
        view.failures,
        f"{repo} latest failures",
        "failures",
        column_config={
            "created_at": st.column_config.DatetimeColumn("when", format="D MMM, HH:mm"),
            "run_number": st.column_config.NumberColumn("run #", format="%d"),
            "run_url": st.column_config.LinkColumn("run", display_text="open run"),
            "job_url": st.column_config.LinkColumn("job", display_text="open job"),
            "run_id": None,
            "job_id": None,
        },
    )
for title, findings in view.attention.items():
    st.markdown(f"**{title}**")
    if findings is None:
        st.caption("Not yet available: the agent that finds these is not installed yet.")
    elif findings.empty:
        st.caption("Nothing found yet (run the agent on its Layer page).")
    else:
        table(findings, f"{repo} {title}", f"attention_{title}")
