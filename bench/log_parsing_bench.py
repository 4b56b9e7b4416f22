"""Log parsing bench: how well ``core.logs`` normalises the real logs of ``shared/data/dev/rca``.

Usage::

    python bench/log_parsing_bench.py [--shared PATH] [--limit N]

``--shared`` defaults to ``<repo>/../shared``; ``--limit N`` keeps the first N logs (or archives)
of each set, sorted by path, for a quick run. The script measures and prints; it never asserts and
always exits 0. The correctness properties (every log parses, its numbering is the labels'
numbering, timestamps never go back, mapped steps stay in order) are tests in
``tests/unit/test_shared_logs.py``; the ratios below are quality figures, printed to be watched:

* **Parsing**, per set (LogChunks, BUMP, BUMP-GHA, CiDiff): logs, lines, MB/s of
  ``normalise_log``, and how many logs keep the labels' numbering (decompressed text split on
  ``"\\n"``), are truncated or are taken for binary.
* **Labels**: LogChunks chunks whose lines read the same after normalisation; CiDiff cases whose
  line counts equal the labels' and whose ``error_lines`` ranges fall inside the log.
* **Timestamps** (GitHub job logs of BUMP-GHA): share of lines with a timestamp (a multi-line
  message may lack one) as min / median / mean over logs and logs at 99 % or more; logs whose
  timestamps never go back; logs whose first step is ``Set up job``.
* **Step mapping** (BUMP-GHA archives): the archive's ``<job>/<n>_<step>.txt`` files stand in for
  the API's ``job["steps"]``; a job is *exact* when :func:`core.logs.normalise.map_github_steps`
  finds the same steps with the same line counts (Set up job excepted: the job log has extra runner
  lines there).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.logs.normalise import (  # noqa: E402
    REPLACEMENT,
    map_github_steps,
    normalise_log,
    strip_ansi,
)

LOG_SETS = {
    "logchunks": "logchunks/logs/*.txt.gz",
    "bump": "bump/logs/*.txt.gz",
    "bump-gha": "bump-gha/*/*.txt.gz",
    "cidiff": "cidiff/*/*.txt.gz",
}
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)|[()*+].|.)")
_INVISIBLE = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f{REPLACEMENT}]")


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


def labels(rca: Path, name: str) -> list[dict]:
    with open(rca / name / "labels.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.3f})" if whole else f"{part}/0 (n/a)"


def bench_parsing(rca: Path, limit: int | None) -> None:
    print("\n## Parsing (normalise_log on every log)")
    print(
        f"   {'set':<10}{'logs':>6}{'lines':>11}{'MB':>8}{'MB/s':>8}  numbering kept  trunc  binary"
    )
    for name, pattern in LOG_SETS.items():
        paths = sorted(rca.glob(pattern))[:limit]
        logs = lines = size = kept = truncated = binary = 0
        seconds = 0.0
        for path in paths:
            data = read(path)
            started = time.perf_counter()
            log = normalise_log(data)
            seconds += time.perf_counter() - started
            expected = len(raw_lines(data))
            logs += 1
            lines += log.n_lines
            size += len(data)
            kept += bool(
                log.n_lines == expected == len(log)
                and np.array_equal(log.line_numbers, np.arange(1, expected + 1))
            )
            truncated += bool(log.truncated)
            binary += bool(log.is_binary)
        speed = size / 1e6 / seconds if seconds else 0.0
        print(
            f"   {name:<10}{logs:>6}{lines:>11}{size / 1e6:>8.1f}{speed:>8.1f}"
            f"  {share(kept, logs):>14}  {truncated:>5}  {binary:>6}"
        )


def bench_labels(rca: Path, limit: int | None) -> None:
    print("\n## Labels")
    rows = sorted(labels(rca, "logchunks"), key=lambda row: row["log_file"])[:limit]
    same = 0
    for row in rows:
        data = read(rca / "logchunks" / row["log_file"])
        first, last = row["chunk_start_line"], row["chunk_end_line"]
        want = [comparable(line) for line in raw_lines(data)[first - 1 : last]]
        got = [comparable(text) for text in normalise_log(data).text_lines(first, last)]
        same += got == want
    print(f"   LogChunks chunks with the same text after normalisation: {share(same, len(rows))}")

    cases = sorted(labels(rca, "cidiff"), key=lambda row: row["fail_file"])[:limit]
    counted = inside = ranges = 0
    for row in cases:
        log = normalise_log(read(rca / "cidiff" / row["fail_file"]))
        passing = normalise_log(read(rca / "cidiff" / row["pass_file"]))
        counted += (log.n_lines, passing.n_lines) == (row["n_lines_fail"], row["n_lines_pass"])
        for first, last in row["error_lines"]:
            ranges += 1
            inside += log.row_of(first) is not None and log.row_of(last) is not None
    print(f"   CiDiff cases whose line counts equal the labels': {share(counted, len(cases))}")
    print(f"   CiDiff error ranges inside the log: {share(inside, ranges)}")


def bench_timestamps(rca: Path, limit: int | None) -> None:
    print("\n## Timestamps (GitHub job logs)")
    shares: list[float] = []
    monotone = setup_first = with_steps = 0
    for path in sorted(rca.glob(LOG_SETS["bump-gha"]))[:limit]:
        log = normalise_log(read(path))
        stamps = log.timestamps[~np.isnat(log.timestamps)].astype(np.int64)
        shares.append(len(stamps) / len(log) if len(log) else 0.0)
        monotone += bool(np.all(np.diff(stamps) >= 0))
        if any(group.name.startswith("Run ") for group in log.groups):  # not a "Prepare job" stub
            with_steps += 1
            setup_first += bool(log.steps) and log.steps[0].name == "Set up job"
    n = len(shares)
    if not n:
        print("   no GitHub job logs")
        return
    print(
        f"   share of lines with a timestamp: min={min(shares):.4f} "
        f"median={statistics.median(shares):.4f} mean={statistics.fmean(shares):.4f}"
    )
    full = sum(s >= 0.99 for s in shares)
    print(f"   logs with a timestamp on 99 % of lines or more: {share(full, n)}")
    print(f"   logs whose timestamps never go back: {share(monotone, n)}")
    print(f"   logs with steps whose first step is 'Set up job': {share(setup_first, with_steps)}")


def job_logs_for(folder: Path) -> list[Path]:
    """``N_<job>.txt`` (or ``N_<job> (k).txt``: archives number repeated job names)."""
    pattern = re.compile(re.escape(folder.name) + r"(?: \(\d+\))?")
    return [
        p
        for p in folder.parent.glob("*.txt.gz")
        if pattern.fullmatch(p.name[: -len(".txt.gz")].split("_", 1)[1])
    ]


def steps_from_files(folder: Path) -> tuple[list[dict], dict[int, int]]:
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


def mapping_matches(data: bytes, api_steps: list[dict], lengths: dict[int, int]) -> bool:
    """Same steps, same line counts (Set up job has extra runner lines in the job log)."""
    mapped = {
        s.number: s.last_line - s.first_line + 1
        for s in map_github_steps(normalise_log(data), api_steps)
    }
    return set(mapped) == set(lengths) and all(
        mapped[number] == count for number, count in lengths.items() if number != 1
    )


def bench_step_mapping(rca: Path, limit: int | None) -> None:
    print("\n## Step mapping (BUMP-GHA archives: job log vs its step files)")
    matched = jobs = 0
    archives = sorted(p for p in rca.glob("bump-gha/*") if p.is_dir())[:limit]
    for archive in archives:
        for folder in sorted(p for p in archive.iterdir() if p.is_dir()):
            candidates = job_logs_for(folder)
            if not candidates:
                continue
            jobs += 1
            api_steps, lengths = steps_from_files(folder)
            matched += any(mapping_matches(read(c), api_steps, lengths) for c in candidates)
    print(f"   archives={len(archives)} jobs={jobs}")
    print(f"   jobs mapped exactly (same steps, same line counts): {share(matched, jobs)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    rca = args.shared / "data" / "dev" / "rca"
    if not rca.is_dir():
        print(f"shared data not found at {rca}; nothing to measure")
        return 0
    started = time.perf_counter()
    print(
        f"# Log parsing bench on {rca}"
        + (f" (first {args.limit} of each set)" if args.limit else "")
    )
    bench_parsing(rca, args.limit)
    bench_labels(rca, args.limit)
    bench_timestamps(rca, args.limit)
    bench_step_mapping(rca, args.limit)
    print(f"\nbench time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
