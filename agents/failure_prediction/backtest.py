"""The walk-forward backtest: every prediction for a run comes from a model trained only on runs
whose outcome was known before that run was created.

Why so strict: cross-validation and even a chronological split by creation time let a model
learn from runs that were still running when the predicted run started. Here the runs are
predicted in blocks of ``every`` in creation order; the model of a block is trained on the runs
that *finished* before the block's first run was created, so each prediction uses only the past
as it was known then. The parrot (the previous finished run of the same workflow and branch,
else of the workflow: the catalogue's ``prev_failed``) is scored on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.failure_prediction.model import ModelKind, feature_columns, make_model

__all__ = ["Backtest", "Calibration", "walk_forward", "MIN_TRAIN"]

MIN_TRAIN = 60  # decided runs before the first prediction (fewer: no model)


@dataclass(frozen=True)
class Calibration:
    """Platt scaling learned from earlier backtest predictions (raw probability -> observed).

    Why from the backtest and not a held-out fold: the pairs exist already, were made in time
    order, and cost nothing; a balanced forest's raw probabilities lean towards 0.5, which this
    corrects without refitting anything.
    """

    slope: float
    intercept: float

    @classmethod
    def fit(cls, raw: pd.Series, actual: pd.Series) -> Calibration | None:
        """None until there are 30 earlier predictions with both outcomes among them."""
        if len(raw) < 30 or actual.nunique() < 2:
            return None
        from sklearn.linear_model import LogisticRegression

        x = _logit(np.asarray(raw, dtype=float)).reshape(-1, 1)
        fitted = LogisticRegression(C=10.0).fit(x, np.asarray(actual, dtype=int))
        return cls(float(fitted.coef_[0, 0]), float(fitted.intercept_[0]))

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        z = self.slope * _logit(np.asarray(raw, dtype=float)) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Backtest:
    """Predictions of the backtest, one row per predicted run: ``run_id, attempt, created_at,
    raw`` (the model's), ``probability`` (calibrated on the earlier predictions), ``parrot,
    actual``, in creation order."""

    kind: str
    rows: pd.DataFrame


def walk_forward(
    features: pd.DataFrame, kind: ModelKind = "random_forest", every: int = 50, seed: int = 0
) -> Backtest:
    """Predict every decided run after the first :data:`MIN_TRAIN` ones, retraining every
    ``every`` runs on what had finished before the block began."""
    frame = _ordered(features)
    decided = frame["failed"].notna().to_numpy()
    numeric, categorical = feature_columns(frame)
    created = frame["created"].to_numpy()
    finished = frame["finished"].to_numpy()
    out = []
    targets = np.flatnonzero(decided)
    for block_start in range(MIN_TRAIN, len(targets), every):
        block = targets[block_start : block_start + every]
        cutoff = created[block[0]]
        train = decided & (finished < cutoff)
        y = frame.loc[train, "failed"].astype(int)
        if y.nunique() < 2 or len(y) < MIN_TRAIN:
            continue
        model = make_model(kind, numeric, categorical, seed)
        model.fit(frame.loc[train, numeric + categorical], y)
        rows = frame.iloc[block]
        raw = model.predict_proba(rows[numeric + categorical])[:, 1]
        earlier = pd.concat(out, ignore_index=True) if out else None
        calibrate = Calibration.fit(earlier["raw"], earlier["actual"]) if out else None
        out.append(
            rows[["run_id", "attempt", "created_at"]].assign(
                raw=raw,
                probability=calibrate(raw) if calibrate else raw,
                parrot=rows["prev_failed"].to_numpy(),
                actual=rows["failed"].astype(int).to_numpy(),
            )
        )
    columns = ["run_id", "attempt", "created_at", "raw", "probability", "parrot", "actual"]
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
