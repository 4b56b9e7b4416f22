"""Links taken from stored data: only ``https://`` links to the configured GitHub web host.

A run's or job's ``html_url`` comes from an API payload (or a dump anyone can write), so a
``javascript:`` or ``https://evil.example/`` value must never become a clickable cell, a link
button or an ``href``. :func:`safe_link` keeps a link only when it is ``https://`` to exactly
``host`` (``github.com``, or a GitHub Enterprise Server's web host: see
:func:`core.github.repo_names.web_host`), without user info, spaces or control characters;
anything else is an empty string. :func:`safe_links` applies it to every link column of a table
(:func:`is_link_column`: a ``LinkColumn`` of its ``column_config``, or a column named like a
link: ``html_url``, ``run_url``, ``GitHub``...), for what is drawn and what is exported alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

__all__ = ["is_link_column", "link_columns", "safe_link", "safe_links"]

_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")  # spaces, controls, backslashes
_LINK_NAMES = re.compile(r"^(?:github|link|url|.*_url|.*_link)$", re.IGNORECASE)


def safe_link(url: Any, host: str) -> str:
    """``url`` when it is ``https://<host>/...`` (host compared without case); else ``""``.

    An empty ``host`` (links are off, e.g. the demo) keeps nothing.
    """
    if not host or not isinstance(url, str) or not url or _UNSAFE_CHARS.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme != "https" or parts.netloc.lower() != host.strip().lower():
        return ""
    if not url.startswith("https://"):  # "HTTPS://" parses as https: keep only the plain form
        return ""
    return url


def is_link_column(name: object, config: object = None) -> bool:
    """Whether a table column holds links: its config is a ``LinkColumn``, or its name says so
    (``html_url``, ``run_url``, ``GitHub``, ``link``)."""
    if isinstance(config, Mapping):
        type_config = config.get("type_config")
        if isinstance(type_config, Mapping) and type_config.get("type") == "link":
            return True
    return bool(_LINK_NAMES.match(str(name)))


def link_columns(frame: pd.DataFrame, column_config: Mapping[str, Any] | None = None) -> list:
    """The columns of ``frame`` that :func:`is_link_column` calls links."""
    config = dict(column_config or {})
    return [c for c in frame.columns if is_link_column(c, config.get(str(c)))]


def safe_links(
    frame: pd.DataFrame, host: str, column_config: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """``frame`` with every link column passed through :func:`safe_link` (a copy when any
    column changes; other columns untouched)."""
    columns = link_columns(frame, column_config)
    if not columns:
        return frame
    out = frame.copy()
    for column in columns:
        out[column] = out[column].map(lambda url: safe_link(url, host)).astype(object)
    return out
