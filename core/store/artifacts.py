"""Agent artifacts: a computed result the pages read as it is (one JSON document per repository,
agent and name), so a first render does not recompute what the agent already knew.

The Failure Prediction stores its SHAP explanation here: fitting a forest and explaining a
sample of runs takes seconds, which the background run can pay and a page render cannot.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from core.store.db import Store

__all__ = ["save_artifact", "load_artifact"]


def save_artifact(
    store: Store, repo_id: int, agent: str, name: str, version: str, data: dict[str, Any]
) -> None:
    """Replace the artifact ``name`` of ``agent`` for the repository (NaN and infinities
    become null: JSON has no word for them)."""
    text = json.dumps(_finite(data), allow_nan=False)
    with store.transaction() as tx:
        tx.execute(
            "INSERT OR REPLACE INTO agent_artifacts VALUES (?,?,?,?,?,?)",
            (repo_id, agent, name, version, datetime.now(UTC).isoformat(), text),
        )


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def load_artifact(
    store: Store, repo_id: int, agent: str, name: str
) -> tuple[str, dict[str, Any]] | None:
    """(version, data) of the artifact, or None when the agent has not stored one."""
    rows = store.query(
        "SELECT version, data FROM agent_artifacts WHERE repo_id = ? AND agent = ? AND name = ?",
        (repo_id, agent, name),
    )
    if not rows:
        return None
    return str(rows[0][0]), json.loads(rows[0][1])
