"""Will a re-run of a job's latest failure pass? Judged from the job's earlier failures that
were re-run, the ones that lasted about as long as this one weighing most.

A job fails in different ways, and the way it fails shows in how long the failed attempt ran:
a compile error stops it after the build, a broken test after the test step, a lost runner or
a timeout somewhere else. Earlier failures of about the same length most likely failed the
same way, so their re-runs' outcome is the best guide to this one's: if they passed when
re-run, this one likely will; if the re-run reproduced them, it likely will too. The job's
re-run pass rate over all its earlier failures is the prior they are shrunk towards (a job
without earlier failures of that length, or without durations, gets its rate alone).

On the GitHub Actions re-run data (``bench/flaky_bench.py``, part (b), its two constants
chosen on half A) this ranks re-runs better than the job's re-run pass rate alone on both
halves, for job and workflow re-runs. The failure's length against the job's usual run time
does not: there, failures much shorter than usual were *less* often fixed by a re-run (a job
that stops early mostly stops on something deterministic), so lengths are compared with the
job's own earlier failures only, never against a fixed cut or its passing runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.flaky_tests.history import FAIL, OUTCOMES, PASS

__all__ = [
    "SIMILAR_FACTOR",
    "PRIOR_WEIGHT",
    "rerun_chances",
    "rerun_pass_probability",
    "similar_failure_rate",
]

SIMILAR_FACTOR = 1.5  # durations within this factor of each other are "about as long"
PRIOR_WEIGHT = 1.0  # how many similar failures the job's overall rate is worth
RATE_PRIOR = (1.4, 0.6)  # Beta prior of the job's rate: a re-run passes 70% of the time


def similar_failure_rate(
    durations: np.ndarray,
    passed: np.ndarray,
    duration: float | None,
    factor: float = SIMILAR_FACTOR,
    weight: float = PRIOR_WEIGHT,
) -> float:
    """The probability a re-run of a failure lasting ``duration`` seconds passes, given the
    job's earlier re-run failures: their first attempts' ``durations`` (NaN when unknown) and
    whether a re-run ``passed``. The job's rate (a Beta prior, so a new job gets 70%) counts
    as ``weight`` failures next to the similar ones; the similar ones are counted whole,
    because one failure of the same length says more than many of other lengths."""
    durations = np.asarray(durations, dtype=float)
    passed = np.asarray(passed, dtype=bool)
    rate = (passed.sum() + RATE_PRIOR[0]) / (len(passed) + sum(RATE_PRIOR))
    if duration is None or np.isnan(duration) or not len(durations):
        return float(rate)
    similar = _similar(durations, float(duration), factor)
    return float((passed[similar].sum() + weight * rate) / (similar.sum() + weight))


def _similar(durations: np.ndarray, duration: float, factor: float) -> np.ndarray:
    """Which durations are within ``factor`` of ``duration``, compared as log(1 + seconds) so
    that failures of 0 s and 1 s are alike and unknown durations (NaN) are like nothing."""
    with np.errstate(invalid="ignore"):
        return np.abs(np.log1p(durations) - np.log1p(duration)) < np.log(factor)


def rerun_pass_probability(history: pd.DataFrame) -> float:
    """The probability a re-run of the job's latest attempt, a failure, passes.

    ``history`` has one row per attempt of one job, in time order: ``commit_sha``,
    ``outcome`` (``pass``/``fail``; other outcomes are ignored) and optionally ``duration_s``.
    The attempts of one commit are a re-run set: the earlier sets whose first attempt failed
    and that were re-run are the evidence, and the set passed on re-run when a later attempt
    passed. The latest attempt's own set is left out (its re-run is what is asked)."""
    if history.empty or history["outcome"].iloc[-1] != "fail":
        raise ValueError("the latest attempt of the history must be a failure")
    durations = history.get("duration_s", np.nan)
    frame = history.assign(duration_s=pd.to_numeric(durations, errors="coerce"))
    frame = frame[frame["outcome"].isin(("pass", "fail"))]
    latest = frame.iloc[-1]
    earlier = _rerun_failures(frame[frame["commit_sha"] != latest["commit_sha"]])
    return similar_failure_rate(
        earlier["duration_s"].to_numpy(), earlier["passed"].to_numpy(), latest["duration_s"]
    )


def rerun_chances(history: pd.DataFrame, item: str = "test_id") -> pd.Series:
    """Per item (a job's name) whose latest decided attempt failed, the probability that a
    re-run of it passes, as :func:`rerun_pass_probability` judges one item; items whose latest
    attempt passed are not asked about and are left out.

    ``history``: the attempts of every item in time order, ``item``, ``commit_sha``,
    ``outcome`` in any spelling :data:`agents.flaky_tests.history.OUTCOMES` knows (a job's
    conclusion: ``success``, ``failure``, ``timed_out``...) and optionally ``duration_s``. One
    pass over the history: the re-run sets of every item at once, then a few numbers per item
    that just failed."""
    codes = history["outcome"].astype(str).str.lower().map(OUTCOMES)
    decided = codes.isin((PASS, FAIL)).to_numpy()
    durations = history.get("duration_s", np.nan)
    frame = pd.DataFrame(
        {
            "item": history[item].astype(str),
            "commit_sha": history["commit_sha"].astype(str),
            "outcome": np.where(codes.eq(PASS), "pass", "fail"),
            "duration_s": pd.to_numeric(durations, errors="coerce"),
        },
        index=history.index,
    )[decided].reset_index(drop=True)
    latest = frame.groupby("item", sort=False).tail(1).set_index("item")
    latest = latest[latest["outcome"].eq("fail")]
    if latest.empty:
        return pd.Series(dtype=float, name="rerun_pass_probability")
    frame = frame[frame["item"].isin(latest.index)]
    frame = frame[frame["commit_sha"].ne(frame["item"].map(latest["commit_sha"]))]
    earlier = _rerun_failures(frame, by=["item", "commit_sha"]).reset_index()
    per_item = dict(tuple(earlier.groupby("item", sort=False)))
    empty = earlier.iloc[:0]
    chances = {
        name: similar_failure_rate(
            (sets := per_item.get(name, empty))["duration_s"].to_numpy(),
            sets["passed"].to_numpy(),
            row.duration_s,
        )
        for name, row in latest.iterrows()
    }
    return pd.Series(chances, dtype=float, name="rerun_pass_probability")


def _rerun_failures(frame: pd.DataFrame, by: str | list[str] = "commit_sha") -> pd.DataFrame:
    """Per commit (per ``by``) whose first attempt failed and that ran again: that attempt's
    duration (NaN when unknown: never a later attempt's) and whether a later attempt passed.
    A failure never re-run says nothing about re-runs."""
    grouped = frame.assign(passing=frame["outcome"].eq("pass")).groupby(by, sort=False)
    first = frame[~frame.duplicated(by)].set_index(by)  # each set's first attempt
    sets = first.assign(attempts=grouped.size(), passes=grouped["passing"].sum())
    failed = sets[sets["outcome"].eq("fail") & sets["attempts"].ge(2)]
    return pd.DataFrame({"duration_s": failed["duration_s"], "passed": failed["passes"] > 0})
