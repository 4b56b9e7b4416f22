"""Per-test outcomes from jest console output (``PASS``/``FAIL`` lines, ``●`` blocks, totals).

Test id: ``f"{file}::{describe › … › test}"`` (``src/cart.test.js::Cart › adds``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.logs.reports.records import (
    ConsoleSummary,
    TestResult,
    clip_message,
    count_words,
    merge_result,
    sum_counts,
)

__all__ = ["parse_jest"]

_JEST_FILE = re.compile(r"^ ?(?P<status>PASS|FAIL) +(?P<file>\S+)")
_JEST_TEST = re.compile(
    r"^(?P<indent>\s*)(?P<mark>[✓✕○✎√×]) (?P<title>.*?)"
    r"(?: \((?P<amount>\d+(?:\.\d+)?) ?(?P<unit>ms|s)\))?\s*$"
)
_JEST_BLOCK = re.compile(r"^\s*● (?P<title>.+?)\s*$")
_JEST_TOTALS = re.compile(r"^Tests:\s+(?P<counts>.*?)\d+ total\s*$")
_JEST_CODE = re.compile(r"^\s*(?:>\s*)?\d+ \||^\s*\|\s|^\s*at ")
_JEST_MARKS = {
    "✓": "passed",
    "√": "passed",
    "✕": "failed",
    "×": "failed",
    "○": "skipped",
    "✎": "skipped",
}


@dataclass
class _JestState:
    """Where the parser is: current file, describe stack, failure block being read."""

    file: str = ""
    describes: list[str] | None = None
    in_console: bool = False
    block_id: str | None = None
    block_lines: list[str] | None = None
    suites_failed: int = 0


def parse_jest(lines: Sequence[str]) -> tuple[list[TestResult], ConsoleSummary | None]:
    """jest ``PASS``/``FAIL`` file lines, verbose ``✓``/``✕``/``○`` lines, ``●`` failure blocks
    and the ``Tests:`` totals. Without ``--verbose`` only failures (● blocks) are listed."""
    results: dict[str, TestResult] = {}
    state = _JestState(describes=[])
    totals: list[dict[str, int]] = []
    for line in lines:
        if line.startswith(("Test Suites:", "Tests:")):
            _jest_close_block(state, results)
            if (found := _JEST_TOTALS.match(line)) is not None:
                totals.append(count_words(found["counts"]))
        elif (found := _JEST_FILE.match(line)) is not None:
            _jest_close_block(state, results)
            state.file, state.describes, state.in_console = found["file"], [], False
        elif (found := _JEST_BLOCK.match(line)) is not None:
            _jest_open_block(state, results, found["title"])
        elif state.block_lines is not None:
            state.block_lines.append(line)
        else:
            _jest_list_line(state, results, line)
    _jest_close_block(state, results)
    return list(results.values()), _jest_summary(totals, state.suites_failed)


def _jest_list_line(state: _JestState, results: dict[str, TestResult], line: str) -> None:
    """A verbose result line, or a describe name (its indent gives its depth)."""
    found = _JEST_TEST.match(line)
    indent = len(line) - len(line.lstrip(" "))
    if found is not None and state.file:
        state.in_console = False
        depth = max(0, (len(found["indent"]) - 2) // 2)
        title = re.sub(r"^(?:skipped|todo) ", "", found["title"])
        path = " › ".join([*(state.describes or [])[:depth], title])
        duration = _jest_seconds(found["amount"], found["unit"])
        merge_result(results, _jest_result(state.file, path, _JEST_MARKS[found["mark"]], duration))
    elif re.match(r"^\s+console\.\w+$", line):
        state.in_console = True
    elif line.strip() and state.file and indent >= 2 and not (state.in_console and indent > 2):
        state.in_console = False
        depth = (indent - 2) // 2
        state.describes = [*(state.describes or [])[:depth], line.strip()]


def _jest_open_block(state: _JestState, results: dict[str, TestResult], title: str) -> None:
    _jest_close_block(state, results)
    if title == "Console":
        state.in_console = True
        return
    if title == "Test suite failed to run":
        state.suites_failed += 1
    state.block_id, state.block_lines = title, []


def _jest_close_block(state: _JestState, results: dict[str, TestResult]) -> None:
    """A ``●`` block is a failing test; its message is the text before the code frame."""
    if state.block_id is None or state.block_lines is None:
        return
    message_lines = []
    for line in state.block_lines:
        if _JEST_CODE.match(line):
            break
        message_lines.append(line.strip())
    outcome = "error" if state.block_id == "Test suite failed to run" else "failed"
    message = "\n".join(m for m in message_lines if m)
    old = results.get(f"{state.file}::{state.block_id}")
    duration = old.duration_s if old else None
    merge_result(
        results,
        replace(
            _jest_result(state.file, state.block_id, outcome, duration),
            message=clip_message(message),
        ),
    )
    state.block_id, state.block_lines = None, None


def _jest_result(file: str, path: str, outcome: str, duration: float | None) -> TestResult:
    suite, _, name = path.rpartition(" › ")
    return TestResult(
        test_id=f"{file}::{path}",
        name=name,
        classname=suite or file,
        file=file or None,
        outcome=outcome,
        duration_s=duration,
    )


def _jest_seconds(amount: str | None, unit: str | None) -> float | None:
    if amount is None:
        return None
    return float(amount) / (1000.0 if unit == "ms" else 1.0)


def _jest_summary(totals: list[dict[str, int]], suites_failed: int) -> ConsoleSummary | None:
    if not totals:
        return None
    total = sum_counts(totals)
    return ConsoleSummary(
        passed=total.get("passed", 0),
        failed=total.get("failed", 0),
        skipped=total.get("skipped", 0) + total.get("todo", 0),
        errors=suites_failed,
        framework="jest",
    )
