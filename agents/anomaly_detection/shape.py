"""Step or slope: which shape the recent points of a change have.

A level shift and a trend both move the level; told apart by which fits the recent points
better, a step (two medians) or a line (a robust Theil-Sen slope), both by absolute error so
one slow run does not decide.
"""

from __future__ import annotations

import numpy as np

from agents.anomaly_detection.model import Kind

__all__ = ["change_kind"]

_CLEARLY = 0.8  # the other shape must fit this much better to overrule the test that fired


def change_kind(window: np.ndarray, *, shift_fired: bool) -> Kind:
    """``level_shift`` or ``trend`` for a change whose last points are ``window``; the test
    that fired (the shift test, else the trend test) decides unless the other shape fits
    clearly better."""
    step, line = _step_cost(window), _line_cost(window)
    if shift_fired:
        return "trend" if line < _CLEARLY * step else "level_shift"
    return "level_shift" if step < _CLEARLY * line else "trend"


def _step_cost(window: np.ndarray) -> float:
    """Absolute error of the best one-step (two medians) fit: small for a level shift."""
    best = float(np.sum(np.abs(window - np.median(window))))
    for cut in range(3, len(window) - 2):
        left, right = window[:cut], window[cut:]
        cost = np.sum(np.abs(left - np.median(left))) + np.sum(np.abs(right - np.median(right)))
        best = min(best, float(cost))
    return best


def _line_cost(window: np.ndarray) -> float:
    """Absolute error of a robust (Theil-Sen) line: small for a steady drift."""
    n = len(window)
    if n < 3:
        return float("inf")
    i, j = np.triu_indices(n, 1)
    slope = float(np.median((window[j] - window[i]) / (j - i)))
    offsets = window - slope * np.arange(n)
    return float(np.sum(np.abs(offsets - np.median(offsets))))
