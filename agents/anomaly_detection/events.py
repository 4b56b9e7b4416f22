"""One alert per change that many sibling series share.

Why: a workflow's matrix jobs (``test (3.10)``, ``test (3.11)``, … or Travis's ``ruby job 1`` to
``ruby job 44``) run the same code on the same runners, so when the code or the runners change
they all slow down or speed up together, and each job's series rightly sees it: measured on a
real Travis history (250 builds of 44 jobs), one speed-up came out as 58 trend alerts within
five builds. That is one event. The series' own hygiene (one alert per change, not one per run)
cannot see it: each series is judged alone.

Here level shifts and trends of the same workflow, scope (jobs, steps or runner labels), metric
and direction, flagged within ``within`` runs of one another on at least ``least`` different
series, become one alert: the first of them (where the change was first seen; it stays the same
alert when later siblings join, so a re-run does not report the event again), whose reason names
the others and whose ``shared_with`` lists their series (JSON, :func:`.watch.series_key`: the
page draws the change on each of them). Spikes stay as they are (a slow run of one job is worth
its own line), and so does any group smaller than ``least``: two jobs that changed together may
be two stories.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from agents.anomaly_detection.watch import series_key

__all__ = ["one_per_event"]

_CHANGES = ("level_shift", "trend")
_SIBLINGS = ("job", "step", "runner")  # scopes with siblings (a workflow's jobs, runner labels)
_SERIES = ("job_name", "step_name", "runner")
# how a reason names the siblings of each scope
_NAMED_BY = {
    "job": ("jobs", ("job_name",)),
    "step": ("steps", ("job_name", "step_name")),
    "runner": ("runner labels", ("runner",)),
}


def one_per_event(found: pd.DataFrame, within: int = 10, least: int = 3) -> pd.DataFrame:
    """``found`` (anomaly rows, as the agent builds them) with each shared change collapsed
    into its first alert; the other rows unchanged, in their order (index renumbered)."""
    found = found.reset_index(drop=True)  # labels are positions: drop and .loc touch one row
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
    shared: dict[int, str] = {}
    direction = np.sign(changes["score"].astype(float))
    keys = [changes["workflow"], changes["scope"], changes["metric"], direction]
    for _key, group in changes.groupby(keys, sort=False, dropna=False):
        for event in _events(group.sort_values("run_number", kind="stable"), within):
            series = _series(event)
            if series.nunique() < least:
                continue
            first = event.index[0]
            dropped += list(event.index[1:])
            siblings = event[series.ne(series.loc[first])].drop_duplicates(list(_SERIES))
            reasons[first] = _shared_reason(event.loc[first], siblings, within)
            shared[first] = json.dumps(series_key(siblings).tolist())
    out = found.drop(index=dropped)
    if shared:
        out["shared_with"] = out.get("shared_with", pd.Series(None, index=out.index)).astype(object)
    for index, reason in reasons.items():
        out.loc[index, "reason"] = reason
        out.loc[index, "shared_with"] = shared[index]
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


def _series(rows: pd.DataFrame) -> pd.Series:
    """Which series each row is of (within one workflow, scope and metric)."""
    return series_key(rows)


def _shared_reason(kept: pd.Series, siblings: pd.DataFrame, within: int) -> str:
    """The kept alert's reason, with the other series (one row each) that moved the same way."""
    noun, columns = _NAMED_BY[kept["scope"]]
    distinct = list(siblings[list(columns)].fillna("").astype(str).agg(": ".join, axis=1))
    more = f" and {len(distinct) - 5} more" if len(distinct) > 5 else ""
    shown = ", ".join(distinct[:5]) + more
    return (
        f"{kept['reason']} {len(distinct)} other {noun}{_of(kept['workflow'])} "
        f"changed the same way within {within} runs ({shown}): one change, not "
        f"{len(distinct) + 1}."
    )


def _of(workflow: object) -> str:
    return f" of workflow {workflow}" if isinstance(workflow, str) and workflow else ""
