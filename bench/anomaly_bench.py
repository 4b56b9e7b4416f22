"""Series anomaly detector bench: how right ``agents.anomaly_detection.series`` is, next to two
naive baselines, on NAB infrastructure metrics and on semi-synthetic CI run durations.

Usage::

    python bench/anomaly_bench.py [--shared PATH] [--sensitivity S] [--half A|B] [--reps N]
                                  [--skip nab|ci] [--clean-window W[,W...]]
    python bench/anomaly_bench.py --false-alarms level_shift [--clean-window 25,41,61]

``--shared`` defaults to ``<repo>/../shared`` (read at run time only; nothing from it is kept in
the repository). The script measures and prints; it never asserts and always exits 0.
``--skip nab`` runs only the semi-synthetic CI part (``--skip ci`` only NAB); the speed line
is always printed. ``--false-alarms KIND`` prints only where the agent's false alarms on that
kind's copies come from (the flag's kind, before the injection or a late find, which
workflows), per half and cleaning window: the diagnosis to read before tuning.

**Two fixed halves; tune on A only.** The maintainers score on held-out series, so each data
set is cut once into halves by sorted name, alternately (the 1st, 3rd, ... name is in A, the
2nd, 4th, ... in B). Settings are tuned on A; B is the check of generalisation, never a target.

**NAB** (``data/dev/anomaly/nab``, 12 series with their labelled windows, ``windows.json``).
Every detector runs as a stream over each series; ours with the series' timestamps, as
``ci-medic anomalies`` does (seasonal baselines where the clock explains the series).
Window-level scoring (SPLIT.md): a flag inside a window makes that window a true positive (at
most one per window), a flag outside every window is a false positive, a window without a flag
a false negative. Printed per series and pooled per half: precision, recall, F1 and false
positives per 1,000 points.

**Semi-synthetic CI** (``data/dev/dumps/*``). Real series: the durations of each workflow's
successful runs (``updated_at - run_started_at``, in creation order; failed and cancelled runs
stop early and are a different series), read from the dumps' run records. Into copies of each
series we inject, with a fixed seed, one anomaly per copy, after the first 50 runs:

- ``spike``: one run takes 2.5-4x the median of the 10 runs before it;
- ``level_shift``: every run from there on takes 30-100% longer;
- ``trend``: the duration grows linearly by 50-100% over 40-80 runs, then stays there.

The real series hold their own, unlabelled events (real slowdowns, real 3x runs) that are
indistinguishable from injected ones, so the injections go into a *cleaned* copy of each real
series: every run is divided by the centred median of the 25 runs around it (removing real
level changes and drifts; a median filter keeps steps sharp, so it removes them cleanly), a
run more than 2x (or under half) that median is set to it (removing the real spikes as large as
the injected ones), and the result is scaled by the series' median. What is left is the real
run-to-run variability: noise, heavy tail, bimodality, smaller real spikes and short real
bursts. A flag on any of it counts as a false alarm, so that figure is conservative. Every
detector's flags on the untouched real series are printed too, for context (real, unlabelled
events: neither right nor wrong here).

**The cleaning window is a choice of the bench, so a tuning change can overfit it.** A wider
window leaves more of the real bursts in the cleaned series (a burst shorter than half the
window does not move the median, so it stays unless it is above 2x), so false alarms depend on
it: a change once looked good at 25 runs and doubled the spike false alarms at 41 and 61.
``--clean-window 25,41,61`` runs the semi-synthetic part once per window (odd lengths: the
median stays centred) and prints each kind's figures per window (tagged ``w25`` ...), then a
table per half of F1 and false alarms per 1,000 runs at each window with the worst of them
(lowest F1, most false alarms) and their range; the summary then holds that table. The copies
differ between windows only in the cleaned series under them: the injections (where, how
large, how long) come from the same draws. Judge a tuning change by its worst window, not by 25
alone. The default (25 only) prints exactly what it always did, so earlier figures stay
comparable.

**Baselines.** Two naive threshold detectors ("mean + 3 sigma" of all earlier points, "+20% over
the median" of the last 30) and the change-point library the issue names, ruptures
(``bench/change_point_baselines.py``): its PELT as a stream ("ruptures PELT": at each point,
over the last 60 points) and over the whole series at once ("PELT hindsight*", which sees the
future: an upper bound for the library, not a monitor). Their penalty was tuned on half A
(``--ruptures-pen``). They report level shifts only (PELT's segments), so their spike figures
say little.

A copy's injection is found when a flag falls in its match window: the injected run for a
spike (and the next 2), the first 6 runs (the shift's first run + 5) for a shift, the ramp
plus 10 runs for a trend; every flag outside the match window is a false alarm.
Per kind: precision, recall, F1, false alarms per 1,000 runs, the share of found injections
whose flag names the right kind, and for shifts the detection delay in runs.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.anomaly_detection.seasonal import detect_seasonal  # noqa: E402
from agents.anomaly_detection.series import DetectorConfig, detect  # noqa: E402
from agents.anomaly_detection.watch import ci_config, flags_of  # noqa: E402
from bench.change_point_baselines import PELT_PEN, pelt_hindsight, pelt_stream  # noqa: E402

SEED = 20240614
WARMUP = 30  # the baselines wait as long as the detector does
INJECT_AFTER = 50
CLEAN_WINDOW = 25  # the cleaning window every published figure used; the default
KINDS = ("spike", "level_shift", "trend")

# A detector: values (and their timestamps, when the data has them) -> (flagged indices, kinds)
Detector = Callable[..., tuple[np.ndarray, list[str]]]


def ours(config: DetectorConfig) -> Detector:
    """What ``ci-medic anomalies`` runs: with timestamps, seasonal baselines where the clock
    explains the series."""

    def run(values: np.ndarray, stamps: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
        if stamps is None:
            flags = detect(values, config)
        else:
            flags = detect_seasonal(values, pd.Series(stamps).astype(str), config)
        return np.array([f.index for f in flags], dtype=int), [f.kind for f in flags]

    return run


def ours_on_ci(sensitivity: float) -> Detector:
    """What the agent runs on a repository's durations: the CI settings (a run at twice its
    usual time is always news, spikes from the 20th run) and the slow second pass."""

    def run(values: np.ndarray, _stamps: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
        flags = flags_of(values, ci_config(sensitivity))
        return np.array([f.index for f in flags], dtype=int), [f.kind for f in flags]

    return run


def mean_3sigma(values: np.ndarray, _stamps: np.ndarray | None = None) -> tuple[np.ndarray, list]:
    """Naive baseline: a point more than 3 standard deviations from the mean of all points
    before it."""
    past = pd.Series(values).shift(1).expanding(min_periods=WARMUP)
    mean, std = past.mean().to_numpy(), past.std().to_numpy()
    hit = np.flatnonzero(np.abs(values - mean) > 3 * std)
    return hit, ["spike"] * len(hit)


def over_median(values: np.ndarray, _stamps: np.ndarray | None = None) -> tuple[np.ndarray, list]:
    """Naive baseline: a point 20% above the median of the 30 points before it."""
    median = pd.Series(values).shift(1).rolling(30, min_periods=WARMUP).median().to_numpy()
    hit = np.flatnonzero(values > 1.2 * median)
    hit = hit[hit >= WARMUP]
    return hit, ["spike"] * len(hit)


def halves(names: list[str]) -> dict[str, list[str]]:
    ordered = sorted(names)
    return {"A": ordered[0::2], "B": ordered[1::2]}


# -- NAB --------------------------------------------------------------------------------------


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    points: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        self.points += other.points

    def line(self) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_k = 1000 * self.fp / self.points if self.points else 0.0
        return (
            f"P {precision:5.2f}  R {recall:5.2f}  F1 {f1:5.2f}  "
            f"FP/1k {per_k:6.2f}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


def nab_series(root: Path) -> Iterator[tuple[str, np.ndarray, np.ndarray, list]]:
    windows = json.loads((root / "windows.json").read_text())
    for name in sorted(windows):
        frame = pd.read_csv(root / name)
        stamps = pd.to_datetime(frame["timestamp"]).to_numpy()
        yield name, stamps, frame["value"].to_numpy(dtype=float), windows[name]


def score_windows(stamps: np.ndarray, hits: np.ndarray, windows: list) -> Tally:
    bounds = [(np.datetime64(pd.Timestamp(a)), np.datetime64(pd.Timestamp(b))) for a, b in windows]
    found = [False] * len(bounds)
    tally = Tally(points=len(stamps))
    for index in hits:
        inside = [i for i, (a, b) in enumerate(bounds) if a <= stamps[index] <= b]
        if inside:
            found[inside[0]] = True
        else:
            tally.fp += 1
    tally.tp, tally.fn = sum(found), len(found) - sum(found)
    return tally


def nab_bench(root: Path, detectors: dict[str, Detector], only: str | None) -> list[str]:
    """Per-series and pooled figures per half; returns the pooled lines for the summary."""
    print(f"== NAB ({root}): window-level scoring, every detector run as a stream ==")
    data = list(nab_series(root))
    split = halves([name for name, *_ in data])
    summary = []
    for half, names in split.items():
        if only and half != only:
            continue
        print(f"\n-- half {half}: {len(names)} series --")
        pooled = {label: Tally() for label in detectors}
        for name, stamps, values, windows in data:
            if name not in names:
                continue
            print(f"  {name} ({len(values)} points, {len(windows)} windows)")
            for label, run in detectors.items():
                hits, _ = run(values, stamps)
                tally = score_windows(stamps, hits, windows)
                pooled[label].add(tally)
                print(f"    {label:<18} {tally.line()}")
        print(f"  pooled half {half}:")
        for label, tally in pooled.items():
            print(f"    {label:<18} {tally.line()}")
            summary.append(f"NAB half {half}  {label:<18} {tally.line()}")
    return summary


# -- semi-synthetic CI ------------------------------------------------------------------------


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _records(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def ci_series(dumps: Path, min_runs: int = 100) -> dict[str, np.ndarray]:
    """Successful runs' durations per workflow, oldest first, for every dump that has enough."""
    out = {}
    for folder in sorted(p for p in dumps.iterdir() if p.is_dir()):
        path = next(
            (folder / n for n in ("runs.jsonl", "runs.jsonl.gz") if (folder / n).exists()), None
        )
        if path is None:
            continue
        rows: dict[str, list[tuple[str, float]]] = {}
        for run in _records(path):
            start, end = _when(run.get("run_started_at")), _when(run.get("updated_at"))
            if run.get("conclusion") != "success" or start is None or end is None:
                continue
            seconds = (end - start).total_seconds()
            if seconds > 0:
                workflow = str(run.get("workflow_id") or run.get("name"))
                rows.setdefault(workflow, []).append((run.get("created_at") or "", seconds))
        for workflow, pairs in rows.items():
            if len(pairs) >= min_runs:
                pairs.sort(key=lambda pair: pair[0])
                out[f"{folder.name}:{workflow}"] = np.array([s for _, s in pairs])
    return out


def cleaned(values: np.ndarray, window: int = CLEAN_WINDOW) -> np.ndarray:
    """The real series without its real level changes and big spikes (module docstring);
    ``window`` is the centred median's length in runs, a choice of the bench that
    ``--clean-window`` varies."""
    local = pd.Series(values).rolling(window, center=True, min_periods=1).median().to_numpy()
    ratio = values / local
    ratio[(ratio > 2.0) | (ratio < 0.5)] = 1.0
    return float(np.median(values)) * ratio


@dataclass(frozen=True)
class Injection:
    kind: str
    start: int
    end: int  # last run of the match window
    runs: int


def inject(values: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, Injection]:
    x = values.copy()
    n = len(x)
    if kind == "spike":
        at = int(rng.integers(INJECT_AFTER, n))
        x[at] = np.median(values[at - 10 : at]) * rng.uniform(2.5, 4.0)
        return x, Injection(kind, at, at + 2, n)
    if kind == "level_shift":
        at = int(rng.integers(INJECT_AFTER, n - 15))
        x[at:] *= 1 + rng.uniform(0.3, 1.0)
        return x, Injection(kind, at, at + 5, n)
    length = int(rng.integers(40, 81))
    length = min(length, n - INJECT_AFTER - 10)
    at = int(rng.integers(INJECT_AFTER, n - length - 9))
    rise = rng.uniform(0.5, 1.0)
    ramp = np.concatenate(
        [np.linspace(0, rise, length, endpoint=False), np.full(n - at - length, rise)]
    )
    x[at:] *= 1 + ramp
    return x, Injection(kind, at, at + length + 10, n)


@dataclass
class KindTally:
    found: int = 0
    missed: int = 0
    false: int = 0
    late: int = 0  # shifts missed in their match window but flagged within 30 runs
    right_kind: int = 0
    runs: int = 0
    delays: list[int] = field(default_factory=list)

    def precision(self) -> float:
        return self.found / (self.found + self.false) if self.found + self.false else 0.0

    def recall(self) -> float:
        return self.found / (self.found + self.missed) if self.found + self.missed else 0.0

    def f1(self) -> float:
        precision, recall = self.precision(), self.recall()
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def false_per_k(self) -> float:
        return 1000 * self.false / max(1, self.runs)

    def line(self) -> str:
        text = (
            f"P {self.precision():4.2f} R {self.recall():4.2f} F1 {self.f1():4.2f}  "
            f"false alarms/1k runs {self.false_per_k():5.2f}"
        )
        if self.found:
            text += f"  kind right {self.right_kind / self.found:4.2f}"
        if self.delays:
            delays = np.array(self.delays)
            text += f"  delay median {np.median(delays):.0f} runs"
        if self.late:
            text += f"  (+{self.late} found 6-30 runs late, counted as missed)"
        return text


def ci_copies(
    series: dict[str, np.ndarray],
    names: list[str],
    kind: str,
    reps: int,
    window: int = CLEAN_WINDOW,
):
    """The injected copies of each named series, always the same for a seed; the draws do not
    depend on ``window`` (only the cleaned series under them does), so windows compare paired."""
    for name in names:
        rng = np.random.default_rng([SEED, KINDS.index(kind), *name.encode()])
        base = cleaned(series[name], window)
        for _ in range(reps):
            yield inject(base, kind, rng)


def score_copy(tally: KindTally, kind: str, truth: Injection, hits: np.ndarray, kinds: list[str]):
    tally.runs += truth.runs
    inside = (hits >= truth.start) & (hits <= truth.end)
    tally.false += int((~inside).sum())
    if not inside.any():
        tally.missed += 1
        later = hits[(hits > truth.end) & (hits <= truth.start + 30)]
        tally.late += kind == "level_shift" and len(later) > 0
        return
    tally.found += 1
    if kind != "spike":
        tally.delays.append(int(hits[inside][0] - truth.start))
    tally.right_kind += kind in {k for k, i in zip(kinds, inside, strict=True) if i}


def ci_bench(
    dumps: Path,
    detectors: dict[str, Detector],
    reps: int,
    only: str | None,
    windows: tuple[int, ...] = (CLEAN_WINDOW,),
) -> list[str]:
    """Per-kind figures per half (at each cleaning window); returns them for the summary.

    With the default window alone the output is what it always was; with several, each kind's
    line is printed per window (tagged ``w<N>``) and the robustness table follows."""
    series = ci_series(dumps)
    several = windows != (CLEAN_WINDOW,)
    at = f", cleaning windows {', '.join(map(str, windows))} runs" if several else ""
    print(
        f"\n== CI run durations, SEMI-SYNTHETIC: real durations of successful runs "
        f"({len(series)} workflows from {dumps}), cleaned of their own events, with injected "
        f"anomalies (seed {SEED}, {reps} copies per workflow and kind, one anomaly each{at}) =="
    )
    split = halves(list(series))
    summary = []
    tallies: dict[tuple[str, str, str], dict[int, KindTally]] = {}
    for half, names in split.items():
        if only and half != only:
            continue
        runs = sum(len(series[n]) for n in names)
        print(f"\n-- half {half}: {len(names)} workflows, {runs} real runs --")
        for label, run in detectors.items():
            own = sum(len(run(series[n])[0]) for n in names)
            print(
                f"  {label}: on the untouched real series (real, unlabelled events): "
                f"{1000 * own / runs:.2f} flags per 1k runs"
            )
            for kind in KINDS:
                per_window = tallies.setdefault((half, label, kind), {})
                for window in windows:
                    tally = per_window[window] = KindTally()
                    for values, truth in ci_copies(series, names, kind, reps, window):
                        score_copy(tally, kind, truth, *run(values))
                    tag = f"w{window:<3} " if several else ""
                    print(f"    {kind:<12} {tag}{tally.line()}")
                    if not several:
                        summary.append(f"CI half {half}  {label:<18} {kind:<12} {tally.line()}")
    if several:
        summary += window_table(tallies, windows)
    return summary


def window_table(
    tallies: dict[tuple[str, str, str], dict[int, KindTally]], windows: tuple[int, ...]
) -> list[str]:
    """Prints and returns, per half, detector and kind, F1 and false alarms per 1,000 runs at
    each cleaning window with the worst of them and their range: a tuning change that holds
    only at one window shows here as a bad worst or a wide range."""
    names = [f"w{w}" for w in windows]
    f1_head = "".join(f" {n:>5}" for n in names)
    fa_head = "".join(f" {n:>6}" for n in names)
    header = f"{'':<18} {'kind':<12} F1{f1_head} {'worst':>5} {'range':>5} | FA/1k{fa_head}"
    header += f" {'worst':>6} {'range':>6}"
    print(
        "\n== cleaning-window robustness (semi-synthetic CI): F1 and false alarms per 1k runs "
        "at each window; worst = lowest F1 / most false alarms, range = max - min =="
    )
    lines = []
    half_seen = None
    for (half, label, kind), per_window in tallies.items():
        if half != half_seen:
            half_seen = half
            print(f"\n-- half {half} --\n  {header}")
        # rounded as printed, so that worst and range agree with the cells beside them
        f1 = [round(per_window[w].f1(), 2) for w in windows]
        fa = [round(per_window[w].false_per_k(), 2) for w in windows]
        row = (
            f"{label:<18} {kind:<12}  "
            + "".join(f" {v:5.2f}" for v in f1)
            + f" {min(f1):5.2f} {max(f1) - min(f1):5.2f} |      "
            + "".join(f" {v:6.2f}" for v in fa)
            + f" {max(fa):6.2f} {max(fa) - min(fa):6.2f}"
        )
        print(f"  {row}")
        lines.append(f"CI half {half}  {row}")
    return lines


def false_alarms(
    dumps: Path, kind: str, reps: int, windows: tuple[int, ...], only: str | None
) -> None:
    """Where the agent's false alarms on the ``kind`` copies come from, per half and cleaning
    window: by the flag's kind, by position (before the injection, or 6-30 runs after its
    start: a late find, counted missed and false, or later) and by workflow, with each
    workflow's misses. A diagnosis for tuning on half A (a workflow that gives a third of a
    half's false alarms is a property of that series, not of the detector at large)."""
    series = ci_series(dumps)
    run = ours_on_ci(1.0)
    print(f"\n== where the agent's false alarms on the {kind} copies come from ==")
    for half, names in halves(list(series)).items():
        if only and half != only:
            continue
        for window in windows:
            by_kind: Counter[str] = Counter()
            by_place: Counter[str] = Counter()
            by_workflow: dict[str, list[int]] = {}  # [false alarms, misses]
            for name in names:
                counts = by_workflow.setdefault(name, [0, 0])
                for values, truth in ci_copies(series, [name], kind, reps, window):
                    hits, kinds = run(values)
                    inside = (hits >= truth.start) & (hits <= truth.end)
                    counts[1] += not inside.any()
                    for hit, flagged, found in zip(hits, kinds, inside, strict=True):
                        if found:
                            continue
                        counts[0] += 1
                        by_kind[flagged] += 1
                        place = (
                            "before"
                            if hit < truth.start
                            else "late (6-30 runs)"
                            if hit <= truth.start + 30
                            else "later"
                        )
                        by_place[place] += 1
            worst = sorted(by_workflow.items(), key=lambda item: -item[1][0])[:5]
            print(f"  half {half} w{window}: by kind {dict(by_kind)}, by position {dict(by_place)}")
            print(
                "    most false alarms (false, missed): "
                + ", ".join(f"{name} ({f}, {m})" for name, (f, m) in worst if f)
            )


def speed() -> None:
    rng = np.random.default_rng(SEED)
    values = 100 + rng.normal(0, 5, 20_000).cumsum() * 0.05 + rng.normal(0, 3, 20_000)
    values[rng.integers(0, 20_000, 20)] *= 3
    detect(values[:1000])  # warm up imports and caches
    start = time.perf_counter()
    flags = detect(values)
    took = time.perf_counter() - start
    print(f"\n== speed: {len(values):,} points in {took * 1000:.0f} ms ({len(flags)} flags) ==")


def clean_windows(text: str) -> tuple[int, ...]:
    """``--clean-window``'s value: distinct odd window lengths (a centred median of an even
    window sits half a run off centre), in the order given."""
    try:
        windows = tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from error
    if not windows or any(w < 3 or w % 2 == 0 for w in windows):
        raise argparse.ArgumentTypeError(f"odd window lengths of 3 runs or more: {text!r}")
    return windows


def positive(text: str) -> float:
    """``--ruptures-pen``'s value: a positive number (PELT refuses a penalty of 0 or less)."""
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from error
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a penalty above 0: {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sensitivity", type=float, default=1.0)
    parser.add_argument("--half", choices=["A", "B"], help="only this half")
    parser.add_argument("--reps", type=int, default=5, help="copies per workflow and kind")
    parser.add_argument(
        "--skip",
        choices=["nab", "ci"],
        action="append",
        default=[],
        help="leave out a part: --skip nab runs only the semi-synthetic CI part",
    )
    parser.add_argument(
        "--ruptures-pen",
        type=positive,
        default=PELT_PEN,
        help=f"the ruptures baselines' penalty in units of log(n) (default {PELT_PEN:g}, tuned "
        "on half A)",
    )
    parser.add_argument(
        "--clean-window",
        type=clean_windows,
        default=(CLEAN_WINDOW,),
        metavar="W[,W...]",
        help=f"the CI series' cleaning windows in runs, odd, e.g. 25,41,61: figures per window "
        f"and their worst (default {CLEAN_WINDOW}, the published figures)",
    )
    parser.add_argument(
        "--false-alarms",
        choices=KINDS,
        help="only say where the agent's false alarms on this kind's copies come from "
        "(by kind, position and workflow), at each --clean-window",
    )
    args = parser.parse_args(argv)
    dev = args.shared / "data" / "dev"
    if not dev.is_dir():
        print(f"The shared data is not at {dev}, so there is nothing to measure; skipped.")
        return 0
    if args.false_alarms:
        if (dev / "dumps").is_dir():
            false_alarms(dev / "dumps", args.false_alarms, args.reps, args.clean_window, args.half)
        return 0
    detectors: dict[str, Detector] = {
        "ci-medic (series)": ours(DetectorConfig(sensitivity=args.sensitivity)),
        "mean+3sigma (past)": mean_3sigma,
        "+20% over median": over_median,
    }
    if importlib.util.find_spec("ruptures") is None:
        print("ruptures is not installed (pip install -r requirements-dev.txt): no PELT baseline.")
    else:
        detectors["ruptures PELT"] = pelt_stream(args.ruptures_pen)
        detectors["PELT hindsight*"] = pelt_hindsight(args.ruptures_pen)
    summary = []
    if "nab" not in args.skip and (dev / "anomaly" / "nab").is_dir():
        summary += nab_bench(dev / "anomaly" / "nab", detectors, args.half)
    if "ci" not in args.skip and (dev / "dumps").is_dir():
        on_ci = {"ci-medic (agent)": ours_on_ci(args.sensitivity), **detectors}
        summary += ci_bench(dev / "dumps", on_ci, args.reps, args.half, args.clean_window)
    speed()
    print("\n== summary (CI figures are semi-synthetic) ==")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
