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

The CI systems' marker syntax and the step/group spans live in ``core.logs.markers``, the mapping
onto GitHub API steps in ``core.logs.steps``; their public names are re-exported from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.logs.markers import NAT, Event, LogSpan, build_groups, build_steps, find_events, iso
from core.logs.steps import github_line_url, github_log_url, map_github_steps

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

_ANSI = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]+[0-~]|\x1b[0-?@-Z\\-_]"
)
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


def strip_ansi(text: str) -> str:
    """Remove ANSI colour/cursor escape sequences (CSI, OSC and two-byte escapes)."""
    return _ANSI.sub("", text)


def split_timestamp(line: str) -> tuple[str | None, str]:
    """Split GitHub's ``2024-05-01T12:00:00.1234567Z `` prefix off a log line."""
    match = _TIMESTAMP.match(line)
    if match is None:
        return None, line
    return match.group(1), line[match.end() :]


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
class _Chunk:
    texts: list[str]
    stamps: np.ndarray
    events: list[Event]
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
            timestamp=None if np.isnat(stamp) else iso(stamp),
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
        row = (
            int(np.searchsorted(numbers, line_no))
            if not self.truncated
            else _row_truncated(numbers, line_no)
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
    return marker + 1 + int(np.searchsorted(numbers[marker + 1 :], line_no))


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


def keep_head_and_tail_stream(
    chunks: Iterable[bytes], max_bytes: int = DEFAULT_MAX_LOG_BYTES
) -> KeptLog:
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


def _finish_stream(
    head: bytes, tail: bytes, dropped_newlines: int, total: int, tail_budget: int
) -> KeptLog:
    """Cut the streamed head and tail on line boundaries and number the tail's first line."""
    newline = head.rfind(b"\n")
    head_end = newline + 1 if newline >= 0 else len(head)
    spill = head[head_end:]
    window = tail[-tail_budget:] if len(tail) > tail_budget else tail
    before = dropped_newlines + spill.count(b"\n") + tail.count(b"\n", 0, len(tail) - len(window))
    newline = window.find(b"\n")
    if 0 <= newline < len(window) - 1:
        before += window.count(b"\n", 0, newline + 1)
        window = window[newline + 1 :]
    n_lines = head.count(b"\n", 0, head_end) + before + window.count(b"\n") + 1
    n_lines -= window.endswith(b"\n")
    return KeptLog(
        head[:head_end], window, head[:head_end].count(b"\n") + before + 1, total, n_lines
    )


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
    middle = _Chunk([marker], np.array([NAT]), [], 0, len(marker))
    numbers = np.concatenate(
        [
            np.arange(1, len(head.texts) + 1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
            np.arange(tail_first, tail_first + len(tail.texts), dtype=np.int64),
        ]
    )
    return _assemble(
        [head, middle, tail], numbers, kept.original_bytes, kept.n_lines, truncated=True
    )


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
    events = find_events(framed)
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
        kept = kept[: max(0, len(kept) - len(piece))] if index % 2 else kept + piece
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
        return np.full(n_rows, NAT)
    try:
        return np.array(stamps, dtype="datetime64[ns]")
    except ValueError:
        return np.array([_one_datetime(s) for s in stamps], dtype="datetime64[ns]")


def _one_datetime(stamp: str | None) -> np.datetime64:
    try:
        return np.datetime64(stamp, "ns") if stamp else NAT
    except ValueError:
        return NAT


# --------------------------------------------------------------------------- assembling


def _assemble(
    chunks: list[_Chunk], numbers: np.ndarray, n_bytes: int, n_lines: int, truncated: bool
) -> NormalisedLog:
    """Concatenate chunks, then derive flags, groups and steps from the markers."""
    texts: list[str] = []
    events: list[Event] = []
    for chunk in chunks:
        offset = len(texts)
        events.extend(e._replace(row=e.row + offset) if offset else e for e in chunk.events)
        texts.extend(chunk.texts)
    stamps = np.concatenate([c.stamps for c in chunks]) if chunks else np.array([], "M8[ns]")
    n_rows = len(texts)
    groups, group_index = build_groups(events, n_rows, numbers, stamps)
    steps, step_index = build_steps(events, groups, n_rows, numbers, stamps)
    is_error, is_warning = np.zeros(n_rows, bool), np.zeros(n_rows, bool)
    is_error[[e.row for e in events if e.kind == "error"]] = True
    is_warning[[e.row for e in events if e.kind == "warning"]] = True
    bad = sum(c.bad_chars for c in chunks)
    n_chars = sum(c.n_chars for c in chunks)
    arrays = [numbers, stamps, step_index, group_index, is_error, is_warning]
    for array in arrays:
        array.flags.writeable = False
    return NormalisedLog(
        *arrays[:2],
        tuple(texts),
        *arrays[2:],
        steps=steps,
        groups=groups,
        truncated=truncated,
        is_binary=n_chars > 0 and bad / n_chars > _BINARY_SHARE,
        original_bytes=n_bytes,
        n_lines=n_lines,
    )
