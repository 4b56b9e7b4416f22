"""Root Cause Analysis as an agent: every failed job with a stored log, analysed once.

The pure engine is :mod:`agents.root_cause.analysis`; this module only gathers its inputs from the
store
(the failed job's log, the last green log of the same job, the failed step) and stores one
finding per failed job, with a ``root_cause`` message, so ``analyze`` writes root_causes.csv.
"""

from __future__ import annotations

import pandas as pd

from agents.base import AgentContext, AgentResult, with_columns
from agents.root_cause.failures import PROCESSES_FROM, analyse_all
from core.store.findings import load_findings, save_findings
from core.store.jobs import failed_jobs_with_logs

__all__ = ["FINDING_COLUMNS", "RootCauseAgent"]

# One row per analysed failed job, in this order (also ``root_causes.csv``'s header).
FINDING_COLUMNS = (
    "subject", "job_id", "run_id", "attempt", "job", "workflow", "branch", "prs", "created_at",
    "conclusion", "failed_step", "category", "confidence", "transient", "lines", "summary",
    "suggestion", "fingerprint", "evidence", "html_url", "compared_with_green",
)  # fmt: skip


class RootCauseAgent:
    """Agent: the failing lines, error class, suggestion and fingerprint of each failed job."""

    name = "root_cause"
    layer = 2
    title = "Root Cause Analysis"
    needs_source = False
    csv_name = "root_causes.csv"
    finding_columns = FINDING_COLUMNS
    processes_from = PROCESSES_FROM  # this many failures are analysed in worker processes

    def run(self, ctx: AgentContext) -> AgentResult:
        repo_id = ctx.store.repo_id(ctx.repo)
        # the failures with a log and no finding yet: what is new since the last analysis
        jobs = failed_jobs_with_logs(ctx.store, repo_id, self.name) if repo_id else pd.DataFrame()
        rows = analyse_all(ctx.store, repo_id or 0, jobs, ctx.progress, self.processes_from)
        new = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
        messages = (
            save_findings(
                ctx.store, ctx.repo, self.name, "root_cause", new, key="job_id", subject="subject"
            )
            if len(new)
            else []
        )
        findings = with_columns(load_findings(ctx.store, ctx.repo, self.name), FINDING_COLUMNS)
        counts = findings["category"].value_counts().to_dict() if len(findings) else {}
        summary = (
            f"{len(findings)} failed jobs explained ({len(new)} new); most common: "
            + ", ".join(f"{k} {v}" for k, v in list(counts.items())[:3])
            if len(findings)
            else "No failed job with a stored log yet: fetch logs first."
        )
        metrics = {"analysed": len(new), "total": len(findings)}
        return AgentResult(self.name, findings, metrics, summary, messages)
