"""The demo generator's indexed lookups answer exactly what a walk of every item would.

They exist so that generating a bigger demo costs proportionally more (issue 17: 100k runs);
the dump itself must not change, so each lookup is checked against the plain walk it replaces
on a planned history."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from core.sandbox.demo.faults import Regression, Scenarios
from core.sandbox.demo.scenarios import plan_history
from core.sandbox.demo.timeline import DAY, Timeline, build_timeline

END = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def planned() -> tuple[Timeline, Scenarios]:
    rng = random.Random(11)
    timeline = build_timeline(rng, END - 45 * DAY, END, 600)
    return timeline, plan_history(rng, timeline)


def _walk(scenarios: Scenarios, sha: str) -> list[Regression]:
    """Every regression whose commits are ``sha`` or that is bound to a time window instead."""
    return [r for r in scenarios.regressions if not r.shas or sha in r.shas]


def test_the_regressions_of_a_commit_are_those_a_walk_of_every_regression_finds(
    planned: tuple[Timeline, Scenarios],
) -> None:
    timeline, scenarios = planned
    assert any(r.shas for r in scenarios.regressions), "the plan has broken pushes"
    assert any(not r.shas for r in scenarios.regressions), "the plan has time windows"
    for sha in [*timeline.commits, "0" * 40]:
        assert scenarios.regressions_at(sha) == _walk(scenarios, sha), sha


def test_a_regression_planted_after_a_lookup_is_found_too() -> None:
    scenarios = Scenarios((0.0, 1.0))
    assert scenarios.regressions_at("a") == []
    broken = Regression("s", [], frozenset({"lint"}), 0.0, 1.0, "b", "a", "c", frozenset({"a"}))
    window = Regression("s", [], frozenset({"lint"}), 0.0, 1.0, "main", "d", "e")
    scenarios.regressions += [window, broken]
    assert scenarios.regressions_at("a") == [window, broken]
    assert scenarios.regressions_at("z") == [window]


def test_the_head_of_main_at_any_time_is_the_last_commit_merged_by_then(
    planned: tuple[Timeline, Scenarios],
) -> None:
    timeline, _ = planned
    moments = [c.time for c in timeline.main]
    moments += [t + 1 for t in moments] + [t - 1 for t in moments]
    for at in moments:
        merged = [c for c in timeline.main if c.time <= at]
        assert timeline.main_head(at) is (merged[-1] if merged else timeline.main[0]), at
