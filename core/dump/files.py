"""Read and write the GitHub dump format (``shared/design/github-dump.md``).

One module owns the folder layout so that the demo generator (writer), the emulator and
``import`` (readers) cannot drift apart. Any file may be stored gzip-compressed with ``.gz``
appended; readers accept both, writers choose per file.

A dump is untrusted input (anyone can hand one over), so reading one is bounded and confined:
- every file is decompressed as a stream with a cap (:mod:`core.logs.bounded`): a JSON record
  file over :data:`MAX_JSON_BYTES`, a JSON Lines file over :data:`MAX_JSONL_BYTES` (or a line
  over :data:`MAX_JSONL_LINE_BYTES`) is refused with a sentence, a log is kept as its head and
  tail (:meth:`Dump.kept_log`), an artifact over its caps is refused;
- every path built from record data stays inside the dump folder: run, job and attempt ids
  must be whole numbers, commit SHAs hex digits, artifact names single folder names, and every
  file actually opened must resolve (symbolic links followed) to a place under the folder.
Record-file problems raise :class:`~core.errors.DumpError`; a log or artifact file that is
refused raises :class:`~core.errors.UnsafeInput`, which ``import`` records and skips.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from functools import cached_property
from pathlib import Path
from typing import Any

from core.errors import DumpError, UnsafeInput
from core.logs.bounded import iter_lines, read_capped, read_head_and_tail
from core.logs.normalise import DEFAULT_MAX_LOG_BYTES, KeptLog
from core.memory import collector_paused

__all__ = [
    "Dump",
    "DumpWriter",
    "MAX_ARTIFACT_BYTES",
    "MAX_ARTIFACT_FILE_BYTES",
    "MAX_ARTIFACT_FILES",
    "MAX_FILE_BYTES",
    "MAX_JSON_BYTES",
    "MAX_JSONL_BYTES",
    "MAX_JSONL_LINE_BYTES",
    "MAX_RAW_LOG_BYTES",
    "is_sha",
    "not_json",
    "read_bytes",
    "resolve",
]

MIB = 1024 * 1024
MAX_JSON_BYTES = 32 * MIB  # one JSON document: repo, workflows, a run's jobs, a commit
# A document this large is parsed with the garbage collector paused (core.memory): its many
# containers would trigger collections that walk the whole process. A smaller one (a run's
# jobs, a commit: the emulator parses one per request) triggers few; it is left alone.
LARGE_JSON_BYTES = MIB
MAX_JSONL_LINE_BYTES = 4 * MIB  # one workflow run (a few KB in practice)
MAX_JSONL_BYTES = 1024 * MIB  # runs.jsonl / attempts.jsonl, decompressed
MAX_FILE_BYTES = 32 * MIB  # a repository file under files/, a run record
MAX_RAW_LOG_BYTES = 256 * MIB  # a whole raw log served as is (the emulator)
MAX_ARTIFACT_FILE_BYTES = 64 * MIB  # one artifact file (the JUnit parser's own cap)
MAX_ARTIFACT_BYTES = 128 * MIB  # all files of one artifact
MAX_ARTIFACT_FILES = 10_000
_MAX_ID = 2**63 - 1  # SQLite's INTEGER
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_BAD_NAME = re.compile(r"[/\\\x00]")


def is_sha(value: object) -> bool:
    """True for a commit SHA (7 to 64 hex digits), the only shape a commit file is named by."""
    return isinstance(value, str) and _SHA.fullmatch(value) is not None


def resolve(path: Path) -> Path | None:
    """The path itself, or its ``.gz`` twin, or None when neither exists."""
    if path.is_file():
        return path
    gz = path.with_name(path.name + ".gz")
    return gz if gz.is_file() else None


def read_bytes(
    path: Path, max_bytes: int = MAX_FILE_BYTES, *, name: str | None = None
) -> bytes | None:
    """The decompressed content of ``path`` or ``path.gz`` (None when absent); a file over
    ``max_bytes`` once decompressed, or a damaged ``.gz``, raises DumpError with a sentence."""
    found = resolve(path)
    if found is None:
        return None
    label = name or found.name
    try:
        return read_capped(
            found, max_bytes, compressed=found.name.endswith(".gz"), name=_gz_label(label, found)
        )
    except UnsafeInput as exc:
        raise DumpError(str(exc)) from exc


def not_json(label: str, exc: Exception) -> str:
    """The sentence for a record that does not parse, ending with a full stop: bytes that are
    no UTF-8 text (named by value and position), JSON's own complaint, or nesting too deep."""
    if isinstance(exc, UnicodeDecodeError):
        bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
        return (
            f"{label} is not valid JSON: byte 0x{bad} at position {exc.start:,} is not UTF-8 "
            "text, and JSON records must be UTF-8."
        )
    if isinstance(exc, RecursionError):
        return f"{label} is not valid JSON: it nests deeper than CI Medic reads."
    return f"{label} is not valid JSON ({str(exc).rstrip('.') or type(exc).__name__})."


def _gz_label(label: str, found: Path) -> str:
    return label + ".gz" if found.name.endswith(".gz") and not label.endswith(".gz") else label


def _load_json(found: Path | None, label: str) -> Any:
    """The parsed JSON document of an already located file (None when absent)."""
    if found is None:
        return None
    try:
        raw = read_capped(found, MAX_JSON_BYTES, compressed=found.name.endswith(".gz"), name=label)
    except UnsafeInput as exc:
        raise DumpError(str(exc)) from exc
    try:
        with collector_paused() if len(raw) >= LARGE_JSON_BYTES else nullcontext():
            return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DumpError(not_json(f"{label} in the dump", exc)) from exc


def _int_id(value: object, what: str) -> int:
    """A run, job or attempt id as a path part: a whole number and nothing else."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ID:
        raise DumpError(f"{what} {value!r} is not a whole number; no dump file is named by it.")
    return value


class Dump:
    """Read access to one dump folder. Every method returns GitHub-shaped dicts."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DumpError(f"No dump folder at {self.root}.")
        self._real_root = self.root.resolve()

    @cached_property
    def _has_logs(self) -> bool:
        """Whether the dump has a ``logs`` folder (a dump is not written while it is read)."""
        return (self.root / "logs").is_dir()

    # -- locating files: always inside the folder --------------------------------------------
    def _label(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _inside(self, path: Path) -> bool:
        """True when ``path`` (symbolic links followed) lies under the dump folder."""
        try:
            return path.resolve().is_relative_to(self._real_root)
        except (OSError, RuntimeError):  # a link loop, an unreadable link
            return False

    def _find(self, rel: Path, error: type[Exception] = DumpError) -> Path | None:
        """``rel`` or its ``.gz`` twin under the folder (None when absent); one that leads out
        of the folder (``..`` or a symbolic link) raises ``error``."""
        found = resolve(self.root / rel)
        if found is not None and not self._inside(found):
            raise error(f"{self._label(found)} points outside the dump folder; it was not read.")
        return found

    def _json(self, rel: str, required: bool = False) -> Any:
        found = self._find(Path(rel))
        if found is None and required:
            raise DumpError(
                f"The dump has no {rel} (looked for {self.root / rel} and {self.root / rel}.gz)."
            )
        return _load_json(found, self._label(found) if found else rel)

    # -- records -------------------------------------------------------------------------------
    def repo(self) -> dict[str, Any]:
        repo = self._json("repo.json", required=True)
        if not isinstance(repo, dict) or "full_name" not in repo:
            raise DumpError("repo.json must be an object with at least 'full_name'.")
        return repo

    def workflows(self) -> list[dict[str, Any]]:
        data = self._json("workflows.json") or {}
        if not isinstance(data, dict) or not isinstance(data.get("workflows", []), list):
            raise DumpError("workflows.json must be an object with a list 'workflows'.")
        return list(data.get("workflows", []))

    def runs(self) -> Iterator[dict[str, Any]]:
        """Latest attempt of every run, in file order."""
        return (record for _, record in self.numbered("runs.jsonl"))

    def attempts(self) -> Iterator[dict[str, Any]]:
        """Earlier attempts of re-run runs (``run_attempt`` below the latest)."""
        return (record for _, record in self.numbered("attempts.jsonl"))

    def numbered(self, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, object) of every record of a JSON Lines file (``runs.jsonl``), streamed;
        a line that is not a JSON object is a DumpError naming the file and the line."""
        found = self._find(Path(name))
        if found is None:
            return
        label = self._label(found)
        lines = iter_lines(
            found,
            max_line_bytes=MAX_JSONL_LINE_BYTES,
            max_total_bytes=MAX_JSONL_BYTES,
            compressed=found.name.endswith(".gz"),
            name=label,
        )
        try:
            for number, line in lines:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                    raise DumpError(not_json(f"{label} line {number}", exc)) from exc
                if not isinstance(record, dict):
                    raise DumpError(
                        f"{label} line {number} is {_kind(record)}, not an object (each line "
                        "holds one workflow run)."
                    )
                yield number, record
        except UnsafeInput as exc:
            raise DumpError(str(exc)) from exc

    def jobs_file(self, run_id: int, attempt: int | None = None) -> str:
        """The jobs file of a run's latest attempt (``attempt=None``) or of an earlier one."""
        run_id = _int_id(run_id, "The run id")
        if attempt is None:
            return f"jobs/{run_id}.json"
        return f"jobs/{run_id}-{_int_id(attempt, 'The attempt number')}.json"

    def jobs(self, run_id: int, attempt: int | None = None) -> list[dict[str, Any]] | None:
        """Jobs of the latest attempt (``attempt=None``) or of an earlier one; None if absent."""
        rel = self.jobs_file(run_id, attempt)
        data = self._json(rel)
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("jobs", []), list):
            raise DumpError(f"{rel} must be an object with a list 'jobs'.")
        return list(data.get("jobs", []))

    def commit(self, sha: str) -> dict[str, Any] | None:
        """The commit stored for ``sha``; None when absent or when ``sha`` is no SHA (so a
        ``../..`` can never name a file)."""
        if not is_sha(sha):
            return None
        data = self._json(f"commits/{sha}.json")
        if data is not None and not isinstance(data, dict):
            raise DumpError(f"commits/{sha}.json must be a commit object, not {_kind(data)}.")
        return data

    # -- logs and artifacts: refused ones raise UnsafeInput ----------------------------------
    def log(self, job_id: int, max_bytes: int = MAX_RAW_LOG_BYTES) -> bytes | None:
        """Raw job log bytes exactly as GitHub serves them, or None (expired / never kept)."""
        found = self._find(Path("logs", f"{_int_id(job_id, 'The job id')}.txt"), UnsafeInput)
        if found is None:
            return None
        return read_capped(
            found, max_bytes, compressed=found.name.endswith(".gz"), name=self._label(found)
        )

    def has_log(self, job_id: int) -> bool:
        """Whether the dump keeps the job's log, without reading it (the emulator asks this for
        every log's 302; reading the log there decompressed every log twice)."""
        name = f"{_int_id(job_id, 'The job id')}.txt"
        return self._has_logs and self._find(Path("logs", name), UnsafeInput) is not None

    def kept_log(self, job_id: int, max_bytes: int = DEFAULT_MAX_LOG_BYTES) -> KeptLog | None:
        """A job log as the Log Ingester keeps it (head and tail within ``max_bytes``), streamed
        however far it expands; None when the dump has none."""
        name = f"{_int_id(job_id, 'The job id')}.txt"
        if not self._has_logs:  # e.g. a Travis history: no file to look for, twice per job
            return None
        found = self._find(Path("logs", name), UnsafeInput)
        if found is None:
            return None
        return read_head_and_tail(
            found, max_bytes, compressed=found.name.endswith(".gz"), name=self._label(found)
        )

    def artifact_names(self, run_id: int) -> list[str]:
        folder = self.root / "artifacts" / str(_int_id(run_id, "The run id"))
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:  # each entry's kind without a stat of its own
            return sorted(entry.name for entry in entries if entry.is_dir())

    def artifact_files(
        self, run_id: int, name: str, only: Callable[[str], bool] | None = None
    ) -> dict[str, bytes]:
        """Relative path -> decompressed bytes of every file of one artifact (of those whose
        relative path ``only`` accepts). An artifact whose files lead out of the dump folder,
        or hold more than the caps, raises UnsafeInput."""
        files: dict[str, bytes] = {}
        budget = MAX_ARTIFACT_BYTES
        folder = self._artifact_folder(run_id, name)
        for path in self._artifact_paths(folder):
            rel = path.relative_to(folder).as_posix()
            rel = rel.removesuffix(".gz")
            if only is not None and not only(rel):
                continue
            cap = min(MAX_ARTIFACT_FILE_BYTES, budget)
            try:
                data = read_capped(
                    path, cap, compressed=path.name.endswith(".gz"), name=self._label(path)
                )
            except UnsafeInput:
                if cap == MAX_ARTIFACT_FILE_BYTES:
                    raise
                raise UnsafeInput(
                    f"{self._label(folder)} holds more than {MAX_ARTIFACT_BYTES:,} bytes in all "
                    "(decompressed), the most CI Medic reads of one artifact; it was skipped."
                ) from None
            budget -= len(data)
            files[rel] = data
        return files

    def artifact_stored_bytes(self, run_id: int, name: str) -> int:
        """The bytes one artifact's files take in the dump (compressed where the dump is),
        from the file system alone: the emulator lists this as the artifact's size (GitHub's
        is its zip's, compressed too) without decompressing every file of every artifact
        it lists (that was two thirds of its work answering a report fetch's listings).
        Raises UnsafeInput as :meth:`artifact_files` does for links and folders leading out."""
        folder = self._artifact_folder(run_id, name)
        return sum(path.stat().st_size for path in self._artifact_paths(folder))

    def _artifact_folder(self, run_id: int, name: str) -> Path:
        if not isinstance(name, str) or name in ("", ".", "..") or _BAD_NAME.search(name):
            raise UnsafeInput(f"{name!r} is not an artifact name; no dump folder is named by it.")
        return self.root / "artifacts" / str(_int_id(run_id, "The run id")) / name

    def _artifact_inside(self, folder: Path) -> bool:
        """:meth:`_inside` for an artifact's folder (``artifacts/<run>/<name>``, see
        :meth:`_artifact_folder`), resolved only where a link is on the way: with none of the
        three folders a link, it lies in the dump's own (resolved once). Resolving every
        artifact folder (a system call per folder of its path) was a tenth of the emulator's
        work in a report fetch, which lists each run's artifacts and then serves each."""
        run = folder.parent
        if any(path.is_symlink() for path in (folder, run, run.parent)):
            return self._inside(folder)
        return True

    def _artifact_paths(self, folder: Path) -> Iterator[Path]:
        """The files of an artifact's folder in name order (none when it is absent), checked
        to be inside the dump and not too many."""
        if not folder.is_dir():
            return
        if not self._artifact_inside(folder):
            raise UnsafeInput(f"{self._label(folder)} points outside the dump folder; skipped.")
        for count, (path, entry) in enumerate(_walk(folder), start=1):
            if count > MAX_ARTIFACT_FILES:
                raise UnsafeInput(
                    f"{self._label(folder)} holds more than {MAX_ARTIFACT_FILES:,} files; skipped."
                )
            if not entry.is_file():
                continue
            # a file right in the folder (checked above), not a link, is inside: resolving it
            # again (a system call per folder on its path) was a fifth of importing a dump
            direct = path.parent == folder
            if entry.is_symlink() or not (direct or self._inside(path)):
                raise UnsafeInput(
                    f"{self._label(path)} is a symbolic link or points outside the dump "
                    "folder; the artifact was skipped."
                )
            yield path

    def file(self, rel: str) -> bytes | None:
        """A repository file kept under ``files/`` (None when absent or outside the folder)."""
        base = (self.root / "files").resolve()
        found = resolve((base / rel).resolve())
        if found is None or not found.resolve().is_relative_to(base):
            return None
        return read_bytes(found, name=f"files/{rel}")

    def truth(self) -> dict[str, Any] | None:
        """Planted ground truth; only tests and benchmarks may read it, never an agent."""
        return self._json("truth.json")


def _walk(folder: Path) -> Iterator[tuple[Path, os.DirEntry[str]]]:
    """Every file and folder under ``folder``, depth first in name order (the order of
    ``sorted(folder.rglob("*"))``), links to folders not followed, as rglob does.

    Why not rglob: the emulator walks an artifact's folder (one file, most often) to list it
    and again to serve it, and pathlib's selectors made that a fifth of its work in a report
    fetch; ``os.scandir`` knows each entry's kind without a system call per file."""
    try:
        with os.scandir(folder) as entries:
            ordered = sorted(entries, key=lambda entry: entry.name)
    except PermissionError:  # an unreadable folder holds nothing readable (rglob's answer too)
        return
    for entry in ordered:
        path = folder / entry.name
        yield path, entry
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path)


def _kind(value: object) -> str:
    """``a list``, ``a string``: how a sentence names a JSON value's type."""
    names = {
        list: "a list",
        str: "a string",
        bool: "true or false",
        int: "a number",
        float: "a number",
        dict: "an object",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


class DumpWriter:
    """Writes a dump folder; ``compress`` selects ``.gz`` for the bulky files (logs, runs)."""

    def __init__(self, root: str | os.PathLike[str], compress: bool = True) -> None:
        self.root = Path(root)
        self.compress = compress
        self.root.mkdir(parents=True, exist_ok=True)

    def _write(self, rel: str, data: bytes, compress: bool = False) -> Path:
        return self._write_chunks(rel, (data,), compress)

    def _write_lines(self, rel: str, rows: Iterable[dict[str, Any]], compress: bool) -> Path:
        """JSON Lines, one object per line, each written as it comes (zlib's stream is the
        same however the input is cut: the same bytes as one write of every line)."""
        lines = (json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in rows)
        return self._write_chunks(rel, lines, compress)

    def _write_chunks(self, rel: str, chunks: Iterable[bytes], compress: bool) -> Path:
        """``rel`` (``.gz`` added when ``compress``), made of ``chunks`` as they come; refused
        when it would land outside the dump folder."""
        path = self.root / rel
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise DumpError(f"{rel!r} would be written outside the dump folder {self.root}.")
        path.parent.mkdir(parents=True, exist_ok=True)
        if compress:
            path = path.with_name(path.name + ".gz")
            opened = gzip.GzipFile(filename=path, mode="wb", compresslevel=5, mtime=0)
        else:
            opened = path.open("wb")
        with opened as handle:
            for chunk in chunks:
                handle.write(chunk)
        return path

    def _json(self, rel: str, obj: Any, compress: bool = False) -> Path:
        return self._write(rel, json.dumps(obj, separators=(",", ":")).encode(), compress)

    def repo(self, repo: dict[str, Any]) -> None:
        self._write("repo.json", json.dumps(repo, indent=2).encode())

    def workflows(self, workflows: list[dict[str, Any]]) -> None:
        self._json("workflows.json", {"total_count": len(workflows), "workflows": workflows})

    def runs(self, runs: Iterable[dict[str, Any]]) -> None:
        """``runs.jsonl``, written as ``runs`` yields them (a generator's runs are never all
        held: at 100k runs their payloads were ~0.7 GB of the demo generator's peak)."""
        self._write_lines("runs.jsonl", runs, self.compress)

    def attempts(self, attempts: Iterable[dict[str, Any]]) -> None:
        self._write_lines("attempts.jsonl", attempts, self.compress)

    def jobs(self, run_id: int, jobs: list[dict[str, Any]], attempt: int | None = None) -> None:
        name = f"{run_id}.json" if attempt is None else f"{run_id}-{attempt}.json"
        self._json(f"jobs/{name}", {"total_count": len(jobs), "jobs": jobs}, self.compress)

    def commit(self, commit: dict[str, Any]) -> None:
        self._json(f"commits/{commit['sha']}.json", commit, self.compress)

    def log(self, job_id: int, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        self._write(f"logs/{job_id}.txt", data, self.compress)

    def artifact_file(self, run_id: int, name: str, rel: str, data: bytes) -> None:
        self._write(f"artifacts/{run_id}/{name}/{rel}", data, self.compress)

    def file(self, rel: str, data: bytes) -> None:
        self._write(f"files/{rel}", data)

    def truth(self, truth: dict[str, Any]) -> None:
        self._write("truth.json", json.dumps(truth, indent=1, sort_keys=True).encode())
