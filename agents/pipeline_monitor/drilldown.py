"""The run -> job -> step drill-down and the log viewer of the Pipelines page (pure: no Streamlit).

Drill-down: :func:`filter_runs` (newest first, labelled), :func:`default_run` (the newest
*completed* run), :func:`run_jobs` and :func:`default_job` (a failed run opens on its first failed
job of the latest attempt), :func:`keep_choice` (a selection survives a filter or price change
while it is still offered) and the human tables (:func:`runs_table`, :func:`jobs_table`,
:func:`steps_table`: readable headers, times in the viewer's time zone, no None/NaN cells).

Log viewer: :func:`index_log` reads a stored log once (error lines with their text, the line
the viewer opens on, the GitHub step each line belongs to); :func:`log_window` cuts a bounded
window (context around one line, or a page) into blocks, a ``##[group]`` being one foldable
block that is open when it holds an error; :func:`filtered_lines` lists search matches or error
lines; :func:`log_html` draws a window. A log line is untrusted data: every piece of it passes
through :func:`html.escape` in :func:`log_html` and nowhere else builds markup, links are
http(s) only, and the result is meant for ``st.html`` (no Markdown processing, sanitised).
Line numbers are the stored log's own (a log kept head+tail keeps the original numbers), links
open the line's step on GitHub (which numbers lines per step).
"""

from __future__ import annotations

import html
import re
import zoneinfo
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agents.pipeline_monitor.kpis import runner_label
from core.logs.normalise import LogSpan, NormalisedLog, github_line_url, map_github_steps
from core.store import jobs as job_store
from core.store.db import Store

__all__ = [
    "CONTEXT_AFTER",
    "CONTEXT_BEFORE",
    "ERROR_MARKERS",
    "FAILED_CONCLUSIONS",
    "MISSING",
    "NO_LOG_MESSAGE",
    "PAGE_ROWS",
    "ErrorLine",
    "LogBlock",
    "LogIndex",
    "LogView",
    "LogWindow",
    "ViewLine",
    "default_job",
    "default_run",
    "display_line",
    "duration_text",
    "filter_options",
    "filter_runs",
    "filtered_lines",
    "index_log",
    "job_page_url",
    "job_steps",
    "jobs_table",
    "keep_choice",
    "load_job_log",
    "load_log_index",
    "local_times",
    "log_html",
    "log_version",
    "log_view",
    "log_window",
    "outcome_text",
    "run_jobs",
    "runs_table",
    "shape_log",
    "steps_table",
    "time_zone",
]

NO_LOG_MESSAGE = "No log stored for this job yet — run Fetch logs."
# Lines worth jumping to even when the log carries no ``##[error]`` marker.
ERROR_MARKERS = re.compile(
    r"##\[error\]|::error\b|error\b|\bfatal\b|traceback \(most recent call last\)"
    r"|\bexception\b|\bFAILED\b|exit code [1-9]|\bpanic:|\bERR!"
    r"|(?-i:\bFAIL\b|\bKilled\b)",  # go test / jest ``FAIL``, the OOM killer's ``Killed``
    re.IGNORECASE,
)
# Every alternative of ERROR_MARKERS holds one of these (lower case): a cheap first pass.
_KEYWORDS = re.compile(r"error|fatal|traceback|exception|fail|exit code|panic:|err!|killed")
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})
MISSING = "—"  # what a table cell shows for a value that does not exist (never None/NaN)
CONTEXT_BEFORE, CONTEXT_AFTER = 20, 40  # lines shown around a line jumped to
PAGE_ROWS = 200  # lines on one page of the log when paging
MAX_LISTED = 500  # search matches / error lines listed at most
_LABEL_CHARS = 110
_LOG_STATES = {"ok": "stored", "error": "fetch failed", "expired": "expired on GitHub"}


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


def run_jobs(store: Store, run_id: int) -> pd.DataFrame:
    """Every job of every attempt of one run (latest attempt first), whether its log is stored,
    and a label for a select box."""
    frame = _with_times(job_store.jobs_of_run(store, int(run_id)), "started_at")
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


def job_steps(store: Store, job_id: int) -> pd.DataFrame:
    """The steps of one job in order, with durations in seconds."""
    frame = job_store.steps_of_job(store, int(job_id))
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
    return values.map(lambda url: _safe_url(url) or "").astype(object)


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


# --------------------------------------------------------------------------- log as a table


@dataclass
class LogView:
    """Lines of one log as a plain-text table (line, step, text, error, GitHub link), counts
    and a sentence: the log as data. The page's viewer draws a :class:`LogWindow` instead."""

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


def job_page_url(store: Store, job_id: int) -> str | None:
    """The job's page on GitHub (http(s) only; None when not stored)."""
    return _safe_url(job_store.job_html_url(store, int(job_id)))


def log_version(store: Store, job_id: int) -> tuple:
    """What changes when a job's stored log changes (a cache key for its :class:`LogIndex`)."""
    try:
        from core.store.logs import log_info
    except ModuleNotFoundError as exc:
        if exc.name != "core.store.logs":
            raise
        return (int(job_id),)
    info = log_info(store, int(job_id))
    if info is None:
        return (int(job_id),)
    return (int(job_id), info.state, info.raw_bytes, info.n_lines, info.truncated)


def log_view(
    store: Store,
    job_id: int,
    *,
    search: str = "",
    errors_only: bool = False,
    around: int | None = None,
    max_rows: int = 2000,
) -> LogView:
    """Load one job's log and shape it as a table (see :func:`shape_log`)."""
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


def _flags(log: NormalisedLog) -> np.ndarray:
    """Rows flagged by the normaliser (``##[error]``, ``::error``) or by :data:`ERROR_MARKERS`.

    A 20 MiB log has ~250k lines: one pass over the lowered text finds the lines holding one of
    the markers' keywords, and only those are matched against the full pattern.
    """
    flags = np.asarray(log.is_error, dtype=bool).copy()
    texts = log.texts
    if not texts:
        return flags
    joined = "\n".join(texts)
    lowered = joined.lower()
    if len(lowered) == len(joined):
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        found = np.fromiter((m.start() for m in _KEYWORDS.finditer(lowered)), dtype=np.int64)
        candidates = np.unique(np.searchsorted(starts, found, side="right") - 1)
    else:  # lower() changed some character's length: offsets would drift, test every line
        candidates = np.arange(len(texts))
    for row in candidates.tolist():
        if ERROR_MARKERS.search(texts[row]):
            flags[row] = True
    return flags


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
    """Filter a log as a table: text search, error lines only, or a window around one line.

    Search is a plain case-insensitive substring (no regex surprises for a user typing ``(``).
    Error lines are the ones the normaliser flagged plus those matching :data:`ERROR_MARKERS`.
    Every row keeps its original line number and gets a GitHub link.
    """
    frame = log.to_frame()
    flagged = _flags(log)
    keep = np.ones(len(frame), dtype=bool)
    if search:
        keep &= frame["text"].str.contains(search, case=False, regex=False).to_numpy()
    if errors_only:
        keep &= flagged
    if around is not None:
        numbers = frame["line_no"].to_numpy()
        keep &= (numbers >= around - CONTEXT_BEFORE) & (numbers <= around + CONTEXT_AFTER)
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
    position, inside = _span_positions(numbers, spans)
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


def _span_positions(numbers: np.ndarray, spans: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """For each line number: the index of the span that may hold it, and whether it does."""
    firsts = np.array([span.first_line for span in spans])
    lasts = np.array([span.last_line for span in spans])
    position = np.clip(np.searchsorted(firsts, numbers, side="right") - 1, 0, len(spans) - 1)
    inside = (numbers >= firsts[position]) & (numbers <= lasts[position]) & (numbers > 0)
    return position, inside


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


# --------------------------------------------------------------------------- log viewer

_MARKER = re.compile(r"^(?:##\[(\w+)\]|::(group|endgroup)::)")
_MARKER_WORDS = {
    "error": "Error: ",
    "warning": "Warning: ",
    "notice": "Notice: ",
    "debug": "Debug: ",
}
# Colour codes whose ESC byte was lost on the way (``[36;1mnpm ci[0m``): noise, like whole
# codes. Removed only from a line where one stands at its start or after a space or sign, so
# that ``array[1m`` in ordinary text stays.
_ORPHAN_SGR = re.compile(r"\[\d{1,3}(?:;\d{1,3})*m")
_ORPHAN_SGR_FIRST = re.compile(r"(?:^|(?<=[^\w\]\[]))\[\d{1,3}(?:;\d{1,3})*m")


def display_line(text: str) -> tuple[str, str]:
    """(kind, text to show) of one normalised log line, the way GitHub's log page shows it.

    ``##[group]Run x`` -> ("group", "Run x") (a fold's title); ``##[endgroup]`` ->
    ("endgroup", "") (not shown); ``##[error]x`` -> ("error", "Error: x"), likewise warning,
    notice and debug; ``##[command]x`` -> ("command", "x"); anything else is ("text", line).
    ANSI codes are gone already (the normaliser strips them); colour codes that lost their
    ESC byte (``[36;1m``) are removed here.
    """
    if "[" in text and _ORPHAN_SGR_FIRST.search(text):
        text = _ORPHAN_SGR.sub("", text)
    match = _MARKER.match(text)
    if match is None:
        return "text", text
    marker = (match.group(1) or match.group(2)).lower()
    rest = text[match.end() :]
    if marker == "group":
        return "group", rest.strip()
    if marker == "endgroup":
        return "endgroup", ""
    if marker in _MARKER_WORDS:
        return marker, _MARKER_WORDS[marker] + rest
    if marker in ("command", "section"):
        return marker, rest
    return "text", text


@dataclass(frozen=True)
class ErrorLine:
    """An error line to jump to: its number, its text and a label ``L812: npm ERR! …``."""

    number: int
    text: str
    label: str
    annotation: bool  # GitHub's own ``##[error]`` (or ``::error``) annotation


@dataclass(frozen=True, eq=False)
class LogIndex:
    """One stored log read once for the viewer (cheap to window many times).

    ``flagged``: rows that are errors (annotations, or :data:`ERROR_MARKERS` outside a step's
    command header); ``errors``: those rows as :class:`ErrorLine` (at most :data:`MAX_LISTED`,
    annotations always kept); ``cause``: the line the viewer opens on; ``spans``: the log's
    sections mapped onto the job's API steps (numbers for links; () when unmapped).
    """

    log: NormalisedLog
    job_url: str | None
    spans: tuple[LogSpan, ...]
    flagged: np.ndarray
    errors: tuple[ErrorLine, ...]
    cause: int | None

    @property
    def total_lines(self) -> int:
        return len(self.log)

    def line_url(self, number: int) -> str | None:
        """The GitHub link of line ``number``: its step and line there, else the job."""
        if not self.spans or number < 1:
            return self.job_url
        position, inside = _span_positions(np.array([number]), self.spans)
        span = self.spans[int(position[0])]
        if not inside[0] or span.number is None or not self.job_url:
            return self.job_url
        return github_line_url(self.job_url, span.number, number - span.first_line + 1)


def index_log(
    log: NormalisedLog,
    job_url: str | None = None,
    api_steps: Sequence[Mapping[str, Any]] = (),
) -> LogIndex:
    """Read a log once for the viewer: error lines with their text, the line to open on, steps.

    The viewer opens on the cause, as a reader looks for it: the step holding the first
    ``##[error]`` annotation, and in it the first line flagged as an error (the annotation
    itself when nothing before it looks like one). Without annotations it is the first flagged
    line; without any, None (the log opens at its top). A step's command header (the
    ``##[group]Run …`` fold echoing the command and its environment) is never an error line:
    a ``continue-on-error: true`` there is not a failure.
    """
    job_url = _safe_url(job_url)
    headers = _header_rows(log)
    flagged = _flags(log) & ~headers | np.asarray(log.is_error, dtype=bool)
    spans = map_github_steps(log, api_steps) if api_steps and job_url else ()
    cause = _cause_row(log, flagged)
    rows = np.flatnonzero(flagged)
    if len(rows) > MAX_LISTED:  # the cause, every annotation, then the first other error lines
        kept = np.union1d(np.flatnonzero(log.is_error), [cause])[: MAX_LISTED - 1]
        kept = np.union1d(kept, [cause]).astype(np.int64)
        others = np.setdiff1d(rows, kept, assume_unique=True)
        rows = np.union1d(kept, others[: MAX_LISTED - len(kept)])
    errors = tuple(_error_line(log, int(row)) for row in rows)
    number = int(log.line_numbers[cause]) if cause is not None else None
    return LogIndex(log, job_url, tuple(spans), flagged, errors, number)


def _header_rows(log: NormalisedLog) -> np.ndarray:
    """Rows of a fold that opens a step (GitHub's ``##[group]Run …`` command header)."""
    headers = np.zeros(len(log), dtype=bool)
    starts = {log.row_of(group.first_line): group for group in log.groups}
    for step in log.steps:
        row = log.row_of(step.first_line)
        group = starts.get(row)
        if row is None or group is None or group.kind != "group":
            continue
        last = log.row_of(group.last_line)
        headers[row : (last if last is not None else row) + 1] = True
    return headers


def _cause_row(log: NormalisedLog, flagged: np.ndarray) -> int | None:
    """The row the viewer opens on (see :func:`index_log`)."""
    annotations = np.flatnonzero(log.is_error)
    if len(annotations):
        first = int(annotations[0])
        same_step = np.asarray(log.step_index)[: first + 1] == log.step_index[first]
        return int(np.flatnonzero(flagged[: first + 1] & same_step)[0])
    rows = np.flatnonzero(flagged)
    return int(rows[0]) if len(rows) else None


def _error_line(log: NormalisedLog, row: int) -> ErrorLine:
    number = int(log.line_numbers[row])
    text = display_line(log.texts[row])[1]
    short = " ".join(text.split())
    if len(short) > _LABEL_CHARS:
        short = short[: _LABEL_CHARS - 1].rstrip() + "…"
    return ErrorLine(number, text, f"L{number}: {short}", bool(log.is_error[row]))


def load_log_index(store: Store, job_id: int) -> LogIndex | None:
    """The :class:`LogIndex` of a job's stored log (None until its log is fetched)."""
    log = load_job_log(store, job_id)
    if log is None:
        return None
    job_url = job_store.job_html_url(store, int(job_id))
    return index_log(log, job_url, job_store.api_steps(store, int(job_id)))


@dataclass(frozen=True)
class ViewLine:
    """One shown line: its number (0: the truncation notice), text, kind and highlights."""

    number: int
    text: str
    kind: str = "text"  # text, error, warning, notice, debug, command, section, group, ...
    error: bool = False
    hit: bool = False
    selected: bool = False
    url: str | None = None


@dataclass(frozen=True)
class LogBlock:
    """Consecutive shown lines: a ``##[group]`` fold (``title``) or lines outside any fold.

    ``step`` is set on the first block of a step in the window (a heading above it);
    ``continued``: the fold's title line lies above the window.
    """

    lines: tuple[ViewLine, ...]
    title: str | None = None
    title_line: int | None = None
    open: bool = True
    continued: bool = False
    step: str | None = None


@dataclass(frozen=True)
class LogWindow:
    """A bounded part of a log, ready to draw: blocks, what is shown and how to move on.

    ``start``/``stop``: the rows shown (``stop`` excluded); ``earlier``/``later``: the start of
    the previous/next page (None at either end).
    """

    blocks: tuple[LogBlock, ...]
    message: str
    start: int = 0
    stop: int = 0
    earlier: int | None = None
    later: int | None = None
    selected: int | None = None
    search: str = ""

    @property
    def lines(self) -> list[ViewLine]:
        return [line for block in self.blocks for line in block.lines]


def _row_near(log: NormalisedLog, number: int) -> int:
    """The row of line ``number``; for a line not kept, the truncation notice's row (or the
    nearest row after it, clamped to the log)."""
    row = log.row_of(number)
    if row is not None:
        return row
    numbers = np.asarray(log.line_numbers)
    if not log.truncated:
        return int(min(np.searchsorted(numbers, number), len(numbers) - 1))
    marker = int(np.argmin(numbers))
    head, tail = numbers[:marker], numbers[marker + 1 :]
    if len(head) and number <= head[-1]:
        return int(np.searchsorted(head, number))
    if not len(tail) or number < tail[0]:
        return marker
    return int(min(marker + 1 + np.searchsorted(tail, number), len(numbers) - 1))


def log_window(
    index: LogIndex,
    *,
    at: int | None = None,
    start: int | None = None,
    size: int = PAGE_ROWS,
    before: int = CONTEXT_BEFORE,
    after: int = CONTEXT_AFTER,
) -> LogWindow:
    """A bounded window of the log, folded into blocks.

    ``start`` (a row) shows the page of ``size`` rows from there; else ``at`` (a line number)
    shows ``before`` lines above it and ``after`` below, that line highlighted (``selected``);
    else the first page. Folds that hold an error or the selected line are open, the others
    closed; ``##[endgroup]`` lines are not shown.
    """
    log = index.log
    n_rows = len(log)
    if n_rows == 0:
        return LogWindow((), "The stored log is empty.")
    if start is not None:
        first = int(np.clip(start, 0, max(0, n_rows - size)))
        stop = min(n_rows, first + size)
    elif at is not None:
        row = _row_near(log, int(at))
        first, stop = max(0, row - before), min(n_rows, row + after + 1)
    else:
        first, stop = 0, min(n_rows, size)
    selected = int(at) if at is not None and log.row_of(int(at)) is not None else None
    blocks = _blocks(index, range(first, stop), fold=True, selected=selected)
    return LogWindow(
        blocks,
        _window_sentence(log, first, stop),
        first,
        stop,
        max(0, first - size) if first > 0 else None,
        stop if stop < n_rows else None,
        selected if selected is not None and first <= log.row_of(selected) < stop else None,
    )


def filtered_lines(
    index: LogIndex, *, search: str = "", errors_only: bool = False, max_rows: int = MAX_LISTED
) -> LogWindow:
    """The lines containing ``search`` (plain text, any case) and/or flagged as errors, in
    order, at most ``max_rows``, without folds (each step's lines under its heading)."""
    log = index.log
    keep = np.ones(len(log), dtype=bool)
    if search:
        texts = pd.Series(log.texts, dtype=object)
        keep &= texts.str.contains(search, case=False, regex=False).to_numpy(bool)
    if errors_only:
        keep &= index.flagged
    rows = np.flatnonzero(keep)
    blocks = _blocks(index, rows[:max_rows].tolist(), fold=False, search=search)
    message = _log_sentence(len(log), len(rows), min(len(rows), max_rows), search, errors_only)
    return LogWindow(blocks, message, search=search)


def _window_sentence(log: NormalisedLog, first: int, stop: int) -> str:
    numbers = [int(n) for n in log.line_numbers[first:stop] if n > 0]
    shown = f"Lines {numbers[0]:,}–{numbers[-1]:,}" if numbers else "No line"
    total = f"{log.n_lines:,} lines"
    if log.truncated:
        total += f", of which {len(log) - 1:,} kept (the start and the end)"
    return f"{shown} of {total}."


def _step_names(index: LogIndex, rows: Sequence[int]) -> list[str | None]:
    """The step heading of each row: ``Step 3 · Test`` when mapped onto the API steps, else the
    log's own section name (None for lines outside any step)."""
    log = index.log
    if index.spans:
        numbers = np.asarray(log.line_numbers)[list(rows)]
        position, inside = _span_positions(numbers, index.spans)
        names = []
        for at, ok in zip(position, inside, strict=True):
            span = index.spans[int(at)]
            names.append(f"Step {span.number} · {span.name}" if ok else None)
        return names
    return [
        (log.steps[int(log.step_index[row])].name or None) if log.step_index[row] >= 0 else None
        for row in rows
    ]


def _blocks(
    index: LogIndex,
    rows: Sequence[int],
    *,
    fold: bool,
    selected: int | None = None,
    search: str = "",
) -> tuple[LogBlock, ...]:
    log = index.log
    group_starts = {log.row_of(group.first_line): group.index for group in log.groups}
    steps = _step_names(index, rows)
    needle = search.casefold()
    blocks: list[LogBlock] = []
    current: dict[str, Any] | None = None
    last_step: str | None = None

    def flush() -> None:
        if current is not None and (current["lines"] or current["title"] is not None):
            lines = tuple(current["lines"])
            wanted = any(line.error or line.selected or line.hit for line in lines)
            blocks.append(
                LogBlock(
                    lines,
                    current["title"],
                    current["title_line"],
                    current["title"] is None or wanted,
                    current["continued"],
                    current["step"],
                )
            )

    for row, step in zip(rows, steps, strict=True):
        group = int(log.group_index[row]) if fold else -1
        if current is None or group != current["group"] or step != current["step_of"]:
            flush()
            heading = step if step != last_step else None
            last_step = step
            title = log.groups[group].name if group >= 0 else None
            current = {
                "group": group,
                "step_of": step,
                "step": heading,
                "title": title,
                "title_line": None,
                "continued": group >= 0,
                "lines": [],
            }
        number = int(log.line_numbers[row])
        kind, text = display_line(log.texts[row])
        if number == 0:
            kind = "notice"
        if fold and group >= 0 and group_starts.get(row) == group and kind == "group":
            current["title"], current["title_line"], current["continued"] = text, number, False
            continue
        if fold and kind == "endgroup":
            continue
        if not fold and kind == "endgroup":
            kind, text = "text", log.texts[row]
        current["lines"].append(
            ViewLine(
                number,
                text,
                kind,
                bool(index.flagged[row]),
                bool(needle) and needle in log.texts[row].casefold(),
                selected is not None and number == selected,
                index.line_url(number) if index.spans else None,
            )
        )
    flush()
    return tuple(blocks)


# --------------------------------------------------------------------------- drawing

LOG_CSS = """
.cim-log{font-family:"Source Code Pro",ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
 font-size:.8rem;line-height:1.45;border:1px solid rgba(128,128,128,.35);border-radius:.5rem;
 padding:.35rem 0;max-height:38rem;overflow:auto;tab-size:4}
.cim-l{display:flex;padding-right:.6rem}
.cim-n{flex:0 0 5.5em;text-align:right;padding-right:1em;color:rgba(128,128,128,.95);
 user-select:none;text-decoration:none}
a.cim-n:hover{text-decoration:underline}
.cim-t{flex:1 1 auto;min-width:0;white-space:pre-wrap;overflow-wrap:anywhere}
.cim-err{background:rgba(255,75,75,.13)}
.cim-warning{background:rgba(255,190,0,.12)}
.cim-hit{background:rgba(255,215,0,.14)}
.cim-err.cim-hit{box-shadow:inset 3px 0 0 rgba(255,75,75,.8)}
.cim-sel{background:rgba(255,75,75,.30);box-shadow:inset 4px 0 0 #ff4b4b}
.cim-command .cim-t{color:#3b82f6}
.cim-notice .cim-t,.cim-debug .cim-t{opacity:.75;font-style:italic}
.cim-step{font-weight:600;padding:.4rem .6rem .15rem;margin-top:.2rem;
 border-top:1px solid rgba(128,128,128,.25)}
.cim-step:first-child{border-top:0;margin-top:0;padding-top:.1rem}
.cim-group .cim-t{font-weight:600}
.cim-g>summary{cursor:pointer;padding-left:.6rem}
.cim-g>summary .cim-range{opacity:.6;font-size:.9em}
.cim-log mark{background:rgba(255,200,0,.55);color:inherit;padding:0}
"""


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _marked(text: str, search: str) -> str:
    """``text`` escaped, each (case-insensitive) occurrence of ``search`` in a ``<mark>``."""
    if not search:
        return _escape(text)
    pieces, at, folded, needle = [], 0, text.casefold(), search.casefold()
    if len(folded) != len(text):  # casefold changed the length (ß): mark nothing, stay exact
        return _escape(text)
    while (found := folded.find(needle, at)) >= 0 and needle:
        pieces.append(_escape(text[at:found]))
        pieces.append(f"<mark>{_escape(text[found : found + len(needle)])}</mark>")
        at = found + len(needle)
    pieces.append(_escape(text[at:]))
    return "".join(pieces)


def _line_html(line: ViewLine, search: str) -> str:
    classes = ["cim-l", f"cim-{line.kind}"]
    classes += [name for name, on in (("cim-err", line.error), ("cim-hit", line.hit)) if on]
    if line.selected:
        classes.append("cim-sel")
    url = _safe_url(line.url)
    label = f"{line.number:,}" if line.number > 0 else "…"
    number = (
        f'<a class="cim-n" href="{_escape(url)}" target="_blank" rel="noopener noreferrer" '
        f'title="Open line {line.number} on GitHub">{label}</a>'
        if url and line.number > 0
        else f'<span class="cim-n">{label}</span>'
    )
    text = _marked(line.text, search) if line.hit else _escape(line.text)
    return f'<div class="{" ".join(classes)}">{number}<span class="cim-t">{text}</span></div>'


def log_html(window: LogWindow, *, style: bool = True) -> str:
    """The window as HTML for ``st.html``: monospace, whole lines wrapped, true line numbers
    (linked to GitHub when the step is known), folds as ``<details>`` (open when they hold an
    error), error lines, search matches and the selected line highlighted.

    Every text that comes from the log or the store (lines, fold titles, step names, links) is
    :func:`html.escape`d here; nothing else inserts it.
    """
    parts = [f"<style>{LOG_CSS}</style>"] if style else []
    parts.append('<div class="cim-log">')
    for block in window.blocks:
        if block.step:
            parts.append(f'<div class="cim-step">{_escape(block.step)}</div>')
        body = "".join(_line_html(line, window.search) for line in block.lines)
        if block.title is None:
            parts.append(body)
            continue
        numbers = [line.number for line in block.lines if line.number > 0]
        first = block.title_line or (numbers[0] if numbers else 0)
        count = len(block.lines)
        where = f"line {first:,}" if first else ""
        extent = f" · {count:,} line{'s' if count != 1 else ''}" if count else ""
        more = " (continued)" if block.continued else ""
        summary = (
            f'<summary><span class="cim-t">{_escape(block.title)}{more}</span> '
            f'<span class="cim-range">{where}{extent}</span></summary>'
        )
        opened = " open" if block.open else ""
        parts.append(f'<details class="cim-g"{opened}>{summary}{body}</details>')
    if not window.blocks:
        parts.append('<div class="cim-l"><span class="cim-t">No line to show.</span></div>')
    parts.append("</div>")
    return "".join(parts)
