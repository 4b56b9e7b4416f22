"""What the store knows of a repository's files besides its Actions history: its CODEOWNERS file
and the paths its commits touched.

Why: a quarantined test gets an owner from CODEOWNERS (:mod:`agents.flaky_tests.owners`), which
needs the file's rules and the test's file. A sync reads CODEOWNERS through the contents API and
an import from the dump's ``files/``; either keeps it here, with a note when the repository has
none (so a sync does not ask again each time). The paths the history's commits touched are
where a test's file is found: a test id names its module (``tests.unit.test_cart``), not the
folder of the repository it lives under (``backend/tests/unit/test_cart.py``).

The file is one document of the ``agent_artifacts`` table (the Pipeline Monitor's, which reads
it), so no table of its own is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store.artifacts import load_artifact, save_artifact
from core.store.db import Store

__all__ = ["StoredCodeowners", "known_paths", "load_codeowners", "save_codeowners"]

_AGENT, _NAME = "pipeline_monitor", "codeowners"

_PATHS_SQL = """
SELECT DISTINCT f.value FROM commits c, json_each(c.files) f
WHERE c.repo_id = ? AND c.files IS NOT NULL AND json_valid(c.files) AND f.type = 'text'
ORDER BY 1
"""


@dataclass(frozen=True)
class StoredCodeowners:
    """The CODEOWNERS file last read: its ``path`` and ``text`` (None when the repository has
    none) and a ``note`` saying why a file was not read (too large, not readable)."""

    path: str | None
    text: str | None
    note: str | None = None
    read_at: str | None = None  # when it was read (ISO-8601 UTC)


def save_codeowners(
    store: Store,
    repo_id: int,
    path: str | None,
    text: str | None,
    note: str | None = None,
    *,
    read_at: str,
) -> None:
    """Keep what was found at ``read_at``: a file, or that there is none (with a note)."""
    data = {"path": path, "text": text, "note": note, "read_at": read_at}
    save_artifact(store, repo_id, _AGENT, _NAME, path or "none", data)


def load_codeowners(store: Store, repo_id: int) -> StoredCodeowners | None:
    """The CODEOWNERS file last read for the repository; None when it was never looked for."""
    stored = load_artifact(store, repo_id, _AGENT, _NAME)
    if stored is None:
        return None
    data = stored[1]
    return StoredCodeowners(
        data.get("path"), data.get("text"), data.get("note"), data.get("read_at")
    )


def known_paths(store: Store, repo_id: int) -> list[str]:
    """Every file path the stored commits touched, sorted (a commit lists at most 300)."""
    return [str(row[0]) for row in store.query(_PATHS_SQL, (repo_id,))]
