"""One alert per change that many sibling series share.

Why: a workflow's matrix jobs (``test (3.10)``, ``test (3.11)``, … or Travis's ``ruby job 1`` to
``ruby job 44``) run the same code on the same runners, so when the code or the runners change
they all slow down or speed up together, and each job's series rightly sees it: measured on a
real Travis history (250 builds of 44 jobs), one speed-up came out as 58 trend alerts within
five builds. That is one event. The series' own hygiene (one alert per change, not one per run)
cannot see it: each series is judged alone.

Here level shifts and trends of the same workflow, scope (jobs or steps), metric and direction,
flagged within ``within`` runs of one another on at least ``least`` different series, become
one alert: the largest of them, whose reason names how many others moved with it. Spikes stay
as they are (a slow run of one job is worth its own line), and so does any group smaller than
``least``: two jobs that changed together may be two stories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["one_per_event"]

_CHANGES = ("level_shift", "trend")
_SIBLINGS = ("job", "step", "runner")  # scopes with siblings (a workflow's jobs, runner labels)
_SERIES = ("job_name", "step_name", "runner")


def one_per_event(found: pd.DataFrame, within: int = 10, least: int = 3) -> pd.DataFrame:
    """``found`` (anomaly rows, as the agent builds them) with each shared change collapsed
    into its largest alert; the other rows unchanged, in their order."""
    changes = found[
        found["kind"].isin(_CHANGES)
        & found["scope"].isin(_SIBLINGS)
        & found["run_number"].notna()
        & found["score"].notna()
    ]
    if len(changes) < least:
        return found
    dropped: list[int] = []
    reasons: dict[int, str] = {}
    direction = np.sign(changes["score"].astype(float))
    keys = [changes["workflow"], changes["scope"], changes["metric"], direction]
    for _key, group in changes.groupby(keys, sort=False, dropna=False):
        for event in _events(group.sort_values("run_number", kind="stable"), within):
            series = event[list(_SERIES)].astype(str).agg("|".join, axis=1)
            if series.nunique() < least:
                continue
            largest = event["score"].astype(float).abs().idxmax()
            others = event.drop(index=largest)
            dropped += list(others.index)
            reasons[largest] = _shared_reason(event.loc[largest], others, within)
    out = found.drop(index=dropped)
    for index, reason in reasons.items():
        out.loc[index, "reason"] = reason
    return out


def _events(group: pd.DataFrame, within: int) -> list[pd.DataFrame]:
    """The group's rows cut into runs of flags each within ``within`` runs of the event's
    first (ordered by run number)."""
    numbers = group["run_number"].astype(float).to_numpy()
    events, start = [], 0
    for i in range(1, len(numbers) + 1):
        if i == len(numbers) or numbers[i] - numbers[start] > within:
            events.append(group.iloc[start:i])
            start = i
    return events


def _shared_reason(kept: pd.Series, others: pd.DataFrame, within: int) -> str:
    """The kept alert's reason, with the siblings that moved the same way."""
    noun = "jobs" if kept["scope"] == "job" else "steps"
    names = others["job_name"].astype(str)
    if noun == "steps":
        names = names + ": " + others["step_name"].astype(str)
    distinct = list(dict.fromkeys(names))
    more = f" and {len(distinct) - 5} more" if len(distinct) > 5 else ""
    shown = ", ".join(distinct[:5]) + more
    return (
        f"{kept['reason']} {len(distinct)} other {noun} of workflow {kept['workflow']} "
        f"changed the same way within {within} runs ({shown}): one change, not "
        f"{len(distinct) + 1}."
    )
