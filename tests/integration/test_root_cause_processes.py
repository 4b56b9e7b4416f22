"""Root Cause Analysis in worker processes finds exactly what it finds in the app's process.

A long analysis (many failures) is split into chunks analysed side by side in worker
processes, each opening the store itself; the findings must not depend on it, and the workers
ending must not disturb the app's own connections to the store (which it opens twice).
"""

from __future__ import annotations

from agents.base import AgentContext
from agents.root_cause import failures
from agents.root_cause.agent import RootCauseAgent
from agents.runner import run_agent
from core.config import Settings
from core.sandbox.demo.generator import DEMO_REPO
from core.store.db import Store
from core.store.findings import load_findings

_COMPARED = ["subject", "category", "confidence", "transient", "lines", "summary", "fingerprint"]


def _findings(store, processes_from: int):
    agent = RootCauseAgent()
    agent.processes_from = processes_from
    run_agent(agent, AgentContext(store, Settings(), DEMO_REPO))
    found = load_findings(store, DEMO_REPO, "root_cause")
    return found.sort_values("subject")[_COMPARED].reset_index(drop=True)


def test_given_failures_analysed_in_worker_processes_then_the_findings_equal_one_process(
    imported_demo, tmp_path, monkeypatch
):
    monkeypatch.setattr(failures, "_CHUNK", 7)  # many chunks, cut between green logs

    here = _findings(imported_demo.copy_to(tmp_path, "here.db"), processes_from=10**9)
    store = imported_demo.copy_to(tmp_path, "apart.db")
    also = Store(store.path)  # the app opens its store twice (workspace, publishing worker)
    apart = _findings(store, processes_from=0)

    assert len(here) > 20
    assert apart.equals(here)
    # the workers have exited: the findings they led to are still committed and readable
    assert (tmp_path / "apart.db-wal").exists()
    assert len(load_findings(also, DEMO_REPO, "root_cause")) == len(apart)
    assert also.scalar("PRAGMA integrity_check") == "ok"
