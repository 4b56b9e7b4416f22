"""Root Cause Analysis as an agent: every failed job with a stored log, analysed once.

The pure engine is :mod:`agents.root_cause.analysis`; this module only gathers its inputs from the
store
(the failed job's log, the last green log of the same job, the failed step) and stores one
finding per failed job, with a ``root_cause`` message, so ``analyze`` writes root_causes.csv.
"""

from __future__ import annotations

import pandas as pd

from agents.base import AgentContext, AgentResult, with_columns
from agents.root_cause.analysis import analyse_log
from core.logs.normalise import KeptLog
from core.store.db import Store
from core.store.findings import load_findings, save_findings
from core.store.jobs import failed_jobs_with_logs
from core.store.logs import load_raw

__all__ = ["FINDING_COLUMNS", "RootCauseAgent"]

# One row per analysed failed job, in this order (also ``root_causes.csv``'s header).
FINDING_COLUMNS = (
    "subject", "job_id", "run_id", "attempt", "job", "workflow", "branch", "prs", "created_at",
    "conclusion", "failed_step", "category", "confidence", "transient", "lines", "summary",
    "suggestion", "fingerprint", "evidence", "html_url", "compared_with_green",
)  # fmt: skip


def _text(kept: KeptLog | None) -> str | None:
    """The kept log as text, numbered like the original (the dropped middle as empty lines)."""
    if kept is None:
        return None
    if not kept.truncated:
        return kept.head.decode("utf-8", "replace")
    gap = kept.tail_first_line - 1 - kept.head.count(b"\n")
    return (kept.head + b"\n" * max(gap, 0) + kept.tail).decode("utf-8", "replace")


def _present(value: object) -> object | None:
    """None for SQL NULLs that pandas turned into NaN."""
    return None if value is None or (isinstance(value, float) and value != value) else value


class _GreenLogs:
    """The last green log read (one entry: failures sharing a green log are analysed in a row)."""

    def __init__(self, store: Store, repo_id: int) -> None:
        self.store, self.repo_id, self.job_id, self.log = store, repo_id, None, None

    def text(self, job_id: int | None) -> str | None:
        if job_id is None:
            return None
        if job_id != self.job_id:
            self.job_id, self.log = job_id, _text(load_raw(self.store, self.repo_id, int(job_id)))
        return self.log


class RootCauseAgent:
    """Agent: the failing lines, error class, suggestion and fingerprint of each failed job."""

    name = "root_cause"
    layer = 2
    title = "Root Cause Analysis"
    needs_source = False
    csv_name = "root_causes.csv"
    finding_columns = FINDING_COLUMNS

    def run(self, ctx: AgentContext) -> AgentResult:
        repo_id = ctx.store.repo_id(ctx.repo)
        # the failures with a log and no finding yet: what is new since the last analysis
        jobs = failed_jobs_with_logs(ctx.store, repo_id, self.name) if repo_id else pd.DataFrame()
        rows = []
        todo = list(jobs.itertuples(index=False))
        # failures compared with the same green log in a row: it is read and templated once
        todo.sort(key=lambda job: _present(job.green_job_id) or 0)
        greens = _GreenLogs(ctx.store, repo_id or 0)
        for index, job in enumerate(todo, start=1):
            ctx.progress(index / len(todo), f"Analysing {job.job} ({index}/{len(todo)})")
            rows.append(self._analyse(ctx.store, repo_id or 0, job, greens))
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

    @staticmethod
    def _analyse(store: Store, repo_id: int, job, greens: _GreenLogs) -> dict:
        text = _text(load_raw(store, repo_id, int(job.job_id))) or ""
        green = greens.text(_present(job.green_job_id))
        step = _present(job.failed_step)
        # logs from the store were redacted when saved
        cause = analyse_log(text, previous_green=green, failed_step=step, redacted=True)
        return {
            "subject": f"job:{int(job.job_id)}",
            "job_id": int(job.job_id),
            "run_id": int(job.run_id),
            "attempt": int(job.attempt),
            "job": job.job,
            "workflow": job.workflow,
            "branch": job.branch,
            "prs": job.prs,
            "created_at": job.created_at,
            "conclusion": job.conclusion,
            "failed_step": step,
            "category": cause.category,
            "confidence": round(float(cause.confidence), 3),
            "transient": bool(cause.transient),
            "lines": ";".join(f"{a}-{b}" for a, b in cause.lines),
            "summary": cause.summary,
            "suggestion": cause.suggestion,
            "fingerprint": cause.fingerprint,
            "evidence": list(cause.evidence)[:5],
            "html_url": job.html_url,
            "compared_with_green": green is not None,
        }
