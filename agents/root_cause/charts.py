"""Plotly figures of the Root causes section: one frame in, one ``go.Figure`` out.

Built with ``plotly.graph_objects`` like :mod:`agents.pipeline_monitor.charts` (faster than plotly
express on every
rerun), sharing its layout and its "say so when empty" figure, so the Intelligence page looks
like the Pipelines page and a repository without analysed failures never breaks it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from core.presentation.style import PALETTE, chart_text, chart_texts, empty_figure, house_layout

__all__ = [
    "class_distribution_figure",
    "cluster_days_figure",
    "cluster_names",
    "confusion_figure",
]

_NOT_YET = "No failure analysed yet: press Analyse failures."
_NAME_CHARS = 60  # a legend entry stays one readable line


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cluster_names(findings: pd.DataFrame, limit: int = _NAME_CHARS) -> dict[str, str]:
    """A readable name per cluster (its 8-character fingerprint, as in ``cluster_days``): the
    class and what failed, from the cluster's most frequent summary, e.g.
    ``test_failure: FAILED tests/test_cart.py::test_total - assert 3 == 4``.

    The summary's leading "<kind> in `<step>`:" is dropped (the class says it); names that
    would collide get the fingerprint appended, so two legend entries never read the same.
    """
    if findings.empty or "fingerprint" not in findings:
        return {}
    frame = pd.DataFrame(
        {
            "cluster": findings["fingerprint"].astype(str).str[:8],
            "category": findings["category"].fillna("unknown").astype(str),
            "summary": findings["summary"].fillna("").astype(str) if "summary" in findings else "",
        }
    )
    names: dict[str, str] = {}
    for cluster, part in frame.groupby("cluster", sort=False):
        summary = part["summary"].value_counts().index[0] if part["summary"].any() else ""
        what = summary.split(": ", 1)[1] if ": " in summary else summary.rstrip(".")
        category = part["category"].iloc[0]
        names[str(cluster)] = _short(f"{category}: {what}" if what else category, limit)
    seen = pd.Series(list(names.values())).value_counts()
    return {
        cluster: f"{name} ({cluster})" if seen[name] > 1 else name
        for cluster, name in names.items()
    }


def cluster_days_figure(days: pd.DataFrame, names: Mapping[str, str] | None = None) -> go.Figure:
    """Stacked bars: occurrences per day of the most frequent failure clusters.

    A cluster that keeps coming back day after day is a standing problem, not bad luck. The
    legend names each cluster by ``names`` (:func:`cluster_names`: its class and what failed);
    the fingerprint is only in the hover text, for finding the cluster in the table.
    """
    title = "Occurrences per day of the top failure clusters"
    if days.empty:
        return empty_figure(title, _NOT_YET)
    names = names or {}
    fig = go.Figure()
    for rank, (cluster, part) in enumerate(days.groupby("cluster", sort=False)):
        category = str(part["category"].iloc[0])
        # log text is data: plotly reads tags and entities in names, so escape them
        name = chart_text(names.get(str(cluster)) or f"{category} ({cluster})")
        fig.add_bar(
            x=part["day"],
            y=part["occurrences"],
            name=name,
            marker_color=PALETTE[rank % len(PALETTE)],
            customdata=[[name, str(cluster)]] * len(part),
            hovertemplate="%{customdata[0]}<br>cluster %{customdata[1]}"
            "<br>%{x|%d %b}: %{y} failed jobs<extra></extra>",
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
            y=chart_texts(order),
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
            x=chart_texts(confusion.columns),
            y=chart_texts(confusion.index),
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
