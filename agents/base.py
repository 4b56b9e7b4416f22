"""The one shape every agent has: ``run(ctx) -> AgentResult``.

Pure work (scoring, classifying, fitting) lives in plain functions beside each agent so it can be
tested without a store; the agent class only reads its inputs from ``ctx.store``, calls those
functions and returns an :class:`AgentResult`. The runner (:mod:`agents.runner`) runs agents and
records their status; the CLI's ``analyze``, the pages and the contract test read the attributes
the :class:`Agent` protocol names, and nothing else (no ``getattr`` with a default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd

from core.config import Settings
from core.messages.envelope import Message
from core.progress import Progress, no_progress

if TYPE_CHECKING:
    from core.store.db import Store

__all__ = [
    "Agent",
    "AgentContext",
    "AgentResult",
    "Progress",
    "no_progress",
    "with_columns",
]


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
    """What one run found and said.

    ``findings`` has one row per finding, with at least the agent's documented
    ``finding_columns``; ``metrics`` are summary numbers; ``summary`` is one sentence a user can
    read (also when there was nothing to do); ``messages`` are the queue messages this run wrote
    to the store's outbox, in the same transaction as the data they describe (the worker
    publishes them later; an unchanged fact keeps its message id, so a re-run queues nothing new).

    Collection agents are the exception to ``messages``: they write each run's messages with
    that run as they go (a sync killed half-way must keep what it saved, and a 40k-run history
    holds hundreds of thousands of messages), so their result counts them in
    ``metrics["messages"]`` and leaves the list empty; the outbox has them.
    """

    agent: str
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    metrics: dict[str, float | int | str] = field(default_factory=dict)
    summary: str = ""
    messages: list[Message] = field(default_factory=list)


@runtime_checkable
class Agent(Protocol):
    """Every attribute a runner, a page or the CLI reads from an agent.

    ``name`` is the registry key, the page section's module name (``pages/sections/<name>.py``)
    and the findings' agent column; ``layer`` is 1 (collection), 2 (intelligence) or 3
    (healing); ``title`` is what users read; ``needs_source`` says the agent talks to GitHub
    (``ctx.source``) and so is skipped by the offline ``analyze``; ``csv_name`` is the file
    ``analyze`` writes its findings to; ``finding_columns`` are the columns its findings
    always have (the contract test checks them, also when there are no findings).
    """

    name: str
    layer: int
    title: str
    needs_source: bool
    csv_name: str
    finding_columns: tuple[str, ...]

    def run(self, ctx: AgentContext) -> AgentResult: ...


def with_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with every one of ``columns`` present (empty where missing), those first.

    An agent with nothing to report still returns its documented columns, so a CSV written by
    ``analyze`` or a table drawn by a page has the same header whether or not anything was found.
    """
    extra = [column for column in frame.columns if column not in columns]
    return frame.reindex(columns=[*columns, *extra])


def nothing_yet(agent: Agent, summary: str, **metrics: int) -> AgentResult:
    """What an agent returns when the store holds nothing for it to work on yet: its documented
    columns with no rows, zero ``metrics`` and ``summary``, the sentence saying what to run
    first (a sentence, not an error: the page shows it as it is)."""
    empty = with_columns(pd.DataFrame(), agent.finding_columns)
    return AgentResult(agent.name, empty, dict(metrics), summary)
