"""Per-test outcomes from Maven surefire/failsafe console output (surefire 2 and 3 formats).

Test id: ``f"{fully.qualified.Class}::{method}"``; the Results block's simple class names are
widened with the ``Running …`` lines when unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from core.logs.reports.records import (
    ConsoleSummary,
    TestResult,
    clip_message,
    merge_result,
    parse_seconds,
)

__all__ = ["parse_maven_surefire"]

_MVN_LEVEL = re.compile(r"^\[(?:INFO|ERROR|WARNING|WARN|DEBUG)\] ?")
_SF_RUNNING = re.compile(r"^Running (?P<cls>[\w.$]+)\s*$")
_SF_COUNTS = re.compile(
    r"^Tests run: (?P<run>\d+), Failures: (?P<failures>\d+), Errors: (?P<errors>\d+), "
    r"Skipped: (?P<skipped>\d+)(?:, Flakes: (?P<flakes>\d+))?(?P<rest>.*)$"
)
_SF_CASE = re.compile(
    r"^(?P<head>\S+?)(?:\((?P<old_cls>[\w$]+(?:\.[\w$]+)+)\))?\s+(?:-- )?"
    r"Time elapsed: (?P<t>[\d.,]+) s(?:ec)?\s+<<< (?P<out>FAILURE|ERROR)!"
)
_SF_SECTIONS = {
    "Failures:": "failed",
    "Failed tests:": "failed",
    "Errors:": "error",
    "Tests in error:": "error",
    "Flakes:": "flaky",
}


@dataclass
class _SurefireState:
    """Simple class name -> FQNs seen, the Results section and entry being read, totals."""

    fqn: dict[str, set[str]] = field(default_factory=dict)
    section: str | None = None
    pending: tuple[str, str, float | None] | None = None  # (test_id, outcome, secs) for message
    entry: TestResult | None = None
    totals: list[dict[str, int]] = field(default_factory=list)
    per_class: list[dict[str, int]] = field(default_factory=list)


def parse_maven_surefire(lines: Sequence[str]) -> tuple[list[TestResult], ConsoleSummary | None]:
    """Surefire/failsafe: per-test ``<<< FAILURE!``/``<<< ERROR!`` lines, the ``Results:``
    block (``Failures:``, ``Errors:``, ``Flakes:`` with ``Run N:`` lines, surefire 2 and 3
    formats) and the ``Tests run: …`` totals (summed over modules). The console never lists
    passing tests one by one, so only failing, erroring and flaky tests come back; a flaky
    test (failed, then passed on rerun) is ``passed`` with ``flaky: <first failure>``.
    """
    state = _SurefireState()
    results: dict[str, TestResult] = {}
    for raw in lines:
        line = _MVN_LEVEL.sub("", raw, count=1)
        if state.pending is not None and line.strip():
            test_id, outcome, secs = state.pending
            merge_result(results, _surefire_result(test_id, outcome, secs, line))
            state.pending = None
        _surefire_line(state, results, line)
    _surefire_flush_entry(state, results)
    return list(results.values()), _surefire_summary(state)


def _surefire_line(state: _SurefireState, results: dict[str, TestResult], line: str) -> None:
    stripped = line.strip()
    if (found := _SF_RUNNING.match(stripped)) is not None:
        cls = found["cls"]
        state.fqn.setdefault(cls.rsplit(".", 1)[-1], set()).add(cls)
    elif (found := _SF_COUNTS.match(stripped)) is not None:
        counts = {k: int(v or 0) for k, v in found.groupdict().items() if k != "rest"}
        target = state.per_class if "Time elapsed" in found["rest"] else state.totals
        target.append(counts)
        _surefire_flush_entry(state, results)
        state.section = None
    elif (found := _SF_CASE.match(stripped)) is not None:
        test_id = _surefire_id(found["head"], found["old_cls"], state.fqn)
        outcome = "failed" if found["out"] == "FAILURE" else "error"
        state.pending = (test_id, outcome, parse_seconds(found["t"]))
        merge_result(results, _surefire_result(test_id, outcome, parse_seconds(found["t"]), None))
    elif stripped in _SF_SECTIONS:
        _surefire_flush_entry(state, results)
        state.section = _SF_SECTIONS[stripped]
    elif not stripped or stripped.startswith(("BUILD ", "---")):
        _surefire_flush_entry(state, results)
        state.section = None
    elif state.section is not None:
        _surefire_entry(state, results, stripped)


def _surefire_entry(state: _SurefireState, results: dict[str, TestResult], entry: str) -> None:
    """One line of a Results section: ``Class.method:12 message`` or ``Run 2: PASS``."""
    run = re.match(r"^Run (\d+): (.*)$", entry)
    if run is not None:
        if state.entry is not None and state.entry.message is None and run[2] != "PASS":
            _, _, message = _surefire_split(run[2])
            state.entry = replace(state.entry, message=clip_message(message or run[2]))
        return
    _surefire_flush_entry(state, results)
    head, old_cls, message = _surefire_split(entry)
    test_id = _surefire_id(head, old_cls, state.fqn)
    outcome = "passed" if state.section == "flaky" else state.section or "failed"
    state.entry = _surefire_result(test_id, outcome, None, message)


def _surefire_flush_entry(state: _SurefireState, results: dict[str, TestResult]) -> None:
    """Store the Results entry being read (its ``Run N:`` lines may have added a message)."""
    if state.entry is None:
        return
    entry = state.entry
    if state.section == "flaky" or entry.outcome == "passed":
        entry = replace(
            entry,
            outcome="passed",
            message=clip_message(f"flaky: {entry.message or 'failed, then passed'}"),
        )
    merge_result(results, entry)
    state.entry = None


def _surefire_split(entry: str) -> tuple[str, str | None, str | None]:
    """``CartTest.testTotal:25 expected…`` / ``testTotal(com.acme.CartTest): expected…``."""
    old = re.match(r"^(?P<m>[\w$]+)\((?P<cls>[\w.$]+)\)(?::\s*(?P<msg>.*))?$", entry)
    if old is not None:
        return old["m"], old["cls"], old["msg"]
    head, _, message = entry.partition(" ")
    head = re.sub(r":\d+$", "", head)
    return head, None, message.removeprefix("» ").strip() or None


def _surefire_id(head: str, old_cls: str | None, fqn: dict[str, set[str]]) -> str:
    """``Class::method`` with the class widened to its fully qualified name when known."""
    if old_cls:
        cls, method = old_cls, head
    else:
        cut = min([i for i in (head.find("("), head.find("[")) if i >= 0] or [len(head)])
        cls, _, method = head[:cut].rpartition(".")
        method += head[cut:]
    known = fqn.get(cls.rsplit(".", 1)[-1], set())
    if "." not in cls and len(known) == 1:
        cls = next(iter(known))
    return f"{cls}::{method}"


def _surefire_result(
    test_id: str, outcome: str, secs: float | None, message: str | None
) -> TestResult:
    cls, _, method = test_id.partition("::")
    return TestResult(
        test_id=test_id,
        name=method,
        classname=cls,
        file=None,
        outcome=outcome,
        duration_s=secs,
        message=clip_message(message),
    )


def _surefire_summary(state: _SurefireState) -> ConsoleSummary | None:
    """Module totals when printed, else the per-class lines (the build stopped early)."""
    rows = state.totals or state.per_class or []
    if not rows:
        return None
    run, failures, errors, skipped = (
        sum(r[k] for r in rows) for k in ("run", "failures", "errors", "skipped")
    )
    return ConsoleSummary(
        passed=max(0, run - failures - errors - skipped),
        failed=failures,
        skipped=skipped,
        errors=errors,
        framework="surefire",
    )
