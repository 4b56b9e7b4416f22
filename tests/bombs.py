"""Decompression bombs and a memory meter for the tests of bounded reading.

A bomb is written as one gzip stream while it is compressed, so nothing the size of what it
expands to is ever held, not even by the test: 1 GiB of zeros is about 1 MB on disk.
"""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "GIB",
    "MIB",
    "LOG_LINE",
    "FAILURE",
    "gzip_stream",
    "zeros_bomb",
    "text_bomb",
    "peak_growth",
]

MIB = 1024 * 1024
GIB = 1024 * MIB
LOG_LINE = b"2024-05-01T12:00:00.0000000Z compiling module 0042 of the build: all fine so far\n"
FAILURE = (
    b"2024-05-01T12:00:13.0000000Z FAILED tests/test_cart.py::test_total - assert 3 == 4\n"
    b"2024-05-01T12:00:14.0000000Z ##[error]Process completed with exit code 1.\n"
)


def gzip_stream(path: Path, block: bytes, total: int, tail: bytes = b"") -> Path:
    """``block`` repeated up to ``total`` bytes, then ``tail``, as one gzip stream."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    with open(path, "wb") as out:
        for _ in range(total // len(block)):
            out.write(packer.compress(block))
        out.write(packer.compress(tail))
        out.write(packer.flush())
    return path


def zeros_bomb(path: Path, total: int = GIB) -> Path:
    """``total`` zero bytes, gzip-compressed."""
    return gzip_stream(path, bytes(MIB), total)


def text_bomb(path: Path, total: int = GIB) -> Path:
    """A CI log of ``total`` bytes (the same line over and over) ending in a test failure."""
    return gzip_stream(path, LOG_LINE * (MIB // len(LOG_LINE)), total, FAILURE)


def peak_growth(work: Callable[[], object]) -> tuple[object, int]:
    """(what ``work()`` returned or raised, the most traced memory it held above the start)."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        try:
            result: object = work()
        except Exception as exc:  # noqa: BLE001 - the caller asserts on it
            result = exc
        return result, tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
