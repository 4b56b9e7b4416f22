"""Tables as people read them: human column headers, local times, no ``None``/``NaN`` cells.

The read models keep machine-friendly frames (snake_case columns, UTC timestamps, missing values
as None/NaN) because tests, exports and other code read them. Just before a page draws one, it
passes the frame through :func:`readable` (values) and :func:`column_labels` (headers), so every
table looks the same: ``duration_s`` reads "Duration (s)", ``2026-05-01T12:00:00+00:00`` reads
"2026-05-01 14:00" in the reader's time zone, and a missing value is an empty cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
from pandas.api import types

__all__ = ["MISSING", "TIME_FORMAT", "column_labels", "human_label", "readable"]

MISSING = ""  # what a missing value shows (and exports) as: an empty cell
TIME_FORMAT = "%Y-%m-%d %H:%M"  # readable, and sorts in time order as text

# words written another way in a header
_WORDS = {
    "id": "ID",
    "ids": "IDs",
    "os": "OS",
    "url": "link",
    "usd": "USD",
    "pr": "PR",
    "prs": "PRs",
    "sha": "SHA",
    "ci": "CI",
    "sqs": "SQS",
    "json": "JSON",
    "kpi": "KPI",
}
# a trailing unit becomes "(unit)"
_UNITS = {"s": "s", "ms": "ms", "min": "min", "usd": "USD", "pct": "%", "mb": "MB", "kb": "KB"}


def human_label(column: object) -> str:
    """``duration_s`` -> ``Duration (s)``, ``runner_os`` -> ``Runner OS``, ``created_at`` ->
    ``Created``, ``p95_min`` -> ``p95 (min)``, ``run_url`` -> ``Run link``.

    Names that are not snake_case (already human, or ``hit@5``) are returned as they are.
    """
    text = str(column)
    if not text or text != text.lower() or " " in text:
        return text
    words = [word for word in text.split("_") if word]
    if not words:
        return text
    unit = ""
    if len(words) > 1 and words[-1] in _UNITS:
        unit = f" ({_UNITS[words.pop()]})"
    if len(words) > 1 and words[-1] == "at":
        words.pop()
    shown = [_WORDS.get(word, word) for word in words]
    first = shown[0]
    if first == first.lower() and not (first[0] == "p" and first[1:].isdigit()):
        shown[0] = first[:1].upper() + first[1:]
    return " ".join(shown) + unit


def column_labels(
    columns: Iterable[object], overrides: Mapping[str, object] | None = None
) -> dict[str, object]:
    """A ``column_config`` mapping: each column's human label, ``overrides`` winning (a label,
    a column config object, or None to hide the column)."""
    labels: dict[str, object] = {str(c): human_label(c) for c in columns}
    labels.update(dict(overrides or {}))
    return labels


def _time_zone(tz: str | None) -> str:
    try:
        pd.Timestamp(0, tz=tz or "UTC")
    except Exception:  # noqa: BLE001 - an unknown zone name from a browser: fall back
        return "UTC"
    return tz or "UTC"


def _times(series: pd.Series, tz: str, time_format: str) -> pd.Series:
    stamps = series if series.dt.tz is not None else series.dt.tz_localize("UTC")
    text = stamps.dt.tz_convert(tz).dt.strftime(time_format)
    return text.where(series.notna(), MISSING).astype(object)


def _number(value: float, integral: bool) -> str:
    return f"{value:,.0f}" if integral else f"{value:,.2f}"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array in a cell: a value, not a gap
        return False


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return value if isinstance(value, str) else str(value)


def readable(
    frame: pd.DataFrame, tz: str | None = "UTC", time_format: str = TIME_FORMAT
) -> pd.DataFrame:
    """A copy of ``frame`` to draw: times in ``tz`` as ``2026-05-01 14:00`` (naive times are
    taken as UTC), and no missing value left (an empty cell instead of ``None``/``NaN``).

    Columns without a missing value keep their type (numbers stay numbers, flags stay
    checkboxes); a numeric column with gaps becomes text, since a table cell cannot be a number
    and empty at once.
    """
    out = frame.copy()
    zone = _time_zone(tz)
    for column in out.columns:
        series = out[column]
        if types.is_datetime64_any_dtype(series):
            out[column] = _times(series, zone, time_format)
        elif series.dtype == object and series.map(lambda v: isinstance(v, pd.Timestamp)).any():
            stamps = pd.to_datetime(series, utc=True, errors="coerce")
            out[column] = _times(stamps, zone, time_format)
        elif not series.isna().any():
            continue
        elif types.is_bool_dtype(series) or types.is_numeric_dtype(series):
            values = pd.to_numeric(series, errors="coerce")
            present = values.dropna()
            integral = bool((present == present.round()).all())
            out[column] = values.map(
                lambda v, whole=integral: MISSING if pd.isna(v) else _number(float(v), whole)
            ).astype(object)
        else:
            out[column] = series.map(lambda v: MISSING if _missing(v) else _cell(v)).astype(object)
    return out
