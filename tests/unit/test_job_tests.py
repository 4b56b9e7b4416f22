"""Each job's packed test results (``job_tests``, schema V14; ``core.store.packed_results``):
the digest the analyses read instead of a row per test must hold exactly the job's stored
results, after every write and after an upgrade of an older store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.logs.reports.junit import TestResult
from core.store import packed_results
from core.store.db import Store
from core.store.ingest import save_test_results
from core.store.packed_results import PackedResults, unpack
from core.store.result_codes import FAILING_SQL, JUNIT
from core.store.runs import save_repository
from tests.old_stores import written_by_schema


def _results(*pairs: tuple[str, str]) -> list[TestResult]:
    return [TestResult(test, test, "", None, outcome) for test, outcome in pairs]


def _digests(store: Store) -> dict[int, tuple[int, int, int, list[tuple[int, int, int]]]]:
    """Per job: its counts and its packed results, as read from ``job_tests``."""
    return {
        row["job_id"]: (
            row["results"],
            row["failures"],
            row["reported"],
            sorted(unpack([row["packed"]]).tolist()),
        )
        for row in store.query("SELECT * FROM job_tests")
    }


def _counted(store: Store) -> dict[int, tuple[int, int, int, list[tuple[int, int, int]]]]:
    """The same, counted from the rows of ``test_results`` (the digest's definition)."""
    found: dict[int, tuple[int, int, int, list[tuple[int, int, int]]]] = {}
    for (job_id,) in store.query("SELECT DISTINCT job_id FROM test_results"):
        rows = store.query(
            "SELECT test, outcome, source FROM test_results WHERE job_id = ?", (job_id,)
        )
        found[job_id] = (
            len(rows),
            store.scalar(
                f"SELECT COUNT(*) FROM test_results WHERE job_id = ? AND outcome IN {FAILING_SQL}",
                (job_id,),
            ),
            sum(row["source"] == JUNIT for row in rows),
            sorted(tuple(row) for row in rows),
        )
    return found


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "digests.db")
    save_repository(store, {"id": 1, "full_name": "acme/app"})
    return store


def test_a_jobs_digest_follows_every_write_of_its_results(store: Store):
    save_test_results(
        store, 1, 7, _results(("t::a", "failed"), ("t::b", "error")), "console"
    )  # its log first, failures only
    assert _digests(store) == _counted(store)
    assert _digests(store)[7][:3] == (2, 2, 0)

    save_test_results(  # then its report: every test, one of them again (the report wins)
        store, 1, 7, _results(("t::a", "failed"), ("t::c", "passed"), ("t::d", "skipped")), "junit"
    )
    save_test_results(store, 1, 8, _results(("t::a", "passed")), "junit")  # another job

    assert _digests(store) == _counted(store)
    assert _digests(store)[7][:3] == (4, 2, 3)
    assert _digests(store)[8][:3] == (1, 0, 1)


def test_a_store_of_the_previous_schema_gets_every_jobs_digest_when_upgraded(tmp_path: Path):
    path = tmp_path / "v13.db"
    conn = written_by_schema(path, 13)
    conn.execute("INSERT INTO repositories (id, full_name) VALUES (1, 'acme/app')")
    conn.executemany(
        "INSERT INTO tests (id, repo_id, name) VALUES (?, 1, ?)", [(1, "t::a"), (2, "t::b")]
    )
    conn.executemany(
        "INSERT INTO test_results (repo_id, job_id, test, outcome, source) VALUES (1, ?, ?, ?, ?)",
        [(5, 1, 0, 0), (5, 2, 1, 1), (6, 1, 2, 0), (6, 2, "odd", None)],  # a text, a NULL
    )
    conn.commit()
    conn.close()

    store = Store(path)

    assert _digests(store) == {
        5: (2, 1, 1, [(1, 0, 0), (2, 1, 1)]),
        6: (2, 1, 1, [(1, 2, 0), (2, -1, -1)]),  # not an outcome or a source: unknown (-1)
    }


def test_a_value_that_is_no_small_integer_is_packed_as_unknown():
    packer = PackedResults()
    for row in [(3, 1, 0), (1 << 40, 0, 0), (4, 300, None), (5, "failed", 1.0)]:
        packer.step(*row)

    packed = unpack([packer.finalize()])

    assert packed.tolist() == [(3, 1, 0), (-1, 0, 0), (4, -1, -1), (5, -1, -1)]
    assert packed.dtype.itemsize == 6  # 6 bytes a result on disk, on every machine


def test_a_connection_without_the_aggregate_cannot_fill_the_digests():
    """Why every store connection registers it (and a test writing a schema by hand must)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b, c)")
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        conn.execute("SELECT packed_results(a, b, c) FROM t")
    packed_results.register(conn)
    conn.execute("INSERT INTO t VALUES (9, 1, 0)")
    (packed,) = conn.execute("SELECT packed_results(a, b, c) FROM t").fetchone()
    assert unpack([packed]).tolist() == [(9, 1, 0)]


def test_a_jobs_first_write_packs_what_the_aggregate_packs_from_its_rows(store: Store):
    """A job's first write packs its own rows (no read back through the SQL aggregate): the
    same counts and the same bytes, in the table's key order, a test listed twice once."""
    from core.store.schema import JOB_TESTS

    names = [f"t::{n}" for n in ("q", "b", "z", "a", "m")]
    outcomes = ["passed", "failed", "error", "skipped", "passed"]
    listed = _results(*zip(names, outcomes, strict=True), ("t::b", "passed"))  # b twice
    save_test_results(store, 1, 9, listed, "junit")
    save_test_results(store, 1, 10, _results(("t::z", "failed")), "console")
    written = {row["job_id"]: tuple(row) for row in store.query("SELECT * FROM job_tests")}

    with store.transaction() as tx:
        tx.execute(JOB_TESTS.format(where="repo_id = 1"))
    aggregated = {row["job_id"]: tuple(row) for row in store.query("SELECT * FROM job_tests")}

    assert written == aggregated
    assert written[9][2:5] == (5, 1, 5)  # results, failures (the error; b passed last), reported


def test_values_that_do_not_fit_are_packed_as_the_aggregate_packs_them():
    from core.store.ingest import _packed

    for pairs in ([(1, 0), (2**40, 1), (3, 300)], [(1, 0), (2, 1)], []):
        assert _packed(pairs, JUNIT) == _aggregated(pairs)


def _aggregated(pairs: list[tuple[int, int]]) -> bytes:
    aggregate = PackedResults()
    for test, outcome in pairs:
        aggregate.step(test, outcome, JUNIT)
    return aggregate.finalize()
