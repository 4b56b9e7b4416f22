"""The stored test results spelled out, for tests that assert on the results themselves.

Since schema V8 a stored result names its test by an interned id, its outcome and source by
codes and its run by its job (:mod:`core.store.result_codes`, :mod:`core.store.schema`); since
V18 every result lives in its job's packed digest (``job_tests``) and only a result with a
message has a row of ``test_results`` (its message and duration). Tests select from
``stored_results(store)`` as they selected from the table before: ``repo_id, job_id, test_id,
run_id, attempt, outcome, duration_s, message, source``, in words (``duration_s`` and
``message`` NULL for a result without a message).
"""

from __future__ import annotations

from core.store.db import Store
from core.store.packed_results import unpack
from core.store.result_codes import outcome_sql, source_sql

__all__ = ["stored_results"]

_TABLE = "temp.every_test_result"


def stored_results(store: Store) -> str:
    """A subquery of every stored result of ``store``, as the digests hold them now (unpacked
    into a temporary table of this thread's connection, filled again at each call)."""
    rows = [
        (digest["repo_id"], digest["job_id"], test, outcome, source)
        for digest in store.query("SELECT repo_id, job_id, packed FROM job_tests")
        for test, outcome, source in unpack([digest["packed"]]).tolist()
    ]
    with store.transaction() as tx:
        tx.execute(f"DROP TABLE IF EXISTS {_TABLE}")
        tx.execute(f"CREATE TABLE {_TABLE} (repo_id, job_id, test, outcome, source)")
        tx.executemany(f"INSERT INTO {_TABLE} VALUES (?, ?, ?, ?, ?)", rows)
    return f"""(
SELECT a.repo_id, a.job_id, n.name AS test_id, j.run_id, j.attempt,
       {outcome_sql("a.outcome")} AS outcome, t.duration_ms / 1000.0 AS duration_s, t.message,
       {source_sql("a.source")} AS source
FROM {_TABLE} a
JOIN tests n ON n.id = a.test
LEFT JOIN test_results t ON t.repo_id = a.repo_id AND t.job_id = a.job_id AND t.test = a.test
LEFT JOIN jobs j ON j.repo_id = a.repo_id AND j.job_id = a.job_id
)"""
