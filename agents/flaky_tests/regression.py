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
produces streaks of two or three by chance, a test that never failed does not. The **culprit**
is the commit of the first failure of the span, so a flaky test's isolated failures before it
(each followed by a pass) do not move it; its **fix** is the commit of the pass that ended it,
none while the span is still failing.

Streaks are looked for in two orders. In the series' time order (every branch's runs
interleaved), which is how a regression on the default branch shows: it fails every run from
the culprit on, pull requests included, until the fix. And, when the history says which branch
each run is of, along each **branch lineage** (the series' results on one branch, in order):
a regression confined to a feature branch fails that branch's consecutive commits while the
other branches keep passing between them, which in time order looks like isolated failures,
each followed by a pass, that is like flakiness. Along its branch it is a streak like any
other, stopped by a later commit of that branch (the fix). A result inside a span of either
order is no flakiness evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.flaky_tests.config import Prior, RegressionRule
from agents.flaky_tests.history import pair_codes
from agents.flaky_tests.signals import Groups

__all__ = ["Spans", "broken_spans"]


@dataclass(frozen=True)
class Spans:
    """Accepted spans, ordered by series: the series (``test``), its first and last result
    (``start``, ``end``) and the pass that ended it (``fixed``, -1 while it still fails on its
    branch) as indexes of the sorted results; ``open`` when its last failure is its series'
    last result. Per result, ``inside``: it belongs to a span."""

    test: np.ndarray
    start: np.ndarray
    end: np.ndarray
    fixed: np.ndarray
    open: np.ndarray
    inside: np.ndarray


@dataclass(frozen=True)
class _Found:
    """Spans found in one order, as indexes of the sorted results."""

    test: np.ndarray
    start: np.ndarray
    end: np.ndarray
    fixed: np.ndarray
    inside: np.ndarray


@dataclass(frozen=True)
class _Series:
    """What the streak test reads, per result and per series."""

    test: np.ndarray  # series code per result
    commit: np.ndarray  # commit code per result
    streaking: np.ndarray  # a failure that may extend a streak (a flip ends one)
    loose: np.ndarray  # a failure that outage and code do not explain (see broken_spans)
    results: np.ndarray  # per series
    failures: np.ndarray  # per series
    loose_failures: np.ndarray  # per series
    rule: RegressionRule
    prior: Prior


def broken_spans(
    test: np.ndarray,
    commit: np.ndarray,
    fail: np.ndarray,
    flip: np.ndarray,
    loose: np.ndarray,
    groups: Groups,
    rule: RegressionRule,
    prior: Prior,
    lineage: np.ndarray | None = None,
) -> Spans:
    """The broken spans of every series, in time order and (``lineage``: a branch code per
    result) along each branch. ``loose`` marks the failures no outage and no reproduction on
    their commit explains: the ones that say a test is intermittent."""
    n_series = len(groups.counts)
    series = _Series(
        test=test,
        commit=commit,
        streaking=fail & ~flip,
        loose=loose,
        results=groups.counts,
        failures=np.bincount(test, weights=fail, minlength=n_series),
        loose_failures=np.bincount(test, weights=loose, minlength=n_series),
        rule=rule,
        prior=prior,
    )
    found = [_spans_along(np.arange(len(test)), test, series)]
    if lineage is not None and len(np.unique(lineage)) > 1:
        branch = pair_codes(test, lineage, int(lineage.max(initial=0)) + 1)
        order = np.argsort(branch, kind="stable")  # each series' branches, each in time order
        found.append(_spans_along(order, branch, series))
    return _merged(found, groups)


def _spans_along(order: np.ndarray, key: np.ndarray, series: _Series) -> _Found:
    """Spans among the results read in ``order`` (sequences of equal ``key``, each in time
    order); the rule's chance is computed on the whole series, so that reading a series along
    its branches makes no streak likelier to pass."""
    rule, size = series.rule, len(order)
    seq_key, seq_fail = key[order], series.streaking[order]
    seq_commit = series.commit[order]
    first = np.ones(size, dtype=bool)
    first[1:] = seq_key[1:] != seq_key[:-1]
    last = np.ones(size, dtype=bool)
    last[:-1] = first[1:]
    begins = seq_fail.copy()
    begins[1:] &= ~seq_fail[:-1] | first[1:]
    ids = np.cumsum(begins) - 1
    start = np.flatnonzero(begins)
    length = np.bincount(ids[seq_fail], minlength=len(start))
    new_commit = np.ones(size, dtype=bool)
    new_commit[1:] = seq_commit[1:] != seq_commit[:-1]
    changes = new_commit[seq_fail] & ~begins[seq_fail]
    commits = 1 + np.bincount(ids[seq_fail], weights=changes, minlength=len(start))
    loose = np.bincount(ids[seq_fail], weights=series.loose[order][seq_fail], minlength=len(start))
    candidate = (length >= rule.min_results) & (commits >= rule.min_commits)
    start, length, loose = start[candidate], length[candidate], loose[candidate]
    owner = series.test[order[start]]
    seen = series.results[owner]
    elsewhere = series.loose_failures[owner] > loose
    rate = _streak_rate(series.failures[owner], seen, length, elsewhere, series.prior)
    places = seen - length + 1
    chance = -np.expm1(places * np.log1p(-(rate**length)))
    keep = chance < rule.alpha
    start, length, owner = start[keep], length[keep], owner[keep]
    end = start + length - 1
    after = np.minimum(end + 1, size - 1)
    fixed = np.where(last[end], -1, order[after])
    marks = np.zeros(size + 1, dtype=np.int64)
    np.add.at(marks, start, 1)
    np.add.at(marks, end + 1, -1)
    inside = np.zeros(size, dtype=bool)
    inside[order] = np.cumsum(marks[:-1]) > 0
    return _Found(owner, order[start], order[end], fixed, inside)


def _streak_rate(
    failures: np.ndarray,
    results: np.ndarray,
    length: np.ndarray,
    elsewhere: np.ndarray,
    prior: Prior,
) -> np.ndarray:
    """The intermittent-failure rate a streak is weighed against (posterior mean). A test
    that also fails intermittently outside the streak (``elsewhere``) is a flaky test, and the
    streak's failures are as much evidence of how often it fails as its others: a test failing
    20% of the time fails five times in a row now and then, and leaving those five out would
    call that a regression. A test that fails nowhere else (an outage or a failure every job
    reproduced is no sign of flakiness) has only the prior's rate to offer, which is what makes
    two failures in a row on a branch's consecutive commits stand out."""
    return np.where(
        elsewhere,
        (prior.a + failures) / (prior.a + prior.b + results),
        (prior.a + failures - length) / (prior.a + prior.b + results - length),
    )


def _merged(found: list[_Found], groups: Groups) -> Spans:
    """The spans of every order together, ordered by series and then start."""
    test = np.concatenate([f.test for f in found])
    start = np.concatenate([f.start for f in found])
    end = np.concatenate([f.end for f in found])
    fixed = np.concatenate([f.fixed for f in found])
    inside = np.logical_or.reduce([f.inside for f in found])
    order = np.lexsort((start, test))
    end = end[order]
    return Spans(
        test=test[order],
        start=start[order],
        end=end,
        fixed=fixed[order],
        open=groups.age[end] == 0,
        inside=inside,
    )
