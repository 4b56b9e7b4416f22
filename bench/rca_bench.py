"""Root-cause analysis bench: how right and how fast ``agents.root_cause.analysis`` is on real
labelled logs.

Usage::

    python bench/rca_bench.py [--shared PATH] [--limit N] [--no-memory]

``--shared`` defaults to ``<repo>/../shared``; ``--limit N`` keeps the first N items of each set
(sorted by id) for a quick run. The script measures and prints; it never asserts and always exits 0.

Data sets (all under ``<shared>/data/dev/rca/``; see each folder's PROVENANCE.md and SPLIT.md):

* **BUMP** (``bump/``, Maven logs) and **BUMP-GHA** (``bump-gha/``, GitHub Actions log archives):
  error class. Labels are mapped onto our taxonomy: COMPILATION_FAILURE -> compilation,
  TEST_FAILURE -> test_failure, ENFORCER_FAILURE and DEPENDENCY_LOCK_FAILURE -> dependency_policy,
  WERROR_FAILURE -> lint, DEPENDENCY_RESOLUTION_FAILURE -> dependency_resolution. For an archive,
  every job log that failed (holds an ``##[error]`` line) is analysed; the archive's class is
  that of the most confident result that is not ``cancelled``/``unknown`` (else the first
  result). We report accuracy, macro-F1 over the true classes present, and the confusion
  matrix. Two secondary BUMP figures: *goal block shown* (a returned range holds the
  ``[ERROR] Failed to execute goal`` / ``COMPILATION ERROR`` / ``Tests run: ... FAILURE`` /
  ``Could not resolve`` line, the proxy of PROVENANCE.md) and *suggestion names the dependency*
  (the bumped ``dependency_artifact_id`` is in the suggestion).
* **LogChunks** (``logchunks/``): the labelled failure-cause chunk ``[chunk_start_line,
  chunk_end_line]`` is the truth.
* **CiDiff** (``cidiff/``, Jenkins pass/fail pairs): the truth is the union of ``error_lines``;
  ``context_lines`` count neither for nor against (they are removed from the predicted lines before
  precision is computed). Scored twice: with ``previous_green`` = the pass log, and without.

Line metrics (LogChunks, CiDiff), per log then **macro-averaged over logs**:

* predicted lines P = the union of all returned ranges (1-based, inclusive); truth lines T;
* precision = |P & T| / |P|, recall = |P & T| / |T|, F1 = 2 * precision * recall / (precision +
  recall) (0 when P & T is empty; a log with no prediction scores 0 on all three);
* hit@k = 1 when one of the first k returned ranges overlaps T;
* recall@10 / recall@50 lines (CiDiff): share of T among the first 10 / 50 predicted lines, taken in
  rank order (range 1 top to bottom, then range 2, ...);
* first-k lines hit (LogChunks, the data card's top-k): one of the first k predicted lines, in that
  rank order, is in T (k = 1, 5, 10);
* share = |P| / number of lines of the log (mean over logs; also the share of logs above 5 %).

Throughput = decompressed characters (≈ bytes) analysed / CPU seconds spent inside ``analyse_log``
(process time, so other work on a shared machine does not count; decompression excluded; the
default classifier is trained once before timing and its training time is printed). The
end-to-end wall-clock figure (gzip, scoring and all) is printed beside it. Peak RSS is the
bench process's own maximum; the memory check streams >= 100 MB of logs, one file at a time,
through ``rca_main --json`` in a child process and reports that child's peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agents.root_cause.analysis import RootCause, analyse_log  # noqa: E402
from agents.root_cause.classify import default_classifier  # noqa: E402

BUMP_MAP = {
    "COMPILATION_FAILURE": "compilation",
    "TEST_FAILURE": "test_failure",
    "ENFORCER_FAILURE": "dependency_policy",
    "DEPENDENCY_LOCK_FAILURE": "dependency_policy",
    "WERROR_FAILURE": "lint",
    "DEPENDENCY_RESOLUTION_FAILURE": "dependency_resolution",
}
GOAL_MARKERS = (
    "Failed to execute goal",
    "COMPILATION ERROR",
    "<<< FAILURE",
    "Could not resolve",
    "Tests run:",
    "There were test failures",
    "Rule ",
    "Compilation failure",
)


class Clock:
    """Accumulates, per data set, the CPU time spent analysing and the characters analysed (the
    fail log and, when given, the green log: both are read)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.chars: dict[str, int] = defaultdict(int)
        self.wall_start = time.perf_counter()
        self.current = "all"

    def analyse(self, text: str, **kwargs) -> RootCause:
        start = time.process_time()
        result = analyse_log(text, **kwargs)
        self.seconds[self.current] += time.process_time() - start
        self.chars[self.current] += len(text) + len(kwargs.get("previous_green") or "")
        return result

    def report(self) -> list[str]:
        rows = []
        for name in self.seconds:
            mb, seconds = self.chars[name] / 1e6, self.seconds[name]
            rows.append(
                f"   {name:<28} {mb:7.1f} MB  {seconds:6.2f} s CPU  "
                f"{mb / max(seconds, 1e-9):6.1f} MB/s"
            )
        return rows


def read_text(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# ----------------------------------------------------------------------------------------- metrics
def line_set(ranges) -> set[int]:
    return {n for start, end in ranges for n in range(int(start), int(end) + 1)}


def ranked_lines(ranges) -> list[int]:
    seen: list[int] = []
    done: set[int] = set()
    for start, end in ranges:
        for n in range(int(start), int(end) + 1):
            if n not in done:
                done.add(n)
                seen.append(n)
    return seen


def score_lines(pred_ranges, truth: set[int], n_lines: int, ignore: set[int] = frozenset()) -> dict:
    predicted = line_set(pred_ranges) - set(ignore)
    hit = [any(truth & line_set([r]) for r in pred_ranges[:k]) for k in (1, 3, 5)]
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    order = [n for n in ranked_lines(pred_ranges) if n not in ignore]
    rec10 = len(set(order[:10]) & truth) / len(truth) if truth else 0.0
    rec50 = len(set(order[:50]) & truth) / len(truth) if truth else 0.0
    line_hits = [bool(set(order[:k]) & truth) for k in (1, 5, 10)]
    share = len(line_set(pred_ranges)) / max(n_lines, 1)
    return {
        "hit@1": hit[0],
        "hit@3": hit[1],
        "hit@5": hit[2],
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "recall@10": rec10,
        "recall@50": rec50,
        "line_hit@1": line_hits[0],
        "line_hit@5": line_hits[1],
        "line_hit@10": line_hits[2],
        "share": share,
        "over5": share > 0.05,
        "n_ranges": len(pred_ranges),
    }


def mean_rows(rows: list[dict]) -> dict:
    if not rows:
        return {}
    keys = rows[0].keys()
    return {k: sum(float(r[k]) for r in rows) / len(rows) for k in keys}


def bootstrap_ci(values: list[float], reps: int = 2000, seed: int = 0) -> tuple[float, float]:
    import numpy as np

    if not values:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    arr = np.asarray(values, dtype=float)
    means = arr[rng.integers(0, len(arr), size=(reps, len(arr)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def classification_report(truth: list[str], pred: list[str]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(truth))
    if not truth:
        return {"n": 0, "accuracy": 0.0, "macro_f1": 0.0, "matrix": {}, "labels": labels}
    matrix: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for t, p in zip(truth, pred, strict=True):
        matrix[t][p] += 1
    return {
        "n": len(truth),
        "accuracy": accuracy_score(truth, pred),
        "macro_f1": f1_score(truth, pred, labels=labels, average="macro", zero_division=0),
        "matrix": matrix,
        "labels": labels,
    }


# --------------------------------------------------------------------------------------- data sets
def run_bump(base: Path, clock: Clock, limit: int | None) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["id"])
    labels = [r for r in labels if r.get("log_file")][:limit]
    truth, pred, goal_hits, names_dep = [], [], 0, 0
    for row in labels:
        text = read_text(base / row["log_file"])
        result = clock.analyse(text)
        truth.append(BUMP_MAP[row["failure_category"]])
        pred.append(result.category)
        lines = text.split("\n")
        shown = [lines[n - 1] for n in line_set(result.lines) if 0 < n <= len(lines)]
        goal_hits += any(any(m in line for m in GOAL_MARKERS) for line in shown)
        artifact = (row.get("dependency_artifact_id") or "").lower()
        names_dep += bool(artifact) and artifact in result.suggestion.lower()
    report = classification_report(truth, pred)
    report["goal_block"] = goal_hits / max(len(labels), 1)
    report["names_dependency"] = names_dep / max(len(labels), 1)
    return report


def failed_job_logs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.txt.gz") if p.is_file())


def pick_archive_result(results: list[RootCause]) -> RootCause | None:
    real = [r for r in results if r.category not in ("cancelled", "unknown")]
    if real:
        return max(real, key=lambda r: r.confidence)
    return results[0] if results else None


def run_bump_gha(base: Path, clock: Clock, limit: int | None) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["id"])
    labels = [r for r in labels if r.get("failure_category")][:limit]
    truth, pred = [], []
    for row in labels:
        results = []
        for path in failed_job_logs(base / row["id"]):
            text = read_text(path)
            if "##[error]" not in text:
                continue
            results.append(clock.analyse(text))
        chosen = pick_archive_result(results)
        truth.append(BUMP_MAP[row["failure_category"]])
        pred.append(chosen.category if chosen else "unknown")
    return classification_report(truth, pred)


def run_logchunks(base: Path, clock: Clock, limit: int | None) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["id"])
    labels = [r for r in labels if r.get("chunk_start_line")][:limit]
    rows, by_repo = [], defaultdict(list)
    for row in labels:
        text = read_text(base / row["log_file"])
        result = clock.analyse(text)
        truth = set(range(row["chunk_start_line"], row["chunk_end_line"] + 1))
        scored = score_lines(list(result.lines), truth, len(text.split("\n")))
        rows.append(scored)
        by_repo[row["repo"]].append(scored)
    summary = mean_rows(rows)
    summary["n"] = len(rows)
    summary["repo_macro_f1"] = (
        sum(mean_rows(v)["f1"] for v in by_repo.values()) / len(by_repo) if by_repo else 0.0
    )
    summary["f1_ci"] = bootstrap_ci([r["f1"] for r in rows])
    return summary


def run_cidiff(base: Path, clock: Clock, limit: int | None, with_green: bool) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["case"])[:limit]
    rows = []
    for row in labels:
        text = read_text(base / row["fail_file"])
        green = read_text(base / row["pass_file"]) if with_green else None
        result = clock.analyse(text, previous_green=green)
        truth = line_set(row["error_lines"])
        context = line_set(row.get("context_lines") or []) - truth
        rows.append(score_lines(list(result.lines), truth, len(text.split("\n")), context))
    summary = mean_rows(rows)
    summary["n"] = len(rows)
    summary["f1_ci"] = bootstrap_ci([r["f1"] for r in rows])
    return summary


def memory_check(shared_rca: Path, target_mb: float = 100.0) -> dict:
    """Stream >= target_mb of logs through ``rca_main --json`` in a child; report its peak RSS."""
    files: list[str] = []
    total = 0
    for folder in ("logchunks/logs", "bump/logs"):
        for path in sorted((shared_rca / folder).glob("*.txt.gz")):
            with gzip.open(path, "rb") as handle:
                total += len(handle.read())
            files.append(str(path))
            if total >= target_mb * 1e6:
                break
        if total >= target_mb * 1e6:
            break
    code = (
        "import sys; from agents.root_cause.analysis import rca_main; "
        "files=open(sys.argv[1]).read().split('\\n'); "
        "import resource; rc=rca_main([*files, '--json']); "
        "sys.stderr.write('RSS %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    try:
        listing = Path(os.environ.get("TMPDIR", "/tmp")) / f"rca_bench_files_{os.getpid()}.txt"
        listing.write_text("\n".join(files), encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code, str(listing)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
    finally:
        listing.unlink(missing_ok=True)
    rss_kb = 0
    for line in proc.stderr.splitlines():
        if line.startswith("RSS "):
            rss_kb = int(line.split()[1])
    return {
        "files": len(files),
        "mb": total / 1e6,
        "seconds": seconds,
        "peak_rss_mb": rss_kb / 1024,
        "returncode": proc.returncode,
    }


# ----------------------------------------------------------------------------------------- printing
def print_classes(title: str, report: dict) -> None:
    print(
        f"\n## {title}: n={report['n']}  accuracy={report['accuracy']:.3f}  "
        f"macro-F1={report['macro_f1']:.3f}"
    )
    if "goal_block" in report:
        print(
            f"   goal [ERROR] block among returned lines: {report['goal_block']:.3f}   "
            f"suggestion names the bumped dependency: {report['names_dependency']:.3f}"
        )
    matrix = report["matrix"]
    predicted = sorted({p for row in matrix.values() for p in row})
    width = max([len(c) for c in predicted + report["labels"]] + [10])
    print("   " + "true \\ predicted".ljust(width) + "".join(p[:12].rjust(13) for p in predicted))
    for label in report["labels"]:
        print(
            "   "
            + label.ljust(width)
            + "".join(str(matrix[label].get(p, 0)).rjust(13) for p in predicted)
        )


def print_lines(title: str, summary: dict, cidiff: bool = False) -> None:
    if not summary:
        print(f"\n## {title}: no data")
        return
    low, high = summary["f1_ci"]
    print(f"\n## {title}: n={summary['n']}")
    print(
        f"   hit@1={summary['hit@1']:.3f}  hit@3={summary['hit@3']:.3f}  "
        f"hit@5={summary['hit@5']:.3f}"
    )
    print(
        f"   line precision={summary['precision']:.3f}  recall={summary['recall']:.3f}  "
        f"F1={summary['f1']:.3f} (95% CI {low:.3f}-{high:.3f})"
    )
    extra = (
        f"   share of lines returned={summary['share']:.4f}  logs over 5%={summary['over5']:.3f}  "
    )
    extra += f"ranges per log={summary['n_ranges']:.2f}"
    if cidiff:
        extra += f"  recall@10={summary['recall@10']:.3f}  recall@50={summary['recall@50']:.3f}"
    else:
        extra += f"  per-repo macro F1={summary['repo_macro_f1']:.3f}"
    print(extra)
    if not cidiff:  # the data card's top-k: counted in lines (rank order), not in ranges
        print(
            f"   first-k lines hit: k=1 {summary['line_hit@1']:.3f}  "
            f"k=5 {summary['line_hit@5']:.3f}  k=10 {summary['line_hit@10']:.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the 100 MB child-process check"
    )
    args = parser.parse_args(argv)
    rca = args.shared / "data" / "dev" / "rca"
    if not rca.is_dir():
        print(f"shared data not found at {rca}; nothing to measure")
        return 0
    start = time.process_time()
    default_classifier()
    trained = time.process_time() - start
    clock = Clock()
    print(
        f"# RCA bench on {rca} (limit={args.limit}); default classifier trained in {trained:.2f} "
        f"s CPU"
    )
    clock.current = "BUMP Maven"
    bump = run_bump(rca / "bump", clock, args.limit)
    clock.current = "BUMP-GHA"
    gha = run_bump_gha(rca / "bump-gha", clock, args.limit)
    print_classes("BUMP Maven logs (class)", bump)
    print_classes("BUMP GitHub Actions archives (class)", gha)
    both = {"n": bump["n"] + gha["n"]}
    both_acc = (bump["accuracy"] * bump["n"] + gha["accuracy"] * gha["n"]) / max(both["n"], 1)
    print(f"\n   BUMP + BUMP-GHA pooled accuracy={both_acc:.3f} (n={both['n']})")
    clock.current = "LogChunks"
    print_lines(
        "LogChunks (Travis, failure-cause chunk)",
        run_logchunks(rca / "logchunks", clock, args.limit),
    )
    clock.current = "CiDiff with green (both logs)"
    print_lines(
        "CiDiff Jenkins, with previous green",
        run_cidiff(rca / "cidiff", clock, args.limit, True),
        cidiff=True,
    )
    clock.current = "CiDiff fail log only"
    print_lines(
        "CiDiff Jenkins, fail log only",
        run_cidiff(rca / "cidiff", clock, args.limit, False),
        cidiff=True,
    )
    wall = time.perf_counter() - clock.wall_start
    chars, seconds = sum(clock.chars.values()), sum(clock.seconds.values())
    print("\n## Speed (CPU time inside analyse_log; decompression excluded)")
    print("\n".join(clock.report()))
    print(
        f"   {'all':<28} {chars / 1e6:7.1f} MB  {seconds:6.2f} s CPU  "
        f"{chars / 1e6 / max(seconds, 1e-9):6.1f} MB/s"
        f"   (end to end, wall clock, with gzip and scoring: {chars / 1e6 / wall:.1f} MB/s)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   bench process peak RSS={peak:.0f} MB")
    if not args.no_memory:
        mem = memory_check(rca)
        print(
            f"   memory check: {mem['files']} files, {mem['mb']:.0f} MB streamed through rca_main "
            f"--json "
            f"in {mem['seconds']:.1f} s; child peak RSS={mem['peak_rss_mb']:.0f} MB "
            f"(exit {mem['returncode']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
