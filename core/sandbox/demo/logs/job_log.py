"""Assemble one job's raw log (GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs).

The log walks the job's steps in order and asks the step renderers for their lines; the failing
step gets the fault's output (and ``##[error]Process completed with exit code N.`` when a shell
process failed); cancelled and timed-out steps stop part-way and get the runner's messages.
Returns the text and the 1-based cause-line ranges for the truth.
"""

from __future__ import annotations

import random

from core.sandbox.demo.faults import Fault
from core.sandbox.demo.logs.build_steps import BUILD_RENDERERS
from core.sandbox.demo.logs.builder import LogBuilder, LogCtx, Out, Outcome
from core.sandbox.demo.logs.failures import FAIL_RENDERERS, KEEP
from core.sandbox.demo.logs.maven import maven_build
from core.sandbox.demo.logs.setup_steps import SETUP_RENDERERS
from core.sandbox.demo.logs.steps import (
    checkout,
    complete,
    containers,
    post,
    queue_lines,
    setup_job,
    stop_containers,
    upload,
)
from core.sandbox.demo.logs.suite_output import TEST_RENDERERS
from core.sandbox.demo.simulation import JobRun, StepRun

__all__ = ["render_job_log", "REPORT_PATHS"]

REPORT_PATHS = {
    "pytest": "backend/reports/",
    "e2e": "backend/reports/",
    "jest": "web/junit.xml",
    "maven": "services/api/target/TEST-shopfront-api.xml",
    "gotest": "cli/report.xml",
}
_STOPS = {"timeout", "cancelled", "runner_shutdown"}
# Failures whose output replaces the normal output from a known line onwards.
_CUT_BEFORE = {
    "ghcr_denied": "#10 exporting to image",
    "docker_503": "#2 [internal] load metadata for docker.io/library/python:3.12-slim",
    "action_503": "Download action repository",
    "action_ref": "Download action repository 'actions/setup-node@v4'",
}


def _normal(ctx: LogCtx, step: StepRun) -> list[str]:
    kind = step.spec.kind
    simple = {
        "setup_job": setup_job,
        "checkout": checkout,
        "containers": containers,
        "stop_containers": stop_containers,
        "complete": complete,
    }
    if kind in simple:
        return simple[kind](ctx)
    if kind == "post":
        return post(ctx, step.spec.name)
    if kind == "upload":
        return upload(ctx, REPORT_PATHS.get(ctx.job.spec.toolchain, "reports/"), ctx.job.tests_ran)
    if kind in SETUP_RENDERERS:
        return SETUP_RENDERERS[kind](ctx)
    if kind in BUILD_RENDERERS:
        return BUILD_RENDERERS[kind](ctx)
    return []


def _header_len(lines: list[str]) -> int:
    """Lines up to and including the step's first ``##[endgroup]`` (its Run header)."""
    for i, line in enumerate(lines):
        if line == "##[endgroup]":
            return i + 1
    return 0


def _stop_lines(ctx: LogCtx, fault: Fault) -> Out:
    out = Out()
    if fault.kind == "timeout":
        out.add(
            f"##[error]The job running on runner GitHub Actions {ctx.job.runner} has exceeded "
            f"the maximum execution time of {ctx.job.spec.timeout_min} minutes.",
            cause=True,
        )
        out.add("##[error]The operation was canceled.")
    elif fault.kind == "runner_shutdown":
        out.add(
            "##[error]The runner has received a shutdown signal. This can happen when the "
            "runner service is stopped, or a manually started runner is canceled.",
            cause=True,
        )
        out.add("##[error]The operation was canceled.")
    else:
        out.add("##[error]The operation was canceled.", cause=True)
    return out


def _test_step(ctx: LogCtx, step: StepRun, fault: Fault | None, cut: float | None) -> Out:
    kind = step.spec.kind
    if kind == "maven":
        return maven_build(ctx, fault, cut)
    lines, cause = TEST_RENDERERS[kind](ctx, cut)
    out = Out(lines)
    out.cause = list(cause) if fault is not None and fault.kind == "tests" else []
    out.exit_code = 1 if (fault is not None and fault.kind == "tests") else 0
    return out


def _failing(ctx: LogCtx, step: StepRun, fault: Fault) -> Out:
    """Output of the step where ``fault`` struck."""
    kind = step.spec.kind
    stop = fault.kind in _STOPS
    oom = fault.kind in ("oom_killed", "oom_node", "oom_surefire")
    if kind in TEST_RENDERERS or kind == "maven":
        cut = ctx.rng.uniform(0.25, 0.85) if (stop or (oom and kind != "maven")) else None
        out = _test_step(ctx, step, fault, cut)
    else:
        lines = _normal(ctx, step)
        head = _header_len(lines)
        keep = KEEP.get(fault.kind, 0.0)
        if stop:
            keep = ctx.rng.uniform(0.3, 0.9)
        n = head + int((len(lines) - head) * keep)
        marker = _CUT_BEFORE.get(fault.kind)
        if marker is not None and not stop:
            n = next((i for i, t in enumerate(lines) if t.startswith(marker)), n)
        out = Out(lines[:n])
    if stop:
        tail = _stop_lines(ctx, fault)
        out.exit_code = 0
        out.cause = []
    elif fault.kind in FAIL_RENDERERS:
        tail = FAIL_RENDERERS[fault.kind](ctx, fault)
        out.exit_code = tail.exit_code
    else:
        return _with_exit(out)
    out.extend(tail.lines, tail.cause)
    return _with_exit(out)


def _with_exit(out: Out) -> Out:
    if out.exit_code:
        out.add(f"##[error]Process completed with exit code {out.exit_code}.")
    return out


def _step_out(ctx: LogCtx, step: StepRun, fault: Fault | None) -> Out:
    if step.conclusion in ("failure", "cancelled") and fault is not None:
        return _failing(ctx, step, fault)
    kind = step.spec.kind
    if kind in TEST_RENDERERS or kind == "maven":
        return _test_step(ctx, step, None, None)
    return Out(_normal(ctx, step))


def render_job_log(
    job: JobRun, rng: random.Random, outcome: Outcome | None, artifact: tuple[int, int] = (0, 0)
) -> tuple[str, list[list[int]]]:
    """The raw log text of a completed job and its cause-line ranges (1-based, inclusive)."""
    ctx = LogCtx.of(job, rng)
    ctx.outcome = outcome
    ctx.artifact_id, ctx.artifact_size = artifact
    builder = LogBuilder()
    builder.block(job.created, max(job.created, job.started - 1.0), queue_lines(ctx), rng)
    for step in job.steps:
        if step.conclusion == "skipped" or step.start is None or step.end is None:
            continue
        out = _step_out(ctx, step, job.fault)
        builder.block(step.start, step.end, out.lines, rng, out.cause)
    return builder.text(), builder.ranges()
