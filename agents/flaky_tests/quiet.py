"""Tests that never failed: their verdicts from counts, without the method's steps.

Why: in a long history most results belong to tests that never fail (the demo at 100k runs:
~83% of its 42 million results), and every step of the method (:mod:`.judge`) has nothing
to find in them: no failure to explain, no broken span, no flake, no cluster. What their
verdict reads is counts: the runs (``insufficient_data`` below ``min_runs``, else
``stable``) and the score, the posterior of no intermittent failure in the results that could
have told one, recency-weighted (a result on a topic branch that moved on to another commit
could not: :func:`.signals.branch_signals`). Here those counts are computed in a few passes
over the rows, and they are the verdicts :func:`.judge.judge` gives the same tests, number for
number (the chunk tests check it): each sum adds the same terms in the same order.

A long history's chunks (:mod:`.chunks`) put such tests in chunks of their own, which come
here; a short one is judged whole by the method, quiet tests with the others.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from agents.flaky_tests.config import FlakyConfig
from agents.flaky_tests.history import (
    SKIP,
    commit_codes,
    distinct_per,
    name_codes,
    normalise_outcomes,
    present_codes,
    run_codes,
    series_codes,
)
from agents.flaky_tests.posterior import posterior
from agents.flaky_tests.verdict import INSUFFICIENT, SPEAKING_RANK, STABLE

__all__ = ["judge_quiet", "NO_SPEAKER"]

NO_SPEAKER = -1  # a quiet test's speaking series is in no cluster


def judge_quiet(
    frame: pd.DataFrame,
    config: FlakyConfig,
    positions: np.ndarray,
    trunk: Hashable | None,
) -> pd.DataFrame:
    """One row per test of ``frame`` (rows of tests with no failure, in input order; each
    test's rows all here), in order of first appearance, with the columns of the method's
    per-test frame (:func:`.judge._by_test`). ``positions``: each row's place in the whole
    history (a row without a run is a run of its own); ``trunk``: the whole history's trunk
    (None: no result is on a branch)."""
    outcome, _ = normalise_outcomes(frame["outcome"])
    test_code, test_ids = name_codes(frame["test_id"])
    series, series_test, _ = series_codes(test_code, frame.get("job"))
    del test_code
    n_series, n_tests = len(series_test), len(test_ids)
    keep = outcome != SKIP
    skipped = np.bincount(series[~keep], minlength=n_series)
    series = series[keep]
    every_run, run_labels = run_codes(frame.get("run_id"), positions)
    run = every_run[keep]
    # each result's age: how many results of its series came after it (rows are in time order)
    counts = np.bincount(series, minlength=n_series)
    pos = pd.Series(series).groupby(series, sort=False).cumcount().to_numpy(dtype=np.int64)
    age = counts[series] - 1 - pos
    weight = np.exp2(-age / config.half_life)
    telling = ~_moved_on(frame, keep, series, every_run, len(run_labels), trunk)
    observed = np.bincount(series, weights=weight * telling, minlength=n_series)
    score = posterior(np.zeros(n_series), observed, config.prior)
    runs = distinct_per(series, run, n_series)
    verdict = np.where(runs < config.min_runs, INSUFFICIENT, STABLE).astype(object)
    ranked = pd.DataFrame(
        {
            "_series": np.arange(n_series),
            "_test": series_test,
            "_rank": pd.Series(verdict).map(SPEAKING_RANK).to_numpy(),
            "_neg_score": -score.mean,
        }
    ).sort_values(["_test", "_rank", "_neg_score"], kind="stable")
    speaker = ranked.drop_duplicates("_test").sort_values("_test")["_series"].to_numpy()
    zeros = np.zeros(n_tests, dtype=np.int64)
    by_test = pd.DataFrame(
        {
            "test_id": test_ids,
            "verdict": verdict[speaker],
            "score": score.mean[speaker],
            "score_low": score.low[speaker],
            "score_high": score.high[speaker],
            "flip_rate": np.zeros(n_tests),
            "runs": distinct_per(series_test[series], run, n_tests),
            "failures": zeros,
            "same_sha_flips": zeros,
            "intermittent_failures": zeros,
            "infra_failures": zeros,
            "skipped": np.bincount(series_test, weights=skipped, minlength=n_tests).astype(
                np.int64
            ),
        }
    )
    for name in ("culprit_sha", "culprit_run", "fixed_sha", "first_flake", "last_flake"):
        by_test[name] = pd.Series(np.full(n_tests, None, dtype=object), dtype=object)
    for name in ("jobs", "evidence_runs"):
        empty = np.empty(n_tests, dtype=object)
        empty[:] = [[] for _ in range(n_tests)]
        by_test[name] = pd.Series(empty, dtype=object)
    by_test["_speaker"] = NO_SPEAKER
    return by_test


def _moved_on(
    frame: pd.DataFrame,
    keep: np.ndarray,
    series: np.ndarray,
    every_run: np.ndarray,
    n_runs: int,
    trunk: Hashable | None,
) -> np.ndarray:
    """Per kept result: it ran on a topic branch on which its series went on to another
    commit after it (:func:`.signals.branch_signals`, with the whole history's trunk).
    ``every_run``: each row's run code (a commit left blank is its run's own)."""
    moved = np.zeros(len(series), dtype=bool)
    if trunk is None or "branch" not in frame.columns:
        return moved
    branch, branches = present_codes(frame["branch"])
    lineage = branch[keep] + 1  # 0: no branch
    found = int(pd.Index(branches).get_indexer([trunk])[0])
    trunk_code = found + 1 if found >= 0 else -1  # -1: none of these results is on it
    topic = np.flatnonzero((lineage != 0) & (lineage != trunk_code))
    if not len(topic):
        return moved
    commit = commit_codes(frame.get("commit_sha"), every_run, n_runs)[0][keep][topic]
    key = series[topic].astype(np.int64) * (len(branches) + 1) + lineage[topic]
    latest = pd.Series(commit).groupby(key, sort=False).transform("last").to_numpy()
    moved[topic] = latest != commit
    return moved
