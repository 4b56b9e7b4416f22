"""Deterministic generator of a realistic demo dump for ``acme-labs/shopfront``, with truth.

The demo is what the app shows before anyone connects a real repository, and what tests and
benchmarks measure the agents on, so it must look like a real GitHub Actions history (seasonal
pushes, matrices, re-runs, queueing, real tool output) *and* carry planted ground truth
(``truth.json``). Generation is a pure function of ``(seed, days, end, runs_target)``.

Usage: ``python -m core.sandbox.demo.generator OUT_DIR [--seed N] [--end ISO] [--days N] [--runs
N]``.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.dump.files import DumpWriter
from core.sandbox.demo.catalog import DEMO_REPO, WORKFLOWS
from core.sandbox.demo.commits import commit_payload
from core.sandbox.demo.history import outcome_for, rerun_actor, simulate_history
from core.sandbox.demo.junit import junit_xml
from core.sandbox.demo.logs.builder import iso_z
from core.sandbox.demo.logs.job_log import render_job_log
from core.sandbox.demo.payloads import job_payload, repo_payload, run_payload, workflow_payload
from core.sandbox.demo.scenarios import plan_history, plan_runs
from core.sandbox.demo.simulation import JobRun, RunRec, Sim
from core.sandbox.demo.timeline import DAY, build_timeline
from core.sandbox.demo.triggers import collect_triggers
from core.sandbox.demo.truth import TruthBuilder
from core.sandbox.demo.workflows import REPO_FILES

__all__ = ["DEMO_REPO", "generate_demo"]

LOG_DAYS = 14
ARTIFACT_DAYS = 30


def _end(end: datetime | None) -> datetime:
    if end is None:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return end.astimezone(UTC)


def _all_jobs(runs: list[RunRec]) -> list[JobRun]:
    return [j for r in runs for a in r.attempts for j in a.jobs]


def _has_log(job: JobRun) -> bool:
    return job.status == "completed" and any(
        s.start is not None and s.conclusion not in (None, "skipped") for s in job.steps
    )


def _last_green(jobs: list[JobRun]) -> set[int]:
    """For each failed job, the latest earlier success of the same job name (same branch
    when there is one, else any branch). Each pool's start times are listed once and searched
    by bisection, so this stays n log n (rebuilding them per failure made a 44k-run demo spend
    70% of its generation here)."""
    greens: dict[str, list[JobRun]] = defaultdict(list)
    by_branch: dict[tuple[str, str], list[JobRun]] = defaultdict(list)
    for job in sorted(jobs, key=lambda j: j.started):
        if job.conclusion == "success" and _has_log(job):
            greens[job.spec.name].append(job)
            by_branch[(job.spec.name, job.run.trigger.branch)].append(job)
    starts = {key: [g.started for g in pool] for key, pool in greens.items()}
    branch_starts = {key: [g.started for g in pool] for key, pool in by_branch.items()}
    keep: set[int] = set()
    for job in jobs:
        if job.conclusion != "failure":
            continue
        name, branch = job.spec.name, job.run.trigger.branch
        for pool, times in (
            (by_branch.get((name, branch), []), branch_starts.get((name, branch), [])),
            (greens.get(name, []), starts.get(name, [])),
        ):
            index = bisect.bisect_left(times, job.started)
            if index:
                keep.add(pool[index - 1].id)
    return keep


def choose_logs(runs: list[RunRec], end: float) -> set[int]:
    """Non-success jobs, every job of the last 14 days, and the last green of each failure."""
    jobs = [j for j in _all_jobs(runs) if _has_log(j)]
    keep = {j.id for j in jobs if j.conclusion != "success" or j.created >= end - LOG_DAYS * DAY}
    return keep | _last_green(jobs)


class _Writer:
    """Writes runs, jobs, logs and reports while feeding the truth builder."""

    def __init__(
        self, out: DumpWriter, seed: int, truth: TruthBuilder, logs: set[int], end: float
    ) -> None:
        self.out, self.seed, self.truth, self.logs = out, seed, truth, logs
        self.art_from = end - ARTIFACT_DAYS * DAY
        self.artifact_id = 2_310_000_000
        self.stats = {"logs": 0, "artifacts": 0, "jobs": 0}

    def _job(self, job: JobRun, latest: bool) -> None:
        spec, run = job.spec, job.run
        report = (
            latest
            and job.tests_ran
            and run.created >= self.art_from
            and bool(spec.artifact and spec.report and spec.suite)
        )
        if not report and job.id not in self.logs:
            self.truth.job(job, None, None, False)
            return
        rng = random.Random(self.seed * 1_000_003 + job.id)
        outcome = outcome_for(job, rng)
        art = (0, 0)
        reported = False
        if report and outcome is not None and spec.artifact and spec.report and spec.suite:
            goos = {"linux": "linux/amd64", "macos": "darwin/arm64", "windows": "windows/amd64"}
            host = f"fv-az{rng.randint(100, 999)}-{rng.randint(100, 999)}"
            data = junit_xml(
                outcome, spec.toolchain, spec.suite, job.started, host, goos[_family(spec.os)]
            )
            self.out.artifact_file(run.id, spec.artifact, spec.report, data)
            self.artifact_id += rng.randint(3, 40)
            art, reported = (self.artifact_id, len(data) // 6 + 300), True
            self.stats["artifacts"] += 1
        ranges = None
        if job.id in self.logs:
            text, ranges = render_job_log(job, rng, outcome, art)
            self.out.log(job.id, text)
            self.stats["logs"] += 1
        self.truth.job(job, ranges, outcome, reported)

    def run(self, run: RunRec, rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Write the jobs of every attempt; return (latest run payload, earlier payloads)."""
        actor = rerun_actor(run, rng)
        earlier = []
        for att in run.attempts:
            latest = att is run.attempts[-1]
            payloads = [job_payload(j) for j in att.jobs]
            self.out.jobs(run.id, payloads, None if latest else att.number)
            for job in att.jobs:
                self._job(job, latest)
            self.stats["jobs"] += len(att.jobs)
            if not latest:
                earlier.append(run_payload(run, att, actor))
        return run_payload(run, run.attempts[-1], actor), earlier


def _family(label: str) -> str:
    return (
        "windows"
        if label.startswith("windows")
        else ("macos" if label.startswith("macos") else "linux")
    )


def _write_static(out: DumpWriter, runs: list[RunRec], end: float) -> None:
    pushed = max(r.created for r in runs) if runs else end
    out.repo(repo_payload(end, pushed))
    out.workflows([workflow_payload(w, "2025-06-02T10:14:51Z") for w in WORKFLOWS])
    for rel, text in REPO_FILES.items():
        out.file(rel, text.encode())


def _summary(runs: list[RunRec], stats: dict[str, int], start: float, end: float) -> dict[str, Any]:
    done = [r for r in runs if r.attempts[-1].conclusion is not None]
    failed = sum(1 for r in done if r.attempts[-1].conclusion == "failure")
    return {
        "runs": len(runs),
        "completed_runs": len(done),
        "failed_runs": failed,
        "failure_rate": round(failed / max(1, len(done)), 4),
        "rerun_runs": sum(1 for r in runs if len(r.attempts) > 1),
        "cancelled_runs": sum(1 for r in done if r.attempts[-1].conclusion == "cancelled"),
        "window": {"start": iso_z(start), "end": iso_z(end)},
        **stats,
    }


def generate_demo(
    out_dir: str | Path,
    *,
    seed: int = 7,
    days: int = 90,
    end: datetime | None = None,
    runs_target: int = 2200,
) -> Path:
    """Write the demo dump into out_dir; returns out_dir. Deterministic for (seed, days, end,
    runs_target). end defaults to now (UTC) rounded down to the hour."""
    out_path = Path(out_dir)
    end_ts = _end(end).timestamp()
    start = end_ts - days * DAY
    rng = random.Random(seed)
    tl = build_timeline(rng, start, end_ts, runs_target)
    sc = plan_history(rng, tl)
    tl.triggers = collect_triggers(rng, tl, days)
    plan_runs(rng, sc, tl)
    runs = simulate_history(Sim(rng, sc, start, end_ts), tl)
    out = DumpWriter(out_path, compress=True)
    _write_static(out, runs, end_ts)
    truth = TruthBuilder(sc, seed)
    writer = _Writer(out, seed, truth, choose_logs(runs, end_ts), end_ts)
    earlier: list[dict[str, Any]] = []

    def latest() -> Iterator[dict[str, Any]]:  # written as made: never all held
        for run in runs:
            payload, older = writer.run(run, rng)
            earlier.extend(older)
            yield payload

    out.runs(latest())
    out.attempts(earlier)
    for sha in dict.fromkeys(r.sha for r in runs):
        out.commit(commit_payload(tl.commits[sha], random.Random(f"{seed}-{sha}")))
    summary = _summary(runs, writer.stats, start, end_ts)
    out.truth(truth.render(runs, summary))
    return out_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.sandbox.demo.generator", description=__doc__
    )
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=2200, help="approximate number of runs")
    parser.add_argument("--end", help="ISO-8601 end of the history (default: this hour, UTC)")
    args = parser.parse_args(argv)
    end = datetime.fromisoformat(args.end.replace("Z", "+00:00")) if args.end else None
    began = time.perf_counter()
    path = generate_demo(
        args.out_dir, seed=args.seed, days=args.days, end=end, runs_target=args.runs
    )
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    print(
        f"Wrote demo dump of {DEMO_REPO} to {path} ({size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - began:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
