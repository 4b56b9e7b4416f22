"""Pure mapping from GitHub REST payloads (or dump objects, which are the same) to store rows.

Sync and ``import`` both go through here, so a dump loaded offline and the same history synced
over HTTP produce identical rows. Fields a source lacks become None; nothing here raises on a
missing field, because real dumps (Travis conversions, recorded payloads) are incomplete.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

__all__ = [
    "seconds_between",
    "runner_os",
    "repo_row",
    "workflow_row",
    "run_row",
    "job_row",
    "step_rows",
    "commit_row",
]


def _parse(ts: Any) -> datetime | None:
    if not isinstance(ts, str) or not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_between(start: Any, end: Any) -> float | None:
    """Seconds from ``start`` to ``end`` (ISO strings); None when either is missing or reversed."""
    a, b = _parse(start), _parse(end)
    if a is None or b is None:
        return None
    seconds = (b - a).total_seconds()
    return seconds if seconds >= 0 else None


def runner_os(labels: Any, runner_name: Any = None) -> str | None:
    """Linux / Windows / macOS from a job's runner labels (or its runner name)."""
    text = " ".join(str(x) for x in (labels or [])) + " " + str(runner_name or "")
    text = text.lower()
    for needle, name in (
        ("windows", "Windows"),
        ("macos", "macOS"),
        ("mac", "macOS"),
        ("ubuntu", "Linux"),
        ("linux", "Linux"),
    ):
        if needle in text:
            return name
    return None


def repo_row(repo: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": int(repo["id"]) if repo.get("id") is not None else _stable_id(repo["full_name"]),
        "full_name": repo["full_name"],
        "default_branch": repo.get("default_branch") or "main",
        "html_url": repo.get("html_url"),
        "source": repo.get("source") or "github",
    }


def workflow_row(workflow: dict[str, Any], repo_id: int) -> dict[str, Any]:
    return {
        "id": int(workflow["id"]),
        "repo_id": repo_id,
        "name": workflow.get("name"),
        "path": workflow.get("path"),
        "state": workflow.get("state"),
    }


def run_row(run: dict[str, Any], repo_id: int, is_latest: bool) -> dict[str, Any]:
    actor = run.get("actor") or run.get("triggering_actor") or {}
    prs = [str(p.get("number")) for p in run.get("pull_requests") or [] if p.get("number")]
    completed = run.get("status") == "completed"
    return {
        "run_id": int(run["id"]),
        "attempt": int(run.get("run_attempt") or 1),
        "repo_id": repo_id,
        "is_latest": int(is_latest),
        "workflow_id": run.get("workflow_id"),
        "workflow_name": run.get("name"),
        "run_number": run.get("run_number"),
        "event": run.get("event"),
        "status": run.get("status"),
        "conclusion": run.get("conclusion"),
        "head_branch": run.get("head_branch"),
        "head_sha": run.get("head_sha"),
        "actor": actor.get("login") if isinstance(actor, dict) else None,
        "pr_numbers": ",".join(prs) or None,
        "created_at": run.get("created_at"),
        "run_started_at": run.get("run_started_at") or run.get("created_at"),
        "updated_at": run.get("updated_at"),
        "duration_s": seconds_between(
            run.get("run_started_at") or run.get("created_at"), run.get("updated_at")
        )
        if completed
        else None,
        "html_url": run.get("html_url"),
        "display_title": run.get("display_title"),
    }


def job_row(job: dict[str, Any], repo_id: int, run_id: int, attempt: int) -> dict[str, Any]:
    labels = job.get("labels") or []
    return {
        "job_id": int(job["id"]),
        "run_id": int(job.get("run_id") or run_id),
        "attempt": int(job.get("run_attempt") or attempt),
        "repo_id": repo_id,
        "name": job.get("name"),
        "status": job.get("status"),
        "conclusion": job.get("conclusion"),
        "created_at": job.get("created_at"),
        "started_at": job.get("started_at"),
        "completed_at": job.get("completed_at"),
        "queue_s": seconds_between(job.get("created_at"), job.get("started_at")),
        "duration_s": seconds_between(job.get("started_at"), job.get("completed_at")),
        "runner_name": job.get("runner_name"),
        "runner_os": runner_os(labels, job.get("runner_name")),
        "labels": ",".join(str(x) for x in labels) or None,
        "html_url": job.get("html_url"),
    }


def step_rows(job: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for index, step in enumerate(job.get("steps") or [], start=1):
        rows.append(
            {
                "job_id": int(job["id"]),
                "number": int(step.get("number") or index),
                "name": step.get("name"),
                "status": step.get("status"),
                "conclusion": step.get("conclusion"),
                "started_at": step.get("started_at"),
                "completed_at": step.get("completed_at"),
                "duration_s": seconds_between(step.get("started_at"), step.get("completed_at")),
            }
        )
    return rows


def commit_row(commit: dict[str, Any], repo_id: int) -> dict[str, Any]:
    inner = commit.get("commit") or {}
    author = inner.get("author") or {}
    stats = commit.get("stats") or {}
    files = commit.get("files") or []
    login = (
        (commit.get("author") or {}).get("login")
        if isinstance(commit.get("author"), dict)
        else None
    )
    return {
        "repo_id": repo_id,
        "sha": commit["sha"],
        "author_login": login,
        "author_name": author.get("name"),
        "committed_at": author.get("date"),
        "message": inner.get("message"),
        "additions": stats.get("additions"),
        "deletions": stats.get("deletions"),
        "files_changed": len(files) if files else None,
        "files": json.dumps([f.get("filename") for f in files][:300]) if files else None,
    }


def _stable_id(name: str) -> int:
    """A positive 53-bit id for sources without numeric ids (kept stable across imports)."""
    import hashlib

    return int(hashlib.sha256(name.lower().encode()).hexdigest()[:13], 16)
