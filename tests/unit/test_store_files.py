"""Which files the store opens, and what it says about the ones it cannot (issue 13).

A file is opened only when it is a CI Medic store (or new); anything else is refused before a
single byte of it changes. Every sqlite3 error that comes from the file (damaged, read-only,
locked, a folder) becomes a sentence that says what is wrong and what to do.
"""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.store.db import APPLICATION_ID, SCHEMA_VERSION, Store, store_error
from core.store.runs import save_repository
from tests.old_stores import written_by_schema

REPO = {"id": 1, "full_name": "acme/app", "default_branch": "main"}


def _snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """The file's bytes, its mtime and the files next to it (a -wal or -shm would show)."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


def _filled_store(path: Path) -> Path:
    store = Store(path)
    save_repository(store, REPO)
    store.seal()
    return path


def _sqlite_file(path: Path, *statements: str) -> Path:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return path


# -- files that are not ours are refused before anything is written -------------------------


@pytest.mark.parametrize(
    ("statements", "said"),
    [
        (
            ("CREATE TABLE notes (a)", "INSERT INTO notes VALUES (1)", "PRAGMA user_version = 3"),
            "its tables: notes",
        ),
        (("PRAGMA application_id = 1234", "CREATE TABLE t (a)"), "application id 0x4d2"),
        (("PRAGMA application_id = 1234",), "application id 0x4d2"),
        (("PRAGMA user_version = 2",), "none of CI Medic's tables"),
        (("CREATE TABLE repositories (id)", "PRAGMA user_version = 1"), "its tables"),
    ],
)
def test_given_another_programs_sqlite_file_when_opened_then_refused_and_left_untouched(
    tmp_path, statements, said
):
    path = _sqlite_file(tmp_path / "other.db", *statements)
    before = _snapshot(path)

    with pytest.raises(ConfigError, match="is not a CI Medic store") as caught:
        Store(path)

    assert said in str(caught.value) and "left it untouched" in str(caught.value)
    assert _snapshot(path) == before  # no WAL switch, no table, no -wal/-shm left behind
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_given_another_programs_wal_database_when_opened_then_its_file_is_unchanged(tmp_path):
    path = _sqlite_file(tmp_path / "other.db", "PRAGMA journal_mode = WAL", "CREATE TABLE t (a)")
    before = _snapshot(path)

    with pytest.raises(ConfigError, match="its tables: t"):
        Store(path)

    assert _snapshot(path) == before


@pytest.mark.parametrize(
    "content",
    [
        b"hello, I am a text file\n",
        random.Random(7).randbytes(8192),  # seeded: a test's id must be the same in every worker
        b"\x00" * 4096,
        b"PK\x03\x04 a zip archive",
    ],
    ids=["text", "random bytes", "zeros", "zip"],
)
def test_given_a_file_that_is_not_sqlite_when_opened_then_refused_and_left_untouched(
    tmp_path, content
):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = _snapshot(path)

    with pytest.raises(ConfigError, match="not an SQLite database at all"):
        Store(path)

    assert _snapshot(path) == before


def test_given_a_store_of_a_newer_ci_medic_when_opened_then_refused_before_the_wal_switch(
    tmp_path,
):
    path = _filled_store(tmp_path / "s.db")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = _snapshot(path)

    with pytest.raises(ConfigError, match="newer CI Medic") as caught:
        Store(path)

    assert f"schema {SCHEMA_VERSION + 1} > {SCHEMA_VERSION}" in str(caught.value)
    assert _snapshot(path) == before
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


# -- stores and new files open as before ---------------------------------------------------


def test_given_a_new_path_or_an_empty_file_when_opened_then_a_marked_store_is_created(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (tmp_path / "new" / "s.db", empty):
        store = Store(path)
        assert store.schema_version == SCHEMA_VERSION
        assert store.scalar("PRAGMA application_id") == APPLICATION_ID
        assert store.scalar("PRAGMA journal_mode") == "wal"


def test_given_a_store_written_before_the_application_id_when_opened_then_it_opens_and_is_marked(
    tmp_path,
):
    path = tmp_path / "old.db"
    conn = written_by_schema(path, SCHEMA_VERSION)
    conn.execute("INSERT INTO repositories (id, full_name) VALUES (1, 'acme/app')")
    conn.commit()
    conn.close()
    assert sqlite3.connect(path).execute("PRAGMA application_id").fetchone()[0] == 0

    store = Store(path)

    assert store.scalar("PRAGMA application_id") == APPLICATION_ID
    assert store.repositories()["full_name"].tolist() == ["acme/app"]


def test_given_a_current_store_when_opened_again_then_its_file_is_not_written(tmp_path):
    path = _filled_store(tmp_path / "s.db")
    before = path.read_bytes(), path.stat().st_mtime_ns

    store = Store(path)

    assert store.repo_id("acme/app") == 1
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# -- sqlite3 errors from the file become sentences -------------------------------------------


def test_given_a_folder_as_the_store_when_opened_then_it_says_to_give_a_file(tmp_path):
    with pytest.raises(ConfigError, match="is a folder, not a store file") as caught:
        Store(tmp_path)
    assert str(tmp_path / "ci_medic.db") in str(caught.value)


@pytest.mark.parametrize("keep", [20, 100, 4096, 8192, "half"])
def test_given_a_truncated_store_when_opened_then_it_says_it_is_damaged(tmp_path, keep):
    path = _filled_store(tmp_path / "s.db")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 if keep == "half" else keep])

    with pytest.raises(ConfigError, match="is damaged") as caught:
        Store(path)

    assert str(path) in str(caught.value) and "backup" in str(caught.value)


def test_given_random_bytes_after_an_sqlite_header_when_opened_then_it_says_it_is_damaged(
    tmp_path,
):
    path = tmp_path / "s.db"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    with pytest.raises(ConfigError, match=r"is damaged \(file is not a database\)"):
        Store(path)


def test_given_a_store_damaged_after_opening_when_read_then_a_sentence_not_an_sqlite_error(
    tmp_path,
):
    path = _filled_store(tmp_path / "s.db")
    store = Store(path)
    size = path.stat().st_size
    with path.open("r+b") as handle:  # another program overwrites the pages behind our back
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))

    with pytest.raises(ConfigError, match="is damaged"):
        store.frame("SELECT * FROM runs")
    with pytest.raises(ConfigError, match="is damaged"):
        store.query("SELECT * FROM jobs")


def test_given_a_read_only_store_when_written_then_it_says_it_is_read_only(tmp_path, monkeypatch):
    """Root ignores file permissions, so the read-only file is a read-only SQLite connection
    (what SQLite falls back to for a file it may not write), not a chmod."""
    path = _filled_store(tmp_path / "s.db")
    connect = sqlite3.connect

    def read_only(database, *args, **kwargs):
        return connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr("core.store.db.sqlite3.connect", read_only)
    store = Store(path)  # a current store opens without writing
    assert store.repo_id("acme/app") == 1

    with pytest.raises(ConfigError, match="is read-only") as caught:
        save_repository(store, {**REPO, "id": 2, "full_name": "acme/other"})

    assert "writable" in str(caught.value) and "--db" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to a chmod 444 file anyway")
def test_given_a_chmod_read_only_store_when_written_then_it_says_it_is_read_only(tmp_path):
    path = _filled_store(tmp_path / "s.db")
    path.chmod(0o444)
    try:
        with pytest.raises(ConfigError, match="is read-only"):
            save_repository(Store(path), {**REPO, "id": 2, "full_name": "acme/other"})
    finally:
        path.chmod(0o644)


def test_given_an_sqlite_error_built_by_hand_then_its_words_choose_the_sentence():
    """Errors without SQLite's code (raised by hand, or by an older sqlite3) read by their
    words: the read-only case is tested here as well because root cannot chmod a file away."""
    cases = {
        "attempt to write a readonly database": "is read-only",
        "database is locked": "is locked by another process",
        "database disk image is malformed": "is damaged",
        "file is not a database": "is damaged",
        "unable to open database file": "Cannot open the store",
        "database or disk is full": "is full",
        "disk I/O error": "failed (disk I/O error)",
    }
    for text, said in cases.items():
        error = store_error("/x/s.db", sqlite3.OperationalError(text))
        assert error is not None and said in str(error) and "/x/s.db" in str(error), text
    assert store_error("/x/s.db", sqlite3.OperationalError("near 'SELEC': syntax error")) is None
    assert store_error("/x/s.db", ValueError("no")) is None


def test_given_another_process_holding_the_write_lock_when_writing_then_it_says_locked(
    tmp_path,
):
    path = _filled_store(tmp_path / "s.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store = Store(path, timeout_s=0.2)  # opening a current store needs no write lock
        with pytest.raises(ConfigError, match=r"is locked by another process .* more than 0.2 s"):
            save_repository(store, {**REPO, "id": 2, "full_name": "acme/other"})
        assert store.repo_id("acme/app") == 1  # reading still works (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    save_repository(store, {**REPO, "id": 2, "full_name": "acme/other"})  # and then it writes


def test_given_a_bug_in_our_sql_then_the_sqlite_error_is_not_disguised(tmp_path):
    store = Store(tmp_path / "s.db")
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        store.query("SELEC 1")
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as tx:
        tx.execute("INSERT INTO repositories (id, full_name) VALUES (1, 'a/b')")
        tx.execute("INSERT INTO repositories (id, full_name) VALUES (1, 'a/c')")


def test_given_another_thread_holds_the_store_open_when_sealed_then_the_file_alone_is_the_store(
    tmp_path,
):
    import shutil
    import threading

    store = Store(tmp_path / "store.db")
    other = threading.Thread(target=lambda: store.scalar("SELECT 1"))  # a second connection
    other.start()
    other.join()
    save_repository(store, REPO)
    store.seal()

    shutil.copy(tmp_path / "store.db", tmp_path / "copy.db")  # the file only, no -wal beside it
    assert Store(tmp_path / "copy.db").scalar("SELECT full_name FROM repositories") == "acme/app"


def test_given_the_store_opened_twice_here_when_another_process_reads_and_exits_then_our_wal_stays(
    tmp_path,
):
    """The app opens the store twice (its workspace and its publishing worker); a CLI command or
    a worker process then opens it, reads and exits. That process must still see this one's
    connections (SQLite's locks), else it takes itself for the store's last user and deletes
    the WAL under them: the rows committed here since the last checkpoint would be gone and
    the next read would find the store damaged."""
    import subprocess
    import sys

    path = tmp_path / "store.db"
    store = Store(path)
    save_repository(store, REPO)  # committed to the WAL, not yet to the file
    again = Store(path)  # the second Store of this process
    reader = (
        "import sys; from core.store.db import Store; "
        "print(Store(sys.argv[1]).scalar('SELECT COUNT(*) FROM repositories'))"
    )
    root = Path(__file__).resolve().parents[2]
    seen = subprocess.run(
        [sys.executable, "-c", reader, str(path)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )

    assert seen.stdout.strip() == "1"
    assert (tmp_path / "store.db-wal").exists()  # still ours
    save_repository(store, {**REPO, "id": 2, "full_name": "acme/other"})
    assert again.scalar("SELECT COUNT(*) FROM repositories") == 2
    assert store.scalar("PRAGMA integrity_check") == "ok"
