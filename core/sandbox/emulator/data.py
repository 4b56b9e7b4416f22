"""In-memory index of one dump for the emulator, and the repository as seen at a moment.

Runs and attempts are read once and indexed (by id, and newest-first for paging); jobs,
commits and artifact sizes are read on first use and kept in bounded caches, so that a cold
sync of a few thousand runs costs about a millisecond per request. The time-travel view
(``view(now)``) decides which attempt of each run was the latest at ``now`` and whether it
had finished, which is all that incremental-sync tests need.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar

from core.dump.files import Dump, read_bytes
from core.sandbox.emulator.paging import parse_time
from core.sandbox.emulator.shapes import artifact_id

__all__ = ["LRU", "Attempt", "RepoData", "RunState", "View"]

K = TypeVar("K")
V = TypeVar("V")
INF = float("inf")
_STATUSES = {"completed", "in_progress", "queued", "requested", "waiting", "pending"}


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used cache; ``get_or_load`` loads outside the lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = load()
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass(frozen=True)
class Attempt:
    """One attempt of a run: its stored record and when it started and finished."""

    number: int
    record: dict[str, Any]
    start: float
    end: float  # INF when the dump shows it unfinished


@dataclass(frozen=True)
class RunState:
    """A run as seen at the view's moment: which attempt is latest and its phase.

    phase: ``asis`` (show the stored record), ``running`` or ``queued`` (not finished then).
    """

    run_id: int
    created: float
    attempt: Attempt
    phase: str

    @property
    def record(self) -> dict[str, Any]:
        return self.attempt.record

    @property
    def status(self) -> str | None:
        return {"running": "in_progress", "queued": "queued"}.get(
            self.phase, self.record.get("status")
        )

    @property
    def conclusion(self) -> str | None:
        return self.record.get("conclusion") if self.phase == "asis" else None

    def matches(self, key: str, value: str) -> bool:
        """GitHub's list filters; ``status`` accepts a conclusion too (``status=failure``)."""
        rec = self.record
        if key == "status":
            return self.status == value if value in _STATUSES else self.conclusion == value
        if key == "actor":
            actor = rec.get("actor") or {}
            return str(actor.get("login", "")).lower() == value.lower()
        if key == "workflow_id":
            return str(rec.get("workflow_id")) == value
        if key == "check_suite_id":
            return str(rec.get("check_suite_id")) == value
        field = {"branch": "head_branch", "event": "event", "head_sha": "head_sha"}[key]
        return rec.get(field) == value


class View:
    """All visible runs at one moment, newest first (created_at desc, then id desc)."""

    def __init__(self, runs: list[RunState]) -> None:
        self.runs = runs
        self.by_id = {state.run_id: state for state in runs}
        self._filtered: LRU[tuple[Any, ...], list[RunState]] = LRU(64)

    def select(self, key: tuple[Any, ...], keep: Callable[[RunState], bool]) -> list[RunState]:
        """The runs passing ``keep``, cached under ``key`` while paging through one query."""
        return self._filtered.get_or_load(key, lambda: [s for s in self.runs if keep(s)])


def _chain(latest: dict[str, Any], earlier: list[dict[str, Any]]) -> list[Attempt]:
    """Attempts of one run in order, with start/end times used by time travel."""
    top = int(latest.get("run_attempt") or 1)
    records = sorted(
        (r for r in earlier if int(r.get("run_attempt") or 1) < top),
        key=lambda r: int(r.get("run_attempt") or 1),
    )
    created = parse_time(latest.get("created_at")) or parse_time(latest.get("run_started_at"))
    chain: list[Attempt] = []
    for record in [*records, latest]:
        if chain:
            start = parse_time(record.get("run_started_at")) or chain[-1].end
        else:
            start = created if created is not None else 0.0
        start = start if start != INF else chain[-1].start
        end = INF
        if record.get("status") == "completed":
            end = max(parse_time(record.get("updated_at")) or start, start)
        chain.append(Attempt(int(record.get("run_attempt") or 1), record, start, end))
    return chain


def _uploaded(record: dict[str, Any]) -> float:
    """When a run's artifacts were uploaded: as ``shapes.artifact_object`` dates them."""
    return parse_time(record.get("updated_at")) or parse_time(record.get("created_at")) or 0.0


def _state_at(run_id: int, chain: list[Attempt], now: float | None) -> RunState | None:
    created = chain[0].start
    if now is None:
        return RunState(run_id, created, chain[-1], "asis")
    if created > now:
        return None
    attempt = [a for a in chain if a.start <= now][-1]
    if attempt.end <= now:
        return RunState(run_id, created, attempt, "asis")
    started = parse_time(attempt.record.get("run_started_at"))
    if attempt is chain[0] and started is not None and started > now:
        return RunState(run_id, created, attempt, "queued")
    return RunState(run_id, created, attempt, "running")


class RepoData:
    """One dump, read once and indexed; see the module docs."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self.repo = dump.repo()
        self.full_name: str = self.repo["full_name"]
        self.key = self.full_name.lower()
        self.workflows = dump.workflows()
        earlier: dict[int, list[dict[str, Any]]] = {}
        for record in dump.attempts():
            earlier.setdefault(int(record["id"]), []).append(record)
        self.chains = {int(r["id"]): _chain(r, earlier.get(int(r["id"]), [])) for r in dump.runs()}
        self.order = sorted(self.chains, key=lambda i: (self.chains[i][0].start, i), reverse=True)
        self._jobs: LRU[tuple[int, int], list[dict[str, Any]] | None] = LRU(1024)
        self._commits: LRU[str, dict[str, Any] | None] = LRU(4096)
        self._artifacts: LRU[int, list[tuple[int, str, int]]] = LRU(4096)
        # files read for an artifact's size, kept for its download, which usually follows
        self._artifact_files: LRU[tuple[int, str], dict[str, bytes]] = LRU(256)
        self._job_index: dict[int, tuple[int, int]] = {}
        self._artifact_index: dict[int, tuple[int, str]] = {}
        self._listing: tuple[View, list[tuple[RunState, str]]] | None = None
        self._scanned: set[str] = set()
        self._lock = threading.Lock()
        self._view: tuple[float | None, View] | None = None

    def view(self, now: float | None) -> View:
        """The repository at ``now`` (None: everything), rebuilt only when ``now`` changes."""
        cached = self._view
        if cached is not None and cached[0] == now:
            return cached[1]
        states = (_state_at(run_id, self.chains[run_id], now) for run_id in self.order)
        view = View([state for state in states if state is not None])
        self._view = (now, view)
        return view

    def workflow(self, ident: str) -> dict[str, Any] | None:
        """A workflow by numeric id or by file name (``ci.yml``), as GitHub accepts both."""
        for wf in self.workflows:
            path = str(wf.get("path") or "")
            if str(wf.get("id")) == ident or (path and PurePosixPath(path).name == ident):
                return wf
        return None

    def attempt(self, run_id: int, number: int) -> Attempt | None:
        for attempt in self.chains.get(run_id, []):
            if attempt.number == number:
                return attempt
        return None

    def jobs(self, run_id: int, number: int) -> list[dict[str, Any]]:
        """Stored jobs of one attempt (empty when the dump has none); indexes their ids."""
        chain = self.chains.get(run_id) or []
        latest = bool(chain) and chain[-1].number == number

        def load() -> list[dict[str, Any]] | None:
            found = self.dump.jobs(run_id, None if latest else number)
            for job in found or []:
                self._job_index[int(job["id"])] = (run_id, number)
            return found

        return self._jobs.get_or_load((run_id, number), load) or []

    def find_job(self, job_id: int) -> tuple[int, int] | None:
        """(run_id, attempt) of a job; the first miss reads every jobs file once to index it."""
        if job_id not in self._job_index:
            self._scan_once("jobs", self._index_all_jobs)
        return self._job_index.get(job_id)

    def _index_all_jobs(self) -> None:
        for run_id, chain in self.chains.items():
            for attempt in chain:
                self.jobs(run_id, attempt.number)

    def _scan_once(self, what: str, scan: Callable[[], None]) -> None:
        with self._lock:
            if what not in self._scanned:
                scan()
                self._scanned.add(what)

    def commit(self, sha: str) -> dict[str, Any] | None:
        return self._commits.get_or_load(sha.lower(), lambda: self.dump.commit(sha.lower()))

    def log(self, job_id: int) -> bytes | None:
        return self.dump.log(job_id)

    def has_log(self, job_id: int) -> bool:
        return self.dump.has_log(job_id)

    def artifacts(self, run_id: int) -> list[tuple[int, str, int]]:
        """(id, name, size: the bytes its files take in the dump) of a run's artifacts, in name
        order."""

        def load() -> list[tuple[int, str, int]]:
            found = []
            for name in self.dump.artifact_names(run_id):
                art_id = artifact_id(run_id, name)
                self._artifact_index[art_id] = (run_id, name)
                found.append((art_id, name, self.dump.artifact_stored_bytes(run_id, name)))
            return found

        return self._artifacts.get_or_load(run_id, load)

    def repository_artifacts(self, view: View) -> list[tuple[RunState, str]]:
        """(run, artifact name) of every artifact ``view`` shows, newest first, as
        ``GET .../actions/artifacts`` lists them: by upload time (the run's end, see
        ``shapes.artifact_object``) descending, then run id descending, a run's own in name
        order. Only names are read (no sizes: those are read for the page asked); kept until
        the view changes, so paging through the list reads the dump's folders once."""
        cached = self._listing
        if cached is not None and cached[0] is view:
            return cached[1]
        finished = [state for state in view.runs if state.phase == "asis"]
        finished.sort(key=lambda state: (_uploaded(state.record), state.run_id), reverse=True)
        listing = [
            (state, name) for state in finished for name in self.dump.artifact_names(state.run_id)
        ]
        self._listing = (view, listing)
        return listing

    def find_artifact(self, art_id: int) -> tuple[int, str] | None:
        if art_id not in self._artifact_index:
            self._scan_once("artifacts", self._index_all_artifacts)
        return self._artifact_index.get(art_id)

    def _index_all_artifacts(self) -> None:
        for run_id in self.chains:
            for name in self.dump.artifact_names(run_id):
                self._artifact_index[artifact_id(run_id, name)] = (run_id, name)

    def artifact_files(self, run_id: int, name: str) -> dict[str, bytes]:
        """An artifact's files (the last 256 read are kept: a run's zip is asked for again
        when a fetch is retried)."""
        return self._artifact_files.get_or_load(
            (run_id, name), lambda: self.dump.artifact_files(run_id, name)
        )

    def file(self, rel: str) -> bytes | None:
        """A repository file from the dump's ``files/`` folder; None if absent or unsafe."""
        target = self._files_path(rel)
        return None if target is None else read_bytes(target)

    def listing(self, rel: str) -> Iterator[tuple[str, bool]] | None:
        """(name, is_dir) entries of a ``files/`` folder, or None when it is not a folder."""
        target = self._files_path(rel)
        if target is None or not target.is_dir():
            return None
        return (
            (p.name.removesuffix(".gz") if p.is_file() else p.name, p.is_dir())
            for p in sorted(target.iterdir())
        )

    def _files_path(self, rel: str) -> Path | None:
        parts = [part for part in rel.split("/") if part]
        if any(part in ("..", ".") or "\\" in part for part in parts):
            return None
        return self.dump.root.joinpath("files", *parts)
