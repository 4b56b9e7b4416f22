"""The numbers the pages show: KPIs, billing, chart frames, the drill-down and the log viewer."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from agents.actions import has_agent, run_agent_on
from agents.pipeline_monitor.drilldown import (
    filter_options,
    filter_runs,
    job_steps,
    run_jobs,
)
from agents.pipeline_monitor.kpis import (
    billable_minutes,
    kpi_table,
    minutes_by_os,
    period_kpis,
    runner_prices,
    runs_per_day,
    slowest_jobs,
    success_rates,
)
from agents.pipeline_monitor.log_viewer import job_page_url, load_log_index, log_version
from agents.pipeline_monitor.view import (
    age_text,
    agent_status,
    data_version,
    latest_failures,
    load_jobs,
    overview_view,
    pipelines_view,
    repo_freshness,
    window_for,
)
from core.config import Settings
from core.dump.importer import import_path
from core.errors import ConfigError
from core.store.db import Store
from core.workspace import Workspace
from tests.integration.dump_factory import FULL_NAME, make_dump, run_id

AGENTS = [("pipeline_monitor", "Pipeline Monitor", 1)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """60 hourly runs over two workflows; every 3rd fails; run 5 has 2 attempts, run 9 has 3."""
    root = tmp_path_factory.mktemp("queries")
    # Runs 1 and 9 have no logs in the dump (import stores the logs a dump has).
    dump = make_dump(
        root / "dump",
        runs=60,
        attempts={5: 2, 9: 3},
        jobs_per_run=2,
        workflows=2,
        expired_logs=(1, 9),
    )
    store = Store(root / "q.db")
    import_path(store, dump)
    return store


def _runs(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["status", "conclusion", "duration_s", "created_at"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame.assign(workflow="CI", branch="main", event="push")


def _jobs(durations: list[float | None], oses: list[str], queues: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "duration_s": durations,
            "runner_os": oses,
            "queue_s": queues,
            "workflow": "CI",
            "job": [f"j{i}" for i in range(len(durations))],
        }
    )


# --------------------------------------------------------------------------- KPIs and billing


def test_given_cancelled_and_unfinished_runs_when_kpis_then_only_decided_runs_count():
    runs = _runs(
        [
            ("completed", "success", 60, "2024-05-01"),
            ("completed", "failure", 120, "2024-05-01"),
            ("completed", "cancelled", 5, "2024-05-02"),
            ("in_progress", None, None, "2024-05-02"),
        ]
    )

    kpis = period_kpis(runs, _jobs([], [], []))

    assert kpis["runs"] == 4
    assert kpis["failure_rate"] == pytest.approx(0.5)
    assert kpis["median_duration_s"] == 60  # completed runs: 5, 60, 120
    assert kpis["p95_queue_s"] is None


def test_given_job_durations_when_billed_then_each_job_rounds_up_to_a_whole_minute():
    minutes = billable_minutes(pd.Series([0, 1, 60, 61, 3599, None, -3]))

    assert minutes.tolist() == [0, 1, 1, 2, 60, 0, 0]


def test_given_runner_oses_when_costed_then_list_prices_apply_and_overrides_win():
    jobs = _jobs([61, 30, 600, 45], ["Linux", "Windows", "macOS", "Unknown"], [1, 2, 3, 4])

    table = minutes_by_os(jobs).set_index("runner_os")
    cheaper = minutes_by_os(jobs, {"macOS": 0.01}).set_index("runner_os")

    assert table.loc["Linux", "minutes"] == 2 and table.loc["Linux", "cost_usd"] == 0.02
    assert table.loc["Windows", "cost_usd"] == pytest.approx(0.02)
    assert table.loc["macOS", "cost_usd"] == pytest.approx(0.80)
    assert table.loc["Unknown", "cost_usd"] == 0
    assert cheaper.loc["macOS", "cost_usd"] == pytest.approx(0.10)
    assert runner_prices({"Linux": 0.006})["Linux"] == 0.006
    assert runner_prices()["Linux"] == 0.008  # the override never leaks into the table


def test_given_two_periods_when_kpi_table_then_rates_change_in_points_and_counts_in_percent():
    now = {
        "runs": 120.0,
        "failure_rate": 0.25,
        "median_duration_s": 90.0,
        "p95_queue_s": None,
        "minutes": 0.0,
        "cost_usd": 3.0,
    }
    before = {
        "runs": 100.0,
        "failure_rate": 0.20,
        "median_duration_s": 120.0,
        "p95_queue_s": 10.0,
        "minutes": 0.0,
        "cost_usd": 0.0,
    }

    table = kpi_table(now, before).set_index("kpi")

    assert table.loc["runs", "delta"] == "+20%"
    assert table.loc["failure_rate", "delta"] == "+5.0 pp"
    assert table.loc["median_duration_s", "text"] == "1.5 min"
    assert table.loc["median_duration_s", "delta"] == "-25%"
    assert table.loc["p95_queue_s", "text"] == "–" and table.loc["p95_queue_s", "delta"] is None
    assert table.loc["minutes", "delta"] is None  # 0 -> 0: no change to report
    assert table.loc["cost_usd", "delta"] == "new"
    assert table.loc["failure_rate", "better"] == "lower"


def test_given_many_branches_when_success_rates_by_branch_then_the_rest_is_grouped():
    runs = _runs(
        [("completed", "success", 1, "2024-05-01")] * 3
        + [("completed", "failure", 1, "2024-05-01")] * 3
    )
    runs["branch"] = ["main", "main", "a", "b", "c", "main"]

    rates = success_rates(runs, "branch", top=2).set_index("branch")

    assert set(rates.index) == {"main", "(other)", "a"} or set(rates.index) == {
        "main",
        "(other)",
        rates.index[-1],
    }
    assert rates.loc["main", "runs"] == 3
    assert rates.loc["main", "success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert rates["runs"].sum() == 6


def test_given_unfinished_runs_when_counted_per_day_then_they_count_under_their_status():
    runs = _runs(
        [
            ("completed", "success", 1, "2024-05-01T10:00:00Z"),
            ("queued", None, None, "2024-05-01T11:00:00Z"),
            ("completed", "failure", 1, "2024-05-02T00:30:00Z"),
        ]
    )

    per_day = runs_per_day(runs)

    assert per_day.to_dict("records") == [
        {"day": pd.Timestamp("2024-05-01"), "outcome": "queued", "runs": 1},
        {"day": pd.Timestamp("2024-05-01"), "outcome": "success", "runs": 1},
        {"day": pd.Timestamp("2024-05-02"), "outcome": "failure", "runs": 1},
    ]


def test_given_jobs_when_slowest_then_sorted_by_median_in_minutes():
    jobs = _jobs([60, 120, 600, None], ["Linux"] * 4, [0, 0, 0, 0])
    jobs["job"] = ["fast", "fast", "slow", "slow"]

    slow = slowest_jobs(jobs)

    assert slow["job"].tolist() == ["slow", "fast"]
    assert slow.loc[0, "median_min"] == 10.0 and slow.loc[1, "median_min"] == 1.5


# --------------------------------------------------------------------------- store-backed views


def test_given_a_store_when_a_period_is_chosen_then_it_ends_at_the_newest_run(store):
    window = window_for(store, FULL_NAME, 1)

    newest = store.scalar("SELECT MAX(created_at) FROM runs")
    assert window.end == pd.Timestamp(newest)
    assert window.previous.end == window.start
    assert window.end - window.start == pd.Timedelta(days=1)
    assert window_for(store, "nobody/nothing", 7) is None


def test_given_reruns_when_jobs_loaded_then_every_attempt_is_there_to_be_billed(store):
    window = window_for(store, FULL_NAME, 90)

    jobs = load_jobs(store, FULL_NAME, window)

    assert len(jobs) == store.scalar("SELECT COUNT(*) FROM jobs")
    assert set(jobs.loc[jobs["run_id"] == run_id(9), "attempt"]) == {1, 2, 3}


def test_given_a_store_when_the_pipelines_view_is_built_then_its_frames_agree(store):
    view = pipelines_view(store, FULL_NAME, 90)

    assert len(view.runs) == 60
    assert view.runs_per_day["runs"].sum() == 60
    assert view.success["workflow"]["runs"].sum() == 60
    assert view.minutes["jobs"].sum() == store.scalar("SELECT COUNT(*) FROM jobs")
    assert not view.slowest_steps.empty and not view.duration_trend.empty
    assert view.freq == "W"


def test_given_an_unknown_repository_when_views_are_built_then_they_are_empty_not_errors(store):
    assert pipelines_view(store, "nobody/nothing", 7).window is None
    view = overview_view(store, "nobody/nothing", 7, AGENTS)
    assert view.window is None and view.kpis.empty and view.failures.empty


def test_given_failed_runs_when_latest_failures_then_failed_jobs_link_to_github(store):
    failures = latest_failures(store, FULL_NAME, runs=3)

    assert failures["run_id"].nunique() == 3
    assert failures["created_at"].is_monotonic_decreasing
    assert failures["run_url"].str.startswith("https://github.com/").all()
    assert set(failures["conclusion"]) <= {"failure", "timed_out", "startup_failure"}


def test_given_agent_runs_when_status_is_read_then_last_run_per_agent_and_never_for_others(store):
    repo_id = store.repo_id(FULL_NAME)
    store.record_agent_run(repo_id, "pipeline_monitor", time.time() - 5, "error", error="old")
    store.record_agent_run(
        repo_id, "pipeline_monitor", time.time() - 1, "ok", findings=3, summary="Synced 3 runs."
    )

    status = agent_status(store, FULL_NAME, AGENTS + [("flaky_tests", "Flaky Tests", 2)])

    monitor, flaky = status.iloc[0], status.iloc[1]
    assert (monitor["status"], monitor["findings"], monitor["error"]) == ("ok", 3, "")
    assert flaky["status"] == "never run" and pd.isna(flaky["last_run"])


def test_given_unregistered_attention_agents_when_overview_then_they_are_not_available(store):
    view = overview_view(store, FULL_NAME, 7, AGENTS)

    assert view.attention == {"New anomalies": None, "Flaky tests": None}
    assert list(view.kpis["kpi"]) == [
        "runs",
        "failure_rate",
        "median_duration_s",
        "p95_queue_s",
        "minutes",
        "cost_usd",
    ]
    assert not view.runs_per_day.empty


def test_given_a_new_agent_run_when_data_version_is_read_again_then_it_changed(store):
    before = data_version(store, FULL_NAME)
    store.record_agent_run(store.repo_id(FULL_NAME), "pipeline_monitor", time.time(), "ok")

    assert data_version(store, FULL_NAME) != before


def test_given_stored_times_when_freshness_is_told_then_ages_read_naturally(store):
    now = pd.Timestamp("2024-05-02T00:00:00Z")

    assert age_text("2024-05-01T23:55:00Z", now) == "5 min ago"
    assert age_text("2024-04-29T00:00:00Z", now) == "3 days ago"
    assert age_text(None, now) == "never"
    assert repo_freshness(store, FULL_NAME)["synced"] == "Never synced."
    assert repo_freshness(store, FULL_NAME)["newest"].startswith("60 runs")


# --------------------------------------------------------------------------- drill-down


def test_given_filters_when_runs_are_filtered_then_only_matches_remain_labelled(store):
    runs = pipelines_view(store, FULL_NAME, 90).runs
    options = filter_options(runs)

    failed = filter_runs(runs, conclusion="failure")
    one_workflow = filter_runs(runs, workflow=options["workflow"][0], limit=5)

    assert set(options["conclusion"]) == {"success", "failure"}
    assert (failed["conclusion"] == "failure").all() and len(failed) == 20
    assert len(one_workflow) == 5 and one_workflow["label"].str.contains(" #").all()
    assert filter_runs(runs.head(0))["label"].empty


def test_given_a_run_with_three_attempts_when_its_jobs_are_listed_then_all_attempts_show(store):
    jobs = run_jobs(store, FULL_NAME, run_id(9))

    assert sorted(jobs["attempt"].unique()) == [1, 2, 3]
    assert jobs["attempt"].is_monotonic_decreasing
    assert (jobs["log"] == "not fetched").all()
    steps = job_steps(store, FULL_NAME, int(jobs["job_id"].iloc[0]))
    assert steps["number"].is_monotonic_increasing and len(steps) > 0


def test_given_no_stored_log_when_the_viewer_opens_then_there_is_no_index_but_a_job_link(store):
    job = int(run_jobs(store, FULL_NAME, run_id(1))["job_id"].iloc[0])

    assert load_log_index(store, FULL_NAME, job) is None
    assert log_version(store, FULL_NAME, job)[1] == job
    assert (job_page_url(store, FULL_NAME, job) or "").startswith("https://github.com/")


def test_given_a_stored_log_when_the_viewer_opens_then_it_is_indexed_with_the_jobs_link(store):
    job = int(run_jobs(store, FULL_NAME, run_id(3))["job_id"].iloc[0])

    index = load_log_index(store, FULL_NAME, job)

    assert index is not None and index.total_lines > 0
    assert index.job_url == job_page_url(store, FULL_NAME, job)
    assert len(log_version(store, FULL_NAME, job)) > 1  # the cache key follows the stored log


# --------------------------------------------------------------------------- actions


def _workspace(tmp_path: Path) -> Workspace:
    settings = Settings().with_(db_path=str(tmp_path / "a.db"), github_token="t")
    return Workspace(settings, "live", "", Store(settings.db_path))


@pytest.mark.parametrize("text", ["", "   ", "not a repo", "https://github.com/only-owner"])
def test_given_bad_repository_text_when_collecting_then_a_sentence_says_what_to_type(
    tmp_path, text
):
    with pytest.raises(ConfigError, match="owner/name"):
        run_agent_on(_workspace(tmp_path), "pipeline_monitor", text)


def test_given_the_registry_when_asked_for_agents_then_only_registered_ones_exist():
    assert has_agent("pipeline_monitor")
    assert not has_agent("no_such_agent")
