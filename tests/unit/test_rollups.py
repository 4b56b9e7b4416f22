"""The per-day summaries behind the Overview and Pipelines pages (schema V9, core.store.rollups):
they always count exactly the stored jobs and steps, also after a re-sync rewrote a run, and
the pages' numbers read from them equal the numbers computed over every job of the period."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from agents.pipeline_monitor import kpis
from agents.pipeline_monitor import view as views
from core.store.db import Store, _statements
from core.store.runs import RunBundle, save_repository, save_run_bundle
from core.store.schema import MIGRATIONS

REPO = "acme/app"
START = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
SUMMARIES = {
    "job_daily": "day, workflow, job, runner_os, skipped, timed, duration_s, jobs",
    "queue_daily": "day, runner_os, skipped, queue_s, jobs",
    "step_daily": "day, workflow, job, step, steps, total_s, max_s",
    "run_totals": "run_id, attempt, jobs, failed_jobs, queue_s_max, queue_s_total, job_seconds, "
    "job_s_max, runner_os, labels, steps, step_s_max",
}
STEPS = ("Set up job", "Build", "Test")


def _ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _job(job_id: int, run_id: int, attempt: int, created: datetime, rng: random.Random) -> dict:
    """A job with random queue time, duration and runner; some skipped (no runner at all),
    some without a runner GitHub could name, some still running (no duration, a step queued)."""
    kind = rng.choice(["done"] * 6 + ["skipped", "running", "unnamed"])
    start = created + timedelta(seconds=rng.choice([0, 1, 2, 5, 5, 30, 90, 600]))
    spans = [rng.randint(1, 400) for _ in STEPS]
    end = start + timedelta(seconds=sum(spans))
    labels = {"skipped": [], "unnamed": ["self-hosted"]}.get(
        kind, [rng.choice(["ubuntu-latest", "ubuntu-latest", "windows-latest", "macos-14"])]
    )
    steps, at = [], start
    for number, (name, span) in enumerate(zip(STEPS, spans, strict=True), start=1):
        done = kind != "running" or number < len(STEPS)
        steps.append(
            {
                "name": name,
                "number": number,
                "status": "completed" if done else "in_progress",
                "conclusion": "success" if done else None,
                "started_at": _ts(at),
                "completed_at": _ts(at + timedelta(seconds=span)) if done else None,
            }
        )
        at += timedelta(seconds=span)
    return {
        "id": job_id,
        "run_id": run_id,
        "run_attempt": attempt,
        "name": rng.choice(["build", "test (py3.11)", "test (py3.12)", "lint"]),
        "status": "in_progress" if kind == "running" else "completed",
        "conclusion": {"skipped": "skipped", "running": None}.get(kind, "success"),
        "created_at": _ts(created),
        "started_at": None if kind == "skipped" else _ts(start),
        "completed_at": None if kind in ("skipped", "running") else _ts(end),
        "labels": labels,
        "steps": [] if kind == "skipped" else steps,
    }


def _bundle(run_id: int, created: datetime, rng: random.Random, attempts: int = 1) -> RunBundle:
    runs = [
        {
            "id": run_id,
            "run_attempt": attempt,
            "name": rng.choice(["CI", "Nightly"]),
            "status": "completed",
            "conclusion": rng.choice(["success", "success", "failure"]),
            "created_at": _ts(created),
            "run_started_at": _ts(created),
            "updated_at": _ts(created + timedelta(minutes=rng.randint(1, 40))),
        }
        for attempt in range(1, attempts + 1)
    ]
    jobs = {
        attempt: [
            _job(run_id * 100 + attempt * 10 + j, run_id, attempt, created, rng)
            for j in range(rng.randint(1, 4))
        ]
        for attempt in range(1, attempts + 1)
    }
    return RunBundle(runs[-1], runs[:-1], jobs)


def _history(store: Store, runs: int = 160, seed: int = 3) -> tuple[int, list[RunBundle]]:
    """``runs`` runs, one every 67 minutes from START (a week), every 10th with a re-run."""
    rng = random.Random(seed)
    repo_id = save_repository(store, {"id": 1, "full_name": REPO})
    bundles = []
    for index in range(runs):
        created = START + timedelta(minutes=67 * index)
        bundles.append(_bundle(1000 + index, created, rng, attempts=2 if index % 10 == 9 else 1))
        save_run_bundle(store, repo_id, REPO, bundles[-1])
    return repo_id, bundles


def _summaries(store: Store) -> dict[str, list[tuple]]:
    return {
        table: [tuple(row) for row in store.query(f"SELECT {cols} FROM {table} ORDER BY {cols}")]
        for table, cols in SUMMARIES.items()
    }


def _counted_from_scratch(store: Store) -> dict[str, list[tuple]]:
    """What the V9 and V13 migrations count from the stored rows (the summaries' definition)."""
    with store.transaction() as tx:
        for table in SUMMARIES:
            tx.execute(f"DELETE FROM {table}")
        fills = [
            statement
            for marker in ("CREATE TABLE job_daily", "CREATE TABLE run_totals")  # V9's, V13's
            for statement in _statements(next(m for m in MIGRATIONS if marker in m))
            if statement.startswith("INSERT INTO")
        ]
        assert len(fills) == 4
        for statement in fills:
            tx.execute(statement)
    return _summaries(store)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "rollups.db")


def test_given_runs_written_one_by_one_then_the_summaries_equal_a_count_of_the_stored_rows(
    store: Store,
):
    _history(store)

    kept = _summaries(store)

    assert kept == _counted_from_scratch(store)
    assert sum(row[-1] for row in kept["job_daily"]) == store.scalar("SELECT COUNT(*) FROM jobs")


def test_given_a_resync_completes_running_jobs_and_reruns_then_the_summaries_follow(
    store: Store,
):
    repo_id, bundles = _history(store, runs=60)
    running = [b for b in bundles if any(j["status"] == "in_progress" for j in b.jobs[1])]
    rng = random.Random(11)
    for bundle in running[:4]:  # written again, the way a sync rewrites a changed run
        for job in bundle.jobs[1]:
            last = job["steps"][-1] if job["steps"] else None
            if job["status"] == "in_progress" and last is not None:
                last.update(status="completed", conclusion="success")
                last["completed_at"] = _ts(START + timedelta(days=9))
                job.update(status="completed", conclusion="failure")
                job["completed_at"] = last["completed_at"]
            job["labels"] = ["windows-latest"]  # and another runner, and a new attempt
        rerun = _bundle(bundle.run["id"], START, rng, attempts=2)
        bundle.earlier_attempts.append(bundle.run)
        bundle.run, bundle.jobs[2] = rerun.run, rerun.jobs[2]
        save_run_bundle(store, repo_id, REPO, bundle)

    assert len(running) >= 4
    assert _summaries(store) == _counted_from_scratch(store)


def test_given_a_step_that_was_the_slowest_shortens_on_a_resync_then_its_maximum_falls(
    store: Store,
):
    repo_id = save_repository(store, {"id": 1, "full_name": REPO})
    rng = random.Random(5)
    first, second = _bundle(1, START, rng), _bundle(2, START, rng)
    for bundle, seconds in ((first, 900), (second, 60)):
        run = bundle.run["id"]
        bundle.run["name"] = "CI"
        job = dict(_job(run * 100, run, 1, START, rng), name="build", status="completed")
        job["steps"] = [
            {
                "name": "Build",
                "number": 1,
                "status": "completed",
                "started_at": _ts(START),
                "completed_at": _ts(START + timedelta(seconds=seconds)),
            }
        ]
        bundle.jobs = {1: [job]}
        save_run_bundle(store, repo_id, REPO, bundle)
    assert store.scalar("SELECT max_s FROM step_daily WHERE step = 'Build'") == 900

    first.jobs[1][0]["steps"][0]["completed_at"] = _ts(START + timedelta(seconds=30))
    save_run_bundle(store, repo_id, REPO, first)

    row = store.query("SELECT steps, total_s, max_s FROM step_daily WHERE step = 'Build'")[0]
    assert tuple(row) == (2, 90, 60)


@pytest.mark.parametrize("days", [1, 2, 3, 7])
def test_given_any_period_then_the_pages_numbers_equal_those_over_every_job(
    store: Store, days: int
):
    """Periods start and end inside a day: whole days come from the summaries, the two edge
    days from their rows; medians and p95s stay exact (value counts, not estimates)."""
    _history(store)
    window = views.window_for(store, REPO, days)

    for period in (window, window.previous):
        runs, jobs = views.load_runs(store, REPO, period), views.load_jobs(store, REPO, period)
        counted = views.load_job_counts(store, REPO, period)
        queues = views.load_queue_counts(store, REPO, period)
        freq = kpis.trend_freq(days)

        assert counted["weight"].sum() == len(jobs)
        assert kpis.period_kpis(runs, counted, None, queues) == pytest.approx(
            kpis.period_kpis(runs, jobs)
        )
        pd.testing.assert_frame_equal(kpis.minutes_by_os(counted), kpis.minutes_by_os(jobs))
        pd.testing.assert_frame_equal(
            kpis.slowest_jobs(counted, top=50), kpis.slowest_jobs(jobs, top=50), check_dtype=False
        )
        pd.testing.assert_frame_equal(
            kpis.queue_trend(queues, freq), kpis.queue_trend(jobs, freq), check_dtype=False
        )
        assert_steps_equal(store, period)


def assert_steps_equal(store: Store, period: views.Window) -> None:
    """The slowest steps from the summaries equal the aggregate over the period's steps."""
    steps = store.frame(
        "SELECT r.workflow_name AS workflow, j.name AS job, s.name AS step, COUNT(*) AS runs,"
        " AVG(s.duration_s) / 60.0 AS mean_min, MAX(s.duration_s) / 60.0 AS max_min,"
        " SUM(s.duration_s) / 60.0 AS total_min FROM runs r JOIN jobs j ON j.repo_id = r.repo_id"
        " AND j.run_id = r.run_id AND j.attempt = r.attempt JOIN steps s ON s.job_id = j.job_id"
        " WHERE r.created_at > ? AND r.created_at <= ? AND s.duration_s IS NOT NULL"
        " GROUP BY 1, 2, 3 ORDER BY mean_min DESC, 1, 2, 3",
        period.bounds(),
    ).round({"mean_min": 2, "max_min": 2, "total_min": 1})
    pd.testing.assert_frame_equal(
        views.slowest_steps(store, REPO, period, top=100), steps, check_dtype=False
    )


def test_given_weighted_values_then_quantiles_are_those_of_the_repeated_values():
    values = pd.Series([5.0, 1.0, 3.0, 10.0])
    weights = pd.Series([2, 1, 3, 1])
    repeated = pd.Series([5.0, 5.0, 1.0, 3.0, 3.0, 3.0, 10.0])

    for q in (0.0, 0.25, 0.5, 0.95, 1.0):
        assert kpis.weighted_quantile(values, weights, q) == pytest.approx(repeated.quantile(q))
    assert kpis.weighted_quantile(pd.Series([], dtype=float), pd.Series([], dtype=int), 0.5) is None


def test_given_runs_written_and_rewritten_then_each_runs_totals_are_the_sums_of_its_rows(
    store: Store,
):
    """The run totals Feature Engineering and Anomaly Detection read equal the jobs' and
    steps' own sums per run attempt (counted here in pandas, apart from the SQL that keeps
    them), also after a re-sync gave runs a new attempt."""
    repo_id, bundles = _history(store, runs=40)
    rng = random.Random(5)
    for bundle in bundles[:6]:
        rerun = _bundle(bundle.run["id"], START, rng, attempts=2)
        bundle.earlier_attempts.append(bundle.run)
        bundle.run, bundle.jobs[2] = rerun.run, rerun.jobs[2]
        save_run_bundle(store, repo_id, REPO, bundle)

    jobs = store.frame("SELECT job_id, run_id, attempt, conclusion, duration_s FROM jobs")
    steps = store.frame("SELECT job_id, duration_s FROM steps")
    per_job = steps.groupby("job_id")["duration_s"].agg(["size", "max"])
    jobs = jobs.join(per_job, on="job_id")
    failed = jobs["conclusion"].isin(["failure", "timed_out", "startup_failure"]).astype(float)
    jobs["failed"] = failed.where(jobs["conclusion"].notna())  # unknown while a job runs

    def total(values: pd.Series) -> float:
        return values.sum(min_count=1)  # SQL's SUM: nothing known, no total

    expected = jobs.groupby(["run_id", "attempt"]).agg(
        jobs=("job_id", "size"),
        failed_jobs=("failed", total),
        job_seconds=("duration_s", total),
        steps=("size", "sum"),
        step_s_max=("max", "max"),
    )
    kept = store.frame(
        "SELECT run_id, attempt, jobs, failed_jobs, job_seconds, steps, step_s_max "
        "FROM run_totals ORDER BY run_id, attempt"
    ).set_index(["run_id", "attempt"])
    assert len(kept) == len(expected) > 40
    pd.testing.assert_frame_equal(kept, expected.loc[kept.index], check_dtype=False)
