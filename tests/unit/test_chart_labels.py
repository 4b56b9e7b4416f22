"""Names are data, not markup, in every chart (issue 13): plotly draws ``<a href>``, ``<b>`` and
``<span style>`` in titles, labels, legends, hover text and annotations, so a job, step,
workflow or branch named like HTML must be drawn as its characters, never as a link."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from agents.anomaly_detection.view import timeline_figure
from agents.pipeline_monitor import charts
from agents.root_cause import charts as rca_charts
from core.presentation.style import chart_text, chart_texts, empty_figure, house_layout

LINK = '<a href="https://evil.example/">open me</a>'
BOLD = "<b>big</b>"
STYLED = '<span style="font-size:80px">x</span>'
NAME = f"{LINK} {BOLD} {STYLED} & more"
DAYS = pd.to_datetime(["2024-05-01", "2024-05-02"])


def _markup(fig: go.Figure) -> list[str]:
    """The HTML tags in a figure that do not come from our own templates (<br>, <extra>)."""
    text = json.dumps(fig.to_plotly_json(), default=str)
    return [tag for tag in ("<a ", "<a>", "</a>", "<b>", "<span") if tag in text]


def _percentiles(key: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"period": DAYS, key: [NAME, NAME], "p50": [1.0, 2.0], "p95": [3.0, 4.0], "count": [4, 5]}
    )


FIGURES = {
    "runs_per_day": lambda: charts.runs_per_day_figure(
        pd.DataFrame({"day": DAYS, "outcome": [NAME, "success"], "runs": [3, 1]})
    ),
    "duration_trend": lambda: charts.duration_trend_figure(_percentiles("workflow")),
    "queue_trend": lambda: charts.queue_trend_figure(_percentiles("runner_os")),
    "slowest_jobs": lambda: charts.slowest_jobs_figure(
        pd.DataFrame({"workflow": [NAME], "job": [NAME], "median_min": [3.0], "p95_min": [5.0]})
    ),
    "slowest_steps": lambda: charts.slowest_steps_figure(
        pd.DataFrame({"job": [NAME], "step": [NAME], "mean_min": [2.0], "max_min": [4.0]})
    ),
    "success_rate_by_branch": lambda: charts.success_rate_figure(
        pd.DataFrame({"branch": [NAME], "success_rate": [0.9], "decided": [10], "failures": [1]}),
        "branch",
    ),
    "steps": lambda: charts.steps_figure(
        pd.DataFrame(
            {
                "number": [1],
                "name": [NAME],
                "conclusion": ["failure"],
                "started_at": [pd.Timestamp("2024-05-01T12:00:00Z")],
                "duration_s": [5.0],
            }
        ),
        NAME,
    ),
    "steps_empty": lambda: charts.steps_figure(pd.DataFrame(), NAME),
    "rca_cluster_days": lambda: rca_charts.cluster_days_figure(
        pd.DataFrame(
            {
                "cluster": ["aaaaaaaa"],
                "category": [NAME],
                "day": DAYS[:1],
                "occurrences": [2],
            }
        ),
        {"aaaaaaaa": NAME},
    ),
    "rca_classes": lambda: rca_charts.class_distribution_figure(
        pd.DataFrame({"category": [NAME, NAME], "transient": [False, True], "failures": [2, 1]})
    ),
    "rca_confusion": lambda: rca_charts.confusion_figure(
        pd.DataFrame([[1]], index=[NAME], columns=[NAME])
    ),
    "anomaly_timeline": lambda: timeline_figure(
        pd.DataFrame({"when": pd.to_datetime(DAYS, utc=True), "value": [60.0, 600.0]}),
        pd.DataFrame(
            {
                "created_at": ["2024-05-02T00:00:00Z"],
                "value": [600.0],
                "reason": [f"job {NAME} took 10 min"],
                "kind": ["level_shift"],
                "cause": [f"commit {NAME}"],
            }
        ),
        f"job {NAME} · duration",
    ),
    "anomaly_timeline_shared": lambda: timeline_figure(
        pd.DataFrame({"when": pd.to_datetime(DAYS, utc=True), "value": [60.0, 600.0]}),
        pd.DataFrame(columns=["created_at", "value", "reason", "kind", "cause"]),
        f"job {NAME} · duration",
        pd.DataFrame(
            {
                "created_at": ["2024-05-02T00:00:00Z"],
                "kind": ["trend"],
                "cause": [f"commit {NAME}"],
                "scope": ["job"],
                "job_name": [NAME],
            }
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_a_name_holding_html_is_no_markup_in_any_chart(name):
    fig = FIGURES[name]()

    assert _markup(fig) == []
    assert "&lt;a href" in json.dumps(fig.to_plotly_json(), default=str)  # shown, as text


def test_the_labels_read_exactly_the_original_name_once_plotly_decodes_them():
    fig = FIGURES["slowest_jobs"]()

    assert list(fig.data[0].y) == [chart_text(f"{NAME} › {NAME}")]
    assert chart_text(NAME) == (
        '&lt;a href="https://evil.example/"&gt;open me&lt;/a&gt; &lt;b&gt;big&lt;/b&gt; '
        '&lt;span style="font-size:80px"&gt;x&lt;/span&gt; &amp; more'
    )


def test_titles_and_empty_chart_sentences_are_escaped_too():
    fig = house_layout(go.Figure(), f"Steps of {LINK}", BOLD)
    empty = empty_figure(LINK, f"No steps for {LINK}.")

    assert _markup(fig) == [] and _markup(empty) == []
    assert fig.layout.title.text == "Steps of " + chart_text(LINK)


def test_plain_names_are_unchanged():
    assert chart_texts(["build (ubuntu-latest, 3.11)", "Run make › test", None, float("nan")]) == [
        "build (ubuntu-latest, 3.11)",
        "Run make › test",
        "",
        "",
    ]
    assert charts.slowest_jobs_figure(
        pd.DataFrame({"workflow": ["CI"], "job": ["build"], "median_min": [3.0], "p95_min": [5.0]})
    ).data[0].y == ("CI › build",)
