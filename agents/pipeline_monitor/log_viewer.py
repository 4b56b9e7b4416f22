"""The Pipelines page's log viewer: one job's stored log, read once and shown a window at a time
(pure: no Streamlit).

It exists apart from the drill-down (:mod:`agents.pipeline_monitor.drilldown`, which picks the
run and the job) because it is a concept of its own with its own rules: how a GitHub job log
reads (``##[group]`` folds, ``##[error]`` annotations, colour codes), which lines are errors and
where the cause is, how a window of a 20 MiB log stays bounded, how a line links to its step on
GitHub, and how untrusted text becomes HTML.

:func:`index_log` reads a stored log once (error lines with their text, the line the viewer
opens on, the GitHub step each line belongs to; :func:`load_log_index` from the store);
:func:`log_window` cuts a bounded window (context around one line, or a page) into blocks, a
``##[group]`` being one foldable block that is open when it holds an error;
:func:`filtered_lines` lists search matches or error lines; :func:`log_html` draws a window.
Line numbers are the stored log's own (a log kept head+tail keeps the original numbers), links
open the line's step on GitHub (which numbers lines per step).

Security: a log line (and a fold title, a step name, a stored link) is untrusted data. Every
piece of it passes through :func:`html.escape` in one place, ``_escape``, called only while
:func:`log_html` draws; nothing else builds markup. Links are http(s) only
(:func:`~agents.pipeline_monitor.drilldown.safe_url`), and the result is meant for ``st.html``
(no Markdown processing, sanitised).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from agents.pipeline_monitor.drilldown import repo_key, safe_url
from core.logs.normalise import LogSpan, NormalisedLog, github_line_url, map_github_steps
from core.store import jobs as job_store
from core.store import logs as log_store
from core.store.db import Store

__all__ = [
    "CONTEXT_AFTER",
    "CONTEXT_BEFORE",
    "ERROR_MARKERS",
    "LOG_CSS",
    "MAX_LISTED",
    "NO_LOG_MESSAGE",
    "PAGE_ROWS",
    "ErrorLine",
    "LogBlock",
    "LogIndex",
    "LogWindow",
    "ViewLine",
    "display_line",
    "filtered_lines",
    "index_log",
    "job_page_url",
    "load_log_index",
    "log_html",
    "log_version",
    "log_window",
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
CONTEXT_BEFORE, CONTEXT_AFTER = 20, 40  # lines shown around a line jumped to
PAGE_ROWS = 200  # lines on one page of the log when paging
MAX_LISTED = 500  # search matches / error lines listed at most
_LABEL_CHARS = 110


# --------------------------------------------------------------------------- from the store


def job_page_url(store: Store, repo: str, job_id: int) -> str | None:
    """The job's page on GitHub (http(s) only; None when not stored)."""
    return safe_url(job_store.job_html_url(store, repo_key(store, repo), int(job_id)))


def log_version(store: Store, repo: str, job_id: int) -> tuple:
    """What changes when a job's stored log changes (a cache key for its :class:`LogIndex`)."""
    repo_id = repo_key(store, repo)
    info = log_store.log_info(store, repo_id, int(job_id))
    if info is None:
        return (repo_id, int(job_id))
    return (repo_id, int(job_id), info.state, info.raw_bytes, info.n_lines, info.truncated)


def load_log_index(store: Store, repo: str, job_id: int) -> LogIndex | None:
    """The :class:`LogIndex` of a job's stored log (None until its log is fetched)."""
    repo_id = repo_key(store, repo)
    log = log_store.load_log(store, repo_id, int(job_id))
    if log is None:
        return None
    job_url = job_store.job_html_url(store, repo_id, int(job_id))
    return index_log(log, job_url, job_store.api_steps(store, repo_id, int(job_id)))


# --------------------------------------------------------------------------- lines as on GitHub

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


# --------------------------------------------------------------------------- reading a log once


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
    job_url = safe_url(job_url)
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


# --------------------------------------------------------------------------- windows


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
    """The one place untrusted text becomes HTML: every piece of log or store text drawn goes
    through here (see the module docstring)."""
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
    url = safe_url(line.url)
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
