"""Issue 12 on the Intelligence page: cluster legends name the failure (class and what failed),
not a fingerprint hash, and the Root causes section follows the sidebar's period."""

from __future__ import annotations

import json

import pandas as pd

from agents.pipeline_monitor.view import Window
from agents.root_cause.charts import cluster_days_figure, cluster_names
from agents.root_cause.view import RootCauseView, view_of

CART = "Test failure in `Run pytest`: FAILED tests/test_cart.py::test_total - assert 3 == 4"
NPM = "Dependency resolution in `npm ci`: npm ERR! ERESOLVE unable to resolve dependency tree"


def _findings(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(created_at, fingerprint, category, summary) per failed job."""
    return pd.DataFrame(
        [
            {
                "job_id": 100 + index,
                "created_at": created,
                "fingerprint": fingerprint,
                "category": category,
                "summary": summary,
                "job": "test",
                "workflow": "CI",
                "branch": "main",
                "prs": "",
                "confidence": 0.9,
                "transient": False,
                "suggestion": "fix it",
                "html_url": f"https://github.com/o/r/actions/runs/1/job/{100 + index}",
                "lines": "1-2",
            }
            for index, (created, fingerprint, category, summary) in enumerate(rows)
        ]
    )


def _view(findings: pd.DataFrame, period: Window | None = None) -> RootCauseView:
    return view_of("o/r", 10, findings, "main", period=period and (period.start, period.end))


FINDINGS = _findings(
    [
        ("2024-05-01T10:00:00Z", "aaaaaaaa11112222", "test_failure", CART),
        ("2024-05-02T10:00:00Z", "aaaaaaaa11112222", "test_failure", CART),
        ("2024-05-20T10:00:00Z", "bbbbbbbb33334444", "dependency_resolution", NPM),
        ("2024-05-29T10:00:00Z", "bbbbbbbb33334444", "dependency_resolution", NPM),
    ]
)


def test_given_clusters_when_named_then_the_name_is_the_class_and_what_failed():
    names = cluster_names(FINDINGS)

    assert names["aaaaaaaa"].startswith("test_failure: FAILED tests/test_cart.py::test_total")
    assert names["bbbbbbbb"].startswith("dependency_resolution: npm ERR! ERESOLVE")
    assert all(len(name) <= 60 for name in names.values())


def test_given_two_clusters_with_the_same_name_when_named_then_the_names_still_differ():
    twins = _findings(
        [
            ("2024-05-01T10:00:00Z", "aaaaaaaa11112222", "test_failure", CART),
            ("2024-05-02T10:00:00Z", "cccccccc55556666", "test_failure", CART),
        ]
    )

    names = cluster_names(twins)

    assert len(set(names.values())) == 2


def test_given_named_clusters_when_charted_then_the_legend_shows_names_not_hashes():
    view = _view(FINDINGS)

    fig = cluster_days_figure(view.days, cluster_names(FINDINGS))
    traces = json.loads(fig.to_json())["data"]

    legend = [trace["name"] for trace in traces]
    assert all(not name.startswith(("aaaaaaaa", "bbbbbbbb")) for name in legend)
    assert any(name.startswith("test_failure: FAILED") for name in legend)
    assert all("cluster %{customdata[1]}" in trace["hovertemplate"] for trace in traces)


def test_given_log_text_with_markup_when_charted_then_the_legend_shows_it_as_text():
    odd = _findings([("2024-05-01T10:00:00Z", "dddddddd", "lint", "Lint: <b>bad</b> & worse")])

    fig = cluster_days_figure(_view(odd).days, cluster_names(odd))

    assert fig.data[0].name == "lint: &lt;b&gt;bad&lt;/b&gt; &amp; worse"


def test_given_a_period_when_the_section_filters_then_only_its_failures_and_clusters_remain():
    end = pd.Timestamp("2024-05-30T00:00:00Z")
    week = Window(7, end - pd.Timedelta(days=7), end)

    view = _view(FINDINGS, week)

    assert len(view.failures) == 1 and view.failures["job_id"].tolist() == [103]
    assert view.clusters["cluster"].tolist() == ["bbbbbbbb"]
    assert view.classes["category"].tolist() == ["dependency_resolution"]
    assert set(view.days["cluster"]) == {"bbbbbbbb"} and len(view.findings) == 1
    assert view.analysed_in_all == len(FINDINGS)  # the caption's "1 of 4 analysed"


def test_given_a_period_covering_everything_when_filtered_then_nothing_is_lost():
    end = pd.Timestamp("2024-05-30T00:00:00Z")
    view = _view(FINDINGS, Window(90, end - pd.Timedelta(days=90), end))

    assert len(view.failures) == len(FINDINGS) and len(view.clusters) == 2
