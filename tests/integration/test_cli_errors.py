"""Both command lines say what is wrong in a sentence and exit non-zero, never with a traceback
(issue 13): files that are not stores, damaged stores, bad settings, bad arguments, a repository
the store does not hold, and errors nobody foresaw (one line, exit 2).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import agents.cli
import core.queue.cli
from core.store.db import Store
from core.store.runs import save_repository
from tests.conftest import REPO_ROOT

CI_MEDIC = agents.cli.main
WORKER = core.queue.cli.main


def _run(main: Callable[[Sequence[str]], int], argv: Sequence[str], capsys) -> tuple[int, str]:
    """(exit code, stderr) of ``main(argv)``, argparse's exits included."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def _argv(main: Callable[[Sequence[str]], int], db: Path, *command: str) -> list[str]:
    """``--db`` goes before the command for ci-medic and after it for the worker."""
    if main is CI_MEDIC:
        return ["--db", str(db), *command]
    return [*command, "--db", str(db)]


def _sentence(err: str, *said: str) -> None:
    assert err.strip(), "nothing was said"
    for part in said:
        assert part in err, (part, err)


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    store = Store(path)
    save_repository(store, {"id": 1, "full_name": "acme/app", "default_branch": "main"})
    store.close()
    return path


@pytest.fixture()
def foreign(tmp_path: Path) -> Path:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (a)")
    conn.commit()
    conn.close()
    return path


# -- store files -------------------------------------------------------------------------------


@pytest.mark.parametrize("main", [CI_MEDIC, WORKER], ids=["ci-medic", "worker"])
def test_given_another_programs_database_when_status_then_refused_and_unchanged(
    main, foreign, capsys
):
    before = foreign.read_bytes(), foreign.stat().st_mtime_ns

    code, err = _run(main, _argv(main, foreign, "status"), capsys)

    assert code == 1
    _sentence(err, f"error: {foreign} is not a CI Medic store", "left it untouched")
    assert (foreign.read_bytes(), foreign.stat().st_mtime_ns) == before
    assert sorted(p.name for p in foreign.parent.iterdir()) == ["other.db"]


@pytest.mark.parametrize("main", [CI_MEDIC, WORKER], ids=["ci-medic", "worker"])
@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("truncate", "is damaged (database disk image is malformed)"),
        ("random", "is not an SQLite database at all"),
        ("folder", "is a folder, not a store file"),
    ],
)
def test_given_a_damaged_store_or_a_folder_when_status_then_a_sentence(
    main, store_path, damage, said, capsys
):
    data = store_path.read_bytes()
    if damage == "truncate":
        store_path.write_bytes(data[: len(data) // 2])
    elif damage == "random":
        store_path.write_bytes(os.urandom(len(data)))
    else:
        store_path.unlink()
        store_path.mkdir()

    code, err = _run(main, _argv(main, store_path, "status"), capsys)

    assert code == 1
    _sentence(err, "error: ", said, str(store_path))


def test_given_a_locked_store_when_the_cli_meets_sqlite_then_it_says_locked(
    store_path, capsys, monkeypatch
):
    def locked(_args, _settings):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setitem(agents.cli.COMMANDS, "status", locked)

    code, err = _run(CI_MEDIC, ["--db", str(store_path), "status"], capsys)

    assert code == 1
    _sentence(err, f"error: The store at {store_path} is locked by another process")


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("CI_MEDIC_GITHUB_BASE_URL", "ftp://ghe.example.com/api/v3", "must start with http://"),
        ("CI_MEDIC_GITHUB_BASE_URL", "http://[::1", "is not a valid URL (Invalid IPv6 URL)"),
        ("CI_MEDIC_GITHUB_BASE_URL", "http://ghe.example.com:99999", "Port out of range"),
        ("CI_MEDIC_GITHUB_BASE_URL", "https://exa mple.com", "holds a space or a control"),
        ("CI_MEDIC_GITHUB_BASE_URL", "https://10.0.0.300/api/v3", "which is no IPv4 address"),
        ("CI_MEDIC_GITHUB_BASE_URL", "https://-ghe-.example.com", "which is no host name"),
        ("CI_MEDIC_HTTP_TIMEOUT_S", "0", "http_timeout_s (CI_MEDIC_HTTP_TIMEOUT_S) must be"),
        ("CI_MEDIC_HTTP_TIMEOUT_S", "nan", "must be a finite number, got nan"),
        ("CI_MEDIC_MAX_RATE_LIMIT_WAIT_S", "-1", "must be at least 0"),
        ("CI_MEDIC_REQUEST_BUDGET", "0", "request_budget (CI_MEDIC_REQUEST_BUDGET) must be"),
        ("CI_MEDIC_REQUEST_BUDGET", "-5", "must be at least 1"),
        ("CI_MEDIC_REQUEST_BUDGET", "2.5", "must be a whole number"),
        ("CI_MEDIC_WORKER_BATCH_SIZE", "0", "SQS sends at most 10 messages per batch"),
        ("CI_MEDIC_WORKER_LEASE_S", "-3", "must be more than 0"),
        ("CI_MEDIC_SQS_ENDPOINT_URL", "localhost:4566", "The SQS endpoint"),
    ],
)
@pytest.mark.parametrize("main", [CI_MEDIC, WORKER], ids=["ci-medic", "worker"])
def test_given_a_bad_setting_when_any_command_then_a_sentence_naming_it(
    main, variable, value, said, store_path, capsys, monkeypatch
):
    monkeypatch.setenv(variable, value)

    code, err = _run(main, _argv(main, store_path, "status"), capsys)

    assert code == 1
    _sentence(err, "error: ", said)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--base-url", "ftp://x"], "--base-url or CI_MEDIC_GITHUB_BASE_URL"),
        (["--base-url", "http://[::1"], "Invalid IPv6 URL"),
        (["--base-url", "http://localhost:99999"], "Port out of range"),
    ],
)
def test_given_a_bad_base_url_flag_when_sync_then_a_sentence(store_path, argv, said, capsys):
    code, err = _run(CI_MEDIC, ["--db", str(store_path), "sync", "acme/app", *argv], capsys)
    assert code == 1
    _sentence(err, "error: The GitHub API base URL", said)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["sync", "acme/app", "--budget", "0"], "argument --budget: must be at least 1, got 0"),
        (["sync", "acme/app", "--budget", "-4"], "must be at least 1, got -4"),
        (["sync", "acme/app", "--budget", "1.5"], "must be a whole number, got '1.5'"),
        (["sync", "acme/app", "--days", "-3"], "argument --days: must be at least 1"),
        (["demo", "out", "--seed", "-1"], "argument --seed: must be at least 0"),
    ],
)
def test_given_a_bad_number_when_ci_medic_then_usage_and_a_sentence(store_path, argv, said, capsys):
    code, err = _run(CI_MEDIC, ["--db", str(store_path), *argv], capsys)
    assert code == 2
    _sentence(err, said)


# -- analyze -----------------------------------------------------------------------------------


def test_given_a_repository_the_store_does_not_hold_when_analyze_then_it_fails_naming_it(
    store_path, tmp_path, capsys
):
    out = tmp_path / "out"

    code, err = _run(
        CI_MEDIC,
        ["--db", str(store_path), "analyze", "--repo", "nobody/none", "--out", str(out)],
        capsys,
    )

    assert code == 1
    _sentence(err, "holds no repository nobody/none", "it holds acme/app", "--repo")
    assert not out.exists()


def test_given_out_is_a_file_when_analyze_then_it_says_to_give_a_folder(
    store_path, tmp_path, capsys
):
    out = tmp_path / "findings.csv"
    out.write_text("keep me")

    code, err = _run(
        CI_MEDIC,
        ["--db", str(store_path), "analyze", "--repo", "acme/app", "--out", str(out)],
        capsys,
    )

    assert code == 1
    _sentence(err, f"--out {out} is a file", "folder")
    assert out.read_text() == "keep me"


def test_given_a_file_as_the_demo_folder_when_demo_then_a_sentence(tmp_path, capsys):
    out = tmp_path / "demo"
    out.write_text("keep me")
    code, err = _run(CI_MEDIC, ["demo", str(out)], capsys)
    assert code == 1
    _sentence(err, f"OUT {out} is a file", "folder")
    assert out.read_text() == "keep me"


def test_given_no_store_when_analyze_then_it_creates_none(tmp_path, capsys):
    missing = tmp_path / "none.db"
    code, err = _run(CI_MEDIC, ["--db", str(missing), "analyze", "--out", str(tmp_path)], capsys)
    assert code == 1
    _sentence(err, f"There is no store at {missing} yet", "import or sync one first")
    assert not missing.exists()


# -- the worker's arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--batch-size", "0"], "between 1 and 10 (SQS sends at most 10 messages per batch)"),
        (["run", "--batch-size", "-2"], "between 1 and 10"),
        (["run", "--batch-size", "11"], "got 11"),
        (["run", "--batch-size", "2.5"], "must be a whole number"),
        (["run", "--lease", "nan"], "argument --lease: must be a number of seconds above 0"),
        (["run", "--lease", "0"], "above 0"),
        (["run", "--backoff-cap", "-1"], "above 0"),
        (["run", "--max-attempts", "0"], "at least 1"),
        (["run", "--bound", "-1"], "at least 0"),
        (["consume", "logs", "--max", "-1"], "argument --max: must be at least 1"),
        (["consume", "logs", "--max", "1.5"], "must be a whole number"),
    ],
)
def test_given_a_bad_worker_number_when_run_then_refused_with_usage_and_a_sentence(
    store_path, argv, said, capsys
):
    code, err = _run(WORKER, [*argv, "--db", str(store_path)], capsys)
    assert code == 2
    _sentence(err, said)


@pytest.mark.parametrize(
    ("endpoint", "said"),
    [
        ("ftp://127.0.0.1:4566", "must start with http:// or https://"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://127.0.0.1:0", "port 0"),
        ("127.0.0.1:4566", "must start with http://"),
    ],
)
@pytest.mark.parametrize("command", [["run", "--burst"], ["consume", "logs"], ["status"]])
def test_given_a_bad_endpoint_when_the_worker_runs_then_a_sentence(
    store_path, endpoint, said, command, capsys
):
    code, err = _run(WORKER, [*command, "--db", str(store_path), "--endpoint", endpoint], capsys)
    assert code == 1
    _sentence(err, "error: The SQS endpoint", "--endpoint or CI_MEDIC_SQS_ENDPOINT_URL", said)


def test_given_out_is_a_folder_when_consume_then_it_says_to_give_a_file(
    store_path, tmp_path, capsys
):
    argv = ["consume", "logs", "--db", str(store_path), "--endpoint", "http://127.0.0.1:9"]
    code, err = _run(WORKER, [*argv, "--out", str(tmp_path)], capsys)
    assert code == 1
    _sentence(err, f"--out {tmp_path} is a folder", "messages.jsonl")


# -- errors nobody foresaw ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("main", "table", "argv"),
    [
        (CI_MEDIC, agents.cli.COMMANDS, ["status"]),
        (WORKER, None, ["status"]),
    ],
    ids=["ci-medic", "worker"],
)
def test_given_a_bug_when_a_command_runs_then_one_line_and_exit_2(
    main, table, argv, store_path, capsys, monkeypatch
):
    def broken(_args, _settings):
        raise RuntimeError("no queue\n  named x")

    if table is not None:
        monkeypatch.setitem(table, "status", broken)
    else:
        monkeypatch.setattr(core.queue.cli, "_cmd_status", broken)

    code, err = _run(main, _argv(main, store_path, *argv), capsys)

    assert code == 2
    assert err.startswith("Unexpected error (RuntimeError: no queue named x).")
    assert err.count("\n") == 1 and "CI_MEDIC_DEBUG=1" in err

    monkeypatch.setenv("CI_MEDIC_DEBUG", "1")  # the developer's way to the traceback
    with pytest.raises(RuntimeError):
        main(_argv(main, store_path, *argv))


def test_as_a_user_runs_them_no_command_prints_a_traceback(foreign, store_path, tmp_path):
    """The same refusals through real processes (the console entry points)."""

    def run(module: str, *argv: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", module, *argv],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env},
        )

    results = [
        run("agents.cli", "--db", str(foreign), "status"),
        run(
            "agents.cli",
            "--db",
            str(store_path),
            "analyze",
            "--repo",
            "nobody/none",
            "--out",
            str(tmp_path / "o"),
        ),
        run(
            "agents.cli", "--db", str(store_path), "status", CI_MEDIC_GITHUB_BASE_URL="http://[::1"
        ),
        run("core.queue.worker", "--db", str(store_path), "--batch-size", "0"),
        run("core.queue.worker", "status", "--db", str(store_path), "--endpoint", "ftp://x"),
    ]
    for result in results:
        assert result.returncode in (1, 2), result
        assert result.stderr.strip() and "Traceback" not in result.stderr, result.stderr
    assert sqlite3.connect(foreign).execute("PRAGMA journal_mode").fetchone()[0] == "delete"
