"""The Pipelines page (Layer 1) on the demo: triggers, charts, exports, drill-down, log viewer."""

from __future__ import annotations

import json

import pytest

from tests.app.conftest import texts

PAGE = "pages/layer1_collection.py"


def _open(app):
    app.run()
    return app.switch_page(PAGE).run()


def test_given_the_demo_when_pipelines_opens_then_it_renders_every_chart_without_exception(app):
    _open(app)

    assert not app.exception
    titles = [
        json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")
    ]
    for expected in (
        "Runs per day",
        "Success rate by workflow",
        "Run duration per workflow",
        "Slowest jobs",
        "Slowest steps",
        "Job queue time",
        "Billable minutes",
        "Steps of",
    ):
        assert any(title.startswith(expected) for title in titles), expected


def test_given_the_charts_when_rendered_then_each_exports_png_from_its_toolbar_and_html(app):
    _open(app)

    charts = app.get("plotly_chart")
    configs = [json.loads(chart.proto.config) for chart in charts]
    assert all(config["toImageButtonOptions"]["format"] == "png" for config in configs)
    html_buttons = [b for b in app.get("download_button") if b.proto.label == "⬇ HTML"]
    assert len(html_buttons) == len(charts)


def test_given_the_tables_when_rendered_then_each_has_a_csv_download(app):
    _open(app)

    csv = [b for b in app.get("download_button") if b.proto.label == "⬇ CSV"]
    assert len(app.dataframe) >= 6
    assert len(csv) >= len(app.dataframe)


def test_given_the_demo_when_sync_now_is_pressed_then_the_monitor_runs_and_reports(app):
    _open(app)

    app.button(key="sync_button").click().run()

    assert not app.exception
    assert any("acme-labs/shopfront" in text for text in texts(app.success))


def test_given_re_check_every_stored_run_when_synced_then_the_monitor_says_what_it_re_checked(app):
    _open(app)

    app.checkbox(key="full_recheck").check().run()
    app.button(key="sync_button").click().run()

    assert not app.exception
    assert any(
        "Full re-check:" in text and "stored runs re-checked" in text for text in texts(app.success)
    )


def test_given_an_invalid_repository_when_typed_then_a_sentence_says_why_and_sync_is_off(app):
    _open(app)

    app.text_input(key="repo_input").input("not a repository").run()

    assert not app.exception
    assert any("owner/name" in text for text in texts(app.error))
    assert app.button(key="sync_button").disabled


def test_given_a_repository_the_demo_lacks_when_synced_then_an_error_sentence_not_a_trace(app):
    _open(app)

    app.text_input(key="repo_input").input("https://github.com/octocat/Hello-World").run()
    app.button(key="sync_button").click().run()

    assert not app.exception
    errors = texts(app.error)
    assert errors and "octocat/Hello-World" in errors[-1]
    assert "Traceback" not in " ".join(errors)


def test_given_the_demo_when_fetch_logs_is_pressed_then_logs_are_stored_and_viewable(app):
    _open(app)

    app.button(key="fetch_logs_button").click().run()
    assert not app.exception
    assert any(text.startswith("Stored") for text in texts(app.success))

    app.selectbox(key="drill_conclusion").set_value("failure").run()
    failed = [job for job in app.selectbox(key="drill_job").options if job.endswith("failure")]
    app.selectbox(key="drill_job").set_value(failed[0]).run()

    assert not app.exception
    log = app.dataframe[-1].value
    assert {"line", "step", "text", "error", "github"} <= set(log.columns)
    assert len(log) > 0


def test_given_a_filtered_drill_down_when_a_run_is_chosen_then_its_jobs_and_steps_show(app):
    _open(app)

    app.selectbox(key="drill_conclusion").set_value("failure").run()

    assert not app.exception
    runs = [frame.value for frame in app.dataframe if "run_number" in frame.value.columns]
    assert runs and (runs[0]["conclusion"] == "failure").all()
    jobs = [frame.value for frame in app.dataframe if "attempt" in frame.value.columns]
    assert jobs and len(jobs[0]) > 0


def test_given_a_log_with_script_tags_when_viewed_then_it_shows_as_plain_text(app, script_log):
    _open(app)

    log = app.dataframe[-1].value

    assert not app.exception
    assert log["text"].tolist()[0] == "<script>alert('owned')</script>"
    rendered = " ".join(texts(app.markdown) + texts(app.caption))
    assert "<script>" not in rendered
    assert log.loc[log["error"], "line"].tolist() == [3]


def test_given_a_log_when_searched_then_only_matching_lines_keep_their_numbers(app, script_log):
    _open(app)

    app.text_input(key="log_search").input("BOLD").run()

    log = app.dataframe[-1].value
    assert log["line"].tolist() == [2]
    assert any("1 of 3 lines" in text for text in texts(app.caption))


def test_given_error_lines_when_one_is_jumped_to_then_its_context_shows(app, script_log):
    _open(app)
    jump = next(box for box in app.selectbox if box.key.startswith("log_jump_"))

    jump.set_value(3).run()

    assert not app.exception
    assert app.dataframe[-1].value["line"].tolist() == [1, 2, 3]


def test_given_the_demo_when_pipelines_renders_then_no_token_is_ever_shown(app):
    _open(app)

    shown = " ".join(
        texts(app.caption)
        + texts(app.markdown)
        + texts(app.code)
        + texts(app.info)
        + texts(app.success)
    )
    assert "no token needed" in shown
    assert "demo-token" not in shown


def test_given_an_agent_bug_when_collecting_then_one_error_line_shows_not_a_trace(
    app, monkeypatch: pytest.MonkeyPatch
):
    def broken(*_args, **_kwargs):
        raise TypeError("cannot convert 'KeptLog' object to bytes")

    monkeypatch.setattr("agents.actions.run_collection", broken)
    _open(app)

    app.button(key="sync_button").click().run()

    assert not app.exception
    assert any(text.startswith("Unexpected error (TypeError") for text in texts(app.error))
