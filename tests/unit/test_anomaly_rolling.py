"""The detector's rolling scales: leaving a change's points out of them recomputes only the
points whose window holds one, and gives what a pass over the whole series gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.anomaly_detection.rolling import _scales, baseline, without


def _whole_pass(values: np.ndarray, skip: np.ndarray, history: int) -> tuple:
    """The scales computed over the whole series with the skipped residuals left out."""
    first = baseline(values, 16, history)
    return _scales(np.where(skip, np.nan, first.residual), first.level, history)


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(min_value=1, max_value=700),
    history=st.integers(min_value=8, max_value=120),
    skipped=st.lists(st.integers(min_value=0, max_value=699), max_size=12),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_leaving_points_out_gives_the_whole_passes_scales_bit_for_bit(
    length, history, skipped, seed
):
    values = np.random.default_rng(seed).lognormal(4, 0.4, length)
    values[length // 2 :] *= 1.7
    skip = np.zeros(length, dtype=bool)
    skip[[s for s in skipped if s < length]] = True

    first = baseline(values, 16, history)
    kept = without(first, skip, history)

    whole = _whole_pass(values, skip, history)
    for ours, expected in zip((kept.core, kept.upper, kept.lower), whole, strict=True):
        np.testing.assert_array_equal(ours, expected)
    assert kept.level is first.level and kept.residual is first.residual


def test_points_far_from_every_skipped_one_keep_the_first_pass_scales():
    values = pd.Series(np.random.default_rng(3).lognormal(4, 0.3, 2000)).to_numpy()
    skip = np.zeros(2000, dtype=bool)
    skip[[300, 310]] = True
    first = baseline(values, 16, 100)

    kept = without(first, skip, 100)

    outside = np.ones(2000, dtype=bool)
    outside[301:411] = False
    np.testing.assert_array_equal(kept.core[outside], first.core[outside])
    assert not np.array_equal(kept.core[301:411], first.core[301:411])
