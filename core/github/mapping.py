"""Pure mapping from GitHub REST payloads (or dump objects, which are the same) to store rows.

Sync and ``import`` both go through here, so a dump loaded offline and the same history synced
over HTTP produce identical rows. Fields a source lacks become None; nothing here raises on a
missing field, because real dumps (Travis conversions, recorded payloads) are incomplete.

This is the edge where GitHub's data enters the store, so two things are settled here:

* every free text (workflow, job and step names, a run's title and branch, commit messages and
  authors, runner names and labels, changed file names) has its secrets redacted
  (:mod:`core.messages.redact`, the one redactor): a job named ``deploy ghp_...`` must not carry
  the token into findings, exports, pages or messages. Ids, shas, timestamps and GitHub's own
  enums (status, conclusion, event) are left as they are;
* an ``html_url`` is kept only when it is an absolute ``http(s)://`` link with a host and no
  user info, spaces or control characters (else None), so a ``javascript:`` link in a dump is
  never stored. Which host may be *linked* is decided where links are drawn
  (``core.presentation.links``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from core.messages.redact import Redactor, redactor

__all__ = [
    "seconds_between",
    "runner_os",
    "repo_row",
    "workflow_row",
    "run_row",
    "job_row",
    "step_number",
    "step_rows",
    "commit_row",
    "web_url",
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


_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")  # spaces, controls, backslashes


def web_url(url: Any) -> str | None:
    """``url`` when it is an absolute ``http://`` or ``https://`` link with a host, no user info
    (``user:password@``), spaces, control characters or backslashes; else None."""
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    if _UNSAFE_URL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if not host or "@" in parts.netloc:
        return None
    return url


def _text(engine: Redactor, value: Any) -> Any:
    """A free-text field with its secrets redacted; None and non-text values as they are."""
    return engine.redact_text(value) if isinstance(value, str) and value else value


def repo_row(repo: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": int(repo["id"]) if repo.get("id") is not None else _stable_id(repo["full_name"]),
        "full_name": repo["full_name"],
        "default_branch": _text(redactor(), repo.get("default_branch")) or "main",
        "html_url": web_url(repo.get("html_url")),
        "source": repo.get("source") or "github",
    }


def workflow_row(workflow: dict[str, Any], repo_id: int) -> dict[str, Any]:
    engine = redactor()
    return {
        "id": int(workflow["id"]),
        "repo_id": repo_id,
        "name": _text(engine, workflow.get("name")),
        "path": _text(engine, workflow.get("path")),
        "state": workflow.get("state"),
    }


def run_row(
    run: dict[str, Any], repo_id: int, is_latest: bool, engine: Redactor | None = None
) -> dict[str, Any]:
    """``engine`` as for :func:`job_row`."""
    actor = run.get("actor") or run.get("triggering_actor") or {}
    prs = [str(p.get("number")) for p in run.get("pull_requests") or [] if p.get("number")]
    completed = run.get("status") == "completed"
    engine = engine or redactor()
    return {
        "run_id": int(run["id"]),
        "attempt": int(run.get("run_attempt") or 1),
        "repo_id": repo_id,
        "is_latest": int(is_latest),
        "workflow_id": run.get("workflow_id"),
        "workflow_name": _text(engine, run.get("name")),
        "run_number": run.get("run_number"),
        "event": run.get("event"),
        "status": run.get("status"),
        "conclusion": run.get("conclusion"),
        "head_branch": _text(engine, run.get("head_branch")),
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
        "html_url": web_url(run.get("html_url")),
        "display_title": _text(engine, run.get("display_title")),
    }


def job_row(
    job: dict[str, Any], repo_id: int, run_id: int, attempt: int, engine: Redactor | None = None
) -> dict[str, Any]:
    """``engine``: the redactor to use (a caller mapping a run's many jobs makes one for them
    all: making one reads the environment, ~30 us, more than mapping a job), else a new one."""
    labels = job.get("labels") or []
    engine = engine or redactor()
    return {
        "job_id": int(job["id"]),
        "run_id": int(job.get("run_id") or run_id),
        "attempt": int(job.get("run_attempt") or attempt),
        "repo_id": repo_id,
        "name": _text(engine, job.get("name")),
        "status": job.get("status"),
        "conclusion": job.get("conclusion"),
        "created_at": job.get("created_at"),
        "started_at": job.get("started_at"),
        "completed_at": job.get("completed_at"),
        "queue_s": seconds_between(job.get("created_at"), job.get("started_at")),
        "duration_s": seconds_between(job.get("started_at"), job.get("completed_at")),
        "runner_name": _text(engine, job.get("runner_name")),
        "runner_os": runner_os(labels, job.get("runner_name")),
        "labels": _text(engine, ",".join(str(x) for x in labels)) or None,
        "html_url": web_url(job.get("html_url")),
    }


def step_number(step: dict[str, Any], index: int) -> int:
    """A step's number as the store keys it: GitHub's, else its place in the job (from 1)."""
    return int(step.get("number") or index)


def step_rows(job: dict[str, Any], engine: Redactor | None = None) -> list[dict[str, Any]]:
    """The job's steps as stored rows; ``engine`` as for :func:`job_row`."""
    steps = job.get("steps") or []
    if not steps:
        return []
    rows = []
    engine = engine or redactor()
    for index, step in enumerate(steps, start=1):
        rows.append(
            {
                "job_id": int(job["id"]),
                "number": step_number(step, index),
                "name": _text(engine, step.get("name")),
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
    engine = redactor()
    return {
        "repo_id": repo_id,
        "sha": commit["sha"],
        "author_login": login,
        "author_name": _text(engine, author.get("name")),
        "committed_at": author.get("date"),
        "message": _text(engine, inner.get("message")),
        "additions": stats.get("additions"),
        "deletions": stats.get("deletions"),
        "files_changed": len(files) if files else None,
        "files": json.dumps([_text(engine, f.get("filename")) for f in files[:300]])
        if files
        else None,
    }


def _stable_id(name: str) -> int:
    """A positive 53-bit id for sources without numeric ids (kept stable across imports)."""
    import hashlib

    return int(hashlib.sha256(name.lower().encode()).hexdigest()[:13], 16)
