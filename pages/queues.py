"""Queues: what the sidecar worker publishes — backlog, sent and failed per queue, dead letters."""

import plotly.express as px
import streamlit as st

from core.queue.view import load_queue_page, retry_dead_letters
from pages._shell import current_workspace

workspace = current_workspace()
st.title("Queues")
st.caption("Messages wait in the store's outbox until the worker publishes them to SQS.")

left, right = st.columns([3, 1])
hours = left.select_slider(
    "History",
    options=[1, 6, 24, 72],
    value=6,
    key="queues_hours",
    format_func=lambda h: f"last {h} h",
)
right.button("Refresh", key="queues_refresh")
page = load_queue_page(workspace.store, workspace.settings, hours=float(hours))

supervisor = page.supervisor
if supervisor is not None and supervisor.state == "failed":
    st.error(supervisor.detail)
elif supervisor is not None:
    st.caption(f"Embedded worker: {supervisor.state} · {supervisor.detail}")

a, b, c, d = st.columns(4)
a.metric("Backlog", f"{page.backlog:,}")
b.metric("In flight", f"{int(page.overview['in_flight'].sum()):,}")
c.metric("Published", f"{int(page.overview['sent_total'].sum()):,}")
d.metric("Dead letters", f"{page.dead:,}")

st.subheader("Per queue")
st.dataframe(page.overview, width="stretch", hide_index=True, key="queues_overview")
st.download_button(
    "Download CSV",
    page.overview.to_csv(index=False),
    "queues.csv",
    "text/csv",
    key="queues_overview_csv",
)

st.subheader("Over time")
if page.history.empty:
    st.info("No samples yet: the worker records one every few seconds while it runs.")
else:
    st.plotly_chart(
        px.line(page.history, x="time", y="backlog", color="queue", title="Backlog"),
        key="queues_backlog_chart",
    )
    st.plotly_chart(
        px.line(
            page.history,
            x="time",
            y="failed_total",
            color="queue",
            title="Failed attempts (cumulative)",
        ),
        key="queues_failed_chart",
    )
if not page.sent_per_minute.empty:
    st.plotly_chart(
        px.bar(
            page.sent_per_minute, x="minute", y="sent", color="queue", title="Published per minute"
        ),
        key="queues_sent_chart",
    )

st.subheader("Dead letters")
if page.dead_letters.empty:
    st.success("No dead letters.")
else:
    st.dataframe(page.dead_letters, width="stretch", hide_index=True, key="queues_dead")
    chosen = st.multiselect(
        "Messages to retry", page.dead_letters["id"].tolist(), key="queues_dead_pick"
    )
    retry_one, retry_all = st.columns(2)
    if retry_one.button("Retry selected", key="queues_retry_selected", disabled=not chosen):
        st.toast(f"{retry_dead_letters(workspace.store, chosen)} message(s) queued again.")
        st.rerun()
    if retry_all.button("Retry all dead letters", key="queues_retry_all", type="primary"):
        st.toast(f"{retry_dead_letters(workspace.store)} message(s) queued again.")
        st.rerun()
    st.download_button(
        "Download CSV",
        page.dead_letters.to_csv(index=False),
        "dead_letters.csv",
        "text/csv",
        key="queues_dead_csv",
    )

st.subheader("Last messages")
tabs = st.tabs(list(page.last_messages))
for tab, envelopes in zip(tabs, page.last_messages.values(), strict=True):
    with tab:
        if not envelopes:
            st.caption("Nothing published to this queue yet.")
        for envelope in envelopes:
            st.json(envelope, expanded=False)

st.subheader("Worker health")
if page.workers.empty:
    st.info("No worker has run yet.")
else:
    st.dataframe(page.workers, width="stretch", hide_index=True, key="queues_workers")
    st.download_button(
        "Download CSV",
        page.workers.to_csv(index=False),
        "workers.csv",
        "text/csv",
        key="queues_workers_csv",
    )
