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

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from agents.base import AgentContext, AgentResult
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
    job_texts,
    jobs_missing_logs,
    junit_from_zip,
    mark_reports_read,
    match_artifact_to_job,
    runs_missing_reports,
    store_job_log,
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
            return AgentResult(
                self.name,
                pd.DataFrame(columns=list(self.finding_columns)),
                summary=f"Nothing to fetch: {ctx.repo} has not been synced yet; "
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
        for index, job in enumerate(todo.itertuples(index=False), start=1):
            ctx.progress(0.6 * index / max(len(todo), 1), f"Log {index}/{len(todo)}: {job.name}")
            try:
                kept = ctx.source.job_log(ctx.repo, int(job.job_id), ctx.settings.max_log_bytes)
            except (BudgetExhausted, RateLimited):
                raise
            except SourceError as exc:
                store_missing_log(ctx.store, repo_id, int(job.job_id), "error", str(exc))
                report.errors += 1
                continue
            self._save_log(ctx, repo_id, job, kept, report)

    @staticmethod
    def _save_log(
        ctx: AgentContext, repo_id: int, job, kept: KeptLog | None, report: IngestReport
    ) -> None:
        if kept is None:
            store_missing_log(ctx.store, repo_id, int(job.job_id), "expired")
            report.expired += 1
            return
        ref = JobRef(int(job.job_id), int(job.run_id), int(job.attempt), job.name, job.conclusion)
        report.tests += store_job_log(ctx.store, ctx.repo, repo_id, ref, kept)
        report.logs += 1

    def _reports(self, ctx: AgentContext, repo_id: int, report: IngestReport) -> None:
        runs = runs_needing_reports(ctx.store, repo_id)
        for index, run in enumerate(runs.itertuples(index=False), start=1):
            ctx.progress(0.6 + 0.4 * index / max(len(runs), 1), f"Test reports {index}/{len(runs)}")
            artifacts, tests, error = self._run_reports(
                ctx, repo_id, int(run.run_id), int(run.attempt)
            )
            report.reports += artifacts
            report.tests += tests
            report.errors += error is not None
            mark_reports_read(
                ctx.store, repo_id, int(run.run_id), int(run.attempt), artifacts, tests, error
            )

    def _run_reports(
        self, ctx: AgentContext, repo_id: int, run_id: int, attempt: int
    ) -> tuple[int, int, str | None]:
        run_jobs = job_texts(ctx.store, repo_id, run_id, attempt)
        jobs = run_jobs[0]
        count = tests = 0
        error = None
        for artifact in ctx.source.run_artifacts(ctx.repo, run_id):
            if artifact.get("expired") or match_artifact_to_job(artifact["name"], jobs) is None:
                continue  # expired, or no job of this run could have written it
            try:
                data = ctx.source.artifact_zip(ctx.repo, int(artifact["id"]), MAX_ARTIFACT_BYTES)
                results = junit_from_zip(data)
            except (BudgetExhausted, RateLimited):
                raise
            except MalformedReport as exc:  # keep what was read before the fault, note the rest
                error = f"{artifact.get('name')}: {exc}"
                results = exc.partial
            except (UnsafeInput, SourceError) as exc:
                error = f"{artifact.get('name')}: {exc}"
                continue
            if (
                store_report(
                    ctx.store, repo_id, run_id, attempt, artifact["name"], results, run_jobs
                )
                is None
            ):
                continue
            count += 1
            tests += len(results)
        return count, tests, error
