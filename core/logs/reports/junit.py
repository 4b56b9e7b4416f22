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

import re
from collections.abc import Sequence
from itertools import islice
from xml.parsers import expat

from defusedxml.common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

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

    A DTD, entity or external reference is refused (:class:`UnsafeInput`), so billion-laughs
    and XXE cannot expand: expat is given the handlers defusedxml's parsers install for that
    (``forbid_dtd=True``, entities and external references forbidden), and raises
    defusedxml's errors. Read with expat's callbacks into :class:`_Cases`, without
    ElementTree: no tree and no per-element Python wrapper (ElementTree's parser in front of
    the same callbacks took 2.9 s of CPU for the demo's 455k testcases; this takes 1.7 s),
    and memory stays flat on big reports. Nested ``<testsuite>`` elements are walked at any
    depth.
    """
    if len(data) > max_bytes:
        raise UnsafeInput(
            f"The test report is {len(data):,} bytes, more than the {max_bytes:,} allowed."
        )
    cases = _Cases()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity
    parser.ExternalEntityRefHandler = _refuse_external_reference
    parser.buffer_text = True
    parser.StartElementHandler = cases.start
    parser.EndElementHandler = cases.end
    parser.CharacterDataHandler = cases.data
    try:
        parser.Parse(data, True)
    except DefusedXmlException as exc:
        raise UnsafeInput(
            "The test report declares a DTD or entities (an XML bomb or external-entity "
            f"attack); it was refused ({type(exc).__name__})."
        ) from exc
    except expat.ExpatError as exc:
        raise MalformedReport(
            f"The test report is not well-formed XML ({exc}).", cases.results
        ) from exc
    return cases.results


def _refuse_dtd(name: str, sysid: str | None, pubid: str | None, _internal: bool) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _refuse_entity(
    name: str,
    _is_parameter: bool,
    value: str | None,
    base: str | None,
    sysid: str | None,
    pubid: str | None,
    notation: str | None,
) -> None:
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation)


def _refuse_unparsed_entity(
    name: str, base: str | None, sysid: str | None, pubid: str | None, notation: str | None
) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation)


def _refuse_external_reference(
    context: str, base: str | None, sysid: str | None, pubid: str | None
) -> None:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


class _Cases:
    """The parser's callbacks: track the open testsuites and testcases, turn each closed
    testcase into a :class:`TestResult`.

    A testcase's outcome comes from its direct children ``<error>``, ``<failure>`` and
    ``<skipped>`` (the first of each; error > failure > skipped; surefire's flaky/rerun
    children do not count), their ``message`` attribute and their own text (up to their first
    sub-element, as an element's ``text`` is). Namespaces are ignored: ``uri}testcase`` (as
    expat names it) is a testcase."""

    def __init__(self) -> None:
        self.results: list[TestResult] = []
        self.suites: list[tuple[str, str | None]] = []  # (name, file) of the open testsuites
        # the open testcases: (attributes, found children: tag -> [message, text...], depth)
        self.cases: list[tuple[dict[str, str], dict[str, list[str]], int]] = []
        self.depth = 0
        self.text: list[str] | None = None  # where the open outcome child's text goes

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if "}" in tag:
            tag = tag.rpartition("}")[2]
        self.depth += 1
        self.text = None  # a sub-element ends its parent's own text
        if tag == "testcase":
            self.cases.append((attrib, {}, self.depth))
        elif tag == "testsuite":
            self.suites.append(
                (attrib.get("name") or "", attrib.get("file") or attrib.get("filepath"))
            )
        elif tag in _OUTCOME_TAGS and self.cases and self.cases[-1][2] == self.depth - 1:
            found = self.cases[-1][1]
            if tag not in found:
                found[tag] = self.text = [attrib.get("message") or ""]

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        if "}" in tag:
            tag = tag.rpartition("}")[2]
        self.depth -= 1
        self.text = None
        if tag == "testcase" and self.cases and self.cases[-1][2] == self.depth + 1:
            attrib, found, _depth = self.cases.pop()
            suite = self.suites[-1] if self.suites else ("", None)
            self.results.append(_junit_case(attrib, found, suite))
        elif tag == "testsuite" and self.suites:
            self.suites.pop()


_OUTCOME_TAGS = ("error", "failure", "skipped")
_OUTCOMES_BY_RANK = (("error", "error"), ("failure", "failed"), ("skipped", "skipped"))


def _junit_case(
    attrib: dict[str, str], found: dict[str, list[str]], suite: tuple[str, str | None]
) -> TestResult:
    get = attrib.get
    name = get("name") or ""
    classname = get("classname") or get("class") or suite[0]
    outcome, message = "passed", None
    for tag, word in _OUTCOMES_BY_RANK if found else ():
        parts = found.get(tag)
        if parts is not None:
            text = "".join(parts[1:]).strip()
            outcome, message = word, clip_message("\n".join(p for p in (parts[0], text) if p))
            break
    time = get("time")
    try:  # the usual "0.123"; parse_seconds for "1,234.5" (and for None or "")
        seconds = float(time) if time else None
    except ValueError:
        seconds = parse_seconds(time)
    return TestResult(
        test_id=f"{classname}::{name}",
        name=name,
        classname=classname,
        file=get("file") or suite[1],
        outcome=outcome,
        duration_s=seconds,
        message=message,
    )


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
