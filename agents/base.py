"""The one shape every agent has: ``run(ctx) -> AgentResult``.

Pure work (scoring, classifying, fitting) lives in plain functions beside each agent so it can be
tested without a store; the agent class only reads its inputs from ``ctx.store``, calls those
functions and returns an :class:`AgentResult`. The registry runs agents and records their status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd

from core.config import Settings
from core.progress import Progress, no_progress

if TYPE_CHECKING:
    from core.store.db import Store

__all__ = ["Agent", "AgentContext", "AgentResult", "Progress", "no_progress"]


@dataclass
class AgentContext:
    """What an agent may use: the store, the settings, the repository and a progress callback."""

    store: Store
    settings: Settings
    repo: str
    progress: Progress = no_progress
    source: Any = None  # a GitHubSource for the collection agents; None for offline agents
    options: dict[str, Any] = field(default_factory=dict)  # what the user asked for this run


@dataclass
class AgentResult:
    """Findings as a DataFrame (one row per finding), summary metrics and a one-line summary."""

    agent: str
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics: dict[str, float | int | str] = field(default_factory=dict)
    summary: str = ""


@runtime_checkable
class Agent(Protocol):
    name: str
    layer: int
    title: str

    def run(self, ctx: AgentContext) -> AgentResult: ...
