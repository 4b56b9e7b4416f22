"""The Anomalies section of the Intelligence page: trigger and sensitivity, counts, a timeline
per series with its band and change points, the table of anomalies with reasons and causes, and
the demo's self-check against what was planted.

Draws what :mod:`agents.anomaly_detection.view` computes; reasons and causes quote job, step and
commit names, so they are drawn in tables (plain text), never as markdown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agents.anomaly_detection.evaluation import evaluate_planted
from agents.anomaly_detection.view import (
    NO_ANOMALIES_MESSAGE,
    anomaly_table,
    anomaly_view,
    kind_counts,
    series_anomalies,
    series_label,
    series_options,
    series_points,
    timeline_figure,
)
from agents.root_cause.view import demo_truth
from pages._shell import PageContext, chart, no_data_yet, table, task_button

__all__ = ["render"]

TEXT = st.column_config.TextColumn


def render(page: PageContext) -> None:
    """The Anomalies tab, top to bottom: trigger, counts, timeline, table, self-check."""
    store = page.workspace.store
    view = anomaly_view(store, page.repo)
    left, middle, right = st.columns([1, 1, 3])
    sensitivity = middle.slider(
        "Sensitivity",
        0.5,
        2.0,
        1.0,
        0.1,
        key="anomaly_sensitivity",
        help="Higher finds smaller changes (and more false alarms).",
    )
    with left:
        task_button(
            page.workspace,
            page.repo,
            "anomaly_detection",
            "Anomaly detection",
            "Find anomalies",
            key="anomalies_button",
            primary=not view.searched,
            options={"sensitivity": sensitivity},
        )
    right.caption(
        "Durations per workflow, job and step, and runner queue times, each against its own "
        "past: one alert per spike, per level shift (with the change that likely caused it) "
        "and per slow drift; plus runs whose measures together are unusual."
    )
    if not view.searched:
        no_data_yet(page.workspace, page.repo, NO_ANOMALIES_MESSAGE)
        return
    anomalies = view.anomalies
    table(kind_counts(anomalies), f"{page.repo} anomaly counts", "anomaly_counts")
    options = series_options(anomalies)
    if options:
        key = st.selectbox("Series", options, format_func=series_label, key="anomaly_series")
        mine, shared = series_anomalies(anomalies, key)
        points = series_points(store, page.repo, key)
        chart(
            timeline_figure(points, mine, series_label(key), shared),
            f"{page.repo} {series_label(key)}",
            "anomaly_timeline",
            data=points,
        )
    st.markdown("##### Anomalies")
    table(
        anomaly_table(anomalies),
        f"{page.repo} anomalies",
        "anomalies_table",
        height=360,
        column_config={
            "reason": TEXT("Reason", width="large"),
            "cause": TEXT("Likely cause", width="large"),
        },
    )
    truth = demo_truth(page.workspace, page.repo)
    if truth is not None:
        st.markdown("##### Self-check against what the demo planted")
        results = evaluate_planted(anomalies, truth)
        table(
            pd.DataFrame(
                [
                    {
                        "Planted": r.planted,
                        "To find": r.expected,
                        "Found": r.found,
                        "Recall": r.recall,
                        "Flagged": r.flagged,
                        "Precision": r.precision,
                        "Detail": r.detail,
                    }
                    for r in results
                ]
            ),
            f"{page.repo} anomaly self-check",
            "anomaly_selfcheck",
        )
