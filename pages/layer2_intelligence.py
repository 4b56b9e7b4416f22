"""Intelligence (Layer 2): one tab per registered Layer-2 agent, drawn by its page section.

The tabs come from the agent registry (:mod:`agents.registry`); each tab is the agent's section,
``pages/sections/<agent>.py``, which draws what the agent's read model (``agents/<agent>/view.py``)
computes. Adding an agent adds its tab: nothing here names an agent.
"""

import streamlit as st

from pages._shell import (
    PageContext,
    agent_sections,
    current_period,
    current_repo,
    current_workspace,
)

workspace = current_workspace()
repo = current_repo(workspace)
NO_SECTION = "This agent has no page section yet; its findings are in `ci-medic analyze`'s CSVs."

st.title("Intelligence")
st.caption("Layer 2 · Intelligence — what the analysis agents found in the history.")
if not repo:
    st.info("No repository yet: set one on the Pipelines page and sync it.")
    st.page_link(
        "pages/layer1_collection.py", label="Go to Pipelines", icon=":material/arrow_forward:"
    )
    st.stop()
sections = agent_sections(layer=2)
page = PageContext(workspace, repo, current_period())
# Stateful tabs (``on_change="rerun"``): only the open tab's section runs, so a render costs one
# agent's view, not all six (the six together took 13 s on an 11k-run history).
tabs = st.tabs([title for title, _ in sections], key="intelligence_tab", on_change="rerun")
for tab, (_title, render) in zip(tabs, sections, strict=True):
    if not tab.open:
        continue
    with tab:
        if render is None:
            st.info(NO_SECTION)
        else:
            render(page)
