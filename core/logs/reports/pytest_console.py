"""Per-test outcomes from pytest console output (``-v``, xdist, ``-ra`` summary, totals).

Test id: the node id (``tests/test_cart.py::T::t[a-1]``); name and classname are derived as
pytest's own JUnit report writes them, so console and JUnit results of a run join.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from core.logs.reports.records import (
    ConsoleSummary,
    TestResult,
    clip_message,
    count_words,
    merge_result,
    sum_counts,
)

__all__ = ["parse_pytest"]

_PY_OUTCOMES = {
    "PASSED": "passed",
    "FAILED": "failed",
    "ERROR": "error",
    "SKIPPED": "skipped",
    "XFAIL": "skipped",
    "XPASS": "passed",
}
_PY_WORD = r"(?P<out>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)"
_PY_NODE = r"(?P<id>[^\s\[]+::[^\s\[]+(?:\[.*?\])?)"
_PY_VERBOSE = re.compile(rf"^{_PY_NODE} {_PY_WORD}\b")
_PY_XDIST = re.compile(rf"^\[gw\d+\](?: \[\s*\d+%\])? {_PY_WORD} {_PY_NODE}\s*$")
_PY_SHORT = re.compile(rf"^{_PY_WORD} (?P<id>[^\s\[]+(?:\[.*?\])?)(?: - (?P<msg>.*))?$")
_PY_TOTALS = re.compile(r"^=*\s*(?P<counts>\d+ [a-z]+(?:, \d+ [a-z]+)*) in [\d.]+s\b")
_PY_BLOCK = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
_PY_E_LINE = re.compile(r"^E\s+(?P<msg>\S.*)$")


def parse_pytest(lines: Sequence[str]) -> tuple[list[TestResult], ConsoleSummary | None]:
    """pytest ``-v`` lines, xdist lines, the short test summary (``-ra``/``-rA``) and totals.

    Failed tests without a summary message get the first ``E   …`` line of their traceback
    block. Collection errors (``ERROR tests/x.py - …``) become an ``error`` for the file.
    """
    results: dict[str, TestResult] = {}
    first_error: dict[str, str] = {}
    block: str | None = None
    totals: list[dict[str, int]] = []
    for line in lines:
        match = _PY_VERBOSE.match(line) or _PY_XDIST.match(line) or _PY_SHORT.match(line)
        if match is not None:
            message = match.groupdict().get("msg")
            merge_result(results, _pytest_result(match["id"], _PY_OUTCOMES[match["out"]], message))
            continue
        if (found := _PY_BLOCK.match(line)) is not None:
            block = (
                found["title"]
                .removeprefix("ERROR at setup of ")
                .removeprefix("ERROR at teardown of ")
            )
        elif block and (found := _PY_E_LINE.match(line)) is not None:
            first_error.setdefault(block, found["msg"])
        elif (found := _PY_TOTALS.match(line)) is not None:
            totals.append(count_words(found["counts"]))
    return _with_block_messages(results, first_error), _pytest_summary(totals)


def _pytest_result(nodeid: str, outcome: str, message: str | None) -> TestResult:
    """Name and classname as pytest's own JUnit report writes them."""
    head, bracket, params = nodeid.partition("[")
    parts = head.split("::")
    file = parts[0]
    module = file[:-3].replace("/", ".") if file.endswith(".py") else file
    return TestResult(
        test_id=nodeid,
        name=parts[-1] + bracket + params,
        classname=".".join([module, *parts[1:-1]]),
        file=file if len(parts) > 1 else None,
        outcome=outcome,
        message=clip_message(message),
    )


def _with_block_messages(
    results: dict[str, TestResult], first_error: dict[str, str]
) -> list[TestResult]:
    """Attach ``E`` lines to failures: block titles are ``Class.test`` (node id minus file)."""
    out = []
    for result in results.values():
        title = ".".join(result.test_id.partition("[")[0].split("::")[1:])
        title += result.test_id[len(result.test_id.partition("[")[0]) :]
        if result.message is None and result.outcome in ("failed", "error"):
            message = first_error.get(title)
            result = replace(result, message=clip_message(message)) if message else result
        out.append(result)
    return out


def _pytest_summary(totals: list[dict[str, int]]) -> ConsoleSummary | None:
    """Sum of every session's totals line (tox or matrix steps run pytest several times)."""
    if not totals:
        return None
    total = sum_counts(totals)
    return ConsoleSummary(
        passed=total.get("passed", 0) + total.get("xpassed", 0),
        failed=total.get("failed", 0),
        skipped=total.get("skipped", 0) + total.get("xfailed", 0),
        errors=total.get("error", 0) + total.get("errors", 0),
        framework="pytest",
    )
