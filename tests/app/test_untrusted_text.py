"""Text and links that come from GitHub, logs or a dump are data: never markup, never a link
elsewhere. A sync message, a task's progress and error, and an agent's error holding Markdown
(an image beacon, a link, KaTeX, HTML, Streamlit directives) are drawn escaped; a
``javascript:`` or foreign link column is emptied."""

from __future__ import annotations

import dataclasses
import os
import time

from core.presentation.text import plain
from tests.app.conftest import texts

PAYLOAD = (
    "![x](http://evil.example/beacon.png) [link](http://x) $$\\KaTeX$$ <img src=x> "
    ":material/warning: :red[alarm]"
)
ESCAPED = plain(PAYLOAD)


def _store():
    from core.workspace import open_workspace

    return open_workspace(dict(os.environ), {}).store


def test_the_escaped_form_is_what_the_tests_look_for():
    assert ESCAPED.startswith(r"\!\[x\]\(http\://evil\.example/beacon\.png\)")
    assert r"\$\$\\KaTeX\$\$" in ESCAPED and r"\<img src\=x\>" in ESCAPED
    assert r"\:red\[alarm\]" in ESCAPED and ":material/" not in ESCAPED


def test_given_a_sync_message_with_markdown_when_the_sidebar_draws_it_then_it_is_escaped(
    app, monkeypatch
):
    stamp = "2026-05-01T00:00:00+00:00"
    monkeypatch.setattr(
        "core.store.dashboards.freshness", lambda _store, _repo: (stamp, "error", PAYLOAD, stamp, 3)
    )

    app.run()

    assert not app.exception
    warnings = texts(app.sidebar.warning)
    assert warnings == [ESCAPED]
    assert PAYLOAD not in warnings


def test_given_an_agent_error_with_markdown_when_the_overview_draws_it_then_it_is_escaped(
    app, monkeypatch
):
    from pages import _shell

    real = _shell.overview

    def failing(workspace, repo, days):
        view = real(workspace, repo, days)
        agents = view.agents.copy()
        first = agents.index[0]
        agents.loc[first, "status"] = "error"
        agents.loc[first, "error"] = PAYLOAD
        return dataclasses.replace(view, agents=agents)

    monkeypatch.setattr(_shell, "overview", failing)

    app.run()

    assert not app.exception
    errors = texts(app.error)
    assert any(text.endswith(f": {ESCAPED}") for text in errors), errors
    assert not any(PAYLOAD in text for text in errors)


def test_given_tasks_with_markdown_messages_when_the_panel_draws_them_then_they_are_escaped(
    app, no_runner
):
    from core.store import tasks as task_store

    store = _store()
    running = task_store.submit_task(store, "octo-org/evil", "pipeline_monitor", "Sync")
    claimed = task_store.claim_next(store, "elsewhere")
    assert claimed is not None and claimed.id == running.id
    task_store.report_progress(store, running.id, 0.5, PAYLOAD)
    waiting = task_store.submit_task(store, "octo-org/evil", "log_ingester", "Fetch logs")
    task_store.claim_next(store, "elsewhere")
    task_store.defer_task(store, waiting.id, time.time() + 3600, PAYLOAD)
    try:
        app.run()  # both are active: drawn, and watched by this session

        assert not app.exception
        progress = [element.proto.text for element in app.get("progress")]
        assert f"Sync · octo-org/evil: {ESCAPED}" in progress, progress
        assert ESCAPED in texts(app.warning)

        task_store.finish_task(store, running.id, "failed", error=PAYLOAD)
        app.run()  # the watched task ended: the page says how

        assert not app.exception
        errors = texts(app.error)
        assert f"Sync failed: {ESCAPED}" in errors, errors
        assert not any(PAYLOAD in text for text in errors + texts(app.warning))
    finally:
        task_store.finish_task(store, running.id, "failed", error="test over")
        task_store.finish_task(store, waiting.id, "failed", error="test over")


def test_given_foreign_or_script_links_when_the_overview_draws_failures_then_they_are_empty(
    app, monkeypatch
):
    from pages import _shell

    monkeypatch.setattr("pages._settings.github_links", lambda _workspace: True)
    monkeypatch.setattr("pages._settings.github_host", lambda _workspace: "github.com")
    real = _shell.overview

    def tampered(workspace, repo, days):
        view = real(workspace, repo, days)
        failures = view.failures.copy()
        failures.loc[failures.index[0], "run_url"] = "javascript:alert(document.cookie)"
        failures.loc[failures.index[0], "job_url"] = "https://evil.example/acme/job/1"
        return dataclasses.replace(view, failures=failures)

    monkeypatch.setattr(_shell, "overview", tampered)

    app.run()

    assert not app.exception
    failures = next(frame.value for frame in app.dataframe if "run_url" in frame.value.columns)
    assert failures["run_url"].iloc[0] == "" and failures["job_url"].iloc[0] == ""
    rest = failures.iloc[1:]
    assert rest["run_url"].str.startswith("https://github.com/").all()
    assert rest["job_url"].str.startswith("https://github.com/").all()


def test_given_a_link_to_another_host_when_live_then_no_link_is_drawn(app, monkeypatch):
    """The configured GitHub is an Enterprise Server: github.com links are foreign there."""
    monkeypatch.setattr("pages._settings.github_links", lambda _workspace: True)
    monkeypatch.setattr("pages._settings.github_host", lambda _workspace: "ghe.corp.example")

    app.run()

    assert not app.exception
    failures = next(frame.value for frame in app.dataframe if "run_url" in frame.value.columns)
    assert (failures["run_url"] == "").all() and (failures["job_url"] == "").all()
