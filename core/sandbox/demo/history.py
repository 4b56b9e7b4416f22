"""Run every trigger through the simulator, then number runs, jobs and artifacts like GitHub.

GitHub ids grow with time across all of GitHub, so run ids and job ids here grow with the
moment of creation (runs by trigger time, jobs by their own creation time, re-run jobs later
than everything created before them), with gaps as if other repositories were busy too.
"""

from __future__ import annotations

import random

from core.sandbox.demo.catalog import ACTORS, WORKFLOWS, Actor, jobs_of
from core.sandbox.demo.commits import component_of
from core.sandbox.demo.failure_messages import failure_for
from core.sandbox.demo.faults import runnable_tests
from core.sandbox.demo.logs.builder import Outcome
from core.sandbox.demo.simulation import JobRun, RunRec, Sim, StepRun, freeze_at, simulate_run
from core.sandbox.demo.suites import suite
from core.sandbox.demo.timeline import Timeline

__all__ = ["outcome_for", "rerun_actor", "simulate_history", "test_step"]

_RUN_NUMBER_BASE = {"CI": 4810, "Nightly": 402, "Release": 37, "CodeQL": 1190}
_TEST_KINDS = {"pytest", "jest", "maven", "gotest"}
_BASE_TIMES: dict[str, dict[str, float]] = {}


def _cancel_times(runs: list[RunRec]) -> dict[int, float]:
    """cancel-in-progress: a newer pull_request run of the same PR cancels the previous one."""
    cancel: dict[int, float] = {}
    last: dict[int, RunRec] = {}
    for run in runs:
        trig = run.trigger
        if trig.workflow != "CI" or trig.event != "pull_request" or trig.pr is None:
            continue
        prev = last.get(trig.pr.number)
        if prev is not None:
            cancel[prev.index] = run.created
        last[trig.pr.number] = run
    return cancel


def _assign_ids(runs: list[RunRec], start: float, rng: random.Random) -> None:
    numbers = dict(_RUN_NUMBER_BASE)
    last = 0
    for run in sorted(runs, key=lambda r: r.created):
        run.id = max(
            last + 1, 11_800_000_000 + int((run.created - start) * 37.0) + rng.randrange(30)
        )
        last = run.id
        numbers[run.workflow.key] += 1
        run.run_number = numbers[run.workflow.key]
    jobs = [j for r in runs for a in r.attempts for j in a.jobs]
    jobs.sort(key=lambda j: (j.created, j.run.id, j.spec.name))
    last = 0
    for job in jobs:
        job.id = max(
            last + 1, 32_500_000_000 + int((job.created - start) * 101.0) + rng.randrange(40)
        )
        last = job.id


def _components(run: RunRec) -> frozenset[str] | None:
    """paths-filter outputs of a pull_request run: what the PR changed so far vs. its base."""
    pr = run.trigger.pr
    if run.trigger.event != "pull_request" or pr is None:
        return None
    upto = pr.pushes[: pr.pushes.index(run.trigger.commit) + 1]
    comps = {component_of(f["filename"]) for c in upto for f in c.files}
    return None if "ci" in comps else frozenset(comps)


def simulate_history(sim: Sim, tl: Timeline) -> list[RunRec]:
    """Simulate all runs (with re-runs and cancellations) and give them GitHub ids."""
    wfs = {w.key: w for w in WORKFLOWS}
    runs = [RunRec(i, t, wfs[t.workflow]) for i, t in enumerate(tl.triggers)]
    for run in runs:
        run.components = _components(run)
    cancel = _cancel_times(runs)
    specs = {key: jobs_of(key) for key in wfs}
    for run in runs:
        simulate_run(sim, run, specs[run.workflow.key], cancel.get(run.index))
        for att in run.attempts:
            freeze_at(att, sim.end)
    _assign_ids(runs, sim.start, sim.rng)
    return runs


def rerun_actor(run: RunRec, rng: random.Random) -> Actor:
    """Who pressed 'Re-run': the PR author for PRs, a maintainer otherwise."""
    pr = run.trigger.pr
    if pr is not None and pr.author.kind == "User" and rng.random() < 0.8:
        return pr.author
    return rng.choice(ACTORS)


def test_step(job: JobRun) -> StepRun | None:
    """The job's test-running step, if it has one."""
    return next((s for s in job.steps if s.spec.kind in _TEST_KINDS), None)


def _base_times(name: str) -> dict[str, float]:
    if name not in _BASE_TIMES:
        rng = random.Random(f"durations-{name}")
        _BASE_TIMES[name] = {t.test_id: rng.lognormvariate(-3.2, 1.2) for t in suite(name)}
    return _BASE_TIMES[name]


def outcome_for(job: JobRun, rng: random.Random) -> Outcome | None:
    """Per-test results of the job's test step (None when no tests started)."""
    step = test_step(job)
    if (
        job.spec.suite is None
        or step is None
        or step.start is None
        or step.conclusion in (None, "skipped")
    ):
        return None
    tests = runnable_tests(job.spec, job.frac)
    ran = {t.test_id for t in tests}
    skipped = [t for t in suite(job.spec.suite) if t.added <= job.frac and t.test_id not in ran]
    failed = {}
    fault = job.fault
    if fault is not None and fault.kind == "tests":
        failed = {t.test_id: failure_for(t, t.test_id in fault.timing) for t in fault.tests}
    base = _base_times(job.spec.suite)
    total = sum(base[t.test_id] for t in tests) or 1.0
    span = max(1.0, ((step.end or step.start) - step.start) * 0.8)
    factor = span / total
    durations = {t.test_id: base[t.test_id] * factor * rng.uniform(0.7, 1.3) for t in tests}
    for test in tests:  # a Go parent test's time includes its subtests'
        if "/" in test.name:
            parent = f"{test.classname}::{test.name.split('/')[0]}"
            if parent in durations:
                durations[parent] += durations[test.test_id]
    return Outcome(tests, failed, skipped, durations)
