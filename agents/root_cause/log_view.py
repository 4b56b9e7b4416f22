"""A log as raw lines, lowered bytes and clean lines on demand, with fast literal searches.

Lines are numbered as ``text.split("\\n")``. An ASCII log is not even split: a line is sliced out
of the text when asked for; the lines localisation reads most (near the end of the failing step)
are cleaned together, in one pass over their text. Every cue word of a log up to
``INDEX_LIMIT`` bytes is found in one vectorised pass (:mod:`agents.root_cause.needles`), so a
search is a look-up; searches over large stretches of larger logs are vectorised with numpy.
"""

from __future__ import annotations

import bisect
from functools import lru_cache

import numpy as np

from agents.root_cause import patterns as P
from agents.root_cause.needles import NeedleIndex

__all__ = ["LogView", "WIDE_SEARCH"]

WIDE_SEARCH = 1 << 18  # bytes: a search over more text than this is vectorised
# bytes: a log up to this long is searched once for every cue word; a longer one only in the
# windows asked for (the one pass then reads more text than the windows hold)
INDEX_LIMIT = 1 << 18
# the cue words localisation looks for: all found in one pass (``lines_with`` then only looks up)
CUE_WORDS = NeedleIndex(
    (*P.HEAD_NEEDLES, *P.NEEDLES, *P.FINE_NEEDLES, *P.END_NEEDLES, *P.LAST_NEEDLES)
)


# CI logs repeat their lines from run to run: a line's (read-only) facts are computed once
_line_info = lru_cache(maxsize=1 << 14)(P.LineInfo)


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
        self._cues: dict[bytes, list[int]] | None = None  # CUE_WORDS' offsets, once asked for

    def __len__(self) -> int:
        return len(self.raw)

    def line(self, i: int) -> str:
        """The clean text of line ``i`` (0-based)."""
        found = self._clean.get(i)
        if found is None:
            found = self._clean[i] = P.clean_one(self.raw[i])
        return found

    def lines(self, lo: int, hi: int) -> list[str]:
        """The clean text of lines ``[lo, hi)`` (clipped to the log), cleaned in one pass over
        their text unless :meth:`line` or this already cleaned them all: localisation reads most
        lines near the end of the failing step."""
        lo, hi = max(0, lo), min(len(self.raw), hi)
        found = list(map(self._clean.get, range(lo, hi)))
        if None in found:
            found = P.clean_block(self.segment(lo, hi))
            self._clean.update(zip(range(lo, hi), found, strict=True))
        return found

    def info(self, i: int) -> P.LineInfo:
        found = self._info.get(i)
        if found is None:
            found = self._info[i] = _line_info(self.line(i)[: P.LINE_CAP])  # all it reads
        return found

    def segment(self, lo: int, hi: int) -> str:
        """Raw lines ``[lo, hi)`` joined by newlines (as they stand in the text: a slice of it when
        byte and character offsets agree), for whole-block regular expressions."""
        if self.ascii:
            return self.text[self.starts[lo] : self.starts[hi] - 1] if lo < hi else ""
        return "\n".join(self.raw[lo:hi])

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
        if not limit and len(lower) <= INDEX_LIMIT and CUE_WORDS.needles.issuperset(needles):
            return self._indexed_lines(needles, begin, stop)
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

    def _indexed_lines(self, needles: tuple[bytes, ...], begin: int, stop: int) -> set[int]:
        """``lines_with`` from the offsets of every cue word, found in one pass when first asked
        for (a needle holds no newline: one that starts before ``stop``, a line's start, ends
        before it)."""
        if self._cues is None:
            self._cues = CUE_WORDS.offsets(self._bytes, self.lower)
        starts, cues, found = self.starts, self._cues, set()
        for needle in needles:
            offsets = cues.get(needle)
            if offsets:
                first = bisect.bisect_left(offsets, begin)
                for at in offsets[first : bisect.bisect_left(offsets, stop)]:
                    found.add(bisect.bisect_right(starts, at) - 1)
        return found
