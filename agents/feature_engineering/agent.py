"""Feature Engineering as an agent: the feature row of every run, stored and sent to the
features queue once per state of the run.

The pure computation is :mod:`agents.feature_engineering.build`; this module reads its inputs,
keeps only the runs without a current row (new runs, runs that changed since, or every run when
the catalogue changed), and stores those rows with one ``feature_set`` message each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from agents.base import AgentContext, AgentResult, nothing_yet, with_columns
from agents.feature_engineering.build import KEY_COLUMNS, REVISION, run_features
from core.features.catalogue import CATALOGUE_VERSION, FEATURE_NAMES
from core.messages.envelope import Message, make_message
from core.store.features import (
    feature_inputs,
    featured_runs,
    load_run_features,
    save_run_features,
)

__all__ = ["FeatureEngineering", "FINDING_COLUMNS"]

FINDING_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, *FEATURE_NAMES)
# what made a stored row: the catalogue and the computation's revision
VERSION = f"{CATALOGUE_VERSION}-r{REVISION}"


class FeatureEngineering:
    """Agent: one row of catalogue features per run (``features.csv``)."""

    name = "feature_engineering"
    layer = 2
    title = "Feature Engineering"
    needs_source = False
    csv_name = "features.csv"
    finding_columns = FINDING_COLUMNS

    def run(self, ctx: AgentContext) -> AgentResult:
        repo_id = ctx.store.repo_id(ctx.repo)
        if repo_id is None:
            message = f"No runs of {ctx.repo} are stored yet: sync or import first."
            return nothing_yet(self, message, computed=0, runs=0)
        ctx.progress(0.1, "Reading runs, jobs, tests and commits…")
        frame = run_features(feature_inputs(ctx.store, repo_id))
        ctx.progress(0.6, f"Computed {len(FEATURE_NAMES)} features of {len(frame)} runs…")
        done = featured_runs(ctx.store, repo_id, VERSION)
        keys = zip(frame["run_id"], frame["attempt"], frame["updated_at"].astype(str), strict=True)
        new = frame[[(int(r), int(a), u) not in done for r, a, u in keys]]
        rows = _records(new)
        messages = [_message(ctx.repo, row) for row in rows]
        if rows:
            save_run_features(ctx.store, repo_id, VERSION, rows, messages)
        findings = with_columns(load_run_features(ctx.store, ctx.repo), FINDING_COLUMNS)
        summary = (
            f"{len(findings)} runs of {ctx.repo} with {len(FEATURE_NAMES)} features each "
            f"({len(rows)} computed now)."
            if len(findings)
            else f"No runs of {ctx.repo} are stored yet: sync or import first."
        )
        metrics = {"computed": len(rows), "runs": len(findings), "features": len(FEATURE_NAMES)}
        return AgentResult(self.name, findings, metrics, summary, messages)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN becomes None, numpy scalars Python ones."""
    if frame.empty:
        return []
    plain = frame.astype(object).where(frame.notna(), None)
    records = plain.to_dict(orient="records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, np.generic):
                record[key] = value.item()
    return records


def _message(repo: str, row: dict[str, Any]) -> Message:
    subject = f"run:{row['run_id']}:{row['attempt']}"
    data = {
        "subject": subject,
        "feature_version": VERSION,
        "features": {name: row[name] for name in ("created_at", "failed", *FEATURE_NAMES)},
    }
    return make_message(
        "feature_set",
        repo,
        f"features:{row['run_id']}:{row['attempt']}",
        data,
        version=f"{VERSION}|{row['updated_at']}",
    )
