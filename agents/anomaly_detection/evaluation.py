"""Self-evaluation on the demo: the anomalies found against what the generator planted.

``truth.json`` plants duration spikes (runs where one job took 3-4.5 times its usual time), a
slowdown (one job's durations drifting up over weeks) and an outage (hours of long runner
queues). Precision and recall are counted per planted kind, on the anomalies of that kind of
series only: duration spikes against the runs flagged with a duration spike, the slowdown against
level shifts and trends of that job, the outage against queue-time anomalies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["PlantedResult", "evaluate_planted"]


@dataclass(frozen=True)
class PlantedResult:
    planted: str  # what was planted, in words
    expected: int  # how many planted things there are to find
    found: int  # how many of them were found
    flagged: int  # how many anomalies of this kind were raised
    true_flags: int  # how many of those point at a planted thing
    detail: str  # which ones, or what was missed

    @property
    def recall(self) -> float | None:
        return self.found / self.expected if self.expected else None

    @property
    def precision(self) -> float | None:
        return self.true_flags / self.flagged if self.flagged else None


def evaluate_planted(anomalies: pd.DataFrame, truth: dict[str, Any]) -> list[PlantedResult]:
    """One result per planted kind the truth holds (spikes, slowdown, outage)."""
    results = []
    found = anomalies if len(anomalies) else pd.DataFrame(columns=["run_id", "kind", "metric"])
    when = pd.to_datetime(found.get("created_at"), utc=True, errors="coerce", format="ISO8601")
    spikes = {int(r) for r in truth.get("duration_spikes") or []}
    if spikes:
        flagged = found[(found["kind"] == "spike") & (found["metric"] == "duration_s")]
        runs = set(flagged["run_id"].astype(int))
        hit = spikes & runs
        missed = sorted(spikes - runs)
        results.append(
            PlantedResult(
                "duration spikes",
                len(spikes),
                len(hit),
                len(runs),
                len(hit),
                f"missed runs {missed[:5]}" if missed else "every planted spike found",
            )
        )
    slowdown = truth.get("slowdown")
    if slowdown:
        start = pd.Timestamp(slowdown["start"])
        shifts = found[
            found["kind"].isin(["level_shift", "trend"]) & (found["metric"] == "duration_s")
        ]
        on_job = shifts["job_name"] == slowdown["job"]
        shift_when = when[shifts.index]
        after = shift_when >= start
        hit = shifts[on_job & after]
        results.append(
            PlantedResult(
                f"slowdown of {slowdown['job']} (x{slowdown['factor']})",
                1,
                int(len(hit) > 0),
                len(shifts),
                len(hit),
                f"first flagged {hit['created_at'].min()}: {hit['reason'].iloc[0]}"
                if len(hit)
                else "not found",
            )
        )
    outage = truth.get("outage")
    if outage:
        start = pd.Timestamp(outage["start"]) - pd.Timedelta("1h")
        end = pd.Timestamp(outage["end"]) + pd.Timedelta("1h")
        waits = found[found["metric"] == "queue_s"]
        inside = (when[waits.index] >= start) & (when[waits.index] <= end)
        results.append(
            PlantedResult(
                f"{outage.get('kind', '')} outage (long runner queues)",
                1,
                int(inside.any()),
                len(waits),
                int(inside.sum()),
                f"{int(inside.sum())} queue-time anomalies inside it"
                if inside.any()
                else "not found",
            )
        )
    return results
