"""Run agents in the background: a runner thread per app server executes the store's tasks.

Why: Streamlit stops a page's script run on any click, so a sync run inside a button handler
dies when the user touches the period radio. Here a page only *records* what the user asked
for (:func:`core.store.tasks.submit_task`) and returns; this runner, started once per server
process, claims the task, runs the agent through :func:`agents.actions.run_agent_on` (the same
path the CLI takes), and writes progress into the task row, which the pages poll. A reload, a
click or a closed tab never touches it.

A rate limit does not fail the task: it goes back to the queue until GitHub's reset and
resumes by itself (its message says which action hit the limit and when it resumes). A server
that dies mid-task leaves the task ``running`` under a dead owner; the next runner marks it
``interrupted`` (see :func:`core.store.tasks.interrupt_orphans`).

The demo's first start is a list of such tasks (:func:`prepare_demo`): sync, the failed
jobs' logs, root causes first (the answer a newcomer wants in under a minute), then the test
reports and the rest of Layer 2.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.actions import run_agent_on
from agents.registry import all_agents
from core.errors import CIMedicError, RateLimited
from core.memory import long_task
from core.store import tasks as task_store
from core.store.tasks import Task
from core.workspace import Workspace

__all__ = [
    "FirstStartStep",
    "TaskRunner",
    "demo_steps",
    "ensure_runner",
    "prepare_demo",
    "runners_idle",
    "stop_runners",
    "submit",
]

log = logging.getLogger("ci_medic.tasks")

HEARTBEAT_S = 5.0
# A running task whose owner has not beaten for this long belongs to a dead server.
STALE_AFTER_S = 60.0
PROGRESS_EVERY_S = 0.25
IDLE_POLL_S = 1.0

_lock = threading.Lock()
_runners: dict[str, TaskRunner] = {}


@dataclass(frozen=True)
class FirstStartStep:
    """One task of the demo's first start: which agent, what the page calls it, its options."""

    agent: str
    action: str
    options: dict[str, Any]


def demo_steps() -> list[FirstStartStep]:
    """The demo's first start, in order: root causes as early as possible, then the rest.

    The Log Ingester runs twice: first the failed jobs' logs only (seconds), so Root Cause
    Analysis can answer early; then the test reports (tens of seconds of JUnit parsing), before
    the other analysis agents that read test results.
    """
    layer2 = [agent for agent in all_agents() if agent.layer == 2]
    first = [agent for agent in layer2 if agent.name == "root_cause"]
    rest = [agent for agent in layer2 if agent.name != "root_cause"]
    steps = [
        FirstStartStep("pipeline_monitor", "Sync", {}),
        FirstStartStep("log_ingester", "Fetch logs", {"reports": False}),
    ]
    steps += [FirstStartStep(agent.name, agent.title, {}) for agent in first]
    steps.append(FirstStartStep("log_ingester", "Fetch test reports", {}))
    steps += [FirstStartStep(agent.name, agent.title, {}) for agent in rest]
    return steps


class TaskRunner:
    """One thread that runs queued tasks of one store, oldest first, one at a time.

    One at a time on purpose: the agents write to one SQLite file and talk to one GitHub
    rate limit; running two syncs in parallel would only make both slower.
    """

    def __init__(self, workspace: Workspace, clock: Callable[[], float] = time.time) -> None:
        self.workspace = workspace
        self.clock = clock  # when a rate-limited task may resume (tests move it)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:tasks-{uuid.uuid4().hex[:6]}"
        self.current: Task | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> TaskRunner:
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name="ci-medic-tasks", daemon=True)
            self._beat = threading.Thread(target=self._heartbeat, name="ci-medic-beat", daemon=True)
            self._thread.start()
            self._beat.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in (self._thread, self._beat):
            if thread is not None:
                thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, repo: str, agent: str, action: str, options: dict | None = None) -> Task:
        """Record a task and wake the runner; returns the task (an identical one if queued)."""
        queued = task_store.submit_task(self.workspace.store, repo, agent, action, options)
        self._wake.set()
        return queued

    # -- the loop ---------------------------------------------------------------------------
    def _main(self) -> None:
        store = self.workspace.store
        try:
            task_store.interrupt_orphans(store, {self.owner}, STALE_AFTER_S)
        except Exception:  # noqa: BLE001 - a broken store: the pages say so themselves
            log.exception("could not check for interrupted tasks")
        while not self._stop.is_set():
            if not self.run_next():
                self._wake.wait(IDLE_POLL_S)
                self._wake.clear()

    def run_next(self) -> bool:
        """Claim and run one task; False when nothing may start now."""
        store = self.workspace.store
        try:
            task_store.interrupt_orphans(store, {self.owner}, STALE_AFTER_S)
            claimed = task_store.claim_next(store, self.owner, now=self.clock())
        except Exception:  # noqa: BLE001 - e.g. the store is locked for a minute: try later
            log.exception("could not claim a task")
            return False
        if claimed is None:
            return False
        self.current = claimed
        try:
            with long_task():  # and the next task's peak does not come on top of this one's
                self._execute(claimed)
        finally:
            self.current = None
        return True

    def run_until_idle(self, timeout_s: float = 600.0) -> None:
        """Run every task that may start now, in this thread (tests, benches, the CLI)."""
        deadline = time.monotonic() + timeout_s
        while self.run_next():
            if time.monotonic() > deadline:
                raise TimeoutError("tasks still queued after the timeout")

    def _execute(self, task: Task) -> None:
        store = self.workspace.store
        try:
            result = run_agent_on(
                self.workspace, task.agent, task.repo, self._progress(task), task.options
            )
        except RateLimited as exc:
            resume = exc.reset_at or self.clock() + 60
            task_store.defer_task(
                store, task.id, resume + 1, rate_limit_sentence(task, resume, self.clock())
            )
        except CIMedicError as exc:
            task_store.finish_task(store, task.id, "failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - an agent bug: one line for the page, the log keeps the rest
            log.exception("task %s (%s) failed", task.id, task.agent)
            task_store.finish_task(
                store,
                task.id,
                "failed",
                error=f"Unexpected error ({type(exc).__name__}: {exc}). What was stored before "
                "it is kept.",
            )
        else:
            task_store.finish_task(store, task.id, "done", summary=result.summary or "Done.")

    def _progress(self, task: Task):
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or fraction >= 1.0:
                last[0] = now
                task_store.report_progress(self.workspace.store, task.id, fraction, message)

        return progress

    def _heartbeat(self) -> None:
        """Beat for the running task even while its agent is quiet (a long model fit)."""
        while not self._stop.wait(HEARTBEAT_S):
            current = self.current
            if current is None:
                continue
            try:
                task_store.beat(self.workspace.store, current.id)
            except Exception:  # noqa: BLE001 - a missed beat is harmless; the next one retries
                log.debug("heartbeat failed", exc_info=True)


def rate_limit_sentence(task: Task, resume_at: float, now: float) -> str:
    """Which action met GitHub's rate limit, and when it resumes by itself."""
    until = time.strftime("%H:%M UTC", time.gmtime(resume_at))
    minutes = max(1, round((resume_at - now) / 60))
    return (
        f"{task.action} reached GitHub's rate limit: it resumes by itself at {until} (in about "
        f"{minutes} min). Everything fetched so far is kept."
    )


def ensure_runner(workspace: Workspace) -> TaskRunner:
    """The runner of this workspace's store in this process, started on first use."""
    key = str(workspace.store.path)
    with _lock:
        runner = _runners.get(key)
        if runner is None or not runner.alive:
            runner = _runners[key] = TaskRunner(workspace).start()
        return runner


def runners_idle() -> bool:
    """Whether no runner of this process has a queued or running task (tests wait for this)."""
    with _lock:
        runners = list(_runners.values())
    return all(not task_store.active_tasks(runner.workspace.store) for runner in runners)


def stop_runners() -> None:
    """Stop every runner of this process (tests)."""
    with _lock:
        runners = list(_runners.values())
        _runners.clear()
    for runner in runners:
        runner.stop()


def submit(
    workspace: Workspace, repo: str, agent: str, action: str, options: dict | None = None
) -> Task:
    """What a page's button does: record the task for this server's runner."""
    return ensure_runner(workspace).submit(repo, agent, action, options)


def prepare_demo(workspace: Workspace, runner: TaskRunner | None = None) -> list[Task]:
    """Queue the demo's first-start steps that never completed; returns the tasks queued.

    A step is complete when a task with the same agent and options finished ``done``; a step
    that failed or was interrupted is queued again (once per call: the app calls this once per
    server start). Nothing is queued in live mode: there the user picks the repository.
    """
    if not workspace.is_demo:
        return []
    store = workspace.store
    queued = []
    for step in demo_steps():
        if task_store.completed(store, workspace.repo, step.agent, step.options):
            continue
        if runner is None:
            queued.append(submit(workspace, workspace.repo, step.agent, step.action, step.options))
        else:
            queued.append(runner.submit(workspace.repo, step.agent, step.action, step.options))
    return queued
