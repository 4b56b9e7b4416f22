"""Repository lookups by name, shared by the read queries of the other store modules.

Why: pages and agents know a repository by its ``owner/name`` (any case), the tables by its id.
:data:`REPO_ID_BY_NAME` is the one SQL fragment that resolves one to the other inside a query (so
a page read stays a single statement); :meth:`core.store.db.Store.repo_id` does it on its own.
"""

from __future__ import annotations

from typing import Any

from core.store.db import Store

__all__ = ["REPO_ID_BY_NAME", "default_branch"]

REPO_ID_BY_NAME = "(SELECT id FROM repositories WHERE full_name = ? COLLATE NOCASE)"
"""A scalar subquery: the id of the repository named by one ``?`` parameter (None if unknown)."""


def default_branch(store: Store, repo: str) -> Any:
    """The stored default branch of ``repo`` (None when unknown or not stored)."""
    rows = store.query(
        "SELECT default_branch FROM repositories WHERE full_name = ? COLLATE NOCASE", (repo,)
    )
    return rows[0][0] if rows else None
