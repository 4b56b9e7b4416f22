"""Bulk reads as Arrow columns give the frame ``sqlite3`` gives, and hand back to it whatever
the driver cannot read (core.store.columnar)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from core.store.columnar import BATCH_ROWS, read_columns
from core.store.db import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "store.db")
    with store.transaction() as tx:
        tx.execute(
            "CREATE TABLE sample (id INTEGER, name TEXT, seconds REAL, note TEXT, blank TEXT)"
        )
        tx.executemany(
            "INSERT INTO sample VALUES (?, ?, ?, ?, NULL)",
            [
                (i, f"job {i % 7}", i * 1.5 if i % 5 else None, "n" if i % 3 else None)
                for i in range(3000)
            ],
        )
    return store


def _sqlite3_frame(store: Store, sql: str, params) -> pd.DataFrame:
    return pd.read_sql_query(sql, sqlite3.connect(store.path), params=params)


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT * FROM sample ORDER BY id", ()),
        ("SELECT id, name FROM sample WHERE id >= ? AND id < ?", (10, 2000)),
        # a named parameter used twice is one parameter: bound by name, not by place
        ("SELECT id, seconds FROM sample WHERE id > :low AND id % 2 = :low % 2", {"low": 7}),
        ("SELECT name, COUNT(*) AS n, SUM(seconds) AS total FROM sample GROUP BY name", ()),
    ],
)
def test_a_bulk_read_is_the_frame_sqlite3_reads(store: Store, sql: str, params) -> None:
    columnar = read_columns(store.path, sql, params)

    assert columnar is not None
    pd.testing.assert_frame_equal(columnar, _sqlite3_frame(store, sql, params), check_exact=True)
    pd.testing.assert_frame_equal(store.bulk_frame(sql, params), store.frame(sql, params))


def test_a_column_of_nulls_only_reads_as_sqlite3_reads_it(store: Store) -> None:
    frame = read_columns(store.path, "SELECT id, blank FROM sample", ())

    assert frame is not None
    assert frame["blank"].dtype == object and frame["blank"].isna().all()


def test_what_the_driver_cannot_type_is_read_through_sqlite3(store: Store) -> None:
    """The driver guesses a column's type from its first batch: NULLs and then text there is
    its error, and sqlite3's answer."""
    with store.transaction() as tx:
        tx.execute("CREATE TABLE late (id INTEGER, label TEXT)")
        tx.executemany(
            "INSERT INTO late VALUES (?, ?)",
            [(i, None if i <= BATCH_ROWS else "linux") for i in range(BATCH_ROWS + 10)],
        )
    sql = "SELECT id, label FROM late ORDER BY id"

    assert read_columns(store.path, sql, ()) is None
    frame = store.bulk_frame(sql)
    assert frame["label"].iloc[-1] == "linux"
    pd.testing.assert_frame_equal(frame, store.frame(sql))


def test_no_rows_and_no_table_are_left_to_sqlite3(store: Store) -> None:
    assert read_columns(store.path, "SELECT * FROM sample WHERE id < 0", ()) is None
    assert read_columns(store.path, "SELECT * FROM missing_table", ()) is None
    empty = store.bulk_frame("SELECT id, name FROM sample WHERE id < 0")
    pd.testing.assert_frame_equal(empty, store.frame("SELECT id, name FROM sample WHERE id < 0"))


def test_a_bulk_read_never_writes(store: Store) -> None:
    assert read_columns(store.path, "DELETE FROM sample RETURNING id", ()) is None
    assert store.scalar("SELECT COUNT(*) FROM sample") == 3000


def test_a_store_whose_path_needs_escaping_is_read_as_columns(tmp_path: Path) -> None:
    store = Store(tmp_path / "ci medic #1 %20?" / "store.db")
    with store.transaction() as tx:
        tx.execute("CREATE TABLE sample (id INTEGER)")
        tx.executemany("INSERT INTO sample VALUES (?)", [(i,) for i in range(5)])

    frame = read_columns(store.path, "SELECT id FROM sample", ())

    assert frame is not None and frame["id"].tolist() == [0, 1, 2, 3, 4]
