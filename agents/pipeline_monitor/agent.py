"""Pipeline Monitor (Layer 1): keeps the store in step with a repository's Actions history.

Incremental by construction:
1. A conditional request for the first runs page (``If-None-Match`` with the ETag of the last
   *completed* sync). A 304 means nothing new was created and no recent run changed: done, in
   two requests (repository + runs page) unless a stored run is still unfinished.
2. Otherwise the runs list is read newest first until it reaches runs older than the newest run
   already synced minus ``LOOKBACK`` (re-runs and late completions land in that window), or the
   history limit on a first sync; each page's runs are fetched before the next page is read, so
   the sync's memory does not grow with the history.
3. A listed run is fetched again only if it is new or its attempt/status/updated_at changed;
   missing earlier attempts are fetched too, and commits only for SHAs not yet stored.
4. ``full=True`` (``sync --full``) skips the 304 shortcut and lists back to the oldest stored run:
   GitHub lists runs by creation, so a re-run or late completion of a run older than the
   look-back window only shows up there. Unchanged runs cost nothing beyond the list pages. A
   full re-check that did not finish (budget, rate limit, kill) is continued by the next sync,
   full or not: the store remembers it until one completes.
5. Once a day (and on every full re-check) the stored runs' counts are compared with GitHub's
   counts of the synced window, and any period where GitHub holds more is listed and its missing
   runs fetched (:mod:`agents.pipeline_monitor.consistency`): one request when all is well.
6. The repository's CODEOWNERS file (who owns a quarantined test) is read on the first sync and
   again by the first sync a week later (at most three requests: GitHub's three places for it).
Fetched runs are saved in small batches, each run whole (runs, jobs, steps, commit and messages
commit together), and the ETag/cursor only move when a sync completes, so an interrupted sync
(crash, budget, rate limit) resumes with no gap and no duplicate.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from agents.base import AgentContext, AgentResult, Progress
from agents.pipeline_monitor.consistency import CHECK_EVERY, find_gaps, iso
from core.errors import AccessDenied, NoWorkflows, SourceError
from core.github.codeowners import find_codeowners
from core.github.source import GitHubSource
from core.store import sync_state
from core.store.db import Store
from core.store.repo_files import load_codeowners, save_codeowners
from core.store.runs import (
    RunBundle,
    commit_shas,
    count_runs_created,
    known_runs,
    oldest_run_created_at,
    save_repository,
    save_run_bundle,
    save_workflows,
    stored_attempts,
    unfinished_run_ids,
)

__all__ = ["PipelineMonitor", "SyncReport", "sync_repository", "runs_to_fetch"]

LOOKBACK = timedelta(days=3)
CODEOWNERS_EVERY = timedelta(days=7)  # how old the kept CODEOWNERS may get before a re-read
HISTORY = timedelta(days=90)


@dataclass
class SyncReport:
    repo: str
    requests: int = 0
    listed: int = 0
    fetched_runs: int = 0
    new_commits: int = 0
    messages: int = 0
    not_modified: bool = False
    seconds: float = 0.0
    fetched: list[int] = field(default_factory=list)
    full: bool = False
    continued: bool = False  # a plain sync that finished an earlier, interrupted full re-check
    rechecked: int = 0
    changed: int = 0
    checked: bool = False  # the stored runs' counts were compared with GitHub's
    repaired: int = 0  # runs the consistency check found missing and fetched

    def sentence(self) -> str:
        if self.not_modified:
            return f"{self.repo} is up to date ({self.requests} requests)."
        text = (
            f"Synced {self.fetched_runs} new or changed runs of {self.repo} "
            f"({self.listed} listed, {self.new_commits} commits) in {self.requests} "
            f"requests, {self.seconds:.1f} s."
        )
        if self.full:
            what = "Interrupted full re-check finished" if self.continued else "Full re-check"
            text += f" {what}: {self.rechecked} stored runs re-checked, {self.changed} changed."
        if self.repaired:
            text += (
                f" The consistency check found {self.repaired} runs missing from the store"
                " and fetched them."
            )
        return text


# Fetched runs stored per transaction. Each transaction rewrites, whole, the index pages its
# runs land on, and some keys arrive in no order (a run's commit SHA, its messages' ids, its
# jobs by name): 50 runs a transaction wrote 2.8x the store's growth at 5x, 200 runs 2.5x (more
# gained nothing more); the runs wait in memory, a few MB.
SAVE_BATCH = 200


def runs_to_fetch(
    listed: Iterable[dict[str, Any]], known: dict[int, tuple[int, str | None, str | None]]
) -> list[dict[str, Any]]:
    """The listed runs that are new or whose attempt, status or updated_at changed."""
    changed = []
    for run in listed:
        seen = known.get(int(run["id"]))
        state = (int(run.get("run_attempt") or 1), run.get("status"), run.get("updated_at"))
        if seen is None or tuple(seen) != state:
            changed.append(run)
    return changed


def _not_after_now(created_at: str | None) -> str | None:
    """The cursor never moves past the present.

    One run dated in the future (a runner's clock two days ahead, a bogus year 3000 in an
    imported history) would otherwise put the next sync's stop line in the future, and every
    later run would be skipped while the sync reported success. Clamping only ever widens the
    next listing (an earlier stop line), so it can cost requests, never runs.
    """
    if not created_at:
        return created_at
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return min(created_at, now)


def _parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")) if ts else None


class _Sync:
    """One sync of one repository; holds the per-sync caches (commits fetched, progress)."""

    def __init__(
        self,
        store: Store,
        source: GitHubSource,
        repo: str,
        progress: Progress,
        history: timedelta,
        full: bool = False,
    ) -> None:
        self.store, self.source, self.repo, self.progress = store, source, repo, progress
        self.history, self.full = history, full
        self.report = SyncReport(repo, full=full)
        self.shas_seen: set[str] = set()
        self._shas_loaded = False

    def run(self) -> SyncReport:
        self.source.new_budget()
        started, self._first_request = time.monotonic(), self.source.requests_made
        try:
            self._sync()
        finally:
            self.report.requests = self.source.requests_made - self._first_request
            self.report.seconds = time.monotonic() - started
        return self.report

    def _sync(self) -> None:
        self.progress(0.0, f"Reading {self.repo}…")
        repo_payload = self.source.repository(self.repo)
        self.repo = repo_payload.get("full_name") or self.repo
        self.report.repo = self.repo
        repo_id = save_repository(self.store, repo_payload)
        state = self._state(repo_id)
        done = state is not None and state["completed_at"] is not None
        if not self.full and state is not None and state["full_pending"]:
            self.full = self.report.full = self.report.continued = True
        if self.full:
            self._mark_full_pending(repo_id)
        # a full re-check must see the older pages, which a 304 on the first page says nothing of
        etag = state["runs_etag"] if done and not self.full else None
        first = self.source.runs_page(self.repo, 1, etag=etag)
        if first.not_modified:
            # The first page is unchanged, unfinished runs on it included; only unfinished runs
            # older than that page can have changed unseen.
            older = self._unfinished(repo_id, before=state["first_page_oldest"])
            self._fetch_all(
                repo_id,
                runs_to_fetch(
                    [self.source.run(self.repo, r) for r in older], known_runs(self.store, repo_id)
                ),
            )
            self._check_if_due(repo_id, state)
            self.report.not_modified = not self.report.fetched_runs
            self._read_codeowners(repo_id)
            self._finish(
                repo_id, state["runs_etag"], state["newest_created_at"], state["first_page_oldest"]
            )
            return
        if not done:
            self._check_workflows(repo_id)
        stop = self._stop_line(repo_id, state["newest_created_at"] if done else None)
        newest = self._list_and_fetch(repo_id, first, stop)
        if done:
            self._check_if_due(repo_id, state)
        else:  # a first sync listed the whole window: that is the check
            sync_state.mark_checked(self.store, repo_id, iso(datetime.now(UTC)))
        previous = state["newest_created_at"] if state else None
        newest, previous = _not_after_now(newest), _not_after_now(previous)
        page_oldest = min((r.get("created_at") or "" for r in first.runs), default=None)
        self._read_codeowners(repo_id)
        self._finish(
            repo_id,
            first.etag,
            max(filter(None, [newest, previous]), default=None),
            page_oldest or None,
        )

    def _list_and_fetch(self, repo_id: int, first: Any, stop: datetime) -> str | None:
        """List the runs page by page back to ``stop`` and fetch each page's new or changed
        runs before reading the next page; returns the newest listed ``created_at``.

        Why page by page: holding every listed run until the listing ends made the sync's
        memory grow with the history (100k runs are gigabytes of payloads); one page at a
        time keeps it flat. Runs that slide onto a later page while the sync works (new runs
        pushed the listing down) are listed twice and fetched once."""
        known = known_runs(self.store, repo_id)
        seen: set[int] = set()
        newest: str | None = None
        for runs, total in self._pages(first, stop):
            fresh = [run for run in runs if int(run["id"]) not in seen]
            seen.update(int(run["id"]) for run in fresh)
            created = [newest, *(run.get("created_at") for run in fresh)]
            newest = max(filter(None, created), default=None)
            todo = runs_to_fetch(fresh, known)
            if self.full:
                self._count_recheck(fresh, todo, known)
            self._fetch_all(repo_id, todo, listed=len(seen), total=total)
        stale = self._stale_unfinished(repo_id, seen)
        if self.full:
            self._count_recheck(stale, runs_to_fetch(stale, known), known)
        self._fetch_all(repo_id, stale)
        return newest

    def _check_if_due(self, repo_id: int, state: Any) -> None:
        """Compare the stored runs' counts with GitHub's over the synced window when the last
        check is a day old (or on a full re-check), and fetch the runs of any period where
        GitHub holds more."""
        now = datetime.now(UTC).replace(microsecond=0)
        last = _parse(state["checked_at"]) if state is not None else None
        if not self.full and last is not None and now - last < CHECK_EVERY:
            return
        self.progress(0.9, "Checking the stored runs against GitHub's counts…")
        start, end = now - self.history, now + timedelta(seconds=1)
        gaps = find_gaps(
            lambda lo, hi: self.source.count_runs(self.repo, lo, hi),
            lambda lo, hi: count_runs_created(self.store, repo_id, iso(lo), iso(hi)),
            start,
            end,
        )
        known = known_runs(self.store, repo_id)
        todo: list[dict[str, Any]] = []
        for lo, hi in gaps:
            todo += runs_to_fetch(self.source.runs_created(self.repo, lo, hi), known)
        self._fetch_all(repo_id, todo)
        self.report.checked, self.report.repaired = True, len(todo)
        sync_state.mark_checked(self.store, repo_id, iso(now))

    def _read_codeowners(self, repo_id: int) -> None:
        """Read the CODEOWNERS file (the owners of quarantined tests) when it was never looked
        for (a first sync, or a store older than this) or the copy is older than
        ``CODEOWNERS_EVERY``: at most three requests, and none on most syncs. A token that may
        not read contents is noted and does not stop the sync; a budget or rate limit reached
        here leaves it to a later sync."""
        stored = load_codeowners(self.store, repo_id)
        now = datetime.now(UTC).replace(microsecond=0)
        read_at = _parse(stored.read_at) if stored is not None else None
        if read_at is not None and now - read_at < CODEOWNERS_EVERY:
            return
        try:
            found = find_codeowners(lambda path: self.source.repository_file(self.repo, path))
        except AccessDenied:
            note = "the token may not read the repository's contents (contents:read)"
            save_codeowners(self.store, repo_id, None, None, note, read_at=iso(now))
            return
        except SourceError:
            return
        save_codeowners(self.store, repo_id, found.path, found.text, found.note, read_at=iso(now))

    def _state(self, repo_id: int) -> Any:
        return sync_state.load_sync_state(self.store, repo_id)

    def _mark_full_pending(self, repo_id: int) -> None:
        """Remember that a full re-check is under way until ``_finish`` clears it."""
        sync_state.mark_full_pending(self.store, repo_id)

    def _check_workflows(self, repo_id: int) -> None:
        workflows = self.source.workflows(self.repo)
        if not workflows:
            raise NoWorkflows(
                f"{self.repo} has no GitHub Actions workflows, so there are no "
                "runs to monitor. Add a workflow under .github/workflows/."
            )
        save_workflows(self.store, repo_id, workflows)

    def _count_recheck(
        self,
        checked: list[dict[str, Any]],
        todo: list[dict[str, Any]],
        known: dict[int, tuple[int, str | None, str | None]],
    ) -> None:
        """Add the stored runs a full re-check looked at, and those found changed, to the
        report: the user asked for a re-check, so it says how stale the store was (new runs
        are not counted)."""
        self.report.rechecked += len({int(r["id"]) for r in checked} & known.keys())
        self.report.changed += len({int(r["id"]) for r in todo} & known.keys())

    def _stop_line(self, repo_id: int, newest_synced: str | None) -> datetime:
        """How far back to list: the look-back window behind the newest synced run, or the
        history limit on a first (or interrupted first) sync. A full re-check also reaches the
        oldest stored run, because any stored run may have been re-run since."""
        if newest_synced:
            stop = _parse(newest_synced) - LOOKBACK
        else:
            stop = datetime.now(UTC) - self.history
        if self.full:
            oldest = oldest_run_created_at(self.store, repo_id)
            stop = min(stop, _parse(oldest) or stop)
        return stop

    def _pages(self, first: Any, stop: datetime) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Each listed page's runs created at or after the stop line, with GitHub's total,
        reading pages until the runs are older than the stop line (or the list ends)."""
        page, current, listed = 1, first, 0
        while True:
            before, listed = listed, listed + len(current.runs)
            total = max(int(current.total_count or 0), listed)
            share = before / total if total else 0.0  # an empty list: nothing to share
            self.progress(0.05 + 0.95 * share, f"Listed {listed} of {total} runs…")
            self.report.listed = listed
            yield [r for r in current.runs if (_parse(r.get("created_at")) or stop) >= stop], total
            oldest = _parse(current.runs[-1].get("created_at")) if current.runs else None
            if len(current.runs) < 100 or oldest is None or oldest < stop:
                return
            page += 1
            current = self.source.runs_page(self.repo, page)

    def _unfinished(self, repo_id: int, before: str | None = None) -> list[int]:
        """Stored runs not completed yet (only those created before ``before`` if given)."""
        return unfinished_run_ids(self.store, repo_id, before)

    def _stale_unfinished(self, repo_id: int, seen: set[int]) -> list[dict]:
        """Unfinished runs older than the listing window (not in ``seen``): fetch them by id."""
        return [
            self.source.run(self.repo, run_id)
            for run_id in self._unfinished(repo_id)
            if run_id not in seen
        ]

    def _fetch_all(
        self, repo_id: int, todo: list[dict[str, Any]], listed: int = 0, total: int = 0
    ) -> None:
        """Fetch and store ``todo``'s runs (jobs, earlier attempts, new commits). ``listed``
        of ``total`` runs listed so far drive the progress while the listing goes on.

        Up to :data:`SAVE_BATCH` fetched runs are stored in one transaction, and what was
        fetched is stored also when a fault, the budget or the rate limit stops the sync: a
        transaction per run rewrote the same index pages once per run (a 2.2k-run first sync
        wrote 673 MB for 74 MB of growth; 208 MB in batches of 50); the downloads happen
        outside the transaction, so the write lock is held for a fraction of a second, never
        during a request."""
        if not self._shas_loaded:
            self.shas_seen |= commit_shas(self.store, repo_id)
            self._shas_loaded = True
        fetched: list[RunBundle] = []
        try:
            for index, run in enumerate(todo, start=1):
                fetched.append(self._bundle(repo_id, run))
                share = listed / total if total else index / len(todo)
                self.progress(
                    0.05 + 0.95 * min(1.0, share),
                    f"Run {self.report.fetched_runs + len(fetched)}: {run.get('name')}"
                    f" #{run.get('run_number')}",
                )
                if len(fetched) >= SAVE_BATCH:
                    self._save(repo_id, fetched)
                    fetched = []
        finally:
            self._save(repo_id, fetched)

    def _save(self, repo_id: int, bundles: list[RunBundle]) -> None:
        """Store fetched runs together (or none of them)."""
        if not bundles:
            return
        messages = 0
        with self.store.transaction():
            for bundle in bundles:
                messages += save_run_bundle(self.store, repo_id, self.repo, bundle)
        self.report.messages += messages
        self.report.fetched_runs += len(bundles)
        self.report.fetched.extend(int(bundle.run["id"]) for bundle in bundles)

    def _bundle(self, repo_id: int, run: dict[str, Any]) -> RunBundle:
        run_id, latest = int(run["id"]), int(run.get("run_attempt") or 1)
        have = stored_attempts(self.store, repo_id, run_id)
        bundle = RunBundle(run=run)
        for attempt in range(1, latest):
            if attempt not in have:
                bundle.earlier_attempts.append(self.source.run(self.repo, run_id, attempt))
                bundle.jobs[attempt] = self.source.jobs(self.repo, run_id, attempt)
        bundle.jobs[latest] = self.source.jobs(self.repo, run_id, latest)
        sha = run.get("head_sha")
        if sha and sha not in self.shas_seen:
            self.shas_seen.add(sha)
            bundle.commit = self.source.commit(self.repo, sha)
            self.report.new_commits += bundle.commit is not None
        return bundle

    def _finish(
        self, repo_id: int, etag: str | None, newest: str | None, page_oldest: str | None
    ) -> None:
        """Move the cursor: only a sync that got here leaves an ETag for the next one."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.report.requests = self.source.requests_made - self._first_request
        sync_state.complete_sync(
            self.store,
            repo_id,
            etag=etag,
            first_page_oldest=page_oldest,
            completed_at=now,
            newest_created_at=newest,
            requests=self.report.requests,
            message=self.report.sentence(),
        )


def sync_repository(
    store: Store,
    source: GitHubSource,
    repo: str,
    progress: Progress = lambda _f, _m: None,
    history: timedelta = HISTORY,
    full: bool = False,
) -> SyncReport:
    """Bring the store up to date with ``repo``; raises a SourceError with a clear sentence.

    ``full`` re-checks every stored run (see the module docs); it costs one request per 100
    listed runs plus the fetches of the runs that changed, and is as resumable as a normal sync:
    run it again after a kill or budget stop and the runs already saved count as unchanged.
    """
    sync = _Sync(store, source, repo, progress, history, full)
    try:
        return sync.run()
    except SourceError as exc:
        _record_failure(store, repo, str(exc))
        raise


def _record_failure(store: Store, repo: str, message: str) -> None:
    repo_id = store.repo_id(repo)
    if repo_id is None:
        return
    sync_state.set_sync_status(store, repo_id, "interrupted", message)


class PipelineMonitor:
    """Agent wrapper: syncs ``ctx.repo`` through ``ctx.source`` and reports what changed."""

    name = "pipeline_monitor"
    layer = 1
    title = "Pipeline Monitor"
    needs_source = True
    csv_name = "synced_runs.csv"
    finding_columns = ("run_id",)

    def run(self, ctx: AgentContext) -> AgentResult:
        if ctx.source is None:
            raise SourceError("The Pipeline Monitor needs a GitHub source (base URL + token).")
        report = sync_repository(
            ctx.store, ctx.source, ctx.repo, ctx.progress, full=bool(ctx.options.get("full"))
        )
        findings = pd.DataFrame({"run_id": report.fetched})
        metrics = {
            "requests": report.requests,
            "listed": report.listed,
            "fetched_runs": report.fetched_runs,
            "new_commits": report.new_commits,
            "messages": report.messages,
            "seconds": round(report.seconds, 2),
        }
        return AgentResult(self.name, findings, metrics, report.sentence())
