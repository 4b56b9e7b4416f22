"""Read files that may be gzip-compressed without trusting their size: streamed and capped.

A gzip file says nothing reliable about what it expands to: a 1 MB file of zeros becomes 1 GiB.
Everything here decompresses in chunks and stops (or keeps only a bounded window) long before
the content could fill memory, so whoever reads a log, a dump record or an artifact file holds
at most its cap plus one chunk:

- :func:`read_capped`: all of a file, or :class:`~core.errors.UnsafeInput` as soon as it grows
  past the cap (JSON records, artifact files);
- :func:`iter_lines`: the lines of a JSON Lines file, each and all of them capped;
- :func:`read_head_and_tail`: a log as the Log Ingester keeps it, its head and its (larger)
  tail within ``max_bytes`` with exact line numbers, whatever the file expands to;
- :func:`kept_text`: that kept log as one text numbered like the original, for the analysis.

A file that claims to be gzip and is not, or ends before its gzip stream does, is refused with
a sentence naming it (:class:`~core.errors.UnsafeInput`), never with a traceback; a file that
cannot be opened raises :class:`OSError` as usual so each caller words "missing" its own way.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from core.errors import UnsafeInput
from core.logs.normalise import DEFAULT_MAX_LOG_BYTES, KeptLog, keep_head_and_tail_stream

__all__ = [
    "CHUNK_BYTES",
    "MAX_PAD_LINES",
    "iter_chunks",
    "read_capped",
    "iter_lines",
    "read_head_and_tail",
    "kept_text",
    "cut_note",
]

CHUNK_BYTES = 1024 * 1024
MAX_PAD_LINES = 1_000_000  # empty lines standing for a dropped middle (~50 bytes each to analyse)
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib reads a gzip header and checks its trailer
_READ_BYTES = 64 * 1024  # compressed bytes read at a time (under malloc's mmap threshold)


def iter_chunks(
    path: str | os.PathLike[str],
    *,
    compressed: bool | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    name: str | None = None,
) -> Iterator[bytes]:
    """The content of ``path`` in chunks of at most ``chunk_bytes``, decompressed when gzip.

    ``compressed``: True (a ``.gz`` file: it must be gzip), False (read as is), None (look at
    the first two bytes). ``name`` is how sentences call the file (default: its path).
    """
    if chunk_bytes < 1:  # zlib reads a max_length of 0 as no limit at all
        raise ValueError(f"chunk_bytes must be at least 1, got {chunk_bytes}")
    label = name or str(path)
    with open(path, "rb") as handle:
        if compressed is None:  # peek: a pipe cannot seek back
            compressed = handle.peek(2)[:2] == _GZIP_MAGIC
        if not compressed:
            while chunk := handle.read(chunk_bytes):
                yield chunk
            return
        yield from _gunzip(handle, label, chunk_bytes)


def _gunzip(handle: BinaryIO, label: str, chunk_bytes: int) -> Iterator[bytes]:
    """Decompress a gzip stream (every member, the zero padding between them skipped, as
    :mod:`gzip` does) chunk by chunk; a bad stream is a sentence.

    zlib reads the gzip header and checks the trailer (CRC and length) itself; it is stricter
    than :mod:`gzip` in one way: a header with its own CRC (FHCRC) that does not match, or
    reserved flag bits set, is refused (no common writer makes either). Why not
    :class:`gzip.GzipFile`: it parses each member's header and trailer in Python through a
    padded file object, which was a sixth of the emulator's work serving a report fetch's
    small artifact files (one per JUnit report)."""
    inflate, started, members = zlib.decompressobj(_GZIP_WBITS), False, 0
    data, ended = b"", False
    while True:
        if not data and not ended:
            data = handle.read(_READ_BYTES)
            ended = not data
        if not started and members and data:
            data = data.lstrip(b"\x00")
            if not data:
                continue
        if not data and not started:  # the end of the input, between members
            return
        if not started and len(data) < 2 and not ended:  # a member's magic bytes, whole
            more = handle.read(_READ_BYTES)
            data, ended = data + more, not more
        if not started and data[:2] != _GZIP_MAGIC:
            raise UnsafeInput(f"{label} is not a valid gzip file (it does not begin as one).")
        try:
            chunk = inflate.decompress(data, chunk_bytes)  # at most chunk_bytes per call
        except zlib.error as exc:
            raise UnsafeInput(f"{label} is not a valid gzip file ({exc}).") from exc
        started, data = True, inflate.unconsumed_tail
        if chunk:
            yield chunk
        if inflate.eof:  # a member ended: what follows is padding, another member or junk
            data = inflate.unused_data  # all of the rest (the tail repeats part of it)
            inflate, started, members = zlib.decompressobj(_GZIP_WBITS), False, members + 1
        elif not chunk and not data and ended:
            raise UnsafeInput(
                f"{label} is truncated: it ends before its gzip stream does (compressed file "
                "ended before the end-of-stream marker was reached)."
            )


def read_capped(
    path: str | os.PathLike[str],
    max_bytes: int,
    *,
    compressed: bool | None = None,
    name: str | None = None,
) -> bytes:
    """All of the (decompressed) file, refused as soon as it grows past ``max_bytes``."""
    label = name or str(path)
    out = io.BytesIO()
    size = 0
    for chunk in iter_chunks(
        path, compressed=compressed, chunk_bytes=min(CHUNK_BYTES, max_bytes + 1), name=label
    ):
        size += len(chunk)
        if size > max_bytes:
            raise UnsafeInput(
                f"{label} holds more than {max_bytes:,} bytes (decompressed), the most CI "
                "Medic reads of such a file; it was refused."
            )
        out.write(chunk)
    return out.getvalue()


def iter_lines(
    path: str | os.PathLike[str],
    *,
    max_line_bytes: int,
    max_total_bytes: int,
    compressed: bool | None = None,
    name: str | None = None,
) -> Iterator[tuple[int, bytes]]:
    """(1-based number, content without ``\\n``) of every line, streamed.

    Only the line being assembled is held; a line over ``max_line_bytes`` or a file over
    ``max_total_bytes`` (both decompressed) is refused with a sentence naming the file.
    """
    label = name or str(path)
    pending = bytearray()
    number = total = 0
    for chunk in iter_chunks(path, compressed=compressed, name=label):
        total += len(chunk)
        if total > max_total_bytes:
            raise UnsafeInput(
                f"{label} holds more than {max_total_bytes:,} bytes (decompressed), the most "
                "CI Medic reads of such a file; it was refused."
            )
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            number += 1
            _check_line(label, number, len(pending) + end - start, max_line_bytes)
            if pending:
                pending += chunk[start:end]
                yield number, bytes(pending)
                pending.clear()
            else:
                yield number, chunk[start:end]
            start = end + 1
        pending += chunk[start:]
        _check_line(label, number + 1, len(pending), max_line_bytes)
    if pending:
        yield number + 1, bytes(pending)


def _check_line(label: str, number: int, size: int, max_line_bytes: int) -> None:
    if size > max_line_bytes:
        raise UnsafeInput(
            f"{label} line {number:,} is longer than {max_line_bytes:,} bytes, more than any "
            "record CI Medic reads; it was refused."
        )


def read_head_and_tail(
    path: str | os.PathLike[str],
    max_bytes: int = DEFAULT_MAX_LOG_BYTES,
    *,
    compressed: bool | None = None,
    name: str | None = None,
) -> KeptLog:
    """A log (plain or gzip) kept as the Log Ingester keeps it: all of it up to ``max_bytes``,
    else its head and tail on line boundaries with exact line numbers. Memory stays near
    ``max_bytes`` however far the file expands; only the time grows with it."""
    return keep_head_and_tail_stream(iter_chunks(path, compressed=compressed, name=name), max_bytes)


def kept_text(kept: KeptLog, max_pad_lines: int = MAX_PAD_LINES) -> tuple[str, int]:
    """The kept log as text numbered like the original, and how far the tail's numbers are off.

    The dropped middle becomes that many empty lines, so line N of the text is line N of the
    file (offset 0). When more than ``max_pad_lines`` lines were dropped (padding them would
    cost more than the log itself) one empty line stands for them instead: line N of the tail
    is then line N + offset of the file.
    """
    if not kept.truncated:
        return kept.head.decode("utf-8", "replace"), 0
    head_lines = kept.head.count(b"\n")
    gap = max(kept.tail_first_line - 1 - head_lines, 0)
    pad = gap if gap <= max_pad_lines else 1
    text = (kept.head + b"\n" * pad + kept.tail).decode("utf-8", "replace")
    return text, gap - pad


def cut_note(label: str, kept: KeptLog, max_bytes: int, offset: int = 0) -> str | None:
    """A sentence saying what was kept of a cut log (None when nothing was cut)."""
    if not kept.truncated:
        return None
    head_lines = kept.head.count(b"\n")
    note = (
        f"{label} holds {kept.original_bytes:,} bytes ({kept.n_lines:,} lines), more than the "
        f"{max_bytes:,} read of a log: only its first {len(kept.head):,} bytes (lines 1-"
        f"{head_lines:,}) and its last {len(kept.tail):,} bytes (from line "
        f"{kept.tail_first_line:,}) were analysed."
    )
    if offset:
        tail_start = head_lines + 2
        note += (
            f" Line numbers from {tail_start:,} on are counted from the cut: add {offset:,} "
            f"to find them in the file (line {tail_start:,} is its line "
            f"{kept.tail_first_line:,})."
        )
    return note
