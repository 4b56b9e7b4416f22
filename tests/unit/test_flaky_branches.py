"""What a failure on a branch says, as histories written here: a pull request's next push that
passes is a fix, not a flake; a re-run of the same commit that passes is a flake; a failure on
the trunk that the next trunk commit did not reproduce is half a flake; and a job needs to flake
in at least 1% of its runs to be called flaky (a test does not)."""

from __future__ import annotations

import pandas as pd

from agents.flaky_tests import judge
from agents.flaky_tests.agent import CI_CONFIG, JOBS_CONFIG
from agents.flaky_tests.config import FlakyConfig


def _row(job: str, outcome: str, run: str, sha: str, branch: str, attempt: int = 1) -> dict:
    return {
        "test_id": job,
        "outcome": outcome,
        "run_id": run,
        "attempt": attempt,
        "commit_sha": sha,
        "branch": branch,
    }


def _pull_requests(rerun_the_failure: bool, prs: int = 8) -> list[dict]:
    """300 passing runs of ``main``; every 30 of them a pull request pushed three times: the
    first push passes, the second fails, the third passes. With ``rerun_the_failure`` the
    failing push's run is re-run, and its second attempt passes."""
    rows = []
    for i in range(300):
        rows.append(_row("job", "success", f"main{i}", f"m{i}", "main"))
        if i % 30 == 15 and i // 30 < prs:
            pr = f"feature-{i}"
            rows.append(_row("job", "success", f"{pr}-1", f"{pr}-a", pr))
            rows.append(_row("job", "failure", f"{pr}-2", f"{pr}-b", pr))
            if rerun_the_failure:
                rows.append(_row("job", "success", f"{pr}-2", f"{pr}-b", pr, attempt=2))
            rows.append(_row("job", "success", f"{pr}-3", f"{pr}-c", pr))
    return rows


def _judged(rows: list[dict], config: FlakyConfig) -> pd.Series:
    return judge(pd.DataFrame(rows), config).set_index("test_id").loc["job"]


def test_a_pull_request_whose_next_push_passes_was_fixed_by_that_push_not_flaky():
    """Eight pull requests each broke the job with one push and fixed it with the next: that is
    what pull requests do, and none of it says the job fails for no reason in the code. Read
    without branches, the same history is eight failures each followed by a pass on a later
    commit, which is what flakiness looks like."""
    judged = _judged(_pull_requests(rerun_the_failure=False), JOBS_CONFIG)
    assert judged["verdict"] == "stable"
    assert judged["intermittent_failures"] == 0
    assert judged["score"] < 0.005  # no better than the prior says of 300 clean runs

    without = [{k: v for k, v in row.items() if k != "branch"} for row in _pull_requests(False)]
    assert _judged(without, JOBS_CONFIG)["verdict"] == "flaky"  # what the branch column is for


def test_a_failing_push_whose_rerun_passes_on_the_same_commit_is_flaky():
    """The same pull requests, but each failing push was re-run and passed: the code did not
    change, so the job failed for no reason in it. The strongest evidence there is counts
    however the branch went on, and the score is the rate of those flakes."""
    judged = _judged(_pull_requests(rerun_the_failure=True), JOBS_CONFIG)
    assert judged["verdict"] == "flaky"
    assert judged["same_sha_flips"] == 8
    assert judged["intermittent_failures"] == 8
    assert 0.015 < judged["score"] < 0.04  # 8 flakes in about 320 telling results


def test_on_the_trunk_a_failure_the_next_commit_did_not_reproduce_counts_half():
    """Commits on the trunk were tested before they landed, so one that fails and is followed
    by a passing commit is more likely a flake than a fix; it takes two to call a job flaky."""
    once = ["success"] * 200
    once[120] = "failure"
    twice = list(once)
    twice[60] = "failure"
    for outcomes, verdict in ((once, "stable"), (twice, "flaky")):
        rows = [
            _row("job", outcome, f"r{i}", f"c{i}", "main") for i, outcome in enumerate(outcomes)
        ]
        rows.append(_row("job", "success", "pr", "p1", "feature"))  # a topic branch, too
        assert _judged(rows, JOBS_CONFIG)["verdict"] == verdict


def test_a_job_a_rerun_rescued_once_in_four_hundred_runs_is_not_flaky_but_a_test_is():
    """A flip is a flip, but a job meets every runner, network and registry hiccup, and a run
    has too few jobs for the infrastructure guard to see an outage: a job has to flake in 1% of
    its runs or more to be called flaky. A test is called flaky on one recent flip."""
    rows = [_row("job", "success", f"r{i}", f"c{i}", "main") for i in range(400)]
    rows.insert(300, _row("job", "failure", "r299", "c299", "main"))  # r299's first attempt
    rows[301]["attempt"] = 2  # and the re-run that passed
    judged = _judged(rows, JOBS_CONFIG)
    assert judged["same_sha_flips"] == 1
    assert judged["score"] < JOBS_CONFIG.min_score
    assert judged["verdict"] == "stable"
    assert _judged(rows, CI_CONFIG)["verdict"] == "flaky"
