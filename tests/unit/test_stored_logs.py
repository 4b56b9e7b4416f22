"""What the store keeps of a job's log: the same bytes and line numbers whether the log was
compressed where it was read (a log fetch's worker process) or by the store itself."""

from __future__ import annotations

import zlib

import pytest

from core.logs.normalise import keep_head_and_tail
from core.store.db import Store
from core.store.ingest import JobRef, prepare_job_log, save_job_logs
from core.store.logs import CompressedLog, compress_log, load_raw, save_log
from core.store.runs import save_repository

REPO = "acme/widgets"
LOG = b"".join(b"step %d: compiling module %d\n" % (n, n) for n in range(1, 400))
LOG += b"error: the build broke here\n"


@pytest.fixture()
def store(tmp_path) -> Store:
    store = Store(tmp_path / "logs.db")
    assert save_repository(store, {"id": 1, "full_name": REPO}) == 1
    return store


def test_a_compressed_log_holds_the_kept_bytes_and_their_counts():
    kept = keep_head_and_tail(LOG, max_bytes=2_000)

    stored = compress_log(kept)

    assert zlib.decompress(stored.content) == kept.head + kept.tail
    assert stored.head_bytes == len(kept.head)
    assert (stored.tail_first_line, stored.original_bytes, stored.n_lines) == (
        kept.tail_first_line,
        len(LOG),
        400,
    )
    assert stored.truncated and stored.kept_bytes == len(kept.head) + len(kept.tail)


def test_a_log_saved_compressed_reads_back_as_the_same_log_saved_raw(store):
    with store.transaction() as tx:
        save_log(tx, 1, 10, LOG, max_bytes=2_000)
        save_log(tx, 1, 11, compress_log(keep_head_and_tail(LOG, max_bytes=2_000)))

    raw, compressed = load_raw(store, 1, 10), load_raw(store, 1, 11)

    assert raw is not None and raw.tail_first_line > 0  # cut to its head and tail
    assert compressed == raw


def test_a_prepared_log_is_redacted_before_it_is_compressed_and_stored(store):
    log = b"using token ghp_" + b"k" * 36 + b"\nerror: denied\n"
    prepared = prepare_job_log(REPO, JobRef(20, 7, 1, "build", "failure"), keep_head_and_tail(log))

    assert isinstance(prepared.stored, CompressedLog)
    assert b"ghp_" not in zlib.decompress(prepared.stored.content)
    save_job_logs(store, 1, [prepared])
    kept = load_raw(store, 1, 20)
    assert kept is not None and b"error: denied" in kept.head and b"ghp_" not in kept.head
    assert kept.n_lines == 2 and kept.original_bytes == len(log)
