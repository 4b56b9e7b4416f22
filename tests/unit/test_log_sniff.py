"""Is this file a log? (``ci-medic rca`` refuses what is not, instead of printing garbage.)"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

import pytest

from core.logs.sniff import not_a_log, sniff_bytes

LOG = (
    "2024-05-01T12:00:00.0000000Z ##[group]Run pytest -q\n"
    "2024-05-01T12:00:01.0000000Z \x1b[31mFAILED\x1b[0m tests/test_cart.py::test_total\tcafé ✓\n"
    "2024-05-01T12:00:02.0000000Z ##[error]Process completed with exit code 1.\n"
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("1_build.txt", LOG)
    return buffer.getvalue()


def _tar_gz() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = LOG.encode()
        info = tarfile.TarInfo("job.log")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [LOG.encode(), gzip.compress(LOG.encode()), b"", LOG.encode("latin-1", "replace")],
    ids=["plain", "gzip", "empty", "latin-1"],
)
def test_given_a_text_log_plain_or_gzip_when_sniffed_then_it_is_a_log(tmp_path, content):
    path = tmp_path / "job.log"
    path.write_bytes(content)

    assert not_a_log(path) is None


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (_zip(), "a zip archive"),
        (_tar_gz(), "a tar archive"),
        (b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8, "an executable"),
        (bytes(range(256)) * 40, "a binary file"),
        (gzip.compress(bytes(range(1, 256)) * 40), "a binary file"),
        (b"\x1f\x8b\x08\x00broken", "a damaged gzip file"),
    ],
    ids=["zip", "tar.gz", "elf", "random bytes", "gzip of bytes", "broken gzip"],
)
def test_given_a_file_that_is_no_log_when_sniffed_then_it_says_what_it_looks_like(
    tmp_path, content, kind
):
    path = tmp_path / "thing"
    path.write_bytes(content)

    assert not_a_log(path).startswith(kind)


def test_given_mostly_text_with_a_few_odd_bytes_when_sniffed_then_it_is_still_a_log():
    head = (LOG * 40).encode() + b"\xff\xfe\x01"

    assert sniff_bytes(head) is None
