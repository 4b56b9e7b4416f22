"""Build truth.json: what was planted and what every failing job's log says, for tests and
benchmarks only (analysis code never reads it).
"""

from __future__ import annotations

from typing import Any

from core.sandbox.demo.faults import Scenarios
from core.sandbox.demo.logs.builder import Outcome, iso_z
from core.sandbox.demo.simulation import JobRun, RunRec

__all__ = ["TruthBuilder"]

_CONVENTIONS = {
    "lines": "1-based inclusive [start, end] ranges into the decompressed log text split on "
    "'\\n' only",
    "test_id": "JUnit '<classname>::<name>' as written in the job's JUnit report",
    "timeouts": "GitHub records a job that exceeds timeout-minutes with conclusion 'cancelled' "
    "(the run is 'cancelled' unless another job failed); truth lists their job ids",
    "flaky_tests.rate": "probability that the test fails in one attempt of that job",
    "regressions": "planted regressions: deterministic failures from introduced_sha until "
    "fixed_sha on that branch lineage (main: every main/PR run in between)",
    "pr_breakages": "a push on a pull request that broke something, fixed by the next push",
}


class TruthBuilder:
    """Collects per-job facts while the dump is written, then renders truth.json."""

    def __init__(self, sc: Scenarios, seed: int) -> None:
        self.sc = sc
        self.seed = seed
        self.root_causes: dict[str, dict[str, Any]] = {}
        self.test_counts: dict[str, dict[str, int]] = {}
        self.kinds: dict[str, list[int]] = {"timeout": [], "oom": [], "runner": []}

    def job(
        self, job: JobRun, ranges: list[list[int]] | None, outcome: Outcome | None, reported: bool
    ) -> None:
        """Record one job: its root cause (when it has a log and failed) and its test counts."""
        fault = job.fault
        if fault is not None:
            for key in self.kinds:
                if fault.source == key:
                    self.kinds[key].append(job.id)
        if ranges is not None and fault is not None and job.conclusion in ("failure", "cancelled"):
            step = next(
                (s.spec.name for s in job.steps if s.conclusion in ("failure", "cancelled")), None
            )
            self.root_causes[str(job.id)] = {
                "category": fault.category,
                "transient": fault.transient,
                "lines": ranges,
                "tests": [t.test_id for t in fault.tests] if fault.kind == "tests" else [],
                "cause": fault.cause,
                "source": fault.source,
                "step": step,
                "job": job.spec.name,
                "run_id": job.run.id,
            }
        if outcome is not None and job.tests_ran and (ranges is not None or reported):
            self.test_counts[str(job.id)] = outcome.counts

    def _flaky(self) -> list[dict[str, Any]]:
        out = []
        for flaky in self.sc.flaky:
            for name in sorted(flaky.jobs):
                out.append({"test_id": flaky.test.test_id, "job": name, "rate": flaky.rate})
        return out

    def _regressions(self) -> list[dict[str, Any]]:
        return [
            {
                "introduced_sha": r.intro_sha,
                "fixed_sha": r.fix_sha,
                "introduced_at": iso_z(r.start),
                "fixed_at": iso_z(r.end),
                "tests": [t.test_id for t in r.tests],
                "jobs": sorted(r.jobs),
                "branch": r.branch,
            }
            for r in self.sc.regressions
            if r.origin == "regression"
        ]

    def _dated(self, key: str) -> list[dict[str, Any]]:
        out = []
        for item in self.sc.truth.get(key, []):
            item = dict(item)
            for field in ("start", "end"):
                if isinstance(item.get(field), float):
                    item[field] = iso_z(item[field])
            out.append(item)
        return out

    def render(self, runs: list[RunRec], summary: dict[str, Any]) -> dict[str, Any]:
        sc = self.sc
        lo, hi = sc.outage
        spikes = sorted(
            r.id
            for r in runs
            if r.index in sc.spikes
            and any(
                j.spec.name == sc.spikes[r.index] and j.conclusion == "success"
                for j in r.attempts[-1].jobs
            )
        )
        outage_runs = sorted(r.id for r in runs if lo <= r.created < hi)
        timeout_runs = sorted(
            {
                r.id
                for r in runs
                for a in r.attempts
                for j in a.jobs
                if j.fault is not None and j.fault.kind == "timeout"
            }
        )
        job, s0, s1, factor = sc.slowdown
        return {
            "generator": {"module": "core.sandbox.demo.generator", "seed": self.seed},
            "conventions": _CONVENTIONS,
            "flaky_tests": self._flaky(),
            "regressions": self._regressions(),
            "pr_breakages": self._dated("pr_breakages"),
            "outage": {
                "start": iso_z(lo),
                "end": iso_z(hi),
                "kind": "registry",
                "description": "package registries (PyPI, npm, Maven Central, Docker "
                "Hub, Go proxy) and action downloads return 503 / reset "
                "connections; hosted-runner queues grow to 10-30 min",
                "runs": outage_runs,
            },
            "dependency_breakages": self._dated("dependency_breakages"),
            "timeouts": sorted(self.kinds["timeout"]),
            "oom_kills": sorted(self.kinds["oom"]),
            "runner_failures": sorted(self.kinds["runner"]),
            "slowdown": {"job": job, "start": iso_z(s0), "end": iso_z(s1), "factor": factor},
            "duration_spikes": spikes,
            "anomalous_runs": sorted(set(spikes) | set(outage_runs) | set(timeout_runs)),
            "reruns": [
                {"run_id": r.id, "conclusions": [a.conclusion for a in r.attempts]}
                for r in runs
                if len(r.attempts) > 1
            ],
            "root_causes": self.root_causes,
            "test_counts": self.test_counts,
            "summary": summary,
        }
