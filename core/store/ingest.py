"""Storing what the Log Ingester fetches and ``import`` reads: job logs and test reports.

Shared by the agent (which downloads from GitHub) and the importer (which reads a dump), so a
log or a report lands in the store the same way whichever way it arrived: the kept log bytes,
the per-test outcomes parsed from its console output, a ``job_log`` message, and JUnit results
attached to the job that most plausibly wrote them. The Log Ingester's work lists (the jobs
whose logs and the runs whose reports are not stored yet) are asked here too, next to the
writes that shorten them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
import pandas as pd

from core.logs.normalise import KeptLog, NormalisedLog, normalise_kept
from core.logs.reports.junit import TestResult, parse_console, parse_junit_xml
from core.logs.safe_archive import safe_extract_zip
from core.messages.envelope import Message, make_message
from core.messages.redact import redact_kept, redactor
from core.store.db import Store
from core.store.logs import CompressedLog, compress_log, save_log, save_missing_log
from core.store.outbox import enqueue
from core.store.packed_results import RESULT, PackedResults, unpack
from core.store.result_codes import JUNIT, OUTCOME_CODES, SOURCE_CODES
from core.store.schema import FAILED_JOB

__all__ = [
    "FAILED",
    "JobRef",
    "jobs_missing_logs",
    "runs_missing_reports",
    "store_job_log",
    "PreparedLog",
    "prepare_job_log",
    "save_job_logs",
    "store_missing_log",
    "store_report",
    "ReadyResults",
    "ResultPreparer",
    "prepare_results",
    "report_batch",
    "TestIds",
    "save_test_results",
    "mark_reports_read",
    "job_texts",
    "match_artifact_to_job",
    "junit_from_zip",
    "junit_from_files",
]

FAILED = ("failure", "timed_out", "cancelled", "startup_failure")
_WORDS = re.compile(r"[a-z0-9.]+")
_MAX_SECONDS = 2**53 / 1000  # ~285,000 years: a longer "time" is junk, not a duration


@dataclass(frozen=True)
class JobRef:
    job_id: int
    run_id: int
    attempt: int
    name: str
    conclusion: str | None


# Every lookup goes through an index: the failed jobs by the repository, each one's last green
# predecessor by jobs_repo_name (repo_id, name, started_at) read backwards from the failure and
# stopping at the first success of the same workflow, the rest by primary key. (Through a
# common table expression, SQLite rebuilt an automatic index on every call and scanned every
# success of a job per failure: 116 s at 341k jobs, growing with the square of the history.)
_LOG_JOBS_SQL = f"""
WITH failed AS (
  SELECT j.job_id, j.name, j.started_at, r.workflow_id
  FROM jobs j JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id
  AND r.attempt = j.attempt
  WHERE j.repo_id = :repo AND j.status = 'completed'
  AND j.conclusion IN {FAILED_JOB}
),
baseline AS (
  SELECT (SELECT g.job_id FROM jobs g JOIN runs rg ON rg.repo_id = g.repo_id
          AND rg.run_id = g.run_id AND rg.attempt = g.attempt
          WHERE g.repo_id = :repo AND g.name = f.name AND g.started_at < f.started_at
          AND g.status = 'completed' AND g.conclusion = 'success'
          AND rg.workflow_id IS f.workflow_id
          ORDER BY g.started_at DESC LIMIT 1) AS job_id
  FROM failed f
),
wanted AS (
  SELECT job_id FROM failed UNION SELECT job_id FROM baseline WHERE job_id IS NOT NULL
  UNION SELECT j.job_id FROM jobs j WHERE :all_jobs AND j.repo_id = :repo
  AND j.status = 'completed' AND EXISTS (SELECT 1 FROM runs r WHERE r.repo_id = j.repo_id
  AND r.run_id = j.run_id AND r.attempt = j.attempt)
)
SELECT j.job_id, j.run_id, j.attempt, j.name, j.conclusion, j.started_at FROM wanted w
JOIN jobs j ON j.repo_id = :repo AND j.job_id = w.job_id
WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.repo_id = :repo AND l.job_id = w.job_id
                  AND l.state IN ('ok','expired'))
ORDER BY j.started_at DESC
"""


def jobs_missing_logs(store: Store, repo_id: int, all_jobs: bool = False) -> pd.DataFrame:
    """Failed jobs and their last green predecessors (or all jobs) with no stored log yet
    (``ok`` or ``expired``), newest first."""
    return store.frame(_LOG_JOBS_SQL, {"repo": repo_id, "all_jobs": int(all_jobs)})


def runs_missing_reports(store: Store, repo_id: int, since: str) -> pd.DataFrame:
    """Completed latest attempts created at or after ``since`` whose artifacts were not read
    yet (see :func:`mark_reports_read`), newest first: ``run_id, attempt, created_at``."""
    return store.frame(
        "SELECT run_id, attempt, created_at FROM runs r WHERE repo_id = ? AND is_latest = 1 AND "
        "status = 'completed' AND created_at >= ? AND NOT EXISTS (SELECT 1 FROM run_reports p "
        "WHERE p.repo_id = r.repo_id AND p.run_id = r.run_id AND p.attempt = r.attempt)"
        " ORDER BY created_at DESC",
        (repo_id, since),
    )


@dataclass(frozen=True)
class PreparedLog:
    """One job's log made ready to store, outside any transaction: redacted and compressed,
    its error lines counted, its console test results read and its ``job_log`` message built
    (the CPU work a batch should not do while it holds the store's write lock)."""

    job: JobRef
    stored: CompressedLog
    error_lines: int
    results: list[TestResult]
    message: Message


def prepare_job_log(
    repo: str, job: JobRef, kept: KeptLog, literals: tuple[str, ...] = ()
) -> PreparedLog:
    """Secrets are redacted first (the known ones and ``literals``), so the stored log, the
    test results read from it and its message never hold one (line numbers are kept: only the
    secret itself is replaced)."""
    kept = redact_kept(kept, literals)
    log = normalise_kept(kept)
    results, _summary = parse_console(list(log.texts))
    message = _log_message(repo, job, kept, log)
    return PreparedLog(job, compress_log(kept), int(log.is_error.sum()), results, message)


def save_job_logs(store: Store, repo_id: int, logs: list[PreparedLog]) -> int:
    """Save prepared logs, their console test results and messages in one transaction (one
    commit per batch, not per log: each commit rewrites the indexes' pages, and a log fetch
    of a few thousand jobs wrote 30 times the store's growth); returns the tests found."""
    with store.transaction() as tx:
        for prepared in logs:
            job = prepared.job
            save_log(tx, repo_id, job.job_id, prepared.stored, error_lines=prepared.error_lines)
            _save_tests(tx, repo_id, job.job_id, prepared.results, "console")
            enqueue(tx, [prepared.message])
    return sum(len(prepared.results) for prepared in logs)


def store_job_log(store: Store, repo: str, repo_id: int, job: JobRef, kept: KeptLog) -> int:
    """Save one log, its console test results and its message; returns the tests found."""
    return save_job_logs(store, repo_id, [prepare_job_log(repo, job, kept)])


def store_missing_log(
    store: Store, repo_id: int, job_id: int, state: str, error: str | None = None
) -> None:
    with store.transaction() as tx:
        save_missing_log(tx, repo_id, job_id, state, error)


@dataclass(frozen=True)
class ReadyResults:
    """One report's (or log's) test results made ready to store, outside any transaction:
    ``rows`` of (test id, outcome code, duration in whole ms, message), the ids and messages
    redacted; ``failed``: whether any test failed or erred (which job wrote the report, on a
    tie). Compact on purpose: a batch of reports holds hundreds of thousands of these rows
    until its transaction, and a :class:`TestResult` (seven fields, a ``__dict__`` and its own
    strings) took about 600 bytes where a row takes about 110, its test id shared with every
    other row of the same test (:class:`ResultPreparer`)."""

    rows: list[tuple[str, int, int | None, str | None]]
    failed: bool

    def __len__(self) -> int:
        return len(self.rows)


_FAILING = frozenset((OUTCOME_CODES["failed"], OUTCOME_CODES["error"]))


class ResultPreparer:
    """Turns parsed results into :class:`ReadyResults`, each distinct test id redacted once.

    Why a cache of its own: a fetch stores the same few hundred ids run after run (2.2M rows,
    921 ids in the 5x demo); the redactor memoises them too, but its call per row was the
    largest part of building the rows. Keep one per set of secrets, not longer: the redactor it
    uses is the one current when it was made (``agents.log_ingester.readers`` keys its
    preparers by the secrets a fetch passes). ``literals``: secrets to redact besides the known ones
    (a worker process is given its parent's, which it does not remember itself)."""

    def __init__(self, literals: tuple[str, ...] = ()) -> None:
        self._redact = redactor(literals).redact_text
        self._names: dict[str, str] = {}

    def __call__(self, results: list[TestResult]) -> ReadyResults:
        """The rows as :func:`_save_tests` stores them: the message is redacted whole, then
        cut, so a cut never leaves a secret's first half behind; a time that is no usable
        number (``NaN``, ``inf``, ``1e400`` parse as floats but fit no SQLite integer) is
        None. One row is built per test of every report, so the loop is written out."""
        redact, names, outcomes = self._redact, self._names, OUTCOME_CODES
        rows = []
        for result in results:
            name = names.get(result.test_id)
            if name is None:
                name = names[result.test_id] = redact(result.test_id)
            seconds, message = result.duration_s, result.message
            rows.append(
                (
                    name,
                    outcomes[result.outcome],
                    round(seconds * 1000)
                    if seconds is not None and -_MAX_SECONDS < seconds < _MAX_SECONDS
                    else None,
                    redact(message)[:2000] or None if message else None,
                )
            )
        return ReadyResults(rows, any(row[1] in _FAILING for row in rows))


def prepare_results(results: list[TestResult]) -> ReadyResults:
    """:class:`ReadyResults` of one list of results (a batch keeps a :class:`ResultPreparer`)."""
    return ResultPreparer()(results)


class TestIds:
    """The interned ids (table ``tests``) of the test names one transaction stores.

    A report repeats the same few hundred names run after run: each is looked up (or added)
    once per transaction, not once per result row (an ``INSERT OR IGNORE`` and a sub-select
    per row were a third of storing a report). Only valid inside the transaction that made
    it: an id added by a transaction that rolls back must not outlive it."""

    __test__ = False  # not a pytest test class

    def __init__(self, tx: sqlite3.Connection, repo_id: int) -> None:
        self.tx, self.repo_id = tx, repo_id
        self._ids: dict[str, int] = {}

    def of(self, names: list[str]) -> list[int]:
        """The id of each name, adding the names ``tests`` does not hold yet."""
        ids = self._ids
        new = [name for name in dict.fromkeys(names) if name not in ids]
        if new:
            self.tx.executemany(
                "INSERT OR IGNORE INTO tests (repo_id, name) VALUES (?, ?)",
                [(self.repo_id, name) for name in new],
            )
            for start in range(0, len(new), _NAMES_PER_SELECT):
                chunk = new[start : start + _NAMES_PER_SELECT]
                marks = ",".join("?" * len(chunk))
                ids.update(
                    self.tx.execute(
                        f"SELECT name, id FROM tests WHERE repo_id = ? AND name IN ({marks})",
                        (self.repo_id, *chunk),
                    ).fetchall()
                )
        return [ids[name] for name in names]


_NAMES_PER_SELECT = 500
# Page cache while a batch of reports is stored (SQLite's default is 2 MiB). Results arrive a
# job at a time, each job's few hundred tests spread over the by-test index: with one page per
# test that a report touches in cache, the index is written where it grows instead of pages
# being read back and evicted every row (measured at 1x: 4.0 -> 1.9 s of CPU for 464k rows).
# Held for the batch only, then given back.
_BATCH_CACHE_KIB = 64 * 1024


@contextmanager
def report_batch(store: Store, repo_id: int) -> Iterator[TestIds]:
    """One transaction for the reports of several runs (:func:`store_report` with the
    :class:`TestIds` yielded, :func:`mark_reports_read`), with a page cache big enough for
    it; the cache size it found is set back afterwards, also when the batch fails."""
    before = int(store.scalar("PRAGMA cache_size"))
    roomier = before >= 0 or -before < _BATCH_CACHE_KIB  # negative: KiB; positive: pages
    if roomier:
        store.scalar(f"PRAGMA cache_size = -{_BATCH_CACHE_KIB}")
    try:
        with store.transaction() as tx:
            yield TestIds(tx, repo_id)
    finally:
        if roomier:
            store.scalar(f"PRAGMA cache_size = {before}")


def store_report(
    store: Store,
    repo_id: int,
    run_id: int,
    attempt: int,
    artifact: str,
    results: list[TestResult] | ReadyResults,
    run_jobs: tuple[dict[int, str], frozenset[int]],
    ids: TestIds | None = None,
) -> int | None:
    """Attach one artifact's JUnit results to the job that wrote it; returns that job's id.

    ``run_jobs`` is :func:`job_texts` of the run (``run_id``, ``attempt``), read once by the
    caller for all its artifacts; the results are stored with the job, whose row says its run.
    ``results`` as parsed, or already prepared (:class:`ResultPreparer`). ``ids``: the
    :func:`report_batch` this report is part of (else it is its own transaction).
    """
    ready = results if isinstance(results, ReadyResults) else prepare_results(results)
    jobs, failed = run_jobs
    job_id = match_artifact_to_job(artifact, jobs, failed, ready.failed)
    if job_id is not None:
        if ids is None:
            save_test_results(store, repo_id, job_id, ready, "junit")
        else:
            _save_tests(ids.tx, repo_id, job_id, ready, "junit", ids)
    return job_id


def save_test_results(
    store: Store,
    repo_id: int,
    job_id: int,
    results: list[TestResult] | ReadyResults,
    source: str,
) -> None:
    """Save one job's test results read from ``source`` (``junit`` or ``console``), the way
    the Log Ingester and ``import`` store them (see :func:`_save_tests`)."""
    with store.transaction() as tx:
        _save_tests(tx, repo_id, job_id, results, source)


def mark_reports_read(
    store: Store,
    repo_id: int,
    run_id: int,
    attempt: int,
    artifacts: int,
    tests: int,
    error: str | None,
) -> None:
    """Remember that a run's artifacts were read, so nobody reads them again."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT OR REPLACE INTO run_reports VALUES (?,?,?,?,?,?,?)",
            (
                run_id,
                attempt,
                repo_id,
                datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                artifacts,
                tests,
                error,
            ),
        )


def match_artifact_to_job(
    artifact: str,
    jobs: dict[int, str],
    failed_jobs: frozenset[int] = frozenset(),
    report_failed: bool = False,
) -> int | None:
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


# One attempt's jobs by (repo_id, run_id, attempt). INDEXED BY: left alone, SQLite walked the
# primary key (repo_id, job_id) to save sorting a handful of rows for the GROUP BY, i.e. every job
# of the repository once per run: the report fetch grew with the square of the history (18 ms a
# run at 11k runs, 70 of its 217 s).
_JOB_TEXTS_SQL = (
    "SELECT j.job_id, j.name || ' ' || COALESCE(GROUP_CONCAT(s.name, ' '), ''), j.conclusion"
    " FROM jobs j INDEXED BY jobs_run"
    " LEFT JOIN steps s ON s.repo_id = j.repo_id AND s.job_id = j.job_id"
    " WHERE j.repo_id = ? AND j.run_id = ? AND j.attempt = ? GROUP BY j.job_id"
)


def job_texts(
    store: Store, repo_id: int, run_id: int, attempt: int
) -> tuple[dict[int, str], frozenset[int]]:
    """(job id -> name and step names, ids of the failed jobs) of one attempt."""
    rows = store.query(_JOB_TEXTS_SQL, (repo_id, run_id, attempt))
    texts = {int(r[0]): str(r[1]) for r in rows}
    return texts, frozenset(int(r[0]) for r in rows if r[2] in FAILED)


def junit_from_zip(data: bytes | None) -> list[TestResult]:
    """JUnit results of an artifact zip, extracted in memory against bombs and traversal."""
    return junit_from_files(safe_extract_zip(data)) if data else []


def junit_from_files(files: dict[str, bytes]) -> list[TestResult]:
    results: list[TestResult] = []
    for name, content in sorted(files.items()):
        if name.lower().endswith(".xml"):
            results.extend(parse_junit_xml(content))
    return results


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    """Memoised: a run's job texts and artifact names recur run after run (a report fetch
    matched 220k (artifact, job) pairs at 5x, over a few hundred distinct texts)."""
    return frozenset(_WORDS.findall(text.lower().replace("-", " ").replace("_", " ")))


def _save_tests(
    tx: sqlite3.Connection,
    repo_id: int,
    job_id: int,
    results: list[TestResult] | ReadyResults,
    source: str,
    ids: TestIds | None = None,
) -> None:
    """Save one job's test results in the caller's transaction, as parsed or already prepared,
    with their secrets redacted (:class:`ResultPreparer`): a JUnit report is not a log, and a
    test's id (a parametrised ``test_login[ghp_...]``) and its failure message (``401 with
    Authorization: token ...``) are text a test printed.

    Every result is in the job's packed digest (``job_tests``: test, outcome, source; the record
    the analyses and the drill-down read), the test named by its interned id (``ids``, the
    transaction's :class:`TestIds`). Only a result that carries a message also gets a row of
    ``test_results`` (its message and duration; schema V18): at 100k runs 97k of 17.6M results
    have one, and the other rows' writing was most of storing a report, for nothing that read
    them. A test listed twice keeps its last result; a job written again (its log's console
    results, then its report) keeps, per test, the result written last, and a rewritten test's
    earlier message goes with it."""
    ready = results if isinstance(results, ReadyResults) else prepare_results(results)
    rows = ready.rows
    if not rows:
        return
    tests = (ids or TestIds(tx, repo_id)).of([row[0] for row in rows])
    code = SOURCE_CODES[source]
    last = {test: row for test, row in zip(tests, rows, strict=True)}  # the last row wins
    before = tx.execute(_DIGEST_OF_JOB, (repo_id, job_id)).fetchone()
    outcomes = {test: (row[1], code) for test, row in last.items()}
    if before is not None:  # written before: the earlier results of other tests stay
        kept = {test: (outcome, source) for test, outcome, source in unpack([before[0]]).tolist()}
        outcomes = {**kept, **outcomes}
        tx.executemany(_FORGET_MESSAGE, [(repo_id, job_id, test) for test in last])
    tx.execute(_NEW_DIGEST, (repo_id, job_id, *_digest(outcomes)))
    said = [
        (repo_id, job_id, test, outcome, duration_ms, message, code)
        for test, (_name, outcome, duration_ms, message) in last.items()
        if message is not None
    ]
    if said:
        tx.executemany(
            "INSERT OR REPLACE INTO test_results (repo_id, job_id, test, outcome, duration_ms,"
            " message, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
            said,
        )


_DIGEST_OF_JOB = "SELECT packed FROM job_tests WHERE repo_id = ? AND job_id = ?"
_FORGET_MESSAGE = "DELETE FROM test_results WHERE repo_id = ? AND job_id = ? AND test = ?"
_NEW_DIGEST = (
    "INSERT OR REPLACE INTO job_tests (repo_id, job_id, results, failures, reported, packed)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def _digest(outcomes: dict[int, tuple[int, int]]) -> tuple[int, int, int, bytes]:
    """(results, failures, reported, packed) of a job's results, ``test -> (outcome, source)``,
    as :data:`core.store.schema.JOB_TESTS` counted and packed them from a row per result:
    ordered by test id."""
    ordered = sorted(outcomes.items())
    failures = sum(outcome in _FAILING for _test, (outcome, _source) in ordered)
    reported = sum(source == JUNIT for _test, (_outcome, source) in ordered)
    return len(ordered), failures, reported, _packed(ordered)


def _packed(ordered: list[tuple[int, tuple[int, int]]]) -> bytes:
    """The :data:`RESULT` bytes of (test, (outcome, source)) pairs: filled as whole columns
    where every value is an integer that fits (what the store writes), else value by value as
    the aggregate packs them (one that does not fit is unknown, -1)."""
    packed = np.zeros(len(ordered), dtype=RESULT)
    values = [(test, outcome, source) for test, (outcome, source) in ordered]
    if values and all(type(v) is int for triple in values for v in triple):
        try:
            packed["test"], packed["outcome"], packed["source"] = zip(*values, strict=True)
            return packed.tobytes()
        except OverflowError:
            pass
    aggregate = PackedResults()
    for test, outcome, source in values:
        aggregate.step(test, outcome, source)
    return aggregate.finalize()


def _log_message(repo: str, job: JobRef, kept: KeptLog, log: NormalisedLog) -> Message:
    data = {
        "job_id": job.job_id,
        "run_id": job.run_id,
        "attempt": job.attempt,
        "job_name": job.name,
        "conclusion": job.conclusion,
        "encoding": "utf-8",
        "raw_bytes": kept.original_bytes,
        "n_lines": kept.n_lines,
        "truncated": kept.truncated,
        "error_lines": [int(n) for n in log.line_numbers[log.is_error]][:200],
        "content": "\n".join(log.texts),
    }
    return make_message(
        "job_log", repo, f"log:{job.job_id}", data, version=str(kept.original_bytes)
    )
