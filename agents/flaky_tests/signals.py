"""Per-result and per-test signals, vectorised over all tests at once.

The results arrive grouped by series (a test in a job) and in time order within a series
(:mod:`.history`), with the infrastructure failures already taken out (:mod:`.infra`). What a
failure means depends on the other results of the same test on the same commit:

- a **flip**: the series also passed on that commit (a re-run, or another run of the same code
  in the same job, passed). The strongest evidence of flakiness there is, and it is evidence
  about this test only: the other tests of that commit did not flip;
- a **cleared** failure: the test passed on that commit, in this job or another. The code is
  not what failed it; a flip is cleared, and so is a failure on Windows of a commit that passed
  on Linux. A pass in another job does not end a failing streak though (a regression that
  breaks one platform only still is one, :mod:`.regression`);
- a **reproduced** failure: the commit has no pass of the test in any job and at least two
  failures (the re-run failed too, or every job that ran it failed). The failure followed the
  code (or a lasting outside cause), so it is no evidence of flakiness;
- a **pushed-over** failure: its commit never passed in its series, and it ran on a topic
  branch that moved on to another commit after it (:func:`branch_signals`). A topic branch's
  next run tests the next push: one push that broke a job and the next that fixed it (pull
  requests do that all the time) explain the failure as well as flakiness does, and a failure
  the next push kept is explained by the code. So it is no flakiness evidence, and the results
  of such a branch are left out of the rate (a flaky failure there could not be told apart).
  A re-run of the failing commit that passes still makes it a flip. On the trunk, whose
  commits were tested before they landed, a later commit's pass keeps counting;
- otherwise an **isolated** failure: flaky unless it belongs to a broken span
  (:mod:`.regression`); only a later commit's pass says it was not lasting.

The exponentially weighted flip rate (how often consecutive results differ, recent ones
weighing more) is the first of the history features that reach F1 0.955 at BMW; it is
reported per test next to the Bayesian estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.flaky_tests.history import pair_codes

__all__ = [
    "BranchSignals",
    "Groups",
    "ResultSignals",
    "branch_signals",
    "flip_rate",
    "groups_of",
    "result_signals",
]


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
    """Per result: ``flip`` (a failure on a commit where its series also passed),
    ``cleared`` (a failure on a commit where its test passed, in any job) and ``reproduced``
    (a failure on a commit where its test failed at least twice and never passed); per test:
    ``same_sha_flips`` (commits where it both passed and failed, in any job)."""

    flip: np.ndarray
    cleared: np.ndarray
    reproduced: np.ndarray
    same_sha_flips: np.ndarray


def result_signals(
    series: np.ndarray,
    test: np.ndarray,
    commit: np.ndarray,
    passed: np.ndarray,
    failed: np.ndarray,
    n_tests: int,
) -> ResultSignals:
    """``series`` and ``test`` are each result's series and test codes; ``failed`` marks the
    failures that are evidence (an outage's are not: a re-run that passes after an outage is no
    flip); ``passed`` the passes."""
    span = int(commit.max(initial=0)) + 1
    own = pair_codes(series, commit, span)
    own_mixed, _ = _on_commit(own, passed, failed)
    key = pair_codes(test, commit, span)
    mixed, reproduced = _on_commit(key, passed, failed)
    first = np.zeros(len(mixed), dtype=np.int64)
    first[key[::-1]] = test[::-1]  # the test of each (test, commit) key
    return ResultSignals(
        flip=failed & own_mixed[own],
        cleared=failed & mixed[key],
        reproduced=failed & reproduced[key],
        same_sha_flips=np.bincount(first[mixed], minlength=n_tests),
    )


def _on_commit(
    key: np.ndarray, passed: np.ndarray, failed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per key: (it both passed and failed, it failed at least twice and never passed)."""
    fails = np.bincount(key, weights=failed)
    passes = np.bincount(key, weights=passed)
    return (fails > 0) & (passes > 0), (fails >= 2) & (passes == 0)


@dataclass(frozen=True)
class BranchSignals:
    """Per result, when branches are known (all False otherwise): ``trunk`` (it ran on the
    trunk) and ``moved_on`` (it ran on a topic branch whose series went on to another commit
    after it: a push came after it and was tested)."""

    trunk: np.ndarray
    moved_on: np.ndarray


def branch_signals(
    series: np.ndarray, commit: np.ndarray, lineage: np.ndarray | None, trunk: int | None = None
) -> BranchSignals:
    """Where each result sits on its branch. ``lineage`` is a branch code per result (0: no
    branch known), results grouped by series and in time order within one.

    The **trunk** is the default branch, where every push and every scheduled run lands, while
    a topic branch holds one pull request's pushes. ``trunk`` names its code when it is known:
    the repository's default branch, or the branch found over the whole history when these
    results are a chunk of its tests (:mod:`.chunks`); -1: none of these results is on it.
    Without it, the branch with the most results is taken for the trunk.
    A topic branch has **moved on** past a result when the series' latest result on that branch
    is on another commit (a commit tested again after a newer one is, conservatively, not)."""
    none = np.zeros(len(series), dtype=bool)
    if lineage is None or not lineage.any():
        return BranchSignals(none, none)
    if trunk is None:
        trunk = 1 + int(np.bincount(lineage)[1:].argmax())
    key = pair_codes(series, lineage, int(lineage.max()) + 1)
    order = np.argsort(key, kind="stable")  # each series' branches, each in time order
    seq_key = key[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = seq_key[1:] != seq_key[:-1]
    branch_no = np.cumsum(last[::-1])[::-1]  # one number along each (series, branch)
    latest = np.zeros(len(order) + 1, dtype=np.int64)
    latest[branch_no[last]] = commit[order][last]
    moved_on = none.copy()
    moved_on[order] = latest[branch_no] != commit[order]
    topic = (lineage != trunk) & (lineage != 0)
    return BranchSignals(trunk=lineage == trunk, moved_on=moved_on & topic)


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
