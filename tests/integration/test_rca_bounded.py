"""`ci-medic rca` on hostile files, as a user runs it: a gzip bomb is read in a window the size of
``max_log_bytes`` (the process's peak memory says so), a damaged gzip is one sentence."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bombs import FAILURE, LOG_LINE, MIB, text_bomb, zeros_bomb
from tests.conftest import REPO_ROOT

MEMORY_BOUND = 200 * MIB
# runs `ci-medic rca` and reports the process's peak resident memory on stderr's last line
_MEASURED = (
    "import resource, sys\n"
    "from agents.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def rca(*args: str) -> tuple[subprocess.CompletedProcess, int]:
    """(the finished ``ci-medic rca`` process, its peak RSS in bytes)."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, "rca", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    *said, peak = result.stderr.rstrip("\n").split("\n")
    result.stderr = "\n".join(said)
    return result, int(peak)


@pytest.fixture(scope="module")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "small.log"
    path.write_bytes(LOG_LINE * 20 + FAILURE)
    return path


def test_given_a_log_expanding_to_1_gib_when_rca_reads_it_then_memory_stays_bounded_and_it_says_so(
    tmp_path, small_log
):
    bomb = text_bomb(tmp_path / "huge.log.gz")
    _, baseline = rca(str(small_log), "--json")

    result, peak = rca(str(bomb), "--json")

    assert result.returncode == 0, result.stderr
    assert peak - baseline < MEMORY_BOUND, f"{(peak - baseline) / MIB:.0f} MB over the baseline"
    assert result.stderr.startswith(f"note: {bomb} holds 1,07")
    assert "more than the 20,971,520 read of a log" in result.stderr
    assert "Line numbers from" in result.stderr and "Traceback" not in result.stderr
    found = json.loads(result.stdout)
    assert found["category"] == "test_failure" and "test_total" in found["summary"]


def test_given_1_gib_of_zeros_when_rca_reads_it_then_it_is_refused_without_reading_it(
    tmp_path, small_log
):
    bomb = zeros_bomb(tmp_path / "zeros.log.gz")

    result, _ = rca(str(bomb), str(small_log), "--json")

    assert result.returncode == 1
    assert result.stderr == f"error: {bomb} looks like a binary file, not a log."
    assert json.loads(result.stdout)["file"] == str(small_log)


def test_given_a_truncated_gzip_when_rca_reads_it_then_one_sentence_and_the_others_go_on(
    tmp_path, small_log
):
    packed = gzip.compress(LOG_LINE * 20_000 + FAILURE)
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])

    result, _ = rca(str(cut), str(small_log), "--json")

    assert result.returncode == 1
    assert result.stderr == (
        f"error: {cut} is truncated: it ends before its gzip stream does (compressed file ended "
        "before the end-of-stream marker was reached)."
    )
    assert json.loads(result.stdout)["file"] == str(small_log)


def test_given_a_damaged_previous_green_log_when_rca_then_it_stops_with_a_sentence(
    tmp_path, small_log
):
    packed = gzip.compress(LOG_LINE * 20_000)
    green = tmp_path / "green.log.gz"
    green.write_bytes(packed[: len(packed) // 2])

    result, _ = rca(str(small_log), "--previous-green", str(green))

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {green} is truncated")
