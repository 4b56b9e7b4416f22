"""Flaky Tests (Layer 2): is a failing test flaky, broken by a commit, or stable, judged with
evidence from its history.

The engine is pure (no store, no Streamlit): :func:`judge` takes one row per test result (a
job is judged the same way, with the job conclusion as its outcome) and returns one row per
test with a verdict (``flaky``, ``broken``, ``stable``, ``insufficient_data``), a probabilistic
flakiness score with its credible interval, the culprit commit of a regression, the evidence
runs and the cluster of tests that flake together. ``ci-medic flaky HISTORY.csv`` is its
command (:mod:`.command`).

How a verdict is reached, one module per step:

- :mod:`.history`: the input frame normalised into arrays, one series (a test in one job) in
  order; a test is judged in each job it runs in and its row speaks for its most telling job;
- :mod:`.infra`: runs where a large share of tests fail together (an outage, a lost runner);
  their failures are no flakiness evidence about any single test;
- :mod:`.signals`: per result, what a failure means: a flip on the same commit (the strongest
  evidence), a failure on a commit that passed in another job, a failure reproduced on the
  same commit (by a re-run or by every job), a failure on a topic branch that a later push of
  the branch followed (the push explains it), an isolated failure;
- :mod:`.regression`: failing streaks that a flaky test would not produce by chance are
  broken spans, each with its culprit commit (a flaky test's isolated failures do not move it),
  looked for in time order and along each branch, so that a pull request's regression is one;
- :mod:`.posterior`: the Bayesian estimate of the intermittent-failure probability;
- :mod:`.clusters`: flaky tests that fail in the same runs;
- :mod:`.verdict` and :mod:`.judge`: the verdict per test, and the entry point.
"""

from agents.flaky_tests.config import FlakyConfig
from agents.flaky_tests.judge import judge

__all__ = ["FlakyConfig", "judge"]
