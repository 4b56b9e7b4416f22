"""One series read from a CSV file (NAB's ``timestamp,value`` format and any other with a time
and a value column), for ``ci-medic anomalies``.

Timestamps stay the exact strings of the file: the detector orders nothing, so a flag points
back at the row as written (no time zone guessed, no format normalised). Blank and ``NaN``
values are skipped, not errors, because metric exports have gaps; anything else that is not a
number is an error naming the row, because silently dropping ``12,5`` or ``n/a`` rows would
change the series. Every problem is a :class:`SeriesInputError` with one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.csv_input import read_text_csv
from core.errors import CIMedicError

__all__ = ["Series", "SeriesInputError", "read_series"]

_MISSING = frozenset({"", "nan", "na", "n/a", "null", "none"})


class SeriesInputError(CIMedicError):
    """The file cannot be read as a series; ``str(error)`` says why in one sentence."""


@dataclass(frozen=True)
class Series:
    """``timestamps[i]`` as written in the file, ``values[i]`` its number (NaN when the row
    had none); ``skipped`` counts those rows."""

    timestamps: list[str]
    values: np.ndarray
    skipped: int


def read_series(path: str | Path, time_col: str = "timestamp", value_col: str = "value") -> Series:
    """The series in ``path`` (rows in file order)."""
    frame = _frame(Path(path))
    time_name, value_name = (
        _column(frame, path, time_col, "--time-col"),
        _column(frame, path, value_col, "--value-col"),
    )
    if frame.empty:
        raise SeriesInputError(f"{path} has a header but no rows, so there is no series to check.")
    text = frame[value_name].str.strip()
    values = pd.to_numeric(text.where(~text.str.lower().isin(_MISSING)), errors="coerce")
    bad = values.isna() & ~text.str.lower().isin(_MISSING)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SeriesInputError(
            f"{path} line {row + 2}: the value {text.iloc[row]!r} in column {value_name!r} is "
            "not a number (blank and NaN values are skipped; other text is not)."
        )
    numbers = values.to_numpy(dtype=float, copy=True)
    numbers[~np.isfinite(numbers)] = np.nan  # "inf" is no duration and no JSON number
    return Series(frame[time_name].tolist(), numbers, int(np.isnan(numbers).sum()))


def _frame(path: Path) -> pd.DataFrame:
    """Every cell as the exact text of the file."""
    return read_text_csv(path, SeriesInputError)


def _column(frame: pd.DataFrame, path: str | Path, wanted: str, flag: str) -> str:
    """``wanted``, or the column that is ``wanted`` but for surrounding spaces."""
    if wanted in frame.columns:
        return wanted
    for name in frame.columns:
        if str(name).strip() == wanted.strip():
            return str(name)
    names = ", ".join(repr(str(name)) for name in frame.columns)
    raise SeriesInputError(
        f"{path} has no column {wanted!r} (its columns: {names}); choose one with {flag}."
    )
