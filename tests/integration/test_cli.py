"""The command line as a user runs it: a real subprocess, exit codes, and the rca contract."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import zipfile

from core.store.db import Store
from tests.conftest import REPO_ROOT

CONTRACT = {
    "file",
    "category",
    "confidence",
    "transient",
    "lines",
    "summary",
    "suggestion",
    "fingerprint",
}
FAILING_LOG = "\n".join(
    [
        "2024-05-01T12:00:00.0000000Z ##[group]Run pytest -q",
        "2024-05-01T12:00:01.0000000Z pytest -q",
        "2024-05-01T12:00:02.0000000Z ##[endgroup]",
        "2024-05-01T12:00:03.0000000Z ============================= test session starts ===",
        "2024-05-01T12:00:04.0000000Z collected 2 items",
        "2024-05-01T12:00:05.0000000Z tests/test_cart.py .F                                [100%]",
        "2024-05-01T12:00:06.0000000Z =================================== FAILURES ========",
        "2024-05-01T12:00:07.0000000Z ___________________________ test_total ______________",
        "2024-05-01T12:00:08.0000000Z     def test_total():",
        "2024-05-01T12:00:09.0000000Z >       assert total([1, 2]) == 4",
        "2024-05-01T12:00:10.0000000Z E       assert 3 == 4",
        "2024-05-01T12:00:11.0000000Z tests/test_cart.py:7: AssertionError",
        "2024-05-01T12:00:12.0000000Z FAILED tests/test_cart.py::test_total - assert 3 == 4",
        "2024-05-01T12:00:13.0000000Z ========================= 1 failed, 1 passed in 0.12s ====",
        "2024-05-01T12:00:14.0000000Z ##[error]Process completed with exit code 1.",
    ]
)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_rca_prints_one_contract_object_per_file_for_plain_and_gzip_logs(tmp_path):
    plain, packed = tmp_path / "a.log", tmp_path / "b.log.gz"
    plain.write_text(FAILING_LOG)
    packed.write_bytes(gzip.compress(FAILING_LOG.encode()))
    result = _cli("rca", str(plain), str(packed), "--json")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [o["file"] for o in objects] == [str(plain), str(packed)]
    for obj in objects:
        assert set(obj) == CONTRACT and obj["category"] == "test_failure"
        assert all(1 <= a <= b <= FAILING_LOG.count("\n") + 1 for a, b in obj["lines"])
        failure_block = range(10, 14)  # the assertion, its location and the FAILED line
        assert any(a <= n <= b for a, b in obj["lines"] for n in failure_block)


def test_status_of_an_empty_store_and_a_sync_without_a_repo_fail_politely(tmp_path):
    Store(tmp_path / "s.db").close()  # given an empty store
    status = _cli("--db", str(tmp_path / "s.db"), "status")
    assert status.returncode == 0
    assert "holds no repository yet" in status.stdout and "DataFrame" not in status.stdout
    bad = _cli("--db", str(tmp_path / "s.db"), "sync", "not a repo")
    assert bad.returncode == 1 and bad.stderr.startswith("error: ")
    assert "Traceback" not in bad.stderr


def test_given_no_store_when_status_then_it_says_so_and_creates_none(tmp_path):
    missing = tmp_path / "nowhere" / "s.db"

    status = _cli("--db", str(missing), "status")

    assert status.returncode == 0
    assert f"There is no store at {missing} yet" in status.stdout
    assert not missing.exists() and not missing.parent.exists()


def test_given_an_imported_dump_when_status_then_it_counts_what_import_said(
    imported_demo, tmp_path
):
    db = str(imported_demo.copy_to(tmp_path).path)  # the demo, imported once per session
    import_said = imported_demo.report.sentence()  # what `ci-medic import` printed for it

    status = _cli("--db", db, "status")

    assert status.returncode == 0, status.stderr
    said = re.search(
        r"Imported ([\d,]+) runs(?: \(and ([\d,]+) earlier attempts\))?, ([\d,]+) jobs, "
        r"([\d,]+) distinct commits",
        import_said,
    )
    assert said, import_said
    runs, attempts, jobs, commits = (said.group(i) for i in range(1, 5))
    assert f"runs         {runs}" + (f" (and {attempts} earlier attempts)" if attempts else "") in (
        status.stdout
    )
    assert f"jobs         {jobs}\n" in status.stdout
    assert f"commits      {commits} distinct" in status.stdout
    stored = Store(db)
    assert int(commits.replace(",", "")) == stored.scalar("SELECT COUNT(*) FROM commits")
    assert int(runs.replace(",", "")) == stored.scalar("SELECT COUNT(*) FROM runs WHERE is_latest")
    assert "None" not in status.stdout and "NaN" not in status.stdout


def test_given_a_binary_file_when_rca_reads_it_then_it_refuses_with_a_sentence(tmp_path):
    binary = tmp_path / "runner.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("1_test.txt", FAILING_LOG)

    for path in (binary, archive):
        result = _cli("rca", str(path), "--json")

        assert result.returncode == 1
        assert result.stdout == ""  # no garbage "analysis"
        assert f"{path} looks like " in result.stderr and ", not a log." in result.stderr
        assert "Traceback" not in result.stderr


def test_given_a_binary_file_among_logs_when_rca_then_the_logs_are_still_analysed(tmp_path):
    binary, plain, packed = tmp_path / "a.bin", tmp_path / "b.log", tmp_path / "c.log.gz"
    binary.write_bytes(b"\x00\x01\x02" * 1000)
    plain.write_text(FAILING_LOG)
    packed.write_bytes(gzip.compress(FAILING_LOG.encode()))

    result = _cli("rca", str(binary), str(plain), str(packed), "--json")

    assert result.returncode == 1  # one file was refused
    assert [json.loads(line)["file"] for line in result.stdout.splitlines()] == [
        str(plain),
        str(packed),
    ]
    assert f"error: {binary} looks like a binary file, not a log." in result.stderr


def test_given_a_binary_previous_green_log_when_rca_then_nothing_is_analysed(tmp_path):
    plain, green = tmp_path / "b.log", tmp_path / "green.bin"
    plain.write_text(FAILING_LOG)
    green.write_bytes(bytes(range(256)) * 64)

    result = _cli("rca", str(plain), "--previous-green", str(green), "--json")

    assert result.returncode == 1 and result.stdout == ""
    assert f"{green} looks like a binary file, not a log." in result.stderr


def test_analyze_on_an_empty_store_says_what_to_do(tmp_path):
    result = _cli("--db", str(tmp_path / "s.db"), "analyze", "--out", str(tmp_path / "o"))
    assert result.returncode == 1 and "import or sync one first" in result.stderr


def test_the_ci_medic_command_is_declared_and_runs_from_any_folder(tmp_path):
    """``ci-medic`` is the pyproject console script (the scripts install it with pip -e)."""
    import shutil
    import tomllib

    import pytest

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["ci-medic"] == "agents.cli:main"
    command = shutil.which("ci-medic")
    if command is None:
        pytest.skip("ci-medic is not installed here (scripts/run-tests.sh installs it)")

    log = tmp_path / "job.log"
    log.write_text(FAILING_LOG, encoding="utf-8")
    done = subprocess.run(
        [command, "rca", str(log), "--json"], cwd=tmp_path, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout.splitlines()[0])) >= CONTRACT
