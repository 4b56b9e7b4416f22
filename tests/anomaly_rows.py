"""Hand-written anomaly rows as Anomaly Detection builds them (agents.anomaly_detection.watch),
for the tests of what reads them: one job-duration change per row, fields overridable."""

from __future__ import annotations

from typing import Any


def change_row(job: str, run: int, score: float = 6.0, kind: str = "trend", **extra: Any) -> dict:
    """A change of job ``job``'s duration in workflow CI, flagged at run number ``run``."""
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
