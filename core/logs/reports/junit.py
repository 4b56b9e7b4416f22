"""Per-test outcomes from JUnit XML reports and from console output (pytest, jest, surefire, go).

Everything here is pure: bytes or lines in, :class:`TestResult` lists out. Console parsers take
the *texts* of a normalised log (``NormalisedLog.texts``: no timestamps, no ANSI codes); they
live in ``core.logs.reports.console`` and are re-exported here with the result records.

Test id conventions (the stable key the flaky-test agent joins on):

==========  ==================================================  ================================
source      id                                                  example
==========  ==================================================  ================================
JUnit XML   ``f"{classname}::{name}"`` (classname falls back    ``tests.test_cart::test_total``
            to the enclosing testsuite's name)
pytest      the node id                                         ``tests/test_cart.py::T::t[a-1]``
jest        ``f"{file}::{describe › … › test}"``                ``src/cart.test.js::Cart › adds``
surefire    ``f"{fully.qualified.Class}::{method}"`` (the       ``com.acme.CartTest::testTotal``
            Results block's simple class names are widened with
            the ``Running …`` lines when unambiguous)
go          ``f"{import/path}::{TestName/subtest}"``            ``example.com/calc::TestSub/neg``
==========  ==================================================  ================================

JUnit ids equal the console ids for surefire and go-junit-report; for pytest and jest use
:func:`junit_id_for` to turn a JUnit testcase into the console id of the same test.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from itertools import islice
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from core.errors import MalformedReport, UnsafeInput
from core.logs.reports.console import (
    OUTCOMES,
    ConsoleSummary,
    TestResult,
    clip_message,
    parse_go_test,
    parse_jest,
    parse_maven_surefire,
    parse_pytest,
    parse_seconds,
)

__all__ = [
    "OUTCOMES",
    "FRAMEWORKS",
    "MAX_XML_BYTES",
    "TestResult",
    "ConsoleSummary",
    "MalformedReport",
    "parse_junit_xml",
    "junit_id_for",
    "detect_framework",
    "parse_console",
    "parse_pytest",
    "parse_jest",
    "parse_maven_surefire",
    "parse_go_test",
]

FRAMEWORKS = ("pytest", "jest", "surefire", "go")
MAX_XML_BYTES = 64 * 1024 * 1024


# --------------------------------------------------------------------------- JUnit XML


def parse_junit_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> list[TestResult]:
    """Every ``<testcase>`` of a JUnit-style report (pytest, jest-junit, surefire, go-junit).

    Streams the XML (memory stays flat on big reports) with defusedxml: a DTD, entity or
    external reference is refused (:class:`UnsafeInput`), so billion-laughs and XXE cannot
    expand. Nested ``<testsuite>`` elements are walked at any depth.
    """
    if len(data) > max_bytes:
        raise UnsafeInput(
            f"The test report is {len(data):,} bytes, more than the {max_bytes:,} allowed."
        )
    results: list[TestResult] = []
    suites: list[tuple[str, str | None]] = []
    open_elements: list[Element] = []
    try:
        for event, elem in SafeET.iterparse(
            io.BytesIO(data), events=("start", "end"), forbid_dtd=True
        ):
            _junit_event(event, elem, suites, open_elements, results)
    except DefusedXmlException as exc:
        raise UnsafeInput(
            "The test report declares a DTD or entities (an XML bomb or external-entity "
            f"attack); it was refused ({type(exc).__name__})."
        ) from exc
    except ParseError as exc:
        raise MalformedReport(f"The test report is not well-formed XML ({exc}).", results) from exc
    return results


def _junit_event(
    event: str,
    elem: Element,
    suites: list[tuple[str, str | None]],
    open_elements: list[Element],
    results: list[TestResult],
) -> None:
    """Track the open testsuites; turn each closed testcase into a result and drop it."""
    tag = elem.tag.rsplit("}", 1)[-1]
    if event == "start":
        open_elements.append(elem)
        if tag == "testsuite":
            suites.append((elem.get("name") or "", elem.get("file") or elem.get("filepath")))
        return
    open_elements.pop()
    if tag == "testcase":
        results.append(_junit_case(elem, suites[-1] if suites else ("", None)))
    elif tag == "testsuite" and suites:
        suites.pop()
    else:
        return
    if open_elements:  # free the finished subtree: memory stays flat on huge reports
        open_elements[-1].remove(elem)


def _junit_case(elem: Element, suite: tuple[str, str | None]) -> TestResult:
    name = elem.get("name") or ""
    classname = elem.get("classname") or elem.get("class") or suite[0]
    outcome, message = _junit_outcome(elem)
    return TestResult(
        test_id=f"{classname}::{name}",
        name=name,
        classname=classname,
        file=elem.get("file") or suite[1],
        outcome=outcome,
        duration_s=parse_seconds(elem.get("time")),
        message=message,
    )


def _junit_outcome(elem: Element) -> tuple[str, str | None]:
    """error > failure > skipped > passed; surefire's flaky/rerun children do not count."""
    found: dict[str, Element] = {}
    for child in elem:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in ("error", "failure", "skipped") and tag not in found:
            found[tag] = child
    for tag, outcome in (("error", "error"), ("failure", "failed"), ("skipped", "skipped")):
        if tag in found:
            child = found[tag]
            parts = [child.get("message") or "", (child.text or "").strip()]
            return outcome, clip_message("\n".join(p for p in parts if p))
    return "passed", None


def junit_id_for(framework: str, classname: str, name: str, file: str | None = None) -> str:
    """The console-style id of a JUnit testcase, so both sources join on one key.

    - pytest: classname ``tests.test_cart.TestCart`` + name ``test_add[1-2]`` ->
      ``tests/test_cart.py::TestCart::test_add[1-2]``. With ``file`` the module part is exact;
      without it, dotted parts that start with an upper-case letter are taken as classes.
    - jest (jest-junit): ``f"{file}::{name}"`` when the report has a file attribute
      (``addFileAttribute: true``) and names built as the console shows them
      (``titleTemplate: "{classname} › {title}"``, ``ancestorSeparator: " › "``); jest-junit's
      default joins describes with spaces, which cannot be split back reliably.
    - surefire, go and anything else: ``f"{classname}::{name}"`` (already the console id).
    """
    if framework == "pytest":
        return _pytest_id(classname, name, file)
    if framework == "jest" and file:
        return f"{file}::{name}"
    return f"{classname}::{name}"


def _pytest_id(classname: str, name: str, file: str | None) -> str:
    parts = classname.split(".") if classname else []
    if file:
        module = file[:-3].replace("/", ".") if file.endswith(".py") else file
        classes = classname[len(module) + 1 :].split(".") if classname.startswith(module) else []
        return "::".join([file, *[c for c in classes if c], name])
    split = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts))
    path = "/".join(parts[:split]) + ".py" if split else classname
    return "::".join([path, *parts[split:], name])


# --------------------------------------------------------------------------- dispatch

_SIGNATURES = {
    "pytest": re.compile(
        r"\n=+ test session starts =+|\n\S+\.py::\S+ (?:PASSED|FAILED|ERROR|SKIPPED)"
        r"|\n=+ [^\n]*\d+ (?:passed|failed)[^\n]* in [\d.]+s|\n(?:FAILED|ERROR) \S+\.py::"
    ),
    "jest": re.compile(
        r"\nTests:\s+[^\n]*\d+ total|\n\s*(?:PASS|FAIL)\s+\S+\.(?:test|spec)\.[cm]?[jt]sx?\b"
    ),
    "surefire": re.compile(
        r"\n(?:\[\w+\] )?\s?T E S T S\b|\n(?:\[\w+\] )?Tests run: \d+, Failures: \d+"
    ),
    "go": re.compile(
        r"\n\s*--- (?:PASS|FAIL|SKIP): \S+ \(|\n(?:ok|FAIL)\s+\S+\s+(?:[\d.]+s|\(cached\))"
        r"|\n\{\"Time\":\"[^\"]+\",\"Action\":"
    ),
}


def detect_framework(lines: Sequence[str]) -> str | None:
    """The test runner whose signature lines are most frequent (None when none shows)."""
    framed = "\n" + "\n".join(lines)
    counts = {
        name: sum(1 for _ in islice(pattern.finditer(framed), 200))
        for name, pattern in _SIGNATURES.items()
    }
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else None


def parse_console(lines: Sequence[str]) -> tuple[list[TestResult], ConsoleSummary | None]:
    """Detect the runner and parse with its parser; ([], None) for an unknown runner."""
    parsers = {
        "pytest": parse_pytest,
        "jest": parse_jest,
        "surefire": parse_maven_surefire,
        "go": parse_go_test,
    }
    framework = detect_framework(lines)
    return parsers[framework](lines) if framework else ([], None)
