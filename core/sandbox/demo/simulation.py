"""Simulate what each workflow run did: attempts, jobs, queue times, step timings, outcomes.

Times are floats (epoch seconds) until the payloads are written. The simulator follows GitHub's
rules where they matter to the analysis: jobs queue before they start (longer on macOS, during
busy hours and during the outage); a failing step skips the following steps except
``if: always()`` ones and the post steps of actions that ran; a newer push to the same pull
request cancels the running run (``cancel-in-progress``); a re-run is a new attempt of the same
run id with new job ids.

Timeouts: GitHub stops a job that exceeds ``timeout-minutes``, logs "The job running on runner
… has exceeded the maximum execution time of N minutes." and records the job (and, when nothing
else failed, the run) with conclusion ``cancelled``, not ``timed_out``; we do the same.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from core.sandbox.demo.catalog import OS_INFO, JobSpec, StepSpec, WorkflowSpec
from core.sandbox.demo.faults import Fault, Scenarios, resolve_fault
from core.sandbox.demo.timeline import Trigger, to_work

__all__ = [
    "AttemptRec",
    "JobRun",
    "RunRec",
    "StepRun",
    "Sim",
    "freeze_at",
    "simulate_job",
    "simulate_run",
]


@dataclass(slots=True)
class StepRun:
    """One step of one job attempt."""

    spec: StepSpec
    number: int
    status: str
    conclusion: str | None
    start: float | None
    end: float | None


@dataclass(slots=True)
class JobRun:
    """One job of one run attempt."""

    spec: JobSpec
    run: RunRec
    attempt: int
    created: float
    started: float
    completed: float | None
    status: str
    conclusion: str | None
    steps: list[StepRun] = field(default_factory=list)
    fault: Fault | None = None
    runner: int | None = None
    id: int = 0
    tests_ran: bool = False
    frac: float = 0.0


@dataclass(slots=True)
class AttemptRec:
    """One attempt of a run (``run_attempt``)."""

    number: int
    started: float
    jobs: list[JobRun]
    status: str = "completed"
    conclusion: str | None = None
    updated: float = 0.0


@dataclass(slots=True)
class RunRec:
    """A workflow run with all its attempts (the last one is the 'latest')."""

    index: int
    trigger: Trigger
    workflow: WorkflowSpec
    id: int = 0
    run_number: int = 0
    attempts: list[AttemptRec] = field(default_factory=list)
    components: frozenset[str] | None = None  # paths-filter outputs (None: run everything)

    @property
    def sha(self) -> str:
        return self.trigger.commit.sha

    @property
    def created(self) -> float:
        return self.trigger.time


@dataclass
class Sim:
    """Shared simulation context: randomness, scenarios, window and the clock's 'now'."""

    rng: random.Random
    sc: Scenarios
    start: float
    end: float

    def frac(self, t: float) -> float:
        return (t - self.start) / max(1.0, self.end - self.start)


def _queue(sim: Sim, os: str, created: float) -> float:
    rng = sim.rng
    wait = OS_INFO[os].queue_median_s * rng.lognormvariate(0.0, 0.55)
    tm = time.gmtime(created)
    if tm.tm_wday < 5 and 12 <= tm.tm_hour < 17:
        wait *= 1.8
    lo, hi = sim.sc.outage
    if lo <= created < hi:
        wait += rng.lognormvariate(math.log(840.0), 0.55)
    if os.startswith("macos") and rng.random() < 0.04:
        wait *= rng.uniform(5.0, 20.0)
    return wait


def _durations(sim: Sim, spec: JobSpec, run: RunRec, started: float) -> list[float]:
    fixed = sum(s.fixed for s in spec.steps)
    var = max(10.0, spec.median_s - fixed) * OS_INFO[spec.os].speed
    var *= sim.rng.lognormvariate(0.0, spec.sigma)
    job, s0, s1, factor = sim.sc.slowdown
    if spec.name == job and started > s0:
        var *= 1.0 + (factor - 1.0) * min(1.0, (started - s0) / max(1.0, s1 - s0))
    spike = sim.rng.uniform(3.0, 4.5) if sim.sc.spikes.get(run.index) == spec.name else 1.0
    var *= spike
    # a spike slows the whole job (truth.json says "3-4.5 times its usual time"), its fixed
    # setup steps too: a job with long fixed steps would otherwise barely move
    durs = [s.fixed * spike * sim.rng.uniform(0.6, 1.5) + var * s.share for s in spec.steps]
    limit = spec.timeout_min * 60.0 * sim.rng.uniform(0.8, 0.93)
    if sum(durs) > limit:  # only planted hangs hit timeout-minutes; spikes stay below it
        fixed_part = sum(s.fixed for s in spec.steps) * 1.5 * spike
        scale = max(0.1, (limit - fixed_part) / max(1.0, var))
        durs = [d - var * s.share * (1 - scale) for d, s in zip(durs, spec.steps, strict=True)]
    return durs


def _fail_index(spec: JobSpec, fault: Fault) -> int:
    kinds = [s.kind for s in spec.steps]
    if fault.step == "install":
        return next(i for i, k in enumerate(kinds) if k.startswith("install"))
    if fault.step in kinds:
        return kinds.index(fault.step)
    main = [i for i, s in enumerate(spec.steps) if s.share > 0]
    return max(main, key=lambda i: spec.steps[i].share)


def _ran(steps: list[StepRun], name: str) -> bool:
    return any(s.spec.name == name and s.conclusion not in (None, "skipped") for s in steps)


def _should_run(step: StepSpec, done: list[StepRun], broken: bool) -> bool:
    if step.kind == "post":
        return _ran(done, step.name.removeprefix("Post "))
    if step.kind == "stop_containers":
        return _ran(done, "Initialize containers")
    if step.kind == "complete":
        return True
    return step.always or not broken


def _layout(sim: Sim, job: JobRun, durs: list[float], stop: tuple[int, float, str] | None) -> None:
    """Place steps one after another; ``stop`` = (index, time, conclusion) of the breaking step."""
    t = job.started
    broken = False
    fatal = stop is not None and stop[0] == 0  # 'Set up job' failed: nothing else runs
    for i, (step, dur) in enumerate(zip(job.spec.steps, durs, strict=True)):
        number = i + 1 if not step.post else i + 1 + len(job.spec.steps) // 3
        if broken and (
            not _should_run(step, job.steps, broken) or (fatal and step.kind != "complete")
        ):
            job.steps.append(StepRun(step, number, "completed", "skipped", t, t))
            continue
        if step.kind == "post" and not _ran(job.steps, step.name.removeprefix("Post ")):
            job.steps.append(StepRun(step, number, "completed", "skipped", t, t))
            continue
        end = t + dur
        conclusion = "success"
        if stop is not None and i == stop[0]:
            end, conclusion, broken = max(t + 0.5, stop[1]), stop[2], True
        job.steps.append(StepRun(step, number, "completed", conclusion, t, end))
        t = end + sim.rng.uniform(0.05, 0.6)
    job.completed = t


def _stop_for(sim: Sim, job: JobRun, durs: list[float], fault: Fault) -> tuple[int, float, str]:
    idx = _fail_index(job.spec, fault)
    before = job.started + sum(durs[:idx]) + 0.3 * idx
    if fault.kind == "timeout":
        return idx, job.started + job.spec.timeout_min * 60.0, "cancelled"
    if fault.category in ("test_failure", "resource_exhaustion"):
        share = 1.0 if fault.category == "test_failure" else sim.rng.uniform(0.5, 0.9)
    else:
        share = sim.rng.uniform(0.15, 0.6)
    return idx, before + durs[idx] * share, "failure"


def simulate_job(
    sim: Sim, spec: JobSpec, run: RunRec, attempt: int, created: float, cancel_at: float | None
) -> JobRun:
    """Queue, run and (maybe) break or cancel one job."""
    started = created + max(1.0, _queue(sim, spec.os, created))
    job = JobRun(
        spec,
        run,
        attempt,
        created,
        started,
        None,
        "completed",
        "success",
        runner=sim.rng.randint(1, 120),
        frac=sim.frac(started),
    )
    if cancel_at is not None and cancel_at <= started:
        job.started = job.completed = max(created, cancel_at)
        job.conclusion, job.runner = "cancelled", None
        return job
    durs = _durations(sim, spec, run, started)
    fault = resolve_fault(sim.sc, spec, run, attempt, started, sim.rng, job.frac)
    stop = _stop_for(sim, job, durs, fault) if fault else None
    natural_end = job.started + sum(durs) + 0.3 * len(durs)
    if cancel_at is not None and cancel_at < (stop[1] if stop else natural_end):
        t, idx = job.started, 0
        while idx < len(durs) - 1 and t + durs[idx] < cancel_at:
            t += durs[idx] + 0.3
            idx += 1
        fault = Fault(
            "cancelled",
            "cancelled",
            True,
            spec.steps[idx].kind,
            "cancelled",
            "cancelled: a newer push to the pull request superseded this run",
        )
        stop = (idx, cancel_at, "cancelled")
    job.fault = fault
    _layout(sim, job, durs, stop)
    if stop is not None:
        job.conclusion = "cancelled" if stop[2] == "cancelled" else "failure"
    test_kinds = {"pytest", "jest", "maven", "gotest"}
    job.tests_ran = any(
        s.spec.kind in test_kinds and s.conclusion in ("success", "failure") for s in job.steps
    ) and (fault is None or fault.kind == "tests")
    return job


def _attempt(
    sim: Sim, run: RunRec, number: int, start: float, specs: list[JobSpec], cancel_at: float | None
) -> AttemptRec:
    jobs: list[JobRun] = []
    for spec in (s for s in specs if not s.needs):
        created = start + sim.rng.uniform(1.0, 4.0)
        if spec.push_only and run.trigger.event != "push":
            jobs.append(
                JobRun(spec, run, number, created, created, created, "completed", "skipped")
            )
            continue
        jobs.append(simulate_job(sim, spec, run, number, created, cancel_at))
    for spec in (s for s in specs if s.needs):
        deps = [j for j in jobs if j.spec.name.split(" (")[0] in spec.needs]
        ready = max((j.completed or j.started) for j in deps) + sim.rng.uniform(1, 3)
        filtered = (
            spec.filter is not None
            and run.components is not None
            and spec.filter not in run.components
        )
        if cancel_at is not None and ready >= cancel_at:  # run cancelled before it started
            jobs.append(
                JobRun(spec, run, number, cancel_at, cancel_at, cancel_at, "completed", "cancelled")
            )
        elif (
            (spec.push_only and run.trigger.event != "push")
            or filtered
            or any(j.conclusion != "success" for j in deps)
        ):
            jobs.append(JobRun(spec, run, number, ready, ready, ready, "completed", "skipped"))
        else:
            jobs.append(simulate_job(sim, spec, run, number, ready, cancel_at))
    att = AttemptRec(number, start, jobs)
    _conclude(att)
    return att


def _conclude(att: AttemptRec) -> None:
    conclusions = {j.conclusion for j in att.jobs}
    att.conclusion = (
        "failure"
        if "failure" in conclusions
        else "cancelled"
        if "cancelled" in conclusions
        else "success"
    )
    att.updated = max((j.completed or j.started) for j in att.jobs)


def _rerun_p(att: AttemptRec) -> float:
    faults = [j.fault for j in att.jobs if j.conclusion == "failure" and j.fault]
    if not faults:
        return 0.0
    return 0.14 if all(f.transient for f in faults) else 0.015


def simulate_run(sim: Sim, run: RunRec, specs: list[JobSpec], cancel_at: float | None) -> None:
    """Simulate attempt 1 and any re-runs of one run."""
    start = run.created + sim.rng.uniform(0.4, 2.0)
    att = _attempt(sim, run, 1, start, specs, cancel_at)
    run.attempts.append(att)
    while (
        att.conclusion == "failure" and len(run.attempts) < 3 and sim.rng.random() < _rerun_p(att)
    ):
        again = to_work(sim.rng, att.updated + sim.rng.lognormvariate(math.log(1500.0), 0.8))
        if again > sim.end - 2 * 3600:
            break
        att = _attempt(sim, run, len(run.attempts) + 1, again, specs, None)
        run.attempts.append(att)


def freeze_at(att: AttemptRec, now: float) -> None:
    """Show the attempt as GitHub would at ``now``: later jobs queued or still running."""
    att.jobs = [j for j in att.jobs if j.created <= now]
    for job in att.jobs:
        if job.completed is not None and job.completed <= now:
            continue
        job.conclusion, job.fault, job.tests_ran = None, None, False
        if job.started > now:
            job.status, job.started, job.completed, job.steps = "queued", job.created, None, []
            job.runner = None
            continue
        job.status, job.completed = "in_progress", None
        for step in job.steps:
            if step.start is not None and step.start > now:
                step.status, step.conclusion, step.start, step.end = "queued", None, None, None
            elif step.end is not None and step.end > now:
                step.status, step.conclusion, step.end = "in_progress", None, None
    if all(j.status == "completed" for j in att.jobs):
        return
    att.status = "queued" if all(j.status == "queued" for j in att.jobs) else "in_progress"
    att.conclusion = None
    att.updated = max([j.started for j in att.jobs] + [att.started])
