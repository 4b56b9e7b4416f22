"""Log normalisation shared by the ingester, root-cause analysis and the log viewer.

``normalise_log`` turns a raw CI job log (GitHub Actions, Travis CI, Jenkins or plain text) into a
:class:`NormalisedLog`: per line the original line number, timestamp, text without ANSI codes,
step, group and error/warning flags, plus the step and group spans. It never touches the disk or
the network and never produces HTML: text stays plain text for the caller to escape.

Line numbering (the contract every label in ``shared/data`` uses): the decoded text is split on
``"\\n"`` only (never ``str.splitlines()``: form feeds and vertical tabs in real logs are not line
breaks), numbers are 1-based, and one final ``"\\n"`` ends the last line instead of opening an
empty extra line. So ``b"a\\nb\\n"`` and ``b"a\\nb"`` both have 2 lines, ``b"\\n"`` has 1 empty line
and ``b""`` has none. A ``"\\r\\n"`` ending is one line break; a lone ``"\\r"`` is progress
overwriting and does not start a new line (only the text after the last ``"\\r"`` is kept).

Speed: the work is done on whole chunks of text with compiled regular expressions and ``split``
(C loops), never with a Python loop per line when the log is uniform, so a 100 MB log costs a few
seconds. Lines are kept as one tuple of ``str`` plus NumPy arrays for the numeric columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_MAX_LOG_BYTES",
    "REPLACEMENT",
    "TRUNCATION_PREFIX",
    "LogLine",
    "LogSpan",
    "NormalisedLog",
    "KeptLog",
    "keep_head_and_tail",
    "keep_head_and_tail_stream",
    "normalise_kept",
    "normalise_log",
    "github_line_url",
    "github_log_url",
    "map_github_steps",
    "strip_ansi",
    "split_timestamp",
]

DEFAULT_MAX_LOG_BYTES = 20 * 1024 * 1024
REPLACEMENT = "\ufffd"
TRUNCATION_PREFIX = "[ci-medic] …"
_BINARY_SHARE = 0.10
_HEAD_SHARE = 0.25

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) ?")
# Whole-text variants: never cross a line break, so line numbering survives every substitution.
_ANSI_TEXT = re.compile(  # + ``ESC ( B`` (tput sgr0), ``ESC =``
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b[()*+][0-9A-Za-z]"
    r"|\x1b[@-Z\\-_0-?]"
)
_TS_TEXT = re.compile(r"\n(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z ?")
_CONTROL = re.compile(r"[\x00-\x07\x0b\x0c\x0e-\x1f\x7f]")  # \b is erased, not marked
_BACKSPACES = re.compile(r"(\x08+)")
# Bytes that cannot be a stray control character (ESC is checked after ANSI stripping).
_NOT_CONTROL = bytes(b for b in range(256) if b == 0x1B or not _CONTROL.match(chr(b)))
_LINE_MARK = re.compile(
    r"\n(##\[(?:group|endgroup|error|warning)\]|::(?:group|endgroup|error|warning)\b[^\n]*?::"
    r"|\[Pipeline\] |Post job cleanup\.|Cleaning up orphan processes)([^\n]*)"
)
_TRAVIS_MARK = re.compile(r"travis_(fold|time):(start|end):([^\r\n]*)")
_TRAVIS_TIME = re.compile(r"start=(\d+),finish=(\d+)")
_NAT = np.datetime64("NaT", "ns")


def strip_ansi(text: str) -> str:
    """Remove ANSI colour/cursor escape sequences (CSI, OSC and two-byte escapes)."""
    return _ANSI.sub("", text)


def split_timestamp(line: str) -> tuple[str | None, str]:
    """Split GitHub's ``2024-05-01T12:00:00.1234567Z `` prefix off a log line."""
    match = _TIMESTAMP.match(line)
    if match is None:
        return None, line
    return match.group(1), line[match.end():]


@dataclass(frozen=True)
class LogLine:
    """One kept line; ``number`` is the raw file's 1-based number, 0 for the truncation marker."""

    number: int
    timestamp: str | None
    text: str
    step: int
    group: str | None
    is_error: bool
    is_warning: bool


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


class _Event(NamedTuple):
    row: int
    kind: str  # open, close, error, warning, post, complete, time
    flavour: str  # github, travis, jenkins
    name: str | None = None
    extra: tuple[int, int] | None = None


_Mark = tuple[str, str, "str | None", "tuple[int, int] | None"]


@dataclass(frozen=True)
class _Chunk:
    texts: list[str]
    stamps: np.ndarray
    events: list[_Event]
    bad_chars: int
    n_chars: int


@dataclass(frozen=True, eq=False)
class NormalisedLog:
    """A normalised log as parallel columns (cheap on 100 MB logs); iterate for ``LogLine``s.

    ``n_lines`` and ``original_bytes`` describe the raw log; ``len(log)`` counts the kept rows
    (with the truncation marker row when ``truncated``).
    """

    line_numbers: np.ndarray
    timestamps: np.ndarray
    texts: tuple[str, ...]
    step_index: np.ndarray
    group_index: np.ndarray
    is_error: np.ndarray
    is_warning: np.ndarray
    steps: tuple[LogSpan, ...]
    groups: tuple[LogSpan, ...]
    truncated: bool
    is_binary: bool
    original_bytes: int
    n_lines: int

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, row: int) -> LogLine:
        group = int(self.group_index[row])
        stamp = self.timestamps[row]
        return LogLine(
            number=int(self.line_numbers[row]),
            timestamp=None if np.isnat(stamp) else _iso(stamp),
            text=self.texts[row],
            step=int(self.step_index[row]),
            group=self.groups[group].name if group >= 0 else None,
            is_error=bool(self.is_error[row]),
            is_warning=bool(self.is_warning[row]),
        )

    def __iter__(self) -> Iterator[LogLine]:
        return (self[row] for row in range(len(self)))

    def row_of(self, line_no: int) -> int | None:
        """The row holding original line ``line_no`` (None when truncated away or absent)."""
        if line_no < 1:
            return None
        numbers = self.line_numbers
        row = int(np.searchsorted(numbers, line_no)) if not self.truncated else _row_truncated(
            numbers, line_no
        )
        return row if row < len(numbers) and numbers[row] == line_no else None

    def text_lines(self, first: int, last: int) -> list[str]:
        """Texts of the kept lines numbered ``first``..``last`` (inclusive, original numbers)."""
        mask = (self.line_numbers >= first) & (self.line_numbers <= last)
        return [self.texts[row] for row in np.flatnonzero(mask)]

    def to_frame(self) -> pd.DataFrame:
        """One row per kept line: line_no, timestamp (UTC), step, group, text, flags."""
        names = np.array([None] + [g.name for g in self.groups], dtype=object)
        return pd.DataFrame(
            {
                "line_no": self.line_numbers,
                "timestamp": pd.to_datetime(self.timestamps).tz_localize("UTC"),
                "step": self.step_index,
                "group": names[self.group_index + 1],
                "text": pd.Series(self.texts, dtype=object),
                "is_error": self.is_error,
                "is_warning": self.is_warning,
            }
        )


def _row_truncated(numbers: np.ndarray, line_no: int) -> int:
    """Rows are sorted except the single 0 marker row; search around it."""
    marker = int(np.argmin(numbers))
    head = int(np.searchsorted(numbers[:marker], line_no))
    if head < marker and numbers[head] == line_no:
        return head
    return marker + 1 + int(np.searchsorted(numbers[marker + 1:], line_no))


def _iso(stamp: np.datetime64) -> str:
    return str(np.datetime_as_string(stamp, unit="ns")) + "Z"


# --------------------------------------------------------------------------- entry point


@dataclass(frozen=True)
class KeptLog:
    """The bytes of a raw log worth keeping: all of it, or its head and its tail.

    This is what the store persists: ``tail_first_line`` and the counts let
    :func:`normalise_kept` restore the original line numbers without the dropped middle.
    """

    head: bytes
    tail: bytes
    tail_first_line: int  # 0 when nothing was dropped (the whole log is in ``head``)
    original_bytes: int
    n_lines: int

    @property
    def truncated(self) -> bool:
        return self.tail_first_line > 0


def keep_head_and_tail(raw: bytes | str, max_bytes: int = DEFAULT_MAX_LOG_BYTES) -> KeptLog:
    """Cut a raw log over ``max_bytes`` to its head and (larger) tail, on line boundaries."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    n_lines = _count_lines(data)
    if len(data) <= max_bytes:
        return KeptLog(data, b"", 0, len(data), n_lines)
    head_end, tail_start = _cut_points(data, max_bytes)
    tail_first = 1 + data.count(b"\n", 0, tail_start)
    return KeptLog(data[:head_end], data[tail_start:], tail_first, len(data), n_lines)


def keep_head_and_tail_stream(chunks: Iterable[bytes],
                              max_bytes: int = DEFAULT_MAX_LOG_BYTES) -> KeptLog:
    """:func:`keep_head_and_tail` over a stream: memory stays near ``max_bytes`` whatever the size.

    The head keeps whole lines up to its budget; the tail is a rolling window whose dropped
    bytes are counted (newlines too), so ``tail_first_line`` is exact.
    """
    head_budget = max(0, int(max_bytes * _HEAD_SHARE))
    tail_budget = max(1, max_bytes - head_budget)
    head, tail = bytearray(), bytearray()
    total = dropped_newlines = 0
    for chunk in chunks:
        total += len(chunk)
        room = max(0, head_budget - len(head)) if not tail else 0
        head += chunk[:room]
        tail += chunk[room:]
        if len(tail) > 2 * tail_budget:  # trim in big steps: O(n) overall
            cut = len(tail) - tail_budget
            dropped_newlines += tail.count(b"\n", 0, cut)
            del tail[:cut]
    if total <= max_bytes:
        return keep_head_and_tail(bytes(head + tail), max_bytes)
    return _finish_stream(bytes(head), bytes(tail), dropped_newlines, total, tail_budget)


def _finish_stream(head: bytes, tail: bytes, dropped_newlines: int, total: int,
                   tail_budget: int) -> KeptLog:
    """Cut the streamed head and tail on line boundaries and number the tail's first line."""
    newline = head.rfind(b"\n")
    head_end = newline + 1 if newline >= 0 else len(head)
    spill = head[head_end:]
    window = tail[-tail_budget:] if len(tail) > tail_budget else tail
    before = dropped_newlines + spill.count(b"\n") + tail.count(b"\n", 0, len(tail) - len(window))
    newline = window.find(b"\n")
    if 0 <= newline < len(window) - 1:
        before += window.count(b"\n", 0, newline + 1)
        window = window[newline + 1:]
    n_lines = head.count(b"\n", 0, head_end) + before + window.count(b"\n") + 1
    n_lines -= window.endswith(b"\n")
    return KeptLog(head[:head_end], window, head[:head_end].count(b"\n") + before + 1, total,
                   n_lines)


def normalise_log(raw: bytes | str, *, max_bytes: int = DEFAULT_MAX_LOG_BYTES) -> NormalisedLog:
    """Normalise a raw job log; over ``max_bytes`` keep the head and the (larger) tail.

    The tail is where failures are, so it gets three quarters of the budget. Kept lines keep
    their original numbers; the single marker row in between has number 0.
    """
    return normalise_kept(keep_head_and_tail(raw, max_bytes))


def normalise_kept(kept: KeptLog) -> NormalisedLog:
    """Normalise what :func:`keep_head_and_tail` kept, with the original line numbers."""
    if not kept.truncated:
        chunk = _process(kept.head, strip_bom=True)
        numbers = np.arange(1, len(chunk.texts) + 1, dtype=np.int64)
        return _assemble([chunk], numbers, kept.original_bytes, kept.n_lines, truncated=False)
    head = _process(kept.head, strip_bom=True)
    tail = _process(kept.tail, strip_bom=False)
    tail_first = kept.tail_first_line
    skipped = max(0, tail_first - 1 - len(head.texts))
    dropped = kept.original_bytes - len(kept.head) - len(kept.tail)
    marker = f"{TRUNCATION_PREFIX} {dropped:,} bytes ({skipped:,} lines) truncated …"
    middle = _Chunk([marker], np.array([_NAT]), [], 0, len(marker))
    numbers = np.concatenate(
        [
            np.arange(1, len(head.texts) + 1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
            np.arange(tail_first, tail_first + len(tail.texts), dtype=np.int64),
        ]
    )
    return _assemble([head, middle, tail], numbers, kept.original_bytes, kept.n_lines,
                     truncated=True)


def _count_lines(data: bytes) -> int:
    """Lines in the raw file by the module's numbering contract."""
    if not data:
        return 0
    return data.count(b"\n") + 1 - data.endswith(b"\n")


def _cut_points(data: bytes, max_bytes: int) -> tuple[int, int]:
    """Byte offsets (end of head, start of tail) on line boundaries where possible."""
    head_budget = max(0, int(max_bytes * _HEAD_SHARE))
    tail_budget = max(1, max_bytes - head_budget)
    newline = data.rfind(b"\n", 0, head_budget)
    head_end = newline + 1 if newline >= 0 else head_budget
    tail_floor = max(head_end, len(data) - tail_budget)
    newline = data.find(b"\n", tail_floor)
    tail_start = newline + 1 if 0 <= newline < len(data) - 1 else tail_floor
    return head_end, tail_start


# --------------------------------------------------------------------------- one chunk


def _process(data: bytes, *, strip_bom: bool) -> _Chunk:
    """Decode, clean and split one contiguous chunk of the log (whole-text passes only)."""
    if not data:
        return _Chunk([], np.array([], dtype="datetime64[ns]"), [], 0, 0)
    text = _clean(data, strip_bom=strip_bom)
    bad_chars, n_chars = text.count(REPLACEMENT), len(text)
    framed = "\n" + text
    del text
    texts, stamps = _split_stamps(framed)
    if stamps is not None:  # markers follow the timestamp: search the text without them
        framed = "\n" + "\n".join(texts)
    events = _find_events(framed)
    if "\r" in framed:
        texts = [_collapse_cr(t) if "\r" in t else t for t in texts]
    if "\b" in framed:
        texts = [_erase_backspaces(t) if "\b" in t else t for t in texts]
    return _Chunk(texts, _to_datetimes(stamps, len(texts)), events, bad_chars, n_chars)


def _clean(data: bytes, *, strip_bom: bool) -> str:
    """Decoded text without BOM, final newline, CRLF, ANSI codes and stray control characters.

    Every substitution stays inside a line, so the line numbering of ``data`` survives.
    """
    text = data.decode("utf-8", "replace")
    if strip_bom and text.startswith("\ufeff"):
        text = text[1:]
    if text.endswith("\n"):
        text = text[:-1]
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if "\x1b" in text:
        text = _ANSI_TEXT.sub("", text)
    if data.translate(None, _NOT_CONTROL) or "\x1b" in text:
        text = _CONTROL.sub(REPLACEMENT, text)
    return text


def _collapse_cr(text: str) -> str:
    """Keep what a terminal shows after ``\\r`` progress overwrites: the text after the last."""
    return text.rstrip("\r").rpartition("\r")[2]


def _erase_backspaces(text: str) -> str:
    """Each backspace erases the character before it, as progress bars (webpack) intend."""
    kept = ""
    for index, piece in enumerate(_BACKSPACES.split(text)):
        kept = kept[:max(0, len(kept) - len(piece))] if index % 2 else kept + piece
    return kept


def _split_stamps(framed: str) -> tuple[list[str], list[str | None] | None]:
    """Split ``"\\n" + text`` into line texts and timestamps (None: no line has one)."""
    pieces = _TS_TEXT.split(framed)
    n_lines = framed.count("\n")
    if len(pieces) == 1:
        return framed[1:].split("\n"), None
    if len(pieces) // 2 == n_lines:  # every line has a timestamp: no per-line loop
        return pieces[2::2], pieces[1::2]
    texts: list[str] = pieces[0].split("\n")[1:]
    stamps: list[str | None] = [None] * len(texts)
    for stamp, rest in zip(pieces[1::2], pieces[2::2], strict=True):
        parts = rest.split("\n")
        texts.extend(parts)
        stamps.append(stamp)
        stamps.extend([None] * (len(parts) - 1))
    return texts, stamps


def _to_datetimes(stamps: list[str | None] | None, n_rows: int) -> np.ndarray:
    """ISO strings (without ``Z``) to ``datetime64[ns]``; unparsable values become NaT."""
    if stamps is None:
        return np.full(n_rows, _NAT)
    try:
        return np.array(stamps, dtype="datetime64[ns]")
    except ValueError:
        return np.array([_one_datetime(s) for s in stamps], dtype="datetime64[ns]")


def _one_datetime(stamp: str | None) -> np.datetime64:
    try:
        return np.datetime64(stamp, "ns") if stamp else _NAT
    except ValueError:
        return _NAT


# --------------------------------------------------------------------------- markers


def _find_events(framed: str) -> list[_Event]:
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
        events.append(_Event(row, *mark))
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


# --------------------------------------------------------------------------- assembling


def _assemble(
    chunks: list[_Chunk], numbers: np.ndarray, n_bytes: int, n_lines: int, truncated: bool
) -> NormalisedLog:
    """Concatenate chunks, then derive flags, groups and steps from the markers."""
    texts: list[str] = []
    events: list[_Event] = []
    for chunk in chunks:
        offset = len(texts)
        events.extend(e._replace(row=e.row + offset) if offset else e for e in chunk.events)
        texts.extend(chunk.texts)
    stamps = np.concatenate([c.stamps for c in chunks]) if chunks else np.array([], "M8[ns]")
    n_rows = len(texts)
    groups, group_index = _build_groups(events, n_rows, numbers, stamps)
    steps, step_index = _build_steps(events, groups, n_rows, numbers, stamps)
    is_error, is_warning = np.zeros(n_rows, bool), np.zeros(n_rows, bool)
    is_error[[e.row for e in events if e.kind == "error"]] = True
    is_warning[[e.row for e in events if e.kind == "warning"]] = True
    bad = sum(c.bad_chars for c in chunks)
    n_chars = sum(c.n_chars for c in chunks)
    arrays = [numbers, stamps, step_index, group_index, is_error, is_warning]
    for array in arrays:
        array.flags.writeable = False
    return NormalisedLog(
        *arrays[:2], tuple(texts), *arrays[2:], steps=steps, groups=groups,
        truncated=truncated, is_binary=n_chars > 0 and bad / n_chars > _BINARY_SHARE,
        original_bytes=n_bytes, n_lines=n_lines,
    )


def _build_groups(
    events: list[_Event], n_rows: int, numbers: np.ndarray, stamps: np.ndarray
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
        group_index[start:end + 1] = index  # in start order, so inner groups overwrite outer
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


def _build_steps(
    events: list[_Event], groups: tuple[LogSpan, ...], n_rows: int, numbers: np.ndarray,
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
        step_index[row:end + 1] = index
        raw.append((*by_row[row], row, end))
    spans = _spans(raw, numbers, stamps)
    return _with_travis_times(spans, events, step_index), step_index


def _step_starts(events: list[_Event], numbers: np.ndarray) -> list[tuple[int, str, str]]:
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
    started, ended = (_iso_at(stamps, rows) for rows in _bounds(
        np.flatnonzero(~np.isnat(stamps)), starts, ends))
    return tuple(
        LogSpan(
            index=index, name=name, kind=kind,
            first_line=int(numbers[first_line[index]]) if first_line[index] >= 0 else 0,
            last_line=int(numbers[last_line[index]]) if last_line[index] >= 0 else 0,
            started_at=started[index], ended_at=ended[index],
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
    spans: tuple[LogSpan, ...], events: list[_Event], step_index: np.ndarray
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
            out[step] = _replace(out[step], started_at=_iso(np.datetime64(low, "ns")),
                                 ended_at=_iso(np.datetime64(high, "ns")))
    return tuple(out)


def _replace(span: LogSpan, **changes: Any) -> LogSpan:
    return LogSpan(**{**span.__dict__, **changes})


# --------------------------------------------------------------------------- GitHub steps

_GITHUB_KINDS = ("setup", "run", "container", "post", "complete")
_NEG = -1e9
_FILE_UNSAFE = re.compile(r"[\\/:*?\"<>|]")


class _ApiStep(NamedTuple):
    number: int
    name: str
    skipped: bool
    start: np.datetime64
    end: np.datetime64


def github_line_url(job_html_url: str, step_number: int, line_no: int) -> str:
    """Deep link that opens step ``step_number`` of a job at line ``line_no``.

    GitHub numbers lines per step, so ``line_no`` is the line inside the step's own log; use
    ``github_log_url`` to link a line of the whole job log.
    """
    base = job_html_url.split("#", 1)[0].rstrip("/")
    return f"{base}#step:{int(step_number)}:{int(line_no)}"


def github_log_url(job_html_url: str, step: LogSpan, line_no: int) -> str | None:
    """Link a job-log line through a step from ``map_github_steps`` (None when unmapped)."""
    if step.number is None or not step.first_line <= line_no <= step.last_line:
        return None
    return github_line_url(job_html_url, step.number, line_no - step.first_line + 1)


def map_github_steps(
    log: NormalisedLog, api_steps: Sequence[Mapping[str, Any] | str]
) -> tuple[LogSpan, ...]:
    """Assign the log's GitHub sections to the job's API steps (``job["steps"]``).

    Heuristics, in order of weight: a step with ``conclusion == "skipped"`` has no log; the
    first section is "Set up job", ``Post job cleanup.`` sections go to ``Post …`` steps and
    ``Cleaning up orphan processes`` to "Complete job"; a ``##[group]Run X`` section matches a
    step named ``Run X`` (unnamed ``uses:``/``run:`` steps) and otherwise the next user-named
    step; a section whose first timestamp lies inside a step's ``started_at``..``completed_at``
    (±1 s) belongs to it. Composite actions print several ``Run …`` groups inside one step:
    sections may continue the previous step at a small cost, which the timestamps settle.
    Without times (names only) a composite step can swallow too few or too many sections. The
    order is kept (a monotone alignment by dynamic programming). Returns one span per step
    that has lines, with ``number`` set; () when the log is not a GitHub job log.
    """
    sections = list(log.steps)
    steps = _api_steps(api_steps)
    if not sections or not steps or sections[0].kind not in _GITHUB_KINDS:
        return ()
    assign = _align(sections, steps)
    if assign is None:
        return ()
    spans: list[LogSpan] = []
    for position, section in enumerate(sections):
        step = steps[assign[position]]
        if spans and spans[-1].number == step.number:
            spans[-1] = _replace(spans[-1], last_line=section.last_line,
                                 ended_at=section.ended_at or spans[-1].ended_at)
            continue
        spans.append(_replace(section, index=len(spans), name=step.name, number=step.number))
    return tuple(spans)


def _api_steps(api_steps: Sequence[Mapping[str, Any] | str]) -> list[_ApiStep]:
    """API step objects (or bare names, numbered from 1) as small tuples with parsed times."""
    out = []
    for position, step in enumerate(api_steps, start=1):
        item: Mapping[str, Any] = {"name": step} if isinstance(step, str) else step
        out.append(_ApiStep(
            number=int(item.get("number") or position),
            name=str(item.get("name") or ""),
            skipped=item.get("conclusion") == "skipped",
            start=_api_time(item.get("started_at")),
            end=_api_time(item.get("completed_at")),
        ))
    return out


def _api_time(value: Any) -> np.datetime64:
    try:
        stamp = pd.Timestamp(value) if value else pd.NaT
    except (ValueError, TypeError):
        return _NAT
    return _NAT if stamp is pd.NaT else np.datetime64(stamp.value, "ns")


def _align(sections: list[LogSpan], steps: list[_ApiStep]) -> list[int] | None:
    """Best monotone assignment section -> step (index), skipping steps that logged nothing."""
    n, m = len(sections), len(steps)
    skip_cost = np.concatenate([[0.0], np.cumsum([0.0 if s.skipped else 0.5 for s in steps])])
    best = np.full((n, m), _NEG)
    back = np.zeros((n, m), dtype=np.int64)
    for j in range(m):
        best[0, j] = _start_score(sections[0], steps[j]) - skip_cost[j]
    for i in range(1, n):
        running, arg = _NEG, -1
        for j in range(m):
            stay = best[i - 1, j] + _continue_score(sections[i], steps[j])
            jump = running - skip_cost[j] + _start_score(sections[i], steps[j])
            best[i, j], back[i, j] = (stay, j) if stay >= jump or arg < 0 else (jump, arg)
            if best[i - 1, j] + skip_cost[j + 1] > running:
                running, arg = best[i - 1, j] + skip_cost[j + 1], j
    j = int(np.argmax(best[n - 1]))
    if best[n - 1, j] <= _NEG / 2:
        return None
    assign = [j] * n
    for i in range(n - 1, 0, -1):
        j = int(back[i, j])
        assign[i - 1] = j
    return assign


def _start_score(section: LogSpan, step: _ApiStep) -> float:
    """How well ``section`` fits as the first section of ``step``."""
    if step.skipped:
        return _NEG
    return _name_score(section, step.name) + _time_score(section, step)


def _name_score(section: LogSpan, name: str) -> float:
    special = name in ("Set up job", "Complete job") or name.startswith("Post ")
    if section.kind == "setup":
        return 5.0 if name == "Set up job" else -5.0
    if section.kind == "complete":
        return 5.0 if name == "Complete job" else -5.0
    if section.kind == "post":
        return 3.0 if name.startswith("Post ") else -5.0
    if special:
        return -5.0
    if _same_name(section.name, name):
        return 5.0
    return 2.0 if section.kind == "container" and name.startswith("Build ") else 1.0


def _continue_score(section: LogSpan, step: _ApiStep) -> float:
    """Cost of a section continuing ``step`` (a composite action's inner ``Run`` groups)."""
    if step.name in ("Set up job", "Complete job") or section.kind in ("setup", "complete"):
        return _NEG
    if (section.kind == "post") != step.name.startswith("Post "):
        return _NEG
    return -1.0 + _time_score(section, step) / 2


def _time_score(section: LogSpan, step: _ApiStep) -> float:
    if section.started_at is None or np.isnat(step.start):
        return 0.0
    start = np.datetime64(section.started_at.rstrip("Z"), "ns")
    end = step.start if np.isnat(step.end) else step.end
    second = np.timedelta64(1, "s")
    return 2.0 if step.start - second <= start <= end + second else -6.0


def _same_name(log_name: str, api_name: str) -> bool:
    """Equal names, ignoring characters archive file names drop and their ~60-char cut."""
    a, b = _FILE_UNSAFE.sub("", log_name).strip(), _FILE_UNSAFE.sub("", api_name).strip()
    return a == b or (min(len(a), len(b)) >= 40 and (a.startswith(b) or b.startswith(a)))
