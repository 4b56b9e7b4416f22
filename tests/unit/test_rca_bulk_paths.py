"""Root-cause analysis reads a log's lines in bulk (one pass over a block of text, one search for
every cue word, the green log redacted once per batch); each bulk path must answer exactly what
the line-by-line path answers, whatever the lines hold.

Logs here are written for this test: GitHub timestamps of every width, ANSI colours, carriage
returns, backspaces, Travis's stray ``nl``, non-ASCII digits and letters, cue words at the very
start and end of a text and inside each other.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import agents.root_cause.log_view as log_view
from agents.root_cause import patterns as P
from agents.root_cause.analysis import _redacted_green, analyse_log
from agents.root_cause.log_view import CUE_WORDS, LogView
from agents.root_cause.needles import NeedleIndex
from agents.root_cause.templates import templates_of_block, templates_of_lines, templates_of_text
from agents.root_cause.versions import version_changes
from core.messages.redact import redactor

STAMP = "2025-03-04T05:06:07.1234567Z "
ODD_LINES = [
    "",
    "nl",
    "nlx keeps its nl: a lower-case letter follows",
    "nlX loses it",
    "nl: loses it too",
    "2025-03-04T05:06:07Z",  # a bare stamp of 20 characters stays
    "2025-03-04T05:06:07Z ",  # 21 characters: dropped
    "2025-03-04T05:06:07.1Z error: the stamp goes",
    "1999-03-04T05:06:07Z error: not a 20xx stamp for the clean line",
    STAMP + STAMP + "two stamps, the first one goes",
    STAMP + "nlX after a stamp",
    "\x1b[31mERROR\x1b[0m: red \x1b]0;title\x07 and \x1b(B escapes",
    STAMP + "\x1b[1mFAILED\x1b[0m tests/test_x.py::test_y - AssertionError",
    "progress 10%\rprogress 100%\r",
    "spinner |\x08/\x08-\x08 done",
    "٢٠٢٥-03-04T05:06:07Z Arabic-Indic digits ٣٤ and v٥.٦",
    "Ünïcödé error at Straße 12 ✖ failed",
    "version 1.2.3-beta+build.7 sha 0a1b2c3d exited with 1",
    "artifact 2_0_1-SNAPSHOT built at 12:00:01",
    'The command "make test" exited with 2.',
    "##[error]Process completed with exit code 1.",
    "npm ERR! code ELIFECYCLE",
    "[-] expect(received).toBe(expected) couldn't match; timed out",
]


ASCII_LINES = [line for line in ODD_LINES if line.isascii()]  # ASCII text has faster patterns


def _random_log(rng: random.Random, odd: list[str], lines: int, stamped: bool) -> str:
    rows = []
    for _ in range(lines):
        row = rng.choice(odd) if rng.random() < 0.5 else f"step {rng.randint(0, 10**6)} ok"
        rows.append(STAMP + row if stamped and rng.random() < 0.9 else row)
    return "\n".join(rows)


LOGS = [
    _random_log(random.Random(seed), odd, 60, stamped=seed % 2 == 0)
    for seed in range(8)
    for odd in (ODD_LINES, ASCII_LINES)
]
LOGS += ["", "\n", "nl", "err", STAMP.strip(), "x\r\n" * 5]
LOGS += ["\n".join(ODD_LINES), "\n".join(ASCII_LINES), "\n".join(STAMP + x for x in ASCII_LINES)]


@pytest.mark.parametrize("text", LOGS)
def test_cleaning_a_block_cleans_each_line_as_one_line_alone(text):
    raw = text.split("\n")
    assert P.clean_block(text) == [P.clean_one(line) for line in raw]
    view = LogView(text)
    assert view.lines(-5, len(raw) + 5) == [P.clean_one(line) for line in raw]
    assert [view.line(i) for i in range(len(raw))] == [P.clean_one(line) for line in raw]


@pytest.mark.parametrize("text", LOGS)
def test_templating_a_block_gives_each_line_its_own_template(text):
    view = LogView(text)
    n = len(view)
    one_by_one = templates_of_lines(text, view.raw, range(n))
    assert templates_of_text(text) == [one_by_one[i] for i in range(n)]
    for lo, hi in ((0, n), (1, n - 1), (n // 2, n)):
        if lo < hi:
            block = templates_of_block(text, view.raw, view.segment(lo, hi))
            assert block == [one_by_one[i] for i in range(lo, hi)]


def _lines_holding(text: str, needles, lo: int, hi: int | None) -> set[int]:
    rows = text.encode("utf-8", "surrogatepass").lower().split(b"\n")
    stop = len(rows) if hi is None else min(hi, len(rows))
    return {i for i in range(max(0, lo), stop) if any(n in rows[i] for n in needles)}


NEEDLE_SETS = (P.HEAD_NEEDLES, P.NEEDLES, P.FINE_NEEDLES, P.END_NEEDLES, P.LAST_NEEDLES)


@pytest.mark.parametrize("text", LOGS)
def test_every_cue_word_found_at_once_gives_the_lines_each_search_would(text, monkeypatch):
    n = len(text.split("\n"))
    for needles in NEEDLE_SETS:
        for lo, hi in ((0, None), (3, n - 2), (n - 1, None), (0, 1)):
            expected = _lines_holding(text, needles, lo, hi)
            assert LogView(text).lines_with(needles, lo, hi) == expected
            with monkeypatch.context() as patch:  # the search per word, as for a large log
                patch.setattr(log_view, "INDEX_LIMIT", -1)
                assert LogView(text).lines_with(needles, lo, hi) == expected


def test_the_needle_index_finds_overlapping_needles_and_needles_at_the_edges():
    index = NeedleIndex((b"exit", b"exited with ", b"err", b"[-]", b"[-] "))
    text = b"err exited with 1 [-] x [-]err\nexit"
    found = index.offsets(np.frombuffer(text, dtype=np.uint8), text)
    naive = {
        needle: [i for i in range(len(text)) if text.startswith(needle, i)]
        for needle in (b"exit", b"exited with ", b"err", b"[-]", b"[-] ")
    }
    assert found == {needle: where for needle, where in naive.items() if where}
    assert index.offsets(np.frombuffer(b"", dtype=np.uint8), b"") == {}
    with pytest.raises(ValueError):
        NeedleIndex((b"$ ",))
    assert CUE_WORDS.needles.issuperset(P.NEEDLES + P.FINE_NEEDLES + P.HEAD_NEEDLES)


def test_a_green_log_is_redacted_once_for_the_failures_compared_with_it():
    engine = redactor()
    green = "Run tests\npassword=hunter2hunter2 ok\nall passed"
    first = _redacted_green(engine, green)
    assert "hunter2hunter2" not in first
    assert _redacted_green(engine, green) is first
    failing = "Run tests\npassword=hunter2hunter2 ok\nERROR: test_login failed"
    result = analyse_log(failing, previous_green=green)
    assert "hunter2hunter2" not in " ".join([result.summary, result.suggestion, *result.evidence])


def test_without_versions_in_the_green_log_nothing_changed():
    failing = "Collecting requests==2.31.0\nERROR: test failed"
    assert version_changes(failing, "no installs here") == []
    assert version_changes(failing, "Collecting requests==2.30.0")[0].after == "2.31.0"
