"""The house style of every CI Medic chart: colours per outcome, a palette, one layout.

Shared by every agent's chart builders so that "failure" is the same red on every page and an
empty period looks the same everywhere. Plotly only: no Streamlit, no data access.
"""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = ["OUTCOME_COLORS", "PALETTE", "empty_figure", "house_layout"]

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


def house_layout(fig: go.Figure, title: str, y_title: str, height: int = 360) -> go.Figure:
    """The one look of every CI Medic chart: title, white template, legend under the plot."""
    fig.update_layout(
        title={"text": title, "x": 0.0, "font": {"size": 15}},
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0.0},
        yaxis_title=y_title,
        hovermode="closest",
    )
    return fig


def empty_figure(title: str, message: str = "No data in this period.") -> go.Figure:
    """A blank chart with a sentence, so an empty period still shows where the chart goes."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
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
