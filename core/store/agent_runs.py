"""The ``agent_runs`` history: one row per agent run (status, duration, findings, summary).

Why: the Overview page shows every agent's health from its last run, whoever started it (a
page's button, the CLI, the worker). Rows are appended by
:meth:`core.store.db.Store.record_agent_run`; this module answers what the pages ask of them.
"""

from __future__ import annotations

import pandas as pd

from core.store.db import Store
from core.store.repositories import REPO_ID_BY_NAME as _REPO_ID

__all__ = ["last_run_per_agent"]


def last_run_per_agent(store: Store, repo: str) -> pd.DataFrame:
    """The newest run of each agent on ``repo``: agent, started_at (epoch seconds),
    duration_s, status, findings, summary, error."""
    return store.frame(
        "SELECT agent, started_at, duration_s, status, findings, summary, error FROM agent_runs"
        " WHERE id IN (SELECT MAX(id) FROM agent_runs"
        f" WHERE repo_id = {_REPO_ID} GROUP BY agent)",
        (repo,),
    )
