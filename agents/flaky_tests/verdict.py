"""From evidence to a verdict per test.

Which failures are flakiness evidence (per result):

- **resolved** intermittent failures: not infrastructure, not in a broken span, not explained
  (reproduced on their commit, or pushed over on a topic branch: :mod:`.signals`), and
  either a flip (the same commit passed) or followed by a later pass of the test. They make a
  test flaky;
- **pending** failures: the same, but nothing came after them yet. They may be the first
  results of a regression, so they raise the score (by ``pending_weight``) but never make a
  test flaky on their own.

The verdict, in order of precedence:

1. ``insufficient_data``: fewer than ``min_runs`` runs (the score is still given);
2. ``broken``: an open broken span (the test fails since its culprit commit), even if the
   test was flaky before: what needs doing now is fixing the culprit;
3. ``flaky``: the recency-weighted resolved intermittent failures reach ``flaky_weight``
   (one recent flip or failure-then-pass does; one long ago does not any more; one whose
   commit never passed, only a later one, counts ``later_pass_weight``, ``trunk_pass_weight``
   on the trunk of a history with branches), counting only those
   after the latest broken span when it ended within ``broken_memory`` results, and the score
   reaches ``min_score`` (a job that failed once in 400 runs, in an outage a re-run outlived,
   did flip, but does not flake at a rate worth a verdict);
4. ``broken``: a broken span that ended within the last ``broken_memory`` results (with its
   culprit and its fix), so a regression is never reported as flakiness, and a flaky test
   that broke and was fixed is flaky again as soon as it flakes again;
5. ``stable`` otherwise.
"""

from __future__ import annotations

import numpy as np

from agents.flaky_tests.config import FlakyConfig

__all__ = [
    "BROKEN",
    "FLAKY",
    "INSUFFICIENT",
    "SPEAKING_RANK",
    "STABLE",
    "VERDICTS",
    "evidence",
    "verdicts",
]

FLAKY, BROKEN, STABLE, INSUFFICIENT = "flaky", "broken", "stable", "insufficient_data"
VERDICTS = (FLAKY, BROKEN, STABLE, INSUFFICIENT)
# Which of a test's series speaks for it (one per job: agents.flaky_tests.judge): a lower rank
# first, so a test is broken where it is broken anywhere, else flaky where it flakes.
SPEAKING_RANK = {BROKEN: 0, FLAKY: 1, STABLE: 2, INSUFFICIENT: 3}


def evidence(
    test: np.ndarray,
    fail: np.ndarray,
    flip: np.ndarray,
    explained: np.ndarray,
    inside: np.ndarray,
    pos: np.ndarray,
    n_tests: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per result: (resolved, pending) intermittent failure (see the module docstring);
    ``explained`` marks the failures their commit or the push after them explains."""
    passes = np.flatnonzero(~fail)  # grouped by test, in order: a test's last pass is where
    ends = np.ones(len(passes), dtype=bool)  # the next pass belongs to another test
    ends[:-1] = test[passes][1:] != test[passes][:-1]
    last = passes[ends]
    last_pass = np.full(n_tests, -1, dtype=np.int64)
    last_pass[test[last]] = pos[last]
    candidate = fail & ~inside & ~explained
    resolved = candidate & (flip | (pos < last_pass[test]))
    return resolved, candidate & ~resolved


def verdicts(
    runs: np.ndarray,
    flake_weight: np.ndarray,
    flake_since_span: np.ndarray,
    open_span: np.ndarray,
    recent_span: np.ndarray,
    score: np.ndarray,
    config: FlakyConfig,
) -> np.ndarray:
    """Per test: its verdict (see the module docstring for the order of precedence).
    ``flake_weight`` is the weighted flakiness evidence, ``flake_since_span`` the part of it
    after the latest broken span, ``score`` the posterior mean."""
    verdict = np.full(len(runs), STABLE, dtype=object)
    evidence = np.where(recent_span, flake_since_span, flake_weight)
    verdict[recent_span] = BROKEN
    verdict[(evidence >= config.flaky_weight) & (score >= config.min_score)] = FLAKY
    verdict[open_span] = BROKEN
    verdict[runs < config.min_runs] = INSUFFICIENT
    return verdict
