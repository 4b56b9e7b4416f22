"""Specification of core.logs.safe_archive: hostile zips are refused, honest ones read in memory."""

from __future__ import annotations

import io
import stat
import struct
import tracemalloc
import zipfile

import pytest

from core.errors import UnsafeInput
from core.logs.safe_archive import is_zip, safe_extract_zip

MIB = 1024 * 1024


def make_zip(members: dict[str, bytes], **options) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, **options) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zeros_zip(n_bytes: int, name: str = "zeros.bin") -> bytes:
    """A real deflate bomb, written in 16 MiB chunks so building it stays fast."""
    buffer = io.BytesIO()
    chunk = bytes(16 * MIB)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        for _ in range(n_bytes // len(chunk)):
            member.write(chunk)
    return buffer.getvalue()


def test_given_a_github_log_archive_when_extracted_then_every_file_is_returned_in_memory(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    data = make_zip({"1_build.txt": b"log", "build/1_Set up job.txt": b"setup", "build/": b""})

    assert safe_extract_zip(data) == {"1_build.txt": b"log", "build/1_Set up job.txt": b"setup"}
    assert list(tmp_path.iterdir()) == []  # nothing written to disk


def test_given_zip_and_non_zip_bytes_when_checked_then_is_zip_tells_them_apart():
    assert is_zip(make_zip({"a": b"b"}))
    assert is_zip(make_zip({}))
    assert not is_zip(b"<testsuite/>")
    assert not is_zip(b"")


def test_given_a_1_gib_deflate_bomb_when_extracted_then_it_is_refused_before_inflating():
    bomb = zeros_zip(1024 * MIB)
    tracemalloc.start()

    with pytest.raises(UnsafeInput, match="would unpack to 1,073,741,824 bytes"):
        safe_extract_zip(bomb)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * MIB  # refused from the sizes it declares: nothing was inflated


def test_given_a_highly_compressed_member_when_under_the_size_limits_then_the_ratio_refuses_it():
    bomb = zeros_zip(32 * MIB)

    with pytest.raises(UnsafeInput, match="zip bomb"):
        safe_extract_zip(bomb)


def test_given_small_repetitive_files_when_extracted_then_the_ratio_rule_does_not_apply():
    data = make_zip({"report.xml": b" " * 100_000})

    assert len(safe_extract_zip(data)["report.xml"]) == 100_000


def test_given_a_header_that_understates_the_size_when_streamed_then_it_is_refused():
    data = bytearray(make_zip({"big.txt": bytes(8 * MIB)}))
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 1000)
    struct.pack_into("<I", data, central + 24, 1000)

    with pytest.raises(UnsafeInput):
        safe_extract_zip(bytes(data))


def test_given_a_member_over_the_member_limit_when_extracted_then_it_is_refused():
    data = make_zip({"a.txt": b"x" * 5000})

    with pytest.raises(UnsafeInput, match="more than the 4,096 allowed"):
        safe_extract_zip(data, max_member_bytes=4096)


def test_given_members_over_the_total_budget_when_extracted_then_it_is_refused():
    data = make_zip({f"{i}.txt": b"y" * 1000 for i in range(10)})

    with pytest.raises(UnsafeInput, match="would unpack to 10,000 bytes"):
        safe_extract_zip(data, max_total_bytes=5000)


@pytest.mark.parametrize(
    "name", ["../evil.sh", "a/../../evil.sh", "/etc/passwd", "C:/Windows/x.dll", "a\\..\\b.txt"]
)
def test_given_a_traversal_path_when_extracted_then_it_is_refused(name):
    with pytest.raises(UnsafeInput, match="unsafe path"):
        safe_extract_zip(make_zip({name: b"x"}))


def test_given_a_symlink_member_when_extracted_then_it_is_refused():
    info = zipfile.ZipInfo("link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, "/etc/passwd")

    with pytest.raises(UnsafeInput, match="symbolic link"):
        safe_extract_zip(buffer.getvalue())


def test_given_an_encrypted_member_when_extracted_then_it_is_refused():
    data = bytearray(make_zip({"secret.txt": b"x"}))
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1

    with pytest.raises(UnsafeInput, match="encrypted"):
        safe_extract_zip(bytes(data))


def test_given_too_many_members_when_extracted_then_it_is_refused():
    data = make_zip({f"f{i}.txt": b"" for i in range(11)})

    with pytest.raises(UnsafeInput, match="more than 10 members"):
        safe_extract_zip(data, max_files=10)


def test_given_a_nested_zip_within_depth_when_extracted_then_its_members_are_expanded():
    inner = make_zip({"junit.xml": b"<testsuite/>"})

    assert safe_extract_zip(make_zip({"reports.zip": inner})) == {
        "reports.zip/junit.xml": b"<testsuite/>"
    }


def test_given_zips_nested_beyond_the_depth_when_extracted_then_it_is_refused():
    nested = make_zip({"x.txt": b"x"})
    for level in range(3):
        nested = make_zip({f"level{level}.zip": nested})

    with pytest.raises(UnsafeInput, match="nests zip files deeper"):
        safe_extract_zip(nested, max_depth=2)


def test_given_nested_bombs_when_extracted_then_the_shared_budget_stops_them():
    inner = make_zip({f"{i}.bin": bytes(MIB) for i in range(4)})
    outer = make_zip({f"{i}.zip": inner for i in range(4)})

    with pytest.raises(UnsafeInput, match="left after the archives around it"):
        safe_extract_zip(outer, max_total_bytes=10 * MIB)


def test_given_overlapping_entries_when_extracted_then_the_archive_is_refused():
    data = bytearray(make_zip({"a.txt": b"a" * 100, "b.txt": b"b" * 100}))
    first = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", first + 4)
    struct.pack_into("<I", data, second + 42, 0)  # b.txt's header offset -> a.txt's data

    with pytest.raises(UnsafeInput, match="overlapping"):
        safe_extract_zip(bytes(data))


def test_given_garbage_bytes_when_extracted_then_a_clear_sentence_says_it_is_not_a_zip():
    with pytest.raises(UnsafeInput, match="not a readable zip file"):
        safe_extract_zip(b"PK\x03\x04 definitely not a zip")
