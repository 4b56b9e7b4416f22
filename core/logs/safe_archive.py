"""Read untrusted zip archives (GitHub log archives, test-report artifacts) in memory, safely.

Artifacts are uploaded by anyone who can push a workflow, so an archive is hostile until proven
otherwise. ``safe_extract_zip`` never writes to disk and refuses, with a sentence a user can act
on (:class:`~core.errors.UnsafeInput`): zip bombs (declared sizes, compression ratio, overlapping
entries, and the bytes actually decompressed, which are counted while streaming, never taken
from headers alone), too many members, path traversal (``..``, absolute paths, drive letters,
backslashes), symlinks, encrypted members, duplicate names, nested zips deeper than
``max_depth`` and archives ``zipfile`` cannot read.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib

from core.errors import UnsafeInput

__all__ = [
    "DEFAULT_MAX_TOTAL_BYTES",
    "DEFAULT_MAX_MEMBER_BYTES",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_RATIO",
    "is_zip",
    "safe_extract_zip",
]

DEFAULT_MAX_TOTAL_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_MEMBER_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_FILES = 10_000
DEFAULT_MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024  # small members may compress well (repeated spaces) without harm
_CHUNK = 1024 * 1024
_LOCAL_HEADER = 30
_DRIVE = re.compile(r"^[A-Za-z]:")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def is_zip(data: bytes) -> bool:
    """True when ``data`` starts like a zip archive (a local header or an empty archive)."""
    return bytes(data[:4]) in _ZIP_MAGIC


def safe_extract_zip(
    data: bytes,
    *,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
    max_files: int = DEFAULT_MAX_FILES,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_depth: int = 1,
) -> dict[str, bytes]:
    """Member path -> content for every file in the archive (directories are left out).

    A member that is itself a zip is expanded in place (``outer.zip/inner/path``) while the
    nesting is at most ``max_depth`` levels deep (0 refuses any nested zip); every level shares
    the same ``max_total_bytes`` and ``max_files`` budget, so a recursive bomb stays bounded.
    """
    limits = _Limits(max_total_bytes, max_ratio, max_files, max_member_bytes, max_depth)
    out: dict[str, bytes] = {}
    _extract_into(out, bytes(data), prefix="", depth=0, limits=limits)
    return out


class _Limits:
    """The caller's limits plus the budget still left (shared across nesting levels)."""

    def __init__(self, total: int, ratio: float, files: int, member: int, depth: int) -> None:
        self.total, self.ratio, self.files, self.member, self.depth = (
            total,
            ratio,
            files,
            member,
            depth,
        )
        self.bytes_left = total
        self.files_left = files


def _extract_into(
    out: dict[str, bytes], data: bytes, prefix: str, depth: int, limits: _Limits
) -> None:
    """Check the whole central directory first, then stream every member with a cap."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            _check_directory(archive.infolist(), limits)
            for info in infos:
                _check_member(info, limits)
            _check_overlap(infos)
            for info in infos:
                content = _read_capped(archive, info, limits)
                _store(out, prefix + info.filename, content, depth, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise UnsafeInput(
            f"The archive is not a readable zip file ({exc}); it was refused."
        ) from exc


def _store(out: dict[str, bytes], name: str, content: bytes, depth: int, limits: _Limits) -> None:
    """Keep a member, expanding a nested zip while the depth allows it."""
    if is_zip(content):
        if depth + 1 > limits.depth:
            raise UnsafeInput(
                f"The archive nests zip files deeper than {limits.depth} level(s) ({name!r}); "
                "it was refused."
            )
        limits.bytes_left += len(content)  # the inner members are counted instead
        _extract_into(out, content, prefix=name + "/", depth=depth + 1, limits=limits)
        return
    if name in out:
        raise UnsafeInput(f"The archive holds {name!r} twice; it was refused.")
    out[name] = content


def _check_directory(infos: list[zipfile.ZipInfo], limits: _Limits) -> None:
    """Member count, duplicate names and the declared total size, before reading anything."""
    limits.files_left -= len(infos)
    if limits.files_left < 0:
        raise UnsafeInput(f"The archive holds more than {limits.files:,} members; it was refused.")
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise UnsafeInput("The archive lists the same member name twice; it was refused.")
    declared = sum(info.file_size for info in infos)
    if declared > limits.bytes_left:
        left = (
            ""
            if limits.bytes_left == limits.total
            else (f" ({limits.bytes_left:,} left after the archives around it)")
        )
        raise UnsafeInput(
            f"The archive would unpack to {declared:,} bytes, more than the "
            f"{limits.total:,} allowed{left}; it was refused."
        )


def _check_member(info: zipfile.ZipInfo, limits: _Limits) -> None:
    """Path, type, encryption, declared size and ratio of one member."""
    _check_path(info.filename)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeInput(f"The archive holds a symbolic link ({info.filename!r}); refused.")
    if info.flag_bits & 0x1:
        raise UnsafeInput(f"The archive holds an encrypted member ({info.filename!r}); refused.")
    if info.file_size > limits.member:
        raise UnsafeInput(
            f"Member {info.filename!r} would unpack to {info.file_size:,} bytes, more than "
            f"the {limits.member:,} allowed; it was refused."
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > limits.ratio:
        raise UnsafeInput(
            f"Member {info.filename!r} is compressed {ratio:,.0f} times (more than "
            f"{limits.ratio:,.0f}): it looks like a zip bomb and was refused."
        )


def _check_path(name: str) -> None:
    """Refuse names that could escape a folder if anyone ever wrote them to disk."""
    parts = name.split("/")
    unsafe = (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or _DRIVE.match(name) is not None
        or ".." in parts
    )
    if unsafe:
        raise UnsafeInput(f"The archive holds an unsafe path ({name!r}); it was refused.")


def _check_overlap(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse entries whose data overlap: the trick behind non-recursive "better" zip bombs."""
    spans = sorted(
        (
            info.header_offset,
            info.header_offset + _LOCAL_HEADER + len(info.filename.encode()) + info.compress_size,
        )
        for info in infos
    )
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise UnsafeInput("The archive has overlapping members (a zip bomb); it was refused.")


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: _Limits) -> bytes:
    """Decompress one member in chunks, stopping as soon as a limit is crossed."""
    cap = min(limits.member, limits.bytes_left)
    chunks, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise UnsafeInput(
                    f"Member {info.filename!r} unpacks to more than {cap:,} bytes (its header "
                    "said less, or the archive budget is spent); it was refused."
                )
            chunks.append(chunk)
    if info.file_size > _RATIO_FLOOR and size / max(info.compress_size, 1) > limits.ratio:
        raise UnsafeInput(f"Member {info.filename!r} looks like a zip bomb; it was refused.")
    limits.bytes_left -= size
    return b"".join(chunks)
