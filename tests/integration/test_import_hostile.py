"""`import` of a hostile dump: all or nothing for its records, refused files skipped and listed,
bombs read in bounded memory, and nothing read from outside the dump folder."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.dump.files import MAX_JSON_BYTES, MAX_JSONL_LINE_BYTES
from core.dump.importer import ImportReport, import_path
from core.errors import DumpError
from core.store.db import Store
from tests.bombs import MIB, peak_growth, text_bomb, zeros_bomb
from tests.conftest import REPO_ROOT
from tests.integration.dump_factory import job_id, make_dump, run_id, sha_of
from tests.stored_results import stored_results

MEMORY_BOUND = 200 * MIB
TABLES = (
    "repositories",
    "workflows",
    "runs",
    "jobs",
    "steps",
    "commits",
    "logs",
    "tests",
    "test_results",
    "run_reports",
    "outbox",
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b"<testsuite><testcase name='&lol2;'/></testsuite>"
)


def everything(store: Store) -> dict[str, list[str]]:
    """Every row of every table an import writes: equal results mean an unchanged store."""
    return {t: sorted(repr(tuple(r)) for r in store.query(f"SELECT * FROM {t}")) for t in TABLES}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {
        "zeros": zeros_bomb(folder / "zeros.gz"),
        "text": text_bomb(folder / "text.gz"),
    }


@pytest.fixture()
def dump(tmp_path: Path) -> Path:
    """Five runs (two jobs each, every third failing) with logs, commits and JUnit reports."""
    return make_dump(tmp_path / "dump", runs=5)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    """A store that already holds the first two runs of the same repository."""
    store = Store(tmp_path / "s.db")
    import_path(store, make_dump(tmp_path / "earlier", runs=2))
    return store


def edit_run(dump: Path, line: int, change: Callable[[dict[str, Any]], Any]) -> None:
    """Replace runs.jsonl line ``line`` (1-based) with ``change(run)`` (text as is)."""
    path = dump / "runs.jsonl"
    lines = path.read_text().splitlines()
    new = change(json.loads(lines[line - 1]))
    lines[line - 1] = new if isinstance(new, str) else json.dumps(new)
    path.write_text("\n".join(lines) + "\n")


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda run: {**run, key: value}


# -- all or nothing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_set("id", 1e30), "runs.jsonl line 4, field id: is 1e+30"),
        (_set("id", "9000003000"), "runs.jsonl line 4, field id: is '9000003000' (text)"),
        (_set("created_at", "yesterday"), "runs.jsonl line 4, field created_at: is 'yesterday'"),
        (_set("run_attempt", [1]), "runs.jsonl line 4, field run_attempt: is [1] (a list)"),
        (_set("head_sha", "../../../secret"), "runs.jsonl line 4, field head_sha: is '../../"),
        (lambda run: "[1, 2, 3]", "runs.jsonl line 4 is a list, not an object"),
        (lambda run: '{"id": 9000003000, ', "runs.jsonl line 4 is not valid JSON"),
    ],
    ids=["id-1e30", "id-text", "time-yesterday", "attempt-list", "sha-path", "list", "json"],
)
def test_given_a_bad_record_in_the_middle_when_imported_then_the_store_is_unchanged(
    dump, store, change, said
):
    edit_run(dump, 4, change)  # runs 0-1 are stored already; run 2 (line 3) would be new
    before = everything(store)

    with pytest.raises(DumpError) as caught:
        import_path(store, dump)

    assert str(caught.value).startswith(said)
    assert str(caught.value).endswith("Nothing was imported: the store is as it was.")
    assert everything(store) == before
    assert store.scalar("SELECT COUNT(*) FROM runs WHERE run_id = ?", (run_id(2),)) == 0


def test_given_a_bad_record_when_the_cli_imports_then_it_exits_non_zero_with_a_sentence(
    dump, tmp_path
):
    edit_run(dump, 4, _set("created_at", "yesterday"))
    db = tmp_path / "cli.db"

    result = subprocess.run(
        [sys.executable, "-m", "agents.cli", "--db", str(db), "import", str(dump)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(
        "error: runs.jsonl line 4, field created_at: is 'yesterday', not an ISO-8601 time"
    )
    assert "Nothing was imported" in result.stderr and "Traceback" not in result.stderr
    assert Store(db).scalar("SELECT COUNT(*) FROM runs") == 0


@pytest.mark.parametrize(
    ("hostile", "said"),
    [
        (
            lambda d: (d / "jobs" / f"{run_id(3)}.json").write_text(
                json.dumps({"jobs": [{"id": job_id(3), "run_id": run_id(4)}]})
            ),
            f"jobs/{run_id(3)}.json, job 1, field run_id: is {run_id(4)}, not {run_id(3)}",
        ),
        (
            lambda d: (d / "jobs" / f"{run_id(3)}.json").write_text(
                json.dumps({"jobs": [{"id": job_id(3), "started_at": "soon"}]})
            ),
            f"jobs/{run_id(3)}.json, job 1, field started_at: is 'soon'",
        ),
        (
            lambda d: (d / "commits" / f"{sha_of(3)}.json").write_text(
                json.dumps({"sha": sha_of(3), "stats": {"additions": "many"}})
            ),
            f"commits/{sha_of(3)}.json, field stats.additions: is 'many' (text)",
        ),
        (
            lambda d: (d / "attempts.jsonl").write_text(
                json.dumps({"id": run_id(3), "run_attempt": 2}) + "\n"
            ),
            "attempts.jsonl line 1, field run_attempt: is 2, not below the latest attempt (1)",
        ),
        (
            lambda d: (d / "repo.json").write_text(json.dumps({"full_name": "../../etc"})),
            "repo.json, field full_name: is '../../etc', not a repository name",
        ),
    ],
    ids=["job-of-another-run", "job-time", "commit-stats", "attempt-numbers", "repo-name"],
)
def test_given_a_malformed_file_when_imported_then_the_sentence_names_it_and_nothing_changes(
    dump, store, hostile, said
):
    hostile(dump)
    before = everything(store)

    with pytest.raises(DumpError, match="Nothing was imported") as caught:
        import_path(store, dump)

    assert str(caught.value).startswith(said)
    assert everything(store) == before


def test_given_a_head_sha_that_climbs_out_when_imported_then_no_outside_file_is_read(
    dump, store, tmp_path
):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"sha": "0" * 40, "commit": {"message": "stolen"}}))
    edit_run(dump, 3, _set("head_sha", "../../secret"))

    with pytest.raises(DumpError, match="field head_sha: is '../../secret', not a commit SHA"):
        import_path(store, dump)
    assert store.scalar("SELECT COUNT(*) FROM commits WHERE message = 'stolen'") == 0


def test_given_a_commit_file_that_links_out_when_imported_then_it_is_refused(dump, store, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"sha": sha_of(2), "commit": {"message": "stolen"}}))
    commit = dump / "commits" / f"{sha_of(2)}.json"
    commit.unlink()
    commit.symlink_to(secret)

    with pytest.raises(DumpError, match=f"commits/{sha_of(2)}.json points outside the dump"):
        import_path(store, dump)
    assert store.scalar("SELECT COUNT(*) FROM commits WHERE message = 'stolen'") == 0


# -- hostile log and report files are skipped, the rest imported ------------------------------
def _xml(dump: Path, index: int) -> Path:
    return dump / "artifacts" / str(run_id(index)) / "test-results" / "junit.xml"


def test_given_one_hostile_junit_file_when_imported_then_everything_else_is_and_it_is_listed(
    dump, tmp_path, capsys
):
    _xml(dump, 1).write_bytes(BILLION_LAUGHS)
    _xml(dump, 3).write_bytes(_xml(dump, 3).read_bytes()[:150])  # cut mid-element
    store = Store(tmp_path / "fresh.db")

    report = import_path(store, dump)

    assert (report.runs, report.jobs) == (5, 10)
    assert len(report.skipped) == 2
    laughs, cut = report.skipped
    assert laughs.startswith(f"artifacts/{run_id(1)}/test-results/junit.xml: The test report")
    assert "declares a DTD or entities" in laughs
    assert cut.startswith(f"artifacts/{run_id(3)}/test-results/junit.xml: The test report is not")
    assert "Skipped 2 file(s)" in report.sentence() and "junit.xml" in report.sentence()
    errors = dict(store.query("SELECT run_id, error FROM run_reports WHERE error IS NOT NULL"))
    assert set(errors) == {run_id(1), run_id(3)} and "DTD" in errors[run_id(1)]
    results = stored_results(store)
    junit_runs = {r[0] for r in store.query(f"SELECT run_id FROM {results} WHERE source='junit'")}
    assert {run_id(0), run_id(2), run_id(4)} <= junit_runs and run_id(1) not in junit_runs


def test_given_damaged_log_files_when_imported_then_they_are_recorded_and_skipped(dump, tmp_path):
    good = gzip.compress((dump / "logs" / f"{job_id(1)}.txt").read_bytes())
    (dump / "logs" / f"{job_id(1)}.txt").unlink()
    (dump / "logs" / f"{job_id(1)}.txt.gz").write_bytes(good[: len(good) // 2])
    (dump / "logs" / f"{job_id(2)}.txt").unlink()
    (dump / "logs" / f"{job_id(2)}.txt.gz").write_bytes(b"not gzip at all")
    store = Store(tmp_path / "fresh.db")

    report = import_path(store, dump)

    assert report.runs == 5 and report.logs == 8
    assert report.skipped == [
        f"logs/{job_id(1)}.txt.gz is truncated: it ends before its gzip stream does "
        "(compressed file ended before the end-of-stream marker was reached).",
        f"logs/{job_id(2)}.txt.gz is not a valid gzip file (it does not begin as one).",
    ]
    states = dict(store.query("SELECT job_id, state FROM logs"))
    assert states[job_id(1)] == states[job_id(2)] == "error"


def test_given_a_symlinked_artifact_file_when_imported_then_the_artifact_is_skipped(dump, tmp_path):
    outside = tmp_path / "outside.xml"
    outside.write_bytes(_xml(dump, 2).read_bytes())
    _xml(dump, 2).unlink()
    _xml(dump, 2).symlink_to(outside)

    report = import_path(Store(tmp_path / "fresh.db"), dump)

    assert report.runs == 5
    assert report.skipped == [
        f"artifacts/{run_id(2)}/test-results: artifacts/{run_id(2)}/test-results/junit.xml is "
        "a symbolic link or points outside the dump folder; the artifact was skipped."
    ]


def test_given_an_artifact_subfolder_linked_outside_when_imported_then_nothing_of_it_is_read(
    dump, tmp_path
):
    """A plain report inside a folder linked from outside the dump is never read, however plain
    it is: the artifact imports as it would without the link."""
    clean = import_path(Store(tmp_path / "clean.db"), dump)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    planted = _xml(dump, 2).read_bytes().replace(b'classname="', b'classname="planted_outside_')
    (outside / "junit.xml").write_bytes(planted)
    (_xml(dump, 2).parent / "nested").symlink_to(outside, target_is_directory=True)
    store = Store(tmp_path / "fresh.db")

    report = import_path(store, dump)

    assert (report.runs, report.tests, report.skipped) == (clean.runs, clean.tests, clean.skipped)
    named = f"SELECT COUNT(*) FROM {stored_results(store)} WHERE test_id LIKE '%planted_outside_%'"
    assert store.scalar(named) == 0


# -- bombs: bounded memory -------------------------------------------------------------------
def _plant(dump: Path, rel: str, bomb: Path) -> None:
    plain = dump / rel
    if plain.exists():
        plain.unlink()
    plain.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bomb, plain.with_name(plain.name + ".gz"))


def test_given_a_log_expanding_to_1_gib_when_imported_then_head_and_tail_are_kept_in_bounded_memory(
    dump, bombs, tmp_path
):
    _plant(dump, f"logs/{job_id(2, 1, 1)}.txt", bombs["text"])
    store = Store(tmp_path / "fresh.db")

    report, growth = peak_growth(lambda: import_path(store, dump))

    assert isinstance(report, ImportReport), report
    assert growth < MEMORY_BOUND, f"{growth / MIB:.0f} MB"
    assert report.runs == 5 and report.cut_logs == 1 and not report.skipped
    assert "1 log(s) held more than 20,971,520 bytes" in report.sentence()
    raw, truncated, stored = store.query(
        "SELECT raw_bytes, truncated, length(content) FROM logs WHERE job_id = ?",
        (job_id(2, 1, 1),),
    )[0]
    assert raw > 1000 * MIB and truncated == 1 and stored < 20 * MIB


def test_given_a_log_of_1_gib_of_zeros_when_imported_then_it_is_skipped_in_bounded_memory(
    dump, bombs, tmp_path
):
    _plant(dump, f"logs/{job_id(2, 1, 1)}.txt", bombs["zeros"])
    store = Store(tmp_path / "fresh.db")

    report, growth = peak_growth(lambda: import_path(store, dump))

    assert isinstance(report, ImportReport), report
    assert growth < MEMORY_BOUND, f"{growth / MIB:.0f} MB"
    assert report.skipped == [
        f"logs/{job_id(2, 1, 1)}.txt (1,073,741,824 bytes) looks like a binary file, not a log; "
        "it was not stored."
    ]
    assert report.logs == 9


def test_given_a_junit_file_expanding_to_1_gib_when_imported_then_it_is_skipped_in_bounded_memory(
    dump, bombs, tmp_path
):
    _plant(dump, f"artifacts/{run_id(2)}/test-results/junit.xml", bombs["zeros"])

    report, growth = peak_growth(lambda: import_path(Store(tmp_path / "fresh.db"), dump))

    assert isinstance(report, ImportReport), report
    assert growth < MEMORY_BOUND, f"{growth / MIB:.0f} MB"
    (skipped,) = report.skipped
    assert skipped.startswith(f"artifacts/{run_id(2)}/test-results: artifacts/{run_id(2)}/")
    assert "junit.xml.gz holds more than 67,108,864 bytes (decompressed)" in skipped


@pytest.mark.parametrize(
    ("rel", "said"),
    [
        (
            f"commits/{sha_of(3)}.json",
            f"commits/{sha_of(3)}.json.gz holds more than {MAX_JSON_BYTES:,}",
        ),
        (f"jobs/{run_id(3)}.json", f"jobs/{run_id(3)}.json.gz holds more than {MAX_JSON_BYTES:,}"),
        ("runs.jsonl", f"runs.jsonl.gz line 1 is longer than {MAX_JSONL_LINE_BYTES:,} bytes"),
    ],
    ids=["commit", "jobs", "runs"],
)
def test_given_a_record_file_expanding_to_1_gib_when_imported_then_it_is_refused_in_bounded_memory(
    dump, store, bombs, rel, said
):
    _plant(dump, rel, bombs["zeros"])
    before = everything(store)

    error, growth = peak_growth(lambda: import_path(store, dump))

    assert isinstance(error, DumpError), error
    assert str(error).startswith(said) and "Nothing was imported" in str(error)
    assert growth < MEMORY_BOUND, f"{growth / MIB:.0f} MB"
    assert everything(store) == before
