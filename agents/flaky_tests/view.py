"""What the Flaky sections show: verdict counts, the ranked table, the demo's self-check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.store.db import Store
from core.store.findings import load_findings

__all__ = ["FlakyView", "flaky_view", "verdict_table", "selfcheck_table"]

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


def verdict_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Broken first (someone must fix a culprit), then flaky by score."""
    columns = [
        "test_id",
        "verdict",
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
    """Planted flaky tests (rate >= 2%) found as flaky; planted regressions never flaky and
    named with their culprit."""
    verdict = dict(zip(findings.get("test_id", []), findings.get("verdict", []), strict=True))
    culprit = dict(zip(findings.get("test_id", []), findings.get("culprit_sha", []), strict=True))
    rows = []
    for test in sorted({f["test_id"] for f in truth.get("flaky_tests", []) if f["rate"] >= 0.02}):
        rows.append(
            {
                "planted": "flaky",
                "test": test,
                "verdict": verdict.get(test, "stable"),
                "right": verdict.get(test) == "flaky",
            }
        )
    for regression in truth.get("regressions", []):
        for test in regression.get("tests", []):
            said = verdict.get(test, "stable")
            rows.append(
                {
                    "planted": f"regression at {regression['introduced_sha'][:7]}",
                    "test": test,
                    "verdict": said,
                    "right": said != "flaky"
                    and (
                        said != "broken"
                        or str(culprit.get(test) or "").startswith(regression["introduced_sha"][:7])
                    ),
                }
            )
    return pd.DataFrame(rows, columns=["planted", "test", "verdict", "right"])
