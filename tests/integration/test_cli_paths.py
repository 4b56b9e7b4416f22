"""Issue 13: a path or a number the file system or the calendar cannot take is one sentence
(``error: ...``, exit 1), never "Unexpected error"; and ``rca`` takes its options anywhere.

Both command lines turn an operating-system error on a path (a name over 255 bytes, a file
where a folder must be) into one sentence naming the path and the option it came with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import agents.cli
import core.queue.cli
from core.store.db import Store
from core.store.runs import save_repository

CI_MEDIC = agents.cli.main
WORKER = core.queue.cli.main
LONG = "x" * 300  # a file name may have at most 255 bytes


def _run(
    main: Callable[[Sequence[str]], int], argv: Sequence[str], capsys
) -> tuple[object, str, str]:
    try:
        code: object = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Unexpected error" not in err, err
    return code, out, err


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder: a store holding one repository, a log and a dump-looking folder."""
    store = Store(tmp_path / "s.db")
    save_repository(store, {"id": 1, "full_name": "acme/app", "default_branch": "main"})
    store.close()
    (tmp_path / "log.txt").write_text("FAILED tests/t.py::test_x - assert 1 == 2\n")
    (tmp_path / "green.txt").write_text("1 passed in 0.1s\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CI_MEDIC_GITHUB_BASE_URL", "http://127.0.0.1:9")
    return tmp_path


# -- names longer than a file system takes -------------------------------------------------------
@pytest.mark.parametrize(
    ("main", "argv", "option"),
    [
        (CI_MEDIC, ["--db", LONG, "status"], "--db"),
        (CI_MEDIC, ["--db", LONG, "import", "."], "--db"),
        (CI_MEDIC, ["--db", "s.db", "import", LONG], "DUMP"),
        (CI_MEDIC, ["demo", LONG], "OUT"),
        (CI_MEDIC, ["--db", "s.db", "analyze", "--out", LONG], "--out"),
        (CI_MEDIC, ["--db", f"{LONG}/s.db", "status"], "--db"),
        (WORKER, ["status", "--db", LONG], "--db"),
        (WORKER, ["run", "--burst", "--db", LONG], "--db"),
    ],
    ids=[
        "status-db",
        "import-db",
        "import-dump",
        "demo-out",
        "analyze-out",
        "db-below-a-long-folder",
        "worker-status-db",
        "worker-run-db",
    ],
)
def test_a_name_too_long_for_the_file_system_is_one_sentence(folder, capsys, main, argv, option):
    code, _, err = _run(main, argv, capsys)

    assert code == 1, err
    assert err.startswith(f"error: The {option} path xxxxxxxx"), err
    assert "is too long" in err and "at most 255" in err and "choose a shorter path." in err
    assert LONG not in err  # a path this long is shown by its ends
    assert err.count("\n") == 1


# -- a file where a folder must be -----------------------------------------------------------------
def test_demo_below_a_file_says_which_part_is_a_file(folder, capsys):
    code, _, err = _run(CI_MEDIC, ["demo", "log.txt/below"], capsys)

    assert code == 1
    assert err.startswith("error: The OUT path log.txt/below cannot be used: ")
    assert "log.txt is a file, not a folder." in err
    assert not (folder / "log.txt").is_dir()


@pytest.mark.parametrize("command", [["import", "."], ["sync", "acme/app"]])
def test_a_store_below_a_file_says_which_part_is_a_file(folder, capsys, command):
    code, _, err = _run(CI_MEDIC, ["--db", "log.txt/s.db", *command], capsys)

    assert code == 1
    assert "log.txt is a file, not a folder" in err and "--db" in err


def test_analyze_out_below_a_file_says_which_part_is_a_file(folder, capsys):
    code, _, err = _run(
        CI_MEDIC, ["--db", "s.db", "analyze", "--repo", "acme/app", "--out", "log.txt/o"], capsys
    )

    assert code == 1
    assert "--out log.txt/o (log.txt is a file, not a folder)" in err


# -- sync --days within a calendar -----------------------------------------------------------------
@pytest.fixture()
def no_sync(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    from agents.pipeline_monitor import agent as monitor

    histories: list[object] = []

    def stub(_store, _source, repo, *_args, history=None, **_kwargs):
        histories.append(history)
        return monitor.SyncReport(repo)

    monkeypatch.setattr(monitor, "sync_repository", stub)
    return histories


@pytest.mark.parametrize("days", ["3651", "1000000000", "99999999999999999999"])
def test_sync_days_beyond_ten_years_is_one_sentence(folder, capsys, no_sync, days):
    code, _, err = _run(CI_MEDIC, ["--db", "s.db", "sync", "acme/app", "--days", days], capsys)

    assert code == 1
    assert err.startswith(f"error: --days {int(days):,} reaches back further") and "3,650" in err
    assert no_sync == []


def test_sync_days_of_ten_years_is_taken(folder, capsys, no_sync):
    code, _, err = _run(CI_MEDIC, ["--db", "s.db", "sync", "acme/app", "--days", "3650"], capsys)

    assert code == 0, err
    assert [getattr(h, "days", None) for h in no_sync] == [3650]


# -- rca: options anywhere -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["rca", "--json", "log.txt"],
        ["rca", "log.txt", "--json"],
        ["rca", "--previous-green", "green.txt", "--json", "log.txt"],
        ["rca", "--previous-green=green.txt", "log.txt", "--json"],
        ["rca", "log.txt", "--json", "--previous-green", "green.txt"],
        ["--db", "s.db", "rca", "--json", "log.txt"],
    ],
)
def test_rca_takes_its_options_before_between_and_after_the_logs(folder, capsys, argv):
    code, out, err = _run(CI_MEDIC, argv, capsys)

    assert code == 0, err
    assert [json.loads(line)["file"] for line in out.splitlines()] == ["log.txt"]


def test_rca_options_between_two_logs_apply_to_both(folder, capsys):
    code, out, err = _run(CI_MEDIC, ["rca", "log.txt", "--json", "green.txt"], capsys)

    assert code == 0, err
    assert [json.loads(line)["file"] for line in out.splitlines()] == ["log.txt", "green.txt"]


def test_rca_previous_green_before_the_log_is_read_as_the_green_log(folder, capsys):
    code, out, _ = _run(CI_MEDIC, ["rca", "--previous-green", "green.txt", "log.txt"], capsys)

    assert code == 0
    assert out.startswith("log.txt\n") and "green.txt" not in out


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_rca_help_prints_its_usage_and_exits_0(folder, capsys, flag):
    code, out, _ = _run(CI_MEDIC, ["rca", flag], capsys)

    assert code == 0
    assert out.startswith("usage: ci-medic rca") and "--previous-green" in out and "--json" in out


def test_rca_without_a_log_is_a_usage_error(folder, capsys):
    code, _, err = _run(CI_MEDIC, ["rca", "--json"], capsys)

    assert code == 2 and "the following arguments are required: LOGFILE" in err
