"""Read and write the GitHub dump format (``shared/design/github-dump.md``).

One module owns the folder layout so that the demo generator (writer), the emulator and
``import`` (readers) cannot drift apart. Any file may be stored gzip-compressed with ``.gz``
appended; readers accept both, writers choose per file.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.errors import DumpError

__all__ = ["Dump", "DumpWriter", "read_bytes", "resolve"]


def resolve(path: Path) -> Path | None:
    """The path itself, or its ``.gz`` twin, or None when neither exists."""
    if path.is_file():
        return path
    gz = path.with_name(path.name + ".gz")
    return gz if gz.is_file() else None


def read_bytes(path: Path) -> bytes | None:
    """The decompressed content of ``path`` or ``path.gz`` (None when absent)."""
    found = resolve(path)
    if found is None:
        return None
    if found.name.endswith(".gz"):
        with gzip.open(found, "rb") as handle:
            return handle.read()
    return found.read_bytes()


def _load_json(path: Path, required: bool = False) -> Any:
    raw = read_bytes(path)
    if raw is None:
        if required:
            raise DumpError(f"The dump has no {path.name} (looked for {path} and {path}.gz).")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DumpError(f"{path.name} in the dump is not valid JSON: {exc}") from exc


def _iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    raw = read_bytes(path)
    if raw is None:
        return
    for number, line in enumerate(raw.decode("utf-8", "replace").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise DumpError(f"{path.name} line {number} is not valid JSON: {exc}") from exc


class Dump:
    """Read access to one dump folder. Every method returns GitHub-shaped dicts."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DumpError(f"No dump folder at {self.root}.")

    def repo(self) -> dict[str, Any]:
        repo = _load_json(self.root / "repo.json", required=True)
        if not isinstance(repo, dict) or "full_name" not in repo:
            raise DumpError("repo.json must be an object with at least 'full_name'.")
        return repo

    def workflows(self) -> list[dict[str, Any]]:
        data = _load_json(self.root / "workflows.json") or {}
        return list(data.get("workflows", []))

    def runs(self) -> Iterator[dict[str, Any]]:
        """Latest attempt of every run, in file order."""
        return _iter_jsonl(self.root / "runs.jsonl")

    def attempts(self) -> Iterator[dict[str, Any]]:
        """Earlier attempts of re-run runs (``run_attempt`` below the latest)."""
        return _iter_jsonl(self.root / "attempts.jsonl")

    def jobs(self, run_id: int, attempt: int | None = None) -> list[dict[str, Any]] | None:
        """Jobs of the latest attempt (``attempt=None``) or of an earlier one; None if absent."""
        name = f"{run_id}.json" if attempt is None else f"{run_id}-{attempt}.json"
        data = _load_json(self.root / "jobs" / name)
        return None if data is None else list(data.get("jobs", []))

    def commit(self, sha: str) -> dict[str, Any] | None:
        return _load_json(self.root / "commits" / f"{sha}.json")

    def log(self, job_id: int) -> bytes | None:
        """Raw job log bytes exactly as GitHub serves them, or None (expired / never kept)."""
        return read_bytes(self.root / "logs" / f"{job_id}.txt")

    def artifact_names(self, run_id: int) -> list[str]:
        folder = self.root / "artifacts" / str(run_id)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def artifact_files(self, run_id: int, name: str) -> dict[str, bytes]:
        """Relative path -> decompressed bytes of every file of one artifact."""
        folder = self.root / "artifacts" / str(run_id) / name
        files: dict[str, bytes] = {}
        if not folder.is_dir():
            return files
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                if rel.endswith(".gz"):
                    rel = rel[:-3]
                files[rel] = read_bytes(path) or b""
        return files

    def file(self, rel: str) -> bytes | None:
        """A repository file kept under ``files/`` (None when absent or outside the folder)."""
        base = (self.root / "files").resolve()
        path = (base / rel).resolve()
        if not path.is_relative_to(base):
            return None
        return read_bytes(path)

    def truth(self) -> dict[str, Any] | None:
        """Planted ground truth; only tests and benchmarks may read it, never an agent."""
        return _load_json(self.root / "truth.json")


class DumpWriter:
    """Writes a dump folder; ``compress`` selects ``.gz`` for the bulky files (logs, runs)."""

    def __init__(self, root: str | os.PathLike[str], compress: bool = True) -> None:
        self.root = Path(root)
        self.compress = compress
        self.root.mkdir(parents=True, exist_ok=True)

    def _write(self, rel: str, data: bytes, compress: bool = False) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if compress:
            path = path.with_name(path.name + ".gz")
            with gzip.GzipFile(filename=path, mode="wb", compresslevel=5, mtime=0) as handle:
                handle.write(data)
        else:
            path.write_bytes(data)
        return path

    def _json(self, rel: str, obj: Any, compress: bool = False) -> Path:
        return self._write(rel, json.dumps(obj, separators=(",", ":")).encode(), compress)

    def repo(self, repo: dict[str, Any]) -> None:
        self._write("repo.json", json.dumps(repo, indent=2).encode())

    def workflows(self, workflows: list[dict[str, Any]]) -> None:
        self._json("workflows.json", {"total_count": len(workflows), "workflows": workflows})

    def runs(self, runs: Iterable[dict[str, Any]]) -> None:
        self._write("runs.jsonl", _jsonl(runs), self.compress)

    def attempts(self, attempts: Iterable[dict[str, Any]]) -> None:
        self._write("attempts.jsonl", _jsonl(attempts), self.compress)

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


def _jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in rows)
