"""Run an agent the same way everywhere (CLI, pages, worker): timed, with its status recorded.

The Overview page reads ``agent_runs`` to show each agent's last run, duration, findings and
error, so every run, failed or not, leaves one line there.
"""

from __future__ import annotations

import time
from pathlib import Path

from agents.base import Agent, AgentContext, AgentResult
from core.errors import CIMedicError
from core.messages.redact import remember_secrets, secret_values
from core.presentation.exports import write_csv

__all__ = ["run_agent", "write_findings_csv"]


def run_agent(agent: Agent, ctx: AgentContext) -> AgentResult:
    """Run ``agent``; record success or the error sentence; re-raise errors after recording."""
    remember_secrets(*secret_values(ctx.settings))  # e.g. a token only st.secrets holds
    started = time.time()
    repo_id = ctx.store.repo_id(ctx.repo) if ctx.repo else None
    try:
        result = agent.run(ctx)
    except CIMedicError as exc:
        ctx.store.record_agent_run(repo_id, agent.name, started, "error", error=str(exc))
        raise
    except Exception as exc:  # an agent bug: record it, then let it surface
        ctx.store.record_agent_run(
            repo_id, agent.name, started, "error", error=f"{type(exc).__name__}: {exc}"
        )
        raise
    ctx.store.record_agent_run(
        repo_id or ctx.store.repo_id(ctx.repo),
        agent.name,
        started,
        "ok",
        findings=len(result.findings),
        summary=result.summary,
    )
    return result


def write_findings_csv(result: AgentResult, out_dir: Path, file_name: str) -> Path:
    """``out_dir/file_name``: the findings as CSV, text cells that a spreadsheet would run as a
    formula defused (``core.presentation.exports.write_csv``); everything else as written by
    ``DataFrame.to_csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_csv(result.findings, out_dir / file_name)
