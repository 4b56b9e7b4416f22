"""How a stored test result spells its outcome and its source: one small integer each.

Why integers: ``test_results`` is the store's largest table (a row per test per job), and a
word repeated in every row cost more than the rest of the row. SQLite stores the integers 0
and 1 in no bytes at all and 2 and 3 in one, so the common outcomes and both sources are free.
The codes are written to disk (the V8 migration spells them out too): never renumber one, only
append. The readers turn them back into the words with :func:`outcome_sql`/:func:`source_sql`
in SQL, or :func:`decode` on codes read as numbers, so what they return is the same text as
before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "OUTCOME_CODES",
    "SOURCE_CODES",
    "FAILING_SQL",
    "JUNIT",
    "decode",
    "outcome_sql",
    "source_sql",
]

OUTCOME_CODES: dict[str, int] = {"passed": 0, "failed": 1, "error": 2, "skipped": 3}
SOURCE_CODES: dict[str, int] = {"junit": 0, "console": 1}

JUNIT = SOURCE_CODES["junit"]
# The outcomes that count as a test failure, as a SQL list: ``outcome IN (1, 2)``.
FAILING_SQL = f"({OUTCOME_CODES['failed']}, {OUTCOME_CODES['error']})"


def outcome_sql(column: str) -> str:
    """A SQL expression that reads the outcome code in ``column`` as its word."""
    return _case(column, OUTCOME_CODES)


def source_sql(column: str) -> str:
    """A SQL expression that reads the source code in ``column`` as its word."""
    return _case(column, SOURCE_CODES)


def _case(column: str, codes: dict[str, int]) -> str:
    whens = " ".join(f"WHEN {code} THEN '{word}'" for word, code in codes.items())
    return f"CASE {column} {whens} END"


def decode(codes: pd.Series, words: dict[str, int]) -> np.ndarray:
    """Codes read as numbers (``OUTCOME_CODES`` or ``SOURCE_CODES`` as ``words``) as their
    words, one shared object per word; None for a code not known, as the SQL's CASE gives."""
    table = np.full(max(words.values()) + 2, None, dtype=object)
    for word, code in words.items():
        table[code] = word
    values = pd.to_numeric(codes, errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    values = np.where((values >= 0) & (values < len(table) - 1), values, len(table) - 1)
    return table[values]
