"""Log Ingester (Layer 1): job logs and test reports into the store.

What it fetches, incrementally (nothing already stored is asked for again):
- the log of every failed, timed-out or cancelled job (of every job with
  ``download_all_logs``), plus the log of the last successful run of the same job before each
  failure: root-cause analysis compares a failure with its last green log;
- the test-report artifacts (JUnit XML, in zips checked against bombs and path traversal) of
  every completed run in the last ``REPORT_DAYS`` days, mapped to the job that wrote them.
Per-test outcomes come from the JUnit reports and from the console output of pytest, jest,
maven-surefire and ``go test``. Each saved log also queues a ``job_log`` message.
A job whose log fails to download is recorded with its error and the rest carry on; running
out of budget or rate limit stops the agent with everything fetched so far kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from agents.base import AgentContext, AgentResult
from core.errors import BudgetExhausted, RateLimited, SourceError, UnsafeInput
from core.log_store import save_log, save_missing_log
from core.logs import KeptLog, normalise_kept
from core.messages import enqueue, make_message
from core.safe_archive import safe_extract_zip
from core.store import Store
from core.test_reports import TestResult, parse_console, parse_junit_xml

__all__ = ["LogIngester", "IngestReport", "jobs_needing_logs", "runs_needing_reports",
           "match_artifact_to_job"]

FAILED = ("failure", "timed_out", "cancelled", "startup_failure")
REPORT_DAYS = 30
MAX_ARTIFACT_BYTES = 64 * 1024 * 1024
_WORDS = re.compile(r"[a-z0-9.]+")


@dataclass
class IngestReport:
    logs: int = 0
    expired: int = 0
    errors: int = 0
    reports: int = 0
    tests: int = 0

    def sentence(self) -> str:
        return (f"Stored {self.logs} logs ({self.expired} expired, {self.errors} failed) and "
                f"{self.tests} test results from {self.reports} reports.")


_LOG_JOBS_SQL = """
WITH job AS (
  SELECT j.job_id, j.run_id, j.attempt, j.name, j.conclusion, j.started_at, r.workflow_id
  FROM jobs j JOIN runs r ON r.run_id = j.run_id AND r.attempt = j.attempt
  WHERE j.repo_id = :repo AND j.status = 'completed'
),
failed AS (SELECT * FROM job WHERE conclusion IN ('failure','timed_out','cancelled',
                                                  'startup_failure')),
baseline AS (
  SELECT (SELECT g.job_id FROM job g WHERE g.name = f.name AND g.workflow_id IS f.workflow_id
          AND g.conclusion = 'success' AND g.started_at < f.started_at
          ORDER BY g.started_at DESC LIMIT 1) AS job_id
  FROM failed f
),
wanted AS (
  SELECT job_id FROM failed UNION SELECT job_id FROM baseline WHERE job_id IS NOT NULL
  UNION SELECT job_id FROM job WHERE :all_jobs
)
SELECT j.job_id, j.run_id, j.attempt, j.name, j.conclusion, j.started_at FROM wanted w
JOIN job j ON j.job_id = w.job_id
WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.job_id = w.job_id AND l.state IN ('ok','expired'))
ORDER BY j.started_at DESC
"""


def jobs_needing_logs(store: Store, repo_id: int, all_jobs: bool = False) -> pd.DataFrame:
    """Failed jobs and their last green predecessors (or all jobs) with no stored log yet."""
    return store.frame(_LOG_JOBS_SQL, {"repo": repo_id, "all_jobs": int(all_jobs)})


def runs_needing_reports(store: Store, repo_id: int, days: int = REPORT_DAYS) -> pd.DataFrame:
    """Completed latest attempts of the last ``days`` days whose artifacts were not read yet."""
    since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = store.scalar("SELECT MAX(created_at) FROM runs WHERE repo_id = ?", (repo_id,))
    if newest and newest < since:  # an imported or old history: measure from its newest run
        since = (datetime.fromisoformat(newest.replace("Z", "+00:00"))
                 - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return store.frame(
        "SELECT run_id, attempt FROM runs r WHERE repo_id = ? AND is_latest = 1 AND "
        "status = 'completed' AND created_at >= ? AND NOT EXISTS (SELECT 1 FROM run_reports p "
        "WHERE p.run_id = r.run_id AND p.attempt = r.attempt) ORDER BY created_at DESC",
        (repo_id, since))


def match_artifact_to_job(artifact: str, jobs: dict[int, str],
                          failed_jobs: frozenset[int] = frozenset(),
                          report_failed: bool = False) -> int | None:
    """The job (id -> name + step names) whose words overlap the artifact's name the most.

    Artifacts belong to runs, not jobs; their names usually repeat the job's distinguishing
    words (``pytest-results-3.11`` for ``backend (ubuntu-latest, 3.11)`` with a pytest step).
    On a tie, a report with failures goes to a failed job and a clean one to a green job.
    """
    wanted = _words(artifact)
    scores = {job_id: len(wanted & _words(text)) for job_id, text in jobs.items()}
    best = max(scores.values(), default=0)
    if best == 0:
        return None
    tied = sorted(job_id for job_id, score in scores.items() if score == best)
    preferred = [j for j in tied if (j in failed_jobs) == report_failed]
    return (preferred or tied)[0]


def _words(text: str) -> set[str]:
    return set(_WORDS.findall(text.lower().replace("-", " ").replace("_", " ")))


class LogIngester:
    """Agent: fetch missing logs and test reports of ``ctx.repo`` through ``ctx.source``."""

    name = "log_ingester"
    layer = 1
    title = "Log Ingester"
    needs_source = True

    def run(self, ctx: AgentContext) -> AgentResult:
        if ctx.source is None:
            raise SourceError("The Log Ingester needs a GitHub source (base URL + token).")
        repo_id = ctx.store.repo_id(ctx.repo)
        if repo_id is None:
            raise SourceError(f"{ctx.repo} has not been synced yet: run the Pipeline Monitor "
                              "first.")
        report = IngestReport()
        ctx.source.new_budget()
        try:
            self._logs(ctx, repo_id, report)
            self._reports(ctx, repo_id, report)
        except (BudgetExhausted, RateLimited) as exc:
            raise type(exc)(f"{report.sentence()} Then: {exc}") from None
        metrics = {k: v for k, v in vars(report).items()}
        return AgentResult(self.name, pd.DataFrame([metrics]), metrics, report.sentence())

    def _logs(self, ctx: AgentContext, repo_id: int, report: IngestReport) -> None:
        todo = jobs_needing_logs(ctx.store, repo_id, ctx.settings.download_all_logs)
        for index, job in enumerate(todo.itertuples(index=False), start=1):
            ctx.progress(0.6 * index / max(len(todo), 1),
                         f"Log {index}/{len(todo)}: {job.name}")
            try:
                kept = ctx.source.job_log(ctx.repo, int(job.job_id), ctx.settings.max_log_bytes)
            except (BudgetExhausted, RateLimited):
                raise
            except SourceError as exc:
                with ctx.store.transaction() as tx:
                    save_missing_log(tx, repo_id, int(job.job_id), "error", str(exc))
                report.errors += 1
                continue
            self._save_log(ctx, repo_id, job, kept, report)

    def _save_log(self, ctx: AgentContext, repo_id: int, job, kept: KeptLog | None,
                  report: IngestReport) -> None:
        with ctx.store.transaction() as tx:
            if kept is None:
                save_missing_log(tx, repo_id, int(job.job_id), "expired")
                report.expired += 1
                return
            log = normalise_kept(kept)
            save_log(tx, repo_id, int(job.job_id), kept)
            results, _summary = parse_console(list(log.texts))
            _save_tests(tx, repo_id, int(job.job_id), job.run_id, job.attempt, results,
                        "console")
            enqueue(tx, [_log_message(ctx.repo, job, kept, log)])
        report.logs += 1
        report.tests += len(results)

    def _reports(self, ctx: AgentContext, repo_id: int, report: IngestReport) -> None:
        runs = runs_needing_reports(ctx.store, repo_id)
        for index, run in enumerate(runs.itertuples(index=False), start=1):
            ctx.progress(0.6 + 0.4 * index / max(len(runs), 1),
                         f"Test reports {index}/{len(runs)}")
            artifacts, tests, error = self._run_reports(ctx, repo_id, int(run.run_id),
                                                        int(run.attempt))
            report.reports += artifacts
            report.tests += tests
            report.errors += error is not None
            with ctx.store.transaction() as tx:
                tx.execute("INSERT OR REPLACE INTO run_reports VALUES (?,?,?,?,?,?,?)",
                           (run.run_id, run.attempt, repo_id, _now(), artifacts, tests, error))

    def _run_reports(self, ctx: AgentContext, repo_id: int, run_id: int,
                     attempt: int) -> tuple[int, int, str | None]:
        jobs, failed = _job_texts(ctx.store, run_id, attempt)
        count = tests = 0
        error = None
        for artifact in ctx.source.run_artifacts(ctx.repo, run_id):
            if artifact.get("expired") or match_artifact_to_job(artifact["name"], jobs) is None:
                continue
            try:
                data = ctx.source.artifact_zip(ctx.repo, int(artifact["id"]), MAX_ARTIFACT_BYTES)
                results = _junit_results(data)
            except (BudgetExhausted, RateLimited):
                raise
            except (UnsafeInput, SourceError) as exc:
                error = f"{artifact.get('name')}: {exc}"
                continue
            report_failed = any(r.outcome in ("failed", "error") for r in results)
            job_id = match_artifact_to_job(artifact["name"], jobs, failed, report_failed)
            with ctx.store.transaction() as tx:
                _save_tests(tx, repo_id, job_id, run_id, attempt, results, "junit")
            count += 1
            tests += len(results)
        return count, tests, error


def _junit_results(data: bytes | None) -> list[TestResult]:
    if not data:
        return []
    files = safe_extract_zip(data)
    results: list[TestResult] = []
    for name, content in sorted(files.items()):
        if name.lower().endswith(".xml"):
            results.extend(parse_junit_xml(content))
    return results


def _job_texts(store: Store, run_id: int, attempt: int) -> tuple[dict[int, str], frozenset[int]]:
    """(job id -> name and step names, ids of the failed jobs) of one attempt."""
    rows = store.query(
        "SELECT j.job_id, j.name || ' ' || COALESCE(GROUP_CONCAT(s.name, ' '), ''), j.conclusion"
        " FROM jobs j LEFT JOIN steps s ON s.job_id = j.job_id WHERE j.run_id = ? AND "
        "j.attempt = ? GROUP BY j.job_id", (run_id, attempt))
    texts = {int(r[0]): str(r[1]) for r in rows}
    return texts, frozenset(int(r[0]) for r in rows if r[2] in FAILED)


def _save_tests(tx, repo_id: int, job_id: int, run_id: int, attempt: int,
                results: list[TestResult], source: str) -> None:
    tx.executemany(
        "INSERT OR REPLACE INTO test_results (job_id, test_id, repo_id, run_id, attempt, outcome,"
        " duration_s, message, source) VALUES (?,?,?,?,?,?,?,?,?)",
        [(job_id, r.test_id, repo_id, int(run_id), int(attempt), r.outcome, r.duration_s,
          (r.message or "")[:2000] or None, source) for r in results],
    )


def _log_message(repo: str, job, kept: KeptLog, log) -> object:
    text = "\n".join(log.texts)
    data = {"job_id": int(job.job_id), "run_id": int(job.run_id), "attempt": int(job.attempt),
            "job_name": job.name, "conclusion": job.conclusion, "bytes": kept.original_bytes,
            "lines": kept.n_lines, "truncated": kept.truncated,
            "error_lines": [int(n) for n in log.line_numbers[log.is_error]][:200],
            "text": text}
    return make_message("job_log", repo, f"log:{int(job.job_id)}", data,
                        version=str(kept.original_bytes))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
