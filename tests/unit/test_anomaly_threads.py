"""Every series watched at once on threads gives the anomalies one series after the other gives,
in the same order, each series announced as its anomalies are made."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.anomaly_detection.watch import (
    anomalies_of,
    anomalies_of_all,
    ci_config,
    watched_series,
)


def _runs() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    frames = []
    for number, workflow in enumerate(("build", "deploy", "docs")):
        n = 400
        duration = rng.lognormal(np.log(300 + 100 * number), 0.15, n)
        duration[n // 2 :] *= 1.6  # a level shift half-way
        duration[rng.integers(60, n, 4)] *= 4  # spikes
        frames.append(
            pd.DataFrame(
                {
                    "run_id": np.arange(n) + 10_000 * (number + 1),
                    "attempt": 1,
                    "workflow": workflow,
                    "created_at": pd.date_range("2026-01-01", periods=n, freq="h")
                    .strftime("%Y-%m-%dT%H:%M:%SZ")
                    .astype(object),
                    "duration_s": duration,
                    "head_sha": [f"{i:040x}" for i in range(n)],
                    "run_number": np.arange(n) + 1,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_series_watched_on_threads_give_the_anomalies_of_one_after_the_other():
    jobs = pd.DataFrame(
        columns=["workflow", "job", "conclusion", "labels", "duration_s", "queue_s"]
    )
    steps = pd.DataFrame(columns=["workflow", "job", "step", "duration_s"])
    series = list(watched_series(_runs(), jobs, steps))
    commits = pd.DataFrame(columns=["sha", "message", "files"])
    announced: list[tuple[int, str]] = []

    together = anomalies_of_all(
        series, commits, watching=lambda index, watched: announced.append((index, watched.workflow))
    )

    one_by_one = [row for w in series for row in anomalies_of(w, commits, ci_config())]
    assert len(series) == 3 and len(together) >= 6
    assert together == one_by_one
    assert announced == [(1, "build"), (2, "deploy"), (3, "docs")]
