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


def _busy_release_branch() -> list[dict]:
    """``main`` (the default branch) runs 100 commits and fails on 8 of them, each time passing
    on the next commit; a long-lived ``release`` branch runs 300 passing runs beside it, more
    results than ``main`` holds."""
    rows = []
    for i in range(100):
        rows.append(_row("job", "failure" if i % 12 == 5 else "success", f"m{i}", f"m{i}", "main"))
        for k in range(3):
            rows.append(_row("job", "success", f"r{i}-{k}", f"r{i}-{k}", "release"))
    return rows


def test_the_default_branch_named_by_the_caller_is_the_trunk_even_with_fewer_results():
    """A busy release branch holds more results than ``main``. Guessed from the counts, the
    trunk would be ``release`` and ``main`` a topic branch whose next pushes explain its
    failures away; named by the repository's default branch, ``main`` is the trunk, where a
    failure the next commit did not reproduce counts (half) as a flake."""
    rows = pd.DataFrame(_busy_release_branch())
    guessed = judge(rows, JOBS_CONFIG).set_index("test_id").loc["job"]
    named = judge(rows, JOBS_CONFIG, trunk="main").set_index("test_id").loc["job"]
    assert guessed["intermittent_failures"] == 0
    assert named["intermittent_failures"] == 8
    assert named["verdict"] == "flaky"
    chunked = judge(rows, JOBS_CONFIG, trunk="main", chunk_rows=50).set_index("test_id")
    assert chunked.loc["job"]["intermittent_failures"] == 8


def test_a_named_trunk_without_results_leaves_every_branch_a_topic_branch():
    """Only pull-request branches ran: no result is on the default branch, so each branch's
    next push explains its failures (none is taken for the trunk for having the most)."""
    rows = pd.DataFrame(_pull_requests(rerun_the_failure=False))
    rows = rows[rows["branch"] != "main"]
    judged = judge(rows, JOBS_CONFIG, trunk="main").set_index("test_id").loc["job"]
    assert judged["intermittent_failures"] == 0
