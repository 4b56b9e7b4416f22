"""Downloading and reading logs and test reports, in worker processes when there are many.

The Log Ingester's API calls are made one at a time on one thread; each answers with a
pre-signed URL, whose file is then downloaded and read (a log redacted, normalised and its
console tests parsed; a report's zip opened and its JUnit XML parsed). That reading is most of
the fetch's CPU. On threads it shares the interpreter lock with the API calls, and every call
that waits on the network or the store gave the lock away and waited up to a switch interval
to get it back: at 22k runs the one-line query a run's reports need took 3.6 ms instead of
0.05. :func:`reader_pool` runs the reading in worker processes instead
(:mod:`core.worker_processes`) at a lower CPU priority, so the thread that makes the API
calls, the critical path, is not kept waiting by the reading it feeds: at 22k runs a
report fetch took 68 s instead of 94 and a log fetch 51 instead of 57.

The work functions take only plain values (URL, :class:`Downloader`, the secrets to redact)
and return what the store takes (:class:`ReadyResults`, :class:`PreparedLog`), so the same
functions run on threads for a small fetch, where starting processes would cost more than
it saves.
"""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from functools import lru_cache

from agents.log_ingester.in_order import DOWNLOAD_THREADS
from core.github.downloads import Downloader
from core.store.ingest import (
    JobRef,
    PreparedLog,
    ReadyResults,
    ResultPreparer,
    junit_from_zip,
    prepare_job_log,
)
from core.worker_processes import WorkerProcesses

__all__ = ["READERS", "PROCESSES_FROM", "read_log", "read_report", "reader_pool"]

READERS = DOWNLOAD_THREADS
"""Downloads read at once (threads or processes)."""

PROCESSES_FROM = 500
"""A fetch of this many items or more reads in worker processes; fewer, on threads (starting
a worker costs about half a second of CPU, spent once per fetch)."""


def reader_pool(items: int, processes_from: int = PROCESSES_FROM) -> Executor:
    """Where a fetch of ``items`` downloads runs its work: :data:`READERS` worker processes
    (at a lower CPU priority) from ``processes_from`` items on, else as many threads."""
    if items < processes_from:
        return ThreadPoolExecutor(READERS, thread_name_prefix="downloads")
    return WorkerProcesses(READERS)


def read_report(
    downloader: Downloader, url: str, max_bytes: int, secrets: tuple[str, ...]
) -> ReadyResults:
    """The test results of the artifact zip at ``url``, redacted and ready to store."""
    return _preparer(secrets)(junit_from_zip(downloader.artifact(url, max_bytes)))


def read_log(
    downloader: Downloader,
    url: str,
    max_bytes: int,
    secrets: tuple[str, ...],
    repo: str,
    job: JobRef,
) -> PreparedLog | None:
    """The log at ``url`` made ready to store (None: it expired)."""
    kept = downloader.log(url, max_bytes)
    return None if kept is None else prepare_job_log(repo, job, kept, secrets)


@lru_cache(maxsize=2)
def _preparer(secrets: tuple[str, ...]) -> ResultPreparer:
    """One preparer per set of secrets, kept across reports: it remembers each test id it
    redacted, and a history repeats the same few hundred ids run after run."""
    return ResultPreparer(secrets)
