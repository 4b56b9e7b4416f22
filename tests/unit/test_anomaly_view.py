"""Specification of the Anomalies section's read model (agents.anomaly_detection.view): a
change that many sibling series shared is one alert, yet each sibling's timeline shows it."""

from __future__ import annotations

import json

import pandas as pd

from agents.anomaly_detection.events import one_per_event
from agents.anomaly_detection.view import (
    series_anomalies,
    series_label,
    series_options,
    timeline_figure,
)
from tests.anomaly_rows import change_row


def _change(job: str, run: int, severity: str = "medium", kind: str = "level_shift") -> dict:
    return change_row(
        job,
        run,
        kind=kind,
        severity=severity,
        run_attempt=1,
        value=900.0,
        cause="commit abc1234 touched package-lock.json",
        created_at=f"2026-03-{run - 80:02d}T10:00:00Z",
    )


def _key(job: str) -> str:
    """The series key of a job's duration in workflow CI."""
    return json.dumps(["job", "duration_s", "CI", job, "", ""])


def _stored() -> pd.DataFrame:
    """What the agent stores: three matrix jobs' shared slowdown (one alert) and a lint spike."""
    rows = [_change(f"test ({v})", 90 + n) for n, v in enumerate(["3.11", "3.12", "3.13"])]
    rows.append(_change("lint", 95, severity="high", kind="spike"))
    return one_per_event(pd.DataFrame(rows))


def test_every_series_of_a_shared_change_can_be_picked():
    stored = _stored()
    assert len(stored) == 2  # the shared slowdown is one alert

    options = series_options(stored)

    assert options[0] == _key("lint")  # the most severe first
    assert sorted(options[1:]) == [_key(f"test ({v})") for v in ("3.11", "3.12", "3.13")]


def test_a_siblings_timeline_draws_the_shared_change_as_a_line_without_a_marker():
    stored = _stored()

    own, shared = series_anomalies(stored, _key("test (3.12)"))

    assert own.empty and shared["job_name"].tolist() == ["test (3.11)"]
    points = pd.DataFrame(
        {
            "when": pd.date_range("2026-03-01", periods=20, freq="D", tz="UTC"),
            "value": [300.0] * 10 + [900.0] * 10,
        }
    )
    figure = timeline_figure(points, own, "job test (3.12) · duration", shared)
    assert [trace.name for trace in figure.data if trace.name == "anomaly"] == []
    notes = [note.text for note in figure.layout.annotations]
    assert any("(shared with job test (3.11))" in note for note in notes)


def test_the_series_that_kept_the_alert_shows_it_as_its_own():
    own, shared = series_anomalies(_stored(), _key("test (3.11)"))
    assert own["kind"].tolist() == ["level_shift"] and shared.empty


def test_anomalies_stored_before_shared_changes_were_listed_still_read():
    old = pd.DataFrame([_change("lint", 95)])  # no shared_with column
    assert series_options(old) == [_key("lint")]
    own, shared = series_anomalies(old, _key("lint"))
    assert len(own) == 1 and shared.empty


def test_a_name_holding_the_old_separator_is_a_series_like_any_other():
    stored = pd.DataFrame([_change("Build | Linux", 95), _change("Build", 96, kind="spike")])
    options = series_options(stored)
    assert sorted(series_label(key) for key in options) == [
        "job Build | Linux · duration",
        "job Build · duration",
    ]
    own, _shared = series_anomalies(stored, _key("Build | Linux"))
    assert own["job_name"].tolist() == ["Build | Linux"]


def test_an_unreadable_shared_list_lists_nothing():
    stored = pd.DataFrame([_change("lint", 95)]).assign(shared_with=["", "not json"][:1])
    assert series_options(stored) == [_key("lint")]
