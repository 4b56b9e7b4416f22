"""Growing a log's best lines into blocks and choosing the ranked spans returned.

A block grows from its best line while lines belong to the same message (same prefix,
indentation, stack frames, a header above, a few blank lines inside, never across a separator, a
summary or a passing test). Blocks rank by their best line plus the evidence of their other
lines; a one-line progress mark yields its rank to the later report naming the same test, and of
close-scoring blocks of one kind the first in the log ranks first. The best block is returned
whole, runner-ups (within ``ALT_REL`` of it) by their core only, and only when they are another
kind of evidence or part of the best block's own listing (not a second failure like it far away).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.root_cause import patterns as P
from agents.root_cause.log_view import LogView

__all__ = ["Span", "select_spans", "merge_spans", "prefer_first"]

MAX_GAP = 3  # blank lines a block may hold in a row
ALT_REL = 0.4  # runner-up blocks must score at least this share of the best block
RUNNER_UP_GROWTH = 20  # lines a runner-up block may grow to
SAME_KIND_NEAR = 30  # lines: a block of the best one's kind this close is part of its listing
ALT_LINES = 20  # and show (whole blocks: a labelled cause is a block, rarely its best line alone)


@dataclass(frozen=True)
class Span:
    """A ranked block of lines: 1-based, inclusive; ``peak`` is its best line."""

    start: int
    end: int
    score: float
    peak: int


def _belongs(view: LogView, i: int, shape: str, indent: int, scores: dict[int, float]) -> bool:
    info = view.info(i)
    if scores.get(i, 0.0) > 0 or info.cont or (shape and info.shape == shape):
        return True
    return indent > 0 and info.indent >= indent


def _grow(view: LogView, peak: int, scores: dict[int, float], limit: int) -> tuple[int, int]:
    """Grow a block around ``peak`` (0-based) while lines belong to the same message."""
    n = len(view)
    shape, indent = view.info(peak).shape, view.info(peak).indent
    # a bare "Error:", "Failure:" or "--- stderr" heading: the lines up to a blank one are its body
    bare = P.BARE_HEADING.match(view.line(peak)) is not None
    start = end = peak
    i, gap = peak + 1, 0
    while i < n and i - start < 4 * limit:
        info = view.info(i)
        if info.blank:
            gap += 1
            if gap > MAX_GAP:
                break
        elif info.edge or info.header:
            break
        elif (
            (bare and gap == 0)
            or (gap <= 1 and _belongs(view, i, shape, indent, scores))
            or (gap > 1 and (info.cont or (shape and info.shape == shape)))
        ):
            end, gap = i, 0
        elif (closing := _captured_end(view, i, start + 4 * limit)) is not None:
            end, gap, i = closing, 0, closing
        elif (caret := _caret_below(view, i)) is not None:
            end, gap, i = caret, 0, caret
        else:
            break
        i += 1
    i, gap, headers = peak - 1, 0, 0
    while i >= 0 and end - i < 4 * limit:
        info, top = view.info(i), view.info(start)
        if info.blank:
            gap += 1
            if gap > MAX_GAP or not top.cont:
                break
        elif info.header:
            start = i
            break
        elif info.edge:
            break
        elif top.cont and _belongs(view, i, shape, indent, scores):
            start, gap = i, 0
        elif (
            headers == 0
            and (gap == 0 or info.indent < top.indent)
            and P.HEADLIKE.search(view.line(i))
        ):
            start, gap, headers = i, 0, 1
            if not info.cont:
                break
        else:
            if not info.edge:
                start = _header_above(view, i, start, end - 4 * limit)
            break
        i -= 1
    start = _traceback_above(view, start, end - 4 * limit)
    if end - start + 1 > limit:
        end = start + limit - 1 if peak - start < limit else min(end, peak + limit // 2)
        start = max(start, end - limit + 1)
    return start, end


_CARET = re.compile(r"\s*~*\^~*\s*$")


def _caret_below(view: LogView, i: int) -> int | None:
    """A compiler's source excerpt: the quoted line ``i`` and the caret line under it (at most
    two blank lines between, as in double-spaced logs) belong to the diagnostic above."""
    for j in range(i + 1, min(len(view), i + 4)):
        if _CARET.match(view.line(j)):
            return j
        if not view.info(j).blank:
            return None
    return None


_FRAME = re.compile(r"\s+File \"")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\):")
_TEST_VERDICT = re.compile(r"(?:FAIL|ERROR): \S")


def _traceback_above(view: LogView, start: int, floor: int) -> int:
    """A Python exception line closes its traceback: the frames above it up to ``Traceback (most
    recent call last):`` belong to it, and so does unittest's ``FAIL: test`` heading (with its
    ``-----`` rule) right above the traceback."""
    if (
        start == 0
        or not _FRAME.match(view.line(start - 1))
        and not (start > 1 and _FRAME.match(view.line(start - 2)))
    ):
        return start
    i = start - 1
    while i > max(floor, 0) and view.info(i).cont and not view.info(i).blank:
        i -= 1
    if not _TRACEBACK.match(view.line(i)):
        return start
    if i >= 2 and P.SEPARATOR.match(view.line(i - 1)) and _TEST_VERDICT.match(view.line(i - 2)):
        return i - 2
    return i


_CAPTURED = re.compile(r"-+ ?>> (begin|end) captured \w+ <<")


def _captured_end(view: LogView, i: int, limit: int) -> int | None:
    """nose's ``>> begin captured stdout <<`` under a failing test: the output the test printed
    (often with the real error) belongs to the failure, up to its ``>> end captured ... <<``."""
    match = _CAPTURED.match(view.line(i))
    if match is None or match.group(1) != "begin":
        return None
    for j in range(i + 1, min(len(view), limit)):
        closing = _CAPTURED.match(view.line(j))
        if closing is not None and closing.group(1) == "end":
            return j
    return None


HEADER_REACH = 12  # lines above a block searched for the header of its section


def _header_above(view: LogView, i: int, start: int, floor: int) -> int:
    """The start of a block whose upward growth stopped at line ``i``: a test's header
    (pytest's ``____ test_x ____``) at most ``HEADER_REACH`` lines above, with no edge between,
    opens it (the fixture values and source lines under it belong to the failure)."""
    for j in range(i, max(floor, i - HEADER_REACH, -1), -1):
        info = view.info(j)
        if info.header and view.line(j).lstrip().startswith("___"):
            return j
        if info.edge:
            break
    return start


def select_spans(
    view: LogView, scores: dict[int, float], budget: int, max_spans: int
) -> list[Span]:
    """Grow the best-scoring lines into blocks, rank them and keep what the budget allows."""
    if not scores or budget <= 0:
        return []
    ranked = sorted(scores, key=lambda i: (-scores[i], i))[:200]
    blocks: list[Span] = []
    covered: set[int] = set()
    for peak in ranked:
        if len(blocks) >= max_spans:
            break
        if peak in covered:
            continue
        s, e = _grow(view, peak, scores, budget if not blocks else min(budget, RUNNER_UP_GROWTH))
        # lines of a block ranked earlier lend it nothing (a tally above a stronger block)
        best = max(scores.get(i, 0.0) for i in range(s, e + 1) if i not in covered)
        blocks.append(Span(s + 1, e + 1, best + _evidence(view, s, e, peak, best), peak + 1))
        covered.update(range(s, e + 1))
    first = blocks[0]
    blocks.sort(key=lambda b: (-b.score, b.peak))
    _prefer_report(view, blocks)
    prefer_first(view, blocks)
    if blocks[0] is not first and budget > RUNNER_UP_GROWTH:
        # a runner-up won on evidence: it was grown short, give it the full budget now
        s, e = _grow(view, blocks[0].peak - 1, scores, budget)
        blocks[0] = Span(s + 1, e + 1, blocks[0].score, blocks[0].peak)
    top, chosen, used = blocks[0].score, [], 0
    best_kind = _kind(view, blocks[0])
    for block in blocks:
        if len(chosen) >= max_spans or used >= budget or block.score < ALT_REL * top:
            break
        if chosen and _repeats_the_best(view, block, blocks[0], best_kind):
            continue
        if chosen and block.end - block.start + 1 > ALT_LINES:  # runner-ups: their core only
            lo = max(block.start, block.peak - (ALT_LINES - 1) // 2)
            block = Span(lo, min(block.end, lo + ALT_LINES - 1), block.score, block.peak)
        size = min(block.end - block.start + 1, budget - used)
        chosen.append(Span(block.start, block.start + size - 1, block.score, block.peak))
        used += size
    return merge_spans(chosen)


def _repeats_the_best(view: LogView, block: Span, best: Span, best_kind: str) -> bool:
    """A runner-up of the best block's kind far from it (a second failing test, the summary
    repeating an error) is no other guess: the runner-ups offer other kinds of evidence, in case
    the best block is the wrong one. Blocks of that kind close to it (a compiler's list of errors)
    stay: they are part of the same report."""
    gap = max(block.start - best.end, best.start - block.end)
    return gap > SAME_KIND_NEAR and bool(best_kind) and _kind(view, block) == best_kind


_NAME = re.compile(r"[A-Za-z_][\w.:]{15,}")  # a test's name: long, no spaces
REPORT_SPAN = 3  # lines: a block this short may be a progress mark reported again later


def _prefer_report(view: LogView, blocks: list[Span]) -> None:
    """A failure shown twice: a one-line progress mark (``✗ test_x, message``) and, later, the
    runner's report of it (name, message, location, source). The report explains more: it
    takes the progress mark's rank (the earliest later block naming the same test)."""
    top = blocks[0]
    if top.end - top.start + 1 > REPORT_SPAN:
        return
    names = _NAME.findall(view.line(top.peak - 1)[: P.LINE_CAP])
    if not names:
        return
    name = max(names, key=len)
    later = sorted((b for b in blocks[1:] if b.start > top.end), key=lambda b: b.start)
    for block in later:
        if block.end - block.start + 1 <= REPORT_SPAN:
            continue
        if any(name in view.line(i) for i in range(block.start - 1, block.end)):
            blocks.remove(block)
            blocks.insert(0, Span(block.start, block.end, top.score, block.peak))
            return


TIE_REL = 0.85  # blocks this close to the best one are ties


def _kind(view: LogView, block: Span) -> str:
    """What a block's peak line looks like: its first two words, digits masked."""
    return _DIGIT.sub("0", " ".join(view.line(block.peak - 1)[:80].split()[:2]))


_DIGIT = re.compile(r"\d+")


def prefer_first(view: LogView, blocks: list[Span]) -> None:
    """Several failures of one kind (``Error:`` blocks of minitest, ``[-]`` tests of Pester)
    score alike; the first of them in the log is the one a reader (and a labeller) reads first."""
    top = blocks[0]
    kind = None
    for k, block in enumerate(blocks[1:], 1):
        if block.score < TIE_REL * top.score:
            break
        if block.start < blocks[0].start:
            kind = kind if kind is not None else _kind(view, top)
            if kind and _kind(view, block) == kind and not _repeats(view, block, top):
                blocks.insert(0, blocks.pop(k))


def _repeats(view: LogView, one: Span, other: Span) -> bool:
    """Whether two blocks open with the same lines (digits masked): one failure printed twice
    (a build's summary repeating its errors, a document typeset again), not two failures."""
    size = min(2, one.end - one.start + 1, other.end - other.start + 1)
    return all(
        _DIGIT.sub("0", view.line(one.start - 1 + k).strip())
        == _DIGIT.sub("0", view.line(other.start - 1 + k).strip())
        for k in range(size)
    )


EVIDENCE_WEIGHT = 0.5  # of the other lines' cue weights; at most half the best line's score
EVIDENCE_LINES = 30


def _evidence(view: LogView, start: int, end: int, peak: int, best: float) -> float:
    """A bonus for a block whose other lines also carry cues (an assertion under a failing test, the
    details under a compiler error): a detailed message beats a lone verdict line of equal score."""
    total = 0.0
    for i in range(start, min(end, start + EVIDENCE_LINES) + 1):
        if i != peak:
            total += min(P.base_score(view.line(i)), 3.0)
    return min(EVIDENCE_WEIGHT * total, 0.5 * best)


def merge_spans(spans: list[Span]) -> list[Span]:
    """Merge overlapping or touching spans (keeping the rank of the better one)."""
    merged: list[Span] = []
    for span in spans:
        for k, other in enumerate(merged):
            if span.start <= other.end + 1 and other.start <= span.end + 1:
                merged[k] = Span(
                    min(span.start, other.start),
                    max(span.end, other.end),
                    max(span.score, other.score),
                    other.peak,
                )
                break
        else:
            merged.append(span)
    return merged
