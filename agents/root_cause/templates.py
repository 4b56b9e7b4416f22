"""Log templates and failure fingerprints.

A *template* is a log line with everything that changes from run to run masked: URLs, UUIDs, hashes,
timestamps, durations, paths and numbers. Two failures with the same cause give the same templates,
so a hash of the templates of the key failing lines is a stable *fingerprint* (what Drain3 calls a
cluster id, here without a learned parse tree: the masks are exact and the same everywhere).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from agents.root_cause.patterns import ANSI

__all__ = [
    "template_of",
    "templates_of_text",
    "templates_of_lines",
    "templates_of_block",
    "fingerprint_of",
    "clean_line",
]

# ANSI escapes that never span a newline (line numbers must survive cleaning).
_ANSI = ANSI
_GH_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?", re.M)

# Order matters: the wide shapes first, the bare number last.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s'\"<>)\]]+", re.I), "<URL>"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<UUID>",
    ),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
        ),
        "<TS>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "<TS>"),
    (
        re.compile(
            r"(?:[A-Za-z]:)?(?:[\\/][\w.@+\-$~]+){2,}[\\/]?|(?:\.{1,2}|~)?(?:/[\w.@+\-$~]+)+/?"
        ),
        "<PATH>",
    ),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", re.I), "<HEX>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<HEX>"),
    (
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:ms|msec|s|sec|secs|seconds?|mins?|minutes?|m|h|hours?)\b", re.I
        ),
        "<DUR>",
    ),
    (re.compile(r"\d+(?:[.,]\d+)*"), "<NUM>"),
)
# The same timestamps after a newline: searched for that newline (a fast scan) instead of trying
# ``^`` at every position; ``_unstamped`` puts a newline in front of the first line.
_GH_TS_AFTER_NL = re.compile(r"\n\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?")
# The same patterns for ASCII text, where ``\d`` and ``\w`` are these classes (and ``re`` matches
# explicit classes faster than Unicode categories)
_GH_TS_AFTER_NL_ASCII = re.compile(
    r"\n[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?Z ?"
)
_SPACES = re.compile(r"\s+")
# Cheap whole-text masking for novelty (run over every line of two logs, so it must be fast).
_FAST_MASK = re.compile(
    r"\d[\w.]*"
)  # a token from its first digit on: numbers, versions, most hashes
_FAST_MASK_ASCII = re.compile(r"[0-9][0-9A-Za-z_.]*")


def _masked(text: str) -> str:
    """``text`` lowered, each token from its first digit on replaced by ``0``."""
    low = text.lower()
    return (_FAST_MASK_ASCII if low.isascii() else _FAST_MASK).sub("0", low)


def clean_line(line: str) -> str:
    """Drop ANSI escapes, a GitHub timestamp prefix and surrounding blanks."""
    return _GH_TS.sub("", _ANSI.sub("", line)).strip()


def template_of(line: str) -> str:
    """The masked template of one line (numbers, hex, paths, URLs, timestamps, UUIDs, durations);
    only the first 1,000 characters count.

    >>> template_of("2024-05-01T10:00:00Z Timeout after 30s at /home/u/x.py:12 (id 0xdeadbeef)")
    'Timeout after <DUR> at <PATH>:<NUM> (id <HEX>)'
    """
    text = clean_line(line[:1000])
    for pattern, token in _MASKS:
        text = pattern.sub(token, text)
    return _SPACES.sub(" ", text).strip()


def _unstamped(text: str) -> str:
    """``text`` without the GitHub timestamp that starts any of its lines."""
    pattern = _GH_TS_AFTER_NL_ASCII if text.isascii() else _GH_TS_AFTER_NL
    return pattern.sub("\n", "\n" + text)[1:]


def templates_of_text(text: str) -> list[str]:
    """Fast, coarse templates of every line of a cleaned text (for novelty against a green log).

    Coarser than :func:`template_of` (it masks each token from its first digit on) but it runs as
    a few whole-text substitutions, so it keeps up with large logs; it is used only to ask "did a
    line like this appear in the green log?". ANSI escapes and GitHub timestamps are dropped
    first; the line count never changes.
    """
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if _GH_TS.match(text):
        text = _unstamped(text)
    return list(map(str.strip, _masked(text).split("\n")))


def _stamped(text: str, lines: Sequence[str]) -> bool:
    """Whether :func:`templates_of_text` drops GitHub timestamps (the text's first line has one)."""
    first = lines[0] if len(lines) else ""
    return _GH_TS.match(_ANSI.sub("", first) if "\x1b" in text else first) is not None


def templates_of_block(text: str, lines: Sequence[str], block: str) -> list[str]:
    """:func:`templates_of_text` of ``text`` (split into ``lines``) for the consecutive lines
    ``block`` holds (joined by newlines): a few substitutions over the block instead of a few per
    line. The same templates as line by line: no mask, escape or timestamp spans a newline."""
    if "\x1b" in block:
        block = _ANSI.sub("", block)
    if _stamped(text, lines):
        block = _unstamped(block)
    return list(map(str.strip, _masked(block).split("\n")))


def templates_of_lines(text: str, lines: Sequence[str], wanted: Iterable[int]) -> dict[int, str]:
    """:func:`templates_of_text` of ``text`` (split into ``lines``), for the ``wanted`` 0-based
    lines only: the same templates without masking the whole text."""
    ansi = "\x1b" in text
    stamped = _stamped(text, lines)
    out: dict[int, str] = {}
    for i in wanted:
        line = lines[i]
        if ansi and "\x1b" in line:
            line = _ANSI.sub("", line)
        if stamped:
            line = _GH_TS.sub("", line)
        out[i] = _FAST_MASK.sub("0", line.lower()).strip()
    return out


def fingerprint_of(category: str, lines: Iterable[str]) -> str:
    """A 16-hex-digit fingerprint from the category and the templates of the key failing lines."""
    templates = [template_of(line) for line in lines]
    templates = [t for t in templates if t]
    digest = hashlib.sha1("\n".join([category, *templates]).encode("utf-8"))
    return digest.hexdigest()[:16]
