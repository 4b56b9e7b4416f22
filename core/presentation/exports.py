"""Downloads: CSV bytes of a table, a standalone HTML file of a chart, safe file names.

The HTML embeds plotly.js (``include_plotlyjs=True``, about 4.7 MB), so the file opens offline
and years later without a CDN; the pages therefore build it lazily, only when clicked. PNGs come
from the chart's own toolbar camera (configured by :func:`plotly_config`), which needs no
server-side renderer.
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

__all__ = ["csv_bytes", "export_name", "figure_html", "plotly_config"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def export_name(*parts: object) -> str:
    """``acme-labs/shopfront``, ``runs per day``, 30 -> ``acme-labs_shopfront-runs_per_day-30``."""
    cleaned = [_UNSAFE.sub("_", str(part)).strip("_") for part in parts if str(part)]
    return "-".join(part for part in cleaned if part)[:120] or "ci-medic"


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV without the index (times stay ISO-8601 with their offset)."""
    return frame.to_csv(index=False).encode("utf-8")


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
