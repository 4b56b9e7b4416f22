"""``ci-medic anomalies`` as a user (and the maintainers' scorer) runs it: a real subprocess on a
CSV file written here; JSON lines with the contract's fields, timestamps exactly as written,
``--time-col``/``--value-col``, and bad input as exit 2 with one sentence, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT

FIELDS = {"timestamp", "value", "score", "expected_low", "expected_high", "kind"}


def _cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", "anomalies", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _stamps(n: int) -> list[str]:
    """Timestamps in a form no parser would write back the same way."""
    return [
        f"2014-02-{1 + i // 288:02d} {i // 12 % 24:02d}:{i % 12 * 5:02d}:00.000000"
        for i in range(n)
    ]


def _write(path: Path, header: str, rows: list[tuple[str, str]]) -> Path:
    path.write_text(header + "\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    return path


def _series_rows(n: int = 400) -> list[tuple[str, str]]:
    values = 40 + np.random.default_rng(7).normal(0, 1.5, n)
    values[250] = 95.0
    return list(zip(_stamps(n), (f"{v:.3f}" for v in values), strict=True))


def test_json_lines_name_the_spike_with_the_timestamp_as_written(tmp_path):
    rows = _series_rows()
    csv = _write(tmp_path / "cpu.csv", "timestamp,value", rows)

    done = _cli(csv, "--json")

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines and all(set(line) == FIELDS for line in lines)
    spike = [line for line in lines if line["timestamp"] == rows[250][0]]
    assert spike and spike[0]["kind"] == "spike" and spike[0]["value"] == 95.0
    assert spike[0]["expected_low"] < 40 < spike[0]["expected_high"] < 95
    assert all(
        isinstance(line[key], float) for line in lines for key in FIELDS - {"timestamp", "kind"}
    )
    assert {line["timestamp"] for line in lines} <= {stamp for stamp, _ in rows}


def test_other_column_names_blank_values_and_the_readable_table(tmp_path):
    rows = [
        (stamp, "" if i % 50 == 3 else value) for i, (stamp, value) in enumerate(_series_rows())
    ]
    csv = _write(tmp_path / "runs.csv", "finished_at,duration_s", rows)

    done = _cli(csv, "--time-col", "finished_at", "--value-col", "duration_s", "--json")
    table = _cli(csv, "--time-col", "finished_at", "--value-col", "duration_s")

    assert done.returncode == 0, done.stderr
    assert rows[250][0] in {json.loads(line)["timestamp"] for line in done.stdout.splitlines()}
    assert "skipped 8 row(s)" in done.stderr
    assert table.returncode == 0
    assert rows[250][0] in table.stdout and "spike" in table.stdout


def test_a_quiet_series_prints_nothing_in_json_and_says_so_in_the_table(tmp_path):
    csv = _write(tmp_path / "flat.csv", "timestamp,value", [(s, "5") for s in _stamps(120)])

    assert _cli(csv, "--json").stdout == ""
    assert "No anomaly in the 120 points" in _cli(csv).stdout


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("missing.csv", None, "no file"),
        ("folder", "DIR", "folder"),
        ("empty.csv", "", "empty"),
        ("header.csv", "timestamp,value\n", "no rows"),
        ("nocol.csv", "time,val\n2014-01-01,3\n", "no column 'timestamp'"),
        ("text.csv", "timestamp,value\n2014-01-01,3\n2014-01-02,fast\n", "line 3"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "UTF-8"),
    ],
)
def test_bad_input_is_exit_2_with_one_sentence(tmp_path, name, content, said):
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")

    done = _cli(path, "--json")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert said in done.stderr


def test_a_missing_value_column_names_the_flag_to_use(tmp_path):
    csv = _write(tmp_path / "d.csv", "timestamp,duration", [("2014-01-01", "3")])

    done = _cli(csv, "--json")

    assert done.returncode == 2
    assert "--value-col" in done.stderr and "'duration'" in done.stderr
