"""The dump writer streams a run list: the demo generator hands it a generator of payloads
(at 100k runs, holding them all was ~0.7 GB of its peak), and the file is the same."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.dump.files import Dump, DumpWriter


def _runs(count: int, made: list[int]) -> Iterator[dict]:
    for number in range(1, count + 1):
        made.append(number)
        yield {"id": number, "run_number": number, "name": f"CI é {number}", "run_attempt": 1}


@pytest.mark.parametrize("compress", [False, True])
def test_runs_from_a_generator_are_written_in_order_and_read_back(tmp_path: Path, compress):
    made: list[int] = []

    DumpWriter(tmp_path, compress=compress).runs(_runs(500, made))

    assert made == list(range(1, 501))
    assert [run["id"] for run in Dump(tmp_path).runs()] == list(range(1, 501))


def test_a_streamed_file_has_the_bytes_of_one_write(tmp_path: Path):
    """Deterministic demo dumps depend on it: the same runs give the same bytes."""
    DumpWriter(tmp_path / "streamed", compress=True).runs(_runs(2_000, []))
    lines = b"".join(
        json.dumps(run, separators=(",", ":")).encode() + b"\n" for run in _runs(2_000, [])
    )
    whole = tmp_path / "whole" / "runs.jsonl.gz"  # the header names the file
    whole.parent.mkdir()
    with gzip.GzipFile(filename=whole, mode="wb", compresslevel=5, mtime=0) as handle:
        handle.write(lines)

    streamed = (tmp_path / "streamed" / "runs.jsonl.gz").read_bytes()

    assert gzip.decompress(streamed) == lines
    assert streamed == whole.read_bytes()
