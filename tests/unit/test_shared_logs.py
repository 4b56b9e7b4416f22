"""core.logs.normalise on every real log in shared/data/dev/rca: numbering, labels, timestamps,
steps.

The labels there number lines of the decompressed text split on "\\n" (1-based), so the
normalised log must keep exactly that numbering for the RCA scores to mean anything.

Only correctness properties are asserted here (every log parses, numbering, label ranges,
timestamps that never go back, mapped steps in order). Quality ratios on this labelled data (share
of lines with a timestamp, jobs whose steps map exactly) are figures printed by
``bench/log_parsing_bench.py``, not floors in a test.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from core.logs.normalise import map_github_steps, normalise_log

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
RCA = SHARED / "data" / "dev" / "rca"
LOG_SETS = {
    "logchunks": "logchunks/logs/*.txt.gz",
    "bump": "bump/logs/*.txt.gz",
    "bump-gha": "bump-gha/*/*.txt.gz",
    "cidiff": "cidiff/*/*.txt.gz",
}

pytestmark = pytest.mark.skipif(not RCA.is_dir(), reason="shared/data/dev/rca is not present")


def _load_bench():
    """The parsing bench, whose readers (the labels' numbering, step files) the tests share."""
    spec = importlib.util.spec_from_file_location(
        "log_parsing_bench", ROOT / "bench" / "log_parsing_bench.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _load_bench()
read, raw_lines, comparable = BENCH.read, BENCH.raw_lines, BENCH.comparable


def labels(name: str) -> list[dict]:
    with open(RCA / name / "labels.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.mark.parametrize("log_set", list(LOG_SETS))
def test_given_every_shared_log_when_normalised_then_numbering_equals_the_raw_split(log_set):
    paths = sorted(RCA.glob(LOG_SETS[log_set]))
    assert paths, f"no logs found for {log_set}"

    for path in paths:
        data = read(path)
        log = normalise_log(data)
        expected = len(raw_lines(data))
        assert log.n_lines == expected == len(log), path
        assert not log.truncated and not log.is_binary, path
        assert np.array_equal(log.line_numbers, np.arange(1, expected + 1)), path


def test_given_logchunks_labels_when_normalised_then_the_labelled_lines_are_the_same_text():
    rows = labels("logchunks")
    assert rows, "no LogChunks labels"
    for label in rows:
        data = read(RCA / "logchunks" / label["log_file"])
        first, last = label["chunk_start_line"], label["chunk_end_line"]
        log = normalise_log(data)

        want = [comparable(line) for line in raw_lines(data)[first - 1 : last]]
        got = [comparable(text) for text in log.text_lines(first, last)]

        assert got == want, label["id"]


def test_given_cidiff_labels_when_normalised_then_counts_and_error_ranges_fit_the_log():
    for label in labels("cidiff"):
        log = normalise_log(read(RCA / "cidiff" / label["fail_file"]))
        passing = normalise_log(read(RCA / "cidiff" / label["pass_file"]))

        assert (log.n_lines, passing.n_lines) == (label["n_lines_fail"], label["n_lines_pass"])
        for first, last in label["error_lines"]:
            assert log.row_of(first) is not None and log.row_of(last) is not None


def test_given_github_job_logs_when_normalised_then_timestamps_are_read_and_never_go_back():
    for path in sorted(RCA.glob("bump-gha/*/*.txt.gz")):
        log = normalise_log(read(path))
        stamps = log.timestamps[~np.isnat(log.timestamps)].astype(np.int64)

        assert stamps.size, path  # every line of a job log has one (the share is a bench figure)
        assert np.all(np.diff(stamps) >= 0), path
        if any(g.name.startswith("Run ") for g in log.groups):  # not a "Prepare job" stub
            assert log.steps[0].name == "Set up job", path


def test_given_github_archives_when_steps_are_mapped_then_the_steps_are_the_job_s_in_log_order():
    """The archive's ``<job>/<n>_<step>.txt`` files stand in for the API's ``job["steps"]``: every
    mapped span is one of those steps, each step at most once and in order, inside the log and
    without overlap. (How many jobs map exactly is printed by ``bench/log_parsing_bench.py``.)"""
    jobs = 0
    for folder in sorted(p for p in RCA.glob("bump-gha/*/*") if p.is_dir()):
        candidates = BENCH.job_logs_for(folder)
        if not candidates:
            continue
        jobs += 1
        api_steps, lengths = BENCH.steps_from_files(folder)
        for candidate in candidates:
            log = normalise_log(read(candidate))
            spans = map_github_steps(log, api_steps)
            numbers = [span.number for span in spans]

            assert set(numbers) <= set(lengths), candidate
            assert numbers == sorted(set(numbers)), candidate
            assert all(1 <= s.first_line <= s.last_line <= log.n_lines for s in spans), candidate
            assert all(
                a.last_line < b.first_line for a, b in zip(spans, spans[1:], strict=False)
            ), candidate
    assert jobs, "no job folders found in the BUMP-GHA archives"


def test_given_the_shared_logs_when_the_parsing_bench_runs_on_a_slice_then_it_prints_its_figures(
    capsys,
):
    assert BENCH.main(["--shared", str(SHARED), "--limit", "2"]) == 0

    out = capsys.readouterr().out
    for figure in (
        "numbering kept",
        "MB/s",
        "chunks with the same text",
        "error ranges inside the log",
        "share of lines with a timestamp",
        "never go back",
        "jobs mapped exactly",
    ):
        assert figure in out, figure
