"""Specification of the Pipelines page's drill-down choices and tables
(agents.pipeline_monitor.drilldown).

It opens on the newest *finished* run and, for a failed run, on the failed job of its latest
attempt; a choice stays while a filter or price change still offers it; and its tables read
like prose: headers in words, wall-clock times in the viewer's zone, no None/NaN cells.
"""

from __future__ import annotations

import pandas as pd
import pytest

from agents.pipeline_monitor.drilldown import (
    MISSING,
    default_job,
    default_run,
    duration_text,
    filter_runs,
    jobs_table,
    keep_choice,
    runs_table,
    steps_table,
    time_zone,
)


def runs(*rows: tuple) -> pd.DataFrame:
    """Runs newest first, as the Pipelines view loads them: (run_id, status, conclusion)."""
    frame = pd.DataFrame(
        [
            {
                "run_id": run_id,
                "attempt": 1,
                "workflow": "CI",
                "run_number": 100 - position,
                "event": "pull_request",
                "status": status,
                "conclusion": conclusion,
                "branch": "main",
                "actor": "octocat",
                "created_at": f"2024-07-01T12:{59 - position:02d}:00Z",
                "duration_s": 125.0 if status == "completed" else None,
                "html_url": f"https://github.com/acme/shop/actions/runs/{run_id}",
                "title": "Fix the cart",
            }
            for position, (run_id, status, conclusion) in enumerate(rows)
        ]
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def jobs(*rows: tuple) -> pd.DataFrame:
    """A run's jobs as run_jobs lists them (latest attempt first): (attempt, job_id, name,
    conclusion)."""
    return pd.DataFrame(
        [
            {
                "attempt": attempt,
                "job_id": job_id,
                "job": name,
                "status": "completed" if conclusion else "in_progress",
                "conclusion": conclusion,
                "queue_s": 4.0,
                "duration_s": 61.0 if conclusion else None,
                "runner_os": "Linux",
                "started_at": pd.Timestamp("2024-07-01T12:00:00Z"),
                "html_url": f"https://github.com/acme/shop/actions/runs/1/job/{job_id}",
                "log": "ok",
            }
            for attempt, job_id, name, conclusion in rows
        ]
    )


# --------------------------------------------------------------------------- what opens first


def test_given_a_run_in_progress_when_the_drill_down_opens_then_the_newest_finished_run_is_chosen():
    frame = runs((3, "in_progress", None), (2, "queued", None), (1, "completed", "failure"))

    assert default_run(frame) == 1


def test_given_only_runs_in_progress_when_opened_then_the_newest_is_chosen():
    assert default_run(runs((3, "in_progress", None), (2, "queued", None))) == 3
    assert default_run(pd.DataFrame()) is None


def test_given_a_failed_run_when_its_jobs_open_then_its_failed_job_is_chosen_not_the_first():
    frame = jobs((1, 11, "lint", "success"), (1, 12, "test", "failure"), (1, 13, "e2e", "failure"))

    assert default_job(frame) == 12


def test_given_a_re_run_when_its_jobs_open_then_the_latest_attempts_failed_job_is_chosen():
    frame = jobs(
        (2, 21, "lint", "success"),
        (2, 22, "test", "timed_out"),
        (1, 11, "lint", "failure"),  # the first attempt's failure is history
        (1, 12, "test", "success"),
    )

    assert default_job(frame) == 22


def test_given_a_latest_attempt_without_failures_when_opened_then_cancelled_then_first_job():
    cancelled = jobs(
        (2, 21, "lint", "success"), (2, 22, "test", "cancelled"), (1, 11, "x", "failure")
    )
    green = jobs((1, 11, "lint", "success"), (1, 12, "test", "success"))

    assert default_job(cancelled) == 22
    assert default_job(green) == 11
    assert default_job(jobs()) is None


@pytest.mark.parametrize(
    ("options", "current", "chosen"),
    [
        ([3, 2, 1], 2, 2),  # a filter or price change that still offers it: kept
        ([3, 1], 2, 1),  # no longer offered: the default
        ([3, 2, 1], None, 1),  # nothing chosen yet: the default
        (["success", "failure"], "failure", "failure"),
    ],
)
def test_given_a_choice_when_options_change_then_it_is_kept_while_still_offered(
    options, current, chosen
):
    fallback = options[-1]

    assert keep_choice(options, current, fallback) == chosen


# --------------------------------------------------------------------------- tables people read


def _no_machine_text(frame: pd.DataFrame) -> None:
    assert not frame.isna().any().any()
    cells = frame.astype(str).to_numpy().ravel().tolist()
    assert not {"None", "nan", "NaN", "NaT", "<NA>"} & set(cells)
    assert not any("+00:00" in cell or cell[:4].isdigit() and "T" in cell for cell in cells)
    assert all("_" not in column and column[:1] == column[:1].upper() for column in frame.columns)


def test_given_runs_when_tabled_then_headers_are_words_times_are_local_and_no_cell_is_none():
    frame = runs((3, "in_progress", None), (1, "completed", "timed_out"))
    frame.loc[0, "actor"] = None

    table = runs_table(frame, "Europe/Berlin")

    _no_machine_text(table)
    assert list(table.columns) == [
        "Run",
        "Workflow",
        "Title",
        "Branch",
        "Event",
        "Result",
        "Attempt",
        "Actor",
        "Created",
        "Duration",
        "GitHub",
        "Run ID",
    ]
    assert table["Created"].tolist() == ["2024-07-01 14:59", "2024-07-01 14:58"]  # CEST
    assert table["Result"].tolist() == ["in progress", "timed out"]
    assert table["Duration"].tolist() == [MISSING, "2 min 05 s"]
    assert table["Actor"].tolist() == [MISSING, "octocat"]
    assert table["Event"].tolist() == ["pull request", "pull request"]
    assert table["Run"].tolist() == ["#100", "#99"]


def test_given_jobs_and_steps_when_tabled_then_they_read_the_same_way():
    job_frame = jobs((1, 11, "test", "failure"), (1, 12, "e2e", None))
    job_frame.loc[1, ["started_at", "runner_os", "html_url"]] = [pd.NaT, None, None]
    step_frame = pd.DataFrame(
        {
            "number": [1, 2],
            "name": ["Set up job", "Run tests"],
            "status": ["completed", "in_progress"],
            "conclusion": ["success", None],
            "started_at": pd.to_datetime(["2024-07-01T12:00:00Z", "2024-07-01T12:00:05Z"]),
            "completed_at": pd.to_datetime(["2024-07-01T12:00:05Z", None], utc=True),
            "duration_s": [5.0, None],
        }
    )

    job_table = jobs_table(job_frame, "UTC")
    step_table = steps_table(step_frame, "UTC")

    _no_machine_text(job_table)
    _no_machine_text(step_table.drop(columns="#"))
    assert job_table["Started"].tolist() == ["2024-07-01 12:00:00", MISSING]
    assert job_table["Log"].tolist() == ["stored", "stored"]
    assert job_table["GitHub"].tolist()[1] == ""  # an empty link cell, not "None"
    assert job_table["Result"].tolist() == ["failure", "in progress"]
    assert step_table["Finished"].tolist() == ["12:00:05", MISSING]
    assert step_table["Result"].tolist() == ["success", "in progress"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, MISSING),
        (float("nan"), MISSING),
        (4.4, "4 s"),
        (65, "1 min 05 s"),
        (3720, "1 h 02 min"),
    ],
)
def test_given_durations_when_told_then_they_read_in_units(seconds, text):
    assert duration_text(seconds) == text


def test_given_an_unknown_time_zone_when_tabled_then_times_are_utc():
    assert time_zone("Mars/Olympus_Mons") == "UTC" and time_zone(None) == "UTC"
    assert time_zone("America/New_York") == "America/New_York"


def test_given_a_time_zone_when_runs_are_labelled_then_labels_use_its_wall_clock():
    labels = filter_runs(runs((1, "completed", "startup_failure")), tz="Asia/Tokyo")["label"]

    assert labels.tolist() == ["CI #100 · main · startup failure · 01 Jul 21:59"]
