"""Explanation shares on the probability scale, from shares of the log-odds.

Why: the page draws every explanation in probabilities (the forest's SHAP values are), but two
models explain themselves in log-odds: the prior (a logistic model, whose inputs' shares of the
log-odds are exact) and the boosted trees (TreeExplainer's values of a gradient-boosting
classifier). Each run's log-odds shares are scaled to its probability change from the expected
probability: the same signs and proportions, and they add up to the probability shown.
"""

from __future__ import annotations

import numpy as np

__all__ = ["probability_shares", "sigmoid"]


def sigmoid(log_odds: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(log_odds, dtype=float)))


def probability_shares(
    log_odds_shares: np.ndarray, expected: float, probability: np.ndarray
) -> np.ndarray:
    """``log_odds_shares`` (runs x features) scaled so that each run's shares add up to its
    ``probability`` less ``expected`` (a run whose log-odds shares cancel out keeps zeros)."""
    shares = np.asarray(log_odds_shares, dtype=float)
    total = shares.sum(axis=1, keepdims=True)
    change = (np.asarray(probability, dtype=float) - expected)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(total) > 1e-12, shares / total, 0.0) * change
