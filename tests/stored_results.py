"""The stored test results spelled out, for tests that assert on the rows themselves.

Since schema V8 a stored result names its test by an interned id, its outcome and source by
codes and its run by its job (:mod:`core.store.result_codes`, :mod:`core.store.schema`). Tests
select from :data:`TEST_RESULTS` as they selected from the table before: ``repo_id, job_id,
test_id, run_id, attempt, outcome, duration_s, message, source``, in words.
"""

from __future__ import annotations

from core.store.result_codes import outcome_sql, source_sql

__all__ = ["TEST_RESULTS"]

TEST_RESULTS = f"""(
SELECT t.repo_id, t.job_id, n.name AS test_id, j.run_id, j.attempt,
       {outcome_sql("t.outcome")} AS outcome, t.duration_ms / 1000.0 AS duration_s, t.message,
       {source_sql("t.source")} AS source
FROM test_results t
JOIN tests n ON n.id = t.test
LEFT JOIN jobs j ON j.repo_id = t.repo_id AND j.job_id = t.job_id
)"""
