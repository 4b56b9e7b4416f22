"""Agent findings in the store, written with their queue messages in one transaction.

Each finding has a stable key within its agent (e.g. ``job:123``), so re-running an agent
updates its findings instead of piling up copies, and the message id follows the finding's
content: an unchanged finding is not published twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from core.messages.envelope import Message, make_message
from core.messages.redact import redactor
from core.store.db import Store
from core.store.outbox import enqueue
from core.store.repositories import REPO_ID_BY_NAME as _REPO_ID

__all__ = [
    "save_findings",
    "load_findings",
    "load_finding",
    "count_findings",
    "finding_key",
    "recent_findings",
]


def save_findings(
    store: Store,
    repo: str,
    agent: str,
    event_type: str,
    frame: pd.DataFrame,
    *,
    key: str,
    subject: str,
    summary: str = "summary",
    kind: str = "category",
    replace_all: bool = False,
    publish: Callable[[dict[str, Any]], bool] | None = None,
) -> list[Message]:
    """Upsert one finding per row of ``frame`` (``key`` names its id column); returns the
    messages written with them (one per finding; an unchanged finding keeps its message id, so
    the outbox holds it once). ``subject``/``summary``/``kind`` name columns used for the
    message and the table. ``replace_all``: ``frame`` is the agent's whole current answer for
    the repository (e.g. anomalies recomputed over the history), so its stored findings that are
    not in it are removed in the same transaction. ``publish``: which rows are news for the
    queue (all when None); e.g. a backtest's thousands of past predictions are stored, not sent."""
    repo_id = store.repo_id(repo)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows, messages = [], []
    engine = redactor()  # one look at the known secrets for every finding's message
    for record in frame.to_dict(orient="records"):
        data = {k: _plain(v) for k, v in record.items()}
        data["subject"] = str(data[subject])
        body = json.dumps(data, default=str)  # insertion order: the agent's column order
        rows.append(
            (
                repo_id,
                agent,
                finding_key(agent, data[key]),
                data.get(kind),
                None,
                data["subject"],
                data.get(summary),
                body,
                now,
            )
        )
        if publish is not None and not publish(data):
            continue
        messages.append(
            make_message(
                event_type,
                repo,
                finding_key(agent, data[key]),
                data,
                version=hashlib.sha256(body.encode()).hexdigest(),
                engine=engine,
            )
        )
    with store.transaction() as tx:
        if replace_all:
            tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS kept_keys (key TEXT PRIMARY KEY)",
            )
            tx.execute("DELETE FROM kept_keys")
            tx.executemany("INSERT OR IGNORE INTO kept_keys VALUES (?)", [(r[2],) for r in rows])
            tx.execute(
                "DELETE FROM findings WHERE repo_id = ? AND agent = ?"
                " AND key NOT IN (SELECT key FROM kept_keys)",
                (repo_id, agent),
            )
        tx.executemany(
            "INSERT INTO findings (repo_id, agent, key, kind, severity, subject, summary, data,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(repo_id, agent, key) DO UPDATE"
            " SET kind=excluded.kind, subject=excluded.subject, summary=excluded.summary,"
            " data=excluded.data",
            rows,
        )
        enqueue(tx, messages)
    return messages


# One agent's findings of one repository (named as the user typed it), oldest first by id.
_OF_AGENT = (
    "FROM findings f JOIN repositories r ON r.id = f.repo_id "
    "WHERE r.full_name = ? COLLATE NOCASE AND f.agent = ?"
)


def finding_key(agent: str, key: object) -> str:
    """A finding's key, unique within its repository: the agent's name and the finding's own
    key (a job id, a test id...). SQL that joins findings by key builds it from
    ``finding_key(agent, "")`` and the id."""
    return f"{agent}:{key}"


def load_findings(
    store: Store,
    repo: str,
    agent: str,
    fields: Sequence[str] | None = None,
    created_since: str | None = None,
) -> pd.DataFrame:
    """The stored findings of one agent as a frame of their data fields (only ``fields``,
    where given: read by SQLite's JSON functions, not parsed whole in Python; a 100k-run
    history holds tens of thousands of findings, and a caller that needs their ids alone
    should not pay for their log excerpts). A field a finding lacks is null; JSON true and
    false come back as 1 and 0, lists as their JSON text.

    ``created_since``: only findings whose ``created_at`` field is that text or later (an ISO
    date compares as text; a finding without the field is left out). A page showing a period
    asks for a day before it and cuts exactly itself: at 100k runs the Layer-2 page's 30 days
    of root causes read 6.8k of 26k findings, 0.7 -> 0.2 s."""
    where, params = _OF_AGENT, (repo, agent)
    if created_since is not None:
        where += " AND json_extract(f.data, '$.created_at') >= ?"
        params = (repo, agent, created_since)
    if fields is None:
        rows = store.query(f"SELECT f.data {where} ORDER BY f.id", params)
        return pd.DataFrame([json.loads(r[0]) for r in rows])
    for name in fields:
        if not name.isidentifier():  # our own column names; never text from elsewhere
            raise ValueError(f"Not a field name: {name!r}")
    columns = ", ".join(f"json_extract(f.data, '$.{name}') AS {name}" for name in fields)
    return store.frame(f"SELECT {columns} {where} ORDER BY f.id", params)


def count_findings(store: Store, repo: str, agent: str) -> int:
    """How many findings one agent stored for ``repo``."""
    return int(store.scalar(f"SELECT COUNT(*) {_OF_AGENT}", (repo, agent)) or 0)


def load_finding(store: Store, repo: str, agent: str, key: object) -> dict[str, Any] | None:
    """One stored finding's data fields by its key within the agent (None: not stored)."""
    row = store.query(
        f"SELECT f.data {_OF_AGENT} AND f.key = ?", (repo, agent, finding_key(agent, key))
    )
    return json.loads(row[0][0]) if row else None


def recent_findings(store: Store, repo: str, agent: str, limit: int) -> pd.DataFrame:
    """The newest ``limit`` findings of one agent on ``repo``: created_at, severity, kind,
    subject, summary (the table columns, not the data fields)."""
    return store.frame(
        "SELECT created_at, severity, kind, subject, summary FROM findings"
        f" WHERE repo_id = {_REPO_ID} AND agent = ? ORDER BY created_at DESC LIMIT ?",
        (repo, agent, limit),
    )


def _plain(value: Any) -> Any:
    """JSON-friendly scalars (numpy and pandas values become Python ones)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if value is pd.NaT:
        return None
    return value
