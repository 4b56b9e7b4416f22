"""Issue 13: records sharing an id never overwrite each other silently in an import.

The store keeps one run attempt per run id and attempt, one job per job id and one step per job
and number. A record repeated exactly is stored once and counted once; two different records
sharing an id refuse the dump (all or nothing) with a sentence naming both places; a recorded
REST folder keeps the later recording of an id. In every case the numbers the import reports
are the numbers the store holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.dump.importer import ImportReport, import_path
from core.errors import DumpError
from core.store.db import Store
from tests.integration.dump_factory import FULL_NAME, job_id, make_dump, run_id

NOTHING = "Nothing was imported: the store is as it was."


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def _edit_jobs(dump: Path, rel: str, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = dump / rel
    data = json.loads(path.read_text())
    change(data["jobs"])
    path.write_text(json.dumps(data))


def _stored(store: Store) -> tuple[int, int, int, int]:
    """(latest runs, earlier attempts, jobs, steps) as the store holds them."""
    return (
        store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1"),
        store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 0"),
        store.scalar("SELECT COUNT(*) FROM jobs"),
        store.scalar("SELECT COUNT(*) FROM steps"),
    )


def _assert_report_equals_store(report: ImportReport, store: Store) -> None:
    runs, attempts, jobs, _ = _stored(store)
    assert (report.runs, report.attempts, report.jobs) == (runs, attempts, jobs)


@pytest.fixture()
def dump(tmp_path: Path) -> Path:
    return make_dump(tmp_path / "dump", runs=3, attempts={1: 2})


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.db")


# -- different records sharing an id: refused, naming both places --------------------------------
def _run_id_shared(dump: Path) -> None:
    runs = _lines(dump / "runs.jsonl")
    runs[2]["id"] = runs[0]["id"]
    _write_lines(dump / "runs.jsonl", runs)


def _attempt_shared(dump: Path) -> None:
    attempts = _lines(dump / "attempts.jsonl")
    other = dict(attempts[0], display_title="another title")
    _write_lines(dump / "attempts.jsonl", [*attempts, other])


def _job_id_shared_across_runs(dump: Path) -> None:
    _edit_jobs(dump, f"jobs/{run_id(2)}.json", lambda jobs: jobs[0].update(id=job_id(0)))


def _job_id_shared_across_attempts(dump: Path) -> None:
    earlier = job_id(1, attempt=1)
    _edit_jobs(dump, f"jobs/{run_id(1)}.json", lambda jobs: jobs[0].update(id=earlier))


def _job_id_shared_in_a_file(dump: Path) -> None:
    _edit_jobs(dump, f"jobs/{run_id(0)}.json", lambda jobs: jobs[1].update(id=jobs[0]["id"]))


def _step_number_shared(dump: Path) -> None:
    def change(jobs: list[dict[str, Any]]) -> None:
        jobs[0]["steps"][1]["number"] = jobs[0]["steps"][0]["number"]

    _edit_jobs(dump, f"jobs/{run_id(0)}.json", change)


def _numbered_step_meets_a_counted_one(dump: Path) -> None:
    """A step without a number is numbered by its place (as the mapping does): step 2 here."""

    def change(jobs: list[dict[str, Any]]) -> None:
        jobs[0]["steps"][0]["number"] = 2
        jobs[0]["steps"][1]["number"] = None

    _edit_jobs(dump, f"jobs/{run_id(0)}.json", change)


@pytest.mark.parametrize(
    ("share", "said"),
    [
        (
            _run_id_shared,
            f"runs.jsonl line 3, field id: run {run_id(0)} is also on line 1, with other values",
        ),
        (_attempt_shared, f"field id: attempt 1 of run {run_id(1)} is also on line 1"),
        (
            _job_id_shared_across_runs,
            f"jobs/{run_id(2)}.json, job 1, field id: job {job_id(0)} is also job 1 of "
            f"jobs/{run_id(0)}.json",
        ),
        (
            _job_id_shared_across_attempts,
            f"jobs/{run_id(1)}-1.json, job 1, field id: job {job_id(1, attempt=1)} is also "
            f"job 1 of jobs/{run_id(1)}.json",
        ),
        (
            _job_id_shared_in_a_file,
            f"jobs/{run_id(0)}.json, job 2, field id: job {job_id(0)} is also job 1 of this file",
        ),
        (_step_number_shared, "job 1, field steps[1].number: step 1 is also steps[0]"),
        (_numbered_step_meets_a_counted_one, "field steps[1].number: step 2 is also steps[0]"),
    ],
    ids=[
        "run-ids",
        "attempts",
        "job-ids-across-runs",
        "job-ids-across-attempts",
        "job-ids-in-a-file",
        "step-numbers",
        "a-numbered-step-and-a-counted-one",
    ],
)
def test_different_records_sharing_an_id_refuse_the_dump_and_store_nothing(
    dump, store, share, said
):
    share(dump)

    with pytest.raises(DumpError) as caught:
        import_path(store, dump)

    message = str(caught.value)
    assert said in message, message
    assert "one of the two would be lost" in message
    assert message.endswith(f". {NOTHING}"), message
    assert _stored(store) == (0, 0, 0, 0)


def test_the_cli_refuses_such_a_dump_with_a_sentence(dump, tmp_path, capsys):
    import agents.cli

    _run_id_shared(dump)

    code = agents.cli.main(["--db", str(tmp_path / "s.db"), "import", str(dump)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: runs.jsonl line 3, field id: run ") and NOTHING in err


# -- records repeated exactly: stored once, counted once -----------------------------------------
def test_records_repeated_exactly_are_counted_once_and_the_report_equals_the_store(
    dump, tmp_path, store
):
    clean = Store(tmp_path / "clean.db")
    expected = import_path(clean, make_dump(tmp_path / "clean", runs=3, attempts={1: 2}))

    runs = _lines(dump / "runs.jsonl")
    _write_lines(dump / "runs.jsonl", [*runs, runs[0]])
    attempts = _lines(dump / "attempts.jsonl")
    _write_lines(dump / "attempts.jsonl", [attempts[0], *attempts])

    def repeat(jobs: list[dict[str, Any]]) -> None:
        jobs[0]["steps"].append(dict(jobs[0]["steps"][0]))
        jobs.append(json.loads(json.dumps(jobs[0])))

    _edit_jobs(dump, f"jobs/{run_id(2)}.json", repeat)

    report = import_path(store, dump)

    assert (report.runs, report.attempts, report.jobs, report.logs) == (
        expected.runs,
        expected.attempts,
        expected.jobs,
        expected.logs,
    )
    assert _stored(store) == _stored(clean)
    _assert_report_equals_store(report, store)


def test_a_run_repeated_with_its_time_written_another_way_is_the_same_run(dump, store):
    runs = _lines(dump / "runs.jsonl")
    again = dict(runs[0], created_at=runs[0]["created_at"].replace("Z", "+00:00"))
    _write_lines(dump / "runs.jsonl", [*runs, again])

    report = import_path(store, dump)

    assert report.runs == 3
    _assert_report_equals_store(report, store)


# -- recorded REST exchanges: the later recording of an id wins, counted once --------------------
def _recording(folder: Path, name: str, path: str, body: dict[str, Any]) -> None:
    record = {"request": {"method": "GET", "path": path}, "status": 200, "response": body}
    (folder / name).write_text(json.dumps(record))


def test_a_job_recorded_twice_is_stored_and_counted_once_as_last_recorded(dump, tmp_path, store):
    run = _lines(dump / "runs.jsonl")[0]
    jobs = json.loads((dump / "jobs" / f"{run['id']}.json").read_text())["jobs"]
    folder = tmp_path / "recorded" / "responses"
    folder.mkdir(parents=True)
    base = f"/repos/{FULL_NAME}/actions/runs"
    _recording(folder, "001.json", base, {"total_count": 1, "workflow_runs": [run]})
    running = [dict(job, status="in_progress", conclusion=None) for job in jobs]
    _recording(folder, "002.json", f"{base}/{run['id']}/jobs", {"jobs": running})
    _recording(folder, "003.json", f"{base}/{run['id']}/jobs", {"jobs": jobs})

    report = import_path(store, folder.parent)

    assert (report.runs, report.jobs) == (1, len(jobs))
    _assert_report_equals_store(report, store)
    stored = [row["status"] for row in store.query("SELECT status FROM jobs")]
    assert stored == ["completed"] * len(jobs)


# -- a record that is no UTF-8: a sentence with its full stop ------------------------------------
@pytest.mark.parametrize("rel", ["runs.jsonl", "repo.json", f"jobs/{run_id(0)}.json"])
def test_a_record_file_that_is_no_utf8_is_a_sentence_ending_with_a_full_stop(dump, store, rel):
    path = dump / rel
    path.write_bytes(path.read_bytes().replace(b'"', b'"\xff', 1))

    with pytest.raises(DumpError) as caught:
        import_path(store, dump)

    message = str(caught.value)
    assert f"{rel}" in message and "is not UTF-8 text" in message
    assert message.endswith(f"must be UTF-8. {NOTHING}"), message


def test_json_that_does_not_parse_is_a_sentence_ending_with_a_full_stop(dump, store):
    (dump / "repo.json").write_text('{"full_name": ')

    with pytest.raises(DumpError) as caught:
        import_path(store, dump)

    assert str(caught.value).startswith("repo.json in the dump is not valid JSON (Expecting")
    assert str(caught.value).endswith(f"). {NOTHING}")
