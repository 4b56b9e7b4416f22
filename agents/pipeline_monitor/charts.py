"""Plotly figure builders: one frame in, one ``go.Figure`` out, nothing else.

Figures are built with ``plotly.graph_objects`` (not plotly express) because it is several
times faster per figure, and the pages draw up to ten of them on every rerun. Every builder
accepts an empty frame and then returns a figure that says so, so a quiet period never breaks a
page. Colours are fixed per outcome so "failure" is the same red on every chart. Names from the
data (workflows, jobs, steps, branches) are drawn through ``chart_text``: plotly reads HTML in
labels, and a job's name is no link.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from core.presentation.style import (
    OUTCOME_COLORS,
    PALETTE,
    chart_text,
    chart_texts,
    empty_figure,
    house_layout,
)

__all__ = [
    "OUTCOME_COLORS",
    "PALETTE",
    "house_layout",
    "duration_trend_figure",
    "empty_figure",
    "minutes_figure",
    "queue_trend_figure",
    "runs_per_day_figure",
    "slowest_jobs_figure",
    "slowest_steps_figure",
    "steps_figure",
    "success_rate_figure",
]

_OUTCOME_ORDER = ("success", "failure", "timed_out", "startup_failure", "cancelled", "skipped")


def _ordered(values: Iterable[str], first: Iterable[str]) -> list[str]:
    values = list(dict.fromkeys(values))
    return [v for v in first if v in values] + sorted(v for v in values if v not in first)


def runs_per_day_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars: runs per day, one colour per conclusion."""
    title = "Runs per day by conclusion"
    if frame.empty:
        return empty_figure(title)
    fig = go.Figure()
    for outcome in _ordered(frame["outcome"], _OUTCOME_ORDER):
        part = frame[frame["outcome"] == outcome]
        fig.add_bar(
            x=part["day"],
            y=part["runs"],
            name=chart_text(outcome),
            marker_color=OUTCOME_COLORS.get(outcome, "#495057"),
        )
    fig.update_layout(barmode="stack", bargap=0.15)
    return house_layout(fig, title, "runs")


def _percentile_lines(frame: pd.DataFrame, key: str, title: str, unit: str) -> go.Figure:
    """p50 solid and p95 dotted, one colour per ``key`` value, sharing a legend entry."""
    if frame.empty:
        return empty_figure(title)
    fig = go.Figure()
    for index, value in enumerate(_ordered(frame[key], ())):
        part = frame[frame[key] == value].sort_values("period")
        color = PALETTE[index % len(PALETTE)]
        label = chart_text(value)
        for stat, dash in (("p50", "solid"), ("p95", "dot")):
            fig.add_scatter(
                x=part["period"],
                y=part[stat],
                mode="lines+markers",
                name=f"{label} {stat}",
                legendgroup=label,
                line={"color": color, "dash": dash},
                marker={"size": 4},
                customdata=part["count"],
                hovertemplate=f"{label} {stat}: %{{y:.2f}} {unit}<br>%{{x|%d %b}}"
                " · %{customdata} samples<extra></extra>",
            )
    return house_layout(fig, title, unit)


def duration_trend_figure(frame: pd.DataFrame) -> go.Figure:
    """Run duration p50/p95 (minutes) per workflow over time."""
    return _percentile_lines(frame, "workflow", "Run duration per workflow (p50 / p95)", "minutes")


def queue_trend_figure(frame: pd.DataFrame) -> go.Figure:
    """Job queue time p50/p95 (seconds) per runner OS over time."""
    return _percentile_lines(
        frame, "runner_os", "Job queue time per runner OS (p50 / p95)", "seconds"
    )


def _hbars(
    labels: list[str],
    values: pd.Series,
    marks: pd.Series | None,
    title: str,
    x_title: str,
    mark_name: str,
) -> go.Figure:
    """Horizontal bars, largest on top, with an optional marker for a second statistic
    (``labels``: already through ``chart_texts``)."""
    height = max(260, 28 * len(labels) + 90)
    fig = go.Figure()
    fig.add_bar(y=labels, x=values, orientation="h", name=x_title, marker_color="#1c7ed6")
    if marks is not None:
        fig.add_scatter(
            y=labels,
            x=marks,
            mode="markers",
            name=mark_name,
            marker={"symbol": "line-ns-open", "size": 14, "color": "#d9480f", "line": {"width": 2}},
        )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title=x_title)
    return house_layout(fig, title, "", height=height)


def slowest_jobs_figure(frame: pd.DataFrame) -> go.Figure:
    """The slowest jobs by median duration, with their p95 as a tick."""
    title = "Slowest jobs (median, p95 tick)"
    if frame.empty:
        return empty_figure(title)
    labels = chart_texts(frame["workflow"].astype(str) + " › " + frame["job"].astype(str))
    return _hbars(labels, frame["median_min"], frame["p95_min"], title, "minutes", "p95")


def slowest_steps_figure(frame: pd.DataFrame) -> go.Figure:
    """The slowest steps by mean duration, with their maximum as a tick."""
    title = "Slowest steps (mean, max tick)"
    if frame.empty:
        return empty_figure(title)
    labels = chart_texts(frame["job"].astype(str) + " › " + frame["step"].astype(str))
    return _hbars(labels, frame["mean_min"], frame["max_min"], title, "minutes", "max")


def success_rate_figure(frame: pd.DataFrame, by: str) -> go.Figure:
    """Success rate per workflow / branch / event, coloured from red (0%) to green (100%).

    Each bar says how many runs it stands for ("9 of 12 runs"): 100% of 2 runs is not 100% of
    200. Runs without a verdict (cancelled, skipped, unfinished) are left out of both numbers.
    """
    title = f"Success rate by {by}"
    rated = frame.dropna(subset=["success_rate"]) if not frame.empty else frame
    if rated.empty:
        return empty_figure(title)
    decided = rated["decided"].astype(int)
    # every decided run either succeeded or failed (cancelled/skipped/neutral are undecided)
    successes = (
        rated["successes"] if "successes" in rated else decided - rated["failures"]
    ).astype(int)
    fig = go.Figure()
    fig.add_bar(
        y=chart_texts(rated[by].astype(str)),
        x=rated["success_rate"] * 100,
        orientation="h",
        marker={"color": rated["success_rate"], "colorscale": "RdYlGn", "cmin": 0.5, "cmax": 1.0},
        text=[f"{s:,} of {d:,} runs" for s, d in zip(successes, decided, strict=True)],
        textposition="auto",
        insidetextanchor="end",
        customdata=pd.DataFrame(
            {"successes": successes, "decided": decided, "failures": rated["failures"]}
        ).to_numpy(),
        hovertemplate="%{y}: %{x:.1f}% succeeded<br>%{customdata[0]:,} of %{customdata[1]:,}"
        " decided runs succeeded, %{customdata[2]:,} failed<extra></extra>",
    )
    fig.update_xaxes(range=[0, 100], title="% of decided runs that succeeded")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return house_layout(fig, title, "", height=max(260, 26 * len(rated) + 90))


def minutes_figure(frame: pd.DataFrame) -> go.Figure:
    """Billable minutes per runner OS, labelled with the cost they imply at list price."""
    title = "Billable minutes by runner OS (label: list-price cost)"
    if frame.empty:
        return empty_figure(title)
    fig = go.Figure()
    fig.add_bar(
        x=frame["runner_os"],
        y=frame["minutes"],
        text=[f"${cost:,.2f}" for cost in frame["cost_usd"]],
        textposition="outside",
        marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(frame))],
        cliponaxis=False,
    )
    return house_layout(fig, title, "minutes (rounded up per job)")


def steps_figure(steps: pd.DataFrame, job: str = "") -> go.Figure:
    """One job's steps as a timeline of bars (start offset and duration in seconds)."""
    title = f"Steps of {job}" if job else "Steps"
    timed = steps.dropna(subset=["started_at", "duration_s"]) if not steps.empty else steps
    if timed.empty:
        return empty_figure(title, "No step timings recorded for this job.")
    offset = (timed["started_at"] - timed["started_at"].min()).dt.total_seconds()
    colors = [OUTCOME_COLORS.get(str(c), "#868e96") for c in timed["conclusion"]]
    labels = chart_texts(timed["number"].astype(str) + ". " + timed["name"].astype(str))
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=timed["duration_s"],
        base=offset,
        orientation="h",
        marker_color=colors,
        hovertemplate="%{y}: %{x:.0f} s (from +%{base:.0f} s)<extra></extra>",
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title="seconds since the first step started")
    return house_layout(fig, title, "", height=max(240, 26 * len(timed) + 90))
