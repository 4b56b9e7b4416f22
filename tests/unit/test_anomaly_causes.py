"""What a job's level shift names as its cause when the job's steps changed where it began.

The names of a job's steps are read only for the jobs around a change point (a callback the
agent gives the detector: every job's names held at once were a string per job, 800k at 100k
runs), so these tests check both that the cause still names the new step and that no other
job's steps are asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.anomaly_detection.causes import AFTER, COMMON
from agents.anomaly_detection.watch import Watched, anomalies_of, ci_config

RUNS = 160
SHIFT = 110  # the first job of the new level: the one that gained a step


def _job_history() -> pd.DataFrame:
    """A job that takes ~300 s and takes ~480 s from the run that added an integration step."""
    rng = np.random.default_rng(11)
    seconds = 300 * (1 + 0.03 * rng.standard_normal(RUNS))
    seconds[SHIFT:] *= 1.6
    return pd.DataFrame(
        {
            "job_id": np.arange(1000, 1000 + RUNS),
            "run_id": np.arange(1, RUNS + 1),
            "attempt": 1,
            "workflow": "ci",
            "job": "build",
            "started_at": [f"2026-03-01T00:{i // 60:02d}:{i % 60:02d}Z" for i in range(RUNS)],
            "duration_s": seconds,
            "conclusion": "success",
            "labels": "ubuntu-latest",
            "runner_os": "Linux",
            "head_sha": [f"{i:040x}" for i in range(RUNS)],
            "run_number": np.arange(1, RUNS + 1),
        }
    )


def _steps_of(job_id: int) -> str:
    steps = ["Checkout", "Install", "Test"]
    if job_id >= 1000 + SHIFT:
        steps.append("Integration tests")
    return "|".join(steps)


def test_a_jobs_level_shift_names_the_step_added_where_it_began_reading_only_nearby_jobs():
    frame = _job_history()
    asked: list[list[int]] = []

    def step_names(job_ids: list[int]) -> dict[int, str]:
        asked.append(job_ids)
        return {job: _steps_of(job) for job in job_ids}

    watched = Watched("job", "duration_s", "ci", "build", "", "", frame, np.arange(RUNS))
    found = anomalies_of(watched, pd.DataFrame(columns=["sha"]), ci_config(), step_names)

    shifts = [a for a in found if a["kind"] == "level_shift"]
    assert len(shifts) == 1, found
    assert "new step 'Integration tests'" in shifts[0]["cause"], shifts[0]["cause"]
    assert asked, "the step names were never read"
    # the rows the cause reads around the change point, not the job's whole history
    assert all(len(ids) <= COMMON + AFTER < RUNS for ids in asked), [len(ids) for ids in asked]


def test_without_a_reader_of_step_names_the_shift_is_still_reported():
    watched = Watched("job", "duration_s", "ci", "build", "", "", _job_history(), np.arange(RUNS))
    found = anomalies_of(watched, pd.DataFrame(columns=["sha"]), ci_config())
    assert [a["kind"] for a in found] == ["level_shift"], found
