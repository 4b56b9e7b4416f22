"""The run -> job -> step drill-down and the log viewer of the Pipelines page.

The log viewer only ever returns plain text in a DataFrame: a log line such as ``<script>`` is
data, and the page shows it with ``st.dataframe``/``st.code``, never as HTML. Links point at the
job on GitHub, at the step and line when the log's sections map onto the job's API steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.logs.normalise import NormalisedLog, github_line_url, map_github_steps
from core.store import jobs as job_store
from core.store.db import Store

__all__ = [
    "ERROR_MARKERS",
    "NO_LOG_MESSAGE",
    "LogView",
    "filter_options",
    "filter_runs",
    "job_steps",
    "load_job_log",
    "log_view",
    "run_jobs",
    "shape_log",
]

NO_LOG_MESSAGE = "No log stored for this job yet — run Fetch logs."
# Lines worth jumping to even when the log carries no ``##[error]`` marker.
ERROR_MARKERS = re.compile(
    r"##\[error\]|::error\b|\w*error\b|\bfatal\b|traceback \(most recent call last\)"
    r"|\bexception\b|\bFAILED\b|exit code [1-9]|\bpanic:",
    re.IGNORECASE,
)
_CONTEXT_BEFORE, _CONTEXT_AFTER = 20, 40


def _with_times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce", format="ISO8601")
    return frame


def filter_options(runs: pd.DataFrame) -> dict[str, list[str]]:
    """The values each drill-down filter offers, most frequent first."""
    if runs.empty:
        return {"workflow": [], "branch": [], "conclusion": []}
    outcome = runs["conclusion"].fillna(runs["status"])
    return {
        "workflow": runs["workflow"].dropna().value_counts().index.tolist(),
        "branch": runs["branch"].dropna().value_counts().index.tolist(),
        "conclusion": outcome.dropna().value_counts().index.tolist(),
    }


def filter_runs(
    runs: pd.DataFrame,
    workflow: str | None = None,
    branch: str | None = None,
    conclusion: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Runs matching the filters (None = any), newest first, with a label for a select box."""
    if runs.empty:
        return runs.assign(label=pd.Series(dtype=object))
    keep = pd.Series(True, index=runs.index)
    outcome = runs["conclusion"].fillna(runs["status"])
    for column, wanted in (("workflow", workflow), ("branch", branch)):
        if wanted:
            keep &= runs[column] == wanted
    if conclusion:
        keep &= outcome == conclusion
    out = runs[keep].head(limit).copy()
    when = out["created_at"].dt.strftime("%d %b %H:%M")
    label = (
        out["workflow"].fillna("?")
        + " #"
        + out["run_number"].astype("Int64").astype(str)
        + " · "
        + out["branch"].fillna("?")
        + " · "
        + outcome[out.index].fillna("?")
        + " · "
        + when
    )
    twins = label.duplicated(keep=False)  # labels pick a run in a select box: keep them unique
    out["label"] = label.where(~twins, label + " · run " + out["run_id"].astype(str))
    return out.reset_index(drop=True)


def run_jobs(store: Store, run_id: int) -> pd.DataFrame:
    """Every job of every attempt of one run, with whether its log is stored."""
    frame = _with_times(job_store.jobs_of_run(store, int(run_id)), "started_at")
    label = (
        "attempt "
        + frame["attempt"].astype(str)
        + " · "
        + frame["job"].fillna("?")
        + " · "
        + frame["conclusion"].fillna(frame["status"]).fillna("?")
    )
    twins = label.duplicated(keep=False)  # labels pick a job in a select box: keep them unique
    frame["label"] = label.where(~twins, label + " · job " + frame["job_id"].astype(str))
    return frame


def job_steps(store: Store, job_id: int) -> pd.DataFrame:
    """The steps of one job in order, with durations in seconds."""
    frame = job_store.steps_of_job(store, int(job_id))
    return _with_times(frame, "started_at", "completed_at")


# --------------------------------------------------------------------------- log viewer


@dataclass
class LogView:
    """What the log viewer shows for one job: lines as plain text, counts and a sentence."""

    job_id: int
    found: bool
    message: str
    lines: pd.DataFrame = field(default_factory=pd.DataFrame)
    total_lines: int = 0
    matches: int = 0
    error_lines: list[int] = field(default_factory=list)
    job_url: str | None = None


def load_job_log(store: Store, job_id: int) -> NormalisedLog | None:
    """The stored, normalised log of a job (None until the Log Ingester fetched it).

    ``core.store.logs`` arrives with the Log Ingester; until then every job has no log.
    """
    try:
        from core.store.logs import load_log
    except ModuleNotFoundError as exc:
        if exc.name != "core.store.logs":
            raise
        return None
    return load_log(store, int(job_id))


def log_view(
    store: Store,
    job_id: int,
    *,
    search: str = "",
    errors_only: bool = False,
    around: int | None = None,
    max_rows: int = 2000,
) -> LogView:
    """Load one job's log and shape it for the viewer (see :func:`shape_log`)."""
    log = load_job_log(store, job_id)
    job_url = _safe_url(job_store.job_html_url(store, int(job_id)))
    if log is None:
        return LogView(int(job_id), False, NO_LOG_MESSAGE, job_url=job_url)
    steps = job_store.api_steps(store, int(job_id))
    view = shape_log(
        log,
        job_url,
        steps,
        search=search,
        errors_only=errors_only,
        around=around,
        max_rows=max_rows,
    )
    view.job_id = int(job_id)
    return view


def shape_log(
    log: NormalisedLog,
    job_url: str | None,
    api_steps: Sequence[Mapping[str, Any]],
    *,
    search: str = "",
    errors_only: bool = False,
    around: int | None = None,
    max_rows: int = 2000,
) -> LogView:
    """Filter a log for display: text search, error lines only, or a window around one line.

    Search is a plain case-insensitive substring (no regex surprises for a user typing ``(``).
    Error lines are the ones the normaliser flagged plus those matching :data:`ERROR_MARKERS`.
    Every row keeps its original line number and gets a GitHub link.
    """
    frame = log.to_frame()
    flagged = frame["is_error"].to_numpy() | frame["text"].str.contains(ERROR_MARKERS).to_numpy()
    keep = np.ones(len(frame), dtype=bool)
    if search:
        keep &= frame["text"].str.contains(search, case=False, regex=False).to_numpy()
    if errors_only:
        keep &= flagged
    if around is not None:
        numbers = frame["line_no"].to_numpy()
        keep &= (numbers >= around - _CONTEXT_BEFORE) & (numbers <= around + _CONTEXT_AFTER)
    chosen = frame[keep].head(max_rows)
    lines = _display_lines(log, chosen, flagged[keep][: len(chosen)], job_url, api_steps)
    matches = int(keep.sum())
    return LogView(
        0,
        True,
        _log_sentence(len(frame), matches, len(lines), search, errors_only),
        lines,
        len(frame),
        matches,
        frame.loc[flagged, "line_no"].astype(int).tolist(),
        job_url,
    )


def _display_lines(
    log: NormalisedLog,
    chosen: pd.DataFrame,
    flagged: np.ndarray,
    job_url: str | None,
    api_steps: Sequence[Mapping[str, Any]],
) -> pd.DataFrame:
    numbers = chosen["line_no"].to_numpy()
    spans = map_github_steps(log, api_steps) if api_steps and job_url else ()
    if spans:
        names, links = _span_columns(numbers, spans, job_url or "")
    else:
        step_names = np.array([""] + [span.name for span in log.steps], dtype=object)
        names = step_names[chosen["step"].to_numpy() + 1]
        links = np.full(len(chosen), job_url, dtype=object)
    return pd.DataFrame(
        {
            "line": numbers,
            "step": names,
            "text": chosen["text"].to_numpy(),
            "error": flagged,
            "github": links,
        }
    )


def _span_columns(
    numbers: np.ndarray, spans: Sequence[Any], job_url: str
) -> tuple[np.ndarray, np.ndarray]:
    """Step name and deep link of each line, through the API steps the sections map onto."""
    firsts = np.array([span.first_line for span in spans])
    lasts = np.array([span.last_line for span in spans])
    position = np.clip(np.searchsorted(firsts, numbers, side="right") - 1, 0, len(spans) - 1)
    inside = (numbers >= firsts[position]) & (numbers <= lasts[position])
    names = np.empty(len(numbers), dtype=object)
    links = np.empty(len(numbers), dtype=object)
    for row, (at, ok, number) in enumerate(zip(position, inside, numbers, strict=True)):
        span = spans[at]
        names[row] = span.name if ok else ""
        links[row] = (
            github_line_url(job_url, span.number, number - span.first_line + 1)
            if ok and span.number is not None and number > 0
            else job_url
        )
    return names, links


def _log_sentence(total: int, matches: int, shown: int, search: str, errors_only: bool) -> str:
    what = []
    if search:
        what.append(f"containing “{search}”")
    if errors_only:
        what.append("flagged as errors")
    scope = f"{matches:,} of {total:,} lines " + " and ".join(what) if what else f"{total:,} lines"
    more = f" (showing the first {shown:,})" if shown < matches else ""
    return f"{scope}{more}."


def _safe_url(url: Any) -> str | None:
    """Only http(s) links reach a link column (a stored value is data, not trusted markup)."""
    text = str(url or "")
    return text if text.startswith(("https://", "http://")) else None
