"""Flaky-test engine bench: how right ``agents.flaky_tests.judge`` is, next to the simplest
baseline (the "failed then passed on the same SHA" rule alone), and how fast.

Usage::

    python bench/flaky_bench.py [--shared PATH] [--half A|B|both] [--only PART,...]

``--shared`` defaults to ``<repo>/../shared`` (read at run time only; nothing from it is kept in
the repository). Parts: ``illinois``, ``reruns``, ``spliced``, ``speed`` (default: all). The
script measures and prints; it never asserts and always exits 0. Without ../shared the data
parts are skipped with a sentence and only the speed part runs.

**Two fixed halves; tune on A only.** Every data set is cut once into halves, and the engine's
defaults (:mod:`agents.flaky_tests.config`) were chosen looking at half A only; B is the check.

(a) **Illinois** (``data/dev/flaky/illinois``, SPLIT.md). The engine sees what the scorer will
give it: ``test_id, outcome`` only (no run, no commit), the first n = 10, 50, 100, 500 outcomes
of every test; its score is ranked against ``is_flaky``: ROC-AUC, PR-AUC (average precision,
next to the base rate), recall at 1% false positives, and Spearman's rho between the score
and the full-sequence failure rate on the flaky tests; per project too. The 17 projects are
split by their number of flaky sequences, then name, alternately (only two projects have any,
so each half gets one). Baselines: every run of a test is on one commit, so "failed then
passed on the same SHA" is "an F followed by a P in the first n"; and the raw failure share.

(b) **GitHub Actions re-runs** (``data/dev/flaky/gha-reruns``, SPLIT.md and PROVENANCE.md).
For every rerun set whose first attempt failed (sets of only success/failure, like upstream),
the task is "will a re-run of this failed job pass?". The engine judges the job's history:
its earlier rerun sets (each set one commit, its attempts re-runs of it) and the failed first
attempt; its score is the prediction, the threshold is the F1-best on half A, applied to B.
Repositories are split in halves (sorted, alternately). Baselines: always "it will pass";
the straw-man adapted to this task (the job's previous rerun set ended in success); and the
same-SHA rule (the job failed then passed on one commit before). Next to the score, the
engine's counts give a rate per failure (flips over earlier failures, ``_rerun_pass_rate``).
Upstream's MLP F1 0.90 and straw-man 0.83 are per attempt with a random split: a different
task, quoted for context. Where the run-time file exists (``run time``, seconds per attempt,
matched to the set by its run ids), three duration methods follow: the failed attempt's run
time over the job's usual (median of its earlier passes; shorter scores higher, the "it
failed in a fraction of its usual time, so not the code" idea), the product's
``agents.flaky_tests.rerun.similar_failure_rate`` (the re-run outcome of the job's earlier
failures of about the same length), and a logistic model on generic features (ratios, counts,
rates) fitted on half A only; each threshold F1-best on A.

(c) **Semi-synthetic spliced histories.** Generated commit histories (one run per commit,
a re-run of 30% of the runs that had a failure, a 1% chance per run of an outage that fails
80% of the tests) into which real flaky sequences (Illinois isolation sequences of the half,
windows at random offsets, some shared by a group of tests that then flake together) and
regressions (a stable or flaky test fails from commit X until it is fixed at Y, or until the
end) are spliced. Truth: a test is flaky when its spliced window holds both a P and an F,
broken when a regression was injected (culprit X). Printed: precision and recall for flaky,
the share of regressions called flaky, regressions judged broken, culprit right, clusters
recovered; and the same-SHA rule's precision and recall.

(d) **Speed**: ``judge`` on 10,000 tests x 1,000 runs (10 million results, 5% of the tests
flaky), wall-clock seconds, best of ``--speed-reps``.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score, roc_curve

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agents.flaky_tests import FlakyConfig, judge  # noqa: E402
from agents.flaky_tests.rerun import similar_failure_rate  # noqa: E402

PARTS = ("illinois", "reruns", "spliced", "speed")
JOBS = 4  # the spliced histories' tests run in this many jobs
PREFIXES = (10, 50, 100, 500)


# -- shared helpers -------------------------------------------------------------------------


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else np.nan


def _ap(labels: np.ndarray, scores: np.ndarray) -> float:
    return float(average_precision_score(labels, scores)) if labels.any() else np.nan


def _recall_at_fpr(labels: np.ndarray, scores: np.ndarray, fpr_max: float = 0.01) -> float:
    """The best recall whose false-positive rate is at most ``fpr_max`` (ties count whole)."""
    if not 0 < labels.sum() < len(labels):
        return np.nan
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(tpr[fpr <= fpr_max].max())


def _rho(scores: np.ndarray, truth: np.ndarray) -> float:
    """Spearman's rho, NaN when either side is constant (no ranking to compare)."""
    if len(scores) < 3 or np.ptp(scores) == 0 or np.ptp(truth) == 0:
        return np.nan
    return float(spearmanr(scores, truth).statistic)


def _fmt(value: float, digits: int = 3) -> str:
    return "   -" if value is None or np.isnan(value) else f"{value:.{digits}f}"


def _halves(names: Iterable[str]) -> dict[str, str]:
    """Each name's half: sorted case-insensitively, alternately A, B."""
    ordered = sorted(set(names), key=lambda name: (name.lower(), name))
    return {name: "AB"[i % 2] for i, name in enumerate(ordered)}


# -- (a) Illinois ----------------------------------------------------------------------------


def illinois(shared: Path, halves: list[str], config: FlakyConfig) -> None:
    path = shared / "data/dev/flaky/illinois/sequences.jsonl.gz"
    print("\n== (a) Illinois: first n outcomes of each test, test_id + outcome only ==")
    if not path.exists():
        print(f"Skipped: {path} is absent.")
        return
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        tests = pd.DataFrame([json.loads(line) for line in handle])
    tests["key"] = tests["project"] + "::" + tests["test_id"] + "::" + tests.index.astype(str)
    flaky_count = tests.groupby("project")["is_flaky"].sum()
    ordered = sorted(flaky_count.index, key=lambda p: (-flaky_count[p], p.lower()))
    half_of = {project: "AB"[i % 2] for i, project in enumerate(ordered)}
    tests["half"] = tests["project"].map(half_of)
    tests["rate"] = tests["n_fail"] / tests["n_runs"]
    for half in halves:
        part = tests[tests["half"] == half].reset_index(drop=True)
        positives = int(part["is_flaky"].sum())
        print(
            f"\nHalf {half}: {part['project'].nunique()} projects, {len(part):,} tests, "
            f"{positives} flaky (base rate {positives / len(part):.4f})"
        )
        header = (
            f"{'n':>4}  {'method':<22}{'ROC-AUC':>8}{'PR-AUC':>8}{'R@1%FPR':>9}{'rho':>7}"
            f"{'flaky verdicts (TP/FP)':>24}"
        )
        print(header)
        per_project: dict[int, pd.DataFrame] = {}
        for n in PREFIXES:
            scores, verdicts = _illinois_scores(part, n, config)
            part_n = part.assign(score=scores, verdict=verdicts)
            per_project[n] = part_n
            labels = part["is_flaky"].to_numpy()
            prefix = part["outcomes"].str[:n]
            methods = {
                "engine": scores,
                "same-SHA rule (F..P)": prefix.str.contains("F", regex=False)
                & prefix.str.contains("FP|F.*P", regex=True),
                "failure share": prefix.str.count("F") / prefix.str.len(),
            }
            for name, values in methods.items():
                values = np.asarray(values, dtype=float)
                flaky = part["is_flaky"].to_numpy()
                rho = _rho(values[flaky], part["rate"].to_numpy()[flaky])
                counts = ""
                if name == "engine":
                    called = verdicts == "flaky"
                    counts = f"{int((called & flaky).sum())}/{int((called & ~flaky).sum())}"
                print(
                    f"{n:>4}  {name:<22}{_fmt(_auc(labels, values)):>8}"
                    f"{_fmt(_ap(labels, values)):>8}{_fmt(_recall_at_fpr(labels, values)):>9}"
                    f"{_fmt(rho, 2):>7}{counts:>24}"
                )
        _illinois_projects(per_project)
        suite = part["flaky_in_suite_runs"].to_numpy()
        scores_500 = per_project[500]["score"].to_numpy()
        print(
            f"  with flaky_in_suite_runs as the label instead (n=500): ROC-AUC "
            f"{_fmt(_auc(suite, scores_500))}, PR-AUC {_fmt(_ap(suite, scores_500))} "
            f"(base rate {suite.mean():.4f})"
        )


def _illinois_scores(part: pd.DataFrame, n: int, config: FlakyConfig) -> tuple[np.ndarray, ...]:
    prefix = part["outcomes"].str[:n]
    lengths = prefix.str.len().to_numpy()
    letters = np.frombuffer("".join(prefix).encode("ascii"), dtype="S1")
    frame = pd.DataFrame(
        {
            "test_id": np.repeat(part["key"].to_numpy(dtype=object), lengths),
            "outcome": np.where(letters == b"F", "fail", "pass"),
        }
    )
    judged = judge(frame, config).set_index("test_id").loc[part["key"]]
    return judged["score"].to_numpy(), judged["verdict"].to_numpy()


def _illinois_projects(per_project: dict[int, pd.DataFrame]) -> None:
    print("  per project (engine; ROC-AUC / PR-AUC at n = 10, 50, 100, 500):")
    first = per_project[PREFIXES[0]]
    for project, rows in first.groupby("project"):
        flaky = int(rows["is_flaky"].sum())
        cells = []
        for n in PREFIXES:
            sub = per_project[n][per_project[n]["project"] == project]
            labels, scores = sub["is_flaky"].to_numpy(), sub["score"].to_numpy()
            cells.append(f"{_fmt(_auc(labels, scores), 2)}/{_fmt(_ap(labels, scores), 2)}")
        print(f"    {project:<40}{len(rows):>6} tests {flaky:>3} flaky  " + "  ".join(cells))


# -- (b) GitHub Actions re-runs --------------------------------------------------------------


@dataclass(frozen=True)
class RerunTask:
    """One prediction: the history rows the engine sees and the truth."""

    key: str
    repo: str
    passed: bool
    previous_set_passed: bool | None
    same_sha_before: bool
    duration: float = np.nan  # the failed attempt's run time (s), NaN when unknown
    usual_duration: float = np.nan  # the median run time of the job's earlier passes
    earlier_sets: int = 0
    rerun_failures: int = 0  # earlier sets whose first attempt failed (re-run)
    rerun_passes: int = 0  # of which a re-run passed
    similar_rate: float = np.nan  # agents.flaky_tests.rerun.similar_failure_rate


OUTCOME = {"success": "pass", "failure": "fail"}


def reruns(shared: Path, halves: list[str], config: FlakyConfig) -> None:
    folder = shared / "data/dev/flaky/gha-reruns/dataframes"
    print("\n== (b) GitHub Actions re-runs: will a re-run of this failed job pass? ==")
    if not folder.is_dir():
        print(f"Skipped: {folder} is absent.")
        return
    for name, file, times_file in (
        (
            "job re-runs",
            "dataframe_job_rerun_distinct_with_conclusion.csv.gz",
            "dataframe_job_rerun_runtime_distinct.csv.gz",
        ),
        (
            "workflow re-runs",
            "dataframe_workflow_rerun_distinct.csv.gz",
            "dataframe_workflow_rerun_totalduration_runtime_distinct.csv.gz",
        ),
    ):
        data = pd.read_csv(folder / file)
        half_of = _halves(data["repo path"].str.lower())
        run_times = _run_times(folder / times_file)
        tasks, rows = _rerun_tasks(data, run_times)
        judged = judge(pd.DataFrame(rows), config).set_index("test_id")
        tasks["score"] = judged.loc[tasks["key"], "score"].to_numpy()
        tasks["rerun_rate"] = _rerun_pass_rate(judged.loc[tasks["key"]])
        tasks["half"] = tasks["repo"].str.lower().map(half_of)
        print(
            f"\n{name}: {len(tasks):,} failed first attempts, {tasks['passed'].mean():.1%} "
            "passed on a re-run"
        )
        threshold = _best_threshold(tasks[tasks["half"] == "A"])
        rate_threshold = _best_threshold(tasks[tasks["half"] == "A"], "rerun_rate")
        print(
            f"  thresholds (F1-best on half A): score {threshold:.4f}, "
            f"re-run pass rate {rate_threshold:.4f}"
        )
        duration_methods = _duration_methods(tasks, bool(run_times))
        print(f"  {'half':<5}{'method':<34}{'P':>7}{'R':>7}{'F1':>7}{'ROC-AUC':>9}{'n':>7}")
        for half in halves:
            part = tasks[tasks["half"] == half]
            truth = part["passed"].to_numpy()
            previous = part["previous_set_passed"]
            methods = {
                "engine (score >= threshold)": (
                    part["score"].to_numpy() >= threshold,
                    part["score"],
                ),
                "engine's re-run pass rate": (
                    part["rerun_rate"].to_numpy() >= rate_threshold,
                    part["rerun_rate"],
                ),
                "always 'it will pass'": (np.ones(len(part), dtype=bool), None),
                "straw-man: previous set passed": (
                    previous.fillna(True).to_numpy(dtype=bool),
                    None,
                ),
                "same-SHA rule: flipped before": (part["same_sha_before"].to_numpy(), None),
            }
            for method, (column, cut) in duration_methods.items():
                methods[method] = (part[column].to_numpy() >= cut, part[column])
            for method, (predicted, score) in methods.items():
                precision = truth[predicted].mean() if predicted.any() else np.nan
                recall = predicted[truth].mean()
                auc = _auc(truth, score.to_numpy()) if score is not None else np.nan
                print(
                    f"  {half:<5}{method:<34}{_fmt(precision):>7}{_fmt(recall):>7}"
                    f"{_fmt(f1_score(truth, predicted)):>7}{_fmt(auc):>9}{len(part):>7}"
                )


def _rerun_tasks(
    data: pd.DataFrame, run_times: dict | None = None
) -> tuple[pd.DataFrame, list[dict]]:
    """Every failed first attempt of a success/failure rerun set, and the engine's rows: per
    task, the job's earlier sets (each set one commit, its attempts re-runs) and the failed
    attempt itself. A job is a workflow file of a repository, its sets from every branch in
    the order of their first run id (a job's history in CI Medic is not cut by branch). Run
    ids are made unique per task, so the copies of one job's history that different tasks
    see are never one run (which the infrastructure guard would read as many tests failing
    together). ``run_times`` (set id to per-attempt seconds, :func:`_run_times`) adds the
    duration features: the failed attempt's run time and what the job's history says of it."""
    sets = []
    columns = ("repo path", "workflow file path", "rerun conclusion", "reruns ids")
    for repo, workflow, text, ids in zip(*(data[c] for c in columns), strict=True):
        for conclusions, run_ids in zip(ast.literal_eval(text), ast.literal_eval(ids), strict=True):
            first = run_ids if isinstance(run_ids, int) else run_ids[0]
            times = _set_times(run_times or {}, run_ids, conclusions)
            sets.append((repo.lower(), workflow, first, repo, conclusions, times))
    sets.sort(key=lambda item: item[:3])
    tasks, rows = [], []
    history: list[tuple[int, int, str]] = []  # (set, attempt, outcome) of the current job
    durations = _JobDurations()
    previous: bool | None = None
    flipped = False
    job = None
    for number, (repo_key, workflow, _first, repo, conclusions, times) in enumerate(sets):
        if (repo_key, workflow) != job:
            job, history, previous, flipped = (repo_key, workflow), [], None, False
            durations = _JobDurations()
        valid = len(conclusions) >= 2 and set(conclusions) <= {"success", "failure"}
        if valid and conclusions[0] == "failure":
            key = f"task{number}"
            tasks.append(
                RerunTask(
                    key,
                    repo,
                    "success" in conclusions[1:],
                    previous,
                    flipped,
                    **durations.features(times[0], len({s for s, _, _ in history})),
                )
            )
            for s, attempt, outcome in [*history, (number, 1, "fail")]:
                rows.append(
                    {
                        "test_id": key,
                        "outcome": outcome,
                        "run_id": f"{key}:{s}",
                        "attempt": attempt,
                        "commit_sha": f"set{s}",
                    }
                )
        for attempt, conclusion in enumerate(conclusions, start=1):
            history.append((number, attempt, OUTCOME.get(conclusion, "skip")))
        durations.add(conclusions, times)
        if conclusions:
            previous = conclusions[-1] == "success"
            flipped |= "failure" in conclusions and "success" in conclusions
    return pd.DataFrame([task.__dict__ for task in tasks]), rows


class _JobDurations:
    """One job's run times so far: its passes' and its re-run failures' (first attempt's
    duration, passed on re-run), which the next task's duration features are drawn from."""

    def __init__(self) -> None:
        self.passes: list[float] = []
        self.failures: list[float] = []
        self.passed: list[bool] = []

    def add(self, conclusions: list[str], times: list[float]) -> None:
        """As :mod:`agents.flaky_tests.rerun` reads a set: its success and failure attempts
        only (a cancelled attempt is no result), a re-run failure when the first of them
        failed and another followed."""
        results = [(c, t) for c, t in zip(conclusions, times, strict=True) if c in OUTCOME]
        self.passes += [t for c, t in results if c == "success"]
        if len(results) >= 2 and results[0][0] == "failure":
            self.failures.append(results[0][1])
            self.passed.append(any(c == "success" for c, _ in results[1:]))

    def features(self, duration: float, earlier_sets: int) -> dict:
        """The task's duration fields of :class:`RerunTask`, from the job's sets before it."""
        passes = np.asarray(self.passes, dtype=float)
        passes = passes[~np.isnan(passes)]
        return {
            "duration": duration,
            "usual_duration": float(np.median(passes)) if len(passes) else np.nan,
            "earlier_sets": earlier_sets,
            "rerun_failures": len(self.passed),
            "rerun_passes": int(sum(self.passed)),
            "similar_rate": similar_failure_rate(
                np.asarray(self.failures, dtype=float), np.asarray(self.passed), duration
            ),
        }


def _run_times(path: Path) -> dict:
    """Per rerun set (its run id, or its tuple of run ids), the run time of each attempt in
    seconds; empty when the file is absent."""
    if not path.exists():
        return {}
    frame = pd.read_csv(path)
    times = {}
    for ids, seconds in zip(frame["reruns ids"], frame["run time"], strict=True):
        for run_ids, attempts in zip(ast.literal_eval(ids), ast.literal_eval(seconds), strict=True):
            times[_set_key(run_ids)] = attempts
    return times


def _set_key(run_ids: int | list[int]) -> int | tuple[int, ...]:
    return run_ids if isinstance(run_ids, int) else tuple(run_ids)


def _set_times(run_times: dict, run_ids: int | list[int], conclusions: list[str]) -> list[float]:
    """The set's per-attempt run times, NaN where unknown or not aligned with its attempts."""
    times = run_times.get(_set_key(run_ids))
    if times is None or len(times) != len(conclusions):
        return [np.nan] * len(conclusions)
    return [np.nan if t is None else float(t) for t in times]


DURATION_FEATURES = (
    "log duration",
    "log duration / usual",
    "(log duration / usual)^2",
    "no usual duration",
    "job's re-run pass rate",
    "log earlier re-run failures",
    "log earlier sets",
    "previous set passed",
    "similar-length failures' rate",
)


def _duration_features(tasks: pd.DataFrame) -> np.ndarray:
    """Generic features for the logistic model, in the order of ``DURATION_FEATURES``:
    ratios, counts and rates, nothing tied to one repository."""
    duration = np.log1p(tasks["duration"].to_numpy(dtype=float))
    usual = np.log1p(tasks["usual_duration"].to_numpy(dtype=float))
    ratio = np.nan_to_num(duration - usual)
    failures = tasks["rerun_failures"].to_numpy(dtype=float)
    previous = tasks["previous_set_passed"].map({True: 1.0, False: 0.0}).fillna(0.5)
    return np.column_stack(
        [
            np.nan_to_num(duration),
            ratio,
            ratio**2,
            np.isnan(usual).astype(float),
            (tasks["rerun_passes"].to_numpy(dtype=float) + 1.4) / (failures + 2.0),
            np.log1p(failures),
            np.log1p(tasks["earlier_sets"].to_numpy(dtype=float)),
            previous.to_numpy(dtype=float),
            tasks["similar_rate"].to_numpy(dtype=float),
        ]
    )


def _duration_methods(tasks: pd.DataFrame, have_times: bool) -> dict[str, tuple[str, float]]:
    """The duration-based predictions, added to ``tasks`` as columns, and each one's
    threshold (F1-best on half A): the failed attempt's run time over the job's usual one
    (shorter scores higher: "a failure in a fraction of the usual time is not the code");
    :func:`agents.flaky_tests.rerun.similar_failure_rate`; and a logistic model on
    ``DURATION_FEATURES`` fitted on half A only. Without run times there are none."""
    if not have_times:
        print("  (no run-time file: the duration methods are skipped)")
        return {}
    ratio = np.log1p(tasks["duration"]) - np.log1p(tasks["usual_duration"])
    tasks["shorter_than_usual"] = -ratio.fillna(0.0)
    features = _duration_features(tasks)
    half_a = (tasks["half"] == "A").to_numpy()
    model = LogisticRegression(max_iter=2000).fit(features[half_a], tasks["passed"][half_a])
    tasks["logistic"] = model.predict_proba(features)[:, 1]
    weights = ", ".join(
        f"{name} {w:+.2f}" for name, w in zip(DURATION_FEATURES, model.coef_[0], strict=True)
    )
    print(f"  logistic weights (fitted on half A): {weights}")
    part_a = tasks[half_a]
    return {
        "run time / usual (shorter = pass)": (
            "shorter_than_usual",
            _best_threshold(part_a, "shorter_than_usual"),
        ),
        "similar-length failures' rate": ("similar_rate", _best_threshold(part_a, "similar_rate")),
        "logistic on A: durations+history": ("logistic", _best_threshold(part_a, "logistic")),
    }


def _best_threshold(part: pd.DataFrame, column: str = "score") -> float:
    """The cut whose "score >= cut" has the best F1 on ``part`` (the lowest of tied ones).
    F1 = 2 TP / (predicted + positives) for every candidate at once from sorted counts: the
    same values as ``f1_score`` per cut, without thousands of calls for a continuous score."""
    truth = part["passed"].to_numpy(dtype=bool)
    values = part[column].to_numpy(dtype=float)
    order = np.argsort(values, kind="stable")
    candidates = np.unique(values)
    start = np.searchsorted(values[order], candidates, side="left")
    positives_from = np.append(np.cumsum(truth[order][::-1])[::-1], 0)
    f1 = 2 * positives_from[start] / (len(values) - start + truth.sum())
    return float(candidates[int(np.argmax(f1))])


def _rerun_pass_rate(judged: pd.DataFrame) -> np.ndarray:
    """How often a failure of the job passed when re-run, from the engine's counts: its commits
    with both a pass and a failure (``same_sha_flips``) over its earlier runs with a failure
    (``failures`` less the one to predict), with a Beta(1.4, 0.6) prior (a re-run passes 70%
    of the time). The score is a rate per run; this one is per failure, which is the question
    asked here (a job that fails rarely but always passes when re-run scores low there)."""
    flips = judged["same_sha_flips"].to_numpy(dtype=float)
    earlier = np.maximum(judged["failures"].to_numpy(dtype=float) - 1, 0)
    return (flips + 1.4) / (earlier + 2.0)


# -- (c) semi-synthetic spliced histories ---------------------------------------------------


@dataclass(frozen=True)
class Spliced:
    """A generated history and its truth per test."""

    rows: pd.DataFrame
    truth: pd.DataFrame  # test_id, kind, expected verdict, culprit, group


def spliced(shared: Path, halves: list[str], config: FlakyConfig, repeats: int) -> None:
    path = shared / "data/dev/flaky/illinois/sequences.jsonl.gz"
    print("\n== (c) Semi-synthetic: real flaky sequences and injected regressions ==")
    if not path.exists():
        print(f"Skipped: {path} is absent.")
        return
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        tests = pd.DataFrame([json.loads(line) for line in handle])
    flaky_count = tests.groupby("project")["is_flaky"].sum()
    ordered = sorted(flaky_count.index, key=lambda p: (-flaky_count[p], p.lower()))
    half_of = {project: "AB"[i % 2] for i, project in enumerate(ordered)}
    tests["half"] = tests["project"].map(half_of)
    print(
        f"{'half':<5}{'input':<26}{'method':<15}{'flaky P':>8}{'flaky R':>8}{'regr->flaky':>12}"
        f"{'regr broken':>12}{'culprit ok':>11}{'clusters':>9}{'tests':>7}"
    )
    for half in halves:
        pool = tests[(tests["half"] == half) & tests["is_flaky"]]["outcomes"].tolist()
        rng = np.random.default_rng(20240611 if half == "A" else 20240612)
        generated = [_generate(pool, rng) for _ in range(repeats)]
        for variant, dropped in SPLICED_INPUTS.items():
            totals: dict[str, list] = {"engine": [], "same-SHA rule": []}
            for history in generated:
                rows = history.rows.drop(columns=list(dropped))
                judged = judge(rows, config).set_index("test_id").loc[history.truth.test_id]
                truth = history.truth.reset_index(drop=True)
                judged = judged.reset_index()
                called = judged["verdict"] == "flaky"
                totals["engine"].append(_spliced_scores(truth, judged, called))
                totals["same-SHA rule"].append(
                    _spliced_scores(truth, judged, judged["same_sha_flips"] > 0)
                )
            for method, counts in totals.items():
                _print_spliced(half, variant, method, np.sum(counts, axis=0))


SPLICED_INPUTS = {  # what the engine is given: the generated columns minus these
    "all columns": (),
    "no job column": ("job",),
    "no attempt, no job": ("job", "attempt"),
    "commit_sha only (no runs)": ("job", "run_id", "attempt"),
}


def _print_spliced(half: str, variant: str, method: str, summed: np.ndarray) -> None:
    tp, fp, fn, regr, regr_flaky, all_regr, regr_broken, culprit_ok, cl_ok, cl_all, n = summed
    engine = method == "engine"
    cells = [
        _fmt(tp / max(tp + fp, 1)),
        _fmt(tp / max(tp + fn, 1)),
        _fmt(regr_flaky / max(regr, 1)),
        _fmt(regr_broken / max(all_regr, 1)) if engine else "-",
        _fmt(culprit_ok / max(all_regr, 1)) if engine else "-",
        _fmt(cl_ok / max(cl_all, 1)) if engine else "-",
    ]
    widths = (8, 8, 12, 12, 11, 9)
    print(
        f"{half:<5}{variant:<26}{method:<15}"
        + "".join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True))
        + f"{int(n):>7}"
    )


def _spliced_scores(truth: pd.DataFrame, judged: pd.DataFrame, called: pd.Series) -> list[int]:
    called = called.to_numpy()
    expected = truth["expected"].to_numpy()
    flaky = expected == "flaky"
    broken_truth = expected == "broken"
    stable_regression = (truth["kind"] == "regression").to_numpy()
    broken = (judged["verdict"] == "broken").to_numpy()
    culprit_ok = broken & broken_truth & (judged["culprit_sha"].to_numpy() == truth["culprit"])
    cluster = judged["cluster"].to_numpy()
    together = 0
    grouped = truth[truth["group"].notna() & flaky]
    for _group, rows in grouped.groupby("group"):
        names = {cluster[i] for i in rows.index}
        together += int(len(rows) > 1 and len(names) == 1 and None not in names)
    return [
        int((called & flaky).sum()),
        int((called & ~flaky).sum()),
        int((~called & flaky).sum()),
        int(stable_regression.sum()),
        int((called & stable_regression).sum()),
        int(broken_truth.sum()),
        int((broken & broken_truth).sum()),
        int(culprit_ok.sum()),
        together,
        int(sum(len(rows) > 1 for _, rows in grouped.groupby("group"))),
        len(truth),
    ]


def _generate(pool: list[str], rng: np.random.Generator, commits: int = 300) -> Spliced:
    """One repository: ``commits`` commits, one run each, 160 tests (100 stable, 30 flaky of
    which 9 in three groups of three sharing a window, 20 regressions of stable tests, 10
    regressions of flaky tests). The expected verdict: ``flaky`` when the outcomes a detector
    can see (outside regressions and outages) hold an F followed by a P (for a flaky test that
    also had a closed regression: after its fix), ``broken`` for a regression, else ``stable``."""
    kinds = ["stable"] * 100 + ["flaky"] * 30 + ["regression"] * 20 + ["flaky+regression"] * 10
    n_tests = len(kinds)
    shared_windows = [_window(pool, rng, 2 * commits) for _ in range(3)]
    windows: list[str | None] = [None] * n_tests
    groups: list[int | None] = [None] * n_tests
    flaky_index = [i for i, kind in enumerate(kinds) if "flaky" in kind]
    for rank, i in enumerate(flaky_index):
        if rank < 9:
            groups[i] = rank // 3
            windows[i] = shared_windows[rank // 3]
        else:
            windows[i] = _window(pool, rng, 2 * commits)
    starts = np.full(n_tests, -1)
    ends = np.full(n_tests, -1)
    for i, kind in enumerate(kinds):
        if "regression" in kind:
            starts[i] = rng.integers(20, commits - 10)
            ends[i] = starts[i] + rng.integers(3, 60) if rng.random() < 0.7 else commits
    cursor = np.zeros(n_tests, dtype=int)
    visible: list[list[tuple[int, str]]] = [[] for _ in range(n_tests)]
    rows: list[tuple] = []
    for c in range(commits):
        sha = f"{c:07x}{rng.integers(1 << 30):08x}"
        outage = rng.random() < 0.01
        lost_job = rng.integers(JOBS) if rng.random() < 0.01 else -1  # a runner lost mid-job
        attempt = 1
        while True:
            any_fail = False
            for i in range(n_tests):
                fail = False
                letter = None
                if windows[i] is not None:
                    letter = windows[i][cursor[i]]
                    cursor[i] += 1
                    fail = letter == "F"
                broken = starts[i] <= c < ends[i]
                down = attempt == 1 and ((outage and rng.random() < 0.8) or i % JOBS == lost_job)
                if letter is not None and not broken and not down:
                    visible[i].append((c, letter))
                fail |= broken | down
                any_fail |= fail
                outcome = "fail" if fail else "pass"
                rows.append((f"t{i:03d}", outcome, f"run{c}", attempt, sha, f"job{i % JOBS}"))
            if attempt == 1 and any_fail and rng.random() < 0.3:
                attempt = 2
                continue
            break
    columns = ["test_id", "outcome", "run_id", "attempt", "commit_sha", "job"]
    frame = pd.DataFrame(rows, columns=columns)
    sha_of = frame.drop_duplicates("run_id").set_index("run_id")["commit_sha"]
    expected = []
    for i, kind in enumerate(kinds):
        after = ends[i] if 0 <= ends[i] < commits else (commits if "regression" in kind else -1)
        seen = "".join(letter for c, letter in visible[i] if c >= after)
        flaky = "F" in seen and "P" in seen[seen.index("F") :]
        expected.append("flaky" if flaky else "broken" if "regression" in kind else "stable")
    truth = pd.DataFrame(
        {
            "test_id": [f"t{i:03d}" for i in range(n_tests)],
            "kind": kinds,
            "expected": expected,
            "culprit": [sha_of[f"run{s}"] if s >= 0 else None for s in starts],
            "group": groups,
        }
    )
    return Spliced(frame, truth)


def _window(pool: list[str], rng: np.random.Generator, length: int) -> str:
    sequence = pool[rng.integers(len(pool))]
    start = rng.integers(0, len(sequence) - length)
    return sequence[start : start + length]


# -- (d) speed -------------------------------------------------------------------------------


def speed(tests: int, runs: int, reps: int, config: FlakyConfig) -> None:
    print(f"\n== (d) Speed: judge() on {tests:,} tests x {runs:,} runs ==")
    rng = np.random.default_rng(0)
    names = np.array(
        [f"pkg.module{i // 100}.TestCase{i}::test_{i}" for i in range(tests)], dtype=object
    )
    shas = np.array([f"{j:040x}" for j in range(runs)], dtype=object)
    rate = np.where(rng.random(tests) < 0.05, rng.uniform(0.01, 0.3, tests), 0.0)
    fail = (rng.random((runs, tests)) < rate).ravel()
    frame = pd.DataFrame(
        {
            "test_id": names[np.tile(np.arange(tests), runs)],
            "outcome": np.where(fail, "fail", "pass"),
            "run_id": np.repeat(np.arange(runs), tests),
            "commit_sha": shas[np.repeat(np.arange(runs), tests)],
        }
    )
    best = np.inf
    for _ in range(reps):
        began = time.perf_counter()
        judged = judge(frame, config)
        best = min(best, time.perf_counter() - began)
    counts = judged["verdict"].value_counts().to_dict()
    print(f"{len(frame):,} results judged in {best:.1f} s (best of {reps}); verdicts: {counts}")


# -- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure the flaky-test engine (prints figures, never asserts)."
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--half", choices=("A", "B", "both"), default="both")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--spliced-repeats", type=int, default=5)
    parser.add_argument("--speed-tests", type=int, default=10_000)
    parser.add_argument("--speed-runs", type=int, default=1_000)
    parser.add_argument("--speed-reps", type=int, default=2)
    args = parser.parse_args(argv)
    parts = {part.strip() for part in args.only.split(",") if part.strip()}
    halves = ["A", "B"] if args.half == "both" else [args.half]
    config = FlakyConfig()
    data_parts = parts & {"illinois", "reruns", "spliced"}
    if data_parts and not (args.shared / "data/dev/flaky").is_dir():
        print(
            f"Skipping {', '.join(sorted(data_parts))}: {args.shared / 'data/dev/flaky'} is "
            "absent (the bench reads ../shared at run time only)."
        )
        data_parts = set()
    if "illinois" in data_parts:
        illinois(args.shared, halves, config)
    if "reruns" in data_parts:
        reruns(args.shared, halves, config)
    if "spliced" in data_parts:
        spliced(args.shared, halves, config, args.spliced_repeats)
    if "speed" in parts:
        speed(args.speed_tests, args.speed_runs, args.speed_reps, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
