"""Secrets in GitHub's own text (issue 13): names, titles, branches, commit messages and test
results are redacted when a payload becomes a row, links are kept only when they are http(s),
and ``rca`` never quotes a secret from the log it reads."""

from __future__ import annotations

import json
import sqlite3

import pytest

import agents.cli
from agents.root_cause.analysis import analyse_log
from core.github.mapping import (
    commit_row,
    job_row,
    repo_row,
    run_row,
    step_rows,
    web_url,
    workflow_row,
)
from core.logs.reports.records import TestResult
from core.messages.redact import MARKER
from core.store.db import Store
from core.store.ingest import store_report
from core.store.runs import RunBundle, save_repository, save_run_bundle
from tests.planted import KINDS, plant
from tests.stored_results import stored_results

ONE_LINE_KINDS = sorted(kind for kind in KINDS if "\n" not in plant(kind, 1).printed)


@pytest.fixture()
def secret(request, monkeypatch):
    """A planted secret of the parametrised kind; its literal configured when it needs one."""
    planted = plant(request.param, 13)
    if planted.literal:
        monkeypatch.setenv("CI_MEDIC_GITHUB_TOKEN", planted.literal)
    return planted


def _assert_clean(planted, value) -> None:
    text = json.dumps(value, default=str)
    for part in planted.secrets:
        assert part not in text, (planted.kind, text)


def _run(text: str) -> dict:
    return {
        "id": 10,
        "name": f"CI {text}",
        "display_title": f"fix: {text}",
        "head_branch": f"feature/{text}",
        "status": "completed",
        "conclusion": "failure",
        "head_sha": "abc",
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-05-01T10:05:00Z",
        "html_url": "https://github.com/acme/app/actions/runs/10",
    }


def _job(text: str, html_url: str = "https://github.com/acme/app/actions/runs/10/job/20") -> dict:
    return {
        "id": 20,
        "run_id": 10,
        "name": f"deploy {text}",
        "status": "completed",
        "conclusion": "failure",
        "runner_name": f"runner {text}",
        "labels": ["self-hosted", text],
        "html_url": html_url,
        "steps": [{"number": 1, "name": f"Run {text}", "status": "completed"}],
    }


def _commit(text: str) -> dict:
    return {
        "sha": "abc",
        "commit": {
            "message": f"fix: rotate\n\n{text}\n",
            "author": {"name": f"Dev {text}", "date": "2024-05-01T09:00:00Z"},
        },
        "files": [{"filename": f"config/{text}.yml"}, {"filename": "README.md"}],
    }


@pytest.mark.parametrize("secret", sorted(KINDS), indirect=True)
def test_every_free_text_of_a_payload_is_redacted_when_it_becomes_a_row(secret):
    text = secret.printed

    rows = [
        run_row(_run(text), repo_id=1, is_latest=True),
        job_row(_job(text), repo_id=1, run_id=10, attempt=1),
        step_rows(_job(text)),
        commit_row(_commit(text), repo_id=1),
        workflow_row({"id": 3, "name": f"Deploy {text}", "path": f"{text}.yml"}, repo_id=1),
        repo_row({"id": 1, "full_name": "acme/app", "default_branch": f"main {text}"}),
    ]

    _assert_clean(secret, rows)
    assert MARKER in json.dumps(rows)


def test_ordinary_names_ids_and_enums_are_kept_as_they_are():
    run = run_row(_run("build"), repo_id=1, is_latest=True)
    job = job_row(_job("build"), repo_id=1, run_id=10, attempt=1)
    commit = commit_row(_commit("settings"), repo_id=1)

    assert (run["workflow_name"], run["display_title"], run["head_branch"]) == (
        "CI build",
        "fix: build",
        "feature/build",
    )
    assert (run["head_sha"], run["conclusion"], run["status"]) == ("abc", "failure", "completed")
    assert (job["name"], job["labels"], step_rows(_job("x"))[0]["name"]) == (
        "deploy build",
        "self-hosted,build",
        "Run x",
    )
    assert json.loads(commit["files"]) == ["config/settings.yml", "README.md"]
    assert run_row({"id": 1}, repo_id=1, is_latest=True)["display_title"] is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JAVASCRIPT:alert(1)",
        " https://github.com/o/r",
        "https://github.com/o/r\nx",
        "data:text/html,<script>alert(1)</script>",
        "https://user:pw@github.com/o/r",
        "https://",
        "//evil.example/x",
        "ftp://github.com/o/r",
        "https://github.com\\@evil.example/",
        "https://[::1/",
        42,
        None,
        "",
    ],
)
def test_a_link_that_is_no_http_link_is_not_stored(url):
    assert web_url(url) is None
    assert job_row(_job("x", html_url=url), repo_id=1, run_id=10, attempt=1)["html_url"] is None  # type: ignore[arg-type]
    run = dict(_run("x"), html_url=url)
    assert run_row(run, repo_id=1, is_latest=True)["html_url"] is None
    assert repo_row({"id": 1, "full_name": "a/b", "html_url": url})["html_url"] is None


@pytest.mark.parametrize(
    "url",
    ["https://github.com/acme/app/actions/runs/1/job/2", "http://127.0.0.1:8765/acme/app/runs/1"],
)
def test_an_http_link_is_kept(url):
    assert web_url(url) == url
    assert job_row(_job("x", html_url=url), repo_id=1, run_id=10, attempt=1)["html_url"] == url


def _stored_texts(path) -> str:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        cells = []
        for table in tables:
            for row in con.execute(f"SELECT * FROM {table}"):
                cells += [v for v in row if isinstance(v, str)]
        return "\n".join(cells)
    finally:
        con.close()


def test_a_synced_run_stores_and_publishes_no_secret_from_its_names(tmp_path):
    token = plant("github-ghp", 5)
    store = Store(tmp_path / "s.db")
    repo_id = save_repository(store, {"id": 1, "full_name": "acme/app"})
    job = _job(token.printed)
    bundle = RunBundle(
        run=dict(_run(token.printed), head_sha="abc"),
        jobs={1: [job]},
        commit=_commit(token.printed),
    )

    save_run_bundle(store, repo_id, "acme/app", bundle)

    stored = _stored_texts(tmp_path / "s.db")
    assert "deploy GITHUB_TOKEN=" + MARKER in stored  # the job, redacted, not left out
    assert not [part for part in token.secrets if part in stored]


@pytest.mark.parametrize("secret", ONE_LINE_KINDS, indirect=True)
def test_test_results_are_stored_with_their_ids_and_messages_redacted(tmp_path, secret):
    store = Store(tmp_path / "s.db")
    repo_id = save_repository(store, {"id": 1, "full_name": "acme/app"})
    value = secret.secrets[0]
    # the secret's value starts 6 characters before the stored message is cut (2000)
    pad = 2000 - 6 - secret.printed.index(value)
    results = [
        TestResult(
            test_id=f"tests/t.py::test_login[{secret.printed}]",
            name="test_login",
            classname="tests.t",
            file="tests/t.py",
            outcome="failed",
            message=f"401 with {secret.printed}",
        ),
        TestResult(
            test_id="tests/t.py::test_cut",
            name="test_cut",
            classname="tests.t",
            file="tests/t.py",
            outcome="failed",
            message="x" * (pad - 1) + " " + secret.printed,
        ),
    ]
    jobs = ({20: "pytest results"}, frozenset())

    store_report(store, repo_id, 10, 1, "pytest-results", results, jobs)

    stored = store.query(f"SELECT test_id, message FROM {stored_results(store)}")
    rows = {r[0]: r[1] for r in stored}
    assert len(rows) == 2
    _assert_clean(secret, rows)
    assert value[:6] not in rows["tests/t.py::test_cut"]  # not even its first characters


def _log(line: str) -> str:
    return (
        "2024-05-01T12:00:01.0000000Z ##[group]Run pytest\n"
        f"2024-05-01T12:00:02.0000000Z FAILED tests/t.py::test_x - AssertionError: {line}\n"
        "2024-05-01T12:00:03.0000000Z ##[error]Process completed with exit code 1.\n"
    )


@pytest.mark.parametrize("secret", sorted(KINDS), indirect=True)
def test_rca_never_quotes_a_secret_of_the_log(secret):
    cause = analyse_log(
        _log(secret.printed), previous_green=_log("fine"), failed_step=secret.printed
    )

    _assert_clean(secret, [cause.to_json("f.log"), cause.evidence, cause.failing_step])


def test_rca_keeps_the_line_numbers_of_the_log_it_redacts():
    planted = plant("aws-secret=", 3)
    clean, secret = analyse_log(_log("boom")), analyse_log(_log(planted.printed))

    assert secret.lines == clean.lines and secret.category == clean.category
    assert MARKER in secret.summary + secret.suggestion + " ".join(secret.evidence)


@pytest.mark.parametrize("json_output", [False, True], ids=["readable", "json"])
@pytest.mark.parametrize("secret", ["aws-secret=", "github-pat", "url-password"], indirect=True)
def test_ci_medic_rca_prints_no_secret(tmp_path, capsys, secret, json_output):
    log = tmp_path / "failed.log"
    log.write_text(_log(secret.printed))

    code = agents.cli.main(["rca", str(log), *(["--json"] if json_output else [])])

    out, err = capsys.readouterr()
    assert code == 0
    assert not [part for part in secret.secrets if part in out + err]
