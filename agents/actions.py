"""What the pages' buttons do: run a collection agent on a repository, recorded in agent_runs.

Pages call these instead of the agents directly, so a button, the CLI and a test exercise the
same path: validate the repository text, build the agent's context (with a GitHub source for
the collection agents), and run it through :func:`agents.runner.run_agent`, which records the
run for the Overview page. Errors are :class:`~core.errors.CIMedicError` sentences.
"""

from __future__ import annotations

from typing import Any

from agents.base import AgentContext, AgentResult
from agents.registry import all_agents, get_agent
from agents.runner import run_agent
from core.errors import ConfigError
from core.github.repo_names import parse_repo
from core.progress import Progress, no_progress
from core.store.sync_state import sync_completed_at
from core.workspace import Workspace

__all__ = ["agent_catalogue", "has_agent", "is_synced", "run_agent_on"]


def agent_catalogue() -> list[tuple[str, str, int]]:
    """(name, title, layer) of every registered agent, in layer order."""
    return [(agent.name, agent.title, agent.layer) for agent in all_agents()]


def has_agent(name: str) -> bool:
    """Whether an agent is registered yet (the Log Ingester arrives after the monitor)."""
    try:
        get_agent(name)
    except KeyError:
        return False
    return True


def run_agent_on(
    workspace: Workspace,
    agent_name: str,
    repo_text: str,
    progress: Progress = no_progress,
    options: dict[str, Any] | None = None,
) -> AgentResult:
    """Validate ``repo_text`` and run one agent on it; raises CIMedicError with a sentence.

    ``options`` reach the agent as ``ctx.options`` (e.g. ``{"full": True}`` for the monitor's
    full re-check). Agents that read GitHub get a source; analysis agents read the store only.
    Raises KeyError when ``agent_name`` is not registered (the page checks :func:`has_agent`).
    """
    if not (repo_text or "").strip():
        raise ConfigError(
            "Enter a repository first: owner/name (e.g. octocat/Hello-World) or its GitHub URL."
        )
    repo = parse_repo(repo_text)
    agent = get_agent(agent_name)
    ctx = AgentContext(
        store=workspace.store,
        settings=workspace.settings,
        repo=repo,
        progress=progress,
        source=workspace.source(progress) if agent.needs_source else None,
        options=dict(options or {}),
    )
    return run_agent(agent, ctx)


def is_synced(workspace: Workspace, repo: str) -> bool:
    """Whether a sync of ``repo`` has completed at least once."""
    repo_id = workspace.store.repo_id(repo) if repo else None
    return repo_id is not None and bool(sync_completed_at(workspace.store, repo_id))
