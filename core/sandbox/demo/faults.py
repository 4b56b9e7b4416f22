"""What can go wrong in a job, and which planted scenario decides it.

A :class:`Fault` names the step that fails, the root-cause category, whether a re-run would
pass (``transient``) and the renderer that writes its log lines. :class:`Scenarios` holds every
planted problem; :func:`resolve_fault` asks them, in the order a real job would meet them
(runner setup, install, compile/lint, tests), which fault hits one job attempt.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from core.sandbox.demo.catalog import JobSpec
from core.sandbox.demo.suites import TestCase, suite

__all__ = [
    "Fault",
    "Flaky",
    "Regression",
    "Scenarios",
    "Window",
    "resolve_fault",
    "TEST_STEPS",
    "runnable_tests",
]

TEST_STEPS = {
    "pytest": "pytest",
    "jest": "jest",
    "maven": "maven",
    "gotest": "gotest",
    "e2e": "pytest",
}

# Where each network-dependent job first talks to a registry.
_NET_STEP = {
    "pytest": ("install_py", "net_pip"),
    "e2e": ("install_py", "net_pip"),
    "jest": ("install_node", "net_npm"),
    "maven": ("maven", "net_maven"),
    "gotest": ("go_mod", "net_go"),
    "lint": ("install_lint", "net_pip"),
    "docker": ("docker_build", "docker_503"),
    "codeql": ("setup_job", "action_503"),
    "goreleaser": ("goreleaser", "net_go"),
    "changes": ("setup_job", "action_503"),
}


@dataclass(slots=True)
class Fault:
    """One reason for a job to fail, with everything the log renderer and truth need."""

    source: str
    category: str
    transient: bool
    step: str
    kind: str
    cause: str
    tests: list[TestCase] = field(default_factory=list)
    timing: set[str] = field(default_factory=set)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Window:
    """A time window during which some jobs fail deterministically on every branch."""

    start: float
    end: float
    jobs: frozenset[str]
    fault: Fault
    exclude_pr: int | None = None


@dataclass
class Regression:
    """Tests broken from one commit until a later fix, on ``main`` or one PR branch."""

    suite: str
    tests: list[TestCase]
    jobs: frozenset[str]
    start: float
    end: float
    branch: str
    intro_sha: str
    fix_sha: str
    shas: frozenset[str] = frozenset()
    exclude_pr: int | None = None
    origin: str = "regression"  # or "mistake" (one broken push on a PR, fixed by the next)


@dataclass
class Flaky:
    """A test that fails at random with probability ``rate`` in the listed jobs."""

    test: TestCase
    rate: float
    jobs: frozenset[str]


@dataclass
class Scenarios:
    """Every planted problem of one demo."""

    outage: tuple[float, float]
    regressions: list[Regression] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    by_sha: dict[str, list[tuple[frozenset[str], Fault]]] = field(default_factory=dict)
    flaky: list[Flaky] = field(default_factory=list)
    planted: dict[tuple[int, str], Fault] = field(default_factory=dict)
    spikes: dict[int, str] = field(default_factory=dict)
    slowdown: tuple[str, float, float, float] = ("frontend-tests", 0.0, 0.0, 1.0)
    truth: dict[str, Any] = field(default_factory=dict)
    _reg_index: tuple[int, dict[str, list[int]], list[int]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def regressions_at(self, sha: str) -> list[Regression]:
        """The regressions that can hit a run of ``sha``, in the order they were planted: those
        bound to that commit (one broken push) and every one bound to a time window instead.

        Why an index: the broken pushes grow with the pull requests, and asking every one of
        them per job made the generator grow with runs x pull requests (5x the runs: 24x the
        checks). Rebuilt when a regression is added."""
        if self._reg_index is None or self._reg_index[0] != len(self.regressions):
            by_sha: dict[str, list[int]] = {}
            windowed: list[int] = []
            for index, reg in enumerate(self.regressions):
                for sha_ in reg.shas:
                    by_sha.setdefault(sha_, []).append(index)
                if not reg.shas:
                    windowed.append(index)
            self._reg_index = (len(self.regressions), by_sha, windowed)
        _, by_sha, windowed = self._reg_index
        hits = by_sha.get(sha)
        order = sorted([*hits, *windowed]) if hits else windowed
        return [self.regressions[i] for i in order]


_RUNNABLE: dict[tuple[str, int], tuple[list[TestCase], frozenset[str]]] = {}


def _runnable(spec: JobSpec, frac: float) -> tuple[list[TestCase], frozenset[str]]:
    """Cached by how many 'added' thresholds have passed (the suite only grows)."""
    tests = suite(spec.suite or "")
    key = (spec.name, bisect.bisect_right(_thresholds(spec.suite or ""), frac))
    hit = _RUNNABLE.get(key)
    if hit is None:
        windows = spec.os.startswith("windows")
        out = [
            t
            for t in tests
            if t.added <= frac
            and not t.skip
            and not (windows and t.classname.startswith("tests.api"))
        ]
        hit = _RUNNABLE[key] = (out, frozenset(t.test_id for t in out))
    return hit


@cache
def _thresholds(name: str) -> list[float]:
    return sorted({t.added for t in suite(name)})


def runnable_tests(spec: JobSpec, frac: float) -> list[TestCase]:
    """Tests that exist at history fraction ``frac`` and run (not skipped) on this job."""
    if spec.suite is None:
        return []
    return list(_runnable(spec, frac)[0])


def _test_fault(spec: JobSpec, failing: dict[str, tuple[TestCase, str]], timing: set[str]) -> Fault:
    sources = {src for _, src in failing.values()}
    transient = sources == {"flaky"}
    tests = [t for t, _ in failing.values()]
    names = ", ".join(t.name for t in tests[:3]) + (" …" if len(tests) > 3 else "")
    label = "flaky test" if transient else "failing test"
    return Fault(
        "flaky" if transient else "tests",
        "test_failure",
        transient,
        TEST_STEPS[spec.toolchain],
        "tests",
        f"{label}{'s' if len(tests) > 1 else ''}: {names}",
        tests,
        timing,
    )


def _outage_fault(spec: JobSpec, rng: random.Random) -> Fault:
    step, kind = _NET_STEP[spec.toolchain]
    if (
        spec.os.startswith("ubuntu")
        and any(s.kind == "containers" for s in spec.steps)
        and rng.random() < 0.3
    ):
        step, kind = "containers", "docker_pull"
    elif rng.random() < 0.15:
        step, kind = "setup_job", "action_503"
    return Fault(
        "outage",
        "infrastructure",
        True,
        step,
        kind,
        "package registry / GitHub service outage (HTTP 503, connection resets)",
    )


def _test_failures(
    sc: Scenarios, spec: JobSpec, run: Any, at: float, rng: random.Random, frac: float
) -> Fault | None:
    if spec.suite is None:
        return None
    present = _runnable(spec, frac)[1]
    failing: dict[str, tuple[TestCase, str]] = {}
    for reg in sc.regressions_at(run.sha):
        if spec.name in reg.jobs and _reg_applies(reg, run, at):
            for test in reg.tests:
                failing.setdefault(test.test_id, (test, "regression"))
    timing: set[str] = set()
    for flaky in sc.flaky:
        hit = spec.name in flaky.jobs and rng.random() < flaky.rate
        if hit and flaky.test.test_id not in failing:
            failing[flaky.test.test_id] = (flaky.test, "flaky")
            timing.add(flaky.test.test_id)
    failing = {k: v for k, v in failing.items() if k in present}
    return _test_fault(spec, failing, timing & set(failing)) if failing else None


def _reg_applies(reg: Regression, run: Any, at: float) -> bool:
    if reg.shas:
        return run.sha in reg.shas
    pr = run.trigger.pr
    if pr is not None and pr.number == reg.exclude_pr:
        return False
    on_lineage = run.trigger.branch == "main" or run.trigger.event == "pull_request"
    return on_lineage and reg.start <= at < reg.end


def resolve_fault(
    sc: Scenarios, spec: JobSpec, run: Any, attempt: int, at: float, rng: random.Random, frac: float
) -> Fault | None:
    """The fault that hits this job attempt, or None when it passes."""
    planted = sc.planted.get((run.index, spec.name))
    if planted is not None and (attempt == 1 or not planted.transient):
        return planted
    lo, hi = sc.outage
    if lo <= at < hi and rng.random() < 0.7:
        return _outage_fault(spec, rng)
    for jobs, fault in sc.by_sha.get(run.sha, ()):
        if spec.name in jobs:
            return fault
    for win in sc.windows:
        pr = run.trigger.pr
        if (
            spec.name in win.jobs
            and win.start <= at < win.end
            and not (pr is not None and pr.number == win.exclude_pr)
        ):
            return win.fault
    return _test_failures(sc, spec, run, at, rng, frac)
