"""Every setting of the flaky-test engine, in one frozen object.

Defaults were chosen on the first half of the development data only (see
``bench/flaky_bench.py``): Illinois projects of half A, GitHub re-runs of half A and the
semi-synthetic histories; the other halves are the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ClusterRule", "FlakyConfig", "InfraGuard", "Prior", "QuarantineRule", "RegressionRule"]


@dataclass(frozen=True)
class InfraGuard:
    """When at least ``share`` of the tests with a result in one execution (a run attempt, and
    a job of it when jobs are known) fail, and at least ``min_tests`` had a result there, the
    failures are an outage or a lost runner, not evidence about any one test. So are at least
    ``crowd`` failures that are at least ``crowd_share`` of the execution's results: a runner
    lost in one job of a matrix of four fails a quarter of the run's tests, and without a job
    column the run is all the guard sees (the spliced histories of ``bench/flaky_bench.py``
    without their job column, half A: flaky precision 0.28 -> 1.00 at the same recall). A
    flaky cluster of ten tests or more failing at once is then taken for the environment it
    most likely is."""

    share: float = 0.5
    min_tests: int = 5
    crowd: int = 10
    crowd_share: float = 0.2


@dataclass(frozen=True)
class RegressionRule:
    """A failing streak is a broken span when it is long enough (``min_results`` results over
    ``min_commits`` commits) and the test's own flakiness cannot explain it: the chance that
    a test failing intermittently at the rate seen outside the streak fails this many times in
    a row somewhere in its history is below ``alpha``. Two results on two commits are enough
    when that chance is small (a pull request broken by one push and fixed two pushes later
    fails twice in a row on its branch); a test that fails now and then rarely gets there."""

    min_results: int = 2
    min_commits: int = 2
    alpha: float = 1e-3


@dataclass(frozen=True)
class Prior:
    """Beta(``a``, ``b``) prior on a test's intermittent-failure probability (its mean a/(a+b)
    is what a test with no history is assumed to have); ``level`` is the credible level of the
    reported interval."""

    a: float = 0.5
    b: float = 10.0
    level: float = 0.9


@dataclass(frozen=True)
class ClusterRule:
    """Two flaky tests flake together when their intermittent failures share at least
    ``min_shared`` runs and the Jaccard index of those runs is at least ``min_jaccard``."""

    min_jaccard: float = 0.5
    min_shared: int = 2


@dataclass(frozen=True)
class QuarantineRule:
    """The quarantine list's contract (:mod:`agents.flaky_tests.quarantine`).

    An entry expires ``expiry_days`` after it was made (or renewed), and is then re-evaluated.
    A test counts as clean after ``min_clean_runs`` runs in a row without a failure: it does
    not enter, and an expired entry leaves. Before its expiry an entry is released by
    evidence when, after at least ``min_clean_runs`` clean runs, the upper end of the credible
    interval (the engine's prior and level) of its flake rate since its last failure is below
    ``release_below`` and below the lower end of the rate its history shows (the clean streak
    says it flakes less than it did). Released entries are listed with the reason for
    ``keep_released_days``."""

    expiry_days: int = 30
    min_clean_runs: int = 30
    release_below: float = 0.05
    keep_released_days: int = 90


@dataclass(frozen=True)
class FlakyConfig:
    """``half_life``: results after which a piece of evidence counts half (so a one-off failure
    is forgotten instead of flagged forever); ``flip_half_life``: the same for the reported
    flip rate; ``pending_weight``: what a failure counts in the score when no result came
    after it yet (it may be the start of a regression); ``flaky_weight``: the recency-weighted
    intermittent failures (flips, or failures followed by a pass) that make a test flaky;
    ``later_pass_weight``: what an intermittent failure counts toward that when its commit
    never passed (only a later commit did: a push that broke the test and the next push that
    fixed it explain it as well as flakiness does), one whose commit passed counting 1;
    ``trunk_pass_weight``: the same for such a failure on the trunk of a history with branches
    (its commits were tested before they landed, so the next one's fix is a rarer explanation;
    a topic branch's failure that a later push of the branch followed is no evidence at all,
    :mod:`agents.flaky_tests.signals`);
    ``broken_memory``: results after its fix during which a regression keeps a test
    ``broken``; ``min_score``: the score (posterior mean of the intermittent-failure rate) a
    ``flaky`` verdict needs besides its evidence, none by default: one flip in 200 runs of a
    test is a flaky test, while a job (exposed to every runner, network and registry hiccup,
    with too few jobs in a run for the infrastructure guard to see an outage) that a re-run
    rescued once in 400 runs is not (:mod:`agents.flaky_tests.agent`); ``min_runs``: fewer
    runs are ``insufficient_data``; ``max_evidence``: evidence runs listed per test."""

    infra: InfraGuard = field(default_factory=InfraGuard)
    regression: RegressionRule = field(default_factory=RegressionRule)
    prior: Prior = field(default_factory=Prior)
    clusters: ClusterRule = field(default_factory=ClusterRule)
    half_life: float = 1000.0
    flip_half_life: float = 50.0
    pending_weight: float = 0.5
    flaky_weight: float = 0.75
    later_pass_weight: float = 1.0
    trunk_pass_weight: float = 1.0
    broken_memory: int = 1000
    min_score: float = 0.0
    min_runs: int = 5
    max_evidence: int = 10
