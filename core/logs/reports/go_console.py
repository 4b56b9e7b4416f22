"""Per-test outcomes from ``go test`` console output: text (``-v`` or not) and ``-json`` events.

Test id: ``f"{import/path}::{TestName/subtest}"`` (``example.com/calc::TestSub/neg``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice

from core.logs.reports.records import (
    OUTCOMES,
    ConsoleSummary,
    TestResult,
    clip_message,
    merge_result,
)

__all__ = ["parse_go_test"]

_GO_RUN = re.compile(r"^=== (?:RUN|CONT)\s+(?P<name>\S+)")
_GO_RESULT = re.compile(r"^\s*--- (?P<out>PASS|FAIL|SKIP): (?P<name>\S+) \((?P<secs>[\d.]+)s\)")
_GO_PACKAGE = re.compile(
    r"^(?P<status>ok|FAIL)\s+(?P<pkg>[^\s\[]\S*)\s*(?:(?P<secs>[\d.]+)s|\(cached\)"
    r"|\[(?P<note>[^\]]+)\])?"
)
_GO_MESSAGE = re.compile(r"^\s+(?P<msg>[\w.\-/]+\.go:\d+: .*)$")
_GO_RUNNING = re.compile(r"^\s+(?P<name>Test\S*) \(\S+\)\s*$")
_GO_DONE = re.compile(
    r"^DONE (?P<total>\d+) tests?(?:, (?P<skipped>\d+) skipped)?(?:, (?P<failed>\d+) "
    r"failures?)?(?:, (?P<errors>\d+) errors?)?"
)
_GO_OUTCOMES = {
    "PASS": "passed",
    "FAIL": "failed",
    "SKIP": "skipped",
    "pass": "passed",
    "fail": "failed",
    "skip": "skipped",
}


@dataclass
class _GoPackage:
    """Results of the package whose output is being read (its name comes last)."""

    outcomes: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    current: str | None = None
    panic: str | None = None
    in_running: bool = False


def parse_go_test(lines: Sequence[str]) -> tuple[list[TestResult], ConsoleSummary | None]:
    """``go test`` (``-v`` or not; ``-json`` too): ``--- PASS/FAIL/SKIP`` lines with subtests,
    ``file_test.go:12: message`` lines, ``ok``/``FAIL`` package lines, panics and timeouts.

    A test that started but never reported (a panic, ``test timed out after 10m0s``) fails with
    the panic as its message. go prints no totals: the summary counts the parsed tests
    (top-level and subtests), unless gotestsum's ``DONE N tests…`` line is present.
    """
    if any(line.startswith('{"') and '"Action"' in line for line in islice(lines, 0, 200)):
        return _parse_go_json(lines)
    results: dict[str, TestResult] = {}
    package, build_failures, done = _GoPackage(), 0, None
    for line in lines:
        if (found := _GO_PACKAGE.match(line)) is not None:
            build_failures += bool(found["note"] and "failed" in found["note"])
            _go_flush(package, found["pkg"], found["status"] == "FAIL", results)
            package = _GoPackage()
        elif (found := _GO_DONE.match(line)) is not None:
            done = found
        else:
            _go_line(package, line)
    _go_flush(package, "", bool(package.panic), results)
    return list(results.values()), _go_summary(list(results.values()), build_failures, done)


def _go_line(package: _GoPackage, line: str) -> None:
    if (found := _GO_RUN.match(line)) is not None:
        package.current, package.in_running = found["name"], False
        if found["name"] not in package.started:
            package.started.append(found["name"])
    elif (found := _GO_RESULT.match(line)) is not None:
        package.current = found["name"]
        package.outcomes[found["name"]] = (_GO_OUTCOMES[found["out"]], float(found["secs"]))
    elif line.startswith("panic: "):
        package.panic = package.panic or line.strip()
        if package.current and package.current not in package.messages:
            package.messages[package.current] = line.strip()
    elif line.strip() == "running tests:":
        package.in_running = True
    elif package.in_running and (found := _GO_RUNNING.match(line)) is not None:
        if found["name"] not in package.started:
            package.started.append(found["name"])
    elif package.current and (found := _GO_MESSAGE.match(line)) is not None:
        package.messages.setdefault(package.current, found["msg"])


def _go_flush(package: _GoPackage, pkg: str, failed: bool, results: dict[str, TestResult]) -> None:
    """Name the package's tests; started-but-silent tests of a failed package failed."""
    names = list(dict.fromkeys([*package.started, *package.outcomes]))
    for name in names:
        outcome, secs = package.outcomes.get(name, ("failed" if failed else "", None))
        if not outcome:
            continue
        message = package.messages.get(name)
        if name not in package.outcomes:
            message = package.panic or "The test binary exited before this test reported."
        merge_result(
            results,
            TestResult(
                test_id=f"{pkg}::{name}" if pkg else name,
                name=name,
                classname=pkg,
                file=None,
                outcome=outcome,
                duration_s=secs,
                message=clip_message(message) if outcome != "passed" else None,
            ),
        )


def _go_summary(
    results: list[TestResult], build_failures: int, done: re.Match[str] | None
) -> ConsoleSummary | None:
    if done is not None:
        total, skipped, failed, errors = (
            int(done[k] or 0) for k in ("total", "skipped", "failed", "errors")
        )
        return ConsoleSummary(
            passed=total - skipped - failed - errors,
            failed=failed,
            skipped=skipped,
            errors=errors,
            framework="go",
        )
    if not results and not build_failures:
        return None
    count = {o: sum(r.outcome == o for r in results) for o in OUTCOMES}
    return ConsoleSummary(
        passed=count["passed"],
        failed=count["failed"],
        skipped=count["skipped"],
        errors=build_failures,
        framework="go",
    )


def _parse_go_json(lines: Sequence[str]) -> tuple[list[TestResult], ConsoleSummary | None]:
    """``go test -json``: the same logic fed from events instead of text lines."""
    packages: dict[str, _GoPackage] = {}
    results: dict[str, TestResult] = {}
    for line in lines:
        event = _json_event(line)
        if event is None:
            continue
        pkg, test, action = event.get("Package", ""), event.get("Test"), event.get("Action")
        package = packages.setdefault(pkg, _GoPackage())
        if test and action == "run" and test not in package.started:
            package.started.append(test)
        elif test and action in ("pass", "fail", "skip"):
            package.outcomes[test] = (_GO_OUTCOMES[action], event.get("Elapsed"))
        elif action == "output":
            package.current = test
            _go_line(package, str(event.get("Output", "")).rstrip("\n"))
        elif not test and action in ("pass", "fail", "skip"):
            _go_flush(packages.pop(pkg), pkg, action == "fail", results)
    for pkg, package in packages.items():
        _go_flush(package, pkg, bool(package.panic), results)
    return list(results.values()), _go_summary(list(results.values()), 0, None)


def _json_event(line: str) -> dict | None:
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
