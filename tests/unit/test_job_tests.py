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
from core.store.result_codes import JUNIT
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


def _messages(store: Store) -> dict[tuple[int, int], str]:
    """(job id, test id) -> message of the rows ``test_results`` keeps (schema V18: only the
    results that carry a message)."""
    return {
        (row["job_id"], row["test"]): row["message"]
        for row in store.query("SELECT job_id, test, message FROM test_results")
    }


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "digests.db")
    save_repository(store, {"id": 1, "full_name": "acme/app"})
    return store


def test_a_jobs_digest_follows_every_write_of_its_results(store: Store):
    """Per job and test, the result written last (test ids 1-4: t::a-d; outcome codes passed
    0, failed 1, error 2, skipped 3; sources junit 0, console 1)."""
    save_test_results(
        store, 1, 7, _results(("t::a", "failed"), ("t::b", "error")), "console"
    )  # its log first, failures only
    assert _digests(store) == {7: (2, 2, 0, [(1, 1, 1), (2, 2, 1)])}

    save_test_results(  # then its report: every test, one of them again (the report wins)
        store, 1, 7, _results(("t::a", "failed"), ("t::c", "passed"), ("t::d", "skipped")), "junit"
    )
    save_test_results(store, 1, 8, _results(("t::a", "passed")), "junit")  # another job

    assert _digests(store) == {
        7: (4, 2, 3, [(1, 1, 0), (2, 2, 1), (3, 0, 0), (4, 3, 0)]),
        8: (1, 0, 1, [(1, 0, 0)]),
    }
    assert _messages(store) == {}  # no result said anything: no row beside the digests


def test_only_a_result_with_a_message_keeps_a_row_and_a_rewrite_replaces_it(store: Store):
    said = [
        TestResult("t::a", "t::a", "", None, "failed", 0.5, "AssertionError: 1 != 2"),
        TestResult("t::b", "t::b", "", None, "passed", 0.1),
        TestResult("t::c", "t::c", "", None, "failed", 0.2, "flaky network"),
    ]
    save_test_results(store, 1, 7, said, "console")
    assert _messages(store) == {(7, 1): "AssertionError: 1 != 2", (7, 3): "flaky network"}

    # the report says t::a passed (no message) and t::c failed with its own text
    again = [
        TestResult("t::a", "t::a", "", None, "passed", 0.4),
        TestResult("t::c", "t::c", "", None, "failed", 0.2, "ConnectionResetError"),
    ]
    save_test_results(store, 1, 7, again, "junit")

    assert _messages(store) == {(7, 3): "ConnectionResetError"}
    assert _digests(store)[7] == (3, 1, 2, [(1, 0, 0), (2, 0, 1), (3, 1, 0)])


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

    assert _messages(store) == {}  # V18: the rows without a message are gone, their digests stay
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


def test_a_write_packs_what_the_aggregate_packs_from_a_row_per_result(store: Store):
    """A write packs its results in Python: the same counts and the same bytes as the SQL
    aggregate (:data:`core.store.schema.JOB_TESTS`, which built the digests from a row per
    result when V14 came) gives for the results kept, in test id order, a test listed twice
    once (its last result)."""
    names = [f"t::{n}" for n in ("q", "b", "z", "a", "m")]
    outcomes = ["passed", "failed", "error", "skipped", "passed"]
    listed = _results(*zip(names, outcomes, strict=True), ("t::b", "passed"))  # b twice
    save_test_results(store, 1, 9, listed, "junit")
    (written,) = store.query("SELECT results, failures, reported, packed FROM job_tests")

    ids = dict(store.query("SELECT name, id FROM tests"))
    kept = {ids[name]: outcome for name, outcome in zip(names, outcomes, strict=True)}
    kept[ids["t::b"]] = "passed"
    codes = {"passed": 0, "failed": 1, "error": 2, "skipped": 3}
    expected = _aggregated([(test, codes[kept[test]]) for test in sorted(kept)])

    assert tuple(written) == (5, 1, 5, expected)  # b passed last: the error is the failure


def test_values_that_do_not_fit_are_packed_as_the_aggregate_packs_them():
    from core.store.ingest import _packed

    for pairs in ([(1, 0), (2**40, 1), (3, 300)], [(1, 0), (2, 1)], []):
        ordered = [(test, (outcome, JUNIT)) for test, outcome in pairs]
        assert _packed(ordered) == _aggregated(pairs)


def _aggregated(pairs: list[tuple[int, int]]) -> bytes:
    aggregate = PackedResults()
    for test, outcome in pairs:
        aggregate.step(test, outcome, JUNIT)
    return aggregate.finalize()
