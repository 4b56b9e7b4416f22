"""Log Ingester (Layer 1): job logs and test reports into the store.

What it fetches, incrementally (nothing already stored is asked for again):
- the log of every failed, timed-out or cancelled job (of every job with
  ``download_all_logs``), plus the log of the last successful run of the same job before each
  failure: root-cause analysis compares a failure with its last green log;
- unless ``ctx.options["reports"]`` is false (the demo's first start fetches logs first, so
  root causes come early), the test-report artifacts (JUnit XML, in zips checked against bombs
  and path traversal) of every completed run in the last ``REPORT_DAYS`` days, mapped to the
  job that wrote them.
Per-test outcomes come from the JUnit reports and from the console output of pytest, jest,
maven-surefire and ``go test``. Each saved log also queues a ``job_log`` message.
A job whose log fails to download is recorded with its error and the rest carry on; running
out of budget or rate limit stops the agent with everything fetched so far kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd

from agents.base import AgentContext, AgentResult, nothing_yet
from core.errors import (
    BudgetExhausted,
    MalformedReport,
    RateLimited,
    SourceError,
    UnsafeInput,
)
from core.logs.normalise import KeptLog
from core.store.db import Store
from core.store.ingest import (
    JobRef,
    PreparedLog,
    job_texts,
    jobs_missing_logs,
    junit_from_zip,
    mark_reports_read,
    match_artifact_to_job,
    prepare_job_log,
    runs_missing_reports,
    save_job_logs,
    store_missing_log,
    store_report,
)
from core.store.runs import newest_run_created_at

__all__ = ["LogIngester", "IngestReport", "runs_needing_reports"]

REPORT_DAYS = 30
MAX_ARTIFACT_BYTES = 64 * 1024 * 1024


@dataclass
class IngestReport:
    logs: int = 0
    expired: int = 0
    errors: int = 0
    reports: int = 0
    tests: int = 0

    def sentence(self) -> str:
        return (
            f"Stored {self.logs} logs ({self.expired} expired, {self.errors} failed) and "
            f"{self.tests} test results from {self.reports} reports."
        )


def runs_needing_reports(store: Store, repo_id: int, days: int = REPORT_DAYS) -> pd.DataFrame:
    """Completed latest attempts of the last ``days`` days whose artifacts were not read yet."""
    since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = newest_run_created_at(store, repo_id)
    if newest and newest < since:  # an imported or old history: measure from its newest run
        since = (
            datetime.fromisoformat(newest.replace("Z", "+00:00")) - timedelta(days=days)
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
    return runs_missing_reports(store, repo_id, since)


class LogIngester:
    """Agent: fetch missing logs and test reports of ``ctx.repo`` through ``ctx.source``."""

    name = "log_ingester"
    layer = 1
    title = "Log Ingester"
    needs_source = True
    csv_name = "ingested.csv"
    finding_columns = ("logs", "expired", "errors", "reports", "tests")

    def run(self, ctx: AgentContext) -> AgentResult:
        if ctx.source is None:
            raise SourceError("The Log Ingester needs a GitHub source (base URL + token).")
        repo_id = ctx.store.repo_id(ctx.repo)
        if repo_id is None:  # nothing to fetch logs for: a sentence, not an error
            return nothing_yet(
                self,
                f"Nothing to fetch: {ctx.repo} has not been synced yet; "
                "run the Pipeline Monitor (Sync now) first.",
            )
        report = IngestReport()
        ctx.source.new_budget()
        try:
            self._logs(ctx, repo_id, report)
            if ctx.options.get("reports", True):
                self._reports(ctx, repo_id, report)
        except RateLimited as exc:
            raise RateLimited(f"{report.sentence()} Then: {exc}", exc.reset_at) from None
        except BudgetExhausted as exc:
            raise BudgetExhausted(f"{report.sentence()} Then: {exc}") from None
        metrics = {k: v for k, v in vars(report).items()}
        return AgentResult(self.name, pd.DataFrame([metrics]), metrics, report.sentence())

    def _logs(self, ctx: AgentContext, repo_id: int, report: IngestReport) -> None:
        todo = jobs_missing_logs(ctx.store, repo_id, ctx.settings.download_all_logs)
        batch = _LogBatch(ctx, repo_id, report)
        try:
            for index, job in enumerate(todo.itertuples(index=False), start=1):
                ctx.progress(
                    0.6 * index / max(len(todo), 1), f"Log {index}/{len(todo)}: {job.name}"
                )
                try:
                    kept = ctx.source.job_log(ctx.repo, int(job.job_id), ctx.settings.max_log_bytes)
                except (BudgetExhausted, RateLimited):
                    raise
                except SourceError as exc:
                    batch.missing(int(job.job_id), "error", str(exc))
                    report.errors += 1
                    continue
                batch.add(job, kept)
        finally:  # what was fetched is kept, also when the budget or the rate limit ran out
            batch.flush()

    def _reports(self, ctx: AgentContext, repo_id: int, report: IngestReport) -> None:
        runs = runs_needing_reports(ctx.store, repo_id)
        fetched: list[_RunReports] = []
        try:
            for index, run in enumerate(runs.itertuples(index=False), start=1):
                ctx.progress(
                    0.6 + 0.4 * index / max(len(runs), 1), f"Test reports {index}/{len(runs)}"
                )
                fetched.append(self._run_reports(ctx, repo_id, int(run.run_id), int(run.attempt)))
                if len(fetched) >= BATCH_RUNS:
                    _save_reports(ctx.store, repo_id, fetched, report)
                    fetched = []
        finally:
            _save_reports(ctx.store, repo_id, fetched, report)

    def _run_reports(
        self, ctx: AgentContext, repo_id: int, run_id: int, attempt: int
    ) -> _RunReports:
        """Download and read one run's report artifacts (nothing is stored here)."""
        fetched = _RunReports(run_id, attempt, job_texts(ctx.store, repo_id, run_id, attempt))
        jobs = fetched.run_jobs[0]
        for artifact in ctx.source.run_artifacts(ctx.repo, run_id):
            if artifact.get("expired") or match_artifact_to_job(artifact["name"], jobs) is None:
                continue  # expired, or no job of this run could have written it
            try:
                data = ctx.source.artifact_zip(ctx.repo, int(artifact["id"]), MAX_ARTIFACT_BYTES)
                results = junit_from_zip(data)
            except (BudgetExhausted, RateLimited):
                raise
            except MalformedReport as exc:  # keep what was read before the fault, note the rest
                fetched.error = f"{artifact.get('name')}: {exc}"
                results = exc.partial
            except (UnsafeInput, SourceError) as exc:
                fetched.error = f"{artifact.get('name')}: {exc}"
                continue
            fetched.artifacts.append((artifact["name"], results))
        return fetched


BATCH_LOGS = 200  # logs saved per transaction
BATCH_LOG_BYTES = 32 * 1024 * 1024  # ... or fewer, when their kept bytes reach this
BATCH_RUNS = 200  # runs whose test reports are saved per transaction


@dataclass
class _RunReports:
    """One run's report artifacts as downloaded and read, waiting to be stored."""

    run_id: int
    attempt: int
    run_jobs: tuple[dict[int, str], frozenset[int]]
    artifacts: list[tuple[str, list]] = field(default_factory=list)
    error: str | None = None


def _save_reports(
    store: Store, repo_id: int, runs: list[_RunReports], report: IngestReport
) -> None:
    """Store the reports of several runs and mark each run read, in one transaction: a run is
    marked read together with its results or not at all."""
    if not runs:
        return
    with store.transaction():
        for run in runs:
            count = tests = 0
            for name, results in run.artifacts:
                saved = store_report(
                    store, repo_id, run.run_id, run.attempt, name, results, run.run_jobs
                )
                if saved is not None:
                    count += 1
                    tests += len(results)
            mark_reports_read(store, repo_id, run.run_id, run.attempt, count, tests, run.error)
            report.reports += count
            report.tests += tests
            report.errors += run.error is not None


class _LogBatch:
    """Fetched logs (and download failures) waiting to be stored in one transaction: up to
    :data:`BATCH_LOGS` logs or :data:`BATCH_LOG_BYTES` of kept bytes. A crash loses at most
    one batch of downloads (asked for again next time), never a half-written log."""

    def __init__(self, ctx: AgentContext, repo_id: int, report: IngestReport) -> None:
        self.ctx, self.repo_id, self.report = ctx, repo_id, report
        self.logs: list[PreparedLog] = []
        self.missing_logs: list[tuple[int, str, str | None]] = []
        self.bytes = 0

    def add(self, job, kept: KeptLog | None) -> None:
        if kept is None:
            self.missing(int(job.job_id), "expired")
            self.report.expired += 1
            return
        ref = JobRef(int(job.job_id), int(job.run_id), int(job.attempt), job.name, job.conclusion)
        self.logs.append(prepare_job_log(self.ctx.repo, ref, kept))
        self.bytes += len(kept.head) + len(kept.tail)
        if len(self.logs) >= BATCH_LOGS or self.bytes >= BATCH_LOG_BYTES:
            self.flush()

    def missing(self, job_id: int, state: str, error: str | None = None) -> None:
        self.missing_logs.append((job_id, state, error))
        if len(self.missing_logs) >= BATCH_LOGS:
            self.flush()

    def flush(self) -> None:
        if not self.logs and not self.missing_logs:
            return
        store = self.ctx.store
        with store.transaction():
            for job_id, state, error in self.missing_logs:
                store_missing_log(store, self.repo_id, job_id, state, error)
            self.report.tests += save_job_logs(store, self.repo_id, self.logs)
        self.report.logs += len(self.logs)
        self.logs, self.missing_logs, self.bytes = [], [], 0
