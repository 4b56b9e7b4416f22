"""core.logs.normalise on every real log in shared/data/dev/rca: numbering, labels, timestamps,
steps.

The labels there number lines of the decompressed text split on "\\n" (1-based), so the
normalised log must keep exactly that numbering for the RCA scores to mean anything.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from core.logs.normalise import REPLACEMENT, map_github_steps, normalise_log, strip_ansi

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
RCA = SHARED / "data" / "dev" / "rca"
LOG_SETS = {
    "logchunks": "logchunks/logs/*.txt.gz",
    "bump": "bump/logs/*.txt.gz",
    "bump-gha": "bump-gha/*/*.txt.gz",
    "cidiff": "cidiff/*/*.txt.gz",
}
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)|[()*+].|.)")
_INVISIBLE = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f{REPLACEMENT}]")

pytestmark = pytest.mark.skipif(not RCA.is_dir(), reason="shared/data/dev/rca is not present")


def read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def raw_lines(data: bytes) -> list[str]:
    """The labels' numbering: decoded text split on "\\n" (a final "\\n" ends the last line)."""
    lines = data.decode("utf-8", "replace").split("\n")
    return lines[:-1] if lines and lines[-1] == "" and data else lines


def comparable(text: str) -> str:
    """Text without escape sequences, backspaced characters and invisible characters."""
    text = _ESCAPES.sub("", strip_ansi(text))
    while "\b" in text:
        erased = re.sub(r"[^\b]\b", "", text)
        text = erased.lstrip("\b") if erased == text else erased
    return _INVISIBLE.sub("", text)


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
    checked = 0
    for label in labels("logchunks"):
        data = read(RCA / "logchunks" / label["log_file"])
        first, last = label["chunk_start_line"], label["chunk_end_line"]
        log = normalise_log(data)

        want = [comparable(line) for line in raw_lines(data)[first - 1 : last]]
        got = [comparable(text) for text in log.text_lines(first, last)]

        assert got == want, label["id"]
        checked += 1
    assert checked == 396


def test_given_cidiff_labels_when_normalised_then_counts_and_error_ranges_fit_the_log():
    for label in labels("cidiff"):
        log = normalise_log(read(RCA / "cidiff" / label["fail_file"]))
        passing = normalise_log(read(RCA / "cidiff" / label["pass_file"]))

        assert (log.n_lines, passing.n_lines) == (label["n_lines_fail"], label["n_lines_pass"])
        for first, last in label["error_lines"]:
            assert log.row_of(first) is not None and log.row_of(last) is not None


def test_given_github_job_logs_when_normalised_then_timestamps_are_there_and_monotone():
    for path in sorted(RCA.glob("bump-gha/*/*.txt.gz")):
        log = normalise_log(read(path))
        stamps = log.timestamps[~np.isnat(log.timestamps)].astype(np.int64)

        assert len(stamps) >= 0.99 * len(log), path  # a multi-line message may lack them
        assert np.all(np.diff(stamps) >= 0), path
        if any(g.name.startswith("Run ") for g in log.groups):  # not a "Prepare job" stub
            assert log.steps[0].name == "Set up job", path


def test_given_github_archives_when_steps_are_mapped_then_they_match_the_step_files():
    """The archive's ``<job>/<n>_<step>.txt`` files stand in for the API's ``job["steps"]``."""
    matched, jobs = 0, 0
    for folder in sorted(p for p in RCA.glob("bump-gha/*/*") if p.is_dir()):
        candidates = _job_logs_for(folder)
        if not candidates:
            continue
        jobs += 1
        api_steps, lengths = _steps_from_files(folder)
        matched += any(_mapping_matches(read(c), api_steps, lengths) for c in candidates)
    print(f"step mapping: {matched}/{jobs} jobs exact")
    assert jobs >= 100 and matched / jobs >= 0.95


def _job_logs_for(folder: Path) -> list[Path]:
    """``N_<job>.txt`` (or ``N_<job> (k).txt``: archives number repeated job names)."""
    pattern = re.compile(re.escape(folder.name) + r"(?: \(\d+\))?")
    return [
        p
        for p in folder.parent.glob("*.txt.gz")
        if pattern.fullmatch(p.name[: -len(".txt.gz")].split("_", 1)[1])
    ]


def _steps_from_files(folder: Path) -> tuple[list[dict], dict[int, int]]:
    """API-like steps (number, name, times truncated to seconds) and each step's line count."""
    steps, lengths = [], {}
    for path in folder.glob("*.txt.gz"):
        number, name = path.name[: -len(".txt.gz")].split("_", 1)
        lines = raw_lines(read(path))
        stamps = [line[:19] + "Z" for line in lines if re.match(r"\d{4}-\d\d-\d\dT", line)]
        steps.append(
            {
                "number": int(number),
                "name": name,
                "started_at": stamps[0] if stamps else None,
                "completed_at": stamps[-1] if stamps else None,
            }
        )
        lengths[int(number)] = len(lines)
    return sorted(steps, key=lambda step: step["number"]), lengths


def _mapping_matches(data: bytes, api_steps: list[dict], lengths: dict[int, int]) -> bool:
    """Same steps, same line counts (Set up job has extra runner lines in the job log)."""
    mapped = {
        s.number: s.last_line - s.first_line + 1
        for s in map_github_steps(normalise_log(data), api_steps)
    }
    return set(mapped) == set(lengths) and all(
        mapped[number] == count for number, count in lengths.items() if number != 1
    )
