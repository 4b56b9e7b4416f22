"""The hot queries' plans: every lookup through an index, nothing that grows with the square of
the history (issue: 100k runs on one machine). SQLite's ``EXPLAIN QUERY PLAN`` on an empty store
shows the plan it will use on a full one."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.store import ingest
from core.store.db import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "plans.db")


def _plan(store: Store, sql: str, params: dict | tuple) -> list[str]:
    return [str(row[3]) for row in store.query("EXPLAIN QUERY PLAN " + sql, params)]


def test_finding_the_jobs_whose_logs_to_fetch_never_scans_the_jobs_table(store: Store):
    """Per failed job its last green predecessor is read backwards from the failure through
    (repo_id, name, started_at); an automatic index would be rebuilt on every call."""
    plan = _plan(store, ingest._LOG_JOBS_SQL, {"repo": 1, "all_jobs": 0})
    assert not [step for step in plan if "AUTOMATIC" in step], plan
    scans = [step for step in plan if step.startswith("SCAN") and "jobs" in step]
    assert not scans, plan
    assert any("jobs_repo_name (repo_id=? AND name=? AND started_at<?)" in s for s in plan), plan


def test_a_runs_jobs_for_its_reports_are_found_by_the_run_not_by_walking_every_job(
    store: Store,
):
    plan = _plan(store, ingest._JOB_TEXTS_SQL, (1, 2, 1))
    assert any("j USING INDEX jobs_run (repo_id=? AND run_id=? AND attempt=?)" in s for s in plan)
    assert not [step for step in plan if step.startswith("SCAN") or "AUTOMATIC" in step], plan


def test_counting_each_runs_tests_reads_each_jobs_digest_never_a_row_per_test(store: Store):
    from core.store.features import _TESTS_SQL

    plan = _plan(store, _TESTS_SQL, (1,))
    assert any("t USING PRIMARY KEY (repo_id=?)" in s for s in plan), plan
    assert not [step for step in plan if "test_results" in step], plan
    # each job's counts find the job's run by the job's key, never by a scan or an ad-hoc index
    assert any("j USING INDEX sqlite_autoindex_jobs_1 (repo_id=? AND job_id=?)" in s for s in plan)
    assert not [step for step in plan if "AUTOMATIC" in step or step.startswith("SCAN j")], plan


def test_the_flaky_history_reads_a_repositorys_results_by_key_and_their_jobs_by_key(
    store: Store,
):
    """Test results are read as each job's packed digest (schema V14) by its key, a batch of
    jobs after the last one read (no sort); their messages by the key; their jobs and runs once
    each by key, the names of the tests from their own small table. Only the messages read
    ``test_results``. The runs' words are read once, by key, not joined to every job."""
    from core.store.flaky import (
        _MESSAGES_SQL,
        _RESULT_JOBS_SQL,
        _RUN_WORDS_SQL,
        _TEST_NAMES_SQL,
        _TESTS_SQL,
    )

    plan = _plan(store, _TESTS_SQL, {"repo": 1, "after": 0, "jobs": 10})
    assert plan == ["SEARCH job_tests USING PRIMARY KEY (repo_id=? AND job_id>?)"], plan
    plan = _plan(store, _MESSAGES_SQL, {"repo": 1})
    assert plan == ["SEARCH t USING PRIMARY KEY (repo_id=?)"], plan
    plan = _plan(store, _RESULT_JOBS_SQL, {"repo": 1})
    assert any("j USING INDEX sqlite_autoindex_jobs_1 (repo_id=? AND job_id=?)" in s for s in plan)
    assert not [step for step in plan if "AUTOMATIC" in step or step.startswith("SCAN j")], plan
    plan = _plan(store, _RUN_WORDS_SQL, {"repo": 1})
    assert not [step for step in plan if step.startswith("SCAN") or "AUTOMATIC" in step], plan
    plan = _plan(store, _TEST_NAMES_SQL, {"repo": 1})
    assert not [step for step in plan if step.startswith("SCAN") or "AUTOMATIC" in step], plan


def test_one_tests_results_are_found_by_its_name_then_its_jobs_by_key_whatever_the_history(
    store: Store,
):
    """The drill-down reads the test's id through (repo_id, name), the newest digests along
    job_tests' key (where its outcomes are), then only the found jobs and their rows of the
    test (its messages) by key: no index of test_results by test is kept (schema V15), and
    nothing is scanned."""
    from core.store.flaky import _NEWEST_DIGESTS_SQL, _RESULTS_OF_JOBS_SQL, _TEST_ID_SQL

    plan = _plan(store, _TEST_ID_SQL, {"repo": 1, "test": "t"})
    assert any(
        "USING COVERING INDEX sqlite_autoindex_tests_1 (repo_id=? AND name=?)" in s for s in plan
    )
    plan = _plan(store, _NEWEST_DIGESTS_SQL, {"repo": 1, "before": 9, "jobs": 5000})
    assert plan == ["SEARCH job_tests USING PRIMARY KEY (repo_id=? AND job_id<?)"], plan
    plan = _plan(
        store, _RESULTS_OF_JOBS_SQL, {"repo": 1, "jobs": "[[1, 0], [2, 1]]", "test": 3, "limit": 9}
    )  # [job id, outcome] pairs read from the digests
    assert any("j USING INDEX sqlite_autoindex_jobs_1 (repo_id=? AND job_id=?)" in s for s in plan)
    assert any("t USING PRIMARY KEY (repo_id=? AND job_id=? AND test=?)" in s for s in plan), plan
    assert not [
        s for s in plan if (s.startswith("SCAN") and "VIRTUAL TABLE" not in s) or "AUTOMATIC" in s
    ], plan  # the one scan is of the found jobs' list
    assert not store.query("SELECT name FROM sqlite_master WHERE name = 'test_results_test'")


def test_the_re_run_job_attempts_are_read_from_the_re_runs_never_from_every_job(store: Store):
    """Minutes wasted: the repository's re-run attempts lead, read from the runs' key alone;
    each finds its failed jobs of the attempt before, and their next attempt, by (repo_id,
    run_id, attempt). A history of 770k jobs with few re-runs reads few jobs."""
    from core.store.flaky import _RERUN_SQL

    plan = _plan(store, _RERUN_SQL, {"repo": 1})
    assert plan[0] == "SEARCH r USING COVERING INDEX sqlite_autoindex_runs_1 (repo_id=?)", plan
    assert any("j USING INDEX jobs_run (repo_id=? AND run_id=? AND attempt=?)" in s for s in plan)
    assert any("n USING INDEX jobs_run (repo_id=? AND run_id=? AND attempt=?)" in s for s in plan)
    assert not [step for step in plan if step.startswith("SCAN") or "AUTOMATIC" in step], plan


_PERIOD = {
    "repo": 1,
    "start": "2024-05-01T10:00:00Z",
    "end": "2024-07-30T10:00:00Z",
    "first_day": "2024-05-02",
    "last_day": "2024-07-30",
    "top": 15,
}


@pytest.mark.parametrize("name", ["_JOB_COUNTS_SQL", "_QUEUE_COUNTS_SQL", "_SLOWEST_STEPS_SQL"])
def test_a_pages_period_reads_whole_days_from_the_summaries_and_only_its_edge_days_rows(
    store: Store, name: str
):
    """The Overview and Pipelines read a period's jobs and steps as per-day summaries (a range
    of their key) plus the rows of the period's two edge days, found from the runs' creation
    times: never a walk through every job or step of the repository, never an automatic index."""
    from core.store import dashboards

    plan = _plan(store, getattr(dashboards, name), _PERIOD)
    assert not [step for step in plan if "AUTOMATIC" in step], plan
    assert not [step for step in plan if step.startswith("SCAN") and "subquery" not in step], plan
    assert any(
        s.startswith("SEARCH") and "_daily USING PRIMARY KEY (repo_id=? AND day>? AND day<?)" in s
        for s in plan
    ), plan
    assert any("runs_repo_created (repo_id=? AND created_at>? AND created_at<?)" in s for s in plan)
    assert not [s for s in plan if ("jobs" in s or "steps" in s) and "(repo_id=?)" in s], plan


@pytest.mark.parametrize(
    "name", ["_JOB_COUNTS", "_QUEUE_COUNTS", "_STEP_TOTALS", "_MAXIMA_AT_RISK", "_DAYS_OF_RUN"]
)
def test_keeping_the_summaries_reads_only_the_rows_of_the_run_being_written(
    store: Store, name: str
):
    """Every run written counts its rows into the summaries: by the run's key, so an import of
    100k runs stays linear (a range over the repository's runs would make it quadratic)."""
    from core.store import rollups

    plan = _plan(store, getattr(rollups, name), {"repo": 1, "run": 5, "sign": 1})
    scans = [s for s in plan if s.startswith("SCAN ") and s != "SCAN m"]  # m: the run's own maxima
    assert not [step for step in plan if "AUTOMATIC" in step] + scans, plan
    assert any("r USING INDEX sqlite_autoindex_runs_1 (repo_id=? AND run_id=?)" in s for s in plan)
    assert not [s for s in plan if "(repo_id=?)" in s or "created_at" in s], plan


def test_measuring_a_step_maximum_again_reads_one_day_of_runs(store: Store):
    from core.store import rollups

    group = {"repo": 1, "day": "2024-05-01", "workflow": "CI", "job": "test", "step": "Build"}
    plan = _plan(store, rollups._REMEASURE_MAXIMUM, group)
    assert not [step for step in plan if "AUTOMATIC" in step or step.startswith("SCAN ")], plan
    assert any("runs_repo_created (repo_id=? AND created_at>? AND created_at<?)" in s for s in plan)


def test_each_failed_jobs_last_green_is_read_backwards_from_the_failure_by_the_jobs_name(
    store: Store,
):
    """Root Cause Analysis: per failed job, its previous green twin is found by walking
    (repo_id, name, started_at) back from the failure, each candidate's run and log by key;
    the failed step by the job's key. Never a scan, never an index built per execution."""
    from core.store.jobs import _FAILED_JOBS_SQL

    plan = _plan(store, _FAILED_JOBS_SQL, {"repo": 1, "agent": "root_cause"})
    assert not [s for s in plan if s.startswith("SCAN") or "AUTOMATIC" in s], plan
    for lookup in (
        "g USING INDEX jobs_repo_name (repo_id=? AND name=? AND started_at<?)",
        "gr USING INDEX sqlite_autoindex_runs_1 (repo_id=? AND run_id=? AND attempt=?)",
        "gl USING INDEX sqlite_autoindex_logs_1 (repo_id=? AND job_id=?)",
        "s USING INDEX sqlite_autoindex_steps_1 (repo_id=? AND job_id=?)",
    ):
        assert any(lookup in step for step in plan), (lookup, plan)


def test_failed_jobs_are_found_through_their_own_small_index_not_by_reading_every_job(
    store: Store,
):
    """Root-cause analysis and the log ingester start from the failed jobs: the partial index
    ``jobs_failed`` (schema V10) holds only those, in start order, so neither reads the ~96% of
    jobs that passed, nor sorts them."""
    from core.store.jobs import _FAILED_JOBS_SQL

    plan = _plan(store, _FAILED_JOBS_SQL, {"repo": 1, "agent": "root_cause"})
    assert any(s.startswith("SEARCH j USING INDEX jobs_failed (repo_id=?)") for s in plan), plan
    assert not [s for s in plan if "TEMP B-TREE" in s or "AUTOMATIC" in s], plan
    # what was analysed before is looked up by the findings' key, not scanned
    assert any("f USING" in s and "INDEX" in s for s in plan), plan
    plan = _plan(store, ingest._LOG_JOBS_SQL, {"repo": 1, "all_jobs": 0})
    assert any("j USING INDEX jobs_failed (repo_id=?)" in s for s in plan), plan


def test_the_queues_counts_read_a_small_index_not_the_messages_bodies(store: Store):
    """The Queues page counts every queue's messages by state on each render: from the covering
    index ``outbox_by_queue`` (schema V11), in queue order, never from the rows (their bodies
    are most of the store's outbox) and without a sort."""
    from core.store.outbox import _STATS_SQL

    plan = _plan(store, _STATS_SQL, {"now": 0.0})
    assert plan == ["SCAN outbox USING COVERING INDEX outbox_by_queue"], plan


def test_one_series_steps_are_found_from_their_jobs_never_by_walking_every_step(store: Store):
    """Which (job, step) pairs take long enough is read from the daily step summaries; the
    steps of one job's series (the page's chart) are reached from the jobs of that name, each
    job's steps by key: walked from the steps side, 100k runs meant three searches for each of
    4.9M steps."""
    from core.store.anomalies import _STEPS_SQL

    sql = _STEPS_SQL.format(where=" AND j.name = :job", usual=" AND job = :job")
    plan = _plan(store, sql, {"repo": 1, "min_step_s": 20.0, "job": "test"})
    assert any("step_daily USING PRIMARY KEY (repo_id=?)" in s for s in plan), plan
    assert any("j USING INDEX jobs_repo_name (repo_id=? AND name=?)" in s for s in plan), plan
    assert any("s USING INDEX sqlite_autoindex_steps_1 (repo_id=? AND job_id=?)" in s for s in plan)
    assert not [s for s in plan if s.startswith("SCAN") and " s" in s.split("USING")[0]], plan
    assert not [s for s in plan if "SEARCH s USING" in s and "steps_1 (repo_id=?)" in s], plan


def test_every_watched_step_is_kept_or_dropped_by_its_name_before_its_job_is_looked_up(
    store: Store,
):
    """The whole repository's watched steps (Anomaly Detection's read) come from one pass over
    the steps, each one's job looked up by key only (never a run, never an index made on the
    fly for the jobs) and only where the step's own name is a watched one (a test on the step
    row, in the outer loop)."""
    from core.store.anomalies import _ALL_STEPS_SQL

    plan = _plan(store, _ALL_STEPS_SQL, {"repo": 1, "min_step_s": 20.0})
    steps = [i for i, s in enumerate(plan) if s.startswith("SEARCH s USING")]
    jobs = [i for i, s in enumerate(plan) if s.startswith("SEARCH j USING")]
    assert steps and jobs and steps[0] < jobs[0], plan
    assert "sqlite_autoindex_jobs_1 (repo_id=? AND job_id=?)" in plan[jobs[0]], plan
    assert not [s for s in plan if " runs" in s or "AUTOMATIC" in s and " j " in s], plan


def test_each_runs_job_and_step_totals_are_read_from_their_summary_not_summed_from_steps(
    store: Store,
):
    from core.store.features import _JOBS_SQL, _STEPS_SQL

    for sql in (_JOBS_SQL, _STEPS_SQL):
        plan = _plan(store, sql, (1,))
        assert plan == ["SEARCH run_totals USING PRIMARY KEY (repo_id=?)"], plan


def test_keeping_a_runs_totals_reads_only_that_runs_jobs_and_their_steps(store: Store):
    from core.store.rollups import _RUN_TOTALS_OF_RUN

    plan = _plan(store, _RUN_TOTALS_OF_RUN, {"repo": 1, "run": 2})
    assert any("j USING INDEX jobs_run (repo_id=? AND run_id=?)" in s for s in plan), plan
    assert not [s for s in plan if s.startswith("SCAN") or "AUTOMATIC" in s], plan


def test_log_error_counts_come_from_their_index_and_job_totals_from_the_runs_totals(store: Store):
    """What Feature Engineering reads of logs (and its fingerprint of them) never walks a log's
    kept text, which a log's row holds before its count; the fingerprint's job part reads each
    run attempt's totals, not 800k jobs (100k runs)."""
    from core.store.features import _FINGERPRINT_SQL, _LOGS_SQL

    plan = _plan(store, _LOGS_SQL, (1,))
    assert plan[0] == "SEARCH l USING COVERING INDEX logs_errors (repo_id=? AND state=?)", plan
    assert plan[1] == "SEARCH j USING INDEX sqlite_autoindex_jobs_1 (repo_id=? AND job_id=?)", plan
    plan = _plan(store, _FINGERPRINT_SQL, {"repo": 1})
    assert "SEARCH logs USING COVERING INDEX logs_errors (repo_id=?)" in plan, plan
    assert "SEARCH run_totals USING PRIMARY KEY (repo_id=?)" in plan, plan
    assert not [step for step in plan if " jobs " in f"{step} "], plan


def test_every_pages_count_of_stored_runs_reads_the_latest_runs_index_alone(store: Store):
    """The sidebar of every page says how many runs are stored (``dashboards.freshness``):
    counted from (repo_id, is_latest, created_at) without a look at any run's row (at 100k runs
    0.13-0.24 s a render by the other indexes, 4 ms by this one), and a period's count of
    latest runs (``runs.count_runs_created``) too."""
    sql = "SELECT COUNT(*) FROM runs WHERE repo_id = ? AND is_latest = 1"
    assert _plan(store, sql, (1,)) == [
        "SEARCH runs USING COVERING INDEX runs_latest (repo_id=? AND is_latest=?)"
    ]
    period = sql + " AND created_at >= ? AND created_at < ?"
    assert _plan(store, period, (1, "a", "b")) == [
        "SEARCH runs USING COVERING INDEX runs_latest "
        "(repo_id=? AND is_latest=? AND created_at>? AND created_at<?)"
    ]


def test_the_overviews_latest_failures_find_each_jobs_root_cause_by_its_key(store: Store):
    """Each failed job's root cause is one lookup of the finding's key (agent and job id) in
    the findings' unique index; by its subject alone every finding of the agent was read for
    each job (26k at 100k runs: 0.2-0.3 s of every Overview render)."""
    from core.store import dashboards

    statements = []
    store._connection().set_trace_callback(statements.append)
    dashboards.latest_failed_jobs(store, "o/r", 10, "root_cause")
    store._connection().set_trace_callback(None)
    sql = next(s for s in statements if "WITH failed" in s)
    plan = [str(row[3]) for row in store.query("EXPLAIN QUERY PLAN " + sql)]
    assert any(
        "rc USING INDEX sqlite_autoindex_findings_1 (repo_id=? AND agent=? AND key=?)" in step
        for step in plan
    ), plan
