"""What every page shares: the workspace, the sidebar, the cached views and the two drawing
helpers (a table with its CSV download, a chart with its PNG/HTML export).

Streamlit code lives here, in app.py and in pages/ only. Caches are bounded (``ttl``,
``max_entries``) and keyed by the store's data version, so a sync shows up on the next rerun and
cached frames are never mutated (``st.cache_data`` hands out copies).
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from agents.actions import agent_catalogue, first_sync
from agents.pipeline_monitor.view import (
    PERIODS,
    OverviewView,
    PipelinesView,
    data_version,
    overview_view,
    pipelines_view,
    repo_freshness,
)
from core.errors import CIMedicError
from core.presentation.exports import csv_bytes, export_name, figure_html, plotly_config
from core.queue.supervisor import ensure_worker
from core.store.db import Store
from core.workspace import Workspace, open_workspace

__all__ = [
    "PageContext",
    "agent_sections",
    "chart",
    "current_period",
    "current_repo",
    "app_shell",
    "current_workspace",
    "overview",
    "pipelines",
    "progress_reporter",
    "render_sidebar",
    "page_sections",
    "show_error",
    "table",
]

DEFAULT_PERIOD = 30


@dataclass(frozen=True)
class PageContext:
    """What a page section draws for: the workspace, the repository and the sidebar's period."""

    workspace: Workspace
    repo: str
    days: int


def agent_sections(layer: int) -> list[tuple[str, Callable[[PageContext], None] | None]]:
    """(title, render) of every registered agent of ``layer``, in registry order.

    A section is ``pages/sections/<agent name>.py`` with ``render(page: PageContext)``; an agent
    without one yet gets ``None`` (the page says so instead of drawing anything made up).
    """
    sections = []
    for name, title, agent_layer in agent_catalogue():
        if agent_layer != layer:
            continue
        try:
            module = importlib.import_module(f"pages.sections.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pages.sections.{name}":
                raise
            sections.append((title, None))
            continue
        sections.append((title, module.render))
    return sections


def _secrets() -> dict:
    """st.secrets raises when no secrets.toml exists; treat that as no secrets."""
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitAPIException):
        return {}
    except Exception:  # noqa: BLE001 - a malformed secrets file must not take the app down
        return {}


@st.cache_resource(show_spinner=False)
def _workspace(home: str) -> Workspace:
    return open_workspace(dict(os.environ), _secrets())


@st.cache_resource(show_spinner=False)
def _sync_lock(home: str) -> threading.Lock:
    """One first sync at a time per store: a second session waits, then finds it done."""
    return threading.Lock()


_SHELL_RAN = "_ci_medic_shell_ran"
_REROUTED = "_ci_medic_rerouted"
_HERE = Path(__file__).resolve().parents[1]
# Pages that land one by one (Layer 2/3, the sidecar) are listed once their file exists.
_LATER_PAGES = (
    ("Layer 2 · Intelligence", "pages/layer2_intelligence.py", "Intelligence", "🧠"),
    ("Layer 3 · Healing", "pages/layer3_healing.py", "Healing", "🛠️"),
    ("Sidecar", "pages/queues.py", "Queues", "📬"),
)


def page_sections() -> dict[str, list]:
    """The navigation: Overview first, then one section per layer, then the sidecar.

    Paths are absolute so the same list works whichever script Streamlit started from.
    """
    sections: dict[str, list] = {
        "CI Medic": [
            st.Page(_HERE / "pages/overview.py", title="Overview", icon="🩺", default=True)
        ],
        "Layer 1 · Collection": [
            st.Page(_HERE / "pages/layer1_collection.py", title="Pipelines", icon="📥"),
        ],
    }
    for section, script, title, icon in _LATER_PAGES:
        if (_HERE / script).exists():
            sections.setdefault(section, []).append(st.Page(_HERE / script, title=title, icon=icon))
    return sections


def app_shell() -> Workspace:
    """Page config, the workspace (first start: demo + first sync) and the sidebar."""
    st.set_page_config(page_title="CI Medic", page_icon="🩺", layout="wide")
    st.session_state[_SHELL_RAN] = True
    home = os.environ.get("CI_MEDIC_HOME", "")
    try:
        with st.spinner("Preparing the workspace (first start generates the demo)…"):
            workspace = _workspace(home)
    except CIMedicError as exc:
        st.error(str(exc))
        st.stop()
    if not st.session_state.get("first_sync_done"):
        with _sync_lock(home):
            _first_sync(workspace)
    ensure_worker(workspace.settings)  # once per server: Community Cloud has no sidecar
    render_sidebar(workspace, current_repo(workspace))
    return workspace


def current_workspace() -> Workspace:
    """A page's entry: the workspace app.py prepared in this same script run.

    Streamlit runs a page script alone (without app.py) while a server is still in its old
    "pages/ folder" mode, which lasts until some session calls ``st.navigation``: a deep link
    that is a fresh server's first request, and every AppTest rerun. The page then draws the
    shell itself and registers the navigation, which also moves the server to the new mode.
    For a browser (AppTest sends no HTTP headers) it then reruns once through app.py:
    widgets drawn in the old mode belong to another page id and would lose their first click.
    """
    if st.session_state.pop(_SHELL_RAN, False):
        return _workspace(os.environ.get("CI_MEDIC_HOME", ""))
    workspace = app_shell()
    st.session_state.pop(_SHELL_RAN, None)
    st.navigation(page_sections())  # registered, not run: this script is the page
    if _from_a_browser() and not st.session_state.get(_REROUTED):
        st.session_state[_REROUTED] = True
        st.rerun()
    return workspace


def _from_a_browser() -> bool:
    try:
        return bool(st.context.headers.get("Host"))
    except Exception:  # noqa: BLE001 - no request context: not a browser session
        return False


def progress_reporter(bar, every_s: float = 0.1):
    """A Progress callback that moves an ``st.progress`` bar with the agent's sentence.

    At most one update per ``every_s`` (plus the last one): a sync reports thousands of
    steps, and each update is a message to the browser.
    """
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= every_s or fraction >= 1.0:
            last[0] = now
            bar.progress(max(0.0, min(1.0, float(fraction))), text=message)

    return progress


def _first_sync(workspace: Workspace) -> None:
    with st.status(
        "Syncing the demo repository through the local GitHub emulator…", expanded=False
    ) as status:
        bar = st.progress(0.0)
        try:
            result = first_sync(workspace, progress_reporter(bar))
        except CIMedicError as exc:
            status.update(label=str(exc), state="error")
            return
        status.update(label=result.summary if result else "Data is ready.", state="complete")
    st.session_state["first_sync_done"] = True


def current_repo(workspace: Workspace) -> str:
    """The repository this session looks at: the workspace's, or the last one synced here."""
    return st.session_state.get("repo") or workspace.repo


def current_period() -> int:
    """The period (days) chosen in the sidebar."""
    return int(st.session_state.get("period") or DEFAULT_PERIOD)


def render_sidebar(workspace: Workspace, repo: str) -> None:
    """Repository, mode, data freshness and the period every page uses."""
    fresh = repo_freshness(workspace.store, repo) if repo else {}
    with st.sidebar:
        st.markdown("**Repository**")
        st.code(repo or "not set", language=None)
        st.caption(
            "Demo mode: the embedded demo repository, served by a local emulator."
            if workspace.is_demo
            else "Live mode: data from GitHub."
        )
        for key in ("synced", "newest"):
            if fresh.get(key):
                st.caption(fresh[key])
        if fresh.get("status"):
            st.warning(fresh["status"])
        st.radio(
            "Period",
            PERIODS,
            index=PERIODS.index(DEFAULT_PERIOD),
            horizontal=True,
            format_func=lambda days: f"{days} days",
            key="period",
            help="KPIs compare this period with the one just before it.",
        )


def show_error(error: Exception) -> None:
    """A sentence for our own errors; one line (never a traceback) for anything else."""
    st.error(
        str(error)
        if isinstance(error, CIMedicError)
        else f"Unexpected error ({type(error).__name__}: {error}). What was stored before it "
        "is kept; the Overview shows the error next to the agent."
    )


# --------------------------------------------------------------------------- cached views


def _prices_key(prices: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((prices or {}).items()))


@st.cache_data(ttl=60, max_entries=24, show_spinner=False)
def _overview(
    _store: Store,
    db_path: str,
    repo: str,
    days: int,
    version: str,
    agents: tuple[tuple[str, str, int], ...],
) -> OverviewView:
    return overview_view(_store, repo, days, agents)


@st.cache_data(ttl=60, max_entries=24, show_spinner=False)
def _pipelines(
    _store: Store,
    db_path: str,
    repo: str,
    days: int,
    version: str,
    prices: tuple[tuple[str, float], ...],
) -> PipelinesView:
    return pipelines_view(_store, repo, days, dict(prices))


def overview(workspace: Workspace, repo: str, days: int) -> OverviewView:
    """The Overview bundle for (store, repo, period), recomputed when the data changes."""
    store = workspace.store
    return _overview(
        store, str(store.path), repo, days, data_version(store, repo), tuple(agent_catalogue())
    )


def pipelines(
    workspace: Workspace, repo: str, days: int, prices: Mapping[str, float] | None = None
) -> PipelinesView:
    """The Pipelines bundle for (store, repo, period, prices), recomputed on new data."""
    store = workspace.store
    return _pipelines(
        store, str(store.path), repo, days, data_version(store, repo), _prices_key(prices)
    )


# --------------------------------------------------------------------------- drawing


def table(
    frame: pd.DataFrame,
    name: str,
    key: str,
    *,
    height: int | str = "auto",
    column_config: Mapping | None = None,
    caption: str = "",
) -> None:
    """A table and, right under it, its CSV download (built only when clicked)."""
    st.dataframe(
        frame,
        width="stretch",
        hide_index=True,
        height=height,
        column_config=dict(column_config or {}),
        key=f"{key}_table",
    )
    st.download_button(
        "⬇ CSV",
        data=lambda: csv_bytes(frame),
        file_name=f"{export_name(name)}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        help=caption or f"Download this table ({len(frame):,} rows) as CSV",
    )


def chart(fig: go.Figure, name: str, key: str, data: pd.DataFrame | None = None) -> None:
    """A plotly chart (PNG from its toolbar camera) with HTML and, if given, data downloads."""
    stem = export_name(name)
    st.plotly_chart(fig, width="stretch", config=plotly_config(stem), key=f"{key}_chart")
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "⬇ HTML",
            data=lambda: figure_html(fig, name),
            file_name=f"{stem}.html",
            mime="text/html",
            key=f"{key}_html",
            on_click="ignore",
            help="Standalone interactive chart (works offline)",
        )
        if data is not None:
            st.download_button(
                "⬇ CSV",
                data=lambda: csv_bytes(data),
                file_name=f"{stem}.csv",
                mime="text/csv",
                key=f"{key}_csv",
                on_click="ignore",
                help="The numbers behind this chart",
            )
