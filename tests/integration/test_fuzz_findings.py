"""Regressions from issue 13's fuzz and fault suite (``bench/reliability_bench.py`` and the
``tests/unit/test_fuzz_*.py`` properties) for the classes no other test covered: secrets carried
by GitHub's metadata (job and step names, commit and JUnit messages) and by ``rca``'s own
output, CSV rows split by a carriage return, odd and duplicate ids in a dump, ``javascript:``
links in ``analyze``'s CSVs and links drawn by chart labels.

Each test reproduces a bug the suite found; all are fixed, and the tests keep them fixed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import agents.cli
from core.dump.importer import import_path
from core.errors import DumpError
from core.store.db import Store
from tests.integration.dump_factory import job_id, make_dump, run_id, sha_of

REPO = "octo-org/demo"
FAILED_RUN, FAILED_JOB = run_id(2), job_id(2, 1, 1)  # make_dump(runs=3): run 2 fails, its job 1
GITHUB_TOKEN = "ghp_" + "Fz9" * 12
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz7Q3EXAMPLE"


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = agents.cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Unexpected error" not in err, err
    return code, out, err


def _edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _failing_job(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(dump: Path) -> None:
        def each(data: dict) -> None:
            change(next(job for job in data["jobs"] if job["id"] == FAILED_JOB))

        _edit_json(dump / "jobs" / f"{FAILED_RUN}.json", each)

    return edit


def _commit_message(text: str) -> Callable[[Path], None]:
    def edit(dump: Path) -> None:
        _edit_json(
            dump / "commits" / f"{sha_of(2)}.json",
            lambda commit: commit["commit"].update(message=text),
        )

    return edit


def _junit_message(text: str) -> Callable[[Path], None]:
    def edit(dump: Path) -> None:
        path = dump / "artifacts" / str(FAILED_RUN) / "test-results" / "junit.xml"
        path.write_text(
            path.read_text().replace('message="AssertionError: timeout"', f'message="{text}"')
        )

    return edit


def _stored_texts(db: Path) -> dict[str, str]:
    """Every text cell of every table ("table.column" -> the cells joined), logs decompressed."""
    con = sqlite3.connect(db)
    try:
        found: dict[str, list[str]] = {}
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = con.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes):
                        with contextlib.suppress(zlib.error):
                            value = zlib.decompress(value)
                        value = value.decode("utf-8", "replace")
                    if isinstance(value, str):
                        found.setdefault(f"{table}.{column}", []).append(value)
        return {where: "\n".join(cells) for where, cells in found.items()}
    finally:
        con.close()


@pytest.fixture()
def dump(tmp_path: Path) -> Path:
    return make_dump(tmp_path / "dump", runs=3)


def _import_and_analyze(dump: Path, tmp_path: Path, capsys) -> tuple[Path, Path]:
    db, out = tmp_path / "s.db", tmp_path / "out"
    assert _run_cli(["--db", str(db), "import", str(dump)], capsys)[0] == 0
    assert _run_cli(["--db", str(db), "analyze", "--repo", REPO, "--out", str(out)], capsys)[0] == 0
    return db, out


# -- (3) secrets in GitHub's metadata --------------------------------------------------------
METADATA = [
    pytest.param(
        _failing_job(lambda job: job.update(name=f"deploy {GITHUB_TOKEN}")),
        GITHUB_TOKEN[4:],
        id="token-in-a-job-name",
    ),
    pytest.param(
        _failing_job(
            lambda job: job["steps"][2].update(name=f"Run AWS_SECRET_ACCESS_KEY={AWS_SECRET}")
        ),
        AWS_SECRET,
        id="aws-secret-in-a-step-name",
    ),
    pytest.param(
        _commit_message("fix: clone https://ci-bot:Hunter2Pass9xQ@git.example.com/o/r"),
        "Hunter2Pass9xQ",
        id="url-password-in-a-commit-message",
    ),
    pytest.param(
        _junit_message(f"401 with Authorization: token {GITHUB_TOKEN}"),
        GITHUB_TOKEN[4:],
        id="token-in-a-junit-message",
    ),
]


@pytest.mark.parametrize(("plant", "secret"), METADATA[:2])  # names: drawn in every finding
def test_a_secret_in_github_metadata_reaches_no_csv_and_no_queued_message(
    dump, tmp_path, plant, secret, capsys
):
    plant(dump)

    db, out = _import_and_analyze(dump, tmp_path, capsys)

    written = {path.name: path.read_text() for path in out.glob("*.csv")}
    assert not [name for name, text in written.items() if secret in text]
    assert secret not in _stored_texts(db).get("outbox.body", "")


@pytest.mark.parametrize(("plant", "secret"), METADATA)
def test_a_secret_in_github_metadata_is_not_stored(dump, tmp_path, plant, secret, capsys):
    plant(dump)

    db, _ = _import_and_analyze(dump, tmp_path, capsys)

    assert not [where for where, text in _stored_texts(db).items() if secret in text]


@pytest.mark.parametrize("json_output", [False, True], ids=["readable", "json"])
def test_rca_prints_no_secret_from_the_failing_line(tmp_path, json_output, capsys):
    log = tmp_path / "failed.log"
    log.write_text(
        "2024-05-01T12:00:01.0000000Z ##[group]Run pytest\n"
        "2024-05-01T12:00:02.0000000Z FAILED tests/t.py::test_login - AssertionError: "
        f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
        "2024-05-01T12:00:03.0000000Z ##[error]Process completed with exit code 1.\n"
    )

    code, out, err = _run_cli(["rca", str(log), *(["--json"] if json_output else [])], capsys)

    assert code == 0
    assert AWS_SECRET not in out + err


# -- (6) a carriage return splits a CSV row ---------------------------------------------------
@pytest.mark.parametrize("cell", ["\r=1+1", "deploy \r=HYPERLINK(1)", "a\rb"])
def test_a_cell_holding_a_carriage_return_stays_one_cell(tmp_path, cell):
    from core.presentation.exports import write_csv

    path = write_csv(pd.DataFrame({"job": [cell, "ok"], "n": [1, 2]}), tmp_path / "x.csv")

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 3, rows
    assert not [row[0] for row in rows[1:] if row[0].startswith(("=", "+", "-", "@"))]


# -- (11) odd and duplicate ids ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("run", -5),
        ("run", 0),
        ("run", 5.0),
        ("run", True),
        ("run", 2**64),
        ("job", -1),
        ("job", 1.5),
        ("job", 2**63),
    ],
)
def test_an_id_that_is_no_positive_whole_number_is_refused_and_nothing_is_stored(
    dump, tmp_path, where, value
):
    if where == "run":
        lines = (dump / "runs.jsonl").read_text().splitlines()
        record = json.loads(lines[1])
        record["id"] = value
        lines[1] = json.dumps(record)
        (dump / "runs.jsonl").write_text("\n".join(lines) + "\n")
    else:
        _failing_job(lambda job: job.update(id=value))(dump)
    store = Store(tmp_path / "s.db")

    with pytest.raises(DumpError, match="field id: is .*Nothing was imported"):
        import_path(store, dump)

    assert store.scalar("SELECT COUNT(*) FROM runs") == 0


def _share_run_id(dump: Path) -> None:
    lines = (dump / "runs.jsonl").read_text().splitlines()
    second = json.loads(lines[1])
    second["id"] = json.loads(lines[0])["id"]
    lines[1] = json.dumps(second)
    (dump / "runs.jsonl").write_text("\n".join(lines) + "\n")


def _share_job_id_across_runs(dump: Path) -> None:
    _edit_json(dump / "jobs" / f"{run_id(1)}.json", lambda d: d["jobs"][0].update(id=job_id(0)))


def _share_job_id_in_a_run(dump: Path) -> None:
    _edit_json(
        dump / "jobs" / f"{run_id(1)}.json", lambda d: d["jobs"][1].update(id=d["jobs"][0]["id"])
    )


def _share_step_number(dump: Path) -> None:
    _failing_job(lambda job: job["steps"][1].update(number=job["steps"][0]["number"]))(dump)


@pytest.mark.parametrize(
    "share",
    [_share_run_id, _share_job_id_across_runs, _share_job_id_in_a_run, _share_step_number],
    ids=["run-ids", "job-ids-across-runs", "job-ids-in-a-run", "step-numbers"],
)
def test_a_dump_whose_records_share_an_id_is_refused(dump, tmp_path, share):
    share(dump)
    store = Store(tmp_path / "s.db")

    with pytest.raises(DumpError, match="Nothing was imported"):
        import_path(store, dump)
    assert store.scalar("SELECT COUNT(*) FROM runs") == 0


def test_analyze_writes_no_javascript_link(dump, tmp_path, capsys):
    _failing_job(lambda job: job.update(html_url="javascript:alert(document.cookie)"))(dump)

    _, out = _import_and_analyze(dump, tmp_path, capsys)

    for path in out.glob("*.csv"):
        cells = [cell for row in csv.reader(io.StringIO(path.read_text())) for cell in row]
        assert not [c for c in cells if c.strip().lower().startswith("javascript:")], path.name


# -- (4) untrusted names drawn by the charts -----------------------------------------------------
def test_a_job_name_holding_a_link_is_no_link_in_the_charts():
    from agents.pipeline_monitor.charts import slowest_jobs_figure, steps_figure

    name = '<a href="https://evil.example/">open me</a>'
    jobs = pd.DataFrame({"workflow": ["CI"], "job": [name], "median_min": [2.0], "p95_min": [3.0]})
    steps = pd.DataFrame(
        {
            "number": [1],
            "name": [name],
            "started_at": [pd.Timestamp("2024-05-01T12:00:00Z")],
            "duration_s": [5.0],
            "conclusion": ["failure"],
        }
    )

    for figure in (slowest_jobs_figure(jobs), steps_figure(steps, name)):
        assert "<a href" not in json.dumps(figure.to_plotly_json(), default=str)


# -- (9) a base URL that is no URL -------------------------------------------------------------
def test_a_base_url_with_a_space_in_its_host_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CI_MEDIC_GITHUB_BASE_URL", "https://exa mple.com")

    code, _, err = _run_cli(["--db", str(tmp_path / "s.db"), "status"], capsys)

    assert code == 1 and "The GitHub API base URL" in err
