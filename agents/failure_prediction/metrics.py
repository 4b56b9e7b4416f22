"""How good the backtest's probabilities are, next to the parrot on the same rows.

ROC-AUC and PR-AUC rank; the Brier score and the calibration curve say whether a 30% is a 30%;
F1, precision and recall are read at the decision threshold, chosen as the lowest probability
whose predictions reach the wanted precision (a user who acts on a warning wants it right).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)

__all__ = ["Scores", "score", "threshold_for_precision", "calibration"]


@dataclass(frozen=True)
class Scores:
    rows: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    f1: float
    precision: float
    recall: float
    threshold: float


def threshold_for_precision(actual: np.ndarray, probability: np.ndarray, wanted: float) -> float:
    """The lowest threshold whose predictions have at least ``wanted`` precision (0.5 when
    none reaches it, or when there is only one class)."""
    if len(np.unique(actual)) < 2:
        return 0.5
    precision, _recall, thresholds = precision_recall_curve(actual, probability)
    reaching = np.flatnonzero(precision[:-1] >= wanted)
    return float(thresholds[reaching[0]]) if len(reaching) else 0.5


def score(actual: np.ndarray, probability: np.ndarray, threshold: float) -> Scores:
    """The scores of ``probability`` against ``actual`` (NaN where a score needs two classes)."""
    actual = np.asarray(actual, dtype=int)
    probability = np.clip(np.asarray(probability, dtype=float), 0, 1)
    two = len(np.unique(actual)) == 2
    predicted = probability >= threshold
    return Scores(
        rows=len(actual),
        base_rate=float(actual.mean()) if len(actual) else float("nan"),
        roc_auc=float(roc_auc_score(actual, probability)) if two else float("nan"),
        pr_auc=float(average_precision_score(actual, probability)) if two else float("nan"),
        brier=float(brier_score_loss(actual, probability)) if len(actual) else float("nan"),
        f1=float(f1_score(actual, predicted, zero_division=0)),
        precision=float(precision_score(actual, predicted, zero_division=0)),
        recall=float(recall_score(actual, predicted, zero_division=0)),
        threshold=float(threshold),
    )


def calibration(actual: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed failure share, per probability bin."""
    if len(np.unique(actual)) < 2:
        return pd.DataFrame(columns=["predicted", "observed"])
    observed, predicted = calibration_curve(actual, probability, n_bins=bins, strategy="quantile")
    return pd.DataFrame({"predicted": predicted, "observed": observed})
