"""One alert per change that sibling series share (agents.anomaly_detection.events)."""

from __future__ import annotations

import json

import pandas as pd

from agents.anomaly_detection.events import one_per_event
from tests.anomaly_rows import change_row as _row


def test_a_change_many_matrix_jobs_share_is_one_alert_naming_the_others():
    found = pd.DataFrame([_row(f"test ({n})", 703 - n % 4, 6.0 + n) for n in range(8)])

    out = one_per_event(found)

    assert len(out) == 1
    kept = out.iloc[0]
    assert kept["job_name"] == "test (3)"  # where the change was first seen (run 700)
    assert "7 other jobs of workflow CI changed the same way" in kept["reason"]
    assert "test (7)" in kept["reason"] and "and 2 more" in kept["reason"]
    assert kept["reason"].endswith("one change, not 8.")
    others = [
        json.dumps(["job", "duration_s", "CI", f"test ({n})", "", ""])
        for n in (0, 1, 2, 4, 5, 6, 7)
    ]
    assert sorted(json.loads(kept["shared_with"])) == others  # the page draws it on each


def test_the_kept_alert_stays_the_same_when_later_siblings_join():
    early = pd.DataFrame([_row(f"test ({n})", 700 + n, 7.0) for n in range(3)])
    later = pd.concat([early, pd.DataFrame([_row("test (9)", 708, 30.0)])], ignore_index=True)

    assert one_per_event(early)["job_name"].tolist() == ["test (0)"]
    assert one_per_event(later)["job_name"].tolist() == ["test (0)"]


def test_runner_labels_that_wait_longer_together_are_one_alert_naming_the_labels():
    found = pd.DataFrame(
        [
            _row("", 500 + n, 6.0, kind="level_shift", scope="runner", runner=label,
                 metric="queue_s", workflow=None)
            for n, label in enumerate(["ubuntu-latest", "macos-14", "windows-latest"])
        ]
    )  # fmt: skip

    out = one_per_event(found)

    assert out["runner"].tolist() == ["ubuntu-latest"]
    assert (
        "2 other runner labels changed the same way within 10 runs (macos-14, "
        in (out["reason"].iloc[0])
    )


def test_a_series_flagged_twice_in_one_event_counts_once():
    found = pd.DataFrame(
        [
            _row("a", 700, 6.0, kind="level_shift"),
            _row("a", 704, 8.0),  # the same job's change, seen again as a drift
            _row("b", 701, 7.0),
            _row("c", 702, 7.0),
        ]
    )

    out = one_per_event(found)

    assert out["job_name"].tolist() == ["a"]
    assert (
        "2 other jobs of workflow CI changed the same way within 10 runs (b, c)"
        in (out["reason"].iloc[0])
    )


def test_two_jobs_that_changed_together_keep_their_own_alerts():
    found = pd.DataFrame([_row("lint", 700, 7.0), _row("build", 701, 8.0)])
    pd.testing.assert_frame_equal(one_per_event(found), found)


def test_spikes_opposite_moves_other_workflows_and_later_changes_stay_apart():
    found = pd.DataFrame(
        [
            *[_row(f"a{n}", 700, 9.0, kind="spike") for n in range(4)],  # spikes: each its own
            _row("b1", 700, 7.0),
            _row("b2", 701, -7.0),  # speeding up, not slowing down
            _row("b3", 702, 7.0, workflow="Nightly"),
            _row("b4", 760, 7.0),  # fifty runs later: another story
        ]
    )
    pd.testing.assert_frame_equal(one_per_event(found), found)


def test_level_shifts_and_trends_of_one_event_are_one_change():
    found = pd.DataFrame(
        [
            _row("j1", 700, 6.5, kind="level_shift"),
            _row("j2", 703, 9.0, kind="trend"),
            _row("j3", 706, 7.0, kind="level_shift"),
            _row("other", 700, 5.0, scope="workflow", job_name=""),  # the workflow's own series
        ]
    )

    out = one_per_event(found)

    assert sorted(out["job_name"]) == ["", "j1"]
