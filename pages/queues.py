"""Queues: what the sidecar worker publishes — backlog, sent and failed per queue, dead letters."""

import pandas as pd
import plotly.express as px
import streamlit as st

from core.presentation.style import house_layout
from core.presentation.text import plain
from core.queue.view import load_queue_page, retry_dead_letters
from pages._settings import local_timezone, shown
from pages._shell import chart, current_workspace, table

TEXT = st.column_config.TextColumn

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
zone = local_timezone()


def local(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with ``column`` in the reader's time zone (a chart's time axis)."""
    return frame.assign(**{column: frame[column].dt.tz_convert(zone)})


supervisor = page.supervisor
if supervisor is not None and supervisor.state == "failed":
    st.error(plain(supervisor.detail))  # quotes the error (an endpoint, a boto3 message)
elif supervisor is not None:
    st.caption(f"Embedded worker: {plain(supervisor.state)} · {plain(supervisor.detail)}")

a, b, c, d = st.columns(4)
a.metric("Backlog", f"{page.backlog:,}")
b.metric("In flight", f"{int(page.overview['in_flight'].sum()):,}")
c.metric("Published", f"{int(page.overview['sent_total'].sum()):,}")
d.metric("Dead letters", f"{page.dead:,}")

st.subheader("Per queue")
overview, config = shown(
    page.overview,
    {
        "queue": "Kind",
        "name": "Queue",
        "sent_kept": "Sent (still in the outbox)",
        "sent_total": "Published",
        "failed_total": "Failed attempts",
        "dead_total": "Dead letters (ever)",
        "last_error": TEXT("Last error", width="large"),
    },
)
table(overview, "queues", "queues_overview", column_config=config)

st.subheader("Over time")
if page.history.empty:
    st.info("No samples yet: the worker records one every few seconds while it runs.")
else:
    history = local(page.history, "time")
    for column, title, key in (
        ("backlog", "Backlog", "queues_backlog"),
        ("failed_total", "Failed attempts (cumulative)", "queues_failed"),
    ):
        fig = px.line(history, x="time", y=column, color="queue")
        chart(house_layout(fig, title, "messages"), f"queues {title}", key, page.history)
if not page.sent_per_minute.empty:
    fig = px.bar(local(page.sent_per_minute, "minute"), x="minute", y="sent", color="queue")
    chart(
        house_layout(fig, "Published per minute", "messages"),
        "queues published per minute",
        "queues_sent",
        page.sent_per_minute,
    )

st.subheader("Dead letters")
if page.dead_letters.empty:
    st.success("No dead letters.")
else:
    dead, config = shown(
        page.dead_letters,
        {"id": "Message #", "last_error": TEXT("Last error", width="large")},
    )
    table(dead, "dead letters", "queues_dead", column_config=config)
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

st.subheader("Last messages")
tabs = st.tabs(list(page.last_messages))
for tab, (kind, envelopes) in zip(tabs, page.last_messages.items(), strict=True):
    with tab:
        if not envelopes:
            st.caption("Nothing published to this queue yet.")
            continue
        rows = page.last_rows[kind]
        messages, config = shown(
            rows,
            {
                "event_type": "Event",
                "summary": TEXT("Summary", width="large"),
                "message_id": TEXT("Message id", width="small"),
            },
        )
        table(messages, f"last messages {kind}", f"queues_last_{kind}", column_config=config)
        for row, envelope in zip(messages.itertuples(), envelopes, strict=True):
            with st.expander(f"JSON · {row.time} · {row.event_type}"):
                st.json(envelope, expanded=True)

st.subheader("Worker health")
if page.workers.empty:
    st.info("No worker has run yet.")
else:
    workers, config = shown(
        page.workers,
        {"worker_id": "Worker", "pid": "PID", "last_error": TEXT("Last error", width="large")},
    )
    table(workers, "workers", "queues_workers", column_config=config)
