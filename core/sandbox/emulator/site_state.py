"""One repository as one emulator serves it (``Site``), and one request's context (``Ctx``).

The ``Site`` holds what depends on the server's base URL: the API URLs, the repository
object, and caches of serialized runs and built zips, so that paging through a few thousand
runs re-serializes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.sandbox.emulator.data import LRU, Attempt, RepoData, RunState, View
from core.sandbox.emulator.faults import Rerun
from core.sandbox.emulator.paging import Page, link_header, page_of
from core.sandbox.emulator.shapes import Urls, dumps, repo_object, repo_summary, run_at, run_json

__all__ = ["DOWNLOAD_TTL_S", "Ctx", "Site"]

DOWNLOAD_TTL_S = 60  # GitHub: "The URL expires after 1 minute."


class Site:
    """One repository as one emulator serves it: data, URLs and serialized-object caches."""

    def __init__(self, data: RepoData, base_url: str) -> None:
        self.data = data
        self.base_url = base_url
        self.urls = Urls(base_url, data.full_name)
        self.repo_obj = repo_object(data.repo, self.urls)
        self.repo_sum = repo_summary(self.repo_obj)
        self.repo_sum_json = dumps(self.repo_sum)
        self._runs: LRU[tuple[Any, ...], bytes] = LRU(4096)
        self.zips: LRU[tuple[Any, ...], bytes] = LRU(16)

    def run_json(
        self,
        state: RunState,
        now: float | None,
        attempt: Attempt | None = None,
        attempt_path: bool = False,
    ) -> bytes:
        """A run's JSON bytes (cached: runs are re-served page after page)."""
        attempt = attempt or state.attempt
        phase = state.phase if attempt is state.attempt else "asis"
        key = (state.run_id, attempt.number, phase, None if phase == "asis" else now, attempt_path)

        def build() -> bytes:
            record = run_at(attempt.record, phase, now)
            return run_json(record, self.urls, self.repo_sum_json, attempt_path=attempt_path)

        return self._runs.get_or_load(key, build)

    def download_url(self, kind: str, ident: str) -> str:
        expires = int(time.time()) + DOWNLOAD_TTL_S
        return f"{self.base_url}/_downloads/{self.data.full_name}/{kind}/{ident}?expires={expires}"


@dataclass
class Ctx:
    """Everything a handler may use for one request."""

    site: Site
    view: View
    now: float | None
    query: dict[str, str]
    raw_query: str
    path: str
    token_hash: str | None
    on_rerun: Callable[[Rerun], None]
    search_cap: int | None = 1000

    @property
    def data(self) -> RepoData:
        return self.site.data

    def paged(self, total: int, default: int = 30, maximum: int = 100) -> tuple[Page, dict]:
        """The page this request asks for, and the Link header GitHub would send with it."""
        page = page_of(self.query, total, default, maximum)
        link = link_header(self.site.base_url, self.path, self.raw_query, page)
        return page, ({"Link": link} if link else {})
