"""The emulator's REST endpoints: one small handler per GitHub endpoint, over a ``Site``.

Handlers take a ``Ctx`` (the repository as served, the time-travel view, the query) and
return a ``Response``; auth, rate limits, faults, ETags and the socket live in
``core.sandbox.emulator.server``. Each handler names the GitHub endpoint it imitates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from core.sandbox.emulator.data import Attempt, RunState
from core.sandbox.emulator.faults import Rerun
from core.sandbox.emulator.http_io import Response, error, json_response, redirect
from core.sandbox.emulator.paging import parse_created, parse_time
from core.sandbox.emulator.shapes import (
    artifact_object,
    blob_sha,
    commit_object,
    content_dir_entry,
    content_file_object,
    job_at,
    job_object,
    run_at,
    workflow_object,
)
from core.sandbox.emulator.site_state import Ctx

__all__ = ["REPO_ROUTES"]

SEARCH_FILTERS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")


def _state(ctx: Ctx, run_id: str) -> RunState | None:
    return ctx.view.by_id.get(int(run_id))


# --- repository and workflows -------------------------------------------------------------


def get_repo(ctx: Ctx) -> Response:
    """:calls: GET /repos/{owner}/{repo}"""
    return json_response(ctx.site.repo_obj)


def list_workflows(ctx: Ctx) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/workflows"""
    flows = ctx.data.workflows
    page, headers = ctx.paged(len(flows))
    items = [
        workflow_object(wf, ctx.site.urls, ctx.data.repo) for wf in flows[page.start : page.stop]
    ]
    return json_response({"total_count": len(flows), "workflows": items}, headers=headers)


def get_workflow(ctx: Ctx, workflow: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}"""
    wf = ctx.data.workflow(workflow)
    if wf is None:
        return error(404, "Not Found", "actions/workflows#get-a-workflow")
    return json_response(workflow_object(wf, ctx.site.urls, ctx.data.repo))


# --- workflow runs ------------------------------------------------------------------------

RunFilter = tuple[tuple[Any, ...], Callable[[RunState], bool]]


def _run_filter(ctx: Ctx, workflow_id: object) -> RunFilter:
    """The cache key and predicate of a runs query; raises ValueError on a bad ``created``."""
    wanted = {k: ctx.query[k] for k in SEARCH_FILTERS if ctx.query.get(k)}
    created = parse_created(wanted.pop("created")) if "created" in wanted else None
    if workflow_id is not None:
        wanted["workflow_id"] = str(workflow_id)

    def keep(state: RunState) -> bool:
        if created is not None and state.created not in created:
            return False
        return all(state.matches(key, value) for key, value in wanted.items())

    return (created, tuple(sorted(wanted.items()))), keep


def list_runs(ctx: Ctx, workflow: str | None = None) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/runs
    (and GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs)

    Newest first. With a search filter GitHub returns at most 1,000 runs (its documented
    cap); ``total_count`` still counts all matches.
    """
    wf_id = None
    if workflow is not None:
        wf = ctx.data.workflow(workflow)
        if wf is None:
            return error(
                404, "Not Found", "actions/workflow-runs#list-workflow-runs-for-a-workflow"
            )
        wf_id = wf["id"]
    try:
        key, keep = _run_filter(ctx, wf_id)
    except ValueError:
        return error(
            422,
            "Validation Failed: invalid 'created' date",
            "actions/workflow-runs#list-workflow-runs-for-a-repository",
        )
    runs = ctx.view.select(key, keep) if key != (None, ()) else ctx.view.runs
    searching = any(ctx.query.get(name) for name in SEARCH_FILTERS)
    searchable = runs[: ctx.search_cap] if searching and ctx.search_cap else runs
    page, headers = ctx.paged(len(searchable))
    items = [ctx.site.run_json(s, ctx.now) for s in searchable[page.start : page.stop]]
    body = b'{"total_count":%d,"workflow_runs":[%s]}' % (len(runs), b",".join(items))
    return Response(200, body, headers)


def get_run(ctx: Ctx, run: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}"""
    state = _state(ctx, run)
    if state is None:
        return error(404, "Not Found", "actions/workflow-runs#get-a-workflow-run")
    return Response(200, ctx.site.run_json(state, ctx.now))


def _visible_attempt(ctx: Ctx, run: str, number: str) -> tuple[RunState, Attempt] | None:
    """An attempt that existed at the view's moment (no later than the run's latest then)."""
    state = _state(ctx, run)
    if state is None or int(number) > state.attempt.number:
        return None
    attempt = ctx.data.attempt(state.run_id, int(number))
    return None if attempt is None else (state, attempt)


def get_attempt(ctx: Ctx, run: str, number: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}"""
    found = _visible_attempt(ctx, run, number)
    if found is None:
        return error(404, "Not Found", "actions/workflow-runs#get-a-workflow-run-attempt")
    state, attempt = found
    return Response(200, ctx.site.run_json(state, ctx.now, attempt, attempt_path=True))


def timing(ctx: Ctx, run: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/timing"""
    state = _state(ctx, run)
    if state is None:
        return error(404, "Not Found", "actions/workflow-runs#get-workflow-run-usage")
    record = run_at(state.record, state.phase, ctx.now)
    start = parse_time(record.get("run_started_at")) or parse_time(record.get("created_at"))
    end = parse_time(record.get("updated_at"))
    duration = int((end - start) * 1000) if start is not None and end is not None else None
    return json_response({"billable": {}, "run_duration_ms": duration})


def rerun(ctx: Ctx, run: str, failed_only: bool = False) -> Response:
    """:calls: POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun (or /rerun-failed-jobs)

    Recorded only: the dump does not change.
    """
    state = _state(ctx, run)
    if state is None:
        return error(404, "Not Found", "actions/workflow-runs#re-run-a-workflow")
    ctx.on_rerun(Rerun(ctx.data.full_name, state.run_id, failed_only, ctx.token_hash, time.time()))
    return json_response({}, 201)


# --- jobs and logs --------------------------------------------------------------------------


def _jobs_of(ctx: Ctx, state: RunState, attempt: Attempt) -> list[dict[str, Any]]:
    """An attempt's jobs as seen at the view's moment."""
    jobs = ctx.data.jobs(state.run_id, attempt.number)
    if attempt is not state.attempt or state.phase == "asis":
        return jobs
    return [seen for job in jobs if (seen := job_at(job, ctx.now)) is not None]


def list_jobs(ctx: Ctx, run: str, number: str | None = None) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs (filter=latest|all)
    and GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs
    """
    doc = "actions/workflow-jobs#list-jobs-for-a-workflow-run"
    state = _state(ctx, run)
    if state is None:
        return error(404, "Not Found", doc)
    if number is not None:
        found = _visible_attempt(ctx, run, number)
        if found is None:
            return error(404, "Not Found", doc + "-attempt")
        attempts = [found[1]]
    elif ctx.query.get("filter", "latest") == "all":
        attempts = [a for a in ctx.data.chains[state.run_id] if a.number <= state.attempt.number]
    else:
        attempts = [state.attempt]
    pairs = [(job, a) for a in attempts for job in _jobs_of(ctx, state, a)]
    page, headers = ctx.paged(len(pairs))
    items = [
        job_object(job, ctx.site.urls, run_at(a.record, "asis", None))
        for job, a in pairs[page.start : page.stop]
    ]
    return json_response({"total_count": len(pairs), "jobs": items}, headers=headers)


def _visible_job(ctx: Ctx, job_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(job as seen now, its run record) or None when the job did not exist yet."""
    where = ctx.data.find_job(job_id)
    state = ctx.view.by_id.get(where[0]) if where else None
    if where is None or state is None or where[1] > state.attempt.number:
        return None
    attempt = ctx.data.attempt(state.run_id, where[1])
    if attempt is None:
        return None
    for job in _jobs_of(ctx, state, attempt):
        if int(job["id"]) == job_id:
            return job, attempt.record
    return None


def get_job(ctx: Ctx, job: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/jobs/{job_id}"""
    found = _visible_job(ctx, int(job))
    if found is None:
        return error(404, "Not Found", "actions/workflow-jobs#get-a-job-for-a-workflow-run")
    return json_response(job_object(found[0], ctx.site.urls, found[1]))


def job_logs(ctx: Ctx, job: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs  (302 to a download)

    A job that has not finished has no log yet: 404. A finished job whose log the dump lacks
    is treated as expired: GitHub answers 410 for those (seen in 2025-26 in
    rust-lang/triagebot#2241 with body {"message":"Server Error",...,"status":"410"}, and
    makoni/actioneer-gtk#14), not 404.
    """
    doc = "actions/workflow-jobs#download-job-logs-for-a-workflow-run"
    found = _visible_job(ctx, int(job))
    if found is None or found[0].get("status") != "completed":
        return error(404, "Not Found", doc)
    if not ctx.data.has_log(int(job)):
        return error(410, "Server Error", doc)
    return redirect(ctx.site.download_url("logs", job))


def run_logs(ctx: Ctx, run: str, number: str | None = None) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs  (302 to a zip)
    and GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/logs
    """
    doc = "actions/workflow-runs#download-workflow-run-logs"
    state = _state(ctx, run)
    found = _visible_attempt(ctx, run, number) if number else (state and (state, state.attempt))
    if not found:
        return error(404, "Not Found", doc)
    state, attempt = found
    if attempt is state.attempt and state.phase != "asis":
        return error(404, "Not Found", doc)
    jobs = ctx.data.jobs(state.run_id, attempt.number)
    if not any(ctx.data.has_log(int(job["id"])) for job in jobs):
        return error(410, "Server Error", doc)
    return redirect(ctx.site.download_url("runlogs", f"{state.run_id}/{attempt.number}"))


# --- artifacts, commits, contents -------------------------------------------------------------


def _artifact_objects(ctx: Ctx, state: RunState) -> list[dict[str, Any]]:
    """A run's artifacts; none until the run has finished (they are uploaded by then)."""
    if state.phase != "asis":
        return []
    repo_id = ctx.data.repo.get("id")
    return [
        artifact_object(art_id, name, size, state.record, ctx.site.urls, repo_id)
        for art_id, name, size in ctx.data.artifacts(state.run_id)
    ]


def list_artifacts(ctx: Ctx, run: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"""
    state = _state(ctx, run)
    if state is None:
        return error(404, "Not Found", "actions/artifacts#list-workflow-run-artifacts")
    arts = _artifact_objects(ctx, state)
    if ctx.query.get("name"):
        arts = [art for art in arts if art["name"] == ctx.query["name"]]
    page, headers = ctx.paged(len(arts))
    return json_response(
        {"total_count": len(arts), "artifacts": arts[page.start : page.stop]}, headers=headers
    )


def list_repository_artifacts(ctx: Ctx) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/artifacts

    Every finished run's artifacts, newest first (see ``RepoData.repository_artifacts``);
    ``name`` filters by exact name, as GitHub does."""
    listing = ctx.data.repository_artifacts(ctx.view)
    if ctx.query.get("name"):
        listing = [(state, name) for state, name in listing if name == ctx.query["name"]]
    page, headers = ctx.paged(len(listing))
    repo_id = ctx.data.repo.get("id")
    arts = []
    for state, name in listing[page.start : page.stop]:
        art_id, _name, size = next(a for a in ctx.data.artifacts(state.run_id) if a[1] == name)
        arts.append(artifact_object(art_id, name, size, state.record, ctx.site.urls, repo_id))
    return json_response({"total_count": len(listing), "artifacts": arts}, headers=headers)


def _visible_artifact(ctx: Ctx, art: str) -> dict[str, Any] | None:
    where = ctx.data.find_artifact(int(art))
    state = ctx.view.by_id.get(where[0]) if where else None
    if state is None:
        return None
    return next((a for a in _artifact_objects(ctx, state) if a["id"] == int(art)), None)


def get_artifact(ctx: Ctx, art: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}"""
    found = _visible_artifact(ctx, art)
    if found is None:
        return error(404, "Not Found", "actions/artifacts#get-an-artifact")
    return json_response(found)


def artifact_zip(ctx: Ctx, art: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip  (302 to a zip)"""
    if _visible_artifact(ctx, art) is None:
        return error(404, "Not Found", "actions/artifacts#download-an-artifact")
    return redirect(ctx.site.download_url("artifacts", art))


def get_commit(ctx: Ctx, sha: str) -> Response:
    """:calls: GET /repos/{owner}/{repo}/commits/{ref}

    An unknown SHA gets GitHub's 422 "No commit found for SHA: ..."; files are paged
    (default and maximum 300 per page) with a Link header, as GitHub does.
    """
    commit = ctx.data.commit(sha)
    if commit is None:
        return error(422, f"No commit found for SHA: {sha}", "commits/commits#get-a-commit")
    obj = commit_object(dict(commit, sha=commit.get("sha") or sha.lower()), ctx.site.urls)
    files = obj.get("files") or []
    page, headers = ctx.paged(len(files), default=300, maximum=300)
    obj["files"] = files[page.start : page.stop]
    return json_response(obj, headers=headers)


def get_contents(ctx: Ctx, path: str = "") -> Response:
    """:calls: GET /repos/{owner}/{repo}/contents/{path}  (files/ of the dump, base64)"""
    ref = ctx.query.get("ref") or ctx.data.repo.get("default_branch") or "main"
    path = path.strip("/")
    data = ctx.data.file(path) if path else None
    raw = ctx.site.download_url("raw", path)
    if data is not None:
        return json_response(content_file_object(path, data, ctx.site.urls, ref, raw))
    listing = ctx.data.listing(path)
    if listing is None:
        return error(404, "Not Found", "repos/contents#get-repository-content")
    entries = []
    for name, is_dir in listing:
        child = f"{path}/{name}".strip("/")
        data = b"" if is_dir else ctx.data.file(child) or b""
        kind, url = ("dir", None) if is_dir else ("file", ctx.site.download_url("raw", child))
        sha = "0" * 40 if is_dir else blob_sha(data)
        entries.append(content_dir_entry(child, kind, len(data), sha, ctx.site.urls, ref, url))
    return json_response(entries)


def _route(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^{pattern}$")


_RUN = r"/actions/runs/(?P<run>\d+)"
_ATTEMPT = _RUN + r"/attempts/(?P<number>\d+)"
REPO_ROUTES: list[tuple[str, re.Pattern[str], Callable[..., Response]]] = [
    ("GET", _route(""), get_repo),
    ("GET", _route(r"/actions/workflows"), list_workflows),
    ("GET", _route(r"/actions/workflows/(?P<workflow>[^/]+)"), get_workflow),
    ("GET", _route(r"/actions/workflows/(?P<workflow>[^/]+)/runs"), list_runs),
    ("GET", _route(r"/actions/runs"), list_runs),
    ("GET", _route(_RUN), get_run),
    ("GET", _route(_RUN + "/timing"), timing),
    ("GET", _route(_RUN + "/jobs"), list_jobs),
    ("GET", _route(_RUN + "/logs"), run_logs),
    ("GET", _route(_RUN + "/artifacts"), list_artifacts),
    ("GET", _route(_ATTEMPT), get_attempt),
    ("GET", _route(_ATTEMPT + "/jobs"), list_jobs),
    ("GET", _route(_ATTEMPT + "/logs"), run_logs),
    ("GET", _route(r"/actions/jobs/(?P<job>\d+)"), get_job),
    ("GET", _route(r"/actions/jobs/(?P<job>\d+)/logs"), job_logs),
    ("GET", _route(r"/actions/artifacts"), list_repository_artifacts),
    ("GET", _route(r"/actions/artifacts/(?P<art>\d+)"), get_artifact),
    ("GET", _route(r"/actions/artifacts/(?P<art>\d+)/zip"), artifact_zip),
    ("GET", _route(r"/commits/(?P<sha>[^/]+)"), get_commit),
    ("GET", _route(r"/contents(?:/(?P<path>.*))?"), get_contents),
    ("POST", _route(_RUN + "/rerun"), rerun),
    ("POST", _route(_RUN + "/rerun-failed-jobs"), lambda ctx, run: rerun(ctx, run, True)),
]
