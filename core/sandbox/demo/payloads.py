"""GitHub REST objects (repository, workflow, workflow run, job) built from the simulation.

Field names and types follow the REST API; the API ``url`` fields are left out on purpose (the
emulator adds them for the host it serves on).
"""

from __future__ import annotations

import base64
from typing import Any

from core.sandbox.demo.catalog import DEMO_REPO, OWNER_ID, REPO_ID, Actor, WorkflowSpec
from core.sandbox.demo.logs.builder import iso_z
from core.sandbox.demo.simulation import AttemptRec, JobRun, RunRec

__all__ = ["job_payload", "repo_payload", "run_payload", "workflow_payload", "user"]

_HTML = f"https://github.com/{DEMO_REPO}"


def _node(prefix: str, number: int) -> str:
    raw = b"\x93\x00\xce" + REPO_ID.to_bytes(4, "big") + number.to_bytes(8, "big")
    return prefix + base64.b64encode(raw).decode().rstrip("=")


def user(actor: Actor) -> dict[str, Any]:
    """A simple-user object without API URLs."""
    return {
        "login": actor.login,
        "id": actor.id,
        "node_id": _node("MDQ6VXNlcj", actor.id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{actor.id}?v=4",
        "html_url": f"https://github.com/{actor.login}",
        "type": actor.kind,
        "site_admin": False,
    }


def repo_payload(created: float, pushed: float) -> dict[str, Any]:
    return {
        "id": REPO_ID,
        "node_id": _node("R_kgDO", REPO_ID),
        "name": "shopfront",
        "full_name": DEMO_REPO,
        "owner": {
            "login": "acme-labs",
            "id": OWNER_ID,
            "type": "Organization",
            "html_url": "https://github.com/acme-labs",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{OWNER_ID}?v=4",
        },
        "private": False,
        "visibility": "public",
        "html_url": _HTML,
        "description": "Acme Labs storefront: FastAPI backend, React web app, Java order "
        "service and the shopctl CLI.",
        "fork": False,
        "created_at": "2021-04-12T09:31:07Z",
        "updated_at": iso_z(pushed),
        "pushed_at": iso_z(pushed),
        "homepage": "https://shop.acme-labs.io",
        "size": 48_213,
        "stargazers_count": 61,
        "watchers_count": 61,
        "language": "Python",
        "languages": {"Python": 612_004, "TypeScript": 488_310, "Java": 301_772, "Go": 96_420},
        "forks_count": 9,
        "open_issues_count": 37,
        "default_branch": "main",
        "topics": ["ecommerce", "fastapi", "react", "spring-boot", "golang"],
        "has_issues": True,
        "archived": False,
        "disabled": False,
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
    }


def workflow_payload(wf: WorkflowSpec, updated: str) -> dict[str, Any]:
    return {
        "id": wf.id,
        "node_id": _node("W_kwDO", wf.id),
        "name": wf.name,
        "path": wf.path,
        "state": "active",
        "created_at": wf.created_at,
        "updated_at": updated,
        "html_url": f"{_HTML}/blob/main/{wf.path}",
        "badge_url": f"{_HTML}/workflows/{wf.name}/badge.svg",
    }


def _pull_requests(run: RunRec) -> list[dict[str, Any]]:
    trig = run.trigger
    if trig.event != "pull_request" or trig.pr is None:
        return []
    repo = {"id": REPO_ID, "name": "shopfront"}
    return [
        {
            "id": 2_100_000_000 + trig.pr.number * 7919,
            "number": trig.pr.number,
            "head": {"ref": trig.branch, "sha": run.sha, "repo": repo},
            "base": {"ref": "main", "sha": trig.base_sha, "repo": repo},
        }
    ]


def run_payload(run: RunRec, att: AttemptRec, rerun_by: Actor | None) -> dict[str, Any]:
    """A workflow_run object for one attempt of ``run``."""
    trig, commit = run.trigger, run.trigger.commit
    who = {"name": commit.author.name, "email": commit.author.email}
    web = {"name": "GitHub", "email": "noreply@github.com"} if commit.committer_web else who
    return {
        "id": run.id,
        "name": run.workflow.name,
        "node_id": _node("WFR_kwLO", run.id),
        "head_branch": trig.branch,
        "head_sha": run.sha,
        "path": run.workflow.path,
        "display_title": trig.title,
        "run_number": run.run_number,
        "event": trig.event,
        "status": att.status,
        "conclusion": att.conclusion,
        "workflow_id": run.workflow.id,
        "check_suite_id": 30_000_000_000 + run.id % 10_000_000_000 + att.number,
        "html_url": f"{_HTML}/actions/runs/{run.id}",
        "pull_requests": _pull_requests(run),
        "created_at": iso_z(run.created),
        "updated_at": iso_z(att.updated),
        "actor": user(trig.actor),
        "run_attempt": att.number,
        "referenced_workflows": [],
        "run_started_at": iso_z(att.started),
        "triggering_actor": user(rerun_by if att.number > 1 and rerun_by else trig.actor),
        "head_commit": {
            "id": run.sha,
            "tree_id": run.sha[::-1],
            "message": commit.message,
            "timestamp": iso_z(commit.time),
            "author": who,
            "committer": web,
        },
        "repository": {
            "id": REPO_ID,
            "name": "shopfront",
            "full_name": DEMO_REPO,
            "private": False,
            "html_url": _HTML,
        },
    }


def _steps(job: JobRun) -> list[dict[str, Any]]:
    out = []
    for step in job.steps:
        out.append(
            {
                "name": step.spec.name,
                "status": step.status,
                "conclusion": step.conclusion,
                "number": step.number,
                "started_at": iso_z(step.start) if step.start is not None else None,
                "completed_at": iso_z(step.end) if step.end is not None else None,
            }
        )
    return out


def job_payload(job: JobRun) -> dict[str, Any]:
    """A workflow job object, steps included."""
    run = job.run
    ran = job.runner is not None and job.status != "queued"
    return {
        "id": job.id,
        "run_id": run.id,
        "workflow_name": run.workflow.name,
        "head_branch": run.trigger.branch,
        "run_attempt": job.attempt,
        "node_id": _node("CR_kwDO", job.id),
        "head_sha": run.sha,
        "html_url": f"{_HTML}/actions/runs/{run.id}/job/{job.id}",
        "status": job.status,
        "conclusion": job.conclusion,
        "created_at": iso_z(job.created),
        "started_at": iso_z(job.started),
        "completed_at": iso_z(job.completed) if job.completed is not None else None,
        "name": job.spec.name,
        "steps": _steps(job),
        "labels": [job.spec.os] if job.conclusion != "skipped" else [],
        "runner_id": job.runner if ran else None,
        "runner_name": f"GitHub Actions {job.runner}" if ran else None,
        "runner_group_id": 2 if ran else None,
        "runner_group_name": "GitHub Actions" if ran else None,
    }
