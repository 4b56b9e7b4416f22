"""The walk-forward backtest: every prediction for a run comes from a model trained only on runs
whose outcome was known before that run was created.

Why so strict: cross-validation and even a chronological split by creation time let a model
learn from runs that were still running when the predicted run started. Here the runs are
predicted in blocks of ``every`` in creation order; the model of a block is trained on the runs
that *finished* before the block's first run was created, so each prediction uses only the past
as it was known then. The parrot (the previous finished run of the same workflow and branch,
else of the workflow: the catalogue's ``prev_failed``) is scored on the same rows.

Every decided run is predicted, from a repository's first: a block with too few finished runs
to learn from (fewer than :data:`MIN_TRAIN`, or one outcome only) is predicted by the prior
alone (:mod:`agents.failure_prediction.prior`, fitted on no run of any repository in the
store); later blocks blend the learned model with it, by how many runs the model learned from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.failure_prediction.model import ModelKind, feature_columns, make_model
from agents.failure_prediction.prior import PRIOR_MODEL, blend, prior_probability

__all__ = ["Backtest", "walk_forward", "MIN_TRAIN", "MAX_TRAIN"]

MIN_TRAIN = 60  # decided runs a model learns from at least (fewer: the prior alone)
MAX_TRAIN = 20_000  # the most recent finished runs a model learns from (older ones add little)


@dataclass(frozen=True)
class Backtest:
    """Predictions of the backtest, one row per predicted run: ``run_id, attempt, created_at,
    probability, parrot, actual, model`` (``model``: the kind, or ``prior`` where no model
    could be learned yet), in creation order."""

    kind: str
    rows: pd.DataFrame


def walk_forward(
    features: pd.DataFrame,
    kind: ModelKind = "random_forest",
    every: int = 50,
    seed: int = 0,
    pool: pd.DataFrame | None = None,
) -> Backtest:
    """Predict every decided run, retraining every ``every`` runs on what had finished before
    the block began (the prior alone until :data:`MIN_TRAIN` runs with both outcomes had).

    ``pool``: other repositories' feature rows. Their runs that finished before a block began
    join its training set (measured on 30 real histories: 0.81 ROC-AUC pooled against 0.71 for
    one repository's own runs alone; a project's 250 builds are too few to learn from)."""
    own = _ordered(features)
    if pool is not None and len(pool):
        others = _ordered(pool).assign(_own=False)
        frame = pd.concat([own.assign(_own=True), others], ignore_index=True)
    else:
        frame = own.assign(_own=True)
    own_rows = np.flatnonzero(frame["_own"].to_numpy())
    decided = frame["failed"].notna().to_numpy()
    numeric, categorical = feature_columns(frame)
    created = frame["created"].to_numpy()
    finished = frame["finished"].to_numpy()
    out = []
    targets = own_rows[decided[own_rows]]
    for block_start in range(0, len(targets), every):
        block = targets[block_start : block_start + every]
        cutoff = created[block[0]]
        train = decided & (finished < cutoff)
        if train.sum() > MAX_TRAIN:  # the most recent ones: what a team's CI looks like now
            keep = np.flatnonzero(train)
            keep = keep[np.argsort(finished[keep], kind="stable")[-MAX_TRAIN:]]
            train = np.zeros(len(frame), dtype=bool)
            train[keep] = True
        y = frame.loc[train, "failed"].astype(int)
        rows = frame.iloc[block]
        probability = prior_probability(rows)
        model_name = PRIOR_MODEL
        if y.nunique() == 2 and len(y) >= MIN_TRAIN:
            model = make_model(kind, numeric, categorical, seed, rows=len(y))
            model.fit(frame.loc[train, numeric + categorical], y)
            learned = model.predict_proba(rows[numeric + categorical])[:, 1]
            probability = blend(learned, probability, len(y))
            model_name = kind
        out.append(
            rows[["run_id", "attempt", "created_at"]].assign(
                probability=probability,
                parrot=rows["prev_failed"].to_numpy(),
                actual=rows["failed"].astype(int).to_numpy(),
                model=model_name,
            )
        )
    columns = ["run_id", "attempt", "created_at", "probability", "parrot", "actual", "model"]
    result = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=columns)
    return Backtest(kind, result)


def _ordered(features: pd.DataFrame) -> pd.DataFrame:
    frame = features.copy()
    frame["created"] = pd.to_datetime(
        frame["created_at"], utc=True, errors="coerce", format="ISO8601"
    )
    updated = pd.to_datetime(frame["updated_at"], utc=True, errors="coerce", format="ISO8601")
    frame["finished"] = updated.where(updated > frame["created"], frame["created"])
    frame = frame[frame["created"].notna()].sort_values(["created", "run_id"], kind="stable")
    return frame.reset_index(drop=True)
