"""Fuzz properties (issue 13) of pure log handling: the normaliser is total on any bytes and
keeps the numbering contract; head-and-tail keeping (whole or streamed in any chunks) is a cut
of the original with exact line numbers; the JUnit parser raises only its documented errors;
the console parsers are total and return well-formed results."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from core.errors import MalformedReport, UnsafeInput
from core.logs.bounded import kept_text, read_head_and_tail
from core.logs.normalise import (
    TRUNCATION_PREFIX,
    keep_head_and_tail,
    keep_head_and_tail_stream,
    normalise_kept,
    normalise_log,
    split_timestamp,
    strip_ansi,
)
from core.logs.reports.junit import (
    FRAMEWORKS,
    OUTCOMES,
    detect_framework,
    parse_console,
    parse_go_test,
    parse_jest,
    parse_junit_xml,
    parse_maven_surefire,
    parse_pytest,
)
from tests.fuzz_settings import fuzz

# Pieces real CI logs are made of, so generated logs reach the parsers' deeper branches.
LOG_PIECES = [
    "\n",
    "\r\n",
    "\r",
    "\x08",
    "\x00",
    "\x1b[31m",
    "\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b(B",
    "\ufeff",
    "\ufffd",
    "é",
    "2024-05-01T12:00:00.1234567Z ",
    "2024-13-45T99:99:99Z ",
    "##[group]Run pytest",
    "##[endgroup]",
    "##[error]Process completed with exit code 1.",
    "##[warning]",
    "::error file=a.py,line=3::boom",
    "travis_fold:start:install\r",
    "travis_fold:end:install\r",
    "[Pipeline] stage",
    "[Pipeline] { (Build)",
    "[Pipeline] }",
    "error: ",
    "Traceback (most recent call last):",
    " ",
    "\t",
]
log_texts = st.lists(st.one_of(st.sampled_from(LOG_PIECES), st.text(max_size=10)), max_size=40).map(
    "".join
)
log_bytes = st.one_of(
    st.binary(max_size=400),
    log_texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
)


def _lines(data: bytes) -> int:
    """Lines by the normaliser's contract: split on \\n only, one final \\n ends the last."""
    return 0 if not data else data.count(b"\n") + 1 - data.endswith(b"\n")


# -- the normaliser ---------------------------------------------------------------------------
@fuzz(150)
@given(log_bytes, st.integers(min_value=1, max_value=300))
def test_normalise_log_is_total_and_keeps_the_numbering_contract(data, max_bytes):
    log = normalise_log(data, max_bytes=max_bytes)

    assert log.n_lines == _lines(data)
    assert log.original_bytes == len(data)
    assert all("\n" not in text for text in log.texts)
    numbers = [int(n) for n in log.line_numbers]
    if not log.truncated:
        assert numbers == list(range(1, len(log) + 1))
        assert len(log) == log.n_lines
    else:
        marker = numbers.index(0)
        assert log.texts[marker].startswith(TRUNCATION_PREFIX)
        head, tail = numbers[:marker], numbers[marker + 1 :]
        for part in (head, tail):
            assert part == list(range(part[0], part[0] + len(part))) if part else True
        # a line longer than the budget is cut in two: its head and tail pieces share its number
        assert not head or not tail or head[-1] <= tail[0]
        assert all(1 <= n <= log.n_lines for n in head + tail)
    assert len(log.step_index) == len(log.group_index) == len(log.is_error) == len(log)
    assert len(list(log)) == len(log)


@fuzz(100)
@given(log_texts)
def test_normalise_log_takes_text_as_its_utf8_bytes(text):
    data = text.encode("utf-8", "surrogatepass")
    assert normalise_log(text).texts == normalise_log(data).texts


@fuzz(100)
@given(st.text(max_size=200))
def test_strip_ansi_and_split_timestamp_are_total(text):
    assert len(strip_ansi(text)) <= len(text)
    stamp, rest = split_timestamp(text)
    assert rest == text if stamp is None else text.startswith(stamp) and text.endswith(rest)


# -- keeping a head and a tail ----------------------------------------------------------------
def _check_cut(data: bytes, kept, max_bytes: int) -> None:
    assert kept.original_bytes == len(data)
    assert kept.n_lines == _lines(data)
    if not kept.truncated:
        assert kept.head == data and kept.tail == b""
        return
    assert len(data) > max_bytes
    assert data.startswith(kept.head) and data.endswith(kept.tail)
    assert len(kept.head) + len(kept.tail) <= len(data)
    dropped_end = len(data) - len(kept.tail)
    assert kept.tail_first_line == 1 + data.count(b"\n", 0, dropped_end)


@fuzz(150)
@given(log_bytes, st.integers(min_value=1, max_value=120))
def test_keep_head_and_tail_is_a_cut_of_the_log_with_exact_line_numbers(data, max_bytes):
    _check_cut(data, keep_head_and_tail(data, max_bytes), max_bytes)


@fuzz(150)
@given(log_bytes, st.integers(min_value=1, max_value=120), st.lists(st.integers(1, 50)))
def test_keeping_a_stream_in_any_chunks_is_a_cut_of_the_log_with_exact_line_numbers(
    data, max_bytes, sizes
):
    chunks, at = [], 0
    for size in sizes:
        chunks.append(data[at : at + size])
        at += size
    chunks.append(data[at:])

    kept = keep_head_and_tail_stream(iter(chunks), max_bytes)

    _check_cut(data, kept, max_bytes)
    normalise_kept(kept)  # and what was kept normalises


@fuzz(60)
@given(log_bytes, st.integers(min_value=1, max_value=120), st.booleans())
def test_a_log_read_from_disk_plain_or_gzip_is_kept_as_from_memory(data, max_bytes, packed):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("log.txt.gz" if packed else "log.txt")
        path.write_bytes(gzip.compress(data) if packed else data)
        kept = read_head_and_tail(path, max_bytes, compressed=packed)
    _check_cut(data, kept, max_bytes)
    text, offset = kept_text(kept)
    assert offset >= 0 and isinstance(text, str)


# -- JUnit XML ----------------------------------------------------------------------------------
_NAMES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
_ATTRS = st.dictionaries(
    st.sampled_from(["name", "classname", "time", "file", "message", "type", "tests"]),
    st.one_of(_NAMES, st.sampled_from(["1e309", "-1", "nan", "0.5", "", "&amp;", "1,5"])),
    max_size=4,
)


def _attributes(attrs: dict[str, str]) -> str:
    escaped = {
        k: v.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        for k, v in attrs.items()
    }
    return "".join(f' {k}="{v}"' for k, v in escaped.items())


_ELEMENT = st.sampled_from(
    [
        "testsuites",
        "testsuite",
        "testcase",
        "failure",
        "error",
        "skipped",
        "system-out",
        "properties",
    ]
)


@st.composite
def junit_documents(draw) -> bytes:
    """Well-formed or almost well-formed JUnit XML: nested elements with hostile attributes,
    text, a prolog or a DTD, cut anywhere."""

    def element(depth: int) -> str:
        tag = draw(_ELEMENT)
        children = [element(depth + 1) for _ in range(draw(st.integers(0, 3)))] if depth < 4 else []
        text = draw(_NAMES).replace("&", "&amp;").replace("<", "&lt;")
        return f"<{tag}{_attributes(draw(_ATTRS))}>{text}{''.join(children)}</{tag}>"

    prolog = draw(
        st.sampled_from(
            [
                "",
                '<?xml version="1.0" encoding="utf-8"?>',
                '<?xml version="1.0" encoding="latin-1"?>',
                '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
                '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
            ]
        )
    )
    document = (prolog + element(0)).encode("utf-8")
    cut = draw(st.one_of(st.none(), st.integers(0, len(document))))
    return document if cut is None else document[:cut]


def _check_results(results) -> None:
    for result in results:
        assert result.outcome in OUTCOMES
        assert isinstance(result.test_id, str) and isinstance(result.name, str)
        assert result.duration_s is None or isinstance(result.duration_s, float)
        assert result.message is None or len(result.message) <= 2002


@fuzz(150)
@given(st.one_of(st.binary(max_size=300), junit_documents()))
def test_parse_junit_xml_raises_only_its_documented_errors_each_with_a_sentence(data):
    try:
        results = parse_junit_xml(data)
    except MalformedReport as exc:
        assert str(exc).startswith("The test report is not well-formed XML")
        _check_results(exc.partial)
    except UnsafeInput as exc:
        assert str(exc).startswith("The test report") and str(exc).endswith(".")
    else:
        _check_results(results)


# -- console reports ------------------------------------------------------------------------------
CONSOLE_PIECES = [
    # pytest
    "tests/test_a.py::test_x PASSED",
    "tests/test_a.py::test_x FAILED",
    "FAILED tests/test_a.py::test_x - AssertionError: 1 != 2",
    "ERROR tests/test_a.py::test_y",
    "_____ test_x _____",
    "===== 1 failed, 2 passed in 0.12s =====",
    "= 3 failed, 1 error, 10 passed, 1 skipped in 1e400s =",
    # jest
    "PASS src/a.test.js",
    "FAIL src/a.test.js (5.2 s)",
    "  ✓ adds (3 ms)",
    "  ✕ subtracts (1 ms)",
    "  ○ skipped later",
    "  ● Cart › adds",
    "Tests:       1 failed, 3 passed, 4 total",
    "Test Suites: 1 failed, 1 total",
    # surefire
    "Running com.acme.CartTest",
    "Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.5 sec <<< FAILURE!",
    "[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0",
    "[ERROR] Failures: ",
    "[ERROR]   CartTest.testTotal:42 expected:<3> but was:<4>",
    "[ERROR] testTotal(com.acme.CartTest)  Time elapsed: 0.01 s  <<< FAILURE!",
    # go
    "=== RUN   TestSub",
    "=== RUN   TestSub/neg",
    "--- FAIL: TestSub (0.00s)",
    "    --- PASS: TestSub/neg (0.00s)",
    "    calc_test.go:12: want 1, got 2",
    "FAIL\texample.com/calc\t0.005s",
    "ok  \texample.com/calc\t(cached)",
    "panic: runtime error: index out of range",
    '{"Time":"2024-05-01T12:00:00Z","Action":"fail","Package":"p","Test":"T","Elapsed":0.1}',
    '{"Time":"x","Action":"output","Package":"p","Output":"--- FAIL"}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"pass"',
    "DONE 3 tests, 1 failure",
    "",
]
console_lines = st.lists(
    st.one_of(
        st.sampled_from(CONSOLE_PIECES),
        st.tuples(st.sampled_from(CONSOLE_PIECES), st.text(max_size=8)).map("".join),
        st.text(max_size=30),
    ),
    max_size=40,
)


@fuzz(200)
@given(console_lines)
def test_console_parsers_are_total_and_return_well_formed_results(lines):
    framework = detect_framework(lines)
    assert framework is None or framework in FRAMEWORKS
    for parse in (parse_console, parse_pytest, parse_jest, parse_maven_surefire, parse_go_test):
        results, summary = parse(lines)
        _check_results(results)
        if summary is not None:
            counts = (summary.passed, summary.failed, summary.skipped, summary.errors)
            assert all(isinstance(n, int) and n >= 0 for n in counts), summary
