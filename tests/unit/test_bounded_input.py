"""Specification of bounded reading (core.logs.bounded) and of the dump reader's confinement
(core.dump.files) and record checks (core.dump.records): a gzip bomb is read in a window the
size of its cap, a damaged gzip is a sentence, and no record data names a file outside the dump.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from core.dump.files import MAX_JSON_BYTES, Dump, DumpWriter
from core.dump.records import canonical_time, check_record
from core.errors import DumpError, UnsafeInput
from core.logs.bounded import (
    cut_note,
    iter_chunks,
    iter_lines,
    kept_text,
    read_capped,
    read_head_and_tail,
)
from core.logs.normalise import keep_head_and_tail
from tests.bombs import GIB, MIB, peak_growth, zeros_bomb

MEMORY_BOUND = 200 * MIB  # what any one read may add, whatever the file expands to


@pytest.fixture(scope="module")
def zeros_gz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 GiB of zeros, gzip-compressed (~1 MB)."""
    return zeros_bomb(tmp_path_factory.mktemp("bomb") / "zeros.gz")


# -- bounded decompression ---------------------------------------------------------------------
def test_given_a_1_gib_gzip_bomb_when_kept_as_a_log_then_only_head_and_tail_are_held(zeros_gz):
    kept, growth = peak_growth(lambda: read_head_and_tail(zeros_gz, 20 * MIB))

    assert kept.truncated and kept.original_bytes == GIB
    assert len(kept.head) + len(kept.tail) <= 20 * MIB
    assert growth < MEMORY_BOUND, f"{growth / MIB:.0f} MB"
    assert "1,073,741,824 bytes" in cut_note("zeros.gz", kept, 20 * MIB)


def test_given_a_1_gib_gzip_bomb_when_read_whole_then_it_is_refused_at_the_cap(zeros_gz):
    error, growth = peak_growth(lambda: read_capped(zeros_gz, 32 * MIB, name="commits/a.json.gz"))

    assert isinstance(error, UnsafeInput)
    assert str(error).startswith("commits/a.json.gz holds more than 33,554,432 bytes")
    assert growth < 32 * MIB * 1.25, f"{growth / MIB:.0f} MB"  # the cap, a chunk, slack


def test_given_a_1_gib_gzip_bomb_when_read_as_json_lines_then_the_endless_line_is_refused(
    zeros_gz,
):
    error, growth = peak_growth(
        lambda: list(iter_lines(zeros_gz, max_line_bytes=4 * MIB, max_total_bytes=GIB))
    )

    assert isinstance(error, UnsafeInput) and "line 1 is longer than 4,194,304 bytes" in str(error)
    assert growth < 16 * MIB, f"{growth / MIB:.0f} MB"


def test_given_json_lines_when_streamed_then_lines_are_numbered_across_chunk_boundaries(tmp_path):
    rows = [json.dumps({"id": n, "pad": "x" * (n % 7) * 50_000}).encode() for n in range(1, 60)]
    path = tmp_path / "runs.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(rows[:30]) + b"\n\n" + b"\n".join(rows[30:])))

    lines = list(iter_lines(path, max_line_bytes=MIB, max_total_bytes=64 * MIB))

    assert [n for n, line in lines if line] == [*range(1, 31), *range(32, 61)]
    assert [json.loads(line)["id"] for _, line in lines if line] == list(range(1, 60))


def test_given_too_many_json_lines_when_streamed_then_the_total_cap_refuses_them(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"{}\n" * 1000)

    with pytest.raises(UnsafeInput, match="holds more than 1,000 bytes"):
        list(iter_lines(path, max_line_bytes=100, max_total_bytes=1000))


@pytest.mark.parametrize(
    ("damage", "sentence"),
    [
        (lambda data: data[: len(data) // 2], "is truncated: it ends before its gzip stream does"),
        (lambda data: data[:12] + b"\xff" * 64 + data[76:], "is not a valid gzip file"),
        (lambda data: data[:-8] + b"\0\0\0\0" + data[-4:], "is not a valid gzip file"),  # CRC
        (lambda data: data + b"garbage after the stream", "is not a valid gzip file"),
        (lambda data: data + b"\x1f", "is not a valid gzip file"),  # half a magic number
    ],
    ids=["truncated", "corrupt", "bad-crc", "trailing-garbage", "stray-byte"],
)
def test_given_a_damaged_gzip_when_read_then_a_sentence_names_it(tmp_path, damage, sentence):
    path = tmp_path / "job.log.gz"
    path.write_bytes(damage(gzip.compress(os.urandom(20_000).hex().encode())))

    for read in (
        lambda: read_head_and_tail(path, MIB),
        lambda: read_capped(path, MIB),
        lambda: list(iter_lines(path, max_line_bytes=MIB, max_total_bytes=MIB)),
    ):
        with pytest.raises(UnsafeInput) as caught:
            read()
        assert str(caught.value).startswith(f"{path} {sentence}")


@pytest.mark.parametrize("chunk_bytes", [5, 1000, MIB])
def test_given_gzip_members_with_padding_when_chunked_then_all_are_read_in_bounded_chunks(
    tmp_path, chunk_bytes
):
    texts = [b"first member\n" * 3000, b"", os.urandom(40_000).hex().encode()]
    path = tmp_path / "joined.log.gz"
    # members one after the other, zero padding between two of them (tar and some writers pad)
    path.write_bytes(
        gzip.compress(texts[0], 1) + b"\0" * 7 + gzip.compress(texts[1]) + gzip.compress(texts[2])
    )

    chunks = list(iter_chunks(path, chunk_bytes=chunk_bytes))

    assert b"".join(chunks) == b"".join(texts)
    assert max(len(chunk) for chunk in chunks) <= chunk_bytes


def test_given_an_empty_gzip_file_when_read_then_it_is_empty_and_zeros_alone_are_refused(
    tmp_path,
):
    empty, zeros = tmp_path / "empty.log.gz", tmp_path / "zeros.log.gz"
    empty.write_bytes(b"")
    zeros.write_bytes(b"\0" * 10)

    assert read_capped(empty, MIB, compressed=True) == b""
    with pytest.raises(UnsafeInput, match="is not a valid gzip file"):
        read_capped(zeros, MIB, compressed=True)


def test_given_plain_and_gzip_files_when_chunked_then_the_magic_bytes_decide(tmp_path):
    plain, packed = tmp_path / "a.log", tmp_path / "b.log"
    plain.write_bytes(b"hello\n")
    packed.write_bytes(gzip.compress(b"hello\n"))

    assert b"".join(iter_chunks(plain)) == b"".join(iter_chunks(packed)) == b"hello\n"
    assert b"".join(iter_chunks(packed, compressed=False)) == packed.read_bytes()
    with pytest.raises(UnsafeInput, match="not a valid gzip file"):
        list(iter_chunks(plain, compressed=True))


def test_given_a_cut_log_when_made_text_then_its_lines_keep_their_numbers():
    raw = b"".join(b"line %d\n" % n for n in range(1, 2001))
    kept = keep_head_and_tail(raw, 4000)

    text, offset = kept_text(kept)

    lines = text.split("\n")
    assert kept.truncated and offset == 0
    assert lines[0] == "line 1" and lines[1999] == "line 2000"
    assert lines[kept.tail_first_line - 1] == f"line {kept.tail_first_line}"


def test_given_a_cut_log_with_a_huge_middle_when_made_text_then_the_offset_is_told():
    raw = b"".join(b"line %d\n" % n for n in range(1, 2001))
    kept = keep_head_and_tail(raw, 4000)

    text, offset = kept_text(kept, max_pad_lines=10)

    lines = text.split("\n")
    head_lines = kept.head.count(b"\n")
    assert offset > 0 and lines[head_lines] == ""
    assert lines[head_lines + 1] == f"line {head_lines + 2 + offset}"
    note = cut_note("big.log", kept, 4000, offset)
    assert f"add {offset:,}" in note and f"its line {kept.tail_first_line:,}" in note


# -- the dump reader stays inside the dump --------------------------------------------------
@pytest.fixture()
def dump(tmp_path: Path) -> Path:
    root = tmp_path / "dump"
    writer = DumpWriter(root, compress=False)
    writer.repo({"id": 1, "full_name": "octo/demo"})
    writer.jobs(7, [{"id": 70, "run_id": 7, "name": "build"}])
    writer.log(70, "hello\n")
    (tmp_path / "secret.json").write_text('{"sha": "stolen", "jobs": [{"id": 666}]}')
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "report.xml").write_text("<testsuite/>")
    return root


@pytest.mark.parametrize("sha", ["../../secret", "../secret", "/etc/passwd", "abc/../../x", ""])
def test_given_a_sha_that_is_a_path_when_its_commit_is_read_then_no_file_is_named(dump, sha):
    assert Dump(dump).commit(sha) is None


@pytest.mark.parametrize("bad", ["../secret", "7/../../secret", -1, 2**64, 1.5, True, None])
def test_given_an_id_that_is_no_whole_number_when_jobs_are_read_then_a_sentence_refuses_it(
    dump, bad
):
    with pytest.raises(DumpError, match="is not a whole number"):
        Dump(dump).jobs(bad)
    with pytest.raises(DumpError, match="is not a whole number"):
        Dump(dump).kept_log(bad)


@pytest.mark.parametrize("name", ["..", ".", "", "a/../..", "..\\..", "x\x00"])
def test_given_an_artifact_name_with_separators_when_read_then_it_is_refused(dump, name):
    with pytest.raises(UnsafeInput, match="is not an artifact name"):
        Dump(dump).artifact_files(7, name)


def test_given_an_artifact_with_folders_when_read_then_its_files_come_in_path_order(dump):
    folder = dump / "artifacts" / "7" / "reports"
    for rel in ("b.xml", "a/z.xml", "a.xml", "a/sub/y.xml"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(rel)
    (folder / "c.xml.gz").write_bytes(gzip.compress(b"c"))

    files = Dump(dump).artifact_files(7, "reports")

    # the order of sorted(folder.rglob("*")): a folder's files right after its name
    assert list(files) == ["a/sub/y.xml", "a/z.xml", "a.xml", "b.xml", "c.xml"]
    assert files["a/sub/y.xml"] == b"a/sub/y.xml" and files["c.xml"] == b"c"
    assert Dump(dump).artifact_stored_bytes(7, "reports") == sum(
        path.stat().st_size for path in folder.rglob("*") if path.is_file()
    )


def test_given_links_out_of_the_dump_when_read_then_they_are_refused(dump, tmp_path):
    (dump / "commits").mkdir()
    sha = "a" * 40
    (dump / "commits" / f"{sha}.json").symlink_to(tmp_path / "secret.json")
    (dump / "jobs" / "8.json").symlink_to(tmp_path / "secret.json")
    (dump / "artifacts" / "7").mkdir(parents=True)
    (dump / "artifacts" / "7" / "outside").symlink_to(tmp_path / "secret")
    (dump / "artifacts" / "7" / "inside").mkdir()
    (dump / "artifacts" / "7" / "inside" / "report.xml").symlink_to(
        tmp_path / "secret" / "report.xml"
    )
    (dump / "logs" / "71.txt").symlink_to(tmp_path / "secret.json")
    (tmp_path / "run" / "reports").mkdir(parents=True)  # a run's folder that is a link out
    (tmp_path / "run" / "reports" / "report.xml").write_text("<testsuite/>")
    (dump / "artifacts" / "9").symlink_to(tmp_path / "run")

    reader = Dump(dump)

    with pytest.raises(DumpError, match="points outside the dump folder"):
        reader.commit(sha)
    with pytest.raises(DumpError, match="points outside the dump folder"):
        reader.jobs(8)
    for name in ("outside", "inside"):
        with pytest.raises(UnsafeInput, match="outside the dump folder"):
            reader.artifact_files(7, name)
    for _ in range(2):  # the second time from the run folder's kept answer
        with pytest.raises(UnsafeInput, match="outside the dump folder"):
            reader.artifact_files(9, "reports")
        with pytest.raises(UnsafeInput, match="outside the dump folder"):
            reader.artifact_stored_bytes(9, "reports")
    with pytest.raises(UnsafeInput, match="points outside the dump folder"):
        reader.kept_log(71)
    assert reader.jobs(7) == [{"id": 70, "run_id": 7, "name": "build"}]  # inside: read


def test_given_a_writer_asked_to_write_outside_when_writing_then_it_refuses(tmp_path):
    writer = DumpWriter(tmp_path / "dump")

    with pytest.raises(DumpError, match="outside the dump folder"):
        writer.artifact_file(1, "..", "../../escape.txt", b"x")
    assert not (tmp_path / "escape.txt").exists()


def test_given_a_record_file_bomb_when_read_then_it_is_a_sentence_and_memory_stays_flat(
    dump, zeros_gz
):
    (dump / "commits").mkdir()
    sha = "b" * 40
    (dump / "commits" / f"{sha}.json.gz").write_bytes(zeros_gz.read_bytes())

    error, growth = peak_growth(lambda: Dump(dump).commit(sha))

    assert isinstance(error, DumpError)
    assert str(error).startswith(f"commits/{sha}.json.gz holds more than {MAX_JSON_BYTES:,}")
    assert growth < MEMORY_BOUND, f"{growth / MIB:.0f} MB"


def test_given_a_jsonl_line_that_is_a_list_when_read_then_the_line_is_named(dump):
    (dump / "runs.jsonl").write_text('{"id": 1}\n[1, 2]\n')

    with pytest.raises(DumpError, match=r"runs.jsonl line 2 is a list, not an object"):
        list(Dump(dump).runs())


# -- record checks -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("record", "said"),
    [
        ({"id": 1e30}, "field id: is 1e+30 (a number with a fraction or an exponent), not a whole"),
        ({"id": 2**63}, "field id: is 9223372036854775808, outside 1 to"),
        ({"id": "12"}, "field id: is '12' (text), not a whole number"),
        ({"id": 1, "head_sha": "../../.."}, "field head_sha: is '../../..', not a commit SHA"),
        ({"id": 1, "created_at": "yesterday"}, "field created_at: is 'yesterday', not an ISO"),
        ({"id": 1, "updated_at": "0001-01-01T00:00:00Z"}, "field updated_at: is '0001-01-01"),
        ({"id": 1, "pull_requests": [7]}, "field pull_requests[0]: is 7 (a whole number), not an"),
        ({"id": 1, "run_attempt": 0}, "field run_attempt: is 0, outside 1 to 1,000,000"),
        ({"name": "x"}, "has no 'id'"),
        ([{"id": 1}], "is a list, not an object (one workflow run)"),
    ],
)
def test_given_a_malformed_run_when_checked_then_the_sentence_names_line_and_field(record, said):
    with pytest.raises(DumpError) as caught:
        check_record("workflow run", record, "runs.jsonl line 7")

    assert str(caught.value).startswith("runs.jsonl line 7")
    assert said in str(caught.value)


def test_given_a_job_with_a_bad_step_time_when_checked_then_the_nested_field_is_named():
    with pytest.raises(DumpError, match=r"jobs/1.json, job 2, field steps\[0\].started_at"):
        check_record("job", {"id": 3, "steps": [{"started_at": "later"}]}, "jobs/1.json, job 2")


def test_given_times_in_other_forms_when_checked_then_they_are_stored_as_github_writes_them():
    run = check_record(
        "workflow run",
        {"id": 1, "created_at": "2024-05-01T14:00:00+02:00", "updated_at": "2024-05-01T12:00:00Z"},
        "runs.jsonl line 1",
    )

    assert run["created_at"] == run["updated_at"] == "2024-05-01T12:00:00Z"
    assert canonical_time("2024-05-01 12:00:00.5") == "2024-05-01T12:00:00Z"
    with pytest.raises(ValueError):
        canonical_time("yesterday")
