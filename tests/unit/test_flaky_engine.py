"""The flaky-test engine's specification, as histories written here: what makes a test flaky
(and only that test), what makes it broken and who the culprit is, what an outage does not
prove, when there is too little data, and how sure the score is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.flaky_tests import FlakyConfig, judge
from agents.flaky_tests.agent import CI_CONFIG
from agents.flaky_tests.judge import COLUMNS


def columns(outcomes: dict[str, str], *, shas: bool = True) -> list[dict]:
    """Rows of a history where column i of every string is run ``r{i}`` on commit ``c{i}``
    (``P`` pass, ``F`` fail, ``S`` skip, ``.`` no result)."""
    rows = []
    length = max(map(len, outcomes.values()))
    for i in range(length):
        for test, letters in outcomes.items():
            if i < len(letters) and letters[i] != ".":
                row = {"test_id": test, "outcome": letters[i], "run_id": f"r{i}", "attempt": 1}
                if shas:
                    row["commit_sha"] = f"c{i}"
                rows.append(row)
    return rows


def verdicts(rows: list[dict], config: FlakyConfig | None = None) -> pd.DataFrame:
    return judge(pd.DataFrame(rows), config).set_index("test_id")


def test_a_test_that_fails_then_passes_on_a_rerun_of_the_same_commit_is_flaky_and_only_it():
    outcomes = {f"t{i}": "P" * 12 for i in range(8)}
    outcomes["t3"] = "PPPPPFPPPPPP"  # fails in run r5, whose second attempt passes below
    rows = columns(outcomes)
    rows += [
        {"test_id": test, "outcome": "P", "run_id": "r5", "attempt": 2, "commit_sha": "c5"}
        for test in outcomes
    ]
    judged = verdicts(rows)
    assert judged.loc["t3", "verdict"] == "flaky"
    assert judged.loc["t3", "same_sha_flips"] == 1
    assert judged.loc["t3", "evidence_runs"] == ["r5"]
    others = judged.drop(index="t3")
    assert set(others["verdict"]) == {"stable"}
    assert (others["same_sha_flips"] == 0).all()


def test_a_flip_across_two_runs_of_one_commit_counts_too():
    rows = columns({"t": "PPPPPPPP", "u": "PPPPPPPP"})
    rows.append({"test_id": "t", "outcome": "fail", "run_id": "again", "commit_sha": "c3"})
    rows.append({"test_id": "u", "outcome": "pass", "run_id": "again", "commit_sha": "c3"})
    judged = verdicts(rows)
    assert judged.loc["t", "verdict"] == "flaky"
    assert judged.loc["t", "same_sha_flips"] == 1
    assert judged.loc["u", "verdict"] == "stable"


def test_a_test_failing_from_a_commit_on_is_broken_with_that_culprit_even_if_it_was_flaky():
    before = "PPPFPPPPFPPPPPPPFPP"  # isolated failures, each followed by passes
    judged = verdicts(columns({"t": before + "F" * 12, "ok": "P" * 31}))
    assert judged.loc["t", "verdict"] == "broken"
    assert judged.loc["t", "culprit_sha"] == f"c{len(before)}"
    assert judged.loc["t", "culprit_run"] == f"r{len(before)}"
    assert judged.loc["t", "fixed_sha"] is None  # still failing
    assert judged.loc["ok", "verdict"] == "stable"
    assert judged.loc["ok", "culprit_sha"] is None


def test_a_flake_just_before_the_regression_does_not_move_the_culprit_back():
    judged = verdicts(columns({"t": "PPPPPPFPP" + "F" * 10}))
    assert judged.loc["t", "verdict"] == "broken"
    assert judged.loc["t", "culprit_sha"] == "c9"


def test_a_fixed_regression_is_broken_with_its_culprit_and_its_fix_not_flaky():
    judged = verdicts(columns({"t": "P" * 10 + "F" * 6 + "P" * 10}))
    assert judged.loc["t", "verdict"] == "broken"
    assert judged.loc["t", "culprit_sha"] == "c10"
    assert judged.loc["t", "fixed_sha"] == "c16"
    assert judged.loc["t", "intermittent_failures"] == 0


def test_a_flaky_test_that_flakes_again_after_its_regression_was_fixed_is_flaky():
    judged = verdicts(columns({"t": "P" * 10 + "F" * 6 + "PPPFPPPP"}))
    assert judged.loc["t", "verdict"] == "flaky"
    assert judged.loc["t", "culprit_sha"] is None  # the culprit belongs to broken tests only


def test_a_flaky_test_does_not_turn_broken_on_a_short_run_of_bad_luck():
    rng = np.random.default_rng(3)
    letters = "".join(np.where(rng.random(300) < 0.4, "F", "P"))
    assert "FFF" in letters  # streaks of three happen at this rate
    judged = verdicts(columns({"t": letters}))
    assert judged.loc["t", "verdict"] == "flaky"


def test_a_run_where_most_tests_fail_together_is_no_flakiness_evidence():
    outcomes = {f"t{i}": "P" * 20 for i in range(10)}
    for i in range(8):  # run r10: 80% of the tests fail at once (an outage)
        outcomes[f"t{i}"] = "P" * 10 + "F" + "P" * 9
    judged = verdicts(columns(outcomes))
    assert set(judged["verdict"]) == {"stable"}
    assert (judged["intermittent_failures"] == 0).all()
    assert judged["infra_failures"].tolist() == [1] * 8 + [0] * 2
    alone = {f"t{i}": "P" * 20 for i in range(10)} | {"t0": "P" * 10 + "F" + "P" * 9}
    assert verdicts(columns(alone)).loc["t0", "verdict"] == "flaky"  # the same failure, alone


def test_a_commit_that_breaks_most_tests_for_good_is_their_culprit_not_an_outage():
    outcomes = {f"t{i}": "P" * 12 + "F" * 8 for i in range(8)}
    outcomes |= {"u0": "P" * 20, "u1": "P" * 20}
    judged = verdicts(columns(outcomes))
    broken = judged.loc[[f"t{i}" for i in range(8)]]
    assert set(broken["verdict"]) == {"broken"}
    assert set(broken["culprit_sha"]) == {"c12"}
    assert (broken["intermittent_failures"] == 0).all()
    assert set(judged.loc[["u0", "u1"], "verdict"]) == {"stable"}


def test_the_guard_also_looks_at_one_job_when_jobs_are_given():
    rows = []
    for run in range(12):
        for job in ("unit", "integration"):
            for i in range(6):
                lost = run == 5 and job == "integration"  # a runner lost mid-job
                rows.append(
                    {
                        "test_id": f"{job}{i}",
                        "outcome": "fail" if lost else "pass",
                        "run_id": run,
                        "commit_sha": f"c{run}",
                        "job": job,
                    }
                )
    judged = verdicts(rows)
    assert set(judged["verdict"]) == {"stable"}
    assert judged["infra_failures"].sum() == 6


def test_without_a_job_column_a_crowd_failing_at_once_is_a_lost_runner_not_flakiness():
    """A quarter of the tests (one job of a matrix of four, which the history does not name)
    fail in run r5 and pass when it is re-run: no test of that job is flaky. Fewer failing
    together than the crowd are ordinary evidence."""

    def history(failing: int) -> list[dict]:
        outcomes = {f"t{i:02d}": "P" * 12 for i in range(48)}
        for i in range(failing):
            outcomes[f"t{i:02d}"] = "P" * 5 + "F" + "P" * 6
        rerun = [
            {"test_id": test, "outcome": "P", "run_id": "r5", "attempt": 2, "commit_sha": "c5"}
            for test in outcomes
        ]
        return columns(outcomes) + rerun

    crowd = verdicts(history(12))
    assert set(crowd["verdict"]) == {"stable"}
    assert crowd["infra_failures"].sum() == 12
    few = verdicts(history(3))  # 3 of 48: three flaky tests that failed together
    assert few.loc[["t00", "t01", "t02"], "verdict"].tolist() == ["flaky"] * 3
    assert few["infra_failures"].sum() == 0


def test_with_commits_but_no_runs_a_tests_second_result_on_a_commit_is_the_re_run():
    """Only ``test_id, outcome, commit_sha``: commit c5 was run twice (every test has two
    results there). Its first execution lost a quarter of the tests, its second passed: the
    guard sees the two executions apart, so the lost quarter is no flakiness, while one test
    failing alone on a commit that also passed is the textbook flaky test."""
    outcomes = {f"t{i:02d}": "P" * 12 for i in range(48)}
    for i in range(12):
        outcomes[f"t{i:02d}"] = "P" * 5 + "F" + "P" * 6
    outcomes["t40"] = "P" * 8 + "F" + "P" * 3
    rows = [{k: v for k, v in row.items() if k in ("test_id", "outcome", "commit_sha")}
            for row in columns(outcomes)]  # fmt: skip
    rows += [
        {"test_id": t, "outcome": "P", "commit_sha": c} for t in outcomes for c in ("c5", "c8")
    ]
    judged = verdicts(rows)
    assert judged.loc["t40", "verdict"] == "flaky"
    assert set(judged.drop(index="t40")["verdict"]) == {"stable"}
    assert judged["infra_failures"].sum() == 12


def test_three_observations_are_insufficient_data_whatever_they_are():
    judged = verdicts(columns({"a": "PFP", "b": "FFF", "c": "PPP", "d": "PPPPPFPP"}))
    assert judged.loc[["a", "b", "c"], "verdict"].tolist() == ["insufficient_data"] * 3
    assert judged.loc["d", "verdict"] == "flaky"
    assert judged.loc["a", "score"] > judged.loc["c", "score"]  # the score is still given


def test_the_interval_narrows_with_more_runs_at_the_same_failure_rate():
    few = "PPPPFPPPPP"  # 1 in 10
    many = few * 10  # 10 in 100
    judged = verdicts(columns({"few": few, "many": many}, shas=False))
    width = judged["score_high"] - judged["score_low"]
    assert width["many"] < width["few"] * 0.6
    assert (judged["score_low"] <= judged["score"]).all()
    assert (judged["score"] <= judged["score_high"]).all()
    quiet = verdicts(columns({"seen 5": "P" * 5, "seen 500": "P" * 500}, shas=False))
    assert quiet.loc["seen 500", "score_high"] < quiet.loc["seen 5", "score_high"] / 10


def test_a_one_off_failure_long_ago_is_forgotten():
    config = FlakyConfig(half_life=50)
    judged = verdicts(columns({"old": "PPFP" + "P" * 300, "recent": "P" * 300 + "PPFP"}), config)
    assert judged.loc["old", "verdict"] == "stable"
    assert judged.loc["recent", "verdict"] == "flaky"


def test_a_failure_with_nothing_after_it_raises_the_score_but_proves_nothing_yet():
    judged = verdicts(columns({"last": "P" * 20 + "F", "clean": "P" * 21}))
    assert judged.loc["last", "verdict"] == "stable"
    assert judged.loc["last", "score"] > judged.loc["clean", "score"]


def test_a_failure_reproduced_on_its_commit_is_no_flakiness():
    rows = columns({"t": "P" * 10 + "F" + "P" * 10})
    rows.append(
        {"test_id": "t", "outcome": "F", "run_id": "r10", "attempt": 2, "commit_sha": "c10"}
    )
    judged = verdicts(rows)
    assert judged.loc["t", "intermittent_failures"] == 0
    assert judged.loc["t", "verdict"] == "stable"


def test_tests_that_flake_in_the_same_runs_share_a_cluster():
    together = "PPFPPPPFPPPPPFPPPPFPP"
    outcomes = {f"fine{i}": "P" * 21 for i in range(10)}  # 3 of 14 failing is no outage
    outcomes |= {"db.a": together, "db.b": together, "db.c": together}
    outcomes["alone"] = "PPPPFPPPPPPPPPPPFPPPP"
    judged = verdicts(columns(outcomes))
    assert judged.loc[["db.a", "db.b", "db.c"], "cluster"].tolist() == ["cluster-1"] * 3
    assert judged.loc["alone", "verdict"] == "flaky"
    assert judged.loc["alone", "cluster"] is None
    assert judged.loc["fine0", "cluster"] is None


def test_without_attempts_a_tests_second_result_in_a_run_is_its_re_run():
    """Run ids and commits but no attempt column (a GitHub re-run keeps its run id): run r5 has
    two results of every test; a quarter failed the first time and passed the second (a lost
    runner), which is no flakiness."""
    outcomes = {f"t{i:02d}": "P" * 12 for i in range(48)}
    for i in range(12):
        outcomes[f"t{i:02d}"] = "P" * 5 + "F" + "P" * 6
    rows = [{k: v for k, v in row.items() if k != "attempt"} for row in columns(outcomes)]
    rows += [{"test_id": t, "outcome": "P", "run_id": "r5", "commit_sha": "c5"} for t in outcomes]
    judged = verdicts(rows)
    assert set(judged["verdict"]) == {"stable"}
    assert judged["infra_failures"].sum() == 12


def test_without_run_ids_tests_that_flake_on_the_same_commits_share_a_cluster():
    """``test_id, outcome, commit_sha`` only: what ran together is the commit's execution."""
    together = "PPFPPPPFPPPPPFPPPPFPP"
    outcomes = {f"fine{i}": "P" * 21 for i in range(10)}
    outcomes |= {"db.a": together, "db.b": together, "alone": "PPPPFPPPPPPPPPPPFPPPP"}
    rows = [{k: row[k] for k in ("test_id", "outcome", "commit_sha")} for row in columns(outcomes)]
    judged = verdicts(rows)
    assert judged.loc[["db.a", "db.b"], "cluster"].tolist() == ["cluster-1"] * 2
    assert judged.loc["alone", "verdict"] == "flaky"
    assert judged.loc["alone", "cluster"] is None


def test_without_commits_each_run_is_its_own_commit_and_no_culprit_sha_is_named():
    judged = verdicts(columns({"t": "P" * 10 + "F" * 8}, shas=False))
    assert judged.loc["t", "verdict"] == "broken"
    assert judged.loc["t", "culprit_sha"] is None
    assert judged.loc["t", "culprit_run"] == "r10"


def test_test_id_and_outcome_alone_rank_a_flaky_sequence_above_clean_and_broken_ones():
    frame = pd.DataFrame(
        [("flaky", o) for o in "PPPPFPPPPPPPPPFPPPPP"]
        + [("clean", "P")] * 20
        + [("always failing", "F")] * 20,
        columns=["test_id", "outcome"],
    )
    judged = judge(frame).set_index("test_id")
    assert judged.loc["flaky", "verdict"] == "flaky"
    assert judged.loc["always failing", "verdict"] == "broken"
    assert judged["score"].idxmax() == "flaky"
    assert judged.loc["always failing", "score"] < judged.loc["clean", "score"] * 2


def test_jobs_are_judged_like_tests_with_their_conclusions_as_outcomes():
    conclusions = ["success"] * 5 + ["failure", "success"] + ["cancelled"] + ["success"] * 4
    frame = pd.DataFrame({"test_id": "build / test", "outcome": conclusions})
    judged = judge(frame).set_index("test_id")
    assert judged.loc["build / test", "verdict"] == "flaky"
    assert judged.loc["build / test", "skipped"] == 1
    assert judged.loc["build / test", "runs"] == 11


def test_the_output_has_one_row_per_test_in_order_of_first_appearance():
    judged = judge(pd.DataFrame(columns({"z": "PPPPP", "a": "SSSSS", "m": "PFPPP"})))
    assert judged["test_id"].tolist() == ["z", "a", "m"]
    assert tuple(judged.columns) == COLUMNS
    assert judged.loc[1, "verdict"] == "insufficient_data"  # only skips
    assert judged.loc[1, "runs"] == 0


@pytest.mark.parametrize(
    ("written", "meaning"),
    [
        ("P", "pass"),
        ("passed", "pass"),
        ("SUCCESS", "pass"),
        ("f", "fail"),
        ("Failed", "fail"),
        ("error", "fail"),
        ("skipped", "skip"),
        (" Skip ", "skip"),
    ],
)
def test_outcomes_are_read_leniently(written, meaning):
    frame = pd.DataFrame({"test_id": ["t"] * 6, "outcome": ["pass"] * 5 + [written]})
    judged = judge(frame).iloc[0]
    assert judged["failures"] == (meaning == "fail")
    assert judged["skipped"] == (meaning == "skip")


def test_an_outcome_the_engine_cannot_read_is_an_error():
    with pytest.raises(ValueError, match="unknown outcome"):
        judge(pd.DataFrame({"test_id": ["t"], "outcome": ["maybe"]}))


# -- a test in several jobs, on several branches ----------------------------------------------


def _jobs_rows(commits: int, nightly_every: int, windows: dict[int, str]) -> list[dict]:
    """Commit ``ci`` runs job ``linux`` on every commit; every ``nightly_every``-th commit a
    ``nightly`` run also runs job ``windows``, whose outcome is ``windows[i]`` (else a pass).
    ``steady`` runs next to ``t`` and always passes."""
    rows = []
    for i in range(commits):
        for test in ("t", "steady"):
            rows.append(_row(test, "P", f"ci{i}", f"c{i}", job="linux"))
        if i % nightly_every == 0:
            rows.append(_row("t", windows.get(i, "P"), f"nightly{i}", f"c{i}", job="windows"))
            rows.append(_row("steady", "P", f"nightly{i}", f"c{i}", job="windows"))
    return rows


def _row(test: str, outcome: str, run: str, sha: str, **more: object) -> dict:
    return {"test_id": test, "outcome": outcome, "run_id": run, "commit_sha": sha, **more}


def test_a_test_broken_on_one_platform_only_is_broken_there_not_flaky():
    """Each job is a series of its own: a test that breaks on Windows from a commit on, while
    Linux keeps passing the same commits, is a Windows regression with its culprit. Pooled with
    the Linux passes, every Windows failure would sit on a commit that also passed: a flip, the
    strongest flakiness evidence there is, and the regression would read as a flaky test."""
    windows = {i: "F" for i in range(120, 200, 10)}
    judged = verdicts(_jobs_rows(200, 10, windows))
    assert judged.loc["t", "verdict"] == "broken"
    assert judged.loc["t", "culprit_sha"] == "c120"
    assert judged.loc["t", "jobs"] == ["windows"]
    assert judged.loc["t", "intermittent_failures"] == 0
    assert judged.loc["steady", "verdict"] == "stable"


def test_a_test_flaky_in_one_job_is_flaky_and_names_that_job():
    """The job where a test flakes is named, so that the flaky platform is the one looked at;
    the counts still add up over every job the test ran in."""
    windows = {30: "F", 90: "F", 150: "F"}
    judged = verdicts(_jobs_rows(200, 10, windows))
    assert judged.loc["t", "verdict"] == "flaky"
    assert judged.loc["t", "jobs"] == ["windows"]
    assert judged.loc["t", "runs"] == 220  # 200 ci runs and 20 nightly runs
    assert judged.loc["t", "failures"] == 3
    assert judged.loc["t", "same_sha_flips"] == 3  # Linux passed each of those commits


def test_a_failure_every_job_reproduced_on_its_commit_is_no_flakiness():
    """A commit that fails a test in every job that runs it (both Python versions) failed it
    through its code: judging each job on its own must not turn that into one isolated failure
    per job, each followed by a pass, that is into flakiness."""
    rows = []
    for i in range(30):
        for job in ("py3.11", "py3.12"):
            rows.append(_row("t", "F" if i == 12 else "P", f"r{i}", f"c{i}", job=job))
    judged = verdicts(rows)
    assert judged.loc["t", "verdict"] == "stable"
    assert judged.loc["t", "intermittent_failures"] == 0


def _branch_rows(with_branch: bool) -> list[dict]:
    """400 runs of main (all passing) and a feature branch pushed four times in between: its
    second and third pushes fail ``t``, its fourth passes again."""
    rows = []
    feature = {200: ("f1", "P"), 202: ("f2", "F"), 204: ("f3", "F"), 206: ("f4", "P")}
    for i in range(400):
        rows.append(_row("t", "P", f"main{i}", f"m{i}", branch="main"))
        if i in feature:
            sha, outcome = feature[i]
            rows.append(_row("t", outcome, f"pr{i}", sha, branch="feature"))
    if not with_branch:
        rows = [{k: v for k, v in row.items() if k != "branch"} for row in rows]
    return rows


def test_a_regression_confined_to_a_branch_is_broken_with_its_culprit_not_flaky():
    """A pull request that breaks a test and fixes it two pushes later fails that branch's
    consecutive commits while main keeps passing in between. In time order that reads as two
    isolated failures, each followed by a pass (flakiness); along the branch it is a streak
    ended by a later commit of the branch: a regression, the first failing commit its culprit."""
    judged = verdicts(_branch_rows(with_branch=True))
    assert judged.loc["t", "verdict"] == "broken"
    assert judged.loc["t", "culprit_sha"] == "f2"
    assert judged.loc["t", "fixed_sha"] == "f4"
    assert judged.loc["t", "intermittent_failures"] == 0
    without = verdicts(_branch_rows(with_branch=False))
    assert without.loc["t", "verdict"] == "flaky"  # what the branch column is needed for


def test_a_flaky_test_failing_a_few_times_in_a_row_by_chance_stays_flaky():
    """A test that fails now and then also fails several times in a row now and then. The
    streak is weighed against the rate the test shows including it (about 15% here, at which
    five in a row somewhere in 80 runs is no surprise), not the rate without it."""
    letters = "PPPPFPPPPPPPFPPPPPPPPFPPPPPPPPPPFPPPPPPPPPPFPPPPPPPPFPPPPPPPPPPPPFPPPPPPPFFFFFPPP"
    judged = verdicts(columns({"t": letters}))
    assert judged.loc["t", "verdict"] == "flaky"
    assert judged.loc["t", "culprit_sha"] is None


def test_without_a_job_column_a_test_is_one_series_and_names_no_job():
    judged = verdicts(columns({"t": "PPPPFPPPPP"}))
    assert judged.loc["t", "verdict"] == "flaky"
    assert judged.loc["t", "jobs"] == []


def test_in_ci_one_failure_on_a_commit_that_passed_elsewhere_is_flaky():
    """The agent's setting: a failure on a commit that also passed (a re-run, or another job of
    the same code) is the textbook flaky test, and one is enough."""
    windows = {90: "F"}
    judged = verdicts(_jobs_rows(200, 10, windows), CI_CONFIG)
    assert judged.loc["t", "verdict"] == "flaky"


def test_in_ci_failures_that_only_a_later_commit_ended_take_four_to_be_flaky():
    """The agent's setting: a failure whose commit never passed, followed by a pass on a later
    commit, is what a push that broke a test and the next push that fixed it look like (pull
    requests do that all the time), so each counts a quarter. The engine's default, for
    histories that are not a repository's own CI, counts each in full."""
    three = "P" * 20 + "F" + "P" * 20 + "F" + "P" * 20 + "F" + "P" * 20
    four = three + "F" + "P" * 20
    judged = verdicts(columns({"three": three, "four": four}), CI_CONFIG)
    assert judged.loc["three", "verdict"] == "stable"
    assert judged.loc["four", "verdict"] == "flaky"
    assert verdicts(columns({"three": three})).loc["three", "verdict"] == "flaky"
