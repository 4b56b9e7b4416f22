"""Build small, valid, GitHub-shaped dumps for tests (runs, attempts, jobs, steps, logs, ...).

Deterministic: the same arguments always give the same ids, times and bytes, so tests can
name runs and jobs by index (``run_id(0)`` is the oldest run) and reason about time travel
with ``attempt_window(index, attempt)``. Records carry ``https://api.github.com`` URLs on
purpose, as real recorded payloads do, so that the emulator's URL rewriting is exercised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.dump.files import Dump, DumpWriter, resolve

__all__ = [
    "DURATION",
    "EVERY",
    "FULL_NAME",
    "START",
    "WORKFLOW_IDS",
    "attempt_window",
    "job_id",
    "job_log",
    "job_window",
    "make_dump",
    "move_latest_attempt",
    "run_id",
    "sha_of",
]

FULL_NAME = "octo-org/demo"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EVERY = timedelta(hours=1)
DURATION = timedelta(minutes=10)
RERUN_GAP = timedelta(minutes=5)
WORKFLOW_IDS = (161335, 161336)
_WORKFLOW_FILES = ("ci.yml", "lint.yml")
API = "https://api.github.com"


def run_id(index: int) -> int:
    """Id of the index-th run (0 = oldest)."""
    return 9_000_000_000 + index * 1000


def job_id(index: int, attempt: int = 1, job: int = 0) -> int:
    """Id of job ``job`` in attempt ``attempt`` of run ``index``."""
    return 25_000_000_000 + index * 1000 + attempt * 10 + job


def sha_of(index: int) -> str:
    return hashlib.sha1(f"commit-{index}".encode()).hexdigest()


def attempt_window(index: int, attempt: int = 1) -> tuple[datetime, datetime]:
    """(start, end) of one attempt: runs start ``EVERY`` apart; re-runs follow after a gap."""
    start = START + index * EVERY + (attempt - 1) * (DURATION + RERUN_GAP)
    return start, start + DURATION


def job_window(index: int, attempt: int, job: int, jobs: int) -> tuple[datetime, datetime]:
    """Jobs start together 5 s into the attempt and end one after another, the last at its end."""
    start, _ = attempt_window(index, attempt)
    return start + timedelta(seconds=5), start + DURATION * (job + 1) / jobs


def _ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": 1000 + len(login),
        "type": "User",
        "site_admin": False,
        "url": f"{API}/users/{login}",
        "html_url": f"https://github.com/{login}",
    }


def _run(index: int, attempt: int, full: str, conclusion: str | None, wf: int) -> dict[str, Any]:
    start, end = attempt_window(index, attempt)
    rid, sha = run_id(index), sha_of(index)
    wf_id, api = WORKFLOW_IDS[wf], f"{API}/repos/{full}/actions/runs/{rid}"
    actor = _user("alice" if index % 2 == 0 else "bob")
    return {
        "id": rid,
        "name": "CI" if wf == 0 else "Lint",
        "node_id": f"WFR_{rid}",
        "head_branch": "main" if index % 3 else "feature/x",
        "head_sha": sha,
        "path": f".github/workflows/{_WORKFLOW_FILES[wf]}",
        "display_title": f"Change {index}",
        "run_number": index + 1,
        "event": "push" if index % 2 == 0 else "pull_request",
        "status": "completed" if conclusion else "in_progress",
        "conclusion": conclusion,
        "workflow_id": wf_id,
        "check_suite_id": rid + 7,
        "url": api,
        "html_url": f"https://github.com/{full}/actions/runs/{rid}",
        "pull_requests": [] if index % 2 == 0 else [{"number": 100 + index}],
        "created_at": _ts(attempt_window(index, 1)[0]),
        "updated_at": _ts(end if conclusion else start + DURATION / 2),
        "actor": actor,
        "triggering_actor": actor,
        "run_attempt": attempt,
        "run_started_at": _ts(start),
        "jobs_url": f"{api}/jobs",
        "logs_url": f"{api}/logs",
        "workflow_url": f"{API}/repos/{full}/actions/workflows/{wf_id}",
        "head_commit": {"id": sha, "message": f"Change {index}", "timestamp": _ts(start)},
    }


_STEPS = ("Set up job", "Run actions/checkout@v4", "Run pytest -q", "Complete job")


def _steps(start: datetime, end: datetime, failed: bool, done: bool) -> list[dict[str, Any]]:
    span = (end - start) / len(_STEPS)
    steps = []
    for number, name in enumerate(_STEPS, start=1):
        s_start, s_end = start + (number - 1) * span, start + number * span
        bad = failed and number == 3
        skipped = failed and number == 4
        steps.append(
            {
                "name": name,
                "number": number,
                "status": "completed" if done else "queued",
                "conclusion": ("failure" if bad else "skipped" if skipped else "success")
                if done
                else None,
                "started_at": _ts(s_start) if done else None,
                "completed_at": _ts(s_end) if done else None,
            }
        )
    return steps


def _job(
    index: int,
    attempt: int,
    j: int,
    jobs: int,
    full: str,
    run_conclusion: str | None,
) -> dict[str, Any]:
    start, end = job_window(index, attempt, j, jobs)
    done = run_conclusion is not None or j == 0
    failed = run_conclusion == "failure" and j == jobs - 1
    jid, rid = job_id(index, attempt, j), run_id(index)
    return {
        "id": jid,
        "run_id": rid,
        "run_attempt": attempt,
        "node_id": f"CR_{jid}",
        "head_sha": sha_of(index),
        "url": f"{API}/repos/{full}/actions/jobs/{jid}",
        "html_url": f"https://github.com/{full}/actions/runs/{rid}/job/{jid}",
        "status": "completed" if done else "in_progress",
        "conclusion": ("failure" if failed else "success") if done else None,
        "created_at": _ts(start - timedelta(seconds=4)),
        "started_at": _ts(start),
        "completed_at": _ts(end) if done else None,
        "name": f"test (py3.{10 + j})",
        "steps": _steps(start, end, failed, done),
        "labels": ["ubuntu-latest"],
        "runner_id": 10 + j,
        "runner_name": f"GitHub Actions {10 + j}",
        "runner_group_id": 2,
        "runner_group_name": "GitHub Actions",
    }


def job_log(job: dict[str, Any]) -> str:
    """A job log in GitHub's raw format: timestamped lines, ``##[group]Run`` per step."""
    when = datetime.fromisoformat(job["started_at"].replace("Z", "+00:00"))
    failed = job["conclusion"] == "failure"
    lines = [
        "Current runner version: '2.317.0'",
        "##[group]Operating System",
        "Ubuntu 22.04",
        "##[endgroup]",
        "##[group]Run actions/checkout@v4",
        "with:",
        "##[endgroup]",
        "Syncing repository: octo-org/demo",
        "##[group]Run pytest -q",
        "pytest -q",
        "##[endgroup]",
        "tests/test_api.py::test_ok PASSED",
        f"tests/test_api.py::test_flaky {'FAILED' if failed else 'PASSED'}",
    ]
    if failed:
        lines += [
            "FAILED tests/test_api.py::test_flaky - AssertionError: timeout",
            "##[error]Process completed with exit code 1.",
        ]
    lines += ["Post job cleanup.", "Cleaning up orphan processes"]
    stamp = [
        (when + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        for i in range(len(lines))
    ]
    return "".join(f"{t} {line}\n" for t, line in zip(stamp, lines, strict=True))


def _junit(failed: bool) -> bytes:
    case = (
        '<testcase classname="tests.test_api" name="test_flaky" time="0.5">'
        + ('<failure message="AssertionError: timeout"/>' if failed else "")
        + "</testcase>"
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
        f'tests="2" failures="{int(failed)}"><testcase classname="tests.test_api" '
        f'name="test_ok" time="0.1"/>{case}</testsuite></testsuites>'
    ).encode()


def _commit(index: int, full: str) -> dict[str, Any]:
    sha, when = sha_of(index), _ts(attempt_window(index, 1)[0] - timedelta(minutes=2))
    files = [
        {
            "filename": f"src/module_{k}.py",
            "status": "modified",
            "additions": 3 + k,
            "deletions": k,
            "changes": 3 + 2 * k,
            "patch": "@@ -1 +1 @@\n-a\n+b",
            "raw_url": f"https://github.com/{full}/raw/{sha}/src/module_{k}.py",
            "contents_url": f"{API}/repos/{full}/contents/src/module_{k}.py?ref={sha}",
        }
        for k in range(1 + index % 3)
    ]
    adds, dels = sum(f["additions"] for f in files), sum(f["deletions"] for f in files)
    author = {"name": "Alice", "email": "alice@example.com", "date": when}
    return {
        "sha": sha,
        "node_id": f"C_{sha[:8]}",
        "url": f"{API}/repos/{full}/commits/{sha}",
        "html_url": f"https://github.com/{full}/commit/{sha}",
        "commit": {"message": f"Change {index}", "author": author, "committer": author},
        "author": _user("alice"),
        "committer": _user("alice"),
        "parents": [{"sha": sha_of(index - 1)}] if index else [],
        "stats": {"additions": adds, "deletions": dels, "total": adds + dels},
        "files": files,
    }


def _workflows(full: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": WORKFLOW_IDS[k],
            "node_id": f"W_{WORKFLOW_IDS[k]}",
            "name": "CI" if k == 0 else "Lint",
            "path": f".github/workflows/{_WORKFLOW_FILES[k]}",
            "state": "active",
            "created_at": "2023-01-01T00:00:00.000Z",
            "updated_at": "2023-01-01T00:00:00.000Z",
            "url": f"{API}/repos/{full}/actions/workflows/{WORKFLOW_IDS[k]}",
        }
        for k in range(count)
    ]


@dataclass(frozen=True)
class _Plan:
    """What ``make_dump`` was asked for, passed to the per-run writer."""

    attempts: Mapping[int, int]
    jobs_per_run: int
    fail_every: int
    in_progress: Collection[int]
    expired_logs: Collection[int]
    workflows: int
    full_name: str
    with_logs: bool
    with_artifacts: bool

    def conclusion(self, index: int, attempt: int) -> str | None:
        """Earlier attempts fail; the latest fails every ``fail_every``-th run or is running."""
        latest = attempt == self.attempts.get(index, 1)
        if latest and index in self.in_progress:
            return None
        failing = self.fail_every and (index + 1) % self.fail_every == 0
        return "failure" if (failing or not latest) else "success"


def _write_attempt(writer: DumpWriter, plan: _Plan, index: int, attempt: int) -> dict[str, Any]:
    """Jobs, logs and artifacts of one attempt; returns its workflow_run record."""
    latest = attempt == plan.attempts.get(index, 1)
    conclusion = plan.conclusion(index, attempt)
    run = _run(index, attempt, plan.full_name, conclusion, index % plan.workflows)
    jobs = [
        _job(index, attempt, j, plan.jobs_per_run, plan.full_name, conclusion)
        for j in range(plan.jobs_per_run)
    ]
    writer.jobs(run["id"], jobs, attempt=None if latest else attempt)
    for job in jobs:
        if plan.with_logs and job["status"] == "completed" and index not in plan.expired_logs:
            writer.log(job["id"], job_log(job))
    if latest and conclusion and plan.with_artifacts:
        writer.artifact_file(
            run["id"], "test-results", "junit.xml", _junit(conclusion == "failure")
        )
    return run


def make_dump(
    root: str | Path,
    runs: int = 5,
    *,
    attempts: Mapping[int, int] | None = None,
    jobs_per_run: int = 2,
    fail_every: int = 3,
    in_progress: Collection[int] = (),
    expired_logs: Collection[int] = (),
    workflows: int = 1,
    full_name: str = FULL_NAME,
    with_logs: bool = True,
    with_artifacts: bool = True,
    with_commits: bool = True,
    with_files: bool = True,
    compress: bool = False,
) -> Path:
    """Write a dump of ``runs`` runs (index 0 oldest) and return its folder.

    attempts: run index -> number of attempts (earlier ones fail, the latest decides).
    fail_every: every n-th run (index n-1, 2n-1, ...) fails in its latest attempt; 0: none.
    in_progress: run indexes stored unfinished (first job done, the rest running).
    expired_logs: run indexes whose logs are missing (GitHub's expired logs).
    workflows: 1 or 2 (``ci.yml``, ``lint.yml``); run i belongs to workflow i % workflows.
    """
    plan = _Plan(
        dict(attempts or {}),
        jobs_per_run,
        fail_every,
        set(in_progress),
        set(expired_logs),
        workflows,
        full_name,
        with_logs,
        with_artifacts,
    )
    writer = DumpWriter(root, compress=compress)
    owner, name = full_name.split("/")
    writer.repo(
        {
            "id": 424242,
            "node_id": "R_demo",
            "name": name,
            "full_name": full_name,
            "private": False,
            "default_branch": "main",
            "owner": {"login": owner, "type": "Organization"},
            "html_url": f"https://github.com/{full_name}",
            "url": f"{API}/repos/{full_name}",
        }
    )
    writer.workflows(_workflows(full_name, workflows))
    latest_runs, earlier_runs = [], []
    for index in range(runs):
        top = plan.attempts.get(index, 1)
        earlier_runs += [_write_attempt(writer, plan, index, n) for n in range(1, top)]
        latest_runs.append(_write_attempt(writer, plan, index, top))
        if with_commits:
            writer.commit(_commit(index, full_name))
    writer.runs(latest_runs)
    if earlier_runs:
        writer.attempts(earlier_runs)
    if with_files:
        writer.file(".github/workflows/ci.yml", b"name: CI\non: [push, pull_request]\n")
        writer.file("README.md", b"# demo\n")
    return Path(root)


_JOB_TIMES = ("created_at", "started_at", "completed_at")


def _shift(value: str | None, by: timedelta) -> str | None:
    if not value:
        return value
    return _ts(datetime.fromisoformat(value.replace("Z", "+00:00")) + by)


def move_latest_attempt(root: str | Path, index: int, start: datetime) -> timedelta:
    """Move the latest attempt (a re-run) of run ``index`` so it starts at ``start``.

    ``make_dump`` re-runs a run minutes after its first attempt; this turns it into a re-run
    made days later (e.g. after the sync's look-back window), which time travel then hides
    until ``start``. The run keeps its ``created_at``; its jobs and steps move with it.
    Returns the shift applied.
    """
    dump, rid = Dump(root), run_id(index)
    runs = list(dump.runs())
    record = next(r for r in runs if int(r["id"]) == rid)
    if int(record.get("run_attempt") or 1) < 2:
        raise ValueError(f"run {index} has a single attempt; make_dump(attempts={{{index}: 2}})")
    by = start - datetime.fromisoformat(record["run_started_at"].replace("Z", "+00:00"))
    for key in ("run_started_at", "updated_at"):
        record[key] = _shift(record[key], by)
    compressed = resolve(Path(root) / "runs.jsonl").name.endswith(".gz")
    writer = DumpWriter(root, compress=compressed)
    writer.runs(runs)
    jobs = dump.jobs(rid) or []
    for job in jobs:
        for key in _JOB_TIMES:
            job[key] = _shift(job.get(key), by)
        for step in job.get("steps") or []:
            for key in ("started_at", "completed_at"):
                step[key] = _shift(step.get(key), by)
    writer.jobs(rid, jobs)
    return by
