"""Root-cause analysis bench: how right and how fast ``agents.root_cause.analysis`` is on real
labelled logs.

Usage::

    python bench/rca_bench.py [--shared PATH] [--limit N] [--half tune|unseen] [--no-memory]

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

**Fixed split by repository: ``tune`` and ``unseen``.** The maintainers score the agent on
repositories it has never seen, and cues tuned on one dev repository's format do not carry over
(held out, LogChunks hit@5 and line F1 drop far below their dev values). So every data set is cut
once, by repository, into two halves that never change: a repository (LogChunks ``repo``;
BUMP/BUMP-GHA ``project``, so a project's Maven logs and Actions archives fall on the same side;
CiDiff the project in the case name, ``breakages__<project>_<n>``) is on the ``tune`` side when
the SHA-256 of ``"rca-split-4:" + name`` is even, else ``unseen`` (see :func:`half_of`). The salt
``rca-split-4`` is the first of ``rca-split-0, 1, ...`` that puts 42-58 % of each set's
repositories and of its items on each side; it was chosen on those counts alone, before any
figure was computed per half. Dev sizes (tune/unseen): LogChunks 21/19 repositories (210/186
logs), BUMP Maven 43/33 projects (140/143 logs), BUMP-GHA 11/8 projects (17/17 labelled archives),
CiDiff 17/13 projects (22/16 cases). Every headline figure is printed for the whole set and for
each half (``--half`` restricts the run to one half).

**The rule: tune only on the tune half; the unseen half is for checking.** Read, debug and fit
cues, patterns and weights on ``tune`` logs only; never open an ``unseen`` log. Keep a change only
when it does not lower the ``unseen`` figures, and prefer mechanisms that hold across tools (log
structure, the failing step, exit markers, novelty against the previous green log) to a cue for one
repository's format. ``unseen`` is a check of generalisation, not a target: tuning on it makes it a
second ``tune`` half and its figures meaningless.

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
through ``ci-medic rca --json`` in a child process and reports that child's peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
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


SPLIT_SALT = "rca-split-4"
HALVES = ("tune", "unseen")


def half_of(repository: str) -> str:
    """The fixed half of a repository: ``tune`` when the SHA-256 of ``SPLIT_SALT:name`` is even,
    else ``unseen`` (the same on every machine and run; see the module docstring)."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{repository}".encode()).digest()
    return "tune" if digest[-1] % 2 == 0 else "unseen"


def cidiff_project(case: str) -> str:
    """The project of a CiDiff case: ``breakages__jodatime_1837`` -> ``jodatime``."""
    return case.split("__", 1)[-1].rsplit("_", 1)[0]


def keep_half(rows: list[dict], key, half: str | None) -> list[dict]:
    """Tag each row with its half (``key(row)`` names its repository); keep one half if asked."""
    for row in rows:
        row["_half"] = half_of(key(row))
    return [r for r in rows if half is None or r["_half"] == half]


def by_half(items: list, halves: list[str]) -> dict[str, list]:
    """``{"whole": items, "tune": ..., "unseen": ...}`` (``halves[k]`` is the half of item k)."""
    out = {"whole": list(items)}
    for half in HALVES:
        out[half] = [x for x, h in zip(items, halves, strict=True) if h == half]
    return out


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
def run_bump(base: Path, clock: Clock, limit: int | None, half: str | None = None) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["id"])
    labels = keep_half([r for r in labels if r.get("log_file")], lambda r: r["project"], half)
    labels = labels[:limit]
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
    report["halves"] = class_halves(truth, pred, [r["_half"] for r in labels])
    return report


def class_halves(truth: list[str], pred: list[str], halves: list[str]) -> dict[str, dict]:
    """The classification report of the whole set and of each half."""
    t, p = by_half(truth, halves), by_half(pred, halves)
    return {name: classification_report(t[name], p[name]) for name in t}


def failed_job_logs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.txt.gz") if p.is_file())


def pick_archive_result(results: list[RootCause]) -> RootCause | None:
    real = [r for r in results if r.category not in ("cancelled", "unknown")]
    if real:
        return max(real, key=lambda r: r.confidence)
    return results[0] if results else None


def run_bump_gha(base: Path, clock: Clock, limit: int | None, half: str | None = None) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["id"])
    labels = keep_half(
        [r for r in labels if r.get("failure_category")], lambda r: r["project"], half
    )
    labels = labels[:limit]
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
    report = classification_report(truth, pred)
    report["halves"] = class_halves(truth, pred, [r["_half"] for r in labels])
    return report


def run_logchunks(base: Path, clock: Clock, limit: int | None, half: str | None = None) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["id"])
    labels = keep_half([r for r in labels if r.get("chunk_start_line")], lambda r: r["repo"], half)
    labels = labels[:limit]
    rows = []
    for row in labels:
        text = read_text(base / row["log_file"])
        result = clock.analyse(text)
        truth = set(range(row["chunk_start_line"], row["chunk_end_line"] + 1))
        scored = score_lines(list(result.lines), truth, len(text.split("\n")))
        rows.append(scored)
    repos = [r["repo"] for r in labels]
    parts = by_half(list(zip(rows, repos, strict=True)), [r["_half"] for r in labels])
    halves = {
        name: summarise_lines([r for r, _ in part], [p for _, p in part])
        for name, part in parts.items()
    }
    summary = dict(halves["whole"])
    summary["halves"] = halves
    return summary


def summarise_lines(rows: list[dict], repos: list[str] | None = None) -> dict:
    """Mean line metrics of some logs (and their per-repository macro F1 given ``repos``)."""
    if not rows:
        return {}
    summary = mean_rows(rows)
    summary["n"] = len(rows)
    if repos is not None:
        by_repo: dict[str, list[dict]] = defaultdict(list)
        for row, repo in zip(rows, repos, strict=True):
            by_repo[repo].append(row)
        summary["repo_macro_f1"] = sum(mean_rows(v)["f1"] for v in by_repo.values()) / len(by_repo)
    summary["f1_ci"] = bootstrap_ci([r["f1"] for r in rows])
    return summary


def run_cidiff(
    base: Path, clock: Clock, limit: int | None, with_green: bool, half: str | None = None
) -> dict:
    labels = sorted(read_jsonl(base / "labels.jsonl"), key=lambda r: r["case"])
    labels = keep_half(labels, lambda r: cidiff_project(r["case"]), half)[:limit]
    rows = []
    for row in labels:
        text = read_text(base / row["fail_file"])
        green = read_text(base / row["pass_file"]) if with_green else None
        result = clock.analyse(text, previous_green=green)
        truth = line_set(row["error_lines"])
        context = line_set(row.get("context_lines") or []) - truth
        rows.append(score_lines(list(result.lines), truth, len(text.split("\n")), context))
    parts = by_half(rows, [r["_half"] for r in labels])
    halves = {name: summarise_lines(part) for name, part in parts.items()}
    summary = dict(halves["whole"])
    summary["halves"] = halves
    return summary


def memory_check(shared_rca: Path, target_mb: float = 100.0) -> dict:
    """Stream >= target_mb of logs through ``ci-medic rca --json`` in a child; its peak RSS."""
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
        "import sys; from agents.cli import main; "
        "files=open(sys.argv[1]).read().split('\\n'); "
        "import resource; rc=main(['rca', *files, '--json']); "
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
    print_class_halves(report.get("halves", {}))


def print_class_halves(halves: dict[str, dict]) -> None:
    """One row per half: n, accuracy, macro-F1 (whole set first)."""
    if not halves:
        return
    print(f"   {'half':<8}{'n':>5}  accuracy  macro-F1")
    for name, part in halves.items():
        if not part["n"]:
            print(f"   {name:<8}{0:>5}  no data")
            continue
        print(f"   {name:<8}{part['n']:>5}  {part['accuracy']:8.3f}  {part['macro_f1']:8.3f}")


def print_lines(title: str, summary: dict, cidiff: bool = False) -> None:
    if not summary.get("n"):
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
    print_line_halves(summary.get("halves", {}), cidiff)


def print_line_halves(halves: dict[str, dict], cidiff: bool) -> None:
    """One row per half: hit@1/3/5, line precision/recall/F1, share (whole set first)."""
    if not halves:
        return
    last = "" if cidiff else "  repo-F1"
    print(f"   {'half':<8}{'n':>5}  hit@1  hit@3  hit@5  precision  recall     F1   share{last}")
    for name, part in halves.items():
        if not part:
            print(f"   {name:<8}{0:>5}  no data")
            continue
        row = (
            f"   {name:<8}{part['n']:>5}  {part['hit@1']:5.3f}  {part['hit@3']:5.3f}  "
            f"{part['hit@5']:5.3f}  {part['precision']:9.3f}  {part['recall']:6.3f}  "
            f"{part['f1']:5.3f}  {part['share']:6.4f}"
        )
        if not cidiff:
            row += f"  {part['repo_macro_f1']:7.3f}"
        print(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument(
        "--half", choices=HALVES, default=None, help="measure one half of the fixed split only"
    )
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
    only = f"; half={args.half} only" if args.half else ""
    print(
        f"# RCA bench on {rca} (limit={args.limit}{only}); default classifier trained in "
        f"{trained:.2f} s CPU"
    )
    print(
        f"# fixed split by repository ({SPLIT_SALT}): tune only on the tune half; "
        "the unseen half is for checking"
    )
    half = args.half
    clock.current = "BUMP Maven"
    bump = run_bump(rca / "bump", clock, args.limit, half)
    clock.current = "BUMP-GHA"
    gha = run_bump_gha(rca / "bump-gha", clock, args.limit, half)
    print_classes("BUMP Maven logs (class)", bump)
    print_classes("BUMP GitHub Actions archives (class)", gha)
    both = {"n": bump["n"] + gha["n"]}
    both_acc = (bump["accuracy"] * bump["n"] + gha["accuracy"] * gha["n"]) / max(both["n"], 1)
    print(f"\n   BUMP + BUMP-GHA pooled accuracy={both_acc:.3f} (n={both['n']})")
    for name in HALVES:
        one, two = bump["halves"][name], gha["halves"][name]
        n = one["n"] + two["n"]
        pooled = (one["accuracy"] * one["n"] + two["accuracy"] * two["n"]) / max(n, 1)
        if n:
            print(f"   {name:<6} pooled accuracy={pooled:.3f} (n={n})")
    clock.current = "LogChunks"
    print_lines(
        "LogChunks (Travis, failure-cause chunk)",
        run_logchunks(rca / "logchunks", clock, args.limit, half),
    )
    clock.current = "CiDiff with green (both logs)"
    print_lines(
        "CiDiff Jenkins, with previous green",
        run_cidiff(rca / "cidiff", clock, args.limit, True, half),
        cidiff=True,
    )
    clock.current = "CiDiff fail log only"
    print_lines(
        "CiDiff Jenkins, fail log only",
        run_cidiff(rca / "cidiff", clock, args.limit, False, half),
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(f"   bench process peak RSS={peak:.0f} MB")
    if not args.no_memory:
        mem = memory_check(rca)
        print(
            f"   memory check: {mem['files']} files, {mem['mb']:.0f} MB streamed through "
            f"ci-medic rca --json "
            f"in {mem['seconds']:.1f} s; child peak RSS={mem['peak_rss_mb']:.0f} MB "
            f"(exit {mem['returncode']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
