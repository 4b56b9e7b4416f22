"""The infrastructure guard: executions where a large share of the tests fail together.

An outage (a registry down, a runner lost mid-job) fails most tests of one run attempt, or a
crowd of them (one lost job of a matrix), at once; those failures say nothing about any single
test, so they are never flakiness evidence: not an intermittent failure, not a flip when a
re-run passes (a test that only ever failed in outages is not flaky). They are counted per
test (``infra_failures``) so that nothing disappears silently.

They still are failures for regression detection (:mod:`.regression`): a commit that breaks
the build fails most tests in every run from there on, and a streak of such failures is a
broken span like any other, with that commit as its culprit. A one-run outage is a streak
too short to be one. The limit: an outage lasting three runs or more in a row looks like a
build break that was fixed.
"""

from __future__ import annotations

import numpy as np

from agents.flaky_tests.config import InfraGuard
from agents.flaky_tests.history import History

__all__ = ["infra_mask", "outages"]


def infra_mask(history: History, guard: InfraGuard) -> np.ndarray:
    """Per result: True when it is a failure in an execution (a whole run attempt, or one job
    of it) that was an outage by :func:`outages`."""
    mask = _crowded_failures(history.execution, history.fail, guard)
    if history.job_execution is not None:
        mask |= _crowded_failures(history.job_execution, history.fail, guard)
    return mask


def outages(results: np.ndarray, failures: np.ndarray, guard: InfraGuard) -> np.ndarray:
    """Per execution, from its numbers of results and failures: whether it was an outage (most
    of its tests failed, or a crowd of them: :class:`~agents.flaky_tests.config.InfraGuard`).
    The one rule, also where the counts are added up over a history's slices (:mod:`.chunks`)."""
    most = (results >= guard.min_tests) & (failures >= guard.share * results)
    crowd = (failures >= guard.crowd) & (failures >= guard.crowd_share * results)
    return most | crowd


def _crowded_failures(unit: np.ndarray, fail: np.ndarray, guard: InfraGuard) -> np.ndarray:
    crowded = outages(np.bincount(unit), np.bincount(unit, weights=fail), guard)
    return fail & crowded[unit]
