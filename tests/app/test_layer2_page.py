"""The Intelligence page (Layer 2) on the small demo: tabs, the Root causes trigger, tables,
charts, the demo self-evaluation, and log text that stays text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.app.conftest import settle, texts

PAGE = "pages/layer2_intelligence.py"


@pytest.fixture(scope="module")
def logs_fetched(demo_home: Path) -> Path:
    """The demo's logs are stored, as after pressing Fetch logs on the Pipelines page."""
    from agents.actions import run_agent_on
    from core.workspace import open_workspace

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CI_MEDIC_HOME", str(demo_home))
        workspace = open_workspace({"CI_MEDIC_HOME": str(demo_home)}, {})
        run_agent_on(workspace, "log_ingester", workspace.repo)
    return demo_home


def _open(app, tab: str | None = None):
    """Open the page (on ``tab``, the open tab's title, when given)."""
    app.run()
    if tab is not None:
        app.session_state["intelligence_tab"] = tab
    return app.switch_page(PAGE).run()


def _layer2_titles() -> list[str]:
    from agents.registry import all_agents

    return [agent.title for agent in all_agents() if agent.layer == 2]


def _analysed(app):
    _open(app)
    return settle(app.button(key="analyse_button").click().run())


def _chart_titles(app) -> list[str]:
    return [
        json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")
    ]


def test_given_the_demo_when_intelligence_opens_then_one_tab_per_registered_layer2_agent(app):
    from agents.registry import all_agents

    _open(app)

    assert not app.exception
    assert [tab.label for tab in app.tabs] == [a.title for a in all_agents() if a.layer == 2]


def test_given_a_layer2_agent_without_a_section_when_opened_then_its_tab_says_so(
    app, monkeypatch: pytest.MonkeyPatch
):
    from agents.actions import agent_catalogue

    registered = agent_catalogue()
    monkeypatch.setattr(
        "pages._shell.agent_catalogue", lambda: [*registered, ("no_section_yet", "Later", 2)]
    )

    _open(app, tab="Later")

    assert not app.exception
    assert [tab.label for tab in app.tabs][-1] == "Later"
    assert any("has no page section yet" in text for text in texts(app.info))


@pytest.mark.parametrize("title", _layer2_titles())
def test_given_each_agent_tab_when_opened_then_its_section_draws_without_error(app, title):
    """Every Layer-2 section on the demo after its first start: something to read, no error."""
    _open(app, tab=title)

    assert not app.exception
    drawn = len(app.dataframe) + len(app.get("plotly_chart")) + len(app.info) + len(app.metric)
    assert drawn > 0, title


def test_given_the_demo_when_flaky_tests_opens_then_the_quarantine_list_shows_owners_and_expiries(
    app,
):
    """The quarantine list after the first start: a table with owners and expiries, where the
    owners come from (the demo's CODEOWNERS), and the JSON to download."""
    _open(app, tab="Flaky Tests")

    assert not app.exception
    assert "##### Quarantine list" in texts(app.markdown)
    columns = [set(frame.value.columns) for frame in app.dataframe]
    assert any({"test_id", "owners", "expires", "created", "reason"} <= c for c in columns)
    assert any("owners from .github/CODEOWNERS" in text for text in texts(app.caption))


def test_given_the_first_tab_open_when_rendered_then_no_other_section_runs(
    app, monkeypatch: pytest.MonkeyPatch
):
    """Only the open tab's section runs: a render costs one agent's view, not all of them."""
    import pages._shell as shell

    sections = shell.agent_sections(layer=2)

    def refuse(_page):
        raise AssertionError("a hidden tab's section ran")

    first = sections[0]
    monkeypatch.setattr(
        "pages._shell.agent_sections",
        lambda layer: [first] + [(title, refuse) for title, _render in sections[1:]],
    )

    _open(app)

    assert not app.exception


def test_given_no_stored_logs_when_opened_then_it_says_fetch_logs_first_and_waits(
    app, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("agents.root_cause.view.stored_logs", lambda _store, _repo: 0)

    _open(app)

    assert not app.exception
    assert any("Fetch logs on the Pipelines page first" in text for text in texts(app.info))
    assert app.button(key="analyse_button").disabled


def test_given_fetched_logs_when_analyse_is_pressed_then_failures_table_and_charts_show(
    app, logs_fetched
):
    _analysed(app)

    assert not app.exception
    assert any("failed jobs explained" in text for text in texts(app.success))
    failures = app.dataframe[0].value
    assert {
        "job",
        "workflow",
        "branch",
        "category",
        "confidence",
        "transient",
        "summary",
        "cluster",
        "suggestion",
    } <= set(failures.columns)
    assert len(failures) > 0
    titles = _chart_titles(app)
    for expected in ("Occurrences per day", "Failures by class"):
        assert any(title.startswith(expected) for title in titles), expected
    clusters = [frame.value for frame in app.dataframe if "first_seen" in frame.value.columns]
    assert clusters and {"occurrences", "branches", "prs", "on_default_branch"} <= set(
        clusters[0].columns
    )


def test_given_analysed_failures_when_rendered_then_every_table_and_chart_exports(
    app, logs_fetched
):
    _analysed(app)

    downloads = app.get("download_button")
    csv = [b for b in downloads if b.proto.label.endswith("CSV")]
    html = [b for b in downloads if b.proto.label.endswith("HTML")]
    configs = [json.loads(chart.proto.config) for chart in app.get("plotly_chart")]
    assert len(csv) >= len(app.dataframe)
    assert len(html) == len(configs)
    assert all(config["toImageButtonOptions"]["format"] == "png" for config in configs)


def test_given_a_selected_failure_when_shown_then_its_failing_lines_are_marked(app, logs_fetched):
    _analysed(app)

    excerpt = next(frame.value for frame in app.dataframe if "failing" in frame.value.columns)

    assert excerpt["failing"].any()
    assert texts(app.code)  # the evidence lines


def test_given_a_class_filter_when_chosen_then_only_that_class_is_listed(app, logs_fetched):
    _analysed(app)
    first = app.selectbox(key="rca_class").options[0]

    app.selectbox(key="rca_class").set_value(first).run()

    assert not app.exception
    assert set(app.dataframe[0].value["category"]) == {first}


def test_given_demo_mode_when_analysed_then_the_self_evaluation_shows(app, logs_fetched):
    _analysed(app)

    labels = [metric.label for metric in app.metric]
    assert {"Class accuracy", "Failing lines hit@5"} <= set(labels)
    assert any(title.startswith("Confusion matrix") for title in _chart_titles(app))


def test_given_live_mode_when_analysed_then_no_self_evaluation_is_offered(
    app, logs_fetched, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("agents.root_cause.view.demo_truth", lambda _workspace, _repo: None)

    _analysed(app)

    assert not app.exception
    assert "Class accuracy" not in [metric.label for metric in app.metric]
    assert not any(title.startswith("Confusion") for title in _chart_titles(app))


def test_given_a_script_log_line_when_excerpted_then_it_shows_as_plain_text(
    app, logs_fetched, script_log
):
    _analysed(app)

    excerpt = next(frame.value for frame in app.dataframe if "failing" in frame.value.columns)

    assert not app.exception
    assert "<script>alert('owned')</script>" in excerpt["text"].tolist()
    rendered = " ".join(texts(app.markdown) + texts(app.caption) + texts(app.text))
    assert "<script>" not in rendered


def test_given_demo_mode_when_analysed_then_nothing_links_to_the_nonexistent_github_repository(
    app, logs_fetched
):
    from pages._settings import DEMO_LINKS_NOTE

    _analysed(app)

    for frame in app.dataframe:
        for column in frame.value.columns:
            cells = frame.value[column].astype(str)
            # a link, not a Go test's package path (github.com/acme-labs/shopfront/cli/...)
            assert not cells.str.contains("://github.com/acme-labs").any(), column
    assert not app.get("link_button")
    assert DEMO_LINKS_NOTE in texts(app.caption)


def test_given_analysed_clusters_when_charted_then_the_legend_names_the_failure_not_a_hash(
    app, logs_fetched
):
    _analysed(app)

    chart = next(
        json.loads(c.proto.spec)
        for c in app.get("plotly_chart")
        if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("Occurrences per day")
    )
    clusters = next(frame.value for frame in app.dataframe if "first_seen" in frame.value.columns)
    legend = [trace["name"] for trace in chart["data"]]
    assert legend and not set(legend) & set(clusters["cluster"])
    assert all(":" in name for name in legend)  # "<class>: <what failed>"
    categories = set(clusters["category"])
    assert all(name.split(":")[0] in categories for name in legend)


def test_given_another_period_when_chosen_then_the_root_causes_follow_it(app, logs_fetched):
    _analysed(app)
    everything = len(app.dataframe[0].value)

    app.sidebar.radio(key="period").set_value(7).run()

    assert not app.exception
    assert any("last 7 days of activity" in text for text in texts(app.caption))
    if app.dataframe and "category" in app.dataframe[0].value.columns:
        assert len(app.dataframe[0].value) <= everything
    else:
        assert any("No analysed failure in the last 7 days" in text for text in texts(app.info))


def test_given_the_demo_predicted_when_the_prediction_tab_opens_then_the_stored_shap_views_show(
    app,
):
    """The SHAP explanation was computed by the agent's run (the first start) and stored: the
    tab draws the global importance, the beeswarm and one run's waterfall without fitting."""
    _open(app, tab="Failure Prediction")

    assert not app.exception
    titles = " ".join(_chart_titles(app)).lower()
    assert "shap" in titles or "why" in titles, titles
    assert app.selectbox(key="shap_run").options


def test_given_judged_tests_when_flaky_tests_opens_then_verdict_and_score_charts_show(app):
    """The verdict split and the score distribution draw from the stored findings, each with
    its exports; the re-run minutes and the clusters have their headings."""
    _open(app, tab="Flaky Tests")

    assert not app.exception
    titles = _chart_titles(app)
    assert "Verdicts of the tests" in titles
    assert "Scores of the judged tests" in titles
    markdown = texts(app.markdown)
    assert "##### Minutes wasted by re-runs" in markdown
    assert "##### Flaking together" in markdown
    buttons = {button.key for button in app.get("download_button")}
    assert {"flaky_tests_split_html", "flaky_tests_scores_html"} <= buttons


def test_given_a_flaky_or_broken_test_when_picked_then_its_strip_and_results_show(app):
    """The drill-down offers the flaky and broken tests; picking one draws its pass/fail strip
    and the table of its results with their messages."""
    from agents.flaky_tests.view import drill_options, flaky_view
    from core.workspace import open_workspace

    _open(app, tab="Flaky Tests")
    workspace = open_workspace({"CI_MEDIC_HOME": os.environ["CI_MEDIC_HOME"]}, {})
    options = drill_options(flaky_view(workspace.store, workspace.repo, "flaky_tests").findings)
    if not options:
        pytest.skip("the demo judged no test flaky or broken")
    pick = options[-1]

    app.selectbox(key="flaky_tests_drill").set_value(pick).run()

    assert not app.exception
    assert app.selectbox(key="flaky_tests_drill").value == pick
    assert any(title.startswith(pick) for title in _chart_titles(app))
    wanted = {"run_id", "attempt", "job", "created_at", "outcome", "message"}
    results = [frame.value for frame in app.dataframe if wanted <= set(frame.value.columns)]
    assert len(results) == 1
    assert len(results[0]) > 0
