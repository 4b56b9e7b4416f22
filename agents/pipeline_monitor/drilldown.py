"""The run -> job -> step drill-down of the Pipelines page (pure: no Streamlit).

:func:`filter_runs` (newest first, labelled), :func:`default_run` (the newest *completed* run),
:func:`run_jobs` and :func:`default_job` (a failed run opens on its first failed job of the
latest attempt), :func:`keep_choice` (a selection survives a filter or price change while it is
still offered) and the human tables (:func:`runs_table`, :func:`jobs_table`,
:func:`steps_table`: readable headers, times in the viewer's time zone, no None/NaN cells), with
the words they are made of (:func:`outcome_text`, :func:`duration_text`, :func:`local_times`).

The selected job's log is the log viewer's (:mod:`agents.pipeline_monitor.log_viewer`), which
builds on this module and never the other way round. :func:`safe_url` is shared: a link taken
from the store reaches a table or the viewer only when it is http(s).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from agents.pipeline_monitor.kpis import runner_label
from core.store import jobs as job_store
from core.store.db import Store

__all__ = [
    "FAILED_CONCLUSIONS",
    "MISSING",
    "default_job",
    "default_run",
    "duration_text",
    "filter_options",
    "filter_runs",
    "job_steps",
    "jobs_table",
    "keep_choice",
    "local_times",
    "outcome_text",
    "run_jobs",
    "runs_table",
    "safe_url",
    "steps_table",
    "time_zone",
]

FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})
MISSING = "—"  # what a table cell shows for a value that does not exist (never None/NaN)
_LOG_STATES = {"ok": "stored", "error": "fetch failed", "expired": "expired on GitHub"}


def safe_url(url: Any) -> str | None:
    """Only http(s) links reach a link column or the log viewer (a stored value is data, not
    trusted markup); anything else is None."""
    text = str(url or "")
    return text if text.startswith(("https://", "http://")) else None


# --------------------------------------------------------------------------- drill-down


def _with_times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce", format="ISO8601")
    return frame


def outcome_text(value: Any) -> str:
    """A conclusion or status as words: ``timed_out`` -> ``timed out``, missing -> ``—``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return MISSING
    return str(value).replace("_", " ")


def _outcome(frame: pd.DataFrame) -> pd.Series:
    """The conclusion, or the status while there is none (``in_progress``, ``queued``)."""
    return frame["conclusion"].fillna(frame["status"])


def filter_options(runs: pd.DataFrame) -> dict[str, list[str]]:
    """The values each drill-down filter offers, most frequent first."""
    if runs.empty:
        return {"workflow": [], "branch": [], "conclusion": []}
    return {
        "workflow": runs["workflow"].dropna().value_counts().index.tolist(),
        "branch": runs["branch"].dropna().value_counts().index.tolist(),
        "conclusion": _outcome(runs).dropna().value_counts().index.tolist(),
    }


def filter_runs(
    runs: pd.DataFrame,
    workflow: str | None = None,
    branch: str | None = None,
    conclusion: str | None = None,
    limit: int = 500,
    tz: str | None = None,
) -> pd.DataFrame:
    """Runs matching the filters (None = any), newest first, with a label for a select box.

    The label reads ``CI #12 · main · failure · 03 Jun 14:05`` (time in ``tz``, UTC if None).
    """
    if runs.empty:
        return runs.assign(label=pd.Series(dtype=object))
    keep = pd.Series(True, index=runs.index)
    outcome = _outcome(runs)
    for column, wanted in (("workflow", workflow), ("branch", branch)):
        if wanted:
            keep &= runs[column] == wanted
    if conclusion:
        keep &= outcome == conclusion
    out = runs[keep].head(limit).copy()
    when = local_times(out["created_at"], tz, "%d %b %H:%M")
    label = (
        out["workflow"].fillna("?")
        + " #"
        + out["run_number"].astype("Int64").astype(str)
        + " · "
        + out["branch"].fillna("?")
        + " · "
        + outcome[out.index].map(outcome_text)
        + " · "
        + when
    )
    twins = label.duplicated(keep=False)  # labels pick a run in a select box: keep them unique
    out["label"] = label.where(~twins, label + " · run " + out["run_id"].astype(str))
    return out.reset_index(drop=True)


def default_run(runs: pd.DataFrame) -> int | None:
    """The run the drill-down opens on: the newest completed one (a run in progress has
    nothing to read yet), else the newest; ``runs`` is newest first. None when empty."""
    if runs.empty:
        return None
    done = runs.index[runs["status"] == "completed"]
    return int(runs.loc[done[0] if len(done) else runs.index[0], "run_id"])


def repo_key(store: Store, repo: str) -> int:
    """The store's id of ``repo`` (-1, matching nothing, when it is not stored): runs and jobs
    are keyed by repository + GitHub's id, since imported histories reuse ids."""
    repo_id = store.repo_id(repo)
    return -1 if repo_id is None else int(repo_id)


def run_jobs(store: Store, repo: str, run_id: int) -> pd.DataFrame:
    """Every job of every attempt of one run (latest attempt first), whether its log is stored,
    and a label for a select box."""
    frame = _with_times(
        job_store.jobs_of_run(store, repo_key(store, repo), int(run_id)), "started_at"
    )
    label = (
        "attempt "
        + frame["attempt"].astype(str)
        + " · "
        + frame["job"].fillna("?")
        + " · "
        + _outcome(frame).map(outcome_text)
    )
    twins = label.duplicated(keep=False)  # labels pick a job in a select box: keep them unique
    frame["label"] = label.where(~twins, label + " · job " + frame["job_id"].astype(str))
    return frame


def default_job(jobs: pd.DataFrame) -> int | None:
    """The job the drill-down opens on: the first failed job (failure, timed out, startup
    failure) of the latest attempt, else its first cancelled one, else its first job.

    ``jobs`` is :func:`run_jobs` (attempts newest first, jobs in start order). None when empty.
    """
    if jobs.empty:
        return None
    latest = jobs[jobs["attempt"] == jobs["attempt"].max()]
    for wanted in (
        latest["conclusion"].isin(FAILED_CONCLUSIONS),
        latest["conclusion"].eq("cancelled"),
    ):
        if wanted.any():
            return int(latest.loc[wanted, "job_id"].iloc[0])
    return int(latest["job_id"].iloc[0])


def keep_choice(options: Sequence[Hashable], current: Hashable, fallback: Hashable) -> Hashable:
    """The selection to show: the current one while it is still offered, else ``fallback``.

    A filter or a price change redraws the drill-down; the run and job chosen stay chosen as
    long as the new options hold them.
    """
    return current if current is not None and current in options else fallback


def job_steps(store: Store, repo: str, job_id: int) -> pd.DataFrame:
    """The steps of one job in order, with durations in seconds."""
    frame = job_store.steps_of_job(store, repo_key(store, repo), int(job_id))
    return _with_times(frame, "started_at", "completed_at")


# --------------------------------------------------------------------------- human tables


def time_zone(tz: str | None) -> str:
    """``tz`` when it names a time zone this machine knows, else UTC."""
    if not tz:
        return "UTC"
    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return "UTC"
    return str(tz)


def local_times(values: pd.Series, tz: str | None, fmt: str = "%Y-%m-%d %H:%M") -> pd.Series:
    """Times as wall-clock text in ``tz`` (the viewer's zone; UTC when unknown), no offset
    suffix; a missing time is ``—``."""
    if len(values) == 0:
        return pd.Series([], index=values.index, dtype=object)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values
    else:
        stamps = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    text = stamps.dt.tz_convert(time_zone(tz)).dt.strftime(fmt)
    return text.astype(object).where(stamps.notna(), MISSING)


def duration_text(seconds: Any) -> str:
    """``45 s``, ``4 min 05 s``, ``1 h 02 min``; a missing duration is ``—``."""
    if seconds is None or pd.isna(seconds):
        return MISSING
    total = max(0, int(round(float(seconds))))
    if total < 60:
        return f"{total} s"
    minutes, rest = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _words(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna() & (values.astype(str) != ""), MISSING)


def _links(values: pd.Series) -> pd.Series:
    """http(s) links only; anything else (missing, another scheme) is an empty cell."""
    return values.map(lambda url: safe_url(url) or "").astype(object)


def runs_table(runs: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """The filtered runs as people read them (headers in words, local times, no None/NaN)."""
    numbers = runs["run_number"].astype("Int64")
    return pd.DataFrame(
        {
            "Run": ("#" + numbers.astype(str)).where(numbers.notna(), MISSING),
            "Workflow": _words(runs["workflow"]),
            "Title": _words(runs["title"]),
            "Branch": _words(runs["branch"]),
            "Event": _words(runs["event"]).map(lambda v: v.replace("_", " ")),
            "Result": _outcome(runs).map(outcome_text),
            "Attempt": runs["attempt"].fillna(1).astype(int),
            "Actor": _words(runs["actor"]),
            "Created": local_times(runs["created_at"], tz),
            "Duration": runs["duration_s"].map(duration_text),
            "GitHub": _links(runs["html_url"]),
            "Run ID": runs["run_id"].astype(str),
        }
    ).reset_index(drop=True)


def jobs_table(jobs: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """A run's jobs (every attempt) as people read them."""
    return pd.DataFrame(
        {
            "Attempt": jobs["attempt"].fillna(1).astype(int),
            "Job": _words(jobs["job"]),
            "Result": _outcome(jobs).map(outcome_text),
            "Started": local_times(jobs["started_at"], tz, "%Y-%m-%d %H:%M:%S"),
            "Queued": jobs["queue_s"].map(duration_text),
            "Duration": jobs["duration_s"].map(duration_text),
            "Runner": _words(runner_label(jobs["runner_os"], jobs["conclusion"])),
            "Log": jobs["log"].map(lambda state: _LOG_STATES.get(state, outcome_text(state))),
            "GitHub": _links(jobs["html_url"]),
            "Job ID": jobs["job_id"].astype(str),
        }
    ).reset_index(drop=True)


def steps_table(steps: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """A job's steps as people read them."""
    return pd.DataFrame(
        {
            "#": steps["number"].astype("Int64").astype(str).where(steps["number"].notna(), ""),
            "Step": _words(steps["name"]),
            "Result": _outcome(steps).map(outcome_text),
            "Started": local_times(steps["started_at"], tz, "%H:%M:%S"),
            "Finished": local_times(steps["completed_at"], tz, "%H:%M:%S"),
            "Duration": steps["duration_s"].map(duration_text),
        }
    ).reset_index(drop=True)
