"""Issue 13: a cell holding a carriage return or a line feed stays one cell in every CSV we
write (``write_csv`` for ``ci-medic analyze``, ``csv_bytes`` for the app's downloads), and a
formula hidden behind it is no row of its own that the formula guard never saw."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from core.presentation.exports import csv_bytes, write_csv

CELLS = [
    "\r=1+1",
    "\n=1+1",
    "\r\n=1+1",
    "deploy \r=HYPERLINK(1)",
    "deploy \n@SUM(1)",
    "a\rb",
    "\t=cmd",
]


def _frame(cell: str) -> pd.DataFrame:
    return pd.DataFrame({"job": [cell, "ok"], "n": [1, 2]})


def _rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _assert_one_row_per_record(rows: list[list[str]], cell: str) -> None:
    assert rows[0] == ["job", "n"]
    assert len(rows) == 3, rows
    assert rows[2] == ["ok", "2"]
    read = rows[1][0]
    assert read.replace("\r", "").replace("\n", "") in {
        cell.replace("\r", "").replace("\n", ""),
        "'" + cell.replace("\r", "").replace("\n", ""),
    }
    # no cell read back starts as a formula a spreadsheet would run
    assert not [row[0] for row in rows[1:] if row[0].startswith(("=", "+", "-", "@", "\t", "\r"))]


@pytest.mark.parametrize("cell", CELLS)
def test_a_cell_holding_a_line_break_is_one_cell_of_one_row_in_a_written_file(tmp_path, cell):
    path = write_csv(_frame(cell), tmp_path / "x.csv")

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    _assert_one_row_per_record(rows, cell)

    read = pd.read_csv(path)
    assert len(read) == 2 and read["n"].tolist() == [1, 2]
    assert read["job"][0] in {cell, "'" + cell}


@pytest.mark.parametrize("cell", CELLS)
def test_a_cell_holding_a_line_break_is_one_cell_of_one_row_in_a_download(cell):
    data = csv_bytes(_frame(cell))

    _assert_one_row_per_record(_rows_of(data), cell)
    read = pd.read_csv(io.BytesIO(data))
    assert len(read) == 2 and read["job"][0] in {cell, "'" + cell}


def test_a_cell_starting_with_a_carriage_return_or_a_tab_is_defused(tmp_path):
    path = write_csv(pd.DataFrame({"job": ["\r=1+1", "\t=1+1"]}), tmp_path / "x.csv")

    read = pd.read_csv(path)["job"].tolist()

    assert read == ["'\r=1+1", "'\t=1+1"]


def test_rows_end_as_rfc_4180_says_and_the_file_equals_the_download(tmp_path):
    frame = pd.DataFrame({"job": ["build", "test, lint"], "minutes": [1.5, 3.0]})

    path = write_csv(frame, tmp_path / "x.csv")

    assert path.read_bytes() == b'job,minutes\r\nbuild,1.5\r\n"test, lint",3.0\r\n'
    assert path.read_bytes() == csv_bytes(frame)


def test_every_csv_is_written_by_the_exports_module():
    """No other module calls ``to_csv`` (or a csv writer) on its own: every export path goes
    through ``core.presentation.exports``, so the rules above hold for all of them."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("core", "agents", "pages"):
        for path in (root / folder).rglob("*.py"):
            if path.name == "exports.py" and path.parent.name == "presentation":
                continue
            text = path.read_text(encoding="utf-8")
            for needle in (".to_csv(", "csv.writer(", "csv.DictWriter("):
                if needle in text:
                    offenders.append(f"{path.relative_to(root)}: {needle}")
    assert not offenders, offenders
