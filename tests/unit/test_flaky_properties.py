"""Properties of the flaky-test engine over generated histories: the order of the tests in the
input never changes a judgement (the order of a test's own rows is its history, so that one
is kept), and the score is always a probability inside its own interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from agents.flaky_tests import judge
from tests.fuzz_settings import fuzz

OUTCOME = st.sampled_from(["pass", "pass", "pass", "fail", "skip"])


@st.composite
def histories(draw: st.DrawFn) -> pd.DataFrame:
    """Up to 8 tests over up to 25 runs (some re-run, some sharing a commit), interleaved by
    run as CI writes them; a test may miss some runs. Sometimes each test runs in one or two
    jobs, and sometimes each run is on one of two branches."""
    n_tests = draw(st.integers(1, 8))
    n_runs = draw(st.integers(1, 25))
    per_commit = draw(st.integers(1, 3))
    with_shas = draw(st.booleans())
    jobs = draw(st.sampled_from([(), ("linux",), ("linux", "windows")]))
    branches = draw(st.lists(st.sampled_from(["main", "fix"]), min_size=n_runs, max_size=n_runs))
    with_branches = draw(st.booleans())
    rows = []
    for run in range(n_runs):
        attempts = draw(st.integers(1, 2))
        for attempt in range(1, attempts + 1):
            for test in range(n_tests):
                if draw(st.integers(0, 9)) == 0:
                    continue  # no result of this test in this run
                for job in jobs or (None,):
                    row = {
                        "test_id": f"pkg.T{test}",
                        "outcome": draw(OUTCOME),
                        "run_id": f"run{run}",
                        "attempt": attempt,
                    }
                    if with_shas:
                        row["commit_sha"] = f"sha{run // per_commit}"
                    if job is not None:
                        row["job"] = job
                    if with_branches:
                        row["branch"] = branches[run]
                    rows.append(row)
    if not rows:
        rows.append({"test_id": "pkg.T0", "outcome": "pass", "run_id": "run0", "attempt": 1})
    return pd.DataFrame(rows)


def _by_test(judged: pd.DataFrame) -> pd.DataFrame:
    return judged.sort_values("test_id").reset_index(drop=True)


@fuzz(60)
@given(histories(), st.randoms(use_true_random=False))
def test_judging_does_not_depend_on_the_order_of_the_tests(history, random):
    tests = sorted(history["test_id"].unique())
    random.shuffle(tests)
    rank = {test: i for i, test in enumerate(tests)}
    shuffled = history.iloc[
        np.argsort(history["test_id"].map(rank).to_numpy(), kind="stable")
    ].reset_index(drop=True)  # grouped by test in a new order, each test's rows in order
    pd.testing.assert_frame_equal(_by_test(judge(history)), _by_test(judge(shuffled)))


@fuzz(60)
@given(histories())
def test_the_score_is_a_probability_inside_its_interval(history):
    judged = judge(history)
    assert len(judged) == history["test_id"].nunique()
    assert ((judged["score_low"] >= 0) & (judged["score_high"] <= 1)).all()
    assert (judged["score_low"] <= judged["score"]).all()
    assert (judged["score"] <= judged["score_high"]).all()
    assert (judged["culprit_sha"].isna() | (judged["verdict"] == "broken")).all()
