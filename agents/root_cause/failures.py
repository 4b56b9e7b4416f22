"""The failed jobs of one analysis: each one's inputs read from the store, its finding row
built, in worker processes when there are many.

Each failure is analysed on its own (its log, the last green log of the same job, the failed
step), so a long analysis splits into chunks that run side by side: the first analysis of a
100k-run history (26k failures) took a minute on one core. Failures compared with the same
green log stay in one chunk, in a row, so that log is read and templated once. A worker opens
the store itself (it only reads); the rows come back in the order the failures were given,
so the findings saved do not depend on which chunk finished first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from agents.root_cause.analysis import analyse_log
from core.logs.normalise import KeptLog
from core.store.db import Store
from core.store.logs import load_raw
from core.worker_processes import WorkerProcesses

__all__ = ["PROCESSES_FROM", "analyse_all", "analyse_chunk"]

PROCESSES_FROM = 400
"""An analysis of this many failures or more runs in worker processes (starting one costs
about a second of CPU: the engine's classifier is built in each)."""

WORKERS = 2
"""Worker processes: the CPUs of the machine this was measured on."""

_CHUNK = 250  # failures per piece of work: small enough for progress, large enough to share


def analyse_all(
    store: Store,
    repo_id: int,
    jobs: pd.DataFrame,
    progress: Callable[[float, str], None],
    processes_from: int = PROCESSES_FROM,
) -> list[dict[str, Any]]:
    """One finding row per failed job of ``jobs`` (:func:`core.store.jobs.failed_jobs_with_logs`),
    in the order analysed: grouped by their green log."""
    records = jobs.to_dict("records")
    # failures compared with the same green log in a row: it is read and templated once
    records.sort(key=lambda job: _present(job.get("green_job_id")) or 0)
    if len(records) < processes_from:
        return analyse_chunk(store, repo_id, records, progress)
    rows: list[dict[str, Any]] = []
    with WorkerProcesses(WORKERS) as pool:
        futures: list[Future] = [
            pool.submit(analyse_chunk, store.path, repo_id, chunk) for chunk in _chunks(records)
        ]
        for future in futures:
            rows.extend(future.result())
            progress(len(rows) / len(records), f"Analysed {len(rows)}/{len(records)} failures")
    return rows


def analyse_chunk(
    store: Store | Path,
    repo_id: int,
    records: list[dict[str, Any]],
    progress: Callable[[float, str], None] | None = None,
) -> list[dict[str, Any]]:
    """The finding rows of ``records`` (failed jobs as dicts), read from ``store`` (a worker
    process is given its path and opens it)."""
    store = store if isinstance(store, Store) else Store(store)
    greens = _GreenLogs(store, repo_id)
    rows = []
    for index, record in enumerate(records, start=1):
        job = SimpleNamespace(**record)
        if progress is not None:
            progress(index / len(records), f"Analysing {job.job} ({index}/{len(records)})")
        rows.append(_analyse(store, repo_id, job, greens))
    return rows


def _chunks(records: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Pieces of about :data:`_CHUNK` failures, cut only where the green log changes."""
    start = 0
    while start < len(records):
        end = min(start + _CHUNK, len(records))
        green = _present(records[end - 1].get("green_job_id"))
        while end < len(records) and _present(records[end].get("green_job_id")) == green:
            end += 1
        yield records[start:end]
        start = end


def _analyse(store: Store, repo_id: int, job: Any, greens: _GreenLogs) -> dict[str, Any]:
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
