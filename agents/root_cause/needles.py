"""Every literal cue of localisation found in one vectorised pass over a log.

Localisation asks a log for the lines holding any of a few dozen lower-case words (``err``,
``fail``, ``exception``, ``could not``...), a set at a time. A ``bytes.find`` pass per word costs
about as much as the rest of the analysis of a small log, so the words are looked for all at once:
the text is read as a 4-byte word at every offset, the words whose (hashed) value starts a needle
are kept, and only those few candidates are checked byte by byte. The answer, every needle's
offsets, is exact.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["NeedleIndex"]

_MULT = 2654435761  # Knuth's multiplicative hash: the top 16 bits of a 32-bit word times this
_MASK3 = np.uint32(0xFFFFFF)


def _hash(words: np.ndarray) -> np.ndarray:
    return (words * np.uint32(_MULT)) >> np.uint32(16)  # uint32 arithmetic wraps: mod 2**32


class NeedleIndex:
    """Lower-case needles of 3 bytes or more, ready to be found together in a text."""

    def __init__(self, needles: Iterable[bytes]) -> None:
        self.needles = frozenset(needles)
        if any(len(needle) < 3 for needle in self.needles):
            raise ValueError("needles must be 3 bytes or longer")
        # needles by their first 4 bytes (3 for a 3-byte needle): what a candidate is checked with
        self._by_prefix: dict[bytes, list[bytes]] = {}
        self._tables = {3: np.zeros(1 << 16, dtype=bool), 4: np.zeros(1 << 16, dtype=bool)}
        for needle in sorted(self.needles):
            width = min(len(needle), 4)
            self._by_prefix.setdefault(needle[:width], []).append(needle)
            key = np.array([int.from_bytes(needle[:width], "little")], dtype=np.uint32)
            self._tables[width][_hash(key)] = True

    def offsets(self, data: np.ndarray, text: bytes) -> dict[bytes, list[int]]:
        """Every offset of every needle in ``text`` (``data``: the same bytes as uint8), in order;
        needles that never occur are absent."""
        found: dict[bytes, list[int]] = {}
        if not len(data):
            return found
        padded = np.zeros(len(data) + 3, dtype=np.uint32)
        padded[: len(data)] = data
        # the little-endian word of the 4 bytes from each offset (zeros past the end)
        words = padded[:-3] | (padded[1:-2] << 8) | (padded[2:-1] << 16) | (padded[3:] << 24)
        by_prefix = self._by_prefix
        for at in np.flatnonzero(self._tables[4][_hash(words)]).tolist():
            for needle in by_prefix.get(text[at : at + 4], ()):
                if text.startswith(needle, at):
                    found.setdefault(needle, []).append(at)
        words &= _MASK3
        for at in np.flatnonzero(self._tables[3][_hash(words)]).tolist():
            for needle in by_prefix.get(text[at : at + 3], ()):  # the whole needle
                found.setdefault(needle, []).append(at)
        return found
