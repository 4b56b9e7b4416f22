"""Figures and exports: every chart builds from a frame (or an empty one) and exports offline."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from agents.pipeline_monitor import charts
from core.presentation.exports import csv_bytes, export_name, figure_html, plotly_config

DAYS = pd.to_datetime(["2024-05-01", "2024-05-01", "2024-05-02"])


def _percentiles(key: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": DAYS,
            key: ["CI", "Lint", "CI"],
            "p50": [1.0, 2.0, 1.5],
            "p95": [3.0, 4.0, 3.5],
            "count": [4, 5, 6],
        }
    )


FRAMES = {
    "runs_per_day_figure": (
        pd.DataFrame(
            {"day": DAYS, "outcome": ["success", "failure", "success"], "runs": [3, 1, 4]}
        ),
    ),
    "duration_trend_figure": (_percentiles("workflow"),),
    "queue_trend_figure": (_percentiles("runner_os"),),
    "slowest_jobs_figure": (
        pd.DataFrame({"workflow": ["CI"], "job": ["build"], "median_min": [3.0], "p95_min": [5.0]}),
    ),
    "slowest_steps_figure": (
        pd.DataFrame({"job": ["build"], "step": ["Run make"], "mean_min": [2.0], "max_min": [4.0]}),
    ),
    "success_rate_figure": (
        pd.DataFrame({"workflow": ["CI"], "success_rate": [0.9], "decided": [10], "failures": [1]}),
        "workflow",
    ),
    "minutes_figure": (
        pd.DataFrame({"runner_os": ["Linux"], "minutes": [100], "cost_usd": [0.8]}),
    ),
    "steps_figure": (
        pd.DataFrame(
            {
                "number": [1, 2],
                "name": ["Set up job", "Test"],
                "conclusion": ["success", "failure"],
                "started_at": pd.to_datetime(["2024-05-01T00:00:00Z", "2024-05-01T00:00:05Z"]),
                "duration_s": [5.0, 30.0],
            }
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_given_a_frame_when_charted_then_a_titled_figure_with_data_comes_back(name):
    fig = getattr(charts, name)(*FRAMES[name])

    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    assert len(fig.data) >= 1


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_given_an_empty_frame_when_charted_then_the_figure_says_there_is_no_data(name):
    empty = FRAMES[name][0].head(0)

    fig = getattr(charts, name)(empty, *FRAMES[name][1:])

    assert len(fig.data) == 0
    assert "No " in fig.layout.annotations[0].text


def test_given_outcomes_when_runs_are_charted_then_failure_is_always_red():
    fig = charts.runs_per_day_figure(FRAMES["runs_per_day_figure"][0])

    colors = {trace.name: trace.marker.color for trace in fig.data}
    assert colors["failure"] == charts.OUTCOME_COLORS["failure"]
    assert [trace.name for trace in fig.data] == ["success", "failure"]


def test_given_percentiles_when_charted_then_p50_and_p95_share_a_legend_group_and_colour():
    fig = charts.duration_trend_figure(_percentiles("workflow"))

    ci = [trace for trace in fig.data if trace.legendgroup == "CI"]
    assert [trace.name for trace in ci] == ["CI p50", "CI p95"]
    assert ci[0].line.color == ci[1].line.color and ci[1].line.dash == "dot"


def test_given_a_figure_when_exported_to_html_then_plotly_js_is_inlined_and_no_cdn_is_needed():
    fig = charts.minutes_figure(FRAMES["minutes_figure"][0])

    html = figure_html(fig, "Minutes <by OS>").decode("utf-8")

    assert "<title>Minutes &lt;by OS&gt;</title>" in html
    assert '<script src="http' not in html and "plotly.js" in html.lower()
    assert len(html) > 1_000_000  # the library itself travels with the chart


def test_given_a_table_when_exported_to_csv_then_it_has_a_header_and_no_index():
    frame = pd.DataFrame({"job": ["build, test"], "minutes": [3]})

    assert csv_bytes(frame) == b'job,minutes\r\n"build, test",3\r\n'


def test_given_odd_characters_when_naming_an_export_then_the_name_is_file_safe():
    assert export_name("acme-labs/shopfront", "runs per day", 30) == (
        "acme-labs_shopfront-runs_per_day-30"
    )
    assert export_name("", "/") == "ci-medic"


def test_given_a_chart_name_when_configuring_the_toolbar_then_the_camera_saves_a_named_png():
    config = plotly_config("runs-per-day")

    assert config["toImageButtonOptions"] == {
        "format": "png",
        "filename": "runs-per-day",
        "scale": 2,
    }
    assert config["displaylogo"] is False
