"""Specification of :mod:`agents.flaky_tests.rerun`: the probability that a re-run of a job's
latest failure passes, from its earlier re-run failures of about the same length."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.flaky_tests.rerun import rerun_chances, rerun_pass_probability, similar_failure_rate


def _history(*sets: tuple[str, list[tuple[str, float | None]]]) -> pd.DataFrame:
    """One row per attempt, in order: each set is a commit and its (outcome, seconds)."""
    rows = [
        {"commit_sha": sha, "attempt": n, "outcome": outcome, "duration_s": seconds}
        for sha, attempts in sets
        for n, (outcome, seconds) in enumerate(attempts, start=1)
    ]
    return pd.DataFrame(rows)


# A job whose 10-minute failures passed when re-run (a flaky test step) and whose
# 30-second failures were reproduced by the re-run (a broken build).
MIXED = [
    ("a1", [("fail", 600.0), ("pass", 610.0)]),
    ("a2", [("fail", 30.0), ("fail", 31.0)]),
    ("a3", [("pass", 620.0)]),
    ("a4", [("fail", 590.0), ("pass", 600.0)]),
    ("a5", [("fail", 28.0), ("fail", 29.0)]),
    ("a6", [("fail", 640.0), ("pass", 600.0)]),
    ("a7", [("fail", 33.0), ("fail", 30.0)]),
]
MIXED_RATE = (3 + 1.4) / (6 + 2)  # 3 of 6 re-run failures passed, Beta(1.4, 0.6) prior


def test_a_job_without_history_gets_the_prior_seventy_percent() -> None:
    history = _history(("c1", [("fail", 100.0)]))
    assert rerun_pass_probability(history) == pytest.approx(0.7)


def test_a_failure_as_long_as_earlier_flaky_ones_will_likely_pass() -> None:
    history = _history(*MIXED, ("new", [("fail", 615.0)]))
    assert rerun_pass_probability(history) == pytest.approx((3 + MIXED_RATE) / (3 + 1))


def test_a_failure_as_short_as_earlier_reproduced_ones_will_likely_fail_again() -> None:
    history = _history(*MIXED, ("new", [("fail", 29.0)]))
    assert rerun_pass_probability(history) == pytest.approx((0 + MIXED_RATE) / (3 + 1))


def test_a_failure_of_a_new_length_gets_the_jobs_rate() -> None:
    history = _history(*MIXED, ("new", [("fail", 5000.0)]))
    assert rerun_pass_probability(history) == pytest.approx(MIXED_RATE)


def test_without_durations_the_jobs_rate_is_the_answer() -> None:
    history = _history(*MIXED, ("new", [("fail", None)])).drop(columns="duration_s")
    assert rerun_pass_probability(history) == pytest.approx(MIXED_RATE)


def test_failures_never_re_run_and_the_latest_set_itself_are_no_evidence() -> None:
    history = _history(
        ("c1", [("fail", 600.0)]),  # never re-run: its re-run outcome is unknown
        ("c2", [("fail", 600.0), ("pass", 600.0)]),
        ("new", [("fail", 600.0), ("fail", 600.0)]),  # the set being asked about
    )
    rate = (1 + 1.4) / (1 + 2)  # c2 alone: one re-run failure, which passed
    assert rerun_pass_probability(history) == pytest.approx((1 + rate) / (1 + 1))


def test_outcomes_other_than_pass_and_fail_are_ignored() -> None:
    plain = _history(("c1", [("fail", 60.0), ("pass", 60.0)]), ("new", [("fail", 60.0)]))
    skipped = _history(
        ("c1", [("skip", 1.0), ("fail", 60.0), ("pass", 60.0)]), ("new", [("fail", 60.0)])
    )
    assert rerun_pass_probability(skipped) == pytest.approx(rerun_pass_probability(plain))


def test_the_latest_attempt_must_be_a_failure() -> None:
    with pytest.raises(ValueError, match="failure"):
        rerun_pass_probability(_history(("c1", [("fail", 1.0), ("pass", 1.0)])))


def test_similar_failure_rate_treats_unknown_durations_as_unlike_any_other() -> None:
    durations = np.array([np.nan, 100.0])
    passed = np.array([True, False])
    rate = (1 + 1.4) / (2 + 2)
    assert similar_failure_rate(durations, passed, 100.0) == pytest.approx((0 + rate) / 2)


def _jobs(workflow: str = "CI", **histories: pd.DataFrame) -> pd.DataFrame:
    """Several jobs' histories of one workflow interleaved in time order, as the store's job
    history has them: outcomes spelled as GitHub's job conclusions, each set a run."""
    spelled = {"pass": "success", "fail": "failure", "skip": "skipped"}
    frames = [
        history.assign(
            test_id=name,
            job=workflow,
            run_id=history["commit_sha"],
            order=np.arange(len(history)) * len(histories) + k,
        )
        for k, (name, history) in enumerate(histories.items())
    ]
    merged = pd.concat(frames).sort_values("order").drop(columns="order")
    return merged.assign(outcome=merged["outcome"].map(spelled)).reset_index(drop=True)


def _chances(history: pd.DataFrame) -> dict[str, float]:
    return rerun_chances(history)["rerun_pass_probability"].to_dict()


def test_every_job_that_just_failed_is_judged_as_if_alone() -> None:
    long_failure = _history(*MIXED, ("new", [("fail", 615.0)]))
    short_failure = _history(*MIXED, ("new", [("fail", 29.0)]))
    new_job = _history(("c1", [("fail", 100.0)]))
    chances = _chances(_jobs(build=long_failure, lint=short_failure, docs=new_job))
    assert chances == pytest.approx(
        {
            "build": rerun_pass_probability(long_failure),
            "lint": rerun_pass_probability(short_failure),
            "docs": 0.7,
        }
    )


def test_the_answer_names_the_failed_attempt() -> None:
    history = _jobs(build=_history(("r1", [("pass", 60.0)]), ("r2", [("fail", 61.0)])))
    history["created_at"] = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]
    failed = rerun_chances(history).loc["build"]
    assert (failed["job"], failed["run_id"], failed["attempt"]) == ("CI", "r2", 1)
    assert failed["created_at"] == "2026-01-02T00:00:00Z" and failed["duration_s"] == 61.0


def test_a_job_whose_latest_attempt_passed_is_not_asked_about() -> None:
    rescued = _history(*MIXED, ("new", [("fail", 615.0), ("pass", 600.0)]))
    skipped_last = _history(("c1", [("fail", 60.0)]), ("c2", [("skip", 1.0)]))
    chances = rerun_chances(_jobs(build=rescued, lint=skipped_last))
    assert list(chances.index) == ["lint"]  # a skipped attempt decides nothing


def test_a_first_attempt_of_unknown_length_is_not_given_its_re_runs_length() -> None:
    history = _history(
        ("c1", [("fail", None), ("pass", 600.0)]),  # unknown length: like no other failure
        ("new", [("fail", 600.0)]),
    )
    rate = (1 + 1.4) / (1 + 2)
    assert _chances(_jobs(build=history))["build"] == pytest.approx((0 + rate) / (0 + 1))
    assert rerun_pass_probability(history) == pytest.approx((0 + rate) / (0 + 1))


def test_two_workflows_jobs_of_one_name_are_two_jobs() -> None:
    # CI's build fails and is never re-run; Release's build passes on the same commits
    ci = _jobs("CI", build=_history(("c1", [("fail", 60.0)]), ("c2", [("fail", 60.0)])))
    release = _jobs("Release", build=_history(("c1", [("pass", 60.0)]), ("c2", [("pass", 60.0)])))
    release["run_id"] = release["run_id"] + "-release"
    both = pd.concat([ci, release]).sort_index(kind="stable").reset_index(drop=True)
    ci_last = pd.concat([release, ci]).sort_index(kind="stable").reset_index(drop=True)

    assert _chances(both) == pytest.approx({"build": 0.7})  # Release's passes are no re-runs
    assert rerun_chances(both).loc["build", "job"] == "CI"  # its latest failure, not hidden
    assert _chances(ci_last) == pytest.approx({"build": 0.7})


def test_a_re_run_is_an_attempt_of_the_same_run_not_another_run_of_the_commit() -> None:
    history = _jobs(build=_history(("c1", [("fail", 60.0)]), ("new", [("fail", 60.0)])))
    history.loc[0, "commit_sha"] = "same"
    history = pd.concat(
        [
            history.iloc[:1],
            history.iloc[:1].assign(run_id="push", outcome="success"),
            history.iloc[1:],
        ]
    ).reset_index(drop=True)  # the commit passed in another run (a push run): no re-run
    assert _chances(history) == pytest.approx({"build": 0.7})
