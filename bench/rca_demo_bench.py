"""Root-cause analysis bench on the project's own demo: GitHub Actions logs with planted truth.

Usage::

    python bench/rca_demo_bench.py [--seed 101] [--train-seed 202] [--runs 600] [--days 25]

The demo (``core.sandbox.demo.generator.generate_demo``) is generated into a temporary folder with
a fixed end date,
so the figures are reproducible. Every job in ``truth.json``'s ``root_causes`` is analysed with
``previous_green`` = the log of the last successful job of the same name that started before it
(when the dump holds one). Printed: class accuracy, macro-F1 over the true classes, confusion
matrix, transient accuracy, and hit@k / line precision, recall, F1 against the truth ``lines``
(same definitions as ``bench/rca_bench.py``), and how many suggestions are not specific: the
literal ``unknown`` (or empty), citing no line of the log, or *generic* (naming nothing that the
lines it cites show: see :func:`vague_suggestion`).

Two variants: the default classifier (rules + a model trained on the project's corpus), and a
*learned* one: :class:`FailureClassifier` fitted on the corpus plus the labelled failures of a demo
generated with a **different** seed (``--train-seed``), the way a user would train on their own
labelled history; a different seed keeps training and evaluation logs apart. The script measures
and prints; it never asserts and always exits 0. It writes nothing outside its temporary folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agents.root_cause.analysis import RootCause, analyse_log  # noqa: E402
from agents.root_cause.classify import FailureClassifier, default_classifier  # noqa: E402
from agents.root_cause.corpus import CORPUS  # noqa: E402
from agents.root_cause.templates import clean_line  # noqa: E402
from bench.rca_bench import (  # noqa: E402
    classification_report,
    line_set,
    mean_rows,
    print_classes,
    score_lines,
)
from core.sandbox.demo.generator import generate_demo  # noqa: E402

END = datetime(2025, 6, 1, tzinfo=UTC)


class Case:
    """One failed job of the demo: its log, the green log before it and what truth says."""

    def __init__(self, job_id: str, text: str, green: str | None, truth: dict) -> None:
        self.job_id, self.text, self.green, self.truth = job_id, text, green, truth


def _read(path: Path) -> str:
    with gzip.open(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def _jobs(folder: Path) -> dict[str, dict]:
    """Every job of the dump by id (name, conclusion, start time)."""
    jobs: dict[str, dict] = {}
    for path in sorted((folder / "jobs").glob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for job in json.load(handle).get("jobs", []):
                jobs[str(job["id"])] = job
    return jobs


def _previous_green(job: dict, jobs: dict[str, dict], logs: Path) -> str | None:
    """The log of the latest successful job of the same name started before ``job``."""
    start = job.get("started_at") or ""
    greens = [
        (j.get("started_at") or "", i)
        for i, j in jobs.items()
        if j.get("name") == job.get("name")
        and j.get("conclusion") == "success"
        and (j.get("started_at") or "") < start
        and (logs / f"{i}.txt.gz").is_file()
    ]
    return _read(logs / f"{max(greens)[1]}.txt.gz") if greens else None


def load_cases(seed: int, runs: int, days: int, work: Path) -> list[Case]:
    """Generate the demo for ``seed`` and return its failed jobs in job-id order."""
    folder = generate_demo(work / f"demo-{seed}", seed=seed, end=END, runs_target=runs, days=days)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))["root_causes"]
    jobs, logs = _jobs(folder), folder / "logs"
    cases = []
    for job_id in sorted(truth, key=int):
        path = logs / f"{job_id}.txt.gz"
        if not path.is_file():
            continue
        job = jobs.get(job_id, {})
        green = _previous_green(job, jobs, logs) if job else None
        cases.append(Case(job_id, _read(path), green, truth[job_id]))
    return cases


_CITED = re.compile(r"\blines? (\d+)(?:-(\d+))?")
_TICKED = re.compile(r"`([^`]+)`")
_TOKEN = re.compile(r"[^\s`'\"(),;:]+")
VAGUE_KINDS = ("unknown", "no line", "generic")


def _distinctive(token: str) -> bool:
    """A token that names something (a version, a path, a test, an identifier), not a word."""
    token = token.strip(".:!?")
    return (len(token) >= 3 or (len(token) == 2 and token.isdigit())) and (
        any(c.isdigit() for c in token)
        or any(c in "._/@:=$#<>[]" for c in token)
        or any(c.isupper() for c in token[1:])
    )


def vague_suggestion(suggestion: str, text: str) -> str | None:
    """Why ``suggestion`` is not specific to the log ``text``, or None when it is.

    ``unknown``: literally "unknown" or empty; ``no line``: cites no line of the log;
    ``generic``: names nothing the lines it cites show (no quoted text of those lines and no
    distinctive token of theirs: a version, path, test name, identifier...).
    """
    if suggestion.strip().lower() in ("", "unknown"):
        return "unknown"
    lines = text.split("\n")
    cited: set[int] = set()
    for a, b in _CITED.findall(suggestion):
        first, last = int(a), int(b or a)
        cited.update(n for n in range(first, min(last, first + 200) + 1) if 1 <= n <= len(lines))
    if not cited:
        return "no line"
    shown = [" ".join(clean_line(lines[n - 1]).replace("`", "'").split()) for n in sorted(cited)]
    for quoted in _TICKED.findall(suggestion):
        quoted = quoted.removesuffix("...").strip()
        if len(quoted) >= 8 and any(quoted in line for line in shown):
            return None
    uncited = _CITED.sub(" ", suggestion)  # the line numbers themselves name nothing
    words = [t.strip(".:!?") for t in _TOKEN.findall(uncited) if _distinctive(t)]
    if any(word and any(word in line for line in shown) for word in words):
        return None
    return "generic"


def evaluate(cases: list[Case], analyse: Callable[[Case], RootCause]) -> dict:
    """Class, transient and line figures over the cases; also the CPU time spent analysing."""
    truth, pred, rows, transient_ok, seconds, misses = [], [], [], 0, 0.0, []
    vague = dict.fromkeys(VAGUE_KINDS, 0)
    for case in cases:
        start = time.process_time()
        result = analyse(case)
        seconds += time.process_time() - start
        truth.append(case.truth["category"])
        pred.append(result.category)
        transient_ok += result.transient == bool(case.truth["transient"])
        lines = line_set(case.truth["lines"])
        rows.append(score_lines(list(result.lines), lines, len(case.text.split("\n"))))
        if result.category != case.truth["category"]:
            misses.append((case.job_id, case.truth["category"], result.category))
        kind = vague_suggestion(result.suggestion, case.text)
        if kind:
            vague[kind] += 1
    report = classification_report(truth, pred)
    report["transient"] = transient_ok / max(len(cases), 1)
    report["lines"] = mean_rows(rows)
    report["seconds"] = seconds
    report["mb"] = sum(len(c.text) + len(c.green or "") for c in cases) / 1e6
    report["misses"] = misses
    report["vague"] = vague
    report["n"] = len(cases)
    return report


def print_report(title: str, report: dict, show_misses: int) -> None:
    print_classes(title, report)
    lines = report["lines"]
    print(f"   transient accuracy={report['transient']:.3f}")
    if lines:
        print(
            f"   hit@1={lines['hit@1']:.3f}  hit@3={lines['hit@3']:.3f}  hit@5={lines['hit@5']:.3f}"
            f"  line precision={lines['precision']:.3f}  recall={lines['recall']:.3f}  "
            f"F1={lines['f1']:.3f}  share of lines={lines['share']:.4f}"
        )
    print(
        f"   {report['mb']:.1f} MB analysed in {report['seconds']:.2f} s CPU "
        f"({report['mb'] / max(report['seconds'], 1e-9):.1f} MB/s)"
    )
    vague = report["vague"]
    print(
        f"   suggestions not specific: {sum(vague.values())} of {report['n']} "
        f"(unknown/empty {vague['unknown']}, no line cited {vague['no line']}, "
        f"generic {vague['generic']})"
    )
    for job_id, true, got in report["misses"][:show_misses]:
        print(f"   miss {job_id}: {true} -> {got}")


def learned_classifier(train: list[Case]) -> FailureClassifier:
    """Corpus snippets plus the labelled failures of another demo, as a user's history would be."""
    texts = [snippet for _, snippet in CORPUS] + [c.text for c in train]
    labels = [category for category, _ in CORPUS] + [c.truth["category"] for c in train]
    return FailureClassifier().fit(texts, labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=101, help="seed of the evaluated demo")
    parser.add_argument("--train-seed", type=int, default=202, help="seed of the training demo")
    parser.add_argument("--runs", type=int, default=600)
    parser.add_argument("--days", type=int, default=25)
    parser.add_argument("--misses", type=int, default=0, help="print this many misclassified jobs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rca-demo-") as tmp:
        cases = load_cases(args.seed, args.runs, args.days, Path(tmp))
        train = load_cases(args.train_seed, args.runs, args.days, Path(tmp))
    print(
        f"# RCA demo bench: seed {args.seed} ({len(cases)} failed jobs with logs), "
        f"{args.runs} runs over {args.days} days ending {END:%Y-%m-%d}"
    )
    default_classifier()  # trained once, outside the timed part
    default = evaluate(cases, lambda c: analyse_log(c.text, previous_green=c.green))
    print_report("Default classifier (rules + corpus model)", default, args.misses)
    start = time.process_time()
    model = learned_classifier(train)
    trained = time.process_time() - start
    learned = evaluate(
        cases, lambda c: analyse_log(c.text, previous_green=c.green, classifier=model)
    )
    print_report(
        f"Learned: corpus + {len(train)} labelled failures of seed {args.train_seed} "
        f"(trained in {trained:.2f} s CPU)",
        learned,
        args.misses,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
