"""Turn dump records into the exact JSON objects (and zips) GitHub's REST API answers with.

Two jobs: give every object the API URL fields PyGithub follows, pointing at *this* server
(PyGithub asserts that absolute URLs share host and port with its ``base_url``), and show an
object as it looked at an earlier moment (time travel). Pure functions over dicts; no IO.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from core.sandbox.emulator.paging import iso, parse_time

__all__ = [
    "GITHUB_API_PREFIX",
    "Urls",
    "artifact_id",
    "artifact_object",
    "blob_sha",
    "commit_object",
    "content_dir_entry",
    "content_file_object",
    "dumps",
    "job_at",
    "job_object",
    "rebase",
    "rebase_json",
    "repo_object",
    "repo_summary",
    "run_at",
    "run_json",
    "run_logs_zip",
    "workflow_object",
    "zip_files",
]

GITHUB_API_PREFIX = "https://api.github.com"
ARTIFACT_RETENTION = timedelta(days=90)
_ZIP_NAME_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_ZIP_LEVEL = 1  # deflate level of the artifact zips (see zip_files)
_GROUP_RUN = re.compile(rb"^(?:\S+Z )?##\[group\]Run ", re.MULTILINE)


class Urls:
    """API URLs of one repository on this server."""

    def __init__(self, base_url: str, full_name: str) -> None:
        self.base = base_url
        self.repo = f"{base_url}/repos/{full_name}"
        self.html = f"https://github.com/{full_name}"

    def run(self, run_id: int) -> str:
        return f"{self.repo}/actions/runs/{run_id}"

    def attempt(self, run_id: int, number: int) -> str:
        return f"{self.run(run_id)}/attempts/{number}"

    def job(self, job_id: int) -> str:
        return f"{self.repo}/actions/jobs/{job_id}"

    def workflow(self, workflow_id: object) -> str:
        return f"{self.repo}/actions/workflows/{workflow_id}"

    def artifact(self, art_id: int) -> str:
        return f"{self.repo}/actions/artifacts/{art_id}"

    def commit(self, sha: str) -> str:
        return f"{self.repo}/commits/{sha}"


def rebase(obj: Any, base_url: str) -> Any:
    """A deep copy of ``obj`` with every ``https://api.github.com`` URL moved to this server.

    Doubles as the copy that keeps cached dump records from being mutated.
    """
    if isinstance(obj, dict):
        return {key: rebase(value, base_url) for key, value in obj.items()}
    if isinstance(obj, list):
        return [rebase(value, base_url) for value in obj]
    if isinstance(obj, str) and obj.startswith(GITHUB_API_PREFIX):
        return base_url + obj[len(GITHUB_API_PREFIX) :]
    return obj


def _owner(repo: dict[str, Any], urls: Urls) -> dict[str, Any]:
    owner = dict(repo.get("owner") or {})
    login = owner.get("login") or repo["full_name"].split("/", 1)[0]
    owner.setdefault("login", login)
    owner.setdefault("type", "User")
    owner.setdefault("site_admin", False)
    owner["url"] = f"{urls.base}/users/{login}"
    owner.setdefault("html_url", f"https://github.com/{login}")
    return owner


def repo_object(repo: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """``GET /repos/{owner}/{repo}``: the stored repository with this server's API URLs."""
    obj = rebase(repo, urls.base)
    full_name = repo["full_name"]
    obj.setdefault("name", full_name.split("/", 1)[-1])
    obj["owner"] = _owner(repo, urls)
    obj.setdefault("private", False)
    obj.setdefault("fork", False)
    obj.setdefault("visibility", "private" if obj["private"] else "public")
    obj.setdefault("html_url", f"https://github.com/{full_name}")
    obj.setdefault("default_branch", "main")
    obj["url"] = urls.repo
    for name, suffix in _REPO_URL_FIELDS:
        obj[name] = urls.repo + suffix
    return obj


_REPO_URL_FIELDS = (
    ("commits_url", "/commits{/sha}"),
    ("contents_url", "/contents/{+path}"),
    ("branches_url", "/branches{/branch}"),
    ("pulls_url", "/pulls{/number}"),
    ("issues_url", "/issues{/number}"),
    ("tags_url", "/tags"),
    ("deployments_url", "/deployments"),
)
_SUMMARY_KEYS = (
    "id",
    "node_id",
    "name",
    "full_name",
    "private",
    "owner",
    "html_url",
    "description",
    "fork",
    "url",
    "commits_url",
    "contents_url",
)


def repo_summary(repo_obj: dict[str, Any]) -> dict[str, Any]:
    """The short ``repository`` object GitHub embeds in runs and artifacts."""
    return {key: repo_obj[key] for key in _SUMMARY_KEYS if key in repo_obj}


def workflow_object(wf: dict[str, Any], urls: Urls, repo: dict[str, Any]) -> dict[str, Any]:
    """``GET .../actions/workflows/{id}``: stored workflow plus url/html_url/badge_url."""
    obj = rebase(wf, urls.base)
    obj.setdefault("state", "active")
    obj["url"] = urls.workflow(wf["id"])
    html = repo.get("html_url") or f"https://github.com/{repo['full_name']}"
    if wf.get("path"):
        obj.setdefault("html_url", f"{html}/blob/{repo.get('default_branch', 'main')}/{wf['path']}")
    obj.setdefault("badge_url", f"{html}/workflows/{wf.get('name', wf['id'])}/badge.svg")
    return obj


def run_at(record: dict[str, Any], phase: str, now: float | None) -> dict[str, Any]:
    """The run as it looked at ``now``: still ``in_progress`` or ``queued`` when not finished."""
    if phase == "asis" or now is None:
        return record
    seen = dict(record)
    seen["status"] = "in_progress" if phase == "running" else "queued"
    seen["conclusion"] = None
    seen["updated_at"] = iso(now)
    return seen


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as GitHub sends it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def rebase_json(body: bytes, base_url: str) -> bytes:
    """``rebase`` on serialized JSON: every string that starts with the GitHub API URL."""
    return body.replace(b'"' + GITHUB_API_PREFIX.encode(), b'"' + base_url.encode())


def run_json(
    record: dict[str, Any],
    urls: Urls,
    repo_sum_json: bytes,
    *,
    attempt_path: bool = False,
) -> bytes:
    """A workflow_run's JSON with the URL fields PyGithub uses, built on the fast path.

    Paging re-serializes thousands of runs, so this avoids a deep copy: a shallow copy gets
    the URL fields, stored api.github.com URLs are rewritten in the bytes, and the (large)
    ``repository`` object is spliced in pre-serialized. ``attempt_path``: shaped like
    ``GET .../runs/{id}/attempts/{n}``, whose jobs_url and logs_url point into the attempt.
    """
    obj = {k: v for k, v in record.items() if k not in ("repository", "head_repository")}
    run_id, number = record["id"], int(record.get("run_attempt") or 1)
    run_url = urls.run(run_id)
    scoped = urls.attempt(run_id, number) if attempt_path else run_url
    obj["url"] = run_url
    obj["jobs_url"] = f"{scoped}/jobs"
    obj["logs_url"] = f"{scoped}/logs"
    obj["artifacts_url"] = f"{run_url}/artifacts"
    obj["cancel_url"] = f"{run_url}/cancel"
    obj["rerun_url"] = f"{run_url}/rerun"
    obj["check_suite_url"] = f"{urls.repo}/check-suites/{record.get('check_suite_id') or run_id}"
    obj["workflow_url"] = urls.workflow(record.get("workflow_id"))
    obj["previous_attempt_url"] = urls.attempt(run_id, number - 1) if number > 1 else None
    obj.setdefault("run_attempt", number)
    head = record.get("head_repository")
    head_json = rebase_json(dumps(head), urls.base) if head else repo_sum_json
    body = rebase_json(dumps(obj), urls.base)
    return b'%s,"repository":%s,"head_repository":%s}' % (body[:-1], repo_sum_json, head_json)


def _step_at(step: dict[str, Any], now: float) -> dict[str, Any]:
    done, started = parse_time(step.get("completed_at")), parse_time(step.get("started_at"))
    if step.get("status") == "completed" and done is not None and done <= now:
        return step
    seen = dict(step, conclusion=None, completed_at=None)
    if started is not None and started <= now:
        seen["status"] = "in_progress"
    else:
        seen.update(status="queued", started_at=None)
    return seen


def job_at(job: dict[str, Any], now: float | None) -> dict[str, Any] | None:
    """The job as it looked at ``now`` inside a run that had not finished; None: not created yet."""
    if now is None:
        return job
    created = parse_time(job.get("created_at")) or parse_time(job.get("started_at"))
    if created is not None and created > now:
        return None
    done, started = parse_time(job.get("completed_at")), parse_time(job.get("started_at"))
    if job.get("status") == "completed" and done is not None and done <= now:
        return job
    seen = dict(job, conclusion=None, completed_at=None)
    if started is not None and started <= now:
        seen["status"] = "in_progress"
        seen["steps"] = [_step_at(step, now) for step in job.get("steps") or []]
    else:
        seen.update(status="queued", steps=[])
    return seen


def job_object(job: dict[str, Any], urls: Urls, run: dict[str, Any]) -> dict[str, Any]:
    """A workflow job with url, run_url and check_run_url, completed from its run if missing."""
    obj = rebase(job, urls.base)
    obj["url"] = urls.job(job["id"])
    obj["run_url"] = urls.run(job.get("run_id") or run["id"])
    obj["check_run_url"] = f"{urls.repo}/check-runs/{job['id']}"
    obj.setdefault("run_id", run["id"])
    obj.setdefault("run_attempt", run.get("run_attempt", 1))
    obj.setdefault("workflow_name", run.get("name"))
    obj.setdefault("head_branch", run.get("head_branch"))
    obj.setdefault("head_sha", run.get("head_sha"))
    obj.setdefault("steps", [])
    obj.setdefault("labels", [])
    return obj


def commit_object(commit: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """``GET /repos/{owner}/{repo}/commits/{sha}`` with this server's URLs."""
    obj = rebase(commit, urls.base)
    sha = obj["sha"]
    obj["url"] = urls.commit(sha)
    obj["comments_url"] = f"{urls.commit(sha)}/comments"
    obj.setdefault("html_url", f"{urls.html}/commit/{sha}")
    inner = obj.setdefault("commit", {})
    if isinstance(inner, dict):
        inner["url"] = f"{urls.repo}/git/commits/{sha}"
    for parent in obj.get("parents") or []:
        if isinstance(parent, dict) and parent.get("sha"):
            parent["url"] = urls.commit(parent["sha"])
    obj.setdefault("files", [])
    return obj


def artifact_id(run_id: int, name: str) -> int:
    """A stable artifact id derived from (run_id, name): the dump stores no artifact ids."""
    digest = hashlib.sha256(f"{run_id}/{name}".encode()).digest()
    return int.from_bytes(digest[:6], "big") or 1


def artifact_object(
    art_id: int, name: str, size: int, run: dict[str, Any], urls: Urls, repo_id: object
) -> dict[str, Any]:
    """An artifact as listed by ``GET .../runs/{id}/artifacts``: uploaded when the run ended."""
    made = parse_time(run.get("updated_at")) or parse_time(run.get("created_at")) or 0.0
    expires = datetime.fromtimestamp(made, UTC) + ARTIFACT_RETENTION
    return {
        "id": art_id,
        "node_id": base64.b64encode(f"08:Artifact{art_id}".encode()).decode(),
        "name": name,
        "size_in_bytes": size,
        "url": urls.artifact(art_id),
        "archive_download_url": f"{urls.artifact(art_id)}/zip",
        "expired": False,
        "created_at": iso(made),
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": iso(made),
        "workflow_run": {
            "id": run["id"],
            "repository_id": repo_id,
            "head_repository_id": repo_id,
            "head_branch": run.get("head_branch"),
            "head_sha": run.get("head_sha"),
        },
    }


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def content_file_object(
    path: str, data: bytes, urls: Urls, ref: str, download_url: str
) -> dict[str, Any]:
    """``GET .../contents/{path}`` for a file: base64 wrapped at 60 characters, like GitHub."""
    encoded = base64.b64encode(data).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    obj = content_dir_entry(path, "file", len(data), blob_sha(data), urls, ref, download_url)
    obj.update(content=wrapped, encoding="base64")
    return obj


def content_dir_entry(
    path: str, kind: str, size: int, sha: str, urls: Urls, ref: str, download_url: str | None
) -> dict[str, Any]:
    """One entry of a contents listing (also the skeleton of a file object)."""
    self_url = f"{urls.repo}/contents/{path}?ref={ref}"
    html = f"{urls.html}/{'blob' if kind == 'file' else 'tree'}/{ref}/{path}"
    git_url = f"{urls.repo}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
    return {
        "type": kind,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": size,
        "url": self_url,
        "html_url": html,
        "git_url": git_url,
        "download_url": download_url,
        "_links": {"self": self_url, "git": git_url, "html": html},
    }


def zip_files(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A deflated zip of (name, bytes) pairs with fixed timestamps (same input, same bytes).

    Deflated at level 1: the emulator builds a zip for every artifact a report fetch downloads
    (91k at the demo's 45x), and the level is its own CPU taken from the fetch it serves. For
    JUnit XML, level 1 took 13 s where the level used before took 22 s (projected from 2,000 of
    those artifacts), for zips 14% of the XML's size instead of 12%. The level is given to
    ``writestr``: given a ``ZipInfo``, ``writestr`` ignores the archive's ``compresslevel``
    (the ``5`` written here before was never applied; zlib's default, 6, was)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=_ZIP_LEVEL)
    return buffer.getvalue()


def _zip_name(text: str) -> str:
    return _ZIP_NAME_UNSAFE.sub("", text).strip() or "unnamed"


def _split_steps(log: bytes, steps: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bytes]]:
    """Cut a job log at ``##[group]Run`` lines, one piece per step in order.

    The piece before the first boundary is "Set up job"; later pieces go to the following
    steps in number order. When there are more pieces than steps the mapping is unknowable:
    return nothing (the archive then holds only the whole-job file).
    """
    ordered = sorted(steps, key=lambda step: step.get("number") or 0)
    cuts = [0, *(match.start() for match in _GROUP_RUN.finditer(log))]
    pieces = [log[a:b] for a, b in zip(cuts, [*cuts[1:], len(log)], strict=True)]
    pieces = [piece for piece in pieces if piece] or []
    if not ordered or len(pieces) > len(ordered):
        return []
    return list(zip(ordered, pieces, strict=False))


def run_logs_zip(jobs: list[tuple[dict[str, Any], bytes]]) -> bytes:
    """A run's log archive like GitHub's: ``<n>_<job>.txt`` plus ``<job>/<step>_<name>.txt``."""
    files: list[tuple[str, bytes]] = []
    for index, (job, log) in enumerate(jobs):
        job_name = _zip_name(str(job.get("name") or job.get("id")))
        files.append((f"{index}_{job_name}.txt", log))
        for step, piece in _split_steps(log, job.get("steps") or []):
            step_name = _zip_name(str(step.get("name") or ""))
            files.append((f"{job_name}/{step.get('number')}_{step_name}.txt", piece))
    return zip_files(files)
