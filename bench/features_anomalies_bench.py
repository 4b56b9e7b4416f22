"""Time and peak memory of Feature Engineering + Anomaly Detection on a 100k-run history.

    python bench/features_anomalies_bench.py [--runs 100000] [--jobs 7]

The history is generated here as the frames the store hands the agents (runs, per-run job,
step, test and log aggregates, commits; job and step series for the detector): 100k runs over
a year, four workflows, ``--jobs`` jobs per run with two long steps each, noisy lognormal
durations with planted spikes, a level shift and a slow drift. It measures the agents' own work
(vectorised features, every watched series through the detector, the multivariate models);
reading those frames out of SQLite at this scale is the 100k-run scale issue's bench. Prints
numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.anomaly_detection.multivariate import multivariate_outliers  # noqa: E402
from agents.anomaly_detection.watch import anomalies_of_all, watched_series  # noqa: E402
from agents.feature_engineering.build import run_features  # noqa: E402
from core.store.features import FeatureInputs  # noqa: E402


def _ts(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def history(
    runs: int, jobs_per_run: int, seed: int = 1
) -> tuple[FeatureInputs, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01", tz="UTC")
    created = start + pd.to_timedelta(np.sort(rng.uniform(0, 365 * 86400, runs)), unit="s")
    duration = rng.lognormal(np.log(400), 0.25, runs)
    duration[rng.choice(runs, runs // 500, replace=False)] *= 3.5  # spikes
    duration[runs // 2 :] *= 1.4  # a level shift half-way
    failed = rng.random(runs) < 0.15
    run_ids = np.arange(runs) + 10_000_000
    shas = pd.Series([f"{i:040x}" for i in range(runs)])
    runs_frame = pd.DataFrame(
        {
            "run_id": run_ids,
            "attempt": 1,
            "workflow_id": rng.integers(1, 5, runs),
            "workflow_name": None,
            "event": rng.choice(["push", "pull_request"], runs),
            "status": "completed",
            "conclusion": np.where(failed, "failure", "success"),
            "head_branch": rng.choice(["main", "dev", "feature/a", "feature/b"], runs),
            "head_sha": shas,
            "actor": rng.choice([f"dev{i}" for i in range(40)], runs),
            "pr_numbers": None,
            "created_at": _ts(pd.Series(created)),
            "run_started_at": _ts(pd.Series(created)),
            "updated_at": _ts(pd.Series(created + pd.to_timedelta(duration, unit="s"))),
            "duration_s": duration,
        }
    )
    runs_frame["workflow_name"] = "workflow-" + runs_frame["workflow_id"].astype(str)
    keys = runs_frame[["run_id", "attempt"]]
    inputs = FeatureInputs(
        runs=runs_frame,
        jobs=keys.assign(
            jobs=jobs_per_run,
            failed_jobs=failed.astype(int),
            queue_s_max=rng.exponential(20, runs),
            queue_s_total=rng.exponential(60, runs),
            job_seconds=duration * jobs_per_run * 0.8,
            job_s_max=duration * 0.9,
            runner_os="Linux",
            labels="ubuntu-latest",
        ),
        steps=keys.assign(steps=jobs_per_run * 6, step_s_max=duration * 0.6),
        tests=keys.assign(tests=500, test_failures=failed.astype(int) * 2),
        logs=keys.assign(log_error_lines=failed.astype(int) * 4),
        commits=pd.DataFrame(
            {
                "head_sha": shas,
                "additions": rng.integers(0, 400, runs),
                "deletions": rng.integers(0, 200, runs),
                "files_changed": rng.integers(1, 20, runs),
                "files": rng.choice(
                    [
                        '["src/a.py", "tests/test_a.py"]',
                        '["package-lock.json"]',
                        '[".github/workflows/ci.yml"]',
                        '["docs/x.md"]',
                    ],
                    runs,
                ),
                "message": rng.choice(["fix a bug", "Bump x from 1 to 2", "add feature"], runs),
                "author_login": "dev",
                "committed_at": runs_frame["created_at"],
            }
        ),
        default_branch="main",
    )
    n_jobs = runs * jobs_per_run
    job_run = np.repeat(np.arange(runs), jobs_per_run)
    job_dur = duration[job_run] * rng.lognormal(0, 0.15, n_jobs) / 2
    drift = np.repeat(np.arange(runs) / runs, jobs_per_run)
    job_dur *= np.where(np.tile(np.arange(jobs_per_run), runs) == 0, 1 + 0.8 * drift, 1.0)
    started = pd.Series(created[job_run] + pd.to_timedelta(rng.exponential(20, n_jobs), unit="s"))
    jobs = pd.DataFrame(
        {
            "job_id": np.arange(n_jobs) + 1,
            "run_id": run_ids[job_run],
            "attempt": 1,
            "workflow": runs_frame["workflow_name"].to_numpy()[job_run],
            "job": "job-" + pd.Series(np.tile(np.arange(jobs_per_run), runs)).astype(str),
            "started_at": _ts(started),
            "created_at": runs_frame["created_at"].to_numpy()[job_run],
            "duration_s": job_dur,
            "queue_s": rng.exponential(20, n_jobs),
            "conclusion": np.where(failed[job_run], "failure", "success"),
            "runner_os": "Linux",
            "labels": "ubuntu-latest",
            "head_sha": shas.to_numpy()[job_run],
            "run_number": job_run + 1,
            "html_url": None,
            "step_names": "Checkout|Build|Test",
        }
    )
    jobs = jobs.sort_values("started_at", kind="stable").reset_index(drop=True)
    ok = jobs[jobs["conclusion"] == "success"]
    steps = pd.concat(
        [
            ok.assign(step=name, number=k, duration_s=ok["duration_s"] * share)
            for k, (name, share) in enumerate((("Build", 0.3), ("Test", 0.6)), start=1)
        ]
    )[
        [
            "job_id",
            "run_id",
            "attempt",
            "workflow",
            "job",
            "step",
            "number",
            "started_at",
            "duration_s",
            "head_sha",
            "run_number",
        ]
    ]
    return inputs, jobs, steps.sort_values("started_at", kind="stable").reset_index(drop=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=7)
    args = parser.parse_args()
    began = time.perf_counter()
    inputs, jobs, steps = history(args.runs, args.jobs)
    made = time.perf_counter()
    print(
        f"generated {args.runs:,} runs, {len(jobs):,} jobs, {len(steps):,} step rows "
        f"in {made - began:.1f} s (not counted below)"
    )
    rss_before = peak_rss_mb()

    t0 = time.perf_counter()
    features = run_features(inputs)
    t1 = time.perf_counter()
    width = features.shape[1] - 5  # the key and label columns are not features
    print(f"features:     {len(features):,} runs x {width} features in {t1 - t0:6.1f} s")

    runs = inputs.runs[inputs.runs["conclusion"] == "success"].rename(
        columns={"workflow_name": "workflow"}
    )
    series = list(watched_series(runs, jobs, steps))
    commits = inputs.commits.rename(columns={"head_sha": "sha"})
    found = anomalies_of_all(series, commits)  # as the agent does: a thread per core
    t2 = time.perf_counter()
    kinds = pd.Series([f["kind"] for f in found]).value_counts().to_dict()
    print(f"series:       {len(series)} series, {len(found)} anomalies {kinds} in {t2 - t1:6.1f} s")

    measures = runs.merge(inputs.jobs, on=["run_id", "attempt"]).merge(
        inputs.steps, on=["run_id", "attempt"]
    )
    outliers = sum(
        len(multivariate_outliers(g.reset_index(drop=True)))
        for _, g in measures.groupby("workflow")
    )
    t3 = time.perf_counter()
    print(f"multivariate: {outliers} outliers in {t3 - t2:6.1f} s")
    print(
        f"total features + anomalies: {t3 - t0:.1f} s; peak RSS {peak_rss_mb():,.0f} MB "
        f"({rss_before:,.0f} MB after generating the history)"
    )


if __name__ == "__main__":
    main()
