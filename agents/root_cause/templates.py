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

__all__ = ["template_of", "templates_of_text", "fingerprint_of", "clean_line"]

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
_SPACES = re.compile(r"\s+")
# Cheap whole-text masking for novelty (run over every line of two logs, so it must be fast).
_FAST_MASK = re.compile(
    r"\d[\w.]*"
)  # a token from its first digit on: numbers, versions, most hashes


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
        text = _GH_TS.sub("", text)
    return list(map(str.strip, _FAST_MASK.sub("0", text.lower()).split("\n")))


def templates_of_lines(text: str, lines: Sequence[str], wanted: Iterable[int]) -> dict[int, str]:
    """:func:`templates_of_text` of ``text`` (split into ``lines``), for the ``wanted`` 0-based
    lines only: the same templates without masking the whole text."""
    ansi = "\x1b" in text
    first = lines[0] if len(lines) else ""
    stamped = _GH_TS.match(_ANSI.sub("", first) if ansi else first) is not None
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
