"""Broken spans: a test that starts failing at a commit and keeps failing.

A streak is a maximal run of consecutive failures of one test that are not flips (a failure on
a commit where the test also passed is flakiness, so it ends a streak rather than extending
it). A streak is a **broken span** when

- it is long enough: ``min_results`` results over at least ``min_commits`` commits (a failure
  reproduced on one commit only cannot tell a regression from a lasting outside cause), and
- the test's own flakiness cannot explain it: with the intermittent-failure rate the test
  shows outside the streak (posterior mean, :mod:`.posterior`'s prior), the chance of a run
  of that many failures anywhere in its history is below ``alpha``.

The second test is what makes the detection flake-aware: a test that fails 30% of the time
produces streaks of three by chance, a test that never failed does not. The **culprit** is
the commit of the first failure of the span, so a flaky test's isolated failures before it
(each followed by a pass) do not move it; the span is **open** when the test has not passed
since, else its fix is the commit of the pass that ended it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.flaky_tests.config import Prior, RegressionRule
from agents.flaky_tests.signals import Groups

__all__ = ["Spans", "broken_spans"]


@dataclass(frozen=True)
class Spans:
    """Accepted spans (``test``, first result ``start`` and last result ``end`` as indexes of
    the sorted results, ``open`` when it reaches the test's last result) and, per result,
    ``inside`` (it belongs to a span)."""

    test: np.ndarray
    start: np.ndarray
    end: np.ndarray
    open: np.ndarray
    inside: np.ndarray


def broken_spans(
    test: np.ndarray,
    commit: np.ndarray,
    fail: np.ndarray,
    flip: np.ndarray,
    groups: Groups,
    rule: RegressionRule,
    prior: Prior,
) -> Spans:
    size = len(test)
    streaking = fail & ~flip
    begins = streaking.copy()
    begins[1:] &= ~streaking[:-1] | (groups.pos[1:] == 0)
    ids = np.cumsum(begins) - 1
    start = np.flatnonzero(begins)
    length = np.bincount(ids[streaking], minlength=len(start))
    new_commit = np.ones(size, dtype=bool)
    new_commit[1:] = commit[1:] != commit[:-1]
    changes = new_commit[streaking] & ~begins[streaking]
    commits = 1 + np.bincount(ids[streaking], weights=changes, minlength=len(start))
    candidate = (length >= rule.min_results) & (commits >= rule.min_commits)
    start, length = start[candidate], length[candidate]
    owner = test[start]
    results = groups.counts[owner]
    failures = np.bincount(test, weights=fail, minlength=len(groups.counts))[owner]
    rate = (prior.a + failures - length) / (prior.a + prior.b + results - length)
    places = results - length + 1
    chance = -np.expm1(places * np.log1p(-(rate**length)))
    keep = chance < rule.alpha
    start, length, owner = start[keep], length[keep], owner[keep]
    end = start + length - 1
    inside = np.zeros(size + 1, dtype=np.int64)
    np.add.at(inside, start, 1)
    np.add.at(inside, end + 1, -1)
    return Spans(
        test=owner,
        start=start,
        end=end,
        open=groups.age[end] == 0,
        inside=np.cumsum(inside[:-1]) > 0,
    )
