"""A test history read from a CSV file, for ``ci-medic flaky``.

Columns (names in any case, surrounding spaces ignored): ``test_id`` and ``outcome`` are
required; ``run_id``, ``attempt``, ``commit_sha``, ``created_at``, ``job`` and ``branch`` are
optional (see :mod:`.history` for what their absence means). A few spellings other tools write
are read too (``test``/``name``, ``result``/``status``/``conclusion``, ``sha``/``head_sha``,
``run_attempt``, ``head_branch``...). Rows are in time order.

Every cell is kept as the exact text of the file (no date or number guessing), so a commit or
run id comes back as written. A blank run id is the row's line (``line 17``), which is also what
the output cites as evidence. A file without a run id column gets none: the engine then takes
each row as a run of its own and the results of one commit as what ran together (its
infrastructure guard sees a commit where a quarter of the tests failed at once, which rows
named by line would hide); ``ci-medic flaky`` names those runs by line too
(:func:`line_of`). Every problem is a :class:`HistoryInputError`
with one sentence naming the line when there is one: an outcome that cannot be read is an
error, not a skipped row, because dropping ``flaky`` or ``broken?`` rows silently would change
the history being judged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agents.flaky_tests.history import normalise_outcomes
from core.csv_input import read_text_csv
from core.errors import CIMedicError

__all__ = ["ALIASES", "HistoryInputError", "line_of", "read_history_csv"]

ALIASES: dict[str, tuple[str, ...]] = {
    "test_id": ("test_id", "test", "test_name", "testcase", "name"),
    "outcome": ("outcome", "result", "status", "conclusion"),
    "run_id": ("run_id", "run"),
    "attempt": ("attempt", "run_attempt"),
    "commit_sha": ("commit_sha", "sha", "head_sha", "commit"),
    "created_at": ("created_at", "timestamp", "time"),
    "job": ("job", "job_name"),
    "branch": ("branch", "head_branch", "branch_name"),
}


class HistoryInputError(CIMedicError):
    """The file cannot be read as a test history; ``str(error)`` says why in one sentence."""


def read_history_csv(path: str | Path) -> pd.DataFrame:
    """The history in ``path`` with the engine's column names, rows in file order."""
    path = Path(path)
    raw = _frame(path)
    frame = _renamed(raw, path)
    if frame.empty:
        raise HistoryInputError(
            f"{path} has a header but no rows, so there is no history to judge."
        )
    _check_outcomes(frame, path)
    _check_test_ids(frame, path)
    if "attempt" in frame:
        _check_attempts(frame, path)
    if "run_id" in frame:
        lines = pd.Series([line_of(row) for row in range(len(frame))], index=frame.index)
        frame["run_id"] = frame["run_id"].where(frame["run_id"].str.strip() != "", lines)
    return frame


def line_of(row: int) -> str:
    """The file line of the ``row``-th row (0-based, after the header): how a run without an
    id is cited."""
    return f"line {row + 2}"


def _frame(path: Path) -> pd.DataFrame:
    """Every cell as the exact text of the file."""
    return read_text_csv(path, HistoryInputError)


def _renamed(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The columns the engine reads, under its names; other columns are left out."""
    by_name = {str(name).strip().lower(): name for name in raw.columns}
    chosen: dict[str, str] = {}
    for column, spellings in ALIASES.items():
        found = next((by_name[name] for name in spellings if name in by_name), None)
        if found is not None and found not in chosen.values():
            chosen[column] = found
    missing = [name for name in ("test_id", "outcome") if name not in chosen]
    if missing:
        names = ", ".join(repr(str(name)) for name in raw.columns)
        raise HistoryInputError(
            f"{path} has no column {' or '.join(map(repr, missing))} (its columns: {names}); "
            "a history needs test_id and outcome, one row per test result."
        )
    return pd.DataFrame({column: raw[name] for column, name in chosen.items()})


def _check_outcomes(frame: pd.DataFrame, path: Path) -> None:
    codes, _ = normalise_outcomes(frame["outcome"])
    bad = np.flatnonzero(codes < 0)
    if len(bad):
        row = int(bad[0])
        raise HistoryInputError(
            f"{path} line {row + 2}: the outcome {frame['outcome'].iloc[row]!r} is not pass, "
            "fail or skip (P/F, passed/failed/error/skipped and GitHub's job conclusions are "
            "read too, in any case)."
        )


def _check_test_ids(frame: pd.DataFrame, path: Path) -> None:
    blank = np.flatnonzero(frame["test_id"].str.strip().eq("").to_numpy())
    if len(blank):
        raise HistoryInputError(
            f"{path} line {int(blank[0]) + 2}: the test_id is blank; every row names its test."
        )


def _check_attempts(frame: pd.DataFrame, path: Path) -> None:
    text = frame["attempt"].str.strip()
    number = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = np.flatnonzero(
        ((text != "") & (number.isna() | (number < 0) | (number % 1 != 0))).to_numpy()
    )
    if len(bad):
        row = int(bad[0])
        raise HistoryInputError(
            f"{path} line {row + 2}: the attempt {frame['attempt'].iloc[row]!r} is not a "
            "whole number (leave it blank for attempt 1)."
        )
