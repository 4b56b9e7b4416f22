"""Where GitHub looks for a repository's CODEOWNERS file, and reading the one it would use.

GitHub reads one CODEOWNERS file per branch, the first it finds of ``.github/CODEOWNERS``,
``CODEOWNERS`` (the root) and ``docs/CODEOWNERS``, and ignores one over 3 MB. A sync reads it
through the contents API (:meth:`core.github.source.GitHubSource.repository_file`) and an
import from the dump's ``files/`` folder; both go through :func:`find_codeowners`, so they keep
the same file. Matching paths against its rules is the Flaky Tests agent's business
(:mod:`agents.flaky_tests.owners`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CODEOWNERS_LOCATIONS", "MAX_CODEOWNERS_BYTES", "CodeownersFile", "find_codeowners"]

CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024  # GitHub ignores a larger file


@dataclass(frozen=True)
class CodeownersFile:
    """The CODEOWNERS file GitHub would use: its ``path`` and its ``text`` (both None when the
    repository has none); ``note`` says why a file that exists is not used (too large)."""

    path: str | None
    text: str | None
    note: str | None = None


def find_codeowners(read: Callable[[str], bytes | None]) -> CodeownersFile:
    """The first of :data:`CODEOWNERS_LOCATIONS` that ``read`` (a repository path -> its bytes,
    None when absent) finds. A file over 3 MB is not used (GitHub ignores it) and ends the
    search, as it does on GitHub. Bytes that are no UTF-8 are replaced, never refused."""
    for path in CODEOWNERS_LOCATIONS:
        data = read(path)
        if data is None:
            continue
        if len(data) > MAX_CODEOWNERS_BYTES:
            return CodeownersFile(
                None, None, f"{path} holds {len(data):,} bytes, over GitHub's 3 MB limit"
            )
        return CodeownersFile(path, data.decode("utf-8", errors="replace"))
    return CodeownersFile(None, None)
