"""Which artifacts each run has, read from the repository's artifact list: 100 artifacts a
request, where asking run by run costs a request per run (most runs have a handful of
artifacts, many none: at the demo's 5x, 3,462 requests became 99).

GitHub lists a repository's artifacts newest first, and an artifact is uploaded while its run
runs, so never before the run was created. The runs that need reports are asked for newest
first too; so once the list has gone past a run's creation time (with :data:`SKEW` to spare),
every artifact of that run has been seen, and one pass down the list serves them all.

Asked run by run instead (:meth:`GitHubSource.run_artifacts`), for the runs still to come:
- once the list has cost :data:`EXTRA_PAGES` pages more than the runs it served (a few runs
  need reports but the oldest of them is far down the list: an incremental fetch after a
  long-running run finished);
- when the list is not newest first after all (an artifact more than :data:`SKEW` newer than
  one listed before it) or an artifact has no usable ``created_at``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.github.source import GitHubSource

__all__ = ["RunArtifacts", "SKEW", "EXTRA_PAGES"]

SKEW = timedelta(minutes=10)
"""How far out of order (by ``created_at``) the list may be; also how far past a run's
creation time it is read before that run counts as complete."""
EXTRA_PAGES = 10
"""Pages the list may cost beyond one per run served before runs are asked one by one."""
PER_PAGE = 100
"""Artifacts on a full page (``GitHubSource.artifacts_page``): a shorter one is the last."""


class RunArtifacts:
    """The artifacts of the runs ``wanted`` (run ids), asked for newest first with
    :meth:`of`. Artifacts of other runs are dropped as their pages are read."""

    def __init__(self, source: GitHubSource, repo: str, wanted: set[int]) -> None:
        self.source, self.repo, self.wanted = source, repo, wanted
        self.pages = 0  # pages of the repository's list read
        self._listed: dict[int, dict[int, dict[str, Any]]] = {}  # run id -> id -> artifact
        self._seen = 0
        self._oldest: datetime | None = None  # the created_at of the last artifact listed
        self._exhausted = False
        self._run_by_run = False
        self._served = 0

    def of(self, run_id: int, created_at: str) -> list[dict[str, Any]]:
        """``run_id``'s artifacts in name (then id) order, whichever way they were listed, so
        that what is stored does not depend on the order an endpoint lists them in."""
        created = _time(created_at)
        while created is not None and not self._run_by_run and not self._complete(created):
            if self.pages >= self._served + EXTRA_PAGES:
                self._run_by_run = True
            else:
                self._next_page()
        if self._complete(created):
            found = list(self._listed.pop(run_id, {}).values())
        else:
            found = self.source.run_artifacts(self.repo, run_id)
        self._served += 1
        return sorted(found, key=lambda a: (str(a.get("name")), int(a.get("id") or 0)))

    def _complete(self, created: datetime | None) -> bool:
        """Whether every artifact of a run created at ``created`` has been listed."""
        if self._exhausted:
            return True
        if self._run_by_run or created is None or self._oldest is None:
            return False
        return self._oldest < created - SKEW

    def _next_page(self) -> None:
        batch, total = self.source.artifacts_page(self.repo, self.pages + 1)
        self.pages += 1
        self._seen += len(batch)
        for artifact in batch:
            made = _time(artifact.get("created_at"))
            if made is None or (self._oldest is not None and made > self._oldest + SKEW):
                self._run_by_run = True  # not newest first: the list cannot say when to stop
            elif self._oldest is None or made < self._oldest:
                self._oldest = made
            run = (artifact.get("workflow_run") or {}).get("id")
            if isinstance(run, int) and run in self.wanted:
                self._listed.setdefault(run, {})[int(artifact["id"])] = artifact
        if len(batch) < PER_PAGE or self._seen >= total:
            self._exhausted = not self._run_by_run


def _time(value: object) -> datetime | None:
    """An ISO-8601 time as GitHub writes it (``...Z``); None when missing or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
