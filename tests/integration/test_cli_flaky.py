"""``ci-medic flaky HISTORY.csv`` as the maintainers' scorer runs it: a real subprocess on a CSV
written here; JSON lines with the contract's fields, a readable table without ``--json``, and
bad input as exit 2 with one sentence, never a traceback.

The command is registered on a parser built here with :func:`add_parser` (what
``agents/cli.py`` does once it is wired in), so the test does not depend on that wiring.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

CONTRACT = ("test_id", "verdict", "score", "runs", "failures", "same_sha_flips", "culprit_sha")


def _cli(*args: str | Path) -> subprocess.CompletedProcess:
    """``ci-medic flaky ARGS`` exactly as the evaluation calls it (the module form of it)."""
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", "flaky", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _history(path: Path) -> Path:
    """12 commits, one run each; ``flaky`` fails in run 4 and passes its re-run, ``broken``
    fails from commit 7 on, ``steady`` always passes (also in the re-run of run 4)."""
    lines = ["test_id,outcome,run_id,attempt,commit_sha,created_at"]
    for i in range(12):
        sha, stamp = f"{i:02d}ab{i:02d}cd", f"2026-03-{i + 1:02d}T10:00:00Z"
        lines.append(f"flaky,{'failed' if i == 4 else 'passed'},{100 + i},1,{sha},{stamp}")
        lines.append(f"broken,{'F' if i >= 7 else 'P'},{100 + i},1,{sha},{stamp}")
        lines.append(f"steady,pass,{100 + i},1,{sha},{stamp}")
        if i == 4:
            lines += [f"{t},pass,{100 + i},2,{sha},{stamp}" for t in ("flaky", "steady")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_json_lines_carry_the_contract_fields_per_test(tmp_path):
    done = _cli(_history(tmp_path / "history.csv"), "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["test_id"] for row in rows] == ["flaky", "broken", "steady"]
    for row in rows:
        assert tuple(row)[: len(CONTRACT)] == CONTRACT
        assert 0.0 <= row["score"] <= 1.0
    by_test = {row["test_id"]: row for row in rows}
    assert by_test["flaky"]["verdict"] == "flaky"
    assert by_test["flaky"]["same_sha_flips"] == 1
    assert by_test["flaky"]["first_flake"] == "2026-03-05T10:00:00Z"
    assert by_test["flaky"]["culprit_sha"] is None
    assert by_test["broken"]["verdict"] == "broken"
    assert by_test["broken"]["culprit_sha"] == "07ab07cd"
    assert by_test["broken"]["failures"] == 5
    assert by_test["steady"] == by_test["steady"] | {
        "verdict": "stable",
        "runs": 12,
        "failures": 0,
        "same_sha_flips": 0,
        "culprit_sha": None,
    }


def test_test_id_and_outcome_alone_are_enough(tmp_path):
    path = tmp_path / "sequences.csv"
    rows = [("a", o) for o in "PPPFPPPPPP"] + [("b", "P")] * 10 + [("c", "F")] * 2
    path.write_text("test_id,outcome\n" + "".join(f"{t},{o}\n" for t, o in rows))
    done = _cli(path, "--json")
    assert done.returncode == 0, done.stderr
    by_test = {row["test_id"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert by_test["a"]["verdict"] == "flaky"
    assert by_test["a"]["score"] > by_test["b"]["score"]
    assert by_test["c"]["verdict"] == "insufficient_data"
    assert by_test["a"]["evidence_runs"] == ["line 5"]


def test_without_json_a_table_puts_broken_and_flaky_tests_first(tmp_path):
    done = _cli(_history(tmp_path / "history.csv"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 tests: 1 flaky, 1 broken, 1 stable, 0 insufficient_data."
    assert [line.split()[0] for line in lines[2:]] == ["broken", "flaky", "steady"]
    assert "07ab07cd" in lines[2]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "There is no file"),
        ("", "is empty"),
        ("test_id,outcome\n", "has a header but no rows"),
        ("test,state\na,P\n", "no column 'outcome'"),
        ("test_id,outcome\na,P\na,sometimes\n", "line 3: the outcome 'sometimes'"),
    ],
)
def test_bad_input_is_exit_2_with_one_sentence(tmp_path, content, words):
    path = tmp_path / "history.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    done = _cli(path, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert words in done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_with_commits_but_no_run_ids_a_crowd_failing_on_one_commit_is_no_flakiness(tmp_path):
    """``test_id, outcome, commit_sha`` only: commit c5 ran twice, a quarter of its tests failed
    the first time (a lost runner) and passed the second; one test failing alone on c8, which
    also passed there, is flaky, cited by its line."""
    rows = []
    for commit in range(12):
        for test in range(48):
            failed = (commit == 5 and test < 12) or (commit == 8 and test == 40)
            rows.append((f"t{test:02d}", "fail" if failed else "pass", f"c{commit}"))
        if commit in (5, 8):
            rows += [(f"t{test:02d}", "pass", f"c{commit}") for test in range(48)]
    path = tmp_path / "history.csv"
    path.write_text("test_id,outcome,commit_sha\n" + "".join(f"{t},{o},{c}\n" for t, o, c in rows))

    done = _cli(path, "--json")

    assert done.returncode == 0, done.stderr
    by_test = {row["test_id"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert [t for t, row in by_test.items() if row["verdict"] != "stable"] == ["t40"]
    assert by_test["t40"]["evidence_runs"] == [f"line {rows.index(('t40', 'fail', 'c8')) + 2}"]
    assert sum(row["infra_failures"] for row in by_test.values()) == 12
