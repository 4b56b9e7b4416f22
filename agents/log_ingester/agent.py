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

API calls (each log's and artifact's 302, the pages of the repository's artifact list:
:mod:`agents.log_ingester.artifact_lists`) are made one at a time, as GitHub asks; the
downloads from the pre-signed URLs they answer with, and the reading of what comes back, run
a few at a time (:mod:`agents.log_ingester.in_order`; in worker processes for a long fetch:
:mod:`agents.log_ingester.readers`) and are stored in the order asked, so what a fetch stores
does not depend on which download finished first.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pandas as pd

from agents.base import AgentContext, AgentResult, nothing_yet
from agents.log_ingester.artifact_lists import RunArtifacts
from agents.log_ingester.in_order import InOrder
from agents.log_ingester.readers import PROCESSES_FROM, READERS, read_log, read_report, reader_pool
from core.errors import (
    BudgetExhausted,
    MalformedReport,
    RateLimited,
    SourceError,
    UnsafeInput,
)
from core.messages.redact import known_secrets
from core.store.db import Store
from core.store.ingest import (
    JobRef,
    PreparedLog,
    ReadyResults,
    ResultPreparer,
    job_texts,
    jobs_missing_logs,
    mark_reports_read,
    match_artifact_to_job,
    report_batch,
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
    processes_from = PROCESSES_FROM  # a fetch this long reads in worker processes (readers)

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
        """The API calls (each log's 302) one at a time, the downloads from the pre-signed URLs
        and their preparation on :class:`InOrder`'s threads; stored in the order asked."""
        todo = jobs_missing_logs(ctx.store, repo_id, ctx.settings.download_all_logs)
        batch = _LogBatch(ctx, repo_id, report)
        pool = reader_pool(len(todo), self.processes_from)
        secrets = known_secrets()
        with InOrder[_LogJob, PreparedLog | None](READERS, pool=pool) as downloads:
            try:
                for index, job in enumerate(todo.itertuples(index=False), start=1):
                    ctx.progress(
                        0.6 * index / max(len(todo), 1), f"Log {index}/{len(todo)}: {job.name}"
                    )
                    downloads.add(*self._log_job(ctx, job, secrets))
                    for item, work in downloads.finished():
                        batch.add(item, work)
            finally:  # what was fetched is kept, also when the budget or the rate limit ran out
                for item, work in downloads.drain():
                    batch.add(item, work)
                batch.flush()

    def _log_job(
        self, ctx: AgentContext, job: Any, secrets: tuple[str, ...]
    ) -> tuple[_LogJob, list]:
        """One job's 302 (an API call, made here), and its download as work for a reader."""
        ref = JobRef(int(job.job_id), int(job.run_id), int(job.attempt), job.name, job.conclusion)
        try:
            url = ctx.source.job_log_url(ctx.repo, ref.job_id)
        except (BudgetExhausted, RateLimited):
            raise
        except SourceError as exc:
            return _LogJob(ref, str(exc)), []
        if url is None:  # expired
            return _LogJob(ref), []
        ctx.source.count_download()
        max_bytes = ctx.settings.max_log_bytes
        downloader = ctx.source.downloader
        return _LogJob(ref), [partial(read_log, downloader, url, max_bytes, secrets, ctx.repo, ref)]

    def _reports(self, ctx: AgentContext, repo_id: int, report: IngestReport) -> None:
        """Like :meth:`_logs`: the artifact lists and 302s one at a time, the downloads and the
        JUnit reading on threads, the runs stored in order, a transaction per
        :data:`BATCH_RESULTS` test results (or :data:`BATCH_RUNS` runs)."""
        runs = runs_needing_reports(ctx.store, repo_id)
        listed = RunArtifacts(ctx.source, ctx.repo, {int(run_id) for run_id in runs.run_id})
        secrets = known_secrets()
        prepare = ResultPreparer(secrets)  # what a malformed report kept
        fetched: list[_RunReports] = []
        pending = 0  # test results in ``fetched``

        def done(run: _RunReports, work: list) -> None:
            nonlocal fetched, pending
            run.read(work, prepare)
            fetched.append(run)
            pending += run.tests
            if pending >= BATCH_RESULTS or len(fetched) >= BATCH_RUNS:
                _save_reports(ctx.store, repo_id, fetched, report)
                fetched, pending = [], 0

        pool = reader_pool(len(runs), self.processes_from)
        with InOrder[_RunReports, ReadyResults](READERS, pool=pool) as downloads:
            try:
                for index, run in enumerate(runs.itertuples(index=False), start=1):
                    ctx.progress(
                        0.6 + 0.4 * index / max(len(runs), 1), f"Test reports {index}/{len(runs)}"
                    )
                    artifacts = listed.of(int(run.run_id), str(run.created_at))
                    downloads.add(
                        *self._run_reports(
                            ctx, repo_id, int(run.run_id), int(run.attempt), artifacts, secrets
                        )
                    )
                    for item, work in downloads.finished():
                        done(item, work)
            finally:  # runs whose API calls were all made are read to the end and kept
                for item, work in downloads.drain():
                    done(item, work)
                _save_reports(ctx.store, repo_id, fetched, report)

    def _run_reports(
        self,
        ctx: AgentContext,
        repo_id: int,
        run_id: int,
        attempt: int,
        artifacts: list[dict[str, Any]],
        secrets: tuple[str, ...],
    ) -> tuple[_RunReports, list]:
        """One run's 302s (API calls, made here) for its listed ``artifacts``, and the
        downloads and JUnit reading as work for the readers (nothing is stored here)."""
        if not artifacts:  # a run with no artifact (a quarter of the demo's): no job is read
            return _RunReports(run_id, attempt, ({}, frozenset())), []
        fetched = _RunReports(run_id, attempt, job_texts(ctx.store, repo_id, run_id, attempt))
        jobs = fetched.run_jobs[0]
        work = []
        for artifact in artifacts:
            if artifact.get("expired") or match_artifact_to_job(artifact["name"], jobs) is None:
                continue  # expired, or no job of this run could have written it
            name = artifact["name"]
            try:
                url = ctx.source.artifact_url(ctx.repo, int(artifact["id"]))
            except (BudgetExhausted, RateLimited):
                raise
            except SourceError as exc:
                fetched.artifacts.append((name, f"{name}: {exc}"))
                continue
            if url is None:  # expired since it was listed: read as an empty report
                fetched.artifacts.append((name, []))
                continue
            fetched.artifacts.append((name, len(work)))
            ctx.source.count_download()
            downloader = ctx.source.downloader
            work.append(partial(read_report, downloader, url, MAX_ARTIFACT_BYTES, secrets))
        return fetched, work


@dataclass
class _LogJob:
    """A job whose log was asked for, and the API call's error if that failed."""

    job: JobRef
    error: str | None = None


# Logs saved per transaction: each transaction also rewrites the by-test index pages of the
# console test results it adds and the outbox's message-id pages (ids in no order); 1000 instead
# of 200 wrote 2.3x the store's growth instead of 2.5x at 5x, for ~35 MB more held.
BATCH_LOGS = 1000
BATCH_LOG_BYTES = 32 * 1024 * 1024  # ... or fewer, when their kept bytes reach this
# The test reports of fetched runs are saved in one transaction once they hold this many test
# results (or this many runs). Each transaction rewrites, whole, every page of the by-test index
# it inserts into: about three per test of the repository (the test's slot and the siblings a
# split rebalances), however few results it brings. Batches of 200 runs (~110k results in the
# demo) wrote that index 3.4 times over at 5x; the rows wait compactly (:class:`ReadyResults`,
# ~110 bytes each, ~55 MB for a full batch) and the write lock is held for about 2 s.
BATCH_RESULTS = 500_000
BATCH_RUNS = 1000


@dataclass
class _RunReports:
    """One run's report artifacts as downloaded and read, waiting to be stored.

    ``artifacts`` holds (name, results) in the order GitHub listed them. Until :meth:`read`,
    an artifact's place holds the number of its download (``work[i]``), the error of its
    302 (a str), or its results already (an empty list: it expired after being listed);
    after it, the results made ready to store (:class:`ReadyResults`)."""

    run_id: int
    attempt: int
    run_jobs: tuple[dict[int, str], frozenset[int]]
    artifacts: list[tuple[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def tests(self) -> int:
        """How many test results the run's read artifacts hold."""
        return sum(len(results) for _name, results in self.artifacts)

    def read(self, work: list[Future], prepare: ResultPreparer) -> None:
        """Put each finished download's results in its place (the readers made them ready
        to store; ``prepare`` does so for what a malformed report kept). A failed artifact is
        noted as the run's error (the last one listed wins) and left out, except a malformed
        report, which keeps what was read before the fault."""
        kept: list[tuple[str, ReadyResults]] = []
        for name, state in self.artifacts:
            if isinstance(state, str):  # its 302 failed
                self.error = state
                continue
            results = InOrder.outcome(work[state]) if isinstance(state, int) else state
            if isinstance(results, MalformedReport):
                self.error = f"{name}: {results}"
                results = results.partial
            elif isinstance(results, UnsafeInput | SourceError):
                self.error = f"{name}: {results}"
                continue
            elif isinstance(results, BaseException):  # a bug, not a fault of the artifact
                raise results
            kept.append((name, results if isinstance(results, ReadyResults) else prepare(results)))
        self.artifacts = kept


def _save_reports(
    store: Store, repo_id: int, runs: list[_RunReports], report: IngestReport
) -> None:
    """Store the reports of several runs and mark each run read, in one transaction: a run is
    marked read together with its results or not at all."""
    if not runs:
        return
    with report_batch(store, repo_id) as ids:
        for run in runs:
            count = tests = 0
            for name, results in run.artifacts:
                saved = store_report(
                    store, repo_id, run.run_id, run.attempt, name, results, run.run_jobs, ids
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

    def add(self, item: _LogJob, work: list[Future]) -> None:
        """One job's log as its download (if one was started) ended: stored, or noted as
        expired or failed."""
        job_id = item.job.job_id
        outcome = InOrder.outcome(work[0]) if work else None
        if item.error is not None or isinstance(outcome, SourceError):
            self.missing(job_id, "error", item.error or str(outcome))
            self.report.errors += 1
            return
        if isinstance(outcome, BaseException):  # a bug, not a fault of the download
            raise outcome
        if outcome is None:
            self.missing(job_id, "expired")
            self.report.expired += 1
            return
        self.logs.append(outcome)
        self.bytes += outcome.stored.kept_bytes
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
