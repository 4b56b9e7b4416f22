"""Per-test outcomes from console output: pytest, jest, Maven surefire and ``go test``.

Pure: the texts of a normalised log in (``NormalisedLog.texts``: no timestamps, no ANSI codes),
:class:`TestResult` lists and a :class:`ConsoleSummary` out. The records live here rather than in
``core.test_reports`` (which re-exports them) because ``core.test_reports`` imports these parsers
to dispatch to them: the records must sit below both to avoid an import cycle. The test id each
runner gets is documented in ``core.test_reports``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

__all__ = [
    "OUTCOMES",
    "TestResult",
    "ConsoleSummary",
    "clip_message",
    "parse_seconds",
    "parse_pytest",
    "parse_jest",
    "parse_maven_surefire",
    "parse_go_test",
]

OUTCOMES = ("passed", "failed", "error", "skipped")
_MAX_MESSAGE = 2000


@dataclass(frozen=True)
class TestResult:
    """One test's outcome; ``outcome`` is one of :data:`OUTCOMES`."""

    __test__ = False  # not a pytest test class

    test_id: str
    name: str
    classname: str
    file: str | None
    outcome: str
    duration_s: float | None = None
    message: str | None = None


@dataclass(frozen=True)
class ConsoleSummary:
    """The totals a test runner printed (or, for go, counted from its per-test lines)."""

    passed: int
    failed: int
    skipped: int
    errors: int
    framework: str


def clip_message(text: str | None) -> str | None:
    """Messages are for display and matching: keep them bounded."""
    if text is None:
        return None
    text = text.strip()
    return (text[:_MAX_MESSAGE] + " …") if len(text) > _MAX_MESSAGE else (text or None)


def _merge(results: dict[str, TestResult], new: TestResult) -> None:
    """Later lines win the outcome; a message or duration seen earlier is kept if none is new."""
    old = results.get(new.test_id)
    if old is not None:
        new = replace(
            new,
            duration_s=new.duration_s if new.duration_s is not None else old.duration_s,
            message=new.message or old.message,
        )
    results[new.test_id] = new


def parse_seconds(value: str | None) -> float | None:
    """``"1,234.5"`` -> 1234.5 (surefire groups thousands); None when absent or unreadable."""
    try:
        return float(value.replace(",", "")) if value else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- pytest

_PY_OUTCOMES = {
    "PASSED": "passed", "FAILED": "failed", "ERROR": "error", "SKIPPED": "skipped",
    "XFAIL": "skipped", "XPASS": "passed",
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
            _merge(results, _pytest_result(match["id"], _PY_OUTCOMES[match["out"]], message))
            continue
        if (found := _PY_BLOCK.match(line)) is not None:
            block = found["title"].removeprefix("ERROR at setup of ").removeprefix(
                "ERROR at teardown of ")
        elif block and (found := _PY_E_LINE.match(line)) is not None:
            first_error.setdefault(block, found["msg"])
        elif (found := _PY_TOTALS.match(line)) is not None:
            totals.append(_count_words(found["counts"]))
    return _with_block_messages(results, first_error), _pytest_summary(totals)


def _pytest_result(nodeid: str, outcome: str, message: str | None) -> TestResult:
    """Name and classname as pytest's own JUnit report writes them."""
    head, bracket, params = nodeid.partition("[")
    parts = head.split("::")
    file = parts[0]
    module = file[:-3].replace("/", ".") if file.endswith(".py") else file
    return TestResult(
        test_id=nodeid, name=parts[-1] + bracket + params,
        classname=".".join([module, *parts[1:-1]]), file=file if len(parts) > 1 else None,
        outcome=outcome, message=clip_message(message),
    )


def _with_block_messages(results: dict[str, TestResult],
                         first_error: dict[str, str]) -> list[TestResult]:
    """Attach ``E`` lines to failures: block titles are ``Class.test`` (node id minus file)."""
    out = []
    for result in results.values():
        title = ".".join(result.test_id.partition("[")[0].split("::")[1:])
        title += result.test_id[len(result.test_id.partition("[")[0]):]
        if result.message is None and result.outcome in ("failed", "error"):
            message = first_error.get(title)
            result = replace(result, message=clip_message(message)) if message else result
        out.append(result)
    return out


def _count_words(counts: str) -> dict[str, int]:
    """``"2 failed, 310 passed"`` -> {"failed": 2, "passed": 310}."""
    out: dict[str, int] = {}
    for number, word in re.findall(r"(\d+) ([a-z]+)", counts):
        out[word] = out.get(word, 0) + int(number)
    return out


def _sum_counts(totals: list[dict[str, int]]) -> dict[str, int]:
    """Add up several totals lines word by word (one per session, module or matrix job)."""
    total: dict[str, int] = {}
    for counts in totals:
        for word, number in counts.items():
            total[word] = total.get(word, 0) + number
    return total


def _pytest_summary(totals: list[dict[str, int]]) -> ConsoleSummary | None:
    """Sum of every session's totals line (tox or matrix steps run pytest several times)."""
    if not totals:
        return None
    total = _sum_counts(totals)
    return ConsoleSummary(
        passed=total.get("passed", 0) + total.get("xpassed", 0),
        failed=total.get("failed", 0),
        skipped=total.get("skipped", 0) + total.get("xfailed", 0),
        errors=total.get("error", 0) + total.get("errors", 0),
        framework="pytest",
    )


# --------------------------------------------------------------------------- jest

_JEST_FILE = re.compile(r"^ ?(?P<status>PASS|FAIL) +(?P<file>\S+)")
_JEST_TEST = re.compile(
    r"^(?P<indent>\s*)(?P<mark>[✓✕○✎√×]) (?P<title>.*?)"
    r"(?: \((?P<amount>\d+(?:\.\d+)?) ?(?P<unit>ms|s)\))?\s*$")
_JEST_BLOCK = re.compile(r"^\s*● (?P<title>.+?)\s*$")
_JEST_TOTALS = re.compile(r"^Tests:\s+(?P<counts>.*?)\d+ total\s*$")
_JEST_CODE = re.compile(r"^\s*(?:>\s*)?\d+ \||^\s*\|\s|^\s*at ")
_JEST_MARKS = {"✓": "passed", "√": "passed", "✕": "failed", "×": "failed",
               "○": "skipped", "✎": "skipped"}


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
                totals.append(_count_words(found["counts"]))
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
        _merge(results, _jest_result(state.file, path, _JEST_MARKS[found["mark"]], duration))
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
    _merge(results, replace(_jest_result(state.file, state.block_id, outcome, duration),
                            message=clip_message(message)))
    state.block_id, state.block_lines = None, None


def _jest_result(file: str, path: str, outcome: str, duration: float | None) -> TestResult:
    suite, _, name = path.rpartition(" › ")
    return TestResult(test_id=f"{file}::{path}", name=name, classname=suite or file,
                      file=file or None, outcome=outcome, duration_s=duration)


def _jest_seconds(amount: str | None, unit: str | None) -> float | None:
    if amount is None:
        return None
    return float(amount) / (1000.0 if unit == "ms" else 1.0)


def _jest_summary(totals: list[dict[str, int]], suites_failed: int) -> ConsoleSummary | None:
    if not totals:
        return None
    total = _sum_counts(totals)
    return ConsoleSummary(
        passed=total.get("passed", 0), failed=total.get("failed", 0),
        skipped=total.get("skipped", 0) + total.get("todo", 0), errors=suites_failed,
        framework="jest",
    )


# --------------------------------------------------------------------------- Maven surefire

_MVN_LEVEL = re.compile(r"^\[(?:INFO|ERROR|WARNING|WARN|DEBUG)\] ?")
_SF_RUNNING = re.compile(r"^Running (?P<cls>[\w.$]+)\s*$")
_SF_COUNTS = re.compile(
    r"^Tests run: (?P<run>\d+), Failures: (?P<failures>\d+), Errors: (?P<errors>\d+), "
    r"Skipped: (?P<skipped>\d+)(?:, Flakes: (?P<flakes>\d+))?(?P<rest>.*)$")
_SF_CASE = re.compile(
    r"^(?P<head>\S+?)(?:\((?P<old_cls>[\w$]+(?:\.[\w$]+)+)\))?\s+(?:-- )?"
    r"Time elapsed: (?P<t>[\d.,]+) s(?:ec)?\s+<<< (?P<out>FAILURE|ERROR)!")
_SF_SECTIONS = {"Failures:": "failed", "Failed tests:": "failed", "Errors:": "error",
                "Tests in error:": "error", "Flakes:": "flaky"}


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
            _merge(results, _surefire_result(test_id, outcome, secs, line))
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
        _merge(results, _surefire_result(test_id, outcome, parse_seconds(found["t"]), None))
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
        entry = replace(entry, outcome="passed",
                        message=clip_message(f"flaky: {entry.message or 'failed, then passed'}"))
    _merge(results, entry)
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


def _surefire_result(test_id: str, outcome: str, secs: float | None,
                     message: str | None) -> TestResult:
    cls, _, method = test_id.partition("::")
    return TestResult(test_id=test_id, name=method, classname=cls, file=None, outcome=outcome,
                      duration_s=secs, message=clip_message(message))


def _surefire_summary(state: _SurefireState) -> ConsoleSummary | None:
    """Module totals when printed, else the per-class lines (the build stopped early)."""
    rows = state.totals or state.per_class or []
    if not rows:
        return None
    run, failures, errors, skipped = (sum(r[k] for r in rows)
                                      for k in ("run", "failures", "errors", "skipped"))
    return ConsoleSummary(passed=max(0, run - failures - errors - skipped), failed=failures,
                          skipped=skipped, errors=errors, framework="surefire")


# --------------------------------------------------------------------------- go test

_GO_RUN = re.compile(r"^=== (?:RUN|CONT)\s+(?P<name>\S+)")
_GO_RESULT = re.compile(r"^\s*--- (?P<out>PASS|FAIL|SKIP): (?P<name>\S+) \((?P<secs>[\d.]+)s\)")
_GO_PACKAGE = re.compile(
    r"^(?P<status>ok|FAIL)\s+(?P<pkg>[^\s\[]\S*)\s*(?:(?P<secs>[\d.]+)s|\(cached\)"
    r"|\[(?P<note>[^\]]+)\])?")
_GO_MESSAGE = re.compile(r"^\s+(?P<msg>[\w.\-/]+\.go:\d+: .*)$")
_GO_RUNNING = re.compile(r"^\s+(?P<name>Test\S*) \(\S+\)\s*$")
_GO_DONE = re.compile(
    r"^DONE (?P<total>\d+) tests?(?:, (?P<skipped>\d+) skipped)?(?:, (?P<failed>\d+) "
    r"failures?)?(?:, (?P<errors>\d+) errors?)?")
_GO_OUTCOMES = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped",
                "pass": "passed", "fail": "failed", "skip": "skipped"}


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


def _go_flush(package: _GoPackage, pkg: str, failed: bool,
              results: dict[str, TestResult]) -> None:
    """Name the package's tests; started-but-silent tests of a failed package failed."""
    names = list(dict.fromkeys([*package.started, *package.outcomes]))
    for name in names:
        outcome, secs = package.outcomes.get(name, ("failed" if failed else "", None))
        if not outcome:
            continue
        message = package.messages.get(name)
        if name not in package.outcomes:
            message = package.panic or "The test binary exited before this test reported."
        _merge(results, TestResult(
            test_id=f"{pkg}::{name}" if pkg else name, name=name, classname=pkg, file=None,
            outcome=outcome, duration_s=secs,
            message=clip_message(message) if outcome != "passed" else None,
        ))


def _go_summary(results: list[TestResult], build_failures: int,
                done: re.Match[str] | None) -> ConsoleSummary | None:
    if done is not None:
        total, skipped, failed, errors = (int(done[k] or 0)
                                          for k in ("total", "skipped", "failed", "errors"))
        return ConsoleSummary(passed=total - skipped - failed - errors, failed=failed,
                              skipped=skipped, errors=errors, framework="go")
    if not results and not build_failures:
        return None
    count = {o: sum(r.outcome == o for r in results) for o in OUTCOMES}
    return ConsoleSummary(passed=count["passed"], failed=count["failed"],
                          skipped=count["skipped"], errors=build_failures, framework="go")


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
