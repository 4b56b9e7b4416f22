"""A well-kept change-point library as the baseline for our level shifts and trends: ruptures.

The Anomaly Detection issue asks for change points from "a well-kept library such as ruptures,
or your own if you can show it is better". ``bench/anomaly_bench.py`` runs these two next to
ours on the same series and scores them the same way, so the claim is measured, not asserted:

- :func:`pelt_stream`: what ruptures can do as a stream, as ours runs. At every point, PELT
  (``KernelCPD`` with the linear kernel: the least-squares cost of a mean change, in C) over the
  last ``window`` points, each divided by the window's median and by a robust noise scale (the
  median absolute difference of neighbours), with a penalty of ``pen`` times log(window). A
  change point that starts a segment at least ``min_new`` points long, no more than
  ``recent`` points back, and not within ``recent`` points of one already reported, is flagged
  at the current point as a level shift.
- :func:`pelt_hindsight`: PELT once over the whole series, normalised the same way, every
  change point flagged where the new segment starts. It sees the future: an upper bound on what
  the library finds, not something a monitor can do (a change is known only after it happens).

``pen`` is tuned on half A only (``--ruptures-pen``), as our settings are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["PELT_PEN", "pelt_hindsight", "pelt_stream"]

# times log(n): the best level-shift F1 on half A of the semi-synthetic CI series (cleaning
# window 25) among 2, 4, 8, ..., 256, for the stream and the hindsight alike (A: stream 0.70,
# hindsight 0.88; at 64 0.62 / 0.76, at 256 0.62 / 0.82)
PELT_PEN = 128.0
WINDOW = 60
MIN_NEW = 4  # points of a new segment before it is reported (ours confirms with 6)
RECENT = 10
WARMUP = 30

Detector = Callable[..., tuple[np.ndarray, list[str]]]


def _normalised(values: np.ndarray) -> np.ndarray:
    """Values as shares of their median, in units of the noise between neighbours."""
    level = float(np.median(values))
    relative = values / level if level else values - level
    noise = float(np.median(np.abs(np.diff(relative)))) / 0.954  # MAD of diffs -> sigma
    return relative / max(noise, 1e-6)


def _breaks(signal: np.ndarray, pen: float) -> list[int]:
    """Where PELT starts new segments in ``signal`` (indices into it)."""
    import ruptures as rpt

    ends = rpt.KernelCPD(kernel="linear", min_size=2).fit(signal).predict(pen=pen)
    return [int(end) for end in ends[:-1]]


def pelt_stream(pen: float = PELT_PEN, window: int = WINDOW) -> Detector:
    """ruptures' PELT as a stream (module docstring)."""

    def run(values: np.ndarray, _stamps: np.ndarray | None = None) -> tuple[np.ndarray, list]:
        x = np.asarray(values, dtype=float)
        hits: list[int] = []
        reported: list[int] = []
        penalty = pen * np.log(window)
        for t in range(WARMUP, len(x)):
            start = max(0, t - window + 1)
            piece = x[start : t + 1]
            if not np.isfinite(piece).all():
                piece = np.nan_to_num(piece, nan=float(np.nanmedian(piece)))
            breaks = _breaks(_normalised(piece), penalty)
            if not breaks:
                continue
            first_new = start + breaks[-1]
            new_points = t - first_new + 1
            if MIN_NEW <= new_points <= RECENT and all(
                abs(first_new - r) > RECENT for r in reported
            ):
                reported.append(first_new)
                hits.append(t)
        return np.array(hits, dtype=int), ["level_shift"] * len(hits)

    return run


def pelt_hindsight(pen: float = PELT_PEN) -> Detector:
    """ruptures' PELT over the whole series at once: sees the future (module docstring)."""

    def run(values: np.ndarray, _stamps: np.ndarray | None = None) -> tuple[np.ndarray, list]:
        x = np.asarray(values, dtype=float)
        x = np.nan_to_num(x, nan=float(np.nanmedian(x)))
        breaks = [b for b in _breaks(_normalised(x), pen * np.log(len(x))) if b >= WARMUP]
        return np.array(breaks, dtype=int), ["level_shift"] * len(breaks)

    return run
