"""Plant the problems the agents must find: regressions, flaky tests, an outage, upstream and
dependabot breakages, developer mistakes on pull requests, timeouts, OOM kills, slowdowns.

Planning happens in two passes: :func:`plan_history` before the triggers exist (it may retitle
pull requests so that, e.g., a fix commit says what it fixes) and :func:`plan_runs` once the
triggers are known (it picks the runs that time out, get OOM-killed or spike).
"""

from __future__ import annotations

import random
import time

from core.sandbox.demo.catalog import JOBS
from core.sandbox.demo.commits import make_files
from core.sandbox.demo.fault_details import describe
from core.sandbox.demo.faults import Fault, Flaky, Regression, Scenarios, Window
from core.sandbox.demo.suites import TestCase, suite
from core.sandbox.demo.timeline import DAY, HOUR, PullRequest, Timeline, bump_files

__all__ = ["plan_history", "plan_runs", "SUITE_JOBS"]

SUITE_OF = {"backend": "backend", "web": "web", "api": "api", "cli": "cli"}
SUITE_JOBS = {
    s: frozenset(j.name for j in JOBS if j.suite == s)
    for s in ("backend", "web", "api", "cli", "e2e")
}
_BY_NAME = {j.name: j for j in JOBS}


def _eligible(name: str, taken: set[str]) -> list[TestCase]:
    tests = suite(name)
    parents = {t.name.split("/")[0] for t in tests if "/" in t.name}
    return [
        t
        for t in tests
        if not t.skip
        and t.added == 0.0
        and t.test_id not in taken
        and "/" not in t.name
        and t.name not in parents
        and not t.classname.startswith("tests.api")
    ]


def _pick_tests(
    rng: random.Random, name: str, taken: set[str], n: int, reserve: bool = True
) -> list[TestCase]:
    """1-n tests of one file/class/package; ``reserve`` keeps them out of later picks."""
    pool = _eligible(name, taken)
    group = rng.choice(sorted({t.group for t in pool}))
    same = [t for t in pool if t.group == group]
    chosen = rng.sample(same, min(n, len(same)))
    if reserve:
        taken.update(t.test_id for t in chosen)
    return chosen


def _source_of(test: TestCase) -> str:
    if test.suite == "backend":
        return f"backend/app/{test.file.rsplit('test_', 1)[1][:-3]}/service.py"
    if test.suite == "web":
        return "web/" + test.file.replace(".test.tsx", ".tsx").replace(".test.ts", ".ts")
    if test.suite == "api":
        return "services/api/" + test.file.replace("/test/", "/main/").replace("Test.java", ".java")
    return f"cli/{test.file.replace('_test.go', '.go')}"


def _scale(tl: Timeline) -> float:
    """Shorter histories get shorter breakages, so a small demo is not mostly red."""
    return max(0.25, min(1.0, (tl.end - tl.start) / (90 * DAY)))


def _retitle(pr: PullRequest, title: str) -> None:
    pr.title = title
    if pr.pushes:
        pr.pushes[0].message = title
    if pr.merge is not None:
        pr.merge.message = f"{title} (#{pr.number})"


def _fix_pr(tl: Timeline, after: float, since: float, used: set[int]) -> PullRequest | None:
    """The first pull request merged after ``after`` that was opened after ``since``."""
    cands = [
        p
        for p in tl.prs
        if p.merge is not None
        and p.merge.time >= after
        and p.opened > since - 12 * HOUR
        and not p.bump
        and p.number not in used
    ]
    return min(cands, key=lambda p: p.merge.time) if cands else None  # type: ignore[union-attr]


def _main_regressions(
    rng: random.Random, tl: Timeline, sc: Scenarios, taken: set[str], used: set[int]
) -> None:
    span = tl.end - tl.start
    merged = {p.merge.sha: p for p in tl.prs if p.merge is not None}
    for comp, frac, hours in (("backend", 0.2, 22), ("api", 0.46, 30), ("web", 0.71, 9)):
        target = tl.start + frac * span
        cands = [
            c
            for c in tl.main[1:]
            if c.component == comp
            and c.sha in merged
            and merged[c.sha].number not in used
            and abs(c.time - target) < 0.2 * span
        ]
        if not cands:
            continue
        intro = min(cands, key=lambda c: abs(c.time - target))
        fix = _fix_pr(tl, intro.time + hours * _scale(tl) * HOUR, intro.time, used)
        if fix is None or fix.merge is None:
            continue
        used.update({merged[intro.sha].number, fix.number})
        tests = _pick_tests(rng, SUITE_OF[comp], taken, rng.randint(1, 3))
        src = _source_of(tests[0])
        intro.files = make_files(rng, comp, forced=(src,))
        fix.component = comp
        _retitle(
            fix, f"Fix {tests[0].name.split('[')[0]} regression from #{merged[intro.sha].number}"
        )
        fix.merge.component = comp
        fix.merge.files = make_files(rng, comp, 0.5, forced=(src,))
        sc.regressions.append(
            Regression(
                SUITE_OF[comp],
                tests,
                SUITE_JOBS[SUITE_OF[comp]],
                intro.time,
                fix.merge.time,
                "main",
                intro.sha,
                fix.merge.sha,
                exclude_pr=fix.number,
            )
        )


def _branch_regressions(
    rng: random.Random, tl: Timeline, sc: Scenarios, taken: set[str], used: set[int]
) -> None:
    cands = [
        p
        for p in tl.prs
        if len(p.pushes) >= 4 and not p.bump and p.number not in used and p.component in SUITE_OF
    ]
    for pr in rng.sample(cands, min(2, len(cands))):
        used.add(pr.number)
        i = rng.randint(1, len(pr.pushes) - 3)
        tests = _pick_tests(rng, SUITE_OF[pr.component], taken, rng.randint(1, 2))
        shas = frozenset(c.sha for c in pr.pushes[i : i + 2])
        fix = pr.pushes[i + 2]
        fix.message = f"Fix {tests[0].name.split('[')[0]} after refactor"
        src = _source_of(tests[0])
        pr.pushes[i].files = make_files(rng, pr.component, forced=(src,))
        sc.regressions.append(
            Regression(
                SUITE_OF[pr.component],
                tests,
                SUITE_JOBS[SUITE_OF[pr.component]],
                pr.push_times[i],
                pr.push_times[i + 2],
                pr.branch,
                pr.pushes[i].sha,
                fix.sha,
                shas,
            )
        )


_MISTAKES = {
    "backend": (
        ("ruff", 0.3),
        ("ruff_format", 0.1),
        ("mypy", 0.25),
        ("tests", 0.3),
        ("pip_missing", 0.05),
    ),
    "web": (("eslint", 0.3), ("tsc", 0.25), ("tests", 0.4), ("npm_e404", 0.05)),
    "api": (("javac", 0.45), ("tests", 0.55)),
    "cli": (("go_build", 0.3), ("go_vet", 0.25), ("tests", 0.45)),
    "ci": (("action_ref", 1.0),),
}
_MISTAKE_META = {
    "ruff": ("lint", "ruff", {"lint"}),
    "ruff_format": ("lint", "ruff", {"lint"}),
    "mypy": ("compilation", "mypy", {"lint"}),
    "eslint": ("lint", "eslint", {"lint"}),
    "tsc": ("compilation", "tsc", {"lint"}),
    "javac": ("compilation", "maven", {"api-service"}),
    "go_build": ("compilation", "go_vet", SUITE_JOBS["cli"]),
    "go_vet": ("lint", "go_vet", SUITE_JOBS["cli"]),
    "pip_missing": ("dependency_resolution", "install", SUITE_JOBS["backend"] | {"lint"}),
    "npm_e404": ("dependency_resolution", "install", {"frontend-tests", "lint"}),
    "action_ref": ("configuration", "setup_job", {"lint", "frontend-tests"}),
}


def _mistakes(
    rng: random.Random, tl: Timeline, sc: Scenarios, taken: set[str], used: set[int]
) -> None:
    for pr in tl.prs:
        if pr.bump or pr.number in used or pr.component not in _MISTAKES:
            continue
        for i, commit in enumerate(pr.pushes[:-1]):
            if rng.random() >= 0.17:
                continue
            kinds, weights = zip(*_MISTAKES[pr.component], strict=True)
            kind = rng.choices(kinds, weights)[0]
            fixed = pr.pushes[i + 1].sha
            if kind == "tests":
                tests = _pick_tests(
                    rng, SUITE_OF[pr.component], taken, rng.randint(1, 2), reserve=False
                )
                commit.files = make_files(rng, pr.component, forced=(_source_of(tests[0]),))
                sc.regressions.append(
                    Regression(
                        SUITE_OF[pr.component],
                        tests,
                        SUITE_JOBS[SUITE_OF[pr.component]],
                        pr.push_times[i],
                        pr.push_times[i + 1],
                        pr.branch,
                        commit.sha,
                        fixed,
                        frozenset({commit.sha}),
                        origin="mistake",
                    )
                )
                sc.truth.setdefault("pr_breakages", []).append(
                    {
                        "sha": commit.sha,
                        "fixed_sha": fixed,
                        "branch": pr.branch,
                        "pr": pr.number,
                        "category": "test_failure",
                        "jobs": sorted(SUITE_JOBS[SUITE_OF[pr.component]]),
                        "tests": [t.test_id for t in tests],
                        "cause": "test broken by the change",
                    }
                )
                continue
            category, step, jobs = _MISTAKE_META[kind]
            detail, cause = describe(kind, rng)
            fault = Fault("mistake", category, False, step, kind, cause, detail=detail)
            sc.by_sha.setdefault(commit.sha, []).append((frozenset(jobs), fault))
            sc.truth.setdefault("pr_breakages", []).append(
                {
                    "sha": commit.sha,
                    "fixed_sha": fixed,
                    "branch": pr.branch,
                    "pr": pr.number,
                    "category": category,
                    "jobs": sorted(jobs),
                    "tests": [],
                    "cause": cause,
                }
            )


def _weekday_morning(rng: random.Random, t: float) -> float:
    day = t - t % DAY
    while time.gmtime(day).tm_wday >= 5:
        day += DAY
    return day + rng.uniform(7.5, 10.5) * HOUR


def _upstream(rng: random.Random, tl: Timeline, sc: Scenarios, used: set[int]) -> None:
    span = tl.end - tl.start
    specs = (
        (
            0.58,
            20,
            "pip_resolution",
            "dependency_resolution",
            "install",
            SUITE_JOBS["backend"] | SUITE_JOBS["e2e"] | {"lint"},
            "grpcio-status 1.68.1 (upstream release) needs protobuf>=5.26.1; requirements pin "
            "protobuf==4.25.5",
            "Pin grpcio-status below 1.68",
            "grpcio-status",
            "1.68.1",
        ),
        (
            0.27,
            30,
            "mypy_upstream",
            "compilation",
            "mypy",
            frozenset({"lint"}),
            "",
            "Pin mypy to 1.13.0 and drop stale type: ignore comments",
            "mypy",
            "1.14.0",
        ),
    )
    for frac, hours, kind, category, step, jobs, cause, title, pkg, ver in specs:
        start = _weekday_morning(rng, tl.start + frac * span)
        fix = _fix_pr(tl, start + hours * _scale(tl) * HOUR, start, used)
        if fix is None or fix.merge is None:
            continue
        used.add(fix.number)
        detail, described = describe(kind, rng)
        fault = Fault("dependency", category, False, step, kind, cause or described, detail=detail)
        _retitle(fix, title)
        fix.merge.files = make_files(rng, "backend", 0.3, forced=("backend/requirements.txt",))
        sc.windows.append(Window(start, fix.merge.time, frozenset(jobs), fault, fix.number))
        sc.truth.setdefault("dependency_breakages", []).append(
            {
                "kind": "upstream_release",
                "package": pkg,
                "version": ver,
                "category": category,
                "start": start,
                "end": fix.merge.time,
                "fixed_sha": fix.merge.sha,
                "branch": "*",
                "jobs": sorted(jobs),
                "cause": fault.cause,
            }
        )


def _dependabot(rng: random.Random, tl: Timeline, sc: Scenarios, used: set[int]) -> None:
    closed = [p for p in tl.prs if p.bump and p.merge is None and p.number not in used]
    plans = (
        (
            "maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.17.2",
            "2.18.1",
            "/services/api",
            "api",
            "maven_enforcer",
            "dependency_policy",
            "maven",
            {"api-service"},
            "enforcer DependencyConvergence: jackson-core 2.18.1 vs 2.17.2",
        ),
        (
            "npm_and_yarn",
            "@testing-library/react",
            "15.0.7",
            "16.1.0",
            "/web",
            "web",
            "npm_eresolve",
            "dependency_resolution",
            "install",
            {"frontend-tests", "lint"},
            "npm ERESOLVE: @testing-library/react 16.1.0 needs react ^19",
        ),
    )
    for pr, plan in zip(rng.sample(closed, min(2, len(closed))), plans, strict=False):
        eco, pkg, old, new, folder, comp, kind, category, step, jobs, cause = plan
        used.add(pr.number)
        pr.bump = (eco, pkg, old, new)
        pr.component = comp
        pr.branch = f"dependabot/{eco}/{folder.strip('/')}/{pkg.replace(':', '-')}-{new}"
        _retitle(pr, f"Bump {pkg} from {old} to {new} in {folder}")
        for commit in pr.pushes:
            commit.component = comp
            commit.files = bump_files(eco)
        fault = Fault("dependency", category, False, step, kind, cause)
        for commit in pr.pushes:
            sc.by_sha.setdefault(commit.sha, []).append((frozenset(jobs), fault))
        sc.truth.setdefault("dependency_breakages", []).append(
            {
                "kind": "dependabot",
                "package": pkg,
                "version": new,
                "category": category,
                "branch": pr.branch,
                "pr": pr.number,
                "shas": [c.sha for c in pr.pushes],
                "jobs": sorted(jobs),
                "cause": cause,
            }
        )


def _flaky(rng: random.Random, sc: Scenarios, taken: set[str]) -> None:
    plan = (
        (
            "backend",
            ("backend-tests (3.11)", "backend-tests (3.12)", "backend-tests (windows-latest)"),
            0.02,
        ),
        ("web", ("frontend-tests",), 0.02),
        ("api", ("api-service",), 0.02),
        ("cli", ("cli (macos-14)",), 0.02),
        ("e2e", ("e2e",), 0.2),
        ("e2e", ("e2e",), 0.05),
        ("e2e", ("e2e",), 0.03),
        ("backend", ("backend-tests (windows-latest)",), 0.1),
        ("backend", ("backend-tests (windows-latest)",), 0.04),
    )
    for name, jobs, rate in plan:
        pool = [t for t in _eligible(name, taken)]
        test = rng.choice(pool)
        taken.add(test.test_id)
        sc.flaky.append(Flaky(test, rate, frozenset(jobs)))


def plan_history(rng: random.Random, tl: Timeline) -> Scenarios:
    """Scenarios that shape commits and pull requests (run before collecting triggers)."""
    span = tl.end - tl.start
    day = _weekday_morning(rng, tl.start + rng.uniform(0.5, 0.66) * span)
    outage = (day - 8 * HOUR + 12.6 * HOUR, day - 8 * HOUR + 17.8 * HOUR)
    sc = Scenarios(outage)
    taken: set[str] = set()
    used = {p.number for p in tl.prs[-2:]}
    _flaky(rng, sc, taken)
    _main_regressions(rng, tl, sc, taken, used)
    _branch_regressions(rng, tl, sc, taken, used)
    _upstream(rng, tl, sc, used)
    _dependabot(rng, tl, sc, used)
    _mistakes(rng, tl, sc, taken, used)
    start = tl.start + 0.3 * span
    sc.slowdown = ("frontend-tests", start, start + 0.33 * span, 1.8)
    return sc


def _pick_runs(
    rng: random.Random, tl: Timeline, sc: Scenarios, n: int, workflow: str, event: str | None = None
) -> list[int]:
    lo, hi = sc.outage
    idx = [
        i
        for i, t in enumerate(tl.triggers)
        if t.workflow == workflow
        and (event is None or t.event == event)
        and not lo - HOUR <= t.time < hi + HOUR
        and t.time < tl.end - 6 * HOUR
    ]
    return rng.sample(idx, min(n, len(idx)))


_PLANTED = (
    (
        "Nightly",
        "schedule",
        "e2e",
        2,
        "timeout",
        "timeout",
        "pytest",
        "end-to-end test hung waiting for the checkout page; job exceeded timeout-minutes",
    ),
    (
        "CI",
        "push",
        "api-service",
        1,
        "timeout",
        "timeout",
        "maven",
        "InventoryReservationIT deadlocked; job exceeded timeout-minutes",
    ),
    (
        "Nightly",
        "schedule",
        "backend-tests (windows-latest)",
        1,
        "timeout",
        "timeout",
        "pytest",
        "pytest hung on Windows (socket not closed); job exceeded timeout-minutes",
    ),
    (
        "CI",
        "push",
        "frontend-tests",
        2,
        "oom_node",
        "resource_exhaustion",
        "jest",
        "jest worker ran out of JavaScript heap",
    ),
    (
        "CI",
        "push",
        "api-service",
        1,
        "oom_surefire",
        "resource_exhaustion",
        "maven",
        "surefire fork killed by the OOM killer (exit code 137)",
    ),
    (
        "CI",
        "push",
        "backend-tests (3.12)",
        1,
        "oom_killed",
        "resource_exhaustion",
        "pytest",
        "pytest killed by the OOM killer (exit code 137)",
    ),
    (
        "Nightly",
        "schedule",
        "e2e",
        1,
        "oom_killed",
        "resource_exhaustion",
        "pytest",
        "pytest (browsers) killed by the OOM killer (exit code 137)",
    ),
    (
        "CI",
        "push",
        "backend-tests (3.11)",
        1,
        "runner_shutdown",
        "infrastructure",
        "pytest",
        "hosted runner received a shutdown signal",
    ),
    (
        "CI",
        "pull_request",
        "frontend-tests",
        1,
        "runner_shutdown",
        "infrastructure",
        "jest",
        "hosted runner received a shutdown signal",
    ),
    (
        "CI",
        "push",
        "cli (macos-14)",
        1,
        "runner_shutdown",
        "infrastructure",
        "gotest",
        "hosted runner received a shutdown signal",
    ),
)


def plan_runs(rng: random.Random, sc: Scenarios, tl: Timeline) -> None:
    """Scenarios tied to individual runs (needs the triggers)."""
    for workflow, event, job, n, kind, category, step, cause in _PLANTED:
        for i in _pick_runs(rng, tl, sc, max(1, round(n * _scale(tl))), workflow, event):
            if (i, job) not in sc.planted:
                sc.planted[(i, job)] = Fault(
                    kind.split("_")[0] if kind != "runner_shutdown" else "runner",
                    category,
                    True,
                    step,
                    kind,
                    cause,
                )
    releases = [
        i for i, t in enumerate(tl.triggers) if t.workflow == "Release" and t.event == "push"
    ]
    if len(releases) >= 3:
        a, b = releases[len(releases) // 2], releases[len(releases) // 3]
        sc.planted[(a, "publish-images")] = Fault(
            "permissions",
            "permissions",
            False,
            "docker_push",
            "ghcr_denied",
            "GITHUB_TOKEN lacks packages: write for the organization package",
        )
        sc.planted[(b, "release-cli")] = Fault(
            "configuration",
            "configuration",
            False,
            "goreleaser",
            "goreleaser_dirty",
            "goreleaser refuses a dirty git state (cli/dist not ignored)",
        )
    tests = {
        "CI": [
            "backend-tests (3.11)",
            "backend-tests (3.12)",
            "frontend-tests",
            "api-service",
            "cli (ubuntu-latest)",
            "cli (macos-14)",
            "lint",
        ],
        "Nightly": ["e2e", "backend-tests (windows-latest)"],
    }
    for workflow, jobs in tests.items():
        count = max(2, int(sum(1 for t in tl.triggers if t.workflow == workflow) * 0.012))
        for i in _pick_runs(rng, tl, sc, count, workflow):
            sc.spikes[i] = rng.choice(jobs)
