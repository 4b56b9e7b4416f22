"""One alert per change that sibling series share (agents.anomaly_detection.events)."""

from __future__ import annotations

import pandas as pd

from agents.anomaly_detection.events import one_per_event


def _row(job: str, run: int, score: float, kind: str = "trend", **extra) -> dict:
    row = {
        "run_id": 1000 + run,
        "job_name": job,
        "step_name": "",
        "runner": "",
        "metric": "duration_s",
        "kind": kind,
        "scope": "job",
        "workflow": "CI",
        "run_number": run,
        "score": score,
        "reason": f"Job {job} has been slowing down.",
    }
    return {**row, **extra}


def test_a_change_many_matrix_jobs_share_is_one_alert_naming_the_others():
    found = pd.DataFrame([_row(f"test ({n})", 700 + n % 4, 6.0 + n) for n in range(8)])

    out = one_per_event(found)

    assert len(out) == 1
    kept = out.iloc[0]
    assert kept["job_name"] == "test (7)"  # the largest
    assert "7 other jobs of workflow CI changed the same way" in kept["reason"]
    assert "test (0)" in kept["reason"] and "and 2 more" in kept["reason"]


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

    assert sorted(out["job_name"]) == ["", "j2"]
