"""The Overview page on the demo: KPIs with changes, agent health, what needs attention."""

from __future__ import annotations

import json
from pathlib import Path

from agents.pipeline_monitor.view import ATTENTION_AGENTS
from agents.registry import all_agents
from tests.app.conftest import texts

ROOT = Path(__file__).resolve().parents[2]


def test_given_the_demo_when_the_app_opens_then_the_overview_renders_without_exception(app):
    app.run()

    assert not app.exception
    assert app.title[0].value == "Overview"
    assert "acme-labs/shopfront" in " ".join(texts(app.sidebar.code))
    assert any(text.startswith("Demo mode") for text in texts(app.sidebar.caption))


def test_given_the_demo_when_the_overview_renders_then_six_kpis_compare_with_before(app):
    app.run()

    labels = [metric.label for metric in app.metric]
    assert labels == [
        "Runs",
        "Failure rate",
        "Median duration",
        "p95 queue",
        "Minutes used",
        "Estimated cost",
    ]
    assert int(app.metric[0].value.replace(",", "")) > 0
    assert any(metric.proto.delta for metric in app.metric)


def test_given_the_first_sync_when_the_overview_renders_then_the_monitor_shows_its_last_run(app):
    app.run()

    agents = app.dataframe[0].value
    monitor = agents[agents["agent"] == "Pipeline Monitor"].iloc[0]
    assert monitor["status"] == "ok"
    assert monitor["summary"].startswith(("Synced", "acme-labs/shopfront is up to date"))
    assert set(agents["agent"]) >= {"Pipeline Monitor", "Log Ingester"}


def test_given_the_demo_when_the_overview_renders_then_a_runs_chart_is_drawn(app):
    app.run()

    charts = app.get("plotly_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert {trace["name"] for trace in spec["data"]} & {"success", "failure"}


def test_given_demo_failures_when_the_overview_renders_then_they_do_not_link_to_github(app):
    from pages._settings import DEMO_LINKS_NOTE

    app.run()

    failures = [frame.value for frame in app.dataframe if "run_number" in frame.value.columns]
    assert failures, "the latest failures table is missing"
    assert not {"run_url", "job_url"} & set(failures[0].columns)  # the demo is not on GitHub
    assert DEMO_LINKS_NOTE in texts(app.caption)


def test_given_live_failures_when_the_overview_renders_then_they_link_to_github(app, monkeypatch):
    monkeypatch.setattr("pages._settings.github_links", lambda _workspace: True)
    # the demo's links are github.com's; live, links go only to the configured GitHub's host
    monkeypatch.setattr("pages._settings.github_host", lambda _workspace: "github.com")

    app.run()

    failures = [frame.value for frame in app.dataframe if "run_url" in frame.value.columns]
    assert failures, "the latest failures table has no links"
    assert failures[0]["run_url"].str.contains("/actions/runs/").all()


def test_given_the_overview_tables_when_drawn_then_no_cell_says_none_and_times_are_local(app):
    app.run()

    for frame in app.dataframe:
        cells = frame.value.astype(str)
        for column in cells.columns:
            assert not cells[column].isin(["None", "nan", "NaN", "NaT"]).any(), column
            assert not cells[column].str.contains(r"\+00:00").any(), column


def test_given_runner_prices_edited_on_pipelines_when_the_overview_renders_then_cost_follows(app):
    app.run()
    listed = next(m.value for m in app.metric if m.label == "Estimated cost")

    for name in ("Linux", "Windows", "macOS"):
        app.session_state[f"price_{name}"] = 0.0  # as if typed on the Pipelines page
    app.run()

    assert not app.exception
    assert listed != "$0.00"
    assert next(m.value for m in app.metric if m.label == "Estimated cost") == "$0.00"


def test_given_unregistered_intelligence_agents_when_overview_then_they_say_not_available(app):
    app.run()

    markdown = " ".join(texts(app.markdown))
    notes = [text for text in texts(app.caption) if text.startswith("Not yet available")]
    assert "New anomalies" in markdown and "Flaky tests" in markdown
    registered = {agent.name for agent in all_agents()}
    missing = [name for name, _title in ATTENTION_AGENTS if name not in registered]
    assert len(notes) == len(missing)


def test_given_another_period_when_chosen_then_the_kpis_follow_it(app):
    app.run()
    runs_30 = app.metric[0].value

    app.run()  # AppTest reruns the page without app.py (pages/ folder mode): settle on that
    app.sidebar.radio(key="period").set_value(7).run()

    assert not app.exception
    assert int(app.metric[0].value.replace(",", "")) <= int(runs_30.replace(",", ""))
    assert "last 7 days" in " ".join(texts(app.caption))


def test_given_the_pages_when_read_then_nothing_renders_html_from_data():
    sources = [ROOT / "app.py"] + [
        ROOT / "pages" / name for name in ("_shell.py", "overview.py", "layer1_collection.py")
    ]

    offenders = [path.name for path in sources if "unsafe_allow_html" in path.read_text()]
    assert offenders == []


def test_given_the_first_start_when_the_overview_renders_then_failures_show_their_root_cause(app):
    """What a newcomer wants first: what broke and why, on the first page, without a click."""
    app.run()

    assert any("Most common root causes" in text for text in texts(app.text))
    failures = next(frame.value for frame in app.dataframe if "root_cause" in frame.value.columns)
    explained = failures[failures["root_cause"].astype(str).str.len() > 0]
    assert len(explained) > 0
    assert (explained["cause_summary"].astype(str).str.len() > 0).all()


def test_given_a_repository_being_collected_when_its_overview_is_empty_then_it_says_data_is_coming(
    app, no_runner
):
    import os
    import time

    from core.store import tasks as task_store
    from core.workspace import open_workspace

    store = open_workspace(dict(os.environ), {}).store
    queued = task_store.submit_task(store, "octo-org/empty", "pipeline_monitor", "Sync")
    task_store.claim_next(store, "elsewhere")
    task_store.defer_task(store, queued.id, time.time() + 3600, "Sync reached the rate limit")
    try:
        app.session_state["repo"] = "octo-org/empty"
        app.run()

        assert not app.exception
        assert any("being collected and analysed in the background" in t for t in texts(app.info))
        assert any("rate limit" in text for text in texts(app.warning))  # the waiting task
    finally:
        task_store.finish_task(store, queued.id, "failed", error="test over")
