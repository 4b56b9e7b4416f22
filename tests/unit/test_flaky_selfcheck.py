"""The demo's self-check on the Flaky Tests section (``selfcheck_table``), on findings and a
truth written here: what counts as found, what is beyond anyone's reach, and what a planted
regression must say."""

from __future__ import annotations

import pandas as pd

from agents.flaky_tests.view import selfcheck_table

TRUTH = {
    "flaky_tests": [
        {"test_id": "found", "job": "unit", "rate": 0.05},
        {"test_id": "missed", "job": "unit", "rate": 0.05},
        {"test_id": "never failed", "job": "nightly", "rate": 0.03},
        {"test_id": "too rare to ask", "job": "unit", "rate": 0.01},
    ],
    "regressions": [
        {"introduced_sha": "abc1234def", "branch": "main", "tests": ["traced", "blamed"]},
        {"introduced_sha": "fff0000aaa", "branch": "fix/x", "tests": ["untraced"]},
    ],
    "outage": {"kind": "registry", "start": "2026-10-21T15:00:00Z", "end": "2026-10-21T20:00:00Z"},
}


def _findings(*rows: dict) -> pd.DataFrame:
    base = {"culprit_sha": None, "failures": 3, "first_flake": None, "last_flake": None}
    return pd.DataFrame([base | row for row in rows])


def _by_test(table: pd.DataFrame) -> dict[str, tuple[str, object]]:
    return {
        test: (verdict, right)
        for test, verdict, right in table[["test", "verdict", "right"]].values
    }


def test_planted_flaky_tests_are_right_only_when_judged_flaky():
    table = selfcheck_table(
        _findings(
            {"test_id": "found", "verdict": "flaky"},
            {"test_id": "missed", "verdict": "stable"},
            {"test_id": "never failed", "verdict": "stable", "failures": 0},
        ),
        TRUTH,
    )
    rows = _by_test(table)
    assert rows["found"] == ("flaky", True)
    assert rows["missed"] == ("stable", False)
    assert "too rare to ask" not in rows  # below 2%: the acceptance does not ask for it


def test_a_planted_flaky_test_that_never_failed_is_not_counted_either_way():
    """No history without a failure can show a test flaky: the line says so instead of
    counting a miss (only when its row shows no failure; an absent row is a miss)."""
    table = selfcheck_table(
        _findings({"test_id": "never failed", "verdict": "stable", "failures": 0}), TRUTH
    )
    assert _by_test(table)["never failed"] == ("stable (no failure observed)", None)
    absent = _by_test(selfcheck_table(_findings({"test_id": "found", "verdict": "flaky"}), TRUTH))
    assert absent["never failed"] == ("stable", False)


def test_a_planted_regression_must_name_its_culprit_and_never_be_flaky():
    table = selfcheck_table(
        _findings(
            {"test_id": "traced", "verdict": "broken", "culprit_sha": "abc1234def"},
            {"test_id": "blamed", "verdict": "flaky"},
            {"test_id": "untraced", "verdict": "stable"},
        ),
        TRUTH,
    )
    rows = _by_test(table)
    assert rows["traced"] == ("broken", True)
    assert rows["blamed"] == ("flaky", False)
    assert rows["untraced"] == ("stable", False)  # not flaky, but no culprit named


def test_the_outage_line_is_wrong_when_a_test_is_flaky_on_that_day_alone():
    day = "2026-10-21T16:00:00Z"
    table = selfcheck_table(
        _findings(
            {"test_id": "outage only", "verdict": "flaky", "first_flake": day, "last_flake": day},
            {
                "test_id": "found",
                "verdict": "flaky",
                "first_flake": "2026-10-01T03:00:00Z",
                "last_flake": day,
            },
        ),
        TRUTH,
    )
    outage = table[table["planted"].str.contains("outage")].iloc[0]
    assert outage["verdict"] == "flaky: outage only"
    assert not outage["right"]
