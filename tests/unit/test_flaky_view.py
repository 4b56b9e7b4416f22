"""What the Flaky Tests section draws beyond its tables (:mod:`agents.flaky_tests.view`): the
verdict split and score distribution, the re-run minutes, the clusters, the drill-down's
choices, strip and results, on a small hand-made findings frame; and the drill-down's reader
(:func:`core.store.flaky.test_results_of`) on a small store."""

from __future__ import annotations

import pandas as pd
import pytest

from agents.flaky_tests.view import (
    cluster_table,
    drill_options,
    evidence_table,
    score_figure,
    split_figure,
    strip_figure,
    verdict_split,
    wasted_figure,
    wasted_table,
    wasted_total,
)
from core.logs.reports.junit import TestResult
from core.store.db import Store
from core.store.flaky import test_results_of as read_test_results
from core.store.ingest import save_test_results
from core.store.runs import save_repository
from tests.unit.test_flaky_history_store import REPO, job_id, save_run

EVIL = "<a href='https://evil/'>t</a>"


@pytest.fixture()
def findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "test_id": ["a", "b", "c", "d", EVIL, "e", "f"],
            "verdict": ["flaky"] * 3 + ["broken", "flaky", "insufficient_data", "flaky"],
            "score": [0.4, 0.2, 0.3, 0.9, 0.1, 0.5, 0.15],
            "minutes_wasted": [12.5, 0.0, 3.0, None, 1.0, 0.0, 0.0],
            "cluster": ["cluster-0", "cluster-0", None, None, "cluster-1", None, "cluster-1"],
        }
    )


def test_given_findings_and_a_stable_count_when_split_then_every_verdict_in_order(findings):
    split = verdict_split(findings, stable=40)

    assert split.to_dict("records") == [
        {"verdict": "flaky", "items": 5},
        {"verdict": "broken", "items": 1},
        {"verdict": "stable", "items": 40},
        {"verdict": "insufficient_data", "items": 1},
    ]


def test_given_no_stable_count_when_split_then_stable_is_left_out_not_zero(findings):
    split = verdict_split(findings)

    assert list(split["verdict"]) == ["flaky", "broken", "insufficient_data"]


def test_given_findings_when_charted_then_split_and_scores_draw_one_trace_per_verdict(findings):
    split = split_figure(verdict_split(findings, 3), "Verdicts")
    scores = score_figure(findings, "Scores")

    assert list(split.data[0].y) == [5, 1, 3, 1]
    assert [trace.name for trace in scores.data] == ["flaky", "broken", "insufficient data"]
    assert sorted(scores.data[0].x) == [0.1, 0.15, 0.2, 0.3, 0.4]


def test_given_minutes_wasted_when_ranked_then_total_and_costliest_first_without_zeros(findings):
    top = wasted_table(findings, top=2)

    assert wasted_total(findings) == pytest.approx(16.5)
    assert top.to_dict("records") == [
        {"test_id": "a", "verdict": "flaky", "minutes_wasted": 12.5},
        {"test_id": "c", "verdict": "flaky", "minutes_wasted": 3.0},
    ]


def test_given_a_markup_test_id_when_charted_then_its_label_is_escaped(findings):
    fig = wasted_figure(wasted_table(findings), "Minutes")

    assert "&lt;a href='https://evil/'&gt;t&lt;/a&gt;" in list(fig.data[0].y)
    assert not any("<a" in str(label) for label in fig.data[0].y)


def test_given_clusters_when_listed_then_one_row_per_cluster_with_its_count(findings):
    clusters = cluster_table(findings)

    assert clusters.to_dict("records") == [
        {"cluster": "cluster-0", "tests": 2, "members": "a, b"},
        {"cluster": "cluster-1", "tests": 2, "members": f"{EVIL}, f"},
    ]


def test_given_no_cluster_when_listed_then_empty_with_its_columns(findings):
    clusters = cluster_table(findings.assign(cluster=None))

    assert clusters.empty
    assert list(clusters.columns) == ["cluster", "tests", "members"]


def test_given_findings_when_drilled_then_flaky_and_broken_by_score_up_to_the_limit(findings):
    assert drill_options(findings) == ["d", "a", "c", "b", "f", EVIL]
    assert drill_options(findings, limit=2) == ["d", "a"]
    assert drill_options(findings[findings["verdict"].eq("insufficient_data")]) == []


def _results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [101, 102, 102, 103],
            "attempt": [1, 1, 2, 1],
            "job": ["unit", EVIL, EVIL, "unit"],
            "created_at": ["2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z"] * 2,
            "outcome": ["passed", "failed", "passed", "failed"],
            "message": [None, "boom <b>", None, "again"],
        }
    )


def test_given_results_when_stripped_then_one_mark_per_run_coloured_by_outcome():
    fig = strip_figure(_results(), "t")

    assert [trace.name for trace in fig.data] == ["passed", "failed"]
    assert sum(len(trace.x) for trace in fig.data) == 4
    assert fig.data[1].marker.color == "#e03131"
    assert [row[0] for row in fig.data[1].customdata] == ["102", "103"]
    assert "run %{customdata[0]}" in fig.data[0].hovertemplate


def test_given_results_when_tabled_then_newest_first_with_their_messages():
    table = evidence_table(_results())

    assert list(table.columns) == ["created_at", "run_id", "attempt", "job", "outcome", "message"]
    assert list(table["run_id"]) == [103, 102, 102, 101]
    assert table["message"].iloc[0] == "again"
    assert evidence_table(_results().iloc[0:0]).empty


@pytest.mark.parametrize("jobs_per_read", [5_000, 2, 1])
def test_given_a_stored_history_when_one_test_is_read_then_its_latest_results_oldest_first(
    tmp_path, monkeypatch, jobs_per_read
):
    """The test's jobs are found in the stored digests newest job first, a batch of jobs at a
    time (batches of one and two here): the newest jobs, which do not run it, are read past."""
    monkeypatch.setattr("core.store.flaky._JOBS_PER_READ", jobs_per_read)
    store = Store(tmp_path / "s.db")
    repo_id = save_repository(store, {"id": 1, "full_name": REPO, "default_branch": "main"})
    for run in range(6):
        conclusions = ["failure", "success"] if run == 2 else ["success"]
        save_run(store, repo_id, run, conclusions)
        for attempt, conclusion in enumerate(conclusions, start=1):
            failed = conclusion == "failure"
            results = [
                TestResult(
                    test,
                    test,
                    "",
                    None,
                    "failed" if failed and test == "x" else "passed",
                    message="boom" if failed and test == "x" else None,
                )
                for test in (("x", "y") if run < 4 else ("y",))  # x removed after run 3
            ]
            save_test_results(store, repo_id, job_id(run, attempt), results, "junit")

    results = read_test_results(store, repo_id, "x", limit=4)

    assert list(results.columns) == ["run_id", "attempt", "job", "created_at", "outcome", "message"]
    assert list(zip(results["run_id"], results["attempt"], strict=True)) == [
        (101, 1),
        (102, 1),
        (102, 2),
        (103, 1),
    ]
    assert list(results["outcome"]) == ["passed", "failed", "passed", "passed"]
    assert results["message"].iloc[1] == "boom"
    assert set(results["job"]) == {"unit"}
    assert read_test_results(store, repo_id, "nope").empty
