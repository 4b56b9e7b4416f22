"""The Bayesian estimate of a test's intermittent-failure probability.

Each result is a draw: an intermittent failure or not (a result in a broken span, or a
failure reproduced on its commit, is a draw that was *not* intermittent: an always-failing
test is no flaky test). With a Beta prior
the posterior is Beta(a + failures, b + results - failures); its mean is the **score** (the
probabilistic flakiness score, after Meta's: how likely a run of this test fails for no reason
in the code) and its equal-tailed credible interval says how sure that is. A test seen 3 times
gets a wide interval, one seen 300 times a narrow one, so the two are never judged alike.

Counts are recency-weighted (each result counts 0.5 ** (results after it / half-life)), so a
test that stopped flaking drifts back to its prior instead of being flagged forever.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import beta

from agents.flaky_tests.config import Prior

__all__ = ["Posterior", "posterior"]


@dataclass(frozen=True)
class Posterior:
    """Per test: the posterior mean and the lower and upper ends of its credible interval."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


def posterior(failures: np.ndarray, results: np.ndarray, prior: Prior) -> Posterior:
    """``failures`` and ``results`` are (weighted) counts per test, failures <= results."""
    a = prior.a + failures
    b = prior.b + np.maximum(results - failures, 0.0)
    tail = (1.0 - prior.level) / 2
    return Posterior(
        mean=a / (a + b),
        low=beta.ppf(tail, a, b),
        high=beta.ppf(1.0 - tail, a, b),
    )
