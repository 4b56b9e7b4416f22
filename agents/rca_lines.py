"""Failing-line localisation: rank a log's lines by how likely they explain the failure.

Speed comes from never walking every line in Python. Candidate lines are found with a few literal
searches over the lowered text (vectorised with numpy over large stretches; an ASCII log is not
even split into lines: a line is sliced out of the text when asked for), more of them in the window
that ends where the failing step ends (``The command ... exited with 1``, ``##[error]Process
completed with exit code 1``, ``BUILD FAILURE``...), and only candidates and the neighbours of
the best ones are cleaned (ANSI, timestamps) and scored. A candidate's score is

    keyword/regex weight  x  section factor (inside the step that failed; the first errors of the
                          step count a little more)  x  novelty (its template never appears in the
                          previous green log)

The best lines are grown into blocks (same prefix, indentation, stack frames, a header above, a few
blank lines inside, never across a separator, a summary or a passing test). The best block is
returned whole (a one-line progress mark yields its rank to the later report naming the same
test; of close-scoring blocks of one kind the first in the log ranks first); runner-up blocks
(up to ``MAX_SPANS`` spans in all) are returned whole too, up to
``ALT_LINES`` lines, and the last line of output before the failing step ended is always one of
the guesses. All spans together hold at most ``SHARE_CAP`` of the log's lines (and ``ABS_CAP``
lines).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

from agents import rca_patterns as P
from agents.rca_templates import templates_of_lines, templates_of_text

__all__ = ["Span", "LogView", "Located", "locate", "failing_step_of", "MAX_SPANS", "SHARE_CAP"]

MAX_SPANS = 5
SHARE_CAP = 0.049  # of the log's lines, all spans together
MIN_LINES = 1  # a tiny log still shows one line (the 5 % cap wins otherwise)
ABS_CAP = 150  # never more lines than this
MAX_CANDIDATES = 800  # scored lines near the end of the failing step (the last ones win)
MAX_FAR = 300  # and before that window
WINDOW = 300  # lines before the end of the failing step searched for more words
FINE_WINDOW = 120  # lines before the end of the failing step that get the finest search
SECTION_WINDOW = 5000  # lines before the end of the failing step searched for its start
HEAD_WINDOW = 40000  # lines before the end of the failing step searched at all
WIDE_SEARCH = 1 << 18  # bytes: a search over more text than this is vectorised
MAX_GAP = 3  # blank lines a block may hold in a row
ALT_REL = 0.4  # runner-up blocks must score at least this share of the best block
RUNNER_UP_GROWTH = 20  # lines a runner-up block may grow to
ALT_LINES = 20  # and show (whole blocks: a labelled cause is a block, rarely its best line alone)


@dataclass(frozen=True)
class Span:
    """A ranked block of lines: 1-based, inclusive; ``peak`` is its best line."""

    start: int
    end: int
    score: float
    peak: int


class _AsciiLines:
    """``text.split("\n")`` of an ASCII text without building the list: line ``i`` is sliced out
    of the text when asked for (byte offsets are character offsets)."""

    __slots__ = ("_text", "_starts", "_n")

    def __init__(self, text: str, starts: list[int]) -> None:
        self._text, self._starts, self._n = text, starts, len(starts) - 1

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> str:
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("line index out of range")
        return self._text[self._starts[i] : self._starts[i + 1] - 1]

    def __iter__(self):
        return iter(self._text.split("\n"))


class LogView:
    """Raw lines (numbered as ``text.split("\\n")``), lowered bytes, clean lines on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ascii = text.isascii()
        # Literal searches run over bytes: ``bytes.lower`` keeps every offset (ASCII only) and
        # ``bytes.find`` beats ``str.find`` on logs holding any non-ASCII character.
        self.lower = text.encode("utf-8", "surrogatepass").lower()
        self._bytes = np.frombuffer(self.lower, dtype=np.uint8)
        self._newlines = np.flatnonzero(self._bytes == 10)
        starts = (self._newlines + 1).tolist()
        starts.insert(0, 0)
        starts.append(len(self.lower) + 1)
        self.starts = starts  # byte offset of each line
        # raw lines: slices of the text on demand when byte and character offsets agree
        self.raw: _AsciiLines | list[str] = (
            _AsciiLines(text, starts) if self.ascii else text.split("\n")
        )
        self._clean: dict[int, str] = {}
        self.absent: dict[bytes, int] = {}  # needle -> a byte offset before which it never occurs
        self._info: dict[int, P.LineInfo] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def line(self, i: int) -> str:
        """The clean text of line ``i`` (0-based)."""
        found = self._clean.get(i)
        if found is None:
            found = self._clean[i] = P.clean_one(self.raw[i])
        return found

    def info(self, i: int) -> P.LineInfo:
        found = self._info.get(i)
        if found is None:
            found = self._info[i] = P.LineInfo(self.line(i))
        return found

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def _wide_lines(self, needle: bytes, begin: int, stop: int) -> list[int]:
        """0-based lines holding ``needle`` (2 bytes or more) within bytes ``[begin, stop)``.

        Vectorised: the text is read as 2- or 4-byte words at every alignment and compared with the
        needle's first bytes (one numpy pass costs about half a ``bytes.find`` pass, and ``find``
        slows down on frequent first letters); the few candidates left are checked byte by byte.
        """
        data = self._bytes[begin:stop]
        size, length = len(data), len(needle)
        width = 4 if length >= 4 else 2
        key = int.from_bytes(needle[:width], "little")
        kind = np.dtype("<u4") if width == 4 else np.dtype("<u2")
        parts = []
        for k in range(width):
            count = (size - k) // width
            if count > 0:
                words = data[k : k + count * width].view(kind)
                parts.append(np.flatnonzero(words == key) * width + k)
        if not parts:
            return []
        where = np.concatenate(parts)
        where = where[where <= size - length]
        for j in range(width, length):
            where = where[data[where + j] == needle[j]]
        return np.searchsorted(self._newlines, where + begin).tolist()

    def lines_with_symbols(self, symbols: tuple[bytes, ...]) -> set[int]:
        """0-based indices of lines holding any of the 3-byte UTF-8 ``symbols``, in one vectorised
        pass (a ``bytes.find`` pass per symbol costs as much as one per word)."""
        if self.ascii or not symbols:
            return set()
        data, found = self._bytes, set()
        if len(data) < 3:
            return found
        for lead in sorted({symbol[0] for symbol in symbols}):
            leads = np.flatnonzero(data[:-2] == lead)
            if not len(leads):
                continue
            second, third = data[leads + 1], data[leads + 2]
            hit = np.zeros(len(leads), dtype=bool)
            for symbol in symbols:
                if symbol[0] == lead:
                    hit |= (second == symbol[1]) & (third == symbol[2])
            if hit.any():
                found.update(np.searchsorted(self._newlines, leads[hit]).tolist())
        return found

    def lines_with(
        self, needles: tuple[bytes, ...], lo: int = 0, hi: int | None = None, limit: int = 0
    ) -> set[int]:
        """0-based indices of lines in ``[lo, hi)`` holding any of the lower-case needles."""
        lower, starts, found = self.lower, self.starts, set()
        n = len(self.raw)
        begin = starts[max(0, min(lo, n))]
        stop = starts[min(n, hi)] if hi is not None else len(lower)
        if not limit and stop - begin >= WIDE_SEARCH and min(map(len, needles), default=0) > 1:
            for needle in needles:
                found.update(self._wide_lines(needle, begin, stop))
            return found
        for needle in needles:
            pos = lower.find(needle, begin, stop)
            while pos >= 0:
                line = bisect.bisect_right(starts, pos) - 1
                found.add(line)
                if limit and len(found) > limit:
                    return found
                pos = lower.find(needle, starts[line + 1], stop)
        return found


_FAIL_ENDS = re.compile(
    r"BUILD FAILURE|Finished: FAILURE|build as failure|Script failed|The command|"
    r"failed 3 times|##\[error\]Process completed|##\[error\]The operation was cancel"
)


def _end_marker(view: LogView, head_hits: set[int]) -> int:
    """0-based index of the first line that ends the failing step (``len(view)`` if none: the step
    then ends with the log, its last line included).

    ``head_hits`` (lines holding the head needles, "fail" among them) are reused so that only the
    end needles without "fail" cost a pass over the text.
    """
    raw = view.raw
    failing = {i for i in head_hits if _FAIL_ENDS.search(raw[i])}
    failing |= view.lines_with(P.END_NEEDLES)
    failing |= view.lines_with(P.LAST_NEEDLES, max(0, len(raw) - 300))
    for i in sorted(failing):
        if P.END.search(view.line(i)):
            return i
    return len(view)


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


def _position_factor(i: int, start: int, end: int) -> float:
    if i > end:
        return 0.35
    if i < start:
        return 0.5
    return 1.0 - 0.1 * (i - start) / max(1, end - start)


def _score_lines(view: LogView, start: int, end: int, head_hits: set[int]) -> dict[int, float]:
    n = len(view)
    hi = min(n, end + 200)
    found = {i for i in head_hits if end - HEAD_WINDOW <= i < hi}
    found.update(view.lines_with(P.NEEDLES, max(0, end - WINDOW), hi))
    lo, fine_hi = max(0, end - FINE_WINDOW), min(n, end + 20)
    found.update(view.lines_with(P.FINE_NEEDLES, lo, fine_hi))
    shapes = P.FINE_SHAPES.match
    found.update(i for i in range(lo, fine_hi) if shapes(view.line(i)))
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
            scores[i] = base * _position_factor(i, start, end)
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
        elif (bare and gap == 0) or (gap <= 1 and _belongs(view, i, shape, indent, scores)) or (
            gap > 1 and (info.cont or (shape and info.shape == shape))
        ):
            end, gap = i, 0
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
    if end - start + 1 > limit:
        end = start + limit - 1 if peak - start < limit else min(end, peak + limit // 2)
        start = max(start, end - limit + 1)
    return start, end


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
    end = _end_marker(view, head_hits)
    start = _section_start(view, end)
    scores = _score_lines(view, start, end, head_hits)
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
    spans = _select(view, scores, min(budget, n) - reserve, max_spans)
    if tail is not None and spans and not any(s.start <= tail[1] + 1 <= s.end for s in spans):
        # the last words of the failing step are always worth one of the ranked guesses
        used = sum(s.end - s.start + 1 for s in spans)
        if used < budget:
            guess = Span(tail[1] + 1, tail[1] + 1, scores.get(tail[1], 1.0), tail[1] + 1)
            spans = _merge((spans if len(spans) < max_spans else spans[:-1]) + [guess])
    return Located(spans, view, scores, end, head_hits)


def _apply_novelty(view: LogView, scores: dict[int, float], previous_green: str, end: int) -> None:
    """Lines whose template the green log never printed gain; lines it printed too lose."""
    seen = set(templates_of_text(previous_green))
    window = range(max(0, end - 300), min(len(view), end + 1))
    mine = templates_of_lines(view.text, view.raw, sorted(set(scores).union(window)))
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


def _select(view: LogView, scores: dict[int, float], budget: int, max_spans: int) -> list[Span]:
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
    _prefer_first(view, blocks)
    if blocks[0] is not first and budget > RUNNER_UP_GROWTH:
        # a runner-up won on evidence: it was grown short, give it the full budget now
        s, e = _grow(view, blocks[0].peak - 1, scores, budget)
        blocks[0] = Span(s + 1, e + 1, blocks[0].score, blocks[0].peak)
    top, chosen, used = blocks[0].score, [], 0
    for block in blocks:
        if len(chosen) >= max_spans or used >= budget or block.score < ALT_REL * top:
            break
        if chosen and block.end - block.start + 1 > ALT_LINES:  # runner-ups: their core only
            lo = max(block.start, block.peak - (ALT_LINES - 1) // 2)
            block = Span(lo, min(block.end, lo + ALT_LINES - 1), block.score, block.peak)
        size = min(block.end - block.start + 1, budget - used)
        chosen.append(Span(block.start, block.start + size - 1, block.score, block.peak))
        used += size
    return _merge(chosen)


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


def _prefer_first(view: LogView, blocks: list[Span]) -> None:
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


def _merge(spans: list[Span]) -> list[Span]:
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


def failing_step_of(view: LogView, spans: list[Span]) -> str | None:
    """The step (GitHub ``##[group]Run``) or command (Travis ``$ ``) that holds the best span."""
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
    return name
