"""``import``: load recorded Actions history offline through the same mapping as a sync.

Three recorded shapes are understood, all holding GitHub's own payloads:
- a dump folder (``repo.json`` + ``runs.jsonl`` ..., see shared/design/github-dump.md);
- a folder of recorded REST exchanges (``responses/*.json`` with ``request``/``status``/
  ``response``), e.g. an HTTP recording of a client's test suite;
- a single-run record (``run.json`` + ``repository.json``).
Everything goes through :func:`core.store.runs.save_run_bundle`, so imported rows equal synced rows.
A dump's CODEOWNERS file (``files/.github/CODEOWNERS``, ``files/CODEOWNERS`` or
``files/docs/CODEOWNERS``, the first found, as GitHub reads it) is kept as a sync keeps it.

An import is all or nothing: every record is checked first (:mod:`core.dump.records`: types, ids,
SHAs, times), then everything is written in one transaction, so a malformed record, a record
file over its cap or an interruption leaves the store as it was, with a sentence naming the
file, the line and the field. Logs are read as the Log Ingester keeps them (head and tail within
``max_log_bytes``, however far a ``.gz`` expands); a log or test-report file the ingester would
refuse (a damaged gzip, an XML bomb, a link out of the dump) is recorded and skipped, and the
report lists it.

Records sharing an id (:func:`_once`): the store keeps one run attempt per run id and attempt,
one job per job id and one step per job and number, so a second record with the same id would
silently replace the first while the report counted both. A record repeated exactly is
collapsed (stored once, counted once: nothing is lost, and a dump written from overlapping
pages holds such repeats); two different records sharing an id refuse the whole dump, with a
sentence naming both places. Refusing rather than keeping one: which of the two is right is a
guess no import should make, skipping one would lose data the user handed over, and an import
is all or nothing, so the user fixes the one line and imports again. A recorded REST folder is
the exception: it holds snapshots of a live API, where the same run or job fetched twice
legitimately differs (in progress, then completed), so the later recording wins there, and the
report counts each id once.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.dump.files import MAX_JSON_BYTES, Dump, not_json, read_bytes
from core.dump.records import check_record
from core.errors import CIMedicError, DumpError, MalformedReport, UnsafeInput
from core.github.codeowners import find_codeowners
from core.github.mapping import step_number
from core.logs.bounded import read_capped
from core.logs.normalise import DEFAULT_MAX_LOG_BYTES, KeptLog
from core.logs.reports.junit import TestResult, parse_junit_xml
from core.logs.sniff import SNIFF_BYTES, sniff_bytes
from core.progress import Progress, no_progress
from core.store.db import Store
from core.store.ingest import (
    JobRef,
    job_texts,
    mark_reports_read,
    store_job_log,
    store_missing_log,
    store_report,
)
from core.store.repo_files import save_codeowners
from core.store.runs import RunBundle, save_repository, save_run_bundle, save_workflows

__all__ = ["ImportReport", "import_path"]

_NOTHING = "Nothing was imported: the store is as it was."
_SHOWN_SKIPS = 3
_MAX_NUL_SHARE = 0.01  # a text log holds no NUL bytes; a few may slip in from a test's output
_CHECK_SHARE = 0.2  # of the progress bar: checking every record before writing any


@dataclass
class ImportReport:
    """What one import read, counted as ``ci-medic status`` counts what the store holds: runs
    (their latest attempts) and earlier attempts apart, jobs of every attempt, and distinct
    commits (many runs share a head commit, which is stored once). ``skipped`` names the log
    and test-report files that were refused (each one sentence), ``cut_logs`` counts the logs
    kept as head and tail because they hold more than ``max_log_bytes``."""

    repos: list[str]
    runs: int = 0
    attempts: int = 0  # earlier attempts of re-run runs
    jobs: int = 0
    messages: int = 0
    logs: int = 0
    tests: int = 0
    commit_shas: set[str] = field(default_factory=set)  # "owner/name@sha"
    skipped: list[str] = field(default_factory=list)
    cut_logs: int = 0
    max_log_bytes: int = DEFAULT_MAX_LOG_BYTES

    @property
    def commits(self) -> int:
        """Distinct commits imported."""
        return len(self.commit_shas)

    def sentence(self) -> str:
        attempts = f" (and {self.attempts:,} earlier attempts)" if self.attempts else ""
        text = (
            f"Imported {self.runs:,} runs{attempts}, {self.jobs:,} jobs, {self.commits:,} "
            f"distinct commits, {self.logs:,} logs and {self.tests:,} test results of "
            f"{', '.join(self.repos) or 'no repository'}."
        )
        if self.cut_logs:
            text += (
                f" {self.cut_logs:,} log(s) held more than {self.max_log_bytes:,} bytes: only "
                "their head and tail were kept, as the Log Ingester keeps them."
            )
        if self.skipped:
            shown = "; ".join(self.skipped[:_SHOWN_SKIPS])
            more = len(self.skipped) - _SHOWN_SKIPS
            text += (
                f" Skipped {len(self.skipped):,} file(s), recorded as the Log Ingester records "
                f"what it refuses: {shown}" + (f"; and {more:,} more." if more > 0 else "")
            )
        return text


def import_path(
    store: Store,
    path: str | Path,
    progress: Progress = no_progress,
    *,
    max_log_bytes: int = DEFAULT_MAX_LOG_BYTES,
) -> ImportReport:
    """Import whatever recorded shape ``path`` holds, all of it or nothing.

    Every record is checked (:mod:`core.dump.records`) before anything is written, and the
    writes share one transaction, so a malformed record (or an interruption) leaves the store
    as it was; DumpError names the file, the line and the field. Log and test-report files
    that are refused (a damaged gzip, an XML bomb) are recorded and skipped, as the Log
    Ingester does, and listed in the report.
    """
    root = Path(path)
    if not root.is_dir():
        raise DumpError(f"{root} is not a folder; `import` takes a dump folder.")
    if (root / "repo.json").exists() or (root / "repo.json.gz").exists():
        return _all_or_nothing(lambda: _import_dump(store, Dump(root), progress, max_log_bytes))
    if (root / "responses").is_dir():
        files = sorted((root / "responses").glob("*.json"))
        return _all_or_nothing(lambda: _import_recordings(store, files))
    if (root / "run.json").exists():
        return _all_or_nothing(lambda: _import_single_run(store, root))
    raise DumpError(
        f"{root} holds neither a dump (repo.json), recorded responses (responses/) "
        "nor a run record (run.json)."
    )


def _all_or_nothing(work: Callable[[], ImportReport]) -> ImportReport:
    """Run one import; whatever stops it is one sentence saying the store is unchanged."""
    try:
        return work()
    except CIMedicError as exc:
        said = str(exc).rstrip()
        said += "" if said.endswith((".", "!", "?")) else "."
        raise type(exc)(f"{said} {_NOTHING}") from exc
    except sqlite3.OperationalError as exc:  # locked, disk full, read-only
        raise CIMedicError(f"The store could not be written ({exc}). {_NOTHING}") from exc


@contextmanager
def _record(where: str) -> Iterator[None]:
    """Turn what the mapping or the store chokes on into a sentence naming the record."""
    try:
        yield
    except (KeyError, TypeError, ValueError, OverflowError, sqlite3.IntegrityError) as exc:
        raise DumpError(f"{where} could not be imported ({type(exc).__name__}: {exc}).") from exc


# -- a dump folder ---------------------------------------------------------------------------
@dataclass
class _Checked:
    """A dump's records, checked: what phase two writes (jobs and commits are read again)."""

    repo: dict[str, Any]
    workflows: list[dict[str, Any]]
    runs: list[tuple[int, dict[str, Any]]]  # (line in runs.jsonl, run)
    earlier: dict[int, list[dict[str, Any]]]


def _import_dump(store: Store, dump: Dump, progress: Progress, max_log_bytes: int) -> ImportReport:
    checked = _check_dump(dump, progress)
    name = checked.repo["full_name"]
    report = ImportReport([name], max_log_bytes=max_log_bytes)
    total = len(checked.runs)
    with store.transaction():
        with _record("repo.json"):
            repo_id = save_repository(store, checked.repo)
        with _record("workflows.json"):
            save_workflows(store, repo_id, checked.workflows)
        _import_codeowners(store, dump, repo_id, report)
        for index, (line, run) in enumerate(checked.runs, start=1):
            where = f"The run on runs.jsonl line {line}"
            bundle = _bundle_from_dump(dump, run, checked.earlier.get(run["id"], []))
            with _record(where):
                _save(store, repo_id, name, bundle, report)
            _import_logs_and_reports(store, dump, name, repo_id, bundle, report)
            if index % 50 == 0 or index == total:
                fraction = _CHECK_SHARE + (1 - _CHECK_SHARE) * index / total
                progress(fraction, f"Imported {index}/{total} runs")
    return report


def _import_codeowners(store: Store, dump: Dump, repo_id: int, report: ImportReport) -> None:
    """The CODEOWNERS file GitHub would use, from the dump's ``files/`` (as a sync reads it
    through the contents API); a file that cannot be read is recorded and skipped."""
    try:
        found = find_codeowners(dump.file)
    except DumpError as exc:
        report.skipped.append(str(exc))
        return
    read_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    save_codeowners(store, repo_id, found.path, found.text, found.note, read_at=read_at)


def _check_dump(dump: Dump, progress: Progress) -> _Checked:
    """Every record of the dump checked, before anything is written."""
    repo = check_record("repository", dump.repo(), "repo.json")
    workflows = [
        check_record("workflow", workflow, f"workflows.json, workflow {index}")
        for index, workflow in enumerate(dump.workflows(), start=1)
    ]
    attempts = _once(
        "attempts.jsonl",
        (
            (line, check_record("workflow run", attempt, f"attempts.jsonl line {line}"))
            for line, attempt in dump.numbered("attempts.jsonl")
        ),
        lambda attempt: (attempt["id"], attempt.get("run_attempt") or 1),
        lambda key: f"attempt {key[1]} of run {key[0]}",
        "attempt of a run",
    )
    runs = _once(
        "runs.jsonl",
        (
            (line, check_record("workflow run", run, f"runs.jsonl line {line}"))
            for line, run in dump.numbered("runs.jsonl")
        ),
        lambda run: run["id"],
        lambda key: f"run {key}",
        "run id",
    )
    latest = {run["id"]: (line, run.get("run_attempt") or 1) for line, run in runs}
    earlier: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line, attempt in attempts:
        if attempt["id"] not in latest:
            continue  # an attempt of a run the dump does not hold: nothing to attach it to
        run_line, newest = latest[attempt["id"]]
        number = attempt.get("run_attempt") or 1
        if number >= newest:
            raise DumpError(
                f"attempts.jsonl line {line}, field run_attempt: is {number}, not below the "
                f"latest attempt ({newest}) of run {attempt['id']} on runs.jsonl line {run_line}."
            )
        earlier[attempt["id"]].append(attempt)
    owners: dict[int, str] = {}  # job id -> where the dump first holds it
    for index, (_, run) in enumerate(runs, start=1):
        _bundle_from_dump(dump, run, earlier.get(run["id"], []), owners)  # checks; dropped
        if index % 50 == 0 or index == len(runs):
            progress(_CHECK_SHARE * index / len(runs), f"Checked {index}/{len(runs)} runs")
    return _Checked(repo, workflows, runs, dict(earlier))


def _once(
    name: str,
    records: Iterable[tuple[int, dict[str, Any]]],
    key: Callable[[dict[str, Any]], Hashable],
    label: Callable[[Any], str],
    per: str,
) -> list[tuple[int, dict[str, Any]]]:
    """The (line, record) pairs of JSON Lines file ``name`` with one record per ``key``: a
    record repeated exactly is dropped (it would be stored once, so it is counted once); two
    different records with the same key are a DumpError naming both lines, since the store
    would keep only the later one and the import would report both (see the module's
    docstring for why refusing is the right answer)."""
    first: dict[Hashable, tuple[int, dict[str, Any]]] = {}
    kept = []
    for line, record in records:
        found = first.setdefault(key(record), (line, record))
        if found[1] is record:
            kept.append((line, record))
        elif found[1] != record:
            raise DumpError(
                f"{name} line {line}, field id: {label(key(record))} is also on line "
                f"{found[0]}, with other values; the store keeps one record per {per}, so one of "
                "the two would be lost. Remove the wrong line, or give it its own id."
            )
    return kept


def _bundle_from_dump(
    dump: Dump, run: dict[str, Any], earlier: list[dict], owners: dict[int, str] | None = None
) -> RunBundle:
    """A checked run with its checked jobs (every attempt) and commit; ``owners`` (job id ->
    where it was read), when given, refuses a job id found in two jobs files."""
    run_id, latest = run["id"], run.get("run_attempt") or 1
    bundle = RunBundle(run=run, earlier_attempts=sorted(earlier, key=lambda a: a["run_attempt"]))
    bundle.jobs[latest] = _checked_jobs(dump, run_id, None, latest, owners)
    for attempt in bundle.earlier_attempts:
        number = attempt["run_attempt"]
        bundle.jobs[number] = _checked_jobs(dump, run_id, number, number, owners)
    sha = run.get("head_sha")
    if sha:
        bundle.commit = _checked_commit(dump, sha)
    return bundle


def _checked_jobs(
    dump: Dump,
    run_id: int,
    file_attempt: int | None,
    attempt: int,
    owners: dict[int, str] | None = None,
) -> list[dict[str, Any]]:
    """The checked jobs of one jobs file, each id once: a job repeated exactly is dropped, a
    different job with the same id (in this file, or in another one when ``owners`` holds
    where each job id was read) or two different steps with one number are a DumpError."""
    rel = dump.jobs_file(run_id, file_attempt)
    jobs = dump.jobs(run_id, file_attempt) or []
    kept: list[dict[str, Any]] = []
    first: dict[int, tuple[int, dict[str, Any]]] = {}
    for index, job in enumerate(jobs, start=1):
        where = f"{rel}, job {index}"
        check_record("job", job, where)
        for key, expected in (("run_id", run_id), ("run_attempt", attempt)):
            if job.get(key) is not None and job[key] != expected:
                raise DumpError(
                    f"{where}, field {key}: is {job[key]}, not {expected}, the "
                    f"{'run' if key == 'run_id' else 'attempt'} this file holds jobs of."
                )
        _check_step_numbers(job, where)
        seen = first.setdefault(job["id"], (index, job))
        if seen[1] is not job:
            if seen[1] == job:
                continue  # the same job twice: stored once, counted once
            raise DumpError(
                f"{where}, field id: job {job['id']} is also job {seen[0]} of this file, with "
                "other values; the store keeps one job per id, so one of the two would be "
                "lost. Remove the wrong job, or give it its own id."
            )
        if owners is not None:
            other = owners.setdefault(job["id"], f"job {index} of {rel}")
            if other != f"job {index} of {rel}":
                raise DumpError(
                    f"{where}, field id: job {job['id']} is also {other}; a job belongs to one "
                    "run attempt and the store keeps one job per id, so one of the two would "
                    "be lost. Give each job its own id."
                )
        kept.append(job)
    return kept


def _check_step_numbers(job: dict[str, Any], where: str) -> None:
    """A DumpError when two different steps of ``job`` have one number (as the store numbers
    them: :func:`core.github.mapping.step_number`), since it keeps one step per job and number;
    a step repeated exactly is stored once and loses nothing."""
    steps = job.get("steps") or []
    first: dict[int, tuple[int, dict[str, Any]]] = {}
    for index, step in enumerate(steps):
        number = step_number(step, index + 1)
        seen = first.setdefault(number, (index, step))
        if seen[1] is not step and seen[1] != step:
            raise DumpError(
                f"{where}, field steps[{index}].number: step {number} is also "
                f"steps[{seen[0]}], with other values; the store keeps one step per number, so "
                "one of the two would be lost. Number the steps 1, 2, 3 ... as GitHub does."
            )


def _checked_commit(dump: Dump, sha: str) -> dict[str, Any] | None:
    commit = dump.commit(sha)
    if commit is None:
        return None
    where = f"commits/{sha}.json"
    check_record("commit", commit, where)
    if commit.get("sha") and str(commit["sha"]).lower() != sha.lower():
        raise DumpError(f"{where}, field sha: is {commit['sha']!r}, not the {sha} it is named by.")
    commit["sha"] = commit.get("sha") or sha
    return commit


def _import_logs_and_reports(
    store: Store, dump: Dump, repo: str, repo_id: int, bundle: RunBundle, report: ImportReport
) -> None:
    """The dump's job logs and JUnit artifacts, stored exactly as the Log Ingester stores them;
    a file it would refuse is recorded and skipped, as it does."""
    run_id, latest = int(bundle.run["id"]), int(bundle.run.get("run_attempt") or 1)
    for attempt, jobs in bundle.jobs.items():
        for job in jobs:
            ref = JobRef(job["id"], run_id, attempt, job.get("name") or "", job.get("conclusion"))
            _import_log(store, dump, repo, repo_id, ref, report)
    names = dump.artifact_names(run_id)
    if not names:
        return
    run_jobs = job_texts(store, repo_id, run_id, latest)
    tests, errors = 0, []
    for name in names:
        results, error = _artifact_results(dump, run_id, name, report)
        if error:
            errors.append(error)
        if results and store_report(store, repo_id, run_id, latest, name, results, run_jobs):
            tests += len(results)
    mark_reports_read(store, repo_id, run_id, latest, len(names), tests, "; ".join(errors) or None)
    report.tests += tests


def _import_log(
    store: Store, dump: Dump, repo: str, repo_id: int, ref: JobRef, report: ImportReport
) -> None:
    try:
        kept = dump.kept_log(ref.job_id, report.max_log_bytes)
    except (UnsafeInput, OSError) as exc:
        reason = str(exc) if isinstance(exc, UnsafeInput) else f"logs/{ref.job_id}.txt: {exc}"
        store_missing_log(store, repo_id, ref.job_id, "error", reason)
        report.skipped.append(reason)
        return
    if kept is None:
        return
    kind = _not_text(kept)
    if kind is not None:
        reason = (
            f"logs/{ref.job_id}.txt ({kept.original_bytes:,} bytes) looks like {kind}, not a "
            "log; it was not stored."
        )
        store_missing_log(store, repo_id, ref.job_id, "error", reason)
        report.skipped.append(reason)
        return
    report.cut_logs += kept.truncated
    report.tests += store_job_log(store, repo, repo_id, ref, kept)
    report.logs += 1


def _not_text(kept: KeptLog) -> str | None:
    """What a kept log looks like when it is no text (as ``ci-medic rca`` refuses it): its
    first and last bytes are sniffed, and NUL bytes counted throughout."""
    for part in (kept.head[:SNIFF_BYTES], kept.tail[-SNIFF_BYTES:]):
        kind = sniff_bytes(part) if part else None
        if kind is not None:
            return kind
    size = len(kept.head) + len(kept.tail)
    nuls = kept.head.count(b"\x00") + kept.tail.count(b"\x00")
    return "a binary file" if size and nuls / size > _MAX_NUL_SHARE else None


def _artifact_results(
    dump: Dump, run_id: int, name: str, report: ImportReport
) -> tuple[list[TestResult], str | None]:
    """The JUnit results of one artifact's XML files and what was wrong with it (if anything):
    a refused file is skipped, a malformed one keeps the tests read before the fault."""
    folder = f"artifacts/{run_id}/{name}"
    try:
        files = dump.artifact_files(run_id, name, only=lambda rel: rel.lower().endswith(".xml"))
    except (UnsafeInput, OSError) as exc:
        report.skipped.append(f"{folder}: {exc}")
        return [], f"{name}: {exc}"
    results: list[TestResult] = []
    errors = []
    for rel, content in sorted(files.items()):
        try:
            results.extend(parse_junit_xml(content))
        except MalformedReport as exc:
            results.extend(exc.partial)
            kept = f" (the {len(exc.partial):,} tests before the fault were kept)"
            report.skipped.append(f"{folder}/{rel}: {exc}{kept if exc.partial else ''}")
            errors.append(f"{name}/{rel}: {exc}")
        except UnsafeInput as exc:
            report.skipped.append(f"{folder}/{rel}: {exc}")
            errors.append(f"{name}/{rel}: {exc}")
    return results, "; ".join(errors) or None


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


def _load(path: Path) -> Any:
    """A recorded JSON file, read with the record cap (DumpError with a sentence otherwise)."""
    try:
        raw = read_capped(path, MAX_JSON_BYTES, name=path.name)
        return json.loads(raw)
    except UnsafeInput as exc:
        raise DumpError(str(exc)) from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DumpError(not_json(path.name, exc)) from exc


def _recorded(files: list[Path]) -> Iterator[tuple[str, str, str, Any]]:
    """(file name, repo full name, path after the repo, JSON body) of every successful
    recorded GET."""
    for file in files:
        record = _load(file)
        if not isinstance(record, dict):
            continue
        request = record.get("request") if isinstance(record.get("request"), dict) else {}
        match = _REPO_PATH.match(str(request.get("path", "")))
        if record.get("status") == 200 and match and request.get("method", "GET") == "GET":
            yield file.name, match.group("repo"), match.group("rest") or "", record.get("response")


def _listed(body: dict[str, Any], key: str, single: bool) -> list[tuple[str, Any]]:
    """(where, item) of a page's ``key`` list, or of the body itself when it is one item."""
    items = body.get(key)
    if isinstance(items, list) and items:
        return [(f"response.{key}[{index}]", item) for index, item in enumerate(items)]
    return [("response", body)] if single else []


def _import_recordings(store: Store, files: list[Path]) -> ImportReport:
    runs: dict[str, dict[int, dict]] = defaultdict(dict)  # the later recording of an id wins
    by_id: dict[int, dict] = {}  # job id -> its later recording (so a job is counted once)
    commits: dict[str, dict] = {}
    for file, repo, rest, body in _recorded(files):
        if not isinstance(body, dict):
            continue
        for where, run in _listed(body, "workflow_runs", _is_run(rest)):
            check_record("workflow run", run, f"{file}, {where}")
            runs[repo][run["id"]] = run
        for where, job in _listed(body, "jobs", "/actions/jobs/" in rest):
            check_record("job", job, f"{file}, {where}")
            if job.get("run_id") is None:
                continue  # a job that names no run cannot be attached to one
            by_id[job["id"]] = job
        if rest.startswith("/commits/") and body.get("sha"):
            commits[check_record("commit", body, f"{file}, response")["sha"]] = body
    jobs: dict[int, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for job in by_id.values():
        jobs[job["run_id"]][job.get("run_attempt") or 1].append(job)
    report = ImportReport(sorted(runs))
    with store.transaction():
        for repo, repo_runs in sorted(runs.items()):
            with _record(f"The repository {repo}"):
                repo_id = save_repository(
                    store, _repo_from_run(repo, next(iter(repo_runs.values())))
                )
            for run in repo_runs.values():
                bundle = RunBundle(
                    run=run,
                    jobs=dict(jobs.get(run["id"], {})),
                    commit=commits.get(run.get("head_sha") or ""),
                )
                with _record(f"The recorded run {run['id']}"):
                    _save(store, repo_id, repo, bundle, report)
    return report


def _is_run(rest: str) -> bool:
    return re.fullmatch(r"/actions/runs/\d+(/attempts/\d+)?", rest) is not None


def _repo_from_run(full_name: str, run: dict[str, Any]) -> dict[str, Any]:
    repo = dict(run.get("repository") or {})
    repo.setdefault("full_name", full_name)
    repo.setdefault("html_url", f"https://github.com/{full_name}")
    return check_record("repository", repo, f"The repository of run {run.get('id')}")


def _import_single_run(store: Store, root: Path) -> ImportReport:
    record = _load_object(root / "run.json")
    meta = _load_object(root / "repository.json")
    run = record.get("metadata", record)  # GHALogs wraps the payload in "metadata"
    if not isinstance(run, dict):
        raise DumpError(f"{root / 'run.json'} is not a workflow run payload.")
    repository = run.get("repository") if isinstance(run.get("repository"), dict) else {}
    full_name = repository.get("full_name") or record.get("repository_name") or meta.get("_id")
    if not full_name or "id" not in run:
        raise DumpError(f"{root / 'run.json'} is not a workflow run payload.")
    check_record(
        "workflow run", run, "run.json" + (", field metadata" if run is not record else "")
    )
    repo = _repo_from_run(str(full_name), run)
    details = meta.get("repo") if isinstance(meta.get("repo"), dict) else {}
    if repo.get("default_branch") is None and isinstance(details.get("defaultBranch"), str):
        repo["default_branch"] = details["defaultBranch"]
    report = ImportReport([repo["full_name"]])
    with store.transaction(), _record("run.json"):
        repo_id = save_repository(store, repo)
        _save(store, repo_id, repo["full_name"], RunBundle(run=run), report)
    return report


def _load_object(path: Path) -> dict[str, Any]:
    """A JSON object file (plain or .gz) of a run record; {} when absent."""
    raw = read_bytes(path, MAX_JSON_BYTES)
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DumpError(not_json(path.name, exc)) from exc
    if not isinstance(data, dict):
        raise DumpError(f"{path.name} must be a JSON object, not {type(data).__name__}.")
    return data
