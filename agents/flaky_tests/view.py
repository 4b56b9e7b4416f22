"""What the Flaky sections show: verdict counts, the ranked table, the quarantine list, the
demo's self-check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from agents.flaky_tests.agent import load_quarantine
from agents.flaky_tests.quarantine import dump_quarantine
from core.store.db import Store
from core.store.findings import load_findings

__all__ = [
    "FlakyView",
    "QuarantineView",
    "flaky_view",
    "quarantine_json",
    "quarantine_view",
    "selfcheck_table",
    "verdict_table",
]

_ORDER = {"broken": 0, "flaky": 1, "insufficient_data": 2, "stable": 3}


@dataclass(frozen=True)
class FlakyView:
    findings: pd.DataFrame

    @property
    def judged(self) -> bool:
        return not self.findings.empty

    @property
    def counts(self) -> pd.DataFrame:
        counts = self.findings["verdict"].value_counts()
        return counts.rename_axis("verdict").reset_index(name="items")


def flaky_view(store: Store, repo: str, agent: str) -> FlakyView:
    return FlakyView(load_findings(store, repo, agent))


@dataclass(frozen=True)
class QuarantineView:
    """The quarantine list as the page shows it: ``entries`` (one row per quarantined test,
    soonest expiry first), ``released`` (newest release first), the CODEOWNERS file the owners
    come from, the date the list last changed, and ``json`` (the document to download)."""

    entries: pd.DataFrame
    released: pd.DataFrame
    codeowners: str | None
    updated: str | None
    json: str | None

    @property
    def exists(self) -> bool:
        return self.json is not None


_ENTRY_COLUMNS = [
    "test_id",
    "owners",
    "expires",
    "created",
    "renewals",
    "reason",
    "clean_runs",
    "last_flake",
    "owner_file",
    "owner_rule",
]
_RELEASED_COLUMNS = ["test_id", "owners", "released", "created", "reason"]


def quarantine_view(store: Store, repo: str) -> QuarantineView:
    """The stored quarantine list of ``repo`` as tables (empty ones before the first
    judgement)."""
    repo_id = store.repo_id(repo)
    document = load_quarantine(store, repo_id) if repo_id is not None else None
    if document is None:
        empty = pd.DataFrame(columns=_ENTRY_COLUMNS)
        return QuarantineView(empty, pd.DataFrame(columns=_RELEASED_COLUMNS), None, None, None)
    entries = pd.DataFrame(
        [
            {
                "test_id": entry["test_id"],
                "owners": ", ".join(entry.get("owners") or []),
                "expires": entry["expires"],
                "created": entry["created"],
                "renewals": int(entry.get("renewals") or 0),
                "reason": entry["reason"],
                "clean_runs": (entry.get("evidence") or {}).get("clean_runs"),
                "last_flake": (entry.get("evidence") or {}).get("last_flake"),
                "owner_file": (entry.get("ownership") or {}).get("file"),
                "owner_rule": (entry.get("ownership") or {}).get("rule"),
            }
            for entry in document["quarantined"]
        ],
        columns=_ENTRY_COLUMNS,
    ).sort_values(["expires", "test_id"], kind="stable")
    released = pd.DataFrame(
        [
            {**entry, "owners": ", ".join(entry.get("owners") or [])}
            for entry in document["released"]
        ],
        columns=_RELEASED_COLUMNS,
    ).sort_values(["released", "test_id"], ascending=[False, True], kind="stable")
    return QuarantineView(
        entries.reset_index(drop=True),
        released.reset_index(drop=True),
        document.get("codeowners"),
        document.get("updated"),
        dump_quarantine(document),
    )


def quarantine_json(store: Store, repo: str) -> str | None:
    """The stored quarantine list of ``repo`` as the JSON text ``analyze`` writes (None
    before the first judgement)."""
    repo_id = store.repo_id(repo)
    document = load_quarantine(store, repo_id) if repo_id is not None else None
    return None if document is None else dump_quarantine(document)


def verdict_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Broken first (someone must fix a culprit), then flaky by score."""
    columns = [
        "test_id",
        "verdict",
        "jobs",
        "score",
        "score_low",
        "score_high",
        "runs",
        "failures",
        "same_sha_flips",
        "culprit_sha",
        "fixed_sha",
        "first_flake",
        "last_flake",
        "minutes_wasted",
        "cluster",
        "evidence_runs",
    ]
    order = findings["verdict"].map(_ORDER).fillna(4)
    ranked = findings.assign(_o=order).sort_values(["_o", "score"], ascending=[True, False])
    return ranked.reindex(columns=columns).reset_index(drop=True)


def selfcheck_table(findings: pd.DataFrame, truth: dict[str, Any]) -> pd.DataFrame:
    """The demo's acceptance against what it planted (``truth.json``), one row per fact:

    - each planted flaky test with a rate of 2% or more is judged ``flaky``. One that never
      failed in the history judged (a low rate in a job with few runs can draw no failure at
      all) cannot be found by anyone: it says "no failure observed" and ``right`` is None, not
      counted either way. That needs its row (a stable test is in the agent's whole answer and
      its CSV, not among the stored findings, where it reads as a miss);
    - each test of a planted regression is never ``flaky`` and names the regression's commit
      as its culprit, so a regression is never blamed on flakiness and is traced to its cause;
    - the outage: no ``flaky`` verdict whose flakes all fall on the outage's day(s), since an
      outage fails tests for reasons that are no test's own.
    """
    by_test = _rows_by_test(findings)
    rows = [*_planted_flaky(by_test, truth), *_planted_regressions(by_test, truth)]
    if truth.get("outage"):
        rows.append(_outage(findings, truth["outage"]))
    return pd.DataFrame(rows, columns=["planted", "test", "verdict", "culprit", "right"])


def _rows_by_test(findings: pd.DataFrame) -> dict[str, dict[str, Any]]:
    if findings.empty or "test_id" not in findings:
        return {}
    return {str(row["test_id"]): row for row in findings.to_dict("records")}


def _planted_flaky(by_test: dict[str, dict[str, Any]], truth: dict[str, Any]) -> list[dict]:
    planted: dict[str, set[str]] = {}
    for flaky in truth.get("flaky_tests", []):
        if flaky["rate"] >= 0.02:
            planted.setdefault(flaky["test_id"], set()).add(str(flaky.get("job", "")))
    rows = []
    for test in sorted(planted):
        row = by_test.get(test, {})
        said = str(row.get("verdict") or "stable")
        right: bool | None = said == "flaky"
        if not right and row and _number(row.get("failures")) == 0:
            said, right = "stable (no failure observed)", None
        jobs = ", ".join(sorted(planted[test] - {""}))
        rows.append(
            {
                "planted": f"flaky in {jobs}",
                "test": test,
                "verdict": said,
                "culprit": "",
                "right": right,
            }
        )
    return rows


def _planted_regressions(by_test: dict[str, dict[str, Any]], truth: dict[str, Any]) -> list[dict]:
    rows = []
    for regression in truth.get("regressions", []):
        introduced = str(regression["introduced_sha"])
        for test in regression.get("tests", []):
            row = by_test.get(test, {})
            said = str(row.get("verdict") or "stable")
            culprit = _text(row.get("culprit_sha"))
            rows.append(
                {
                    "planted": f"regression at {introduced[:7]}",
                    "test": test,
                    "verdict": said,
                    "culprit": culprit[:7],
                    "right": said != "flaky" and _same_commit(culprit, introduced),
                }
            )
    return rows


def _outage(findings: pd.DataFrame, outage: dict[str, Any]) -> dict:
    """The flaky verdicts whose first and last flake both fall on the outage's day(s)."""
    first_day = pd.Timestamp(outage["start"]).normalize()
    last_day = pd.Timestamp(outage["end"]).normalize()
    blamed: list[str] = []
    if not findings.empty and {"verdict", "first_flake", "last_flake"} <= set(findings):
        flaky = findings[findings["verdict"].eq("flaky")]
        first = pd.to_datetime(flaky["first_flake"], utc=True, errors="coerce").dt.normalize()
        last = pd.to_datetime(flaky["last_flake"], utc=True, errors="coerce").dt.normalize()
        inside = first.ge(first_day) & last.le(last_day)
        blamed = sorted(flaky.loc[inside.to_numpy(), "test_id"].astype(str))
    day = f"{first_day:%Y-%m-%d}" + ("" if last_day == first_day else f" to {last_day:%Y-%m-%d}")
    return {
        "planted": f"{outage.get('kind', '')} outage on {day}".strip(),
        "test": "every test",
        "verdict": "flaky: " + ", ".join(blamed) if blamed else "no flaky verdict",
        "culprit": "",
        "right": not blamed,
    }


def _same_commit(named: str, planted: str) -> bool:
    """Whether two spellings of a sha (full or abbreviated to 7+ characters) are one commit."""
    return len(named) >= 7 and (named.startswith(planted) or planted.startswith(named))


def _text(value: Any) -> str:
    """A cell as text: None and NaN (a CSV's empty cell) are empty."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
