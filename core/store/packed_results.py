"""Each job's test results packed into one binary value (the ``job_tests`` table, schema V14),
so an analysis of every result reads a row per job, not a row per result.

Why: Flaky Tests reads every stored result of a repository on every analysis, and at 100k runs
that is ~20M rows of ``test_results``. SQLite hands rows to Python one at a time: stepping them
cost ~40 s of CPU however the query was written (joined into a text per job and parsed, the
fastest way found, 40 s; as plain rows, 44 s), before the agent judged anything. Packed per job,
the same results are ~105k values that numpy reads without a loop (6 bytes a result, ~120 MB at
that size). Since schema V18 the digest is the record of every result (the drill-down finds
a test's outcomes there too); ``test_results`` keeps a row only for a result with a message
(its text and duration). The store keeps each job's digest as its results are written
(:func:`core.store.ingest.save_test_results`); :data:`core.store.schema.JOB_TESTS` built the
digests from the rows once, when V14 created them.

The packing is an SQLite aggregate function, :class:`PackedResults`, registered on every
connection of the store (:func:`register`), so the migration that fills the table is one SQL
statement; a write packs the same bytes in Python.
"""

from __future__ import annotations

import sqlite3

import numpy as np

__all__ = ["RESULT", "PACK_FUNCTION", "PackedResults", "register", "unpack"]

# One result: its test (the ``tests`` table's id), outcome code and source code
# (core.store.result_codes), -1 where the stored value is no integer that fits. Little-endian
# and unaligned: the bytes on disk mean the same on every machine.
RESULT = np.dtype([("test", "<i4"), ("outcome", "i1"), ("source", "i1")])
PACK_FUNCTION = "packed_results"

_INT32 = (-(1 << 31), (1 << 31) - 1)
_INT8 = (-128, 127)


def _fits(value: object, bounds: tuple[int, int]) -> int:
    """``value`` when it is an integer within ``bounds``, else -1 (a text or a NULL the store
    should not hold, read as "not known" as the SQL readers' CASE did)."""
    if type(value) is int and bounds[0] <= value <= bounds[1]:
        return value
    return -1


class PackedResults:
    """The aggregate ``packed_results(test, outcome, source)``: the group's results as the
    bytes of a :data:`RESULT` array, in the order SQLite steps them."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int]] = []

    def step(self, test: object, outcome: object, source: object) -> None:
        self.rows.append((_fits(test, _INT32), _fits(outcome, _INT8), _fits(source, _INT8)))

    def finalize(self) -> bytes:
        return np.array(self.rows, dtype=RESULT).tobytes()


def register(conn: sqlite3.Connection) -> None:
    """Make ``packed_results`` known to ``conn`` (every store connection needs it: a statement
    naming it fails to prepare on a connection without it, even with no rows to pack)."""
    conn.create_aggregate(PACK_FUNCTION, 3, PackedResults)


def unpack(values: list[bytes] | np.ndarray) -> np.ndarray:
    """Packed values (one per job) as one :data:`RESULT` array, their results in order."""
    return np.frombuffer(b"".join(values), dtype=RESULT)
