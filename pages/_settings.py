"""What one browser session has chosen that more than one page uses, and how tables are shown.

- **Runner prices**: the Pipelines page edits the per-minute prices (number inputs with keys
  ``price_<name>``); the Overview's "Estimated cost" uses the same ones (:func:`runner_prices`).
  Streamlit forgets a widget's value once a page without that widget has run, so the prices
  are also kept under a key of their own, which outlives page switches.
- **Time zone**: the browser's (``st.context.timezone``), UTC when unknown (:func:`local_timezone`).
- **GitHub links**: in demo mode the repository exists only in the local emulator, so pages do
  not link to github.com (:func:`github_links`, :data:`DEMO_LINKS_NOTE`); otherwise a link is
  drawn only when it is ``https://`` to the configured GitHub's web host (:func:`github_host`).
- **Readable tables**: :func:`shown` turns a read model's frame into what a table draws (local
  times, no ``None``) and its human column headers.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from agents.pipeline_monitor.kpis import RUNNER_PRICES_USD
from core.github.repo_names import web_host
from core.presentation.tables import column_labels, readable
from core.workspace import Workspace

__all__ = [
    "DEMO_LINKS_NOTE",
    "PRICE_KEY",
    "github_host",
    "github_links",
    "local_timezone",
    "price_key",
    "remember_prices",
    "runner_prices",
    "shown",
]

PRICE_KEY = "price_{}"  # the Pipelines page's number inputs: price_Linux, price_Windows, ...
_SAVED_PRICES = "_ci_medic_runner_prices"
DEMO_LINKS_NOTE = (
    "Demo mode: the demo repository exists only in the local GitHub emulator, not on "
    "github.com, so links to GitHub are left out."
)


def price_key(runner: str) -> str:
    """The session-state key of one runner's price input on the Pipelines page."""
    return PRICE_KEY.format(runner)


def remember_prices(prices: Mapping[str, float]) -> None:
    """Keep ``prices`` for this session beyond the page that edited them."""
    saved = dict(st.session_state.get(_SAVED_PRICES) or {})
    saved.update({name: float(value) for name, value in prices.items()})
    st.session_state[_SAVED_PRICES] = saved


def runner_prices() -> dict[str, float]:
    """Per-minute prices of every runner as this session last set them on the Pipelines page
    (list prices where never edited)."""
    edited = {
        name: float(st.session_state[price_key(name)])
        for name in RUNNER_PRICES_USD
        if st.session_state.get(price_key(name)) is not None
    }
    if edited:
        remember_prices(edited)
    return {**RUNNER_PRICES_USD, **(st.session_state.get(_SAVED_PRICES) or {})}


def local_timezone() -> str:
    """The browser's time zone name (e.g. ``Europe/Berlin``); ``UTC`` when it is not known."""
    try:
        zone = st.context.timezone
    except Exception:  # noqa: BLE001 - no browser context (a bare script run): UTC
        zone = None
    return str(zone) if zone else "UTC"


def github_links(workspace: Workspace) -> bool:
    """Whether pages link to GitHub: not in demo mode, where the repository is not on GitHub."""
    return not workspace.is_demo


def github_host(workspace: Workspace) -> str:
    """The only host a link may point to (``https://`` only): the web host of the configured
    GitHub (``github.com`` for api.github.com, a GHES's own host); ``""`` (no link at all) in
    demo mode."""
    if not github_links(workspace):
        return ""
    return web_host(workspace.settings.github_base_url)


def shown(
    frame: pd.DataFrame, overrides: Mapping[str, object] | None = None
) -> tuple[pd.DataFrame, dict[str, object]]:
    """(the frame as a table draws it, its ``column_config``): times in the reader's time zone,
    empty cells instead of None/NaN, and a human header for every column (``overrides`` win:
    a label, a ``st.column_config`` object, or None to hide a column)."""
    return readable(frame, local_timezone()), column_labels(frame.columns, overrides)
