"""Structure of a CI job log: markers, and the group and step spans they define.

GitHub Actions (``##[group]``, ``::error::``, ``Post job cleanup.``), Travis CI
(``travis_fold``/``travis_time``) and Jenkins (``[Pipeline] { (Stage)``) each mark a log's
structure differently. :func:`find_events` turns all three into one :class:`Event` list so
that :func:`build_groups` and :func:`build_steps` need not care which CI system wrote the log.
Kept apart from ``core.logs.normalise`` because it is the only part that knows the CI systems'
syntax;
``core.logs.normalise`` re-exports :class:`LogSpan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "NAT",
    "Event",
    "LogSpan",
    "build_groups",
    "build_steps",
    "find_events",
    "iso",
    "replace_span",
]

NAT = np.datetime64("NaT", "ns")
_LINE_MARK = re.compile(
    r"\n(##\[(?:group|endgroup|error|warning)\]|::(?:group|endgroup|error|warning)\b[^\n]*?::"
    r"|\[Pipeline\] |Post job cleanup\.|Cleaning up orphan processes)([^\n]*)"
)
_TRAVIS_MARK = re.compile(r"travis_(fold|time):(start|end):([^\r\n]*)")
_TRAVIS_TIME = re.compile(r"start=(\d+),finish=(\d+)")


@dataclass(frozen=True)
class LogSpan:
    """A step or group: inclusive original line numbers, ISO times, GitHub step number if mapped.

    ``kind`` says where the span came from: ``setup``, ``run``, ``container``, ``post``,
    ``complete`` (GitHub job sections), ``group`` (``##[group]``), ``fold`` (Travis),
    ``stage`` (Jenkins), ``preamble`` (lines before the first marker), ``gap`` (lines between
    Travis folds or Jenkins stages).
    """

    index: int
    name: str
    kind: str
    first_line: int
    last_line: int
    started_at: str | None = None
    ended_at: str | None = None
    number: int | None = None


class Event(NamedTuple):
    """One structure marker, at ``row`` (0-based) of the chunk or log it was found in."""

    row: int
    kind: str  # open, close, error, warning, post, complete, time
    flavour: str  # github, travis, jenkins
    name: str | None = None
    extra: tuple[int, int] | None = None


_Mark = tuple[str, str, "str | None", "tuple[int, int] | None"]


def iso(stamp: np.datetime64) -> str:
    """ISO 8601 with nanoseconds and ``Z``: the form GitHub prints and labels compare with."""
    return str(np.datetime_as_string(stamp, unit="ns")) + "Z"


# --------------------------------------------------------------------------- markers


def find_events(framed: str) -> list[Event]:
    """Structure markers of the three CI systems, with their 0-based row in the chunk."""
    found: list[tuple[int, _Mark]] = []
    for match in _LINE_MARK.finditer(framed):
        mark = _line_mark(match.group(1), match.group(2))
        if mark is not None:
            found.append((match.start() + 1, mark))
    for match in _TRAVIS_MARK.finditer(framed):
        found.append((match.start(), _travis_mark(*match.groups())))
    found.sort(key=lambda item: item[0])
    events, row, last = [], -1, 0
    for position, mark in found:
        row += framed.count("\n", last, position)
        last = position
        events.append(Event(row, *mark))
    return events


def _line_mark(mark: str, rest: str) -> _Mark | None:
    """Classify a GitHub or Jenkins marker found at the start of a line."""
    if mark in ("##[group]", "::group::"):
        return ("open", "github", rest.strip(), None)
    if mark in ("##[endgroup]", "::endgroup::"):
        return ("close", "github", None, None)
    if mark.startswith(("##[error]", "::error")):
        return ("error", "github", None, None)
    if mark.startswith(("##[warning]", "::warning")):
        return ("warning", "github", None, None)
    if mark == "Post job cleanup.":
        return None if rest.strip() else ("post", "github", "Post job cleanup", None)
    if mark == "Cleaning up orphan processes":
        return None if rest.strip() else ("complete", "github", "Complete job", None)
    return _jenkins_mark(rest.strip())


def _jenkins_mark(rest: str) -> _Mark | None:
    """``[Pipeline] { (Stage)`` opens a stage, ``{`` an anonymous block, ``}`` closes one."""
    if rest.startswith("{ (") and rest.endswith(")"):
        return ("open", "jenkins", rest[3:-1], None)
    if rest == "{":
        return ("open", "jenkins", None, None)
    if rest == "}":
        return ("close", "jenkins", None, None)
    return None


def _travis_mark(kind: str, edge: str, rest: str) -> _Mark:
    """``travis_fold:start:NAME`` / ``travis_fold:end:NAME``; ``travis_time:end`` carries times."""
    if kind == "fold":
        return ("open" if edge == "start" else "close", "travis", rest.strip(), None)
    times = _TRAVIS_TIME.search(rest) if edge == "end" else None
    return ("time", "travis", None, (int(times.group(1)), int(times.group(2))) if times else None)


# --------------------------------------------------------------------------- spans


def build_groups(
    events: list[Event], n_rows: int, numbers: np.ndarray, stamps: np.ndarray
) -> tuple[tuple[LogSpan, ...], np.ndarray]:
    """Named groups from open/close markers; each row gets its innermost group."""
    ranges: list[tuple[int, int, str, str]] = []
    stack: list[tuple[int, str | None, str]] = []
    for event in events:
        if event.kind == "open":
            if event.flavour == "github":  # GitHub groups never nest: a new one closes the last
                _close(stack, ranges, event.row - 1, "github", None)
            stack.append((event.row, event.name, event.flavour))
        elif event.kind == "close":
            _close(stack, ranges, event.row, event.flavour, event.name)
    while stack:
        _close(stack, ranges, n_rows - 1, stack[-1][2], None)
    ranges.sort(key=lambda item: item[0])
    group_index = np.full(n_rows, -1, dtype=np.int32)
    kinds = {"github": "group", "travis": "fold", "jenkins": "stage"}
    for index, (start, end, _, _) in enumerate(ranges):
        group_index[start : end + 1] = index  # in start order, so inner groups overwrite outer
    raw = [(name, kinds[flavour], start, end) for start, end, name, flavour in ranges]
    return _spans(raw, numbers, stamps), group_index


def _close(stack: list, ranges: list, end: int, flavour: str, name: str | None) -> None:
    """Pop the innermost open group of ``flavour`` (or the one called ``name``)."""
    for depth in range(len(stack) - 1, -1, -1):
        start, open_name, open_flavour = stack[depth]
        if open_flavour == flavour and (name in (None, "") or open_name == name):
            del stack[depth:]
            if open_name:
                ranges.append((start, max(start, end), open_name, flavour))
            return


def build_steps(
    events: list[Event],
    groups: tuple[LogSpan, ...],
    n_rows: int,
    numbers: np.ndarray,
    stamps: np.ndarray,
) -> tuple[tuple[LogSpan, ...], np.ndarray]:
    """Steps partition the log once any step marker exists; see ``_step_starts``."""
    starts = _step_starts(events, numbers)
    step_index = np.full(n_rows, -1, dtype=np.int32)
    if not starts or n_rows == 0:
        return (), step_index
    if starts[0][0] > 0:
        github = any(e.flavour == "github" for e in events)
        starts.insert(0, (0, "Set up job" if github else "", "setup" if github else "preamble"))
    by_row = {row: (name, kind) for row, name, kind in starts if row < n_rows}  # last one wins
    rows = sorted(by_row)
    raw = []
    for index, row in enumerate(rows):
        end = rows[index + 1] - 1 if index + 1 < len(rows) else n_rows - 1
        step_index[row : end + 1] = index
        raw.append((*by_row[row], row, end))
    spans = _spans(raw, numbers, stamps)
    return _with_travis_times(spans, events, step_index), step_index


def _step_starts(events: list[Event], numbers: np.ndarray) -> list[tuple[int, str, str]]:
    """GitHub: ``##[group]Run …``, container builds, post and complete sections.

    Travis folds and named Jenkins stages are steps too; the lines after one closes (until the
    next opens) form a ``gap`` step.
    """
    starts: list[tuple[int, str, str]] = []
    open_named: list[str | None] = []
    for event in events:
        if event.flavour == "github" and event.kind == "open" and event.name:
            if event.name.startswith("Run "):
                starts.append((event.row, event.name, "run"))
            elif event.name.startswith("Build container for action"):
                starts.append((event.row, event.name, "container"))
        elif event.kind in ("post", "complete"):
            starts.append((event.row, event.name or "", event.kind))
        elif event.flavour in ("travis", "jenkins") and event.kind == "open":
            open_named.append(event.name)
            if event.name:
                kind = "fold" if event.flavour == "travis" else "stage"
                starts.append((event.row, event.name, kind))
        elif event.flavour in ("travis", "jenkins") and event.kind == "close" and open_named:
            closed = open_named.pop()
            if closed:
                starts.append((event.row + 1, "", "gap"))
    return starts


def _spans(
    raw: list[tuple[str, str, int, int]], numbers: np.ndarray, stamps: np.ndarray
) -> tuple[LogSpan, ...]:
    """Spans over rows ``start..end`` with original line numbers and first/last timestamps.

    Vectorised over all spans: a log with thousands of groups costs milliseconds.
    """
    if not raw:
        return ()
    starts = np.array([item[2] for item in raw], dtype=np.int64)
    ends = np.array([item[3] for item in raw], dtype=np.int64)
    first_line, last_line = _bounds(np.flatnonzero(numbers > 0), starts, ends)
    started, ended = (
        _iso_at(stamps, rows) for rows in _bounds(np.flatnonzero(~np.isnat(stamps)), starts, ends)
    )
    return tuple(
        LogSpan(
            index=index,
            name=name,
            kind=kind,
            first_line=int(numbers[first_line[index]]) if first_line[index] >= 0 else 0,
            last_line=int(numbers[last_line[index]]) if last_line[index] >= 0 else 0,
            started_at=started[index],
            ended_at=ended[index],
        )
        for index, (name, kind, _, _) in enumerate(raw)
    )


def _iso_at(stamps: np.ndarray, rows: np.ndarray) -> list[str | None]:
    """ISO strings of ``stamps[rows]`` in one NumPy call (None where ``rows`` is -1)."""
    text = np.datetime_as_string(stamps[np.maximum(rows, 0)], unit="ns") if len(stamps) else []
    return [str(t) + "Z" if row >= 0 else None for t, row in zip(text, rows, strict=False)]


def _bounds(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each [start, end], the first and last of the sorted ``rows`` inside it (-1: none)."""
    left = np.searchsorted(rows, starts, side="left")
    right = np.searchsorted(rows, ends, side="right") - 1
    empty = left > right
    padded = np.append(rows, -1)
    first = np.where(empty, -1, padded[np.minimum(left, len(rows))])
    last = np.where(empty, -1, padded[np.maximum(right, 0)] if len(rows) else -1)
    return first, last


def _with_travis_times(
    spans: tuple[LogSpan, ...], events: list[Event], step_index: np.ndarray
) -> tuple[LogSpan, ...]:
    """Travis logs have no timestamps, but ``travis_time:end`` gives start/finish (epoch ns)."""
    bounds: dict[int, tuple[int, int]] = {}
    for event in events:
        if event.kind == "time" and event.extra and step_index[event.row] >= 0:
            step = int(step_index[event.row])
            low, high = bounds.get(step, event.extra)
            bounds[step] = (min(low, event.extra[0]), max(high, event.extra[1]))
    if not bounds:
        return spans
    out = list(spans)
    for step, (low, high) in bounds.items():
        if out[step].started_at is None:
            out[step] = replace_span(
                out[step],
                started_at=iso(np.datetime64(low, "ns")),
                ended_at=iso(np.datetime64(high, "ns")),
            )
    return tuple(out)


def replace_span(span: LogSpan, **changes: Any) -> LogSpan:
    """A copy of ``span`` with ``changes`` (spans are frozen: merging steps builds new ones)."""
    return LogSpan(**{**span.__dict__, **changes})
