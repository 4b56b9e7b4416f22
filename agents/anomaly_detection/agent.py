"""Anomaly Detection as an agent: spikes, level shifts and trends in durations and queue times,
and runs whose measures together are unusual, each with a reason and, for shifts, a cause.

Recomputed over the whole history on every run (the detector is a stream, so a flag never
changes once its run is in the past; new runs only add flags), and stored as the agent's whole
answer: an anomaly that a new sensitivity no longer raises is removed, the rest keep their
message ids, so a re-run with nothing new queues nothing.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from agents.anomaly_detection.events import one_per_event
from agents.anomaly_detection.multivariate import multivariate_outliers
from agents.anomaly_detection.watch import (
    ANOMALY_COLUMNS,
    Watched,
    anomalies_of_all,
    shared_waits,
    watched_series,
)
from agents.base import AgentContext, AgentResult, nothing_yet, with_columns
from core.store.anomalies import (
    commits_touched,
    job_series,
    run_series,
    step_names,
    step_series,
)
from core.store.features import run_measures
from core.store.findings import load_findings, save_findings

__all__ = ["AnomalyDetection", "ANOMALY_COLUMNS"]


class AnomalyDetection:
    """Agent: anomalies of run, job, step and runner-queue series (``anomalies.csv``)."""

    name = "anomaly_detection"
    layer = 2
    title = "Anomaly Detection"
    needs_source = False
    csv_name = "anomalies.csv"
    finding_columns = ANOMALY_COLUMNS

    def run(self, ctx: AgentContext) -> AgentResult:
        repo_id = ctx.store.repo_id(ctx.repo)
        if repo_id is None:
            message = f"No runs of {ctx.repo} are stored yet: sync or import first."
            return nothing_yet(self, message, anomalies=0, series=0)
        sensitivity = float(ctx.options.get("sensitivity", 1.0))
        rows, series = _series_anomalies(ctx, repo_id, sensitivity)
        ctx.progress(0.85, "Looking for runs whose measures together are unusual…")
        rows += _multivariate(ctx, repo_id, {(r["run_id"], r["run_attempt"]) for r in rows})
        found = pd.DataFrame(rows, columns=list(ANOMALY_COLUMNS))
        shared = shared_waits(found)
        found["cause"] = found["cause"].where(shared.eq(""), shared)
        found = one_per_event(found)
        before = load_findings(ctx.store, ctx.repo, self.name)
        known = set(before["key"]) if "key" in before else set()
        saved = save_findings(
            ctx.store, ctx.repo, self.name, "anomaly", found, key="key", subject="subject",
            summary="reason", kind="kind", replace_all=True,
        )  # fmt: skip
        # one message per row, in order: only anomalies not reported before are news
        messages = [m for m, key in zip(saved, found["key"], strict=True) if key not in known]
        findings = with_columns(load_findings(ctx.store, ctx.repo, self.name), ANOMALY_COLUMNS)
        counts = found["kind"].value_counts().to_dict() if len(found) else {}
        summary = (
            f"{len(found)} anomalies in {series} series of {ctx.repo}: "
            + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
            + "."
            if len(found)
            else f"No anomaly in {series} series of {ctx.repo}."
        )
        metrics = {"anomalies": len(found), "series": series, "sensitivity": sensitivity}
        return AgentResult(self.name, findings, metrics, summary, messages)


def _series_anomalies(
    ctx: AgentContext, repo_id: int, sensitivity: float
) -> tuple[list[dict[str, object]], int]:
    """The anomalies of every watched series, and how many series were watched. The series'
    frames live only here: the multivariate pass reads frames of its own."""
    ctx.progress(0.05, "Reading durations and queue times…")
    runs, jobs = run_series(ctx.store, repo_id), job_series(ctx.store, repo_id)
    steps, commits = step_series(ctx.store, repo_id), commits_touched(ctx.store, repo_id)
    series = list(watched_series(runs, jobs, steps))

    def watching(index: int, watched: Watched) -> None:
        ctx.progress(0.1 + 0.7 * index / max(1, len(series)), f"Watching {watched.what}…")

    names_of = partial(step_names, ctx.store, repo_id)
    rows = anomalies_of_all(series, commits, sensitivity, names_of, watching)
    return rows, len(series)


def _multivariate(
    ctx: AgentContext, repo_id: int, already: set[tuple[int, int]]
) -> list[dict[str, object]]:
    """Runs both outlier models flag, per workflow, except those a series already flagged."""
    runs, jobs, steps = run_measures(ctx.store, repo_id)
    runs = runs[runs["conclusion"] == "success"]
    if runs.empty:
        return []
    measures = runs[["run_id", "attempt", "workflow_name", "created_at", "duration_s"]]
    for part in (jobs, steps):
        if len(part):
            measures = measures.merge(part, on=["run_id", "attempt"], how="left")
    out = []
    for workflow, group in measures.groupby("workflow_name", sort=True):
        group = group.sort_values("created_at").reset_index(drop=True)
        for outlier in multivariate_outliers(group):
            row = group.iloc[outlier.position]
            run_id, attempt = int(row["run_id"]), int(row["attempt"])
            if (run_id, attempt) in already:
                continue
            name, value, low, high = outlier.measures[0]
            unusual = "; ".join(
                f"{n} {v:,.0f} (usual {lo:,.0f}–{hi:,.0f})" for n, v, lo, hi in outlier.measures
            )
            out.append(
                {
                    "run_id": run_id,
                    "run_attempt": attempt,
                    "job_name": "",
                    "step_name": "",
                    "metric": name,
                    "value": value,
                    "expected_low": low,
                    "expected_high": high,
                    "score": round(outlier.score, 3),
                    "severity": "low",
                    "kind": "multivariate",
                    "reason": f"Workflow {workflow} run: an unusual combination: {unusual}.",
                    "cause": "",
                    "scope": "workflow",
                    "workflow": str(workflow),
                    "runner": "",
                    "created_at": str(row["created_at"]),
                    "run_number": None,
                    "subject": f"run:{run_id}:{attempt}",
                    "key": f"multivariate|{workflow}|{run_id}|{attempt}",
                }
            )
    return out
