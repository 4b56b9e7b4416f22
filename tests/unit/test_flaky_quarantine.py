"""The quarantine list as a contract (issue 15): who enters, how long for, and how one leaves.

Specification: only ``flaky`` tests enter (never ``broken``, never ``insufficient_data``); an
entry keeps its created date across re-runs; it expires after N days and is then re-evaluated,
never silently kept; it is released by evidence (clean runs after its last failure, and its
flake rate's posterior bound below the threshold); a test that turns broken leaves at once;
every release is listed with its reason; the JSON is stable (sorted, deterministic), so a
committed list changes only where something changed.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from agents.flaky_tests.config import Prior, QuarantineRule
from agents.flaky_tests.owners import Ownership
from agents.flaky_tests.quarantine import (
    QuarantineError,
    clean_runs,
    dump_quarantine,
    parse_quarantine,
    rate_bound,
    update_quarantine,
)

RULE = QuarantineRule(expiry_days=30, min_clean_runs=30, release_below=0.05, keep_released_days=90)
PRIOR = Prior()
DAY = date(2026, 3, 1)


def _row(test_id: str, verdict: str = "flaky", **given) -> dict:
    """One verdict row as the engine writes it, with ``clean_runs``: a test flaking at 10%."""
    return {
        "test_id": test_id,
        "verdict": verdict,
        "score": 0.10,
        "score_low": 0.06,
        "score_high": 0.15,
        "runs": 200,
        "failures": 20,
        "same_sha_flips": 5,
        "intermittent_failures": 20,
        "culprit_sha": None,
        "culprit_run": None,
        "first_flake": "2026-01-05T10:00:00Z",
        "last_flake": "2026-02-27T10:00:00Z",
        "evidence_runs": [101, 102],
        "jobs": ["tests (3.12)"],
        "clean_runs": 3,
        **given,
    }


def _verdicts(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _update(verdicts: pd.DataFrame, previous=None, today: date = DAY, **kwargs) -> dict:
    return update_quarantine(
        verdicts, previous, repo="acme/shop", today=today, rule=RULE, prior=PRIOR, **kwargs
    )


def _ids(document: dict, part: str = "quarantined") -> list[str]:
    return [entry["test_id"] for entry in document[part]]


# -- who enters ------------------------------------------------------------------------------


def test_given_verdicts_when_the_list_is_made_then_only_flaky_tests_enter():
    verdicts = _verdicts(
        _row("t_flaky"),
        _row("t_broken", "broken", culprit_sha="abc1234def"),
        _row("t_new", "insufficient_data"),
        _row("t_stable", "stable"),
    )

    document = _update(verdicts)

    assert _ids(document) == ["t_flaky"]
    entry = document["quarantined"][0]
    assert entry["created"] == "2026-03-01" and entry["expires"] == "2026-03-31"
    assert "same commit 5 times" in entry["reason"] and entry["evidence"]["score"] == 0.1


def test_given_a_flaky_test_that_already_passed_its_last_k_runs_when_listed_then_it_stays_out():
    document = _update(_verdicts(_row("t_clean", clean_runs=RULE.min_clean_runs)))

    assert document["quarantined"] == []


def test_given_owners_when_the_list_is_made_then_each_entry_names_them_and_the_rule():
    owners = {"t_a": Ownership(("@acme/qa",), "tests/test_a.py", "the path", "line 3: /tests/")}

    document = _update(
        _verdicts(_row("t_a"), _row("t_b")),
        owner_of=lambda t: owners.get(t, Ownership((), None, "no file", "no rule")),
        codeowners=".github/CODEOWNERS",
    )

    first, second = document["quarantined"]
    assert first["owners"] == ["@acme/qa"] and first["ownership"]["rule"] == "line 3: /tests/"
    assert second["owners"] == [] and document["codeowners"] == ".github/CODEOWNERS"


# -- re-runs keep the contract ---------------------------------------------------------------


def test_given_an_entry_when_judged_again_later_then_it_keeps_its_created_date_and_expiry():
    first = _update(_verdicts(_row("t_a")))

    later = _update(_verdicts(_row("t_a", runs=260, clean_runs=1)), first, DAY + timedelta(5))

    entry = later["quarantined"][0]
    assert (entry["created"], entry["expires"]) == ("2026-03-01", "2026-03-31")
    assert entry["evidence"]["runs"] == 260  # the evidence is today's
    assert entry["reason"] == first["quarantined"][0]["reason"]  # why it entered stays


def test_given_nothing_new_when_judged_again_then_the_json_is_byte_for_byte_the_same():
    verdicts = _verdicts(_row("t_b"), _row("t_a"), _row("t_c", "broken"))
    first = _update(verdicts)

    again = _update(verdicts.iloc[::-1].reset_index(drop=True), first, DAY + timedelta(days=2))

    assert dump_quarantine(again) == dump_quarantine(first)  # "updated" did not move either
    assert _ids(again) == ["t_a", "t_b"]  # sorted, whatever the input order


# -- expiry ----------------------------------------------------------------------------------


def test_given_an_expired_entry_still_flaky_when_re_evaluated_then_it_is_renewed_visibly():
    first = _update(_verdicts(_row("t_a")))
    expiry = DAY + timedelta(days=RULE.expiry_days)

    renewed = _update(_verdicts(_row("t_a", last_flake="2026-03-30T10:00:00Z")), first, expiry)

    entry = renewed["quarantined"][0]
    assert entry["created"] == "2026-03-01"
    assert (entry["renewed"], entry["renewals"]) == ("2026-03-31", 1)
    assert entry["expires"] == "2026-04-30"
    assert renewed["updated"] == "2026-03-31"


def test_given_an_expired_entry_no_longer_flaky_when_re_evaluated_then_it_is_released():
    first = _update(_verdicts(_row("t_a")))

    later = _update(_verdicts(_row("t_a", "stable")), first, DAY + timedelta(days=31))

    assert later["quarantined"] == []
    (gone,) = later["released"]
    assert gone["released"] == "2026-04-01" and "no longer judged flaky (stable)" in gone["reason"]
    assert gone["created"] == "2026-03-01"


def test_given_an_expired_entry_with_enough_clean_runs_when_re_evaluated_then_it_is_released():
    first = _update(_verdicts(_row("t_a")))
    clean = _row("t_a", clean_runs=RULE.min_clean_runs, score_low=0.001)  # no early release

    before_expiry = _update(_verdicts(clean), first, DAY + timedelta(days=10))
    at_expiry = _update(_verdicts(clean), before_expiry, DAY + timedelta(days=30))

    assert _ids(before_expiry) == ["t_a"]  # its history still says it flakes: it stays
    assert _ids(at_expiry) == [] and "30 clean runs" in at_expiry["released"][0]["reason"]


def test_given_an_entry_before_its_expiry_when_judged_stable_then_it_stays_until_then():
    first = _update(_verdicts(_row("t_a")))

    later = _update(_verdicts(_row("t_a", "stable", clean_runs=4)), first, DAY + timedelta(9))

    assert _ids(later) == ["t_a"]


# -- release by evidence, and the ways out -------------------------------------------------


def test_given_clean_runs_after_the_last_failure_when_the_bound_falls_then_it_is_released_early():
    first = _update(_verdicts(_row("t_a")))
    bound_at_k = rate_bound(RULE.min_clean_runs, PRIOR)
    assert bound_at_k < RULE.release_below  # k clean runs are enough for a 10% test

    not_yet = _update(_verdicts(_row("t_a", clean_runs=29)), first, DAY + timedelta(days=3))
    released = _update(_verdicts(_row("t_a", clean_runs=30)), not_yet, DAY + timedelta(days=4))

    assert _ids(not_yet) == ["t_a"]
    (gone,) = released["released"]
    assert gone["released"] == "2026-03-05" and gone["reason"].startswith("released by evidence")
    assert "30 clean runs" in gone["reason"] and gone["last_flake"] == "2026-02-27T10:00:00Z"


def test_given_a_rarely_flaky_test_when_clean_for_k_runs_then_the_bound_does_not_release_it():
    """A test that flakes 1% of the time passes 30 runs in a row most of the time: its clean
    streak says nothing new, so the bound must fall below what its history showed."""
    rare = {"score": 0.012, "score_low": 0.008, "score_high": 0.018}
    first = _update(_verdicts(_row("t_rare", **rare)))

    later = _update(_verdicts(_row("t_rare", clean_runs=40, **rare)), first, DAY + timedelta(1))

    assert _ids(later) == ["t_rare"]


def test_given_a_quarantined_test_that_turns_broken_then_it_leaves_at_once_with_its_culprit():
    first = _update(_verdicts(_row("t_a")))

    later = _update(
        _verdicts(_row("t_a", "broken", culprit_sha="abc1234def5678")), first, DAY + timedelta(1)
    )

    assert later["quarantined"] == []
    assert "broken since abc1234" in later["released"][0]["reason"]


def test_given_a_quarantined_test_gone_from_the_history_then_it_is_released_and_says_so():
    first = _update(_verdicts(_row("t_a"), _row("t_b")))

    later = _update(_verdicts(_row("t_b")), first, DAY + timedelta(days=1))

    assert (
        _ids(later) == ["t_b"] and "no longer in the test history" in later["released"][0]["reason"]
    )


def test_given_a_released_test_that_flakes_again_then_it_re_enters_and_leaves_the_released_list():
    first = _update(_verdicts(_row("t_a")))
    gone = _update(_verdicts(_row("t_a", "stable")), first, DAY + timedelta(days=31))

    back = _update(_verdicts(_row("t_a", clean_runs=0)), gone, DAY + timedelta(days=40))

    assert _ids(back) == ["t_a"] and back["released"] == []
    assert back["quarantined"][0]["created"] == "2026-04-10"


def test_given_old_releases_when_listed_then_they_are_kept_for_the_set_number_of_days_only():
    first = _update(_verdicts(_row("t_a")))
    gone = _update(_verdicts(_row("t_a", "stable")), first, DAY + timedelta(days=31))

    still = _update(_verdicts(_row("t_a", "stable")), gone, DAY + timedelta(days=31 + 90))
    pruned = _update(_verdicts(_row("t_a", "stable")), still, DAY + timedelta(days=31 + 91))

    assert _ids(still, "released") == ["t_a"] and pruned["released"] == []


# -- clean runs and the bound ----------------------------------------------------------------


def test_clean_runs_count_the_runs_since_the_last_failure_in_any_attempt():
    history = pd.DataFrame(
        {
            "test_id": ["a", "a", "a", "a", "a", "b", "b", "a"],
            "outcome": ["pass", "fail", "pass", "pass", "skipped", "pass", "pass", "pass"],
            "run_id": [1, 2, 2, 3, 4, 1, 2, 5],
            "attempt": [1, 1, 2, 1, 1, 1, 1, 1],
        }
    )

    counted = clean_runs(history)

    # a: run 2 failed (its re-run passed: still not clean); runs 3 and 5 passed; 4 was skipped
    assert counted.to_dict() == {"a": 2, "b": 2}


def test_clean_runs_read_run_ids_as_text_and_a_result_without_one_as_a_run_of_its_own():
    history = pd.DataFrame(
        {
            "test_id": ["a", "a", "a", "a", "b"],
            "outcome": ["fail", "pass", "pass", "pass", "fail"],
            "run_id": [1, None, "1", 2, None],
        }
    )

    # a: run 1 (also spelled "1") failed, then the run without an id and run 2 passed
    expected = {"a": 2, "b": 0}
    assert clean_runs(history).to_dict() == expected
    assert clean_runs(history.astype({"test_id": "category"})).to_dict() == expected


def _clean_runs_one_by_one(history: pd.DataFrame) -> dict[str, int]:
    """The definition, test by test: its distinct runs in order of first appearance, counted
    after the last one with a failure (every result has a run id here)."""
    counted = {}
    for test, rows in history[history["outcome"] != "skipped"].groupby("test_id", sort=False):
        runs = list(dict.fromkeys(rows["run_id"]))
        failed = set(rows.loc[rows["outcome"] == "fail", "run_id"])
        last = max((place for place, run in enumerate(runs) if run in failed), default=-1)
        counted[test] = len(runs) - 1 - last
    return counted


@pytest.mark.parametrize(
    "tests, runs, rows",
    [(3, 40, 400), (60, 60_000, 40_000)],  # few pairs; more (test, run) pairs than a table holds
    ids=["pairs-in-a-table", "pairs-sorted"],
)
def test_clean_runs_equal_their_definition_on_a_random_history(tests, runs, rows):
    rng = np.random.default_rng(5)
    history = pd.DataFrame(
        {
            "test_id": rng.integers(0, tests, rows).astype(str),
            "run_id": np.sort(rng.integers(0, runs, rows)),  # oldest first, as the engine reads
            "outcome": rng.choice(["pass"] * 30 + ["fail", "skipped"], rows),
        }
    )
    history["test_id"] = "t" + history["test_id"]

    counted = clean_runs(history)

    assert counted.to_dict() == _clean_runs_one_by_one(history)
    assert list(counted.index) == list(
        dict.fromkeys(history.loc[history["outcome"] != "skipped", "test_id"])
    )  # in order of first appearance


def test_the_rate_bound_falls_as_clean_runs_add_up():
    bounds = [rate_bound(n, PRIOR) for n in (0, 10, 30, 100)]

    assert bounds == sorted(bounds, reverse=True) and bounds[-1] < 0.02


# -- the JSON document -----------------------------------------------------------------------


def test_the_document_reads_back_as_it_was_written():
    document = _update(_verdicts(_row("t_a")), codeowners="CODEOWNERS")

    assert parse_quarantine(dump_quarantine(document)) == document


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "no JSON"),
        ("[1]", "no JSON object"),
        ('{"version": 9}', "newer CI Medic"),
        (
            '{"version": 1, "repository": "a/b", "updated": "2026-01-01", "policy": {}, '
            '"quarantined": [{"test_id": "t"}], "released": []}',
            "quarantined/0",
        ),
    ],
)
def test_a_list_that_cannot_be_read_is_refused_with_a_sentence(text, said):
    with pytest.raises(QuarantineError, match=said):
        parse_quarantine(text)
