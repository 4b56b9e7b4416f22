"""Judging a history in chunks of its tests gives the verdicts of judging it whole.

The history below is built so that a chunk judged on its own would be wrong: an outage fails
every test of one chunk but few of the others (over the whole run attempt, more than half);
the trunk (the branch with the most results) is not the branch with the most results in the
chunk of the tests that mostly run on a release branch; two clusters of flaky tests span
chunks; and a few results have no run (each is a run of its own, labelled by its position in
the whole history).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.flaky_tests.chunks import chunks_of
from agents.flaky_tests.clusters import cluster_names
from agents.flaky_tests.config import FlakyConfig
from agents.flaky_tests.judge import judge
from agents.flaky_tests.quarantine import clean_runs

CONFIG = FlakyConfig(later_pass_weight=0.25, trunk_pass_weight=0.5)
TESTS = [f"suite.test_{i:02d}" for i in range(30)]
RELEASE_ONLY = TESTS[24:]  # they run on the release branch, and on main once in 10 runs
CLUSTERS = ({"suite.test_02", "suite.test_14", "suite.test_23"}, {"suite.test_05", "suite.test_20"})
OUTAGE_RUN = 1060


def _history() -> pd.DataFrame:
    """~9,000 results of 30 tests over 120 runs: re-runs, two jobs, branches, skips."""
    rng = np.random.default_rng(7)
    rows = []
    for number in range(120):
        run = 1000 + number
        branch = "release" if number % 3 == 0 else ("main" if number % 5 else "topic-a")
        commit = f"c{number // 2:03d}{branch}"  # two runs per commit: the second is a re-test
        flaky_runs = {0: number % 9 == 4, 1: number % 11 == 6}  # when each cluster flakes
        for attempt in (1, 2) if number % 9 == 4 or run == OUTAGE_RUN else (1,):
            for job in ("linux", "windows"):
                for test in TESTS:
                    if test in RELEASE_ONLY and branch != "release" and number % 10:
                        continue
                    if job == "windows" and test in TESTS[10:20]:
                        continue
                    outcome = "pass"
                    for flakes, members in zip(flaky_runs.values(), CLUSTERS, strict=True):
                        if flakes and attempt == 1 and test in members and job == "linux":
                            outcome = "fail"
                    if run == OUTAGE_RUN and attempt == 1 and job == "linux":
                        outcome = (
                            "fail" if test < "suite.test_14" or test.endswith("5") else outcome
                        )
                    if test == "suite.test_11" and 80 <= number < 95:
                        outcome = "fail"  # a regression, fixed
                    if test == "suite.test_25" and branch == "release" and number in (30, 60):
                        outcome = "fail"  # the release branch's commits never passed again
                    if rng.random() < 0.01:
                        outcome = "skipped"
                    created = f"2026-01-01T{number // 60:02d}:{number % 60:02d}:00Z"
                    rows.append((test, outcome, run, attempt, commit, created, job, branch))
    frame = pd.DataFrame(
        rows,
        columns=["test_id", "outcome", "run_id", "attempt", "commit_sha", "created_at", "job"]
        + ["branch"],
    )
    frame["run_id"] = frame["run_id"].astype("Int64")
    # results without a run, each a run of its own: a test that fails and then passes
    loose = pd.DataFrame(
        {
            "test_id": "suite.test_29",
            "outcome": ["fail", "pass", "fail", "pass", "pass", "pass"],
            "commit_sha": "c999main",
            "created_at": "2026-01-02T00:00:00Z",
            "job": "linux",
            "branch": "main",
        }
    )
    return pd.concat([frame, loose], ignore_index=True)


@pytest.mark.parametrize("chunk_rows", [400, 1_500, 3_000])
def test_judging_in_chunks_equals_judging_whole(chunk_rows: int) -> None:
    history = _history()
    chunks = [set(chunk.frame["test_id"]) for chunk in chunks_of(history, CONFIG.infra, chunk_rows)]
    assert len(chunks) > 1
    chunk_of = {test: n for n, tests in enumerate(chunks) for test in tests}
    assert all(len({chunk_of[t] for t in members}) > 1 for members in CLUSTERS)

    whole = judge(history, CONFIG)
    chunked = judge(history, CONFIG, chunk_rows=chunk_rows)

    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    by_test = whole.set_index("test_id")
    clustered = by_test["cluster"].dropna()
    assert {frozenset(group.index) for _, group in clustered.groupby(clustered)} == {
        frozenset(members) for members in CLUSTERS
    }
    outage = by_test.loc[by_test["infra_failures"] > 0].index
    assert len({chunk_of[t] for t in outage}) > 1  # the outage spans chunks
    assert by_test.loc["suite.test_11", "verdict"] == "broken"
    assert by_test.loc["suite.test_29", "evidence_runs"]  # labelled by its place in the whole


@pytest.mark.parametrize(
    "dropped",
    [
        ["job", "branch"],
        ["run_id"],
        ["run_id", "commit_sha"],
        ["run_id", "attempt"],
        ["run_id", "attempt", "job", "branch"],
        ["attempt"],
        ["attempt", "job", "branch"],
    ],
)
def test_chunks_equal_the_whole_without_some_columns(dropped: list[str]) -> None:
    """Without runs the results of one commit and attempt ran together; without attempts, a
    series' k-th result in a run (else on a commit) is its k-th attempt there, counted across
    chunks' slices; without commits either, each result is on its own."""
    history = _history().drop(columns=dropped)

    pd.testing.assert_frame_equal(
        judge(history, CONFIG, chunk_rows=700), judge(history, CONFIG), check_exact=True
    )


def test_visit_sees_every_row_of_the_tests_that_failed_once_in_chunks_of_whole_tests() -> None:
    """The tests that never failed are judged from counts (agents.flaky_tests.quiet): they
    hold nothing a visitor reads (no failure; every run of theirs is clean)."""
    history = _history()
    failed = set(history.loc[history["outcome"].eq("fail"), "test_id"])
    seen: list[pd.DataFrame] = []

    judge(history, CONFIG, chunk_rows=1_000, visit=seen.append)

    assert sum(len(part) for part in seen) == history["test_id"].isin(failed).sum()
    assert set().union(*(set(part["test_id"]) for part in seen)) == failed
    assert all(
        not set(a["test_id"]) & set(b["test_id"]) for i, a in enumerate(seen) for b in seen[i + 1 :]
    )


def test_tests_that_never_failed_get_chunks_of_their_own() -> None:
    history = _history()
    failed = set(history.loc[history["outcome"].eq("fail"), "test_id"])

    chunks = list(chunks_of(history, CONFIG.infra, 1_000, quiet=True))

    quiet = [set(chunk.frame["test_id"]) for chunk in chunks if chunk.quiet]
    assert quiet and not set().union(*quiet) & failed
    assert set().union(*(set(c.frame["test_id"]) for c in chunks if not c.quiet)) == failed
    assert not any(chunk.quiet for chunk in chunks_of(history, CONFIG.infra, 1_000))


def test_cluster_names_do_not_depend_on_how_series_are_numbered() -> None:
    """Two clusters of the same tests, one per job: told apart by their members' jobs, not by
    the order the series were numbered in (chunks number them chunk by chunk)."""
    names = np.array(["a", "b", "a", "b"], dtype=object)
    jobs = np.array(["linux", "linux", "windows", "windows"], dtype=object)
    series = np.array([0, 1, 0, 1, 2, 3, 2, 3])
    runs = np.array([1, 1, 2, 2, 3, 3, 4, 4])
    rule = FlakyConfig().clusters

    numbered = cluster_names(series, runs, names, rule, jobs)
    swap = np.array([2, 3, 0, 1])  # the windows series first
    renumbered = cluster_names(swap[series], runs, names[swap], rule, jobs[swap])

    assert list(numbered) == ["cluster-1", "cluster-1", "cluster-2", "cluster-2"]
    assert list(renumbered[swap]) == list(numbered)


def test_an_unvisited_tests_clean_runs_are_its_runs() -> None:
    """What the agent relies on when it continues the quarantine list: a test whose rows were
    not visited has as many clean runs as runs."""
    history = _history()
    seen: list[pd.Series] = []

    judged = judge(history, CONFIG, chunk_rows=1_000, visit=lambda c: seen.append(clean_runs(c)))

    visited = pd.concat(seen)
    runs = judged.set_index("test_id")["runs"]
    merged = runs.index.to_series().map(visited).fillna(runs).astype("int64")
    assert len(visited) < len(runs)
    pd.testing.assert_series_equal(
        merged, clean_runs(history).reindex(runs.index), check_names=False
    )
