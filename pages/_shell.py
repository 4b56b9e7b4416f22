"""What every page shares: the workspace, the sidebar, the cached views and the two drawing
helpers (a table with its CSV download, a chart with its PNG/HTML export).

Streamlit code lives here, in app.py and in pages/ only. Caches are bounded (``ttl``,
``max_entries``) and keyed by the store's data version, so a sync shows up on the next rerun and
cached frames are never mutated (``st.cache_data`` hands out copies).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from agents.actions import agent_catalogue
from agents.background import ensure_runner, prepare_demo
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
from core.presentation.links import safe_links
from core.presentation.text import plain
from core.queue.supervisor import ensure_worker
from core.store.db import Store
from core.store.tasks import Task, active_tasks
from core.store.tasks import task as load_task
from core.workspace import Workspace, open_workspace
from pages import _settings
from pages._settings import runner_prices

__all__ = [
    "PageContext",
    "agent_sections",
    "no_data_yet",
    "chart",
    "current_period",
    "current_repo",
    "app_shell",
    "current_workspace",
    "overview",
    "pipelines",
    "render_sidebar",
    "page_sections",
    "show_error",
    "table",
    "task_button",
    "task_panel",
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
def _first_start(home: str) -> int:
    """Once per server: start the task runner and queue the demo's first-start steps.

    The work itself runs in the runner's thread, never in this script run, so the page draws
    at once and polls the progress (a click or a reload cannot stop it).
    """
    workspace = _workspace(home)
    ensure_runner(workspace)
    return len(prepare_demo(workspace))


_SHELL_RAN = "_ci_medic_shell_ran"
_REROUTED = "_ci_medic_rerouted"
_HERE = Path(__file__).resolve().parents[1]
# Pages that land one by one (Layer 2/3, the sidecar) are listed once their file exists.
_LATER_PAGES = (
    (
        "Layer 2 · Intelligence",
        "pages/layer2_intelligence.py",
        "Intelligence",
        ":material/psychology:",
    ),
    ("Layer 3 · Healing", "pages/layer3_healing.py", "Healing", ":material/build:"),
    ("Sidecar", "pages/queues.py", "Queues", ":material/inbox:"),
)


def page_sections() -> dict[str, list]:
    """The navigation: Overview first, then one section per layer, then the sidecar.

    Paths are absolute so the same list works whichever script Streamlit started from.
    """
    sections: dict[str, list] = {
        "CI Medic": [
            st.Page(
                _HERE / "pages/overview.py",
                title="Overview",
                icon=":material/monitor_heart:",
                default=True,
            )
        ],
        "Layer 1 · Collection": [
            st.Page(
                _HERE / "pages/layer1_collection.py",
                title="Pipelines",
                icon=":material/table_view:",
            ),
        ],
    }
    for section, script, title, icon in _LATER_PAGES:
        if (_HERE / script).exists():
            sections.setdefault(section, []).append(st.Page(_HERE / script, title=title, icon=icon))
    return sections


def app_shell() -> Workspace:
    """Page config, the workspace (first start: demo + first sync) and the sidebar."""
    # Icons are Streamlit's bundled Material Symbols, not emoji: a machine without an emoji font
    # draws emoji as empty boxes.
    st.set_page_config(page_title="CI Medic", layout="wide")
    st.session_state[_SHELL_RAN] = True
    home = os.environ.get("CI_MEDIC_HOME", "")
    try:
        with st.spinner("Preparing the workspace (the first start generates the demo, ~10 s)…"):
            workspace = _workspace(home)
            _first_start(home)
    except CIMedicError as exc:
        st.error(plain(exc))
        st.stop()
    ensure_runner(workspace)  # restarted if its thread ever died
    ensure_worker(workspace.settings)  # once per server: Community Cloud has no sidecar
    runner_prices()  # edited prices outlive a trip through pages that do not draw them
    render_sidebar(workspace, current_repo(workspace))
    task_panel(workspace)
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


# --------------------------------------------------------------------------- background tasks

_WATCHING = "_ci_medic_tasks_watching"
_ENDED = "_ci_medic_tasks_ended"
POLL_S = 1.0


def task_button(
    workspace: Workspace,
    repo: str,
    agent: str,
    action: str,
    label: str,
    *,
    key: str,
    options: dict | None = None,
    disabled: bool = False,
    primary: bool = False,
    help: str | None = None,
) -> None:
    """A button that queues ``agent`` on ``repo`` in the background (never runs it here).

    Disabled while the same agent runs or waits on the same repository; the click is handled
    in ``on_click``, before the page draws, so the task panel shows it at once. A repository
    synced successfully becomes the session's current one (typing another repository and
    syncing it switches every page to it once its data is there).
    """
    busy = any(
        task.agent == agent and task.repo.lower() == (repo or "").lower()
        for task in active_tasks(workspace.store)
    )
    st.button(
        label,  # the same label while running: a new label would be a new element for a moment
        key=key,
        type="primary" if primary else "secondary",
        disabled=disabled or busy or not repo,
        help=" ".join(filter(None, ["Running now: see the panel at the top.", help]))
        if busy
        else help,
        on_click=_submit,
        args=(workspace, repo, agent, action, options),
    )


def _submit(workspace: Workspace, repo: str, agent: str, action: str, options: dict | None):
    from agents.background import submit

    try:
        queued = submit(workspace, repo, agent, action, options)
    except Exception as exc:  # noqa: BLE001 - e.g. the store is read-only: a sentence
        st.session_state[_ENDED] = [("error", f"{plain(action)} could not start: {plain(exc)}")]
        return
    st.session_state.pop(_ENDED, None)  # the last task's ending gives way to the new task
    st.session_state.setdefault(_WATCHING, set()).add(queued.id)


def task_panel(workspace: Workspace) -> None:
    """What runs in the background, at the top of every page; redraws the page when it ends.

    Polls the store every second while anything is queued or running (a fragment, so only
    this panel reruns); when a task this session watched ends, the whole page reruns once to
    draw the new data, and says how the task ended until dismissed or the next task starts.
    Task messages, summaries and errors quote GitHub and logs: they are escaped (never markup).
    """
    active = active_tasks(workspace.store)
    _note_endings(workspace.store, active)
    endings = st.session_state.get(_ENDED, [])
    for state, text in endings:
        {"done": st.success, "error": st.error, "interrupted": st.warning}[state](text)
    if endings:
        st.button("Dismiss", key="tasks_dismiss", on_click=st.session_state.pop, args=(_ENDED,))
    if active:
        st.fragment(_live_tasks, run_every=POLL_S)(workspace)


def _note_endings(store: Store, active: list[Task]) -> bool:
    """Move watched tasks that are no longer active to the endings to show; True if any."""
    watching: set[int] = st.session_state.setdefault(_WATCHING, set())
    watching.update(task.id for task in active)
    ended = watching - {task.id for task in active}
    if not ended:
        return False
    st.session_state[_WATCHING] = watching - ended
    st.session_state[_ENDED] = st.session_state.get(_ENDED, []) + _endings(store, ended)
    return True


def no_data_yet(workspace: Workspace, repo: str, otherwise: str) -> None:
    """Say why a page is empty: data on its way (a task of ``repo`` runs), or ``otherwise``."""
    if any(task.repo.lower() == repo.lower() for task in active_tasks(workspace.store)):
        st.info(
            f"{plain(repo)} is being collected and analysed in the background (progress above); "
            "this page fills in by itself when it is done."
        )
    else:
        st.info(otherwise)


def _live_tasks(workspace: Workspace) -> None:
    tasks = active_tasks(workspace.store)
    if _note_endings(workspace.store, tasks) or not tasks:
        st.rerun(scope="app")  # draw the new data, say how the task ended, stop polling
    with st.container(border=True):
        st.caption(
            "Running in the background: you can keep using the app, switch pages or reload; "
            "nothing is lost."
        )
        for task in tasks:
            _draw_task(task)


def _draw_task(task: Task) -> None:
    """One active task; its message may quote GitHub (a rate-limit sentence): escaped."""
    name = f"{plain(task.action)} · {plain(task.repo)}"
    if task.waiting:
        st.warning(
            plain(task.message)
            if task.message
            else f"{plain(task.action)} waits for GitHub's rate limit to reset."
        )
    elif task.state == "queued":
        st.caption(f"{name}: queued")
    else:
        text = f"{name}: {plain(task.message) if task.message else 'starting…'}"
        st.progress(max(0.0, min(1.0, task.progress)), text=text)


def _endings(store: Store, ended: set[int]) -> list[tuple[str, str]]:
    """(kind, sentence) for every watched task that just ended, in the order they ran; the
    sentences are Markdown with the task's own words (summary, error) escaped."""
    endings = []
    tasks = [found for task_id in sorted(ended) if (found := load_task(store, task_id))]
    for task in tasks:
        action = plain(task.action)
        if task.state == "done":
            endings.append(
                ("done", f"{action}: {plain(task.summary) if task.summary else 'done.'}")
            )
            if task.agent == "pipeline_monitor":
                st.session_state["repo"] = task.repo  # its data is there: look at it
        elif task.state == "interrupted":
            endings.append(("interrupted", f"{action}: {plain(task.error)}"))
        else:
            endings.append(("error", f"{action} failed: {plain(task.error)}"))
    return endings


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
        if fresh.get("status"):  # what GitHub (or the sync) said: data, never markup
            st.warning(plain(fresh["status"]))
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
    """A sentence for our own errors; one line (never a traceback) for anything else. The
    error's text may quote GitHub or a log: it is escaped, never drawn as markup."""
    st.error(
        plain(error)
        if isinstance(error, CIMedicError)
        else f"Unexpected error ({type(error).__name__}: {plain(error)}). What was stored "
        "before it is kept; the Overview shows the error next to the agent."
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
    """A table and, right under it, its CSV download (built only when clicked).

    Link columns (a ``LinkColumn`` in ``column_config``, or named like ``html_url``/``GitHub``)
    keep only ``https://`` links to the configured GitHub (:func:`_settings.github_host`), in
    the table and in its CSV alike; the CSV's formula-looking cells are defused by csv_bytes.
    """
    frame = safe_links(frame, _link_host(), column_config)
    st.dataframe(
        frame,
        width="stretch",
        hide_index=True,
        height=height,
        column_config=dict(column_config or {}),
        key=f"{key}_table",
    )
    st.download_button(
        "CSV",
        icon=":material/download:",
        data=lambda: csv_bytes(frame),
        file_name=f"{export_name(name)}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        help=caption or f"Download this table ({len(frame):,} rows) as CSV",
    )


def _link_host() -> str:
    """The web host links may point to, for the workspace this server runs on."""
    return _settings.github_host(_workspace(os.environ.get("CI_MEDIC_HOME", "")))


def chart(fig: go.Figure, name: str, key: str, data: pd.DataFrame | None = None) -> None:
    """A plotly chart (PNG from its toolbar camera) with HTML and, if given, data downloads."""
    stem = export_name(name)
    st.plotly_chart(fig, width="stretch", config=plotly_config(stem), key=f"{key}_chart")
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "HTML",
            icon=":material/download:",
            data=lambda: figure_html(fig, name),
            file_name=f"{stem}.html",
            mime="text/html",
            key=f"{key}_html",
            on_click="ignore",
            help="Standalone interactive chart (works offline)",
        )
        if data is not None:
            st.download_button(
                "CSV",
                icon=":material/download:",
                data=lambda: csv_bytes(safe_links(data, _link_host())),
                file_name=f"{stem}.csv",
                mime="text/csv",
                key=f"{key}_csv",
                on_click="ignore",
                help="The numbers behind this chart",
            )
