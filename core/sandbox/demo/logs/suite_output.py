"""Console output of the four test runners (pytest, jest, maven surefire, go test -v).

Every renderer reads one :class:`~core.sandbox.demo.logs.builder.Outcome`, the same object the
JUnit writer
reads, so the console and the report always name the same failed tests. Each returns the lines
and the indices of the lines that state a failure (assertion, exception, FAIL summary).
``cut`` stops the output part-way (the job was killed or timed out).
"""

from __future__ import annotations

from itertools import groupby

from core.sandbox.demo.logs.builder import LogCtx, Outcome
from core.sandbox.demo.logs.setup_steps import PY_VERSIONS, py_env
from core.sandbox.demo.logs.steps import run_header
from core.sandbox.demo.suites import TestCase, suite

__all__ = ["TEST_RENDERERS", "maven_tests", "pytest_cmd", "sep"]

Lines = tuple[list[str], list[int]]


def sep(char: str, title: str = "", width: int = 80) -> str:
    """pytest's centred separator line."""
    if not title:
        return char * width
    n = max(2, width - len(title) - 2)
    return f"{char * (n // 2)} {title} {char * (n - n // 2)}"


def _groups(outcome: Outcome, everything: list[TestCase]) -> list[tuple[str, list[TestCase]]]:
    ran = {t.test_id for t in outcome.tests} | {t.test_id for t in outcome.skipped}
    keep = [t for t in everything if t.test_id in ran]
    return [(g, list(ts)) for g, ts in groupby(keep, key=lambda t: t.group)]


def _status(outcome: Outcome, test: TestCase, skipped: set[str]) -> str:
    if test.test_id in outcome.failed:
        return "F"
    return "s" if test.test_id in skipped else "."


def pytest_cmd(ctx: LogCtx) -> str:
    spec = ctx.job.spec
    if spec.toolchain == "e2e":
        return (
            f"python -m pytest tests/e2e --browser chromium --browser webkit "
            f"--junitxml=reports/{spec.report}"
        )
    return f"python -m pytest -p no:cacheprovider --junitxml=reports/{spec.report}"


def _pytest_head(ctx: LogCtx, n: int) -> list[str]:
    plat = {"linux": "linux", "macos": "darwin", "windows": "win32"}[ctx.os.family]
    py = PY_VERSIONS[ctx.job.spec.params.get("python", "3.12")]
    plugins = "anyio-4.7.0, asyncio-0.24.0, cov-6.0.0, respx-0.21.1"
    if ctx.job.spec.toolchain == "e2e":
        plugins = "anyio-4.7.0, base-url-2.1.0, playwright-0.6.2"
    return [
        sep("=", "test session starts"),
        f"platform {plat} -- Python {py}, pytest-8.3.4, pluggy-1.5.0",
        f"rootdir: {ctx.path('backend')}",
        "configfile: pyproject.toml",
        f"plugins: {plugins}",
        "asyncio: mode=Mode.STRICT, default_loop_scope=function",
        f"collected {n} items",
        "",
    ]


def _progress(
    ctx: LogCtx,
    groups: list[tuple[str, list[TestCase]]],
    outcome: Outcome,
    total: int,
    cut: float | None,
) -> list[str]:
    skipped = {t.test_id for t in outcome.skipped}
    lines, done = [], 0
    for path, tests in groups:
        if cut is not None and done >= cut * total:
            lines.append(f"{path.replace('/', ctx.sep)} " + "." * max(1, len(tests) // 3))
            return lines
        done += len(tests)
        chars = "".join(_status(outcome, t, skipped) for t in tests)
        segs = [chars[i : i + 60] for i in range(0, len(chars), 60)]
        for k, seg in enumerate(segs):
            text = f"{path.replace('/', ctx.sep)} {seg}" if k == 0 else seg
            if k == len(segs) - 1:
                pct = f"[{int(100 * done / max(1, total)):3d}%]"
                text += " " * max(1, 80 - len(text) - len(pct)) + pct
            lines.append(text)
    return lines


def _pytest(ctx: LogCtx, cut: float | None = None) -> Lines:
    o = ctx.outcome
    assert o is not None
    groups = _groups(o, list(suite(ctx.job.spec.suite)))
    total = len(o.tests) + len(o.skipped)
    lines = run_header(ctx, [pytest_cmd(ctx)], py_env(ctx)) + _pytest_head(ctx, total)
    lines += _progress(ctx, groups, o, total, cut)
    if cut is not None:
        return lines, []
    cause: list[int] = []
    if o.failed:
        lines += ["", sep("=", "FAILURES")]
        for test in (t for t in o.tests if t.test_id in o.failed):
            fail = o.failed[test.test_id]
            klass = test.classname.rsplit(".", 1)[-1]
            title = f"{klass}.{test.name}" if klass.startswith("Test") else test.name
            lines.append(sep("_", title))
            lines.append("")
            base = len(lines)
            lines += list(fail.body)
            cause += [base + i for i in fail.cause]
    report = ctx.path("backend", "reports", ctx.job.spec.report or "report.xml")
    lines += [f"- generated xml file: {report} -"]
    if o.failed:
        lines.append(sep("=", "short test summary info"))
        for test in (t for t in o.tests if t.test_id in o.failed):
            klass = test.classname.rsplit(".", 1)[-1]
            node = (
                f"{test.file}::{klass}::{test.name}"
                if klass.startswith("Test")
                else f"{test.file}::{test.name}"
            )
            cause.append(len(lines))
            lines.append(f"FAILED {node} - {o.failed[test.test_id].message}")
    c = o.counts
    parts = (
        ([f"{c['failed']} failed"] if c["failed"] else [])
        + [f"{c['passed']} passed"]
        + ([f"{c['skipped']} skipped"] if c["skipped"] else [])
    )
    secs = sum(o.durations.values()) + 2.0
    lines.append(sep("=", f"{', '.join(parts)} in {secs:.2f}s"))
    return lines, cause


def _jest(ctx: LogCtx, cut: float | None = None) -> Lines:
    o = ctx.outcome
    assert o is not None
    lines = run_header(ctx, ["npx jest --ci --reporters=default --reporters=jest-junit"])
    groups = _groups(o, list(suite("web")))
    order = sorted(groups, key=lambda g: ctx.rng.random())
    cause: list[int] = []
    failed_files = []
    for idx, (path, tests) in enumerate(order):
        if cut is not None and idx >= cut * len(order):
            return lines, []
        bad = [t for t in tests if t.test_id in o.failed]
        secs = sum(o.durations.get(t.test_id, 0.0) for t in tests)
        slow = f" ({secs:.3f} s)" if secs > 5 else ""
        lines.append(f"{'FAIL' if bad else 'PASS'} {path}{slow}")
        if bad:
            failed_files.append((path, bad))
        for test in bad:
            fail = o.failed[test.test_id]
            cause.append(len(lines))
            lines += [f"  ● {test.classname} › {test.name}", ""]
            base = len(lines)
            lines += [f"    {b}" if b else "" for b in fail.body]
            cause += [base + i for i in fail.cause]
            lines.append("")
    return lines + _jest_summary(o, failed_files, len(order)), cause


def _jest_summary(
    o: Outcome, failed_files: list[tuple[str, list[TestCase]]], n_files: int
) -> list[str]:
    lines = []
    if failed_files:
        lines += ["", "Summary of all failing tests"]
        for path, bad in failed_files:
            lines.append(f"FAIL {path}")
            lines += [f"  ● {t.classname} › {t.name}" for t in bad]
    c = o.counts
    nfail = len(failed_files)
    total = c["passed"] + c["failed"] + c["skipped"]
    tests = (
        ([f"{c['failed']} failed"] if c["failed"] else [])
        + ([f"{c['skipped']} skipped"] if c["skipped"] else [])
        + [f"{c['passed']} passed"]
    )
    files = ([f"{nfail} failed"] if nfail else []) + [f"{n_files - nfail} passed"]
    return lines + [
        "",
        f"Test Suites: {', '.join(files)}, {n_files} total",
        f"Tests:       {', '.join(tests)}, {total} total",
        "Snapshots:   14 passed, 14 total",
        f"Time:        {sum(o.durations.values()) / 2 + 4:.3f} s",
        "Ran all test suites.",
    ]


def _maven_class(
    o: Outcome,
    klass: str,
    tests: list[TestCase],
    skipped: set[str],
    lines: list[str],
    cause: list[int],
) -> None:
    bad = [t for t in tests if t.test_id in o.failed]
    skip = sum(1 for t in tests if t.test_id in skipped)
    secs = sum(o.durations.get(t.test_id, 0.0) for t in tests) + 0.2
    fq = tests[0].classname
    lines.append(f"[INFO] Running {fq}")
    errs = sum(1 for t in bad if o.failed[t.test_id].error)
    counts = (
        f"Tests run: {len(tests)}, Failures: {len(bad) - errs}, Errors: {errs}, "
        f"Skipped: {skip}, Time elapsed: {secs:.3f} s"
    )
    if not bad:
        lines.append(f"[INFO] {counts} -- in {fq}")
        return
    lines.append(f"[ERROR] {counts} <<< FAILURE! -- in {fq}")
    for test in bad:
        fail = o.failed[test.test_id]
        tag = "ERROR" if fail.error else "FAILURE"
        cause += [len(lines), len(lines) + 1]
        lines.append(
            f"[ERROR] {fq}.{test.name} -- Time elapsed: "
            f"{o.durations.get(test.test_id, 0.0):.3f} s  <<< {tag}!"
        )
        lines += list(fail.body)
        lines.append("")


def maven_tests(ctx: LogCtx, lines: list[str], cause: list[int]) -> None:
    """The surefire part of ``mvn verify`` (appended in place)."""
    o = ctx.outcome
    assert o is not None
    skipped = {t.test_id for t in o.skipped}
    lines += [
        "[INFO] --- surefire:3.5.2:test (default-test) @ shopfront-api ---",
        "[INFO] Using auto detected provider "
        "org.apache.maven.surefire.junitplatform.JUnitPlatformProvider",
        "[INFO] ",
        "[INFO] -------------------------------------------------------",
        "[INFO]  T E S T S",
        "[INFO] -------------------------------------------------------",
    ]
    for klass, tests in _groups(o, list(suite("api"))):
        _maven_class(o, klass, tests, skipped, lines, cause)
    c = o.counts
    errs = sum(1 for f in o.failed.values() if f.error)
    lines += ["[INFO] ", "[INFO] Results:", "[INFO] "]
    for label, want in (("Failures", False), ("Errors", True)):
        bad = [t for t in o.tests if t.test_id in o.failed and o.failed[t.test_id].error == want]
        if bad:
            cause.append(len(lines))
            lines.append(f"[ERROR] {label}: ")
            for t in bad:
                cause.append(len(lines))
                lines.append(
                    f"[ERROR]   {t.classname.rsplit('.', 1)[1]}.{t.name}:{t.line} "
                    f"{o.failed[t.test_id].message}"
                )
    level = "ERROR" if c["failed"] else "INFO"
    lines += [
        "[INFO] ",
        f"[{level}] Tests run: {c['passed'] + c['failed'] + c['skipped']}, "
        f"Failures: {c['failed'] - errs}, Errors: {errs}, Skipped: {c['skipped']}",
        "[INFO] ",
    ]


def _go_family(o: Outcome, family: list[TestCase], lines: list[str], cause: list[int]) -> bool:
    """One top-level test and its subtests, as ``go test -v`` prints them."""
    lines.extend(f"=== RUN   {t.name}" for t in family)
    bad = False
    results = []
    for test in family:
        pad = "    " * test.name.count("/")
        secs = o.durations.get(test.test_id, 0.0)
        if test.test_id in o.failed:
            bad = True
            body = list(o.failed[test.test_id].body)
            cause.extend(range(len(lines), len(lines) + len(body)))
            lines.extend(body)
            results.append(f"{pad}--- FAIL: {test.name} ({secs:.2f}s)")
        else:
            results.append(f"{pad}--- PASS: {test.name} ({secs:.2f}s)")
    if bad:
        cause.append(len(lines))
    lines.extend(results)
    return bad


def _go_test(ctx: LogCtx, cut: float | None = None) -> Lines:
    o = ctx.outcome
    assert o is not None
    lines = run_header(
        ctx,
        ["go test -v -race ./... 2>&1 | go-junit-report -set-exit-code -iocopy -out report.xml"],
    )
    lines.append("?   \tgithub.com/acme-labs/shopfront/cli/cmd/shopctl\t[no test files]")
    cause: list[int] = []
    groups = _groups(o, list(suite("cli")))
    for idx, (pkg, tests) in enumerate(groups):
        if cut is not None and idx >= cut * len(groups):
            return lines, []
        bad = False
        for _, fam in groupby(tests, key=lambda t: t.name.split("/")[0]):
            bad = _go_family(o, list(fam), lines, cause) or bad
        took = sum(o.durations.get(t.test_id, 0.0) for t in tests) + 0.01
        if bad:
            cause.append(len(lines) + 1)
            lines += ["FAIL", f"FAIL\t{pkg}\t{took:.3f}s"]
        else:
            lines += ["PASS", f"ok  \t{pkg}\t{took:.3f}s"]
    if o.failed:
        lines.append("FAIL")
    return lines, cause


TEST_RENDERERS = {"pytest": _pytest, "jest": _jest, "gotest": _go_test}
