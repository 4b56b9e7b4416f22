"""The one entry point: :func:`judge` a history, one row per test out.

The steps run in an order that keeps each piece of evidence honest: the infrastructure guard
first (an outage is no flakiness evidence about anyone), then what each failure means on its commit,
then broken spans (so a regression's failures are not counted as flakiness), then the
posterior and the verdict, and last the clusters among the flaky tests. Every step is
vectorised over all results at once; the only loops are over the distinct values of a column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.flaky_tests.clusters import cluster_names
from agents.flaky_tests.config import FlakyConfig
from agents.flaky_tests.history import History, read_history
from agents.flaky_tests.infra import infra_mask
from agents.flaky_tests.posterior import posterior
from agents.flaky_tests.regression import Spans, broken_spans
from agents.flaky_tests.signals import flip_rate, groups_of, result_signals
from agents.flaky_tests.verdict import BROKEN, FLAKY, evidence, verdicts

__all__ = ["COLUMNS", "judge"]

COLUMNS = (
    "test_id",
    "verdict",
    "score",
    "score_low",
    "score_high",
    "runs",
    "failures",
    "same_sha_flips",
    "intermittent_failures",
    "infra_failures",
    "skipped",
    "flip_rate",
    "culprit_sha",
    "culprit_run",
    "fixed_sha",
    "first_flake",
    "last_flake",
    "evidence_runs",
    "cluster",
)


def judge(history: pd.DataFrame, config: FlakyConfig | None = None) -> pd.DataFrame:
    """One row per test of ``history`` (in order of first appearance) with the columns of
    ``COLUMNS``: the verdict, the score (posterior mean of the intermittent-failure
    probability) and its credible interval, the counts behind them, the culprit commit of a
    ``broken`` test, the first and last flake (``created_at`` when given, else the run), the
    latest evidence runs and the cluster. See the package docstring for the method."""
    config = config or FlakyConfig()
    h = read_history(history)
    n_tests, test, fail = h.n_tests, h.test, h.fail
    crowded = infra_mask(h, config.infra)
    counted = ~crowded  # results that are evidence about their own test
    groups = groups_of(test, n_tests)
    signals = result_signals(test, h.commit, ~fail, fail & counted, n_tests)
    spans = broken_spans(
        test, h.commit, fail, signals.flip, groups, config.regression, config.prior
    )
    resolved, pending = evidence(
        test, fail & counted, signals.flip, signals.reproduced, spans.inside, groups.pos, n_tests
    )
    weight = np.exp2(-groups.age / config.half_life)
    flake_weight = np.bincount(test, weights=weight * resolved, minlength=n_tests)
    pending_weight = np.bincount(test, weights=weight * pending, minlength=n_tests)
    observed = np.bincount(test, weights=weight * counted, minlength=n_tests)
    score = posterior(flake_weight + config.pending_weight * pending_weight, observed, config.prior)
    runs = _distinct(test, h.run, n_tests)
    latest = _latest_span(spans, n_tests)
    has_span = latest >= 0
    span_end = np.full(n_tests, -1, dtype=np.int64)  # position of the latest span's last result
    span_end[has_span] = groups.pos[spans.end[latest[has_span]]]
    open_span = np.zeros(n_tests, dtype=bool)
    open_span[has_span] = spans.open[latest[has_span]]
    recent = has_span & (groups.counts - 1 - span_end < config.broken_memory)
    since_fix = resolved & (groups.pos > span_end[test])
    flake_since = np.bincount(test, weights=weight * since_fix, minlength=n_tests)
    verdict = verdicts(runs, flake_weight, flake_since, open_span, recent, config)
    flaky_rows = resolved & (verdict[test] == FLAKY)
    frame = pd.DataFrame(
        {
            "test_id": h.tests,
            "verdict": verdict,
            "score": score.mean,
            "score_low": score.low,
            "score_high": score.high,
            "runs": runs,
            "failures": _distinct(test[fail], h.run[fail], n_tests),
            "same_sha_flips": signals.same_sha_flips,
            "intermittent_failures": np.bincount(test[resolved], minlength=n_tests),
            "infra_failures": np.bincount(test[crowded], minlength=n_tests),
            "skipped": h.skipped,
            "flip_rate": flip_rate(test[counted], fail[counted], config.flip_half_life, n_tests),
            "cluster": _objects(
                cluster_names(test[flaky_rows], h.run[flaky_rows], h.tests, config.clusters)
            ),
        }
    )
    _add_culprits(frame, h, spans, latest, verdict == BROKEN)
    _add_flakes(frame, h, resolved, config.max_evidence)
    return frame.loc[:, list(COLUMNS)]


def _distinct(test: np.ndarray, run: np.ndarray, n_tests: int) -> np.ndarray:
    """Per test: how many distinct runs among the given results."""
    if len(test) == 0:
        return np.zeros(n_tests, dtype=np.int64)
    span = int(run.max()) + 1
    key = test * span + run
    if int(key.max()) < max(4 * len(key), 1 << 20):
        seen = np.zeros(int(key.max()) + 1, dtype=bool)
        seen[key] = True
        pairs = np.flatnonzero(seen)
    else:
        pairs = pd.unique(key)
    return np.bincount(pairs // span, minlength=n_tests)


def _latest_span(spans: Spans, n_tests: int) -> np.ndarray:
    """Per test: the index in ``spans`` of its latest broken span, -1 when it has none."""
    latest = np.full(n_tests, -1, dtype=np.int64)
    np.maximum.at(latest, spans.test, np.arange(len(spans.test)))
    return latest


def _add_culprits(
    frame: pd.DataFrame, h: History, spans: Spans, latest: np.ndarray, broken: np.ndarray
) -> None:
    """The culprit (first failing commit and its run) and the fix (the commit of the pass that
    ended the span) of each broken test's latest span; None elsewhere."""
    commit, run = h.commit, h.run
    chosen = latest[broken]
    start, end, is_open = spans.start[chosen], spans.end[chosen], spans.open[chosen]
    culprit_sha = np.full(h.n_tests, None, dtype=object)
    culprit_run = np.full(h.n_tests, None, dtype=object)
    fixed_sha = np.full(h.n_tests, None, dtype=object)
    culprit_sha[broken] = h.commit_labels[commit[start]]
    culprit_run[broken] = h.run_labels[run[start]]
    after = np.minimum(end + 1, len(commit) - 1)
    fixed_sha[broken] = np.where(is_open, None, h.commit_labels[commit[after]])
    frame["culprit_sha"] = _objects(culprit_sha)
    frame["culprit_run"] = _objects(culprit_run)
    frame["fixed_sha"] = _objects(fixed_sha)


def _add_flakes(frame: pd.DataFrame, h: History, resolved: np.ndarray, max_evidence: int) -> None:
    """First and last flake (``created_at`` when given, else the run) and the runs of the
    latest ``max_evidence`` flakes, newest last."""
    rows = np.flatnonzero(resolved)
    marks = (h.stamps if h.stamps is not None else h.run_labels[h.run])[rows]
    flakes = pd.DataFrame({"test": h.test[rows], "mark": marks, "run": h.run_labels[h.run[rows]]})
    by_test = flakes.groupby("test", sort=False)
    first = by_test["mark"].first()
    last = by_test["mark"].last()
    runs = flakes.groupby("test", sort=False).tail(max_evidence).groupby("test")["run"]
    evidence = runs.agg(lambda values: list(dict.fromkeys(values)))
    for name, values in (("first_flake", first), ("last_flake", last)):
        column = np.full(len(frame), None, dtype=object)
        column[values.index.to_numpy()] = values.to_numpy(dtype=object)
        frame[name] = _objects(column)
    runs_of = np.empty(len(frame), dtype=object)
    runs_of[:] = [[] for _ in range(len(frame))]
    runs_of[evidence.index.to_numpy()] = evidence.to_numpy(dtype=object)
    frame["evidence_runs"] = _objects(runs_of)


def _objects(values: np.ndarray) -> pd.Series:
    """A column that keeps None as None (pandas would infer a string column and read NaN)."""
    return pd.Series(values, dtype=object)
