"""The house style of every CI Medic chart: colours per outcome, a palette, one layout.

Shared by every agent's chart builders so that "failure" is the same red on every page and an
empty period looks the same everywhere. Plotly only: no Streamlit, no data access.

Plotly draws a subset of HTML in every text it shows (titles, axis and tick labels, legend
entries, hover text, bar text, annotations): ``<a href>`` is a link, ``<b>``, ``<br>`` and
``<span style>`` format. A job, step, workflow or branch name is data, not markup, so every text
that comes from data goes through :func:`chart_text` (or :func:`chart_texts` for a column);
plotly shows the escaped text as exactly the original characters. Titles and the empty chart's
sentence are escaped by :func:`house_layout` and :func:`empty_figure` themselves.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import plotly.graph_objects as go

__all__ = [
    "OUTCOME_COLORS",
    "PALETTE",
    "chart_text",
    "chart_texts",
    "empty_figure",
    "house_layout",
]

OUTCOME_COLORS: dict[str, str] = {
    "success": "#2f9e44",
    "failure": "#e03131",
    "timed_out": "#f08c00",
    "startup_failure": "#a61e4d",
    "cancelled": "#adb5bd",
    "skipped": "#dee2e6",
    "neutral": "#868e96",
    "action_required": "#7048e8",
    "stale": "#ced4da",
    "in_progress": "#4dabf7",
    "queued": "#a5d8ff",
    "waiting": "#74c0fc",
}
PALETTE = (
    "#1c7ed6",
    "#d9480f",
    "#2b8a3e",
    "#862e9c",
    "#e67700",
    "#0b7285",
    "#c2255c",
    "#5c940d",
    "#364fc7",
    "#495057",
)


def chart_text(value: object) -> str:
    """``value`` as text plotly shows literally (``&``, ``<`` and ``>`` escaped; None and NaN
    are empty): ``<a href="https://evil/">x</a>`` is drawn as those characters, never a link."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=False)


def chart_texts(values: Iterable[object]) -> list[str]:
    """:func:`chart_text` of each value (a column of names as category labels)."""
    return [chart_text(value) for value in values]


def house_layout(fig: go.Figure, title: str, y_title: str, height: int = 360) -> go.Figure:
    """The one look of every CI Medic chart: title, white template, legend under the plot.

    ``title`` and ``y_title`` are plain text (escaped here: a title may quote a job's name)."""
    fig.update_layout(
        title={"text": chart_text(title), "x": 0.0, "font": {"size": 15}},
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0.0},
        yaxis_title=chart_text(y_title),
        hovermode="closest",
    )
    return fig


def empty_figure(title: str, message: str = "No data in this period.") -> go.Figure:
    """A blank chart with a sentence, so an empty period still shows where the chart goes."""
    fig = go.Figure()
    fig.add_annotation(
        text=chart_text(message),
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 14, "color": "#868e96"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return house_layout(fig, title, "", height=240)
