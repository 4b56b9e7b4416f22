"""The Pipelines page (Layer 1) on the demo: triggers, charts, exports, drill-down, log viewer."""

from __future__ import annotations

import json
import re

import pytest

from tests.app.conftest import settle, texts

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
    html_buttons = [b for b in app.get("download_button") if b.proto.label == "HTML"]
    assert len(html_buttons) == len(charts)


def test_given_the_tables_when_rendered_then_each_has_a_csv_download(app):
    _open(app)

    csv = [b for b in app.get("download_button") if b.proto.label == "CSV"]
    assert len(app.dataframe) >= 6
    assert len(csv) >= len(app.dataframe)


def test_given_the_demo_when_sync_now_is_pressed_then_the_monitor_runs_and_reports(app):
    _open(app)

    settle(app.button(key="sync_button").click().run())

    assert not app.exception
    assert any("acme-labs/shopfront" in text for text in texts(app.success))


def test_given_re_check_every_stored_run_when_synced_then_the_monitor_says_what_it_re_checked(app):
    _open(app)

    app.checkbox(key="full_recheck").check().run()
    settle(app.button(key="sync_button").click().run())

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
    settle(app.button(key="sync_button").click().run())

    assert not app.exception
    errors = texts(app.error)
    assert errors and "octocat/Hello-World" in errors[-1]
    assert "Traceback" not in " ".join(errors)


def test_given_the_demo_when_fetch_logs_is_pressed_then_logs_are_stored_and_viewable(app):
    _open(app)

    settle(app.button(key="fetch_logs_button").click().run())
    assert not app.exception
    assert any("Stored" in text for text in texts(app.success))

    app.selectbox(key="drill_conclusion").set_value("failure").run()

    assert not app.exception
    assert _chosen(app, "drill_job").endswith("failure")  # a failed run opens on its failed job
    assert _log_numbers(app)  # its log, with its line numbers
    assert _chosen(app, next(b.key for b in app.selectbox if b.key.startswith("log_jump_")))


# --------------------------------------------------------------------------- drill-down, log viewer

NUMBER = re.compile(r'class="cim-n"[^>]*>([\d,]+)<')
SELECTED = re.compile(r'cim-sel"><(?:a|span) class="cim-n"[^>]*>([\d,]+)<')
IN_FLIGHT = ("in progress", "queued")


def _chosen(app, key: str) -> str:
    """The label a select box shows for its current choice."""
    box = app.selectbox(key=key)
    return box.options[box.index]


def _table(app, column: str):
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


def _log_html(app) -> str:
    (viewer,) = app.html
    return viewer.value


def _log_numbers(app, pattern: re.Pattern = NUMBER) -> list[int]:
    return [int(n.replace(",", "")) for n in pattern.findall(_log_html(app))]


def _jump(app):
    return next(box for box in app.selectbox if box.key.startswith("log_jump_"))


@pytest.fixture()
def fresh_log_cache():
    """The viewer caches a job's log by its stored version; a test that swaps the log clears it
    (before, and after for the next test)."""
    from pages._drilldown import _log_index

    _log_index.clear()
    yield
    _log_index.clear()


@pytest.fixture()
def stored_log(monkeypatch: pytest.MonkeyPatch, fresh_log_cache):
    """Make every job's stored log the given raw text."""
    from core.logs.normalise import normalise_log

    def use(raw: str) -> None:
        log = normalise_log(raw)
        monkeypatch.setattr("core.store.logs.load_log", lambda _store, _repo_id, _job_id: log)

    return use


def test_given_the_demo_when_the_drill_down_opens_then_the_newest_finished_run_is_chosen(app):
    _open(app)

    runs = _table(app, "Run ID")
    finished = runs[~runs["Result"].isin(IN_FLIGHT)]

    assert not app.exception
    assert runs["Result"].iloc[0] in IN_FLIGHT  # the demo ends with runs still in flight
    assert app.selectbox(key="drill_run").value == int(finished["Run ID"].iloc[0])
    assert not any(word in _chosen(app, "drill_run") for word in IN_FLIGHT)


def test_given_a_failed_run_when_it_opens_then_its_failed_job_is_chosen(app):
    _open(app)

    app.selectbox(key="drill_conclusion").set_value("failure").run()

    jobs = _table(app, "Job ID")
    latest = jobs[jobs["Attempt"] == jobs["Attempt"].max()]
    failed = latest[latest["Result"].isin(["failure", "timed out", "startup failure"])]
    assert not app.exception
    assert app.selectbox(key="drill_job").value == int(failed["Job ID"].iloc[0])
    assert latest["Result"].iloc[0] != "failure" or len(failed) > 0


def test_given_a_chosen_run_and_job_when_a_price_or_filter_changes_then_they_stay_chosen(app):
    _open(app)
    app.selectbox(key="drill_conclusion").set_value("failure").run()
    run_id = int(_table(app, "Run ID")["Run ID"].iloc[1])
    app.selectbox(key="drill_run").set_value(run_id).run()
    job_id = int(_table(app, "Job ID")["Job ID"].iloc[-1])
    app.selectbox(key="drill_job").set_value(job_id).run()
    workflow = _table(app, "Run ID").set_index("Run ID").loc[str(run_id), "Workflow"]

    next(box for box in app.number_input if box.key.startswith("price_")).set_value(0.5).run()
    after_price = (app.selectbox(key="drill_run").value, app.selectbox(key="drill_job").value)
    app.selectbox(key="drill_workflow").set_value(workflow).run()
    after_filter = (app.selectbox(key="drill_run").value, app.selectbox(key="drill_job").value)
    app.selectbox(key="drill_conclusion").set_value("success").run()

    assert not app.exception
    assert after_price == after_filter == (run_id, job_id)
    assert app.selectbox(key="drill_run").value != run_id  # no longer offered: the default


def test_given_the_drill_down_tables_when_shown_then_they_read_like_prose(app):
    _open(app)
    app.selectbox(key="drill_conclusion").set_value("failure").run()

    tables = [_table(app, "Run ID"), _table(app, "Job ID"), _table(app, "Step")]

    assert not app.exception
    runs = tables[0]
    assert (runs["Result"] == "failure").all()
    for frame in tables:
        assert all("_" not in column for column in frame.columns), frame.columns
        cells = set(frame.astype(str).to_numpy().ravel().tolist())
        assert not cells & {"None", "nan", "NaN", "NaT", "<NA>"}
        assert not any("+00:00" in cell for cell in cells)
    assert any("Times in UTC" in text for text in texts(app.caption))


def test_given_remembered_tabs_when_widgets_rerun_the_page_then_tab_and_choice_stay():
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from pages._drilldown import remembered_tabs, sticky_select

        _, second = remembered_tabs(["Activity", "Drill-down"])
        narrow = st.checkbox("Only recent", key="narrow")
        st.number_input("Price", key="price")
        with second:
            sticky_select("Run", [3, 2] if narrow else [3, 2, 1], 3, "run")

    app = AppTest.from_function(page).run()
    app.session_state["pipelines_tab"] = "Drill-down"
    app.run()
    app.selectbox(key="run").set_value(2).run()

    app.number_input(key="price").set_value(1.5).run()
    app.checkbox(key="narrow").check().run()

    assert not app.exception
    assert app.session_state["pipelines_tab"] == "Drill-down"
    assert app.selectbox(key="run").value == 2


def test_given_a_log_with_script_tags_when_viewed_then_it_shows_as_plain_text(
    app, script_log, fresh_log_cache
):
    _open(app)

    body = _log_html(app)

    assert not app.exception
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in body
    assert "&lt;b&gt;bold?&lt;/b&gt;" in body
    assert "<script" not in body and "<b>" not in body
    assert _log_numbers(app) == [1, 2, 3]
    assert _log_numbers(app, SELECTED) == [3]  # the error line, highlighted
    rendered = " ".join(texts(app.markdown) + texts(app.caption))
    assert "<script>" not in rendered


def test_given_markdown_and_maths_in_a_log_when_viewed_then_they_show_literally(app, stored_log):
    lines = [
        "![x](http://evil.example/pixel.png)",
        "[link](http://x.example)",
        "$katex$ and $$\\frac{1}{0}$$",
        "<img src=x onerror=alert(1)>",
        "npm ERR! ERESOLVE unable to resolve dependency tree",
    ]
    stored_log("\n".join(lines) + "\n")
    _open(app)

    body = _log_html(app)

    assert not app.exception
    for literal in lines[:3]:
        assert literal in body  # st.html applies no Markdown and no maths
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<img" not in body
    rendered = " ".join(texts(app.markdown) + texts(app.caption) + texts(app.info))
    assert "evil.example" not in rendered and "katex" not in rendered


def test_given_error_lines_when_offered_then_they_read_as_text_and_the_first_opens(
    app, script_log, fresh_log_cache
):
    _open(app)

    jump = _jump(app)

    assert not app.exception
    assert jump.options == ["L3: error: boom"]
    assert jump.value == 3
    assert _log_numbers(app, SELECTED) == [3]


def test_given_a_log_when_searched_then_only_matching_lines_keep_their_numbers(
    app, script_log, fresh_log_cache
):
    _open(app)

    app.text_input(key="log_search").input("BOLD").run()

    assert _log_numbers(app) == [2]
    assert "<mark>bold</mark>" in _log_html(app)
    assert any("1 of 3 lines" in text for text in texts(app.caption))


def test_given_a_search_when_an_error_is_jumped_to_then_its_context_shows(
    app, script_log, fresh_log_cache
):
    _open(app)
    app.text_input(key="log_search").input("BOLD").run()
    assert _jump(app).value == 3  # already chosen: a button shows it

    app.button(key=f"{_jump(app).key}_show").click().run()

    assert not app.exception
    assert app.text_input(key="log_search").value == ""
    assert _log_numbers(app) == [1, 2, 3]
    assert _log_numbers(app, SELECTED) == [3]


def test_given_a_long_log_when_paged_then_windows_stay_bounded_and_return_to_the_error(
    app, stored_log
):
    lines = [f"step output {n}" for n in range(1, 1001)]
    lines[699] = "npm ERR! code ERESOLVE"
    stored_log("\n".join(lines) + "\n")
    _open(app)

    around = _log_numbers(app)
    app.button(key=next(b.key for b in app.button if b.key.endswith("_later"))).click().run()
    later = _log_numbers(app)
    app.button(key=next(b.key for b in app.button if b.key.endswith("_back"))).click().run()

    assert not app.exception
    assert around == list(range(680, 741))
    assert later[0] == 741 and len(later) == 200
    assert _log_numbers(app) == around and _log_numbers(app, SELECTED) == [700]


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

    monkeypatch.setattr("agents.background.run_agent_on", broken)
    _open(app)

    settle(app.button(key="sync_button").click().run())

    assert not app.exception
    # the task's error is drawn escaped (it may quote GitHub): "(" reads "\(" in the Markdown
    assert any("Unexpected error \\(TypeError" in text for text in texts(app.error))


def test_given_a_sync_running_when_the_user_clicks_elsewhere_then_it_finishes_and_says_so(
    app, monkeypatch: pytest.MonkeyPatch
):
    import threading

    from agents import background

    release, started = threading.Event(), threading.Event()
    real = background.run_agent_on

    def held(*args, **kwargs):
        started.set()
        assert release.wait(120)
        return real(*args, **kwargs)

    monkeypatch.setattr(background, "run_agent_on", held)
    _open(app)

    app.button(key="sync_button").click().run()
    assert started.wait(120)
    assert app.button(key="sync_button").disabled  # no second sync while this one runs
    assert "Running now" in app.button(key="sync_button").help
    app.sidebar.radio(key="period").set_value(7).run()  # a stray click on another control
    app.switch_page("pages/overview.py").run()  # and another page
    release.set()
    settle(app)

    assert not app.exception
    assert any(text.startswith("Sync: ") for text in texts(app.success)), (
        texts(app.success) + texts(app.error) + texts(app.warning)
    )
    assert not app.button(key="tasks_dismiss").disabled
