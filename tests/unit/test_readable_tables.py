"""Tables as people read them (issue 12): human headers, local times, no None/NaN cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.presentation.tables import MISSING, column_labels, human_label, readable


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("duration_s", "Duration (s)"),
        ("runner_os", "Runner OS"),
        ("created_at", "Created"),
        ("last_sent_at", "Last sent"),
        ("p95_min", "p95 (min)"),
        ("run_url", "Run link"),
        ("job_id", "Job ID"),
        ("usd_per_minute", "USD per minute"),
        ("cost_usd", "Cost (USD)"),
        ("on_default_branch", "On default branch"),
        ("Already human", "Already human"),
    ],
)
def test_given_a_snake_case_column_when_labelled_then_it_reads_as_words(column, label):
    assert human_label(column) == label


def test_given_overrides_when_labelling_columns_then_they_win_and_can_hide_a_column():
    config = column_labels(["job_id", "summary", "run_url"], {"job_id": None, "summary": "What"})

    assert config == {"job_id": None, "summary": "What", "run_url": "Run link"}


def test_given_utc_times_when_made_readable_then_they_show_local_wall_time_without_offset():
    frame = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2026-05-01T12:00:00Z", None], utc=True),
            "naive": pd.to_datetime(["2026-05-01 12:00", "2026-05-01 13:30"]),
        }
    )

    shown = readable(frame, "Europe/Berlin")

    assert shown["created_at"].tolist() == ["2026-05-01 14:00", MISSING]
    assert shown["naive"].tolist() == ["2026-05-01 14:00", "2026-05-01 15:30"]  # naive = UTC
    assert not shown.astype(str).apply(lambda c: c.str.contains(r"\+00:00")).any().any()


def test_given_an_unknown_time_zone_when_made_readable_then_utc_is_used():
    frame = pd.DataFrame({"at": pd.to_datetime(["2026-05-01T12:00:00Z"], utc=True)})

    assert readable(frame, "Not/AZone")["at"].tolist() == ["2026-05-01 12:00"]


def test_given_missing_values_when_made_readable_then_no_cell_says_none_or_nan():
    frame = pd.DataFrame(
        {
            "duration_s": [1.5, np.nan],
            "findings": [3.0, np.nan],
            "summary": ["ok", None],
            "flag": [True, None],
            "runs": [1, 2],
            "fine": [True, False],
        }
    )

    shown = readable(frame)

    assert shown["duration_s"].tolist() == ["1.50", MISSING]
    assert shown["findings"].tolist() == ["3", MISSING]
    assert shown["summary"].tolist() == ["ok", MISSING]
    assert shown["flag"].tolist() == ["yes", MISSING]
    text = shown.astype(str).to_numpy().ravel().tolist()
    assert not {"None", "nan", "NaN", "NaT"} & set(text)
    # columns without gaps keep their type: numbers sort as numbers, flags stay checkboxes
    assert shown["runs"].dtype == frame["runs"].dtype and shown["fine"].dtype == bool


def test_given_a_frame_when_made_readable_then_the_read_model_frame_is_untouched():
    frame = pd.DataFrame({"summary": [None], "at": pd.to_datetime(["2026-01-01"], utc=True)})

    readable(frame)

    assert frame["summary"].isna().all() and str(frame["at"].dtype).startswith("datetime64")
