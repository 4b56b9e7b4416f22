"""Failing-line localisation: rank a log's lines by how likely they explain the failure.

Speed comes from never walking every line in Python. Candidate lines are found with literal
searches over the lowered text (every cue word of a log at once, in one vectorised pass; numpy over
large stretches of a large log; an ASCII log is not even split into lines: a line is sliced out of
the text when asked for), more of them in the window that ends where the failing step ends (``The
command ... exited with 1``, ``##[error]Process completed with exit code 1``, the end of the error
report under Maven's ``BUILD FAILURE``...). That window is cleaned (ANSI, timestamps) and, for
novelty, templated in a few passes over its text; only candidates and the neighbours of the best
ones are scored. A candidate's score is

    keyword/regex weight  x  section factor (inside the step that failed; the first errors of the
                          step count a little more; an earlier step, which passed, counts a
                          quarter; a later command that failed too, 0.7)  x  novelty (its
                          template never appears in the previous green log)

The best lines are grown into blocks and ranked in ``rca_blocks`` (the best block whole,
runner-ups by their core, at most ``MAX_SPANS``); the last line of output before the failing step
ended is one of the guesses unless the best block outscores it ``1 / TAIL_REL`` times (a strong,
cued report needs no uncued line beside it; a weak one does). All spans together hold at most
``SHARE_CAP`` of the log's lines (and ``ABS_CAP`` lines). ``rca_view`` holds the log view and
its fast literal searches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from agents.root_cause import patterns as P
from agents.root_cause.blocks import Span, merge_spans, select_spans
from agents.root_cause.log_view import WIDE_SEARCH, LogView
from agents.root_cause.templates import templates_of_block, templates_of_lines, templates_of_text

__all__ = [
    "Span",
    "LogView",
    "Located",
    "locate",
    "failing_step_of",
    "failing_command_of",
    "MAX_SPANS",
    "SHARE_CAP",
    "WIDE_SEARCH",
]

MAX_SPANS = 5
AFTER_END = 0.35  # a line after the failing step ended (a later step, the summary)
LATER_FAILING = 0.7  # a line of a command that failed after the first one (Travis runs them all)
BEFORE_START = 0.25  # a line of an earlier step (it did not fail the build)
SHARE_CAP = 0.049  # of the log's lines, all spans together
MIN_LINES = 1  # a tiny log still shows one line (the 5 % cap wins otherwise)
ABS_CAP = 150  # never more lines than this
TAIL_REL = 0.25  # the step's last line is a guess when it scores this share of the best block
MAX_CANDIDATES = 800  # scored lines near the end of the failing step (the last ones win)
MAX_FAR = 300  # and before that window
WINDOW = 300  # lines before the end of the failing step searched for more words
FINE_WINDOW = 120  # lines before the end of the failing step that get the finest search
SECTION_WINDOW = 5000  # lines before the end of the failing step searched for its start
HEAD_WINDOW = 40000  # lines before the end of the failing step searched at all


_FAIL_ENDS = re.compile(
    r"BUILD FAILURE|Finished: FAILURE|build as failure|Script failed|The command|"
    r"failed 3 times|##\[error\]Process completed|##\[error\]The operation was cancel"
)


def _end_marker(view: LogView, head_hits: set[int], exits: set[int]) -> int:
    """0-based index of the first line that ends the failing step (``len(view)`` if none: the step
    then ends with the log, its last line included).

    ``head_hits`` (lines holding the head needles, "fail" among them) and ``exits`` (lines holding
    "exited with ") are reused: only the needles of the log's last lines cost another search.
    """
    raw = view.raw
    failing = {i for i in head_hits if _FAIL_ENDS.search(raw[i])}
    failing |= exits
    failing |= view.lines_with(P.LAST_NEEDLES, max(0, len(raw) - 300))
    for i in sorted(failing):
        line = view.line(i)
        if P.END.search(line):
            return _maven_report_end(view, i) if "BUILD FAILURE" in line else i
    return len(view)


MAVEN_REPORT = 300  # lines after Maven's BUILD FAILURE searched for the end of its error report
_MAVEN_LINE = re.compile(r"\[(?:INFO|ERROR|WARNING)\]|\s*$")


def _maven_report_end(view: LogView, verdict: int) -> int:
    """Maven prints its verdict first and the error (goal, compiler errors, help) after it: the
    failing step ends where that report of ``[INFO]/[ERROR]`` lines ends, not at the verdict."""
    end = verdict
    for i in range(verdict + 1, min(len(view), verdict + MAVEN_REPORT)):
        if not _MAVEN_LINE.match(view.line(i)):
            break
        end = i
    return end


_SECTION_NEEDLES = (
    b"travis_fold:start",
    b"travis_time:start",
    b"##[group]run ",
    b"$ ",
    b"> task :",
)


def _section_start(view: LogView, end: int) -> int:
    """The line that opened the step or command that failed (0 when the log has no sections)."""
    floor = max(0, end - SECTION_WINDOW)
    best, stop = floor, view.starts[end]
    for needle in _SECTION_NEEDLES:
        pos, tries = view.lower.rfind(needle, view.starts[best], stop), 0
        if pos < 0 and best == 0:
            view.absent[needle] = stop  # no such needle before byte ``stop``
        while pos >= 0 and tries < 200:
            i = view.line_of(pos)
            if P.SECTION.match(view.line(i)):
                best = max(best, i)
                break
            pos, tries = view.lower.rfind(needle, view.starts[best], view.starts[i]), tries + 1
    return best if best > floor else 0


MAX_LATER = 4  # later failing commands looked at


def _later_failures(view: LogView, end: int, exits: set[int]) -> list[tuple[int, int]]:
    """(start, end) of the commands that failed after the first one: Travis runs every command of
    its ``script`` phase even when one fails, and any of them may hold the cause."""
    found: list[tuple[int, int]] = []
    for i in sorted(i for i in exits if i > end):
        if len(found) >= MAX_LATER:
            break
        if P.COMMAND_FAILED.match(view.line(i)):
            found.append((max(_section_start(view, i), found[-1][1] if found else end), i))
    return found


def _position_factor(i: int, start: int, end: int, later: Sequence[tuple[int, int]] = ()) -> float:
    if i > end:
        for a, b in later:
            if a <= i <= b:
                return LATER_FAILING
        return AFTER_END
    if i < start:
        return BEFORE_START
    return 1.0 - 0.1 * (i - start) / max(1, end - start)


def _score_lines(
    view: LogView, start: int, end: int, head_hits: set[int], later: Sequence[tuple[int, int]] = ()
) -> dict[int, float]:
    n = len(view)
    hi = min(n, max([end + 200] + [b + 20 for _, b in later]))
    found = {i for i in head_hits if end - HEAD_WINDOW <= i < hi}
    found.update(view.lines_with(P.NEEDLES, max(0, end - WINDOW), hi))
    lo, fine_hi = max(0, end - FINE_WINDOW), min(n, end + 20)
    found.update(view.lines_with(P.FINE_NEEDLES, lo, fine_hi))
    shapes = P.FINE_SHAPES.match
    found.update(i for i, line in enumerate(view.lines(lo, fine_hi), lo) if shapes(line))
    for a, b in later:
        found.update(view.lines_with(P.NEEDLES, max(a, b - WINDOW), b))
    cache: dict[str, float] = {}
    scores: dict[int, float] = {}
    ordered = sorted(found)
    near = [i for i in ordered if i >= end - WINDOW][-MAX_CANDIDATES:]
    far = [i for i in ordered if i < end - WINDOW][-MAX_FAR:]
    for i in far + near:
        line = view.line(i)
        base = cache.get(line)
        if base is None:
            base = cache[line] = P.base_score(line)
        if base > 0:
            scores[i] = base * _position_factor(i, start, end, later)
    return scores


def _tail_block(view: LogView, end: int, scores: dict[int, float]) -> tuple[int, int] | None:
    """The last output lines of the failing step, just above its end marker (boilerplate skipped).

    When the last line already carries a failure cue, block growth will find its neighbours; the
    tail block then is that line alone. Otherwise it is the run of lines above it (at most 12).
    """
    i = end - 1
    while i >= 0 and end - i < 60:
        line = view.line(i)
        if (
            line.strip()
            and not P.is_noise(line[: P.LINE_CAP], line[: P.LINE_CAP].lower())
            and not P.SEPARATOR.match(line)
        ):
            break
        i -= 1
    if i < 0 or end - i >= 60 or P.SECTION.match(view.line(i)):
        return None
    last = i
    if scores.get(last, 0.0) > 0:
        return last, last
    while i > 0 and not view.info(i - 1).blank and not view.info(i - 1).stop and last - i < 12:
        i -= 1
    return i, last


@dataclass
class Located:
    """What localisation found: ranked spans and what the classifier may reuse."""

    spans: list[Span]
    view: LogView
    scores: dict[int, float]  # 0-based line -> score, for the candidate lines
    end: int  # 0-based line that ends the failing step (len(view) when no line marks it)
    head_hits: set[int]  # 0-based lines holding "err", "fail" (or a failure symbol)


def locate(
    text_or_view: str | LogView, previous_green: str | None = None, max_spans: int = MAX_SPANS
) -> Located:
    """Ranked spans (most likely first) explaining the failure, with the view of the log."""
    view = text_or_view if isinstance(text_or_view, LogView) else LogView(text_or_view)
    n = len(view)
    head_hits = view.lines_with(P.HEAD_NEEDLES)
    head_hits |= view.lines_with_symbols(P.HEAD_SYMBOLS)
    exits = view.lines_with(P.END_NEEDLES)
    end = _end_marker(view, head_hits, exits)
    view.lines(end - WINDOW, end + 20)  # cleaned at once: the lines scored and grown into blocks
    start = _section_start(view, end)
    later = _later_failures(view, end, exits)
    scores = _score_lines(view, start, end, head_hits, later)
    if previous_green is not None:
        _apply_novelty(view, scores, previous_green, end)
    tail = _tail_block(view, end, scores)
    # a last line that itself says what failed keeps a line of the budget for itself
    cued_tail = tail is not None and tail[0] == tail[1] and scores.get(tail[1], 0.0) > 0
    if tail is not None:
        for i in range(tail[0], tail[1] + 1):
            scores[i] = max(scores.get(i, 0.0), 1.0)
    budget = max(MIN_LINES, min(ABS_CAP, int(SHARE_CAP * n)))
    reserve = 1 if cued_tail and budget > 1 else 0
    spans = select_spans(view, scores, min(budget, n) - reserve, max_spans)
    if tail is not None and spans and not any(s.start <= tail[1] + 1 <= s.end for s in spans):
        # the last words of the failing step are worth one of the ranked guesses, unless the best
        # block is far stronger evidence than they are
        used = sum(s.end - s.start + 1 for s in spans)
        tail_score = scores[tail[1]]  # set above: at least 1.0
        if used < budget and tail_score >= TAIL_REL * spans[0].score:
            guess = Span(tail[1] + 1, tail[1] + 1, tail_score, tail[1] + 1)
            spans = merge_spans((spans if len(spans) < max_spans else spans[:-1]) + [guess])
    return Located(spans, view, scores, end, head_hits)


@lru_cache(maxsize=1)  # a batch compares many failing logs with one green log: read it once
def _green_templates(green: str) -> frozenset[str]:
    return frozenset(templates_of_text(green))


def _apply_novelty(view: LogView, scores: dict[int, float], previous_green: str, end: int) -> None:
    """Lines whose template the green log never printed gain; lines it printed too lose."""
    seen = _green_templates(previous_green)
    window = range(max(0, end - 300), min(len(view), end + 1))
    # the window in one pass over its text, the candidates outside it line by line
    block = view.segment(window.start, window.stop)
    mine = dict(
        zip(window, templates_of_block(view.text, view.raw, block) if window else [], strict=True)
    )
    mine.update(templates_of_lines(view.text, view.raw, [i for i in scores if i not in window]))
    for i in scores:
        scores[i] *= 1.6 if mine[i] not in seen else 0.25
    for i in window:
        if (
            i not in scores
            and mine[i] not in seen
            and not view.info(i).blank
            and not view.info(i).stop
        ):
            scores[i] = 0.3


def failing_step_of(view: LogView, spans: list[Span]) -> str | None:
    """The step (GitHub ``##[group]Run``) or command (Travis ``$ ``) that holds the best span."""
    found = failing_command_of(view, spans)
    return found[1] if found else None


def failing_command_of(view: LogView, spans: list[Span]) -> tuple[int, str] | None:
    """0-based line and text of the step (GitHub ``##[group]Run``) or command (Travis ``$ ``)
    that holds the best span."""
    if not spans:
        return None
    stop, best, name = view.starts[spans[0].peak - 1], -1, None
    for needle, prefix in ((b"##[group]run ", "##[group]Run "), (b"$ ", "$ ")):
        # lines at or before ``best`` cannot win; text known to hold no needle is not read again
        floor = view.starts[best] if best >= 0 else 0
        clear = view.absent.get(needle, 0)
        if clear >= stop:
            continue
        if clear > len(needle):
            floor = max(floor, clear - len(needle) + 1)
        pos, tries = view.lower.rfind(needle, floor, stop), 0
        while pos >= 0 and tries < 200:
            i = view.line_of(pos)
            line = view.line(i)
            if line.startswith(prefix):
                if i > best:
                    best, name = i, line[len(prefix) :].strip()[:200] or None
                break
            if view.starts[i] <= floor:
                break
            pos, tries = view.lower.rfind(needle, floor, view.starts[i]), tries + 1
    return (best, name) if name else None
