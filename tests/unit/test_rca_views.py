"""The Root causes views: tables, clusters, the log excerpt and the demo self-evaluation."""

from __future__ import annotations

import pandas as pd
import pytest

from agents.root_cause import charts as rca_charts
from agents.root_cause.view import (
    NO_LOGS_MESSAGE,
    class_distribution,
    cluster_days,
    cluster_table,
    excerpt_lines,
    failure_detail,
    failures_table,
    filter_failures,
    filter_options,
    parse_ranges,
    root_cause_view,
    self_evaluation,
    stored_logs,
)
from core.logs.normalise import normalise_log
from core.store.db import Store
from core.store.findings import save_findings
from core.store.logs import save_log

REPO = "acme/app"
JOB_URL = "https://github.com/acme/app/actions/runs/9/job/"


def _finding(
    job_id: int,
    fingerprint: str,
    category: str,
    day: str,
    branch: str = "main",
    transient: bool = False,
    lines: str = "2-2",
    prs: str | None = None,
) -> dict:
    return {
        "subject": f"job:{job_id}",
        "job_id": job_id,
        "run_id": 9,
        "attempt": 1,
        "job": f"test-{job_id % 2}",
        "workflow": "CI" if job_id % 2 else "Nightly",
        "branch": branch,
        "prs": prs,
        "created_at": f"{day}T10:00:{job_id:02d}Z",
        "conclusion": "failure",
        "failed_step": "Test",
        "category": category,
        "confidence": 0.9,
        "transient": transient,
        "lines": lines,
        "summary": f"{category} in Test",
        "suggestion": "Fix it (line 2).",
        "fingerprint": fingerprint,
        "evidence": ["error: boom"],
        "html_url": f"{JOB_URL}{job_id}",
        "compared_with_green": False,
    }


@pytest.fixture()
def findings() -> pd.DataFrame:
    """Four failures: one fingerprint three times (on main and a PR branch), one once."""
    return pd.DataFrame(
        [
            _finding(1, "aaaaaaaaaaaa0001", "test_failure", "2025-05-01", prs="12"),
            _finding(2, "aaaaaaaaaaaa0001", "test_failure", "2025-05-01", branch="main"),
            _finding(
                3, "aaaaaaaaaaaa0001", "test_failure", "2025-05-03", branch="fix/x", prs="14,15"
            ),
            _finding(4, "bbbbbbbbbbbb0002", "infrastructure", "2025-05-02", transient=True),
        ]
    )


def test_given_range_text_when_parsed_then_ranges_keep_their_order_and_skip_junk():
    assert parse_ranges("12-14;30-30;x-1;7") == [(12, 14), (30, 30), (7, 7)]
    assert parse_ranges(None) == []


def test_given_findings_when_tabled_then_newest_first_with_short_clusters_and_unique_labels(
    findings,
):
    table = failures_table(findings)

    assert table["job_id"].tolist() == [3, 4, 2, 1]
    assert table["cluster"].tolist()[0] == "aaaaaaaa"
    assert table["label"].is_unique


def test_given_filters_when_applied_then_only_matching_failures_remain(findings):
    table = failures_table(findings)

    assert filter_failures(table, category="test_failure")["job_id"].tolist() == [3, 2, 1]
    assert filter_failures(table, transient="transient")["job_id"].tolist() == [4]
    assert filter_failures(table, branch="fix/x", transient="not transient")["job_id"].tolist() == [
        3
    ]
    assert filter_options(table)["class"] == ["test_failure", "infrastructure"]


def test_given_a_recurring_fingerprint_when_clustered_then_it_counts_branches_prs_and_main(
    findings,
):
    clusters = cluster_table(findings, "main")

    top = clusters.iloc[0]
    assert (top["cluster"], top["occurrences"], top["category"]) == ("aaaaaaaa", 3, "test_failure")
    assert top["branches"] == "fix/x, main" and top["prs"] == "#12, #14"
    assert bool(top["on_default_branch"])
    assert top["fingerprint"] == "aaaaaaaaaaaa0001"


def test_given_clusters_when_counted_per_day_then_the_top_cluster_comes_first(findings):
    days = cluster_days(findings, cluster_table(findings, "main"), top=1)

    assert days["cluster"].unique().tolist() == ["aaaaaaaa"]
    assert days["occurrences"].tolist() == [2, 1]


def test_given_findings_when_classes_counted_then_transient_is_split_out(findings):
    classes = class_distribution(findings)

    assert classes.to_dict("records") == [
        {"category": "test_failure", "transient": False, "failures": 3},
        {"category": "infrastructure", "transient": True, "failures": 1},
    ]


def test_given_no_findings_when_shaped_then_every_frame_is_empty_and_charts_say_so():
    empty = pd.DataFrame()

    assert failures_table(empty).empty and cluster_table(empty, "main").empty
    assert class_distribution(empty).empty and cluster_days(empty, empty).empty
    for fig in (
        rca_charts.cluster_days_figure(cluster_days(empty, empty)),
        rca_charts.class_distribution_figure(class_distribution(empty)),
        rca_charts.confusion_figure(pd.DataFrame()),
    ):
        assert fig.layout.annotations and not fig.data


def test_given_findings_when_charted_then_each_chart_has_data(findings):
    clusters = cluster_table(findings, "main")

    assert len(rca_charts.cluster_days_figure(cluster_days(findings, clusters)).data) == 2
    assert len(rca_charts.class_distribution_figure(class_distribution(findings)).data) == 2


def test_given_a_script_line_when_excerpted_then_it_stays_text_and_failing_lines_are_marked():
    log = normalise_log(b"one\n<script>alert(1)</script>\nthree\nfour\nfive\nsix\nseven\n")

    lines = excerpt_lines(log, [(2, 2)], JOB_URL + "1", context=1)

    assert lines["line"].tolist() == [1, 2, 3]
    assert lines["failing"].tolist() == [False, True, False]
    assert lines["text"].tolist()[1] == "<script>alert(1)</script>"
    assert set(lines["github"]) == {JOB_URL + "1"}


def test_given_no_located_lines_when_excerpted_then_the_end_of_the_log_shows():
    log = normalise_log("\n".join(f"line {n}" for n in range(1, 51)).encode())

    lines = excerpt_lines(log, [], None)

    assert lines["line"].tolist() == list(range(21, 51))
    assert not lines["failing"].any()


def test_given_findings_and_truth_when_self_evaluated_then_accuracy_confusion_and_hit5(findings):
    truth = {
        "root_causes": {
            "1": {"category": "test_failure", "lines": [[2, 3]], "transient": False},
            "2": {"category": "compilation", "lines": [[40, 41]], "transient": False},
            "4": {"category": "infrastructure", "lines": [[2, 2]], "transient": True},
        }
    }

    evaluation = self_evaluation(findings, truth)

    assert evaluation.evaluated == 3
    assert evaluation.accuracy == pytest.approx(2 / 3)
    assert evaluation.hit_at_5 == pytest.approx(2 / 3)
    assert evaluation.transient_accuracy == 1.0
    assert evaluation.confusion.loc["compilation", "test_failure"] == 1
    assert evaluation.confusion.loc["test_failure", "test_failure"] == 1
    assert len(rca_charts.confusion_figure(evaluation.confusion).data) == 1


def test_given_no_overlap_with_truth_when_self_evaluated_then_nothing_is_scored(findings):
    assert self_evaluation(findings, {"root_causes": {}}).evaluated == 0
    assert self_evaluation(pd.DataFrame(), {"root_causes": {"1": {}}}).evaluated == 0


@pytest.fixture()
def store(tmp_path) -> Store:
    """A store with one repository and no logs yet."""
    store = Store(tmp_path / "rca.db")
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO repositories (id, full_name, default_branch) VALUES (1, ?, 'main')",
            (REPO,),
        )
    return store


def test_given_no_logs_when_viewed_then_the_view_says_fetch_logs_first(store):
    view = root_cause_view(store, REPO)

    assert view.logs == 0 and not view.analysed
    assert "Fetch logs on the Pipelines page first" in NO_LOGS_MESSAGE


def test_given_a_stored_finding_when_detailed_then_its_log_excerpt_and_advice_show(store):
    with store.transaction() as tx:
        save_log(tx, 1, 5, b"setup\n<script>x</script>\nerror: boom\ndone\n")
    save_findings(
        store,
        REPO,
        "root_cause",
        "root_cause",
        pd.DataFrame([_finding(5, "cccccccc0003", "test_failure", "2025-05-04", lines="3-3")]),
        key="job_id",
        subject="subject",
    )

    view = root_cause_view(store, REPO)
    detail = failure_detail(store, REPO, view.finding(5))

    assert stored_logs(store, REPO) == 1 and view.analysed
    assert detail.found and detail.lines.loc[detail.lines["failing"], "line"].tolist() == [3]
    assert "<script>x</script>" in detail.lines["text"].tolist()
    assert detail.suggestion == "Fix it (line 2)." and detail.evidence == ("error: boom",)
    assert detail.lines["line"].tolist() == [1, 2, 3, 4]


def test_given_a_period_when_viewed_from_the_store_then_it_equals_the_whole_history_cut_to_it(
    store,
):
    """A period is read from the day before it on and cut exactly: the same failures, clusters
    and counts as every finding cut to it, with every analysed failure still counted. A failure
    written with an offset (``+05:00``) is placed by its instant, not by its text."""
    stored = pd.DataFrame(
        [
            _finding(1, "aaaaaaaaaaaa0001", "test_failure", "2025-04-20"),
            _finding(2, "aaaaaaaaaaaa0001", "test_failure", "2025-05-01"),
            _finding(3, "bbbbbbbbbbbb0002", "infrastructure", "2025-05-03"),
            # 2025-05-02T00:30+05:00 is 2025-05-01T19:30Z: before the period's start
            {**_finding(4, "bbbbbbbbbbbb0002", "timeout", "2025-05-02"),
             "created_at": "2025-05-02T00:30:00+05:00"},
            {**_finding(6, "cccccccccccc0003", "timeout", "2025-05-02"),
             "created_at": "2025-05-02T08:00:00+05:00"},
        ]
    )  # fmt: skip
    save_findings(store, REPO, "root_cause", "root_cause", stored, key="job_id", subject="subject")
    period = (pd.Timestamp("2025-05-01T20:00:00Z"), pd.Timestamp("2025-05-10T00:00:00Z"))

    view = root_cause_view(store, REPO, period=period)
    whole = root_cause_view(store, REPO)
    created = pd.to_datetime(whole.findings["created_at"], utc=True, format="ISO8601")
    expected = whole.findings[(created > period[0]) & (created <= period[1])]

    assert sorted(view.findings["job_id"]) == sorted(expected["job_id"]) == [3, 6]
    assert view.analysed_in_all == whole.analysed_in_all == 5
    assert view.clusters["occurrences"].sum() == 2
