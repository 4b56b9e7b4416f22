"""The per-job feature table: what each job did, and how the same job fared before its run.

Why apart from the run table: a slowdown, a flaky job or a runner problem lives in one job, and a
run's totals blur it. The history columns read, like the run table's, only jobs of the same
name (in the same workflow) that finished before the job's run was created.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.feature_engineering.build import FAILED, SUCCEEDED

__all__ = ["JOB_FEATURES", "job_features"]

JOB_FEATURES: dict[str, str] = {
    "duration_s": "The job's duration (s).",
    "queue_s": "How long the job waited for a runner (s).",
    "steps": "Steps the job ran.",
    "step_s_max": "Duration of its slowest step (s).",
    "tests": "Test results read from its reports and log.",
    "test_failures": "Tests that failed or errored.",
    "log_error_lines": "Error lines in its stored log.",
    "job_fail_rate_10": "Failure share of the last 10 prior finished runs of this job.",
    "prev_job_failed": "The last prior finished run of this job failed.",
    "job_duration_median_10": "Median duration of the last 10 prior successful runs of this job.",
    "duration_vs_median": "duration_s over job_duration_median_10.",
}

_KEYS = [
    "job_id",
    "run_id",
    "attempt",
    "workflow",
    "job",
    "started_at",
    "conclusion",
    "runner_os",
    "labels",
]


def job_features(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per job (of every attempt): its keys, ``failed`` (1/0, NaN when undecided) and
    the :data:`JOB_FEATURES` columns, oldest run first."""
    columns = [*_KEYS, "failed", *JOB_FEATURES]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    jobs = rows.copy()
    jobs["created"] = pd.to_datetime(
        jobs["run_created_at"], utc=True, errors="coerce", format="ISO8601"
    )
    done = pd.to_datetime(jobs["completed_at"], utc=True, errors="coerce", format="ISO8601")
    jobs["done"] = done.where(done > jobs["created"], jobs["created"] + pd.Timedelta("1s"))
    jobs["failed"] = np.where(
        jobs["conclusion"].isin(FAILED),
        1.0,
        np.where(jobs["conclusion"].isin(SUCCEEDED), 0.0, np.nan),
    )
    jobs["failed"] = jobs["failed"].where(jobs["status"].eq("completed"))
    jobs["group"] = jobs["workflow"].fillna("") + "|" + jobs["job"].fillna("")
    jobs = jobs[jobs["created"].notna()].reset_index(drop=True)
    decided = jobs[jobs["failed"].notna()].sort_values(["group", "done", "job_id"], kind="stable")
    by = decided.groupby("group", sort=False)["failed"]
    stats = decided[["done", "group"]].assign(
        rate=by.rolling(10, min_periods=1).mean().reset_index(level=0, drop=True),
        last=decided["failed"],
    )
    ok = decided[decided["failed"].eq(0) & decided["duration_s"].notna()]
    median = (
        ok.groupby("group", sort=False)["duration_s"]
        .rolling(10, min_periods=1)
        .median()
        .reset_index(level=0, drop=True)
    )
    durations = ok[["done", "group"]].assign(median=median)
    prior = _asof(jobs, stats, ["rate", "last"]).join(_asof(jobs, durations, ["median"]))
    jobs["job_fail_rate_10"] = prior["rate"]
    jobs["prev_job_failed"] = prior["last"]
    jobs["job_duration_median_10"] = prior["median"]
    jobs["duration_vs_median"] = jobs["duration_s"] / prior["median"].where(prior["median"] > 0)
    return jobs[columns]


def _asof(jobs: pd.DataFrame, stats: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of the last ``stats`` row of the same group finished strictly before each
    job's run was created."""
    if stats.empty:
        return pd.DataFrame(np.nan, index=jobs.index, columns=columns)
    left = jobs[["created", "group"]].reset_index().sort_values("created", kind="stable")
    merged = pd.merge_asof(
        left,
        stats.sort_values("done", kind="stable"),
        left_on="created",
        right_on="done",
        by="group",
        allow_exact_matches=False,
    )
    return merged.set_index("index")[columns].reindex(jobs.index)
