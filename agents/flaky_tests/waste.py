"""The CI minutes each judged item's failures made re-runs throw away (``minutes_wasted``).

**What counts.** An item (a test, or a job) causes a re-run when it failed in attempt k of a run
and the same job ran again in attempt k + 1 of that run. The minutes wasted are those of the
failed attempt k of that job, the work thrown away. Not the re-run's own minutes: had the item
not failed, one passing attempt would have run anyway, so what its failure added is the failed
attempt (which may also be shorter than the passing one, e.g. when it stopped at the failure).
A failure that was never re-run cost no re-run: 0. A "re-run all jobs" also repeats the jobs that
passed; those are the re-run's choice, not the item's failure, and are not counted.

**Sharing.** One failed job attempt is one piece of thrown-away work, however many tests failed in
it: its minutes are split equally among its distinct failing tests, so that the tests' minutes add
up to the minutes re-runs threw away (charging each the whole would count an outage's job once per
test). A failed attempt in which no test failure is known (the build broke; no report or log was
read) is charged to no test; Flaky Jobs charges it to the job, the only failing item of its own
attempt, which gets the whole. Unknown durations count 0.

**Verdicts.** The minutes are measured for every item whatever its verdict: they are a fact of the
history, which a verdict does not change (a test turning flaky would otherwise gain its past
minutes at once), and only then do they add up to what re-runs cost. The verdict next to them
says what kind of waste it was: ``flaky``, flakiness waste (fix or quarantine the test);
``broken``, a re-run of a failure the code caused, wasted all the same but ended by fixing the
culprit; ``insufficient_data`` and ``stable``, failures the engine does not (yet) blame on the
item, such as its share of a job an outage failed.
"""

from __future__ import annotations

import pandas as pd

from agents.flaky_tests.history import FAIL, normalise_outcomes

__all__ = ["failed_results", "wasted_minutes"]

_KEYS = ["run_id", "attempt", "job"]


def wasted_minutes(history: pd.DataFrame, reruns: pd.DataFrame, job: str = "job") -> pd.Series:
    """Minutes wasted per item (indexed by ``test_id``; items that wasted none are absent), as
    the module docstring defines them.

    ``history`` has ``test_id, outcome, run_id, attempt`` and the column ``job`` that names each
    result's job (``"job"`` for tests, ``"test_id"`` for jobs, whose name is the item);
    ``reruns`` has ``run_id, attempt, job, duration_s``: the failed job attempts a re-run
    followed (:func:`core.store.flaky.rerun_job_attempts`)."""
    if history.empty or reruns.empty:
        return pd.Series(dtype="float64")
    seconds = pd.to_numeric(reruns["duration_s"], errors="coerce").fillna(0.0)
    cost = (
        reruns[_KEYS].assign(minutes=seconds / 60.0).groupby(_KEYS, as_index=False)["minutes"].sum()
    )  # two same-named jobs of one attempt cost both
    failed = failed_results(history, job)
    failures = pd.DataFrame(
        {
            "test_id": failed["test_id"].to_numpy(),
            "run_id": failed["run_id"].to_numpy(),
            "attempt": failed["attempt"].to_numpy(),
            "job": failed[job].to_numpy(),
        }
    ).drop_duplicates()
    charged = failures.merge(cost, on=_KEYS)
    share = charged["minutes"] / charged.groupby(_KEYS)["test_id"].transform("size")
    return share.groupby(charged["test_id"].to_numpy()).sum()


def failed_results(history: pd.DataFrame, job: str = "job") -> pd.DataFrame:
    """The failures of ``history`` with what :func:`wasted_minutes` reads of them (``test_id,
    outcome, run_id, attempt`` and ``job``), in the history's order: the failures of several
    parts of one history (chunks of its tests, :func:`agents.flaky_tests.judge.judge`) put
    together give the same minutes as the whole, as a failed job attempt's minutes are shared
    among its failing tests of every part."""
    failed = normalise_outcomes(history["outcome"])[0] == FAIL
    columns = list(dict.fromkeys(["test_id", "outcome", "run_id", "attempt", job]))
    return history.loc[failed, columns]
