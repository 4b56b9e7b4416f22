"""Runs whose combination of measures is unusual: Isolation Forest and One-Class SVM must agree.

Why two models and a vote: each alone flags its contamination share of every history, however
normal (a fixed 1% of runs is noise, not news). Isolation Forest isolates points that few splits
separate; a One-Class SVM draws a smooth boundary around the bulk. A run both call an outlier,
with at least one measure far from its usual range (robust z >= ``min_z``), is reported, with
the measures that make it unusual named. The measures are log-scaled (durations and counts have
heavy right tails) and robustly scaled per workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import RobustScaler
from sklearn.svm import OneClassSVM

__all__ = ["MEASURES", "Outlier", "multivariate_outliers"]

MEASURES = ("duration_s", "queue_s_max", "job_seconds", "job_s_max", "step_s_max", "steps", "jobs")
MIN_RUNS = 60  # fewer runs of a workflow: no model (too few to say what is usual)
SVM_SAMPLE = 2000  # a One-Class SVM is quadratic in its rows: fit it on a sample


@dataclass(frozen=True)
class Outlier:
    position: int  # row position in the frame given
    score: float  # the Isolation Forest's anomaly score (higher: more unusual), 0..1
    measures: tuple[tuple[str, float, float, float], ...]  # (name, value, usual low, usual high)


def multivariate_outliers(
    runs: pd.DataFrame, contamination: float = 0.01, min_z: float = 4.0, seed: int = 0
) -> list[Outlier]:
    """Outliers among ``runs`` (one workflow's runs, with the :data:`MEASURES` columns)."""
    columns = [c for c in MEASURES if c in runs and runs[c].notna().mean() > 0.9]
    if len(runs) < MIN_RUNS or len(columns) < 2:
        return []
    values = runs[columns].apply(pd.to_numeric, errors="coerce")
    filled = values.fillna(values.median())
    x = RobustScaler().fit_transform(np.log1p(filled.clip(lower=0)))
    x = np.nan_to_num(x)
    forest = IsolationForest(n_estimators=100, contamination=contamination, random_state=seed)
    forest_says = forest.fit_predict(x) == -1
    rng = np.random.default_rng(seed)
    sample = x if len(x) <= SVM_SAMPLE else x[rng.choice(len(x), SVM_SAMPLE, replace=False)]
    svm = OneClassSVM(nu=contamination, gamma="scale").fit(sample)
    svm_says = svm.predict(x) == -1
    median = filled.median()
    spread = (filled.quantile(0.75) - filled.quantile(0.25)).replace(0, np.nan) / 1.349
    z = (filled - median) / spread
    low, high = filled.quantile(0.05), filled.quantile(0.95)
    scores = -forest.score_samples(x)
    outliers = []
    for position in np.flatnonzero(forest_says & svm_says):
        far = z.iloc[position].abs()
        named = far[far >= min_z].sort_values(ascending=False)
        if named.empty:
            continue
        measures = tuple(
            (name, float(filled.iloc[position][name]), float(low[name]), float(high[name]))
            for name in named.index[:3]
        )
        outliers.append(Outlier(int(position), float(scores[position]), measures))
    return outliers
