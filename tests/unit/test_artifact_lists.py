"""RunArtifacts: each run's artifacts from the repository's list, newest first, 100 a page;
asked run by run where the list cannot say (out of order, no dates) or would cost more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.log_ingester import artifact_lists
from agents.log_ingester.artifact_lists import RunArtifacts
from core.errors import BudgetExhausted

START = datetime(2026, 3, 1, tzinfo=UTC)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_created(run: int) -> str:
    """Run ``run`` was created ``run`` hours after START (higher: newer)."""
    return iso(START + timedelta(hours=run))


def artifact(run: int, name: str, minutes: int = 5) -> dict[str, Any]:
    made = START + timedelta(hours=run, minutes=minutes)
    return {
        "id": run * 100 + len(name),
        "name": name,
        "created_at": iso(made),
        "workflow_run": {"id": run},
    }


class FakeSource:
    """The repository's list as ``artifacts`` (in that order), and every run's own list."""

    def __init__(self, artifacts: list[dict[str, Any]], per_page: int = 5) -> None:
        self.artifacts, self.per_page = artifacts, per_page
        self.calls: list[tuple[str, int]] = []

    def artifacts_page(self, repo: str, page: int) -> tuple[list[dict[str, Any]], int]:
        self.calls.append(("page", page))
        start = (page - 1) * self.per_page
        return self.artifacts[start : start + self.per_page], len(self.artifacts)

    def run_artifacts(self, repo: str, run_id: int) -> list[dict[str, Any]]:
        self.calls.append(("run", run_id))
        return [a for a in self.artifacts if a["workflow_run"]["id"] == run_id]


def newest_first(runs: range, names: tuple[str, ...] = ("pytest", "jest")) -> list[dict]:
    found = [artifact(run, name, minutes) for run in runs for minutes, name in enumerate(names)]
    return sorted(found, key=lambda a: a["created_at"], reverse=True)


def served(source: FakeSource, runs: list[int], wanted: set[int] | None = None) -> dict:
    listed = RunArtifacts(source, "o/r", set(runs) if wanted is None else wanted)
    return {run: [a["id"] for a in listed.of(run, run_created(run))] for run in runs}


def own_lists(source: FakeSource, runs: list[int]) -> dict:
    """What asking each run for its own list gives, in name order (asked of a copy: the
    calls ``source`` recorded stay as they were)."""
    copy = FakeSource(source.artifacts)

    def by_name(found: list[dict]) -> list[int]:
        return [a["id"] for a in sorted(found, key=lambda a: (a["name"], a["id"]))]

    return {run: by_name(copy.run_artifacts("o/r", run)) for run in runs}


@pytest.fixture(autouse=True)
def page_size(monkeypatch):
    """FakeSource's pages hold as many as the lister expects of a full page."""
    monkeypatch.setattr(artifact_lists, "PER_PAGE", 5)


def test_given_runs_newest_first_when_served_then_each_gets_its_own_artifacts_from_few_pages():
    source = FakeSource(newest_first(range(60)))  # 120 artifacts, 24 pages
    runs = list(range(59, 19, -1))  # the newest 40 runs need reports

    got = served(source, runs)

    assert got == own_lists(source, runs)
    pages = [call for call in source.calls if call[0] == "page"]
    assert len(pages) == 17  # 80 artifacts belong to the 40 runs, and one page beyond


def test_given_a_run_with_no_artifacts_when_the_list_passed_it_then_it_gets_none():
    source = FakeSource(newest_first(range(5, 10)) + newest_first(range(0, 3)))

    assert served(source, [9, 4, 2]) == {9: own_lists(source, [9])[9], 4: [], 2: [2 * 100 + 4, 206]}
    assert source.calls == [("page", 1), ("page", 2), ("page", 3)]  # no run asked by itself


def test_given_a_list_out_of_order_when_seen_then_later_runs_are_asked_one_by_one():
    newer, older = newest_first(range(55, 60)), newest_first(range(50, 55))
    source = FakeSource(newer + newest_first(range(80, 81)) + older)  # run 80 on page 3

    got = served(source, [59, 55, 52])

    assert got == own_lists(source, [59, 55, 52])
    assert source.calls[-2:] == [("run", 55), ("run", 52)]


def test_given_one_old_run_far_down_the_list_when_served_then_it_is_asked_by_itself(monkeypatch):
    monkeypatch.setattr(artifact_lists, "EXTRA_PAGES", 3)
    source = FakeSource(newest_first(range(200)))  # 80 pages

    got = served(source, [199, 198, 5])

    assert got == own_lists(source, [199, 198, 5])
    pages = [call for call in source.calls if call[0] == "page"]
    assert len(pages) == 2 + 3  # what 2 runs served allow, plus the margin
    assert source.calls[-1] == ("run", 5)


def test_given_a_run_without_a_creation_time_when_served_then_it_is_asked_by_itself():
    source = FakeSource(newest_first(range(3)))
    listed = RunArtifacts(source, "o/r", {0, 1, 2})

    assert [a["id"] for a in listed.of(2, "")] == own_lists(source, [2])[2]
    assert source.calls == [("run", 2)]


def test_given_an_upload_during_the_paging_when_served_then_an_artifact_is_kept_once():
    found, runs = newest_first(range(10)), list(range(9, -1, -1))
    source = FakeSource(found[:5] + found[4:])  # one more upload since: page 1's last again

    assert served(source, runs) == own_lists(FakeSource(found), runs)


def test_given_the_budget_ends_when_a_page_is_asked_then_the_error_reaches_the_caller():
    class Exhausted(FakeSource):
        def artifacts_page(self, repo: str, page: int) -> tuple[list[dict[str, Any]], int]:
            raise BudgetExhausted("Stopped at the request budget.")

    with pytest.raises(BudgetExhausted):
        RunArtifacts(Exhausted([]), "o/r", {1}).of(1, run_created(1))
