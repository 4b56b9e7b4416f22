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

__all__ = ["SIMILAR_FACTOR", "PRIOR_WEIGHT", "rerun_pass_probability", "similar_failure_rate"]

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


def _rerun_failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Per commit whose first attempt failed and that ran again: that attempt's duration and
    whether a later attempt passed. A failure never re-run says nothing about re-runs."""
    sets = frame.groupby("commit_sha", sort=False).agg(
        first=("outcome", "first"),
        duration_s=("duration_s", "first"),
        attempts=("outcome", "size"),
        passes=("outcome", lambda outcomes: int((outcomes == "pass").sum())),
    )
    failed = sets[(sets["first"] == "fail") & (sets["attempts"] >= 2)]
    return pd.DataFrame({"duration_s": failed["duration_s"], "passed": failed["passes"] > 0})
