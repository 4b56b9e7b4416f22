"""``import``: load recorded Actions history offline through the same mapping as a sync.

Three recorded shapes are understood, all holding GitHub's own payloads:
- a dump folder (``repo.json`` + ``runs.jsonl`` ..., see shared/design/github-dump.md);
- a folder of recorded REST exchanges (``responses/*.json`` with ``request``/``status``/
  ``response``), e.g. an HTTP recording of a client's test suite;
- a single-run record (``run.json`` + ``repository.json``).
Everything goes through :func:`core.store.runs.save_run_bundle`, so imported rows equal synced rows.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.dump.files import Dump, read_bytes
from core.errors import DumpError
from core.logs.normalise import keep_head_and_tail
from core.progress import Progress, no_progress
from core.store.db import Store
from core.store.ingest import (
    JobRef,
    job_texts,
    junit_from_files,
    mark_reports_read,
    store_job_log,
    store_report,
)
from core.store.runs import RunBundle, save_repository, save_run_bundle, save_workflows

__all__ = ["ImportReport", "import_path"]


@dataclass
class ImportReport:
    """What one import read, counted as ``ci-medic status`` counts what the store holds: runs
    (their latest attempts) and earlier attempts apart, jobs of every attempt, and distinct
    commits (many runs share a head commit, which is stored once)."""

    repos: list[str]
    runs: int = 0
    attempts: int = 0  # earlier attempts of re-run runs
    jobs: int = 0
    messages: int = 0
    logs: int = 0
    tests: int = 0
    commit_shas: set[str] = field(default_factory=set)  # "owner/name@sha"

    @property
    def commits(self) -> int:
        """Distinct commits imported."""
        return len(self.commit_shas)

    def sentence(self) -> str:
        attempts = f" (and {self.attempts:,} earlier attempts)" if self.attempts else ""
        return (
            f"Imported {self.runs:,} runs{attempts}, {self.jobs:,} jobs, {self.commits:,} "
            f"distinct commits, {self.logs:,} logs and {self.tests:,} test results of "
            f"{', '.join(self.repos) or 'no repository'}."
        )


def import_path(store: Store, path: str | Path, progress: Progress = no_progress) -> ImportReport:
    """Import whatever recorded shape ``path`` holds; raise DumpError with a clear sentence."""
    root = Path(path)
    if not root.is_dir():
        raise DumpError(f"{root} is not a folder; `import` takes a dump folder.")
    if (root / "repo.json").exists() or (root / "repo.json.gz").exists():
        return _import_dump(store, Dump(root), progress)
    if (root / "responses").is_dir():
        return _import_recordings(store, sorted((root / "responses").glob("*.json")))
    if (root / "run.json").exists():
        return _import_single_run(store, root)
    raise DumpError(
        f"{root} holds neither a dump (repo.json), recorded responses (responses/) "
        "nor a run record (run.json)."
    )


def _import_dump(store: Store, dump: Dump, progress: Progress) -> ImportReport:
    repo = dump.repo()
    repo_id = save_repository(store, repo)
    save_workflows(store, repo_id, dump.workflows())
    earlier: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for attempt in dump.attempts():
        earlier[int(attempt["id"])].append(attempt)
    report = ImportReport([repo["full_name"]])
    runs = list(dump.runs())
    for index, run in enumerate(runs, start=1):
        bundle = _bundle_from_dump(dump, run, earlier.get(int(run["id"]), []))
        _save(store, repo_id, repo["full_name"], bundle, report)
        _import_logs_and_reports(store, dump, repo["full_name"], repo_id, bundle, report)
        if index % 50 == 0 or index == len(runs):
            progress(index / len(runs), f"Imported {index}/{len(runs)} runs")
    return report


def _import_logs_and_reports(
    store: Store, dump: Dump, repo: str, repo_id: int, bundle: RunBundle, report: ImportReport
) -> None:
    """The dump's job logs and JUnit artifacts, stored exactly as the Log Ingester stores them."""
    for attempt, jobs in bundle.jobs.items():
        for job in jobs:
            raw = dump.log(int(job["id"]))
            if raw is None:
                continue
            ref = JobRef(
                int(job["id"]),
                int(bundle.run["id"]),
                attempt,
                job.get("name", ""),
                job.get("conclusion"),
            )
            report.tests += store_job_log(store, repo, repo_id, ref, keep_head_and_tail(raw))
            report.logs += 1
    run_id, latest = int(bundle.run["id"]), int(bundle.run.get("run_attempt") or 1)
    names = dump.artifact_names(run_id)
    run_jobs = job_texts(store, run_id, latest) if names else ({}, frozenset())
    tests = 0
    for name in names:
        results = junit_from_files(dump.artifact_files(run_id, name))
        if (
            results
            and store_report(store, repo_id, run_id, latest, name, results, run_jobs) is not None
        ):
            tests += len(results)
    if names:
        mark_reports_read(store, repo_id, run_id, latest, len(names), tests, None)
        report.tests += tests


def _bundle_from_dump(dump: Dump, run: dict[str, Any], earlier: list[dict]) -> RunBundle:
    run_id, latest = int(run["id"]), int(run.get("run_attempt") or 1)
    bundle = RunBundle(run=run, earlier_attempts=sorted(earlier, key=lambda a: a["run_attempt"]))
    bundle.jobs[latest] = dump.jobs(run_id) or []
    for attempt in bundle.earlier_attempts:
        number = int(attempt["run_attempt"])
        bundle.jobs[number] = dump.jobs(run_id, number) or []
    if run.get("head_sha"):
        bundle.commit = dump.commit(run["head_sha"])
    return bundle


def _save(store: Store, repo_id: int, name: str, bundle: RunBundle, report: ImportReport) -> None:
    report.messages += save_run_bundle(store, repo_id, name, bundle)
    report.runs += 1
    report.attempts += len(bundle.earlier_attempts)
    report.jobs += sum(len(jobs) for jobs in bundle.jobs.values())
    if bundle.commit is not None:
        sha = bundle.commit.get("sha") or bundle.run.get("head_sha")
        report.commit_shas.add(f"{name}@{sha}")  # a commit is stored once per repository


# -- recorded REST exchanges ---------------------------------------------------------------
_REPO_PATH = re.compile(r"^/repos/(?P<repo>[^/]+/[^/?]+)(?P<rest>/[^?]*)?")


def _recorded(files: list[Path]) -> Iterator[tuple[str, str, Any]]:
    """(repo full name, path after the repo, JSON body) of every successful recorded GET."""
    for file in files:
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DumpError(f"{file.name} is not valid JSON: {exc}") from exc
        request = record.get("request") or {}
        match = _REPO_PATH.match(str(request.get("path", "")))
        if record.get("status") == 200 and match and request.get("method", "GET") == "GET":
            yield match.group("repo"), match.group("rest") or "", record.get("response")


def _import_recordings(store: Store, files: list[Path]) -> ImportReport:
    runs: dict[str, dict[int, dict]] = defaultdict(dict)
    jobs: dict[int, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    commits: dict[str, dict] = {}
    for repo, rest, body in _recorded(files):
        if not isinstance(body, dict):
            continue
        for run in body.get("workflow_runs") or ([body] if _is_run(rest) else []):
            runs[repo][int(run["id"])] = run
        for job in body.get("jobs") or ([body] if "/actions/jobs/" in rest else []):
            jobs[int(job["run_id"])][int(job.get("run_attempt") or 1)].append(job)
        if rest.startswith("/commits/") and body.get("sha"):
            commits[body["sha"]] = body
    report = ImportReport(sorted(runs))
    for repo, by_id in sorted(runs.items()):
        repo_id = save_repository(store, _repo_from_run(repo, next(iter(by_id.values()))))
        for run in by_id.values():
            bundle = RunBundle(
                run=run,
                jobs=dict(jobs.get(int(run["id"]), {})),
                commit=commits.get(run.get("head_sha") or ""),
            )
            _save(store, repo_id, repo, bundle, report)
    return report


def _is_run(rest: str) -> bool:
    return re.fullmatch(r"/actions/runs/\d+(/attempts/\d+)?", rest) is not None


def _repo_from_run(full_name: str, run: dict[str, Any]) -> dict[str, Any]:
    repo = dict(run.get("repository") or {})
    repo.setdefault("full_name", full_name)
    repo.setdefault("html_url", f"https://github.com/{full_name}")
    return repo


def _import_single_run(store: Store, root: Path) -> ImportReport:
    record = json.loads(read_bytes(root / "run.json") or b"{}")
    meta = json.loads(read_bytes(root / "repository.json") or b"{}")
    run = record.get("metadata", record)  # GHALogs wraps the payload in "metadata"
    full_name = (
        (run.get("repository") or {}).get("full_name")
        or record.get("repository_name")
        or meta.get("_id")
    )
    if not full_name or "id" not in run:
        raise DumpError(f"{root / 'run.json'} is not a workflow run payload.")
    repo = _repo_from_run(full_name, run)
    repo.setdefault("default_branch", (meta.get("repo") or {}).get("defaultBranch"))
    repo_id = save_repository(store, repo)
    report = ImportReport([full_name])
    _save(store, repo_id, full_name, RunBundle(run=run), report)
    return report
