"""Per-result and per-test signals, vectorised over all tests at once.

The results arrive grouped by test and in time order within a test (:mod:`.history`), with the
infrastructure failures already taken out (:mod:`.infra`). What a failure means depends on
the other results of the same test on the same commit:

- a **flip**: the commit also has a pass of this test (a re-run or another run of the same
  code passed). The strongest evidence of flakiness there is, and it is evidence about this
  test only: the other tests of that commit did not flip;
- a **reproduced** failure: the commit has no pass and at least two failures of this test
  (the re-run failed too). The failure followed the code (or a lasting outside cause), so it
  is no evidence of flakiness;
- otherwise an **isolated** failure: flaky unless it belongs to a broken span
  (:mod:`.regression`).

The exponentially weighted flip rate (how often consecutive results differ, recent ones
weighing more) is the first of the history features that reach F1 0.955 at BMW; it is
reported per test next to the Bayesian estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.flaky_tests.history import pair_codes

__all__ = ["Groups", "ResultSignals", "flip_rate", "groups_of", "result_signals"]


@dataclass(frozen=True)
class Groups:
    """Where each test's results are: ``starts[t]`` and ``counts[t]`` in the sorted arrays;
    ``pos`` is each result's position within its test, ``age`` how many results came after."""

    starts: np.ndarray
    counts: np.ndarray
    pos: np.ndarray
    age: np.ndarray


def groups_of(test: np.ndarray, n_tests: int) -> Groups:
    counts = np.bincount(test, minlength=n_tests)
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(test)) - starts[test]
    return Groups(starts, counts, pos, counts[test] - 1 - pos)


@dataclass(frozen=True)
class ResultSignals:
    """Per result: ``flip`` (a failure on a commit where this test also passed) and
    ``reproduced`` (a failure on a commit where it failed at least twice and never passed);
    per test: ``same_sha_flips`` (commits where it both passed and failed)."""

    flip: np.ndarray
    reproduced: np.ndarray
    same_sha_flips: np.ndarray


def result_signals(
    test: np.ndarray, commit: np.ndarray, passed: np.ndarray, failed: np.ndarray, n_tests: int
) -> ResultSignals:
    """``failed`` marks the failures that are evidence (an outage's are not: a re-run that
    passes after an outage is no flip); ``passed`` the passes."""
    key = pair_codes(test, commit, int(commit.max(initial=0)) + 1)
    fails = np.bincount(key, weights=failed)
    passes = np.bincount(key, weights=passed)
    mixed = (fails > 0) & (passes > 0)
    reproduced = (fails >= 2) & (passes == 0)
    first = np.zeros(len(fails), dtype=np.int64)
    first[key[::-1]] = test[::-1]  # the test of each (test, commit) key
    return ResultSignals(
        flip=failed & mixed[key],
        reproduced=failed & reproduced[key],
        same_sha_flips=np.bincount(first[mixed], minlength=n_tests),
    )


def flip_rate(test: np.ndarray, fail: np.ndarray, half_life: float, n_tests: int) -> np.ndarray:
    """Per test: the share of consecutive results that differ, each transition weighted by
    0.5 ** (results after it / ``half_life``); 0 for a test with fewer than two results.
    ``test`` is grouped (each test's results together, in order)."""
    groups = groups_of(test, n_tests)
    changed = np.zeros(len(fail), dtype=bool)
    changed[1:] = fail[1:] != fail[:-1]
    counted = groups.pos > 0  # a test's first result has no predecessor
    weight = np.exp2(-groups.age / half_life) * counted
    total = np.bincount(test, weights=weight, minlength=n_tests)
    flips = np.bincount(test, weights=weight * changed, minlength=n_tests)
    return np.divide(flips, total, out=np.zeros(n_tests), where=total > 0)
