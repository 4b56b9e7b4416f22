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
    "RERUN_COLUMNS",
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


def rerun_pass_probability(history: pd.DataFrame, sets: str = "commit_sha") -> float:
    """The probability a re-run of the job's latest attempt, a failure, passes.

    ``history`` has one row per attempt of one job, in time order: ``outcome``
    (``pass``/``fail``; other outcomes are ignored), the column ``sets`` that tells which
    attempts are re-runs of one another (the bench's re-run sets: a commit; in the store: a
    run, see :func:`rerun_chances`) and optionally ``duration_s``. The earlier sets whose first
    attempt failed and that were re-run are the evidence, and a set passed on re-run when a
    later attempt passed. The latest attempt's own set is left out (its re-run is what is
    asked)."""
    if history.empty or history["outcome"].iloc[-1] != "fail":
        raise ValueError("the latest attempt of the history must be a failure")
    one_job = history.assign(_item="", _series="")  # the many-jobs form, one job long
    chances = rerun_chances(one_job, item="_item", series="_series", sets=sets)
    return float(chances["rerun_pass_probability"].iloc[0])


RERUN_COLUMNS = ("attempt", "created_at", "duration_s", "rerun_pass_probability")


def rerun_chances(
    history: pd.DataFrame, item: str = "test_id", series: str = "job", sets: str = "run_id"
) -> pd.DataFrame:
    """For each item (a job's name) whose newest decided attempt in a series failed, the
    probability that a re-run of that attempt passes, as :func:`rerun_pass_probability` judges
    it; jobs whose newest attempt passed are not asked about and are left out.

    ``history``: the attempts of every item in time order, with ``item``, ``series`` (its
    workflow: two workflows' jobs of one name are two jobs, and only the failed one's own
    re-runs are evidence), ``sets`` (the attempts of one run are re-runs of one another, as
    GitHub re-runs them), ``outcome`` in any spelling :data:`.history.OUTCOMES` knows (a job's
    conclusion: ``success``, ``failure``, ``timed_out``...) and optionally ``attempt``,
    ``created_at`` and ``duration_s``. Returns, indexed by item, the failed attempt
    (``series``, ``sets``, :data:`RERUN_COLUMNS`); where an item's jobs in several series
    failed last, the newest failure. One pass over the history, a few numbers per job that
    just failed."""
    codes = history["outcome"].astype(str).str.lower().map(OUTCOMES)
    decided = codes.isin((PASS, FAIL)).to_numpy()
    frame = pd.DataFrame(
        {
            "item": history[item].astype(str),
            "series": history[series].fillna("").astype(str),
            "set": history[sets],
            "outcome": np.where(codes.eq(PASS), "pass", "fail"),
            "duration_s": pd.to_numeric(history.get("duration_s", np.nan), errors="coerce"),
            "attempt": history.get("attempt", np.nan),
            "created_at": history.get("created_at", None),
        },
        index=history.index,
    )[decided].reset_index(drop=True)
    newest = frame.groupby(["item", "series"], sort=False).tail(1)  # in time order
    failed = newest[newest["outcome"].eq("fail")].groupby("item", sort=False).tail(1)
    failed = failed.set_index(["item", "series"])
    if failed.empty:
        return pd.DataFrame(columns=[series, sets, *RERUN_COLUMNS], index=pd.Index([], name=item))
    keys = pd.MultiIndex.from_frame(frame[["item", "series"]])
    latest_set = pd.Series(failed["set"].to_numpy(), index=failed.index).reindex(keys)
    own = keys.isin(failed.index)  # the failed jobs' attempts, but not their latest run's
    frame = frame[own & (frame["set"].to_numpy() != latest_set.to_numpy())]
    earlier = _rerun_failures(frame, by=["item", "series", "set"]).reset_index()
    per_series = {key: rows for key, rows in earlier.groupby(["item", "series"], sort=False)}
    empty = earlier.iloc[:0]
    chances = [
        similar_failure_rate(
            (rows := per_series.get(key, empty))["duration_s"].to_numpy(),
            rows["passed"].to_numpy(),
            duration,
        )
        for key, duration in zip(failed.index, failed["duration_s"], strict=True)
    ]
    out = failed.reset_index().assign(rerun_pass_probability=chances)
    out = out.rename(columns={"series": series, "set": sets}).set_index("item")
    out.index.name = item
    return out.reindex(columns=[series, sets, *RERUN_COLUMNS])


def _rerun_failures(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per re-run set (per ``by``) whose first attempt failed and that ran again: that attempt's
    duration (NaN when unknown: never a later attempt's) and whether a later attempt passed.
    A failure never re-run says nothing about re-runs."""
    grouped = frame.assign(passing=frame["outcome"].eq("pass")).groupby(by, sort=False)
    first = frame[~frame.duplicated(by)].set_index(by)  # each set's first attempt
    sets = first.assign(attempts=grouped.size(), passes=grouped["passing"].sum())
    failed = sets[sets["outcome"].eq("fail") & sets["attempts"].ge(2)]
    return pd.DataFrame({"duration_s": failed["duration_s"], "passed": failed["passes"] > 0})
