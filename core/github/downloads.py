"""Pre-signed downloads: the files behind a log's or an artifact's 302.

GitHub answers a log or artifact request with a redirect to storage, whose URL carries its own
signature: fetching it needs no token and is no API call, so it may run on several threads or
in other processes at once. :class:`Downloader` is that fetch as a small value that can be
handed to a worker process (it holds only the timeout; each thread of each process opens its
own session), so the Log Ingester can download and read files away from the process that makes
the API calls (see ``agents.log_ingester.readers``). :class:`core.github.source.GitHubSource`
hands it out (``downloader``) and counts each download against the request budget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import requests

from core.errors import SourceError, UnsafeInput
from core.github.sessions import EnvOnceSession, download_session
from core.logs.normalise import KeptLog, keep_head_and_tail_stream

__all__ = ["Downloader"]

T = TypeVar("T")
_CHUNK = 1 << 16
_sessions = threading.local()  # one session per thread of whichever process downloads


@dataclass(frozen=True)
class Downloader:
    """Fetches pre-signed download URLs with ``timeout_s`` per request; picklable."""

    timeout_s: float

    def log(self, url: str, max_bytes: int) -> KeptLog | None:
        """The head and tail of the log at ``url`` within ``max_bytes`` (None: it is gone)."""
        return self.fetch(url, lambda chunks: keep_head_and_tail_stream(chunks, max_bytes))

    def artifact(self, url: str, max_bytes: int) -> bytes | None:
        """The zip at ``url`` (None: it is gone); over ``max_bytes`` raises UnsafeInput."""
        return self.fetch(url, lambda chunks: _read_capped(chunks, max_bytes))

    def fetch(self, url: str, consume: Callable[[Iterator[bytes]], T]) -> T | None:
        """Stream ``url`` (no token is sent) into ``consume``; None on 404 or 410 (expired)."""
        session = _session()
        try:
            response = session.get_direct(url, timeout=self.timeout_s, stream=True)
            if response.is_redirect:  # moved within storage: followed, as requests would
                response.close()
                response = session.get(url, stream=True, timeout=self.timeout_s)
            with response as r:
                if r.status_code in (404, 410):
                    return None
                r.raise_for_status()
                return consume(r.iter_content(_CHUNK))
        except requests.RequestException as exc:
            raise SourceError(f"Downloading from GitHub failed ({type(exc).__name__}).") from None


def _session() -> EnvOnceSession:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = download_session()
    return session


def _read_capped(chunks: Iterator[bytes], max_bytes: int) -> bytes:
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > max_bytes:
            raise UnsafeInput(
                f"An artifact is larger than {max_bytes // 2**20} MiB; it was "
                "skipped (raise max_artifact_bytes to read it)."
            )
    return bytes(data)
