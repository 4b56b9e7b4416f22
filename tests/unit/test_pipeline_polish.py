"""Issue 12 on the Overview and Pipelines numbers: skipped jobs are not "Unknown" runners, the
Overview's cost follows the edited runner prices, and success-rate bars say how many runs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from agents.pipeline_monitor.charts import minutes_figure, success_rate_figure
from agents.pipeline_monitor.kpis import (
    SKIPPED_OS,
    UNKNOWN_OS,
    cost_usd,
    kpi_table,
    minutes_by_os,
    period_kpis,
    queue_trend,
    runner_label,
    success_rates,
)
from agents.pipeline_monitor.view import OverviewView, Window, overview_kpis


def _jobs(rows: list[tuple]) -> pd.DataFrame:
    """Jobs as load_jobs gives them: (runner_os, conclusion, duration_s, queue_s)."""
    frame = pd.DataFrame(rows, columns=["runner_os", "conclusion", "duration_s", "queue_s"])
    frame["runner_os"] = runner_label(frame["runner_os"], frame["conclusion"])
    frame["created_at"] = pd.Timestamp("2024-05-01", tz="UTC")
    return frame.assign(workflow="CI", job="build")


def _runs(conclusions: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": "completed",
            "conclusion": conclusions,
            "duration_s": 60.0,
            "created_at": pd.Timestamp("2024-05-01", tz="UTC"),
            "workflow": "CI",
        }
    )


# --------------------------------------------------------------------------- skipped jobs


def test_given_a_skipped_job_without_a_runner_when_labelled_then_it_reads_skipped_not_unknown():
    labels = runner_label(
        pd.Series(["Linux", None, None]), pd.Series(["success", "skipped", "cancelled"])
    )

    assert labels.tolist() == ["Linux", SKIPPED_OS, UNKNOWN_OS]


def test_given_skipped_jobs_when_billed_then_they_are_no_runner_os_and_cost_nothing():
    jobs = _jobs([("Linux", "success", 90, 5), (None, "skipped", 0, 0), (None, "skipped", 0, 0)])

    minutes = minutes_by_os(jobs)

    assert minutes["runner_os"].tolist() == ["Linux"]
    assert UNKNOWN_OS not in set(minutes["runner_os"]) and SKIPPED_OS not in set(
        minutes["runner_os"]
    )


def test_given_skipped_jobs_when_queue_times_are_measured_then_they_do_not_pull_them_down():
    jobs = _jobs([("Linux", "success", 90, 40), (None, "skipped", 0, 0), (None, "skipped", 0, 0)])

    kpis = period_kpis(_runs(["success"]), jobs)
    trend = queue_trend(jobs)

    assert kpis["p95_queue_s"] == pytest.approx(40)
    assert trend["runner_os"].tolist() == ["Linux"] and trend["count"].tolist() == [1]


# --------------------------------------------------------------------------- overview cost


def _overview(now_jobs: pd.DataFrame, before_jobs: pd.DataFrame) -> OverviewView:
    runs = _runs(["success", "failure"])
    end = pd.Timestamp("2024-05-02", tz="UTC")
    return OverviewView(
        "o/r",
        Window(30, end - pd.Timedelta(days=30), end),
        kpi_table(period_kpis(runs, now_jobs), period_kpis(runs, before_jobs)),
        pd.DataFrame(),
        pd.DataFrame(),
        pd.DataFrame(),
        minutes=minutes_by_os(now_jobs),
        minutes_before=minutes_by_os(before_jobs),
    )


def test_given_edited_runner_prices_when_the_overview_kpis_are_read_then_the_cost_uses_them():
    now = _jobs([("Linux", "success", 600, 1), ("macOS", "success", 120, 1)])  # 10 + 2 min
    before = _jobs([("Linux", "success", 300, 1)])  # 5 min
    view = _overview(now, before)

    listed = overview_kpis(view).set_index("kpi").loc["cost_usd"]
    edited = overview_kpis(view, {"Linux": 0.1, "macOS": 1.0}).set_index("kpi").loc["cost_usd"]

    assert listed["value"] == pytest.approx(10 * 0.008 + 2 * 0.08)  # list prices
    assert edited["value"] == pytest.approx(10 * 0.1 + 2 * 1.0)
    assert edited["previous"] == pytest.approx(5 * 0.1)
    assert edited["text"] == "$3.00" and edited["previous_text"] == "$0.50"
    assert edited["delta"] == "+500%"


def test_given_edited_prices_when_the_overview_kpis_are_read_then_the_other_kpis_stay():
    view = _overview(_jobs([("Linux", "success", 600, 7)]), _jobs([("Linux", "success", 60, 3)]))

    before = view.kpis.set_index("kpi").drop(index="cost_usd")
    after = overview_kpis(view, {"Linux": 9.0}).set_index("kpi").drop(index="cost_usd")

    pd.testing.assert_frame_equal(before, after)


def test_given_a_minutes_table_when_costed_then_unknown_runners_cost_nothing():
    minutes = pd.DataFrame({"runner_os": ["Linux", UNKNOWN_OS], "minutes": [10, 100]})

    assert cost_usd(minutes, {"Linux": 0.5}) == pytest.approx(5.0)
    assert cost_usd(pd.DataFrame()) == 0.0


# --------------------------------------------------------------------------- charts


def test_given_success_rates_when_charted_then_each_bar_says_n_of_m_runs():
    runs = _runs(["success"] * 9 + ["failure"] * 3 + ["cancelled"])

    fig = success_rate_figure(success_rates(runs, "workflow"), "workflow")
    bar = json.loads(fig.to_json())["data"][0]

    assert bar["text"] == ["9 of 12 runs"]  # the cancelled run is not decided
    assert "of" in bar["hovertemplate"] and "succeeded" in bar["hovertemplate"]


def test_given_minutes_without_skipped_jobs_when_charted_then_no_bar_is_unknown():
    jobs = _jobs([("Linux", "success", 90, 5), (None, "skipped", 0, 0)])

    fig = minutes_figure(minutes_by_os(jobs))

    assert list(fig.data[0].x) == ["Linux"]
