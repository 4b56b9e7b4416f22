"""Is this file a log? A look at its first bytes, before anything tries to read it as text.

A CI log is text (UTF-8, ANSI colour codes allowed), possibly gzip-compressed. Read as text, an
archive or an executable decodes to pages of replacement characters, which the analysis would
then "explain"; :func:`not_a_log` names what the file looks like instead, so a command can say
"X looks like a binary file, not a log" and move on.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

__all__ = ["SNIFF_BYTES", "not_a_log", "sniff_bytes"]

SNIFF_BYTES = 8192
_GZIP = b"\x1f\x8b"
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (GitHub's log download is a zip: unzip it first)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x7fELF", "an executable"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
# control characters a text log may hold: tab, newline, vertical tab, form feed, carriage
# return, backspace and escape (ANSI colours)
_TEXT_CONTROLS = {8, 9, 10, 11, 12, 13, 27}
_MAX_ODD_SHARE = 0.10  # more than this share of odd characters: not text


def sniff_bytes(head: bytes) -> str | None:
    """What ``head`` (a file's first bytes, decompressed) looks like when it is not text;
    None when it reads as text."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[257:262] == b"ustar":
        return "a tar archive (extract it first)"
    if not head:
        return None
    if b"\x00" in head:
        return "a binary file"
    text = head.decode("utf-8", errors="replace")
    if len(head) == SNIFF_BYTES:  # the cut may split the last character: ignore it
        text = text[:-1]
    odd = sum(
        1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ord(ch) not in _TEXT_CONTROLS)
    )
    return "a binary file" if text and odd / len(text) > _MAX_ODD_SHARE else None


def not_a_log(path: str | Path) -> str | None:
    """Why ``path`` is not a log (``"a zip archive (...)"``, ``"a binary file"``), or None when
    it reads as text; a gzip file is judged by what it holds."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(_GZIP):
        try:
            with gzip.open(path, "rb") as packed:  # streams: reads only what it needs
                head = packed.read(SNIFF_BYTES)
        except (OSError, EOFError, zlib.error):
            return "a damaged gzip file"
        if head.startswith(_GZIP):
            return "a gzip file inside a gzip file"
    return sniff_bytes(head)
