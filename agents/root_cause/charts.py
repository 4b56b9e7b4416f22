"""Plotly figures of the Root causes section: one frame in, one ``go.Figure`` out.

Built with ``plotly.graph_objects`` like :mod:`agents.pipeline_monitor.charts` (faster than plotly
express on every
rerun), sharing its layout and its "say so when empty" figure, so the Intelligence page looks
like the Pipelines page and a repository without analysed failures never breaks it.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.presentation.style import PALETTE, empty_figure, house_layout

__all__ = ["class_distribution_figure", "cluster_days_figure", "confusion_figure"]

_NOT_YET = "No failure analysed yet: press Analyse failures."


def cluster_days_figure(days: pd.DataFrame) -> go.Figure:
    """Stacked bars: occurrences per day of the most frequent failure clusters.

    A cluster that keeps coming back day after day is a standing problem, not bad luck.
    """
    title = "Occurrences per day of the top failure clusters"
    if days.empty:
        return empty_figure(title, _NOT_YET)
    fig = go.Figure()
    for rank, (cluster, part) in enumerate(days.groupby("cluster", sort=False)):
        category = str(part["category"].iloc[0])
        fig.add_bar(
            x=part["day"],
            y=part["occurrences"],
            name=f"{cluster} · {category}",
            marker_color=PALETTE[rank % len(PALETTE)],
            hovertemplate=f"{cluster} ({category})<br>%{{x|%d %b}}: %{{y}} failed jobs"
            "<extra></extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.15)
    return house_layout(fig, title, "failed jobs")


def class_distribution_figure(classes: pd.DataFrame) -> go.Figure:
    """Horizontal bars per failure class, transient and persistent failures stacked."""
    title = "Failures by class (transient: a re-run is likely to pass)"
    if classes.empty:
        return empty_figure(title, _NOT_YET)
    order = list(dict.fromkeys(classes["category"]))
    fig = go.Figure()
    for transient, name, colour in (
        (False, "persistent", "#e03131"),
        (True, "transient", "#adb5bd"),
    ):
        part = classes[classes["transient"] == transient].set_index("category")
        counts = part["failures"].reindex(order).fillna(0)
        fig.add_bar(
            y=order,
            x=counts,
            orientation="h",
            name=name,
            marker_color=colour,
            hovertemplate="%{y}: %{x} " + name + " failures<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title="failed jobs")
    return house_layout(fig, title, "", height=max(260, 28 * len(order) + 110))


def confusion_figure(confusion: pd.DataFrame) -> go.Figure:
    """Heatmap of truth class (rows) against predicted class (columns), counts written in."""
    title = "Confusion matrix: planted class (rows) vs predicted class (columns)"
    if confusion.empty:
        return empty_figure(title, "No analysed failure has a planted cause.")
    values = confusion.to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=list(confusion.columns),
            y=list(confusion.index),
            colorscale="Blues",
            text=values,
            texttemplate="%{text}",
            showscale=False,
            hovertemplate="planted %{y}<br>predicted %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True, title="planted")
    fig.update_xaxes(automargin=True, title="predicted", tickangle=-30)
    return house_layout(fig, title, "planted", height=max(320, 34 * len(confusion) + 150))
