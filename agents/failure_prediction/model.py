"""The models: scikit-learn Pipelines with their preprocessing inside, fitted on the features
known before a run (the catalogue's ``known_before_run``), nothing else.

Why Pipelines: the imputation, scaling and one-hot encoding are learned from the training rows
of each walk-forward step only, so no statistic of a later run leaks into an earlier prediction.
Missing values are kept as information (``add_indicator``: a run without a commit or without a
previous run is not an average run).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.features.catalogue import CATEGORICAL, KNOWN_BEFORE_RUN

__all__ = ["MODELS", "TREE_ROWS", "ModelKind", "feature_columns", "make_model"]

ModelKind = Literal["random_forest", "logistic_regression", "gradient_boosting"]
MODELS: tuple[ModelKind, ...] = ("random_forest", "logistic_regression", "gradient_boosting")


def feature_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(numeric, categorical) known-before-run features present in ``frame`` with any value."""
    present = [c for c in KNOWN_BEFORE_RUN if c in frame and frame[c].notna().any()]
    categorical = [c for c in present if c in CATEGORICAL]
    return [c for c in present if c not in CATEGORICAL], categorical


# The most runs one tree of the forest learns from: half the training set, up to this many.
# Why a ceiling: past 10k training runs (a busy repository; the training set is capped at
# backtest.MAX_TRAIN) a tree's cost grew with its sample and its ranking did not: on the
# generated 100k-run history the walk-forward backtest took 125 -> 86 CPU s with ROC-AUC 0.759
# -> 0.760 and Brier 0.104 -> 0.103. The 30 real histories (a few thousand runs pooled) never
# reach it: their models are unchanged.
TREE_ROWS = 5_000


def make_model(
    kind: ModelKind,
    numeric: list[str],
    categorical: list[str],
    seed: int = 0,
    rows: int | None = None,
):
    """An unfitted Pipeline: preprocessing, then the classifier ``kind``; ``rows``: how many
    runs it will be fitted on (the forest's trees then sample at most :data:`TREE_ROWS`).

    The forest is depth-limited (8) with leaves of at least 5 runs: it generalises better on a
    few hundred runs and keeps SHAP's TreeExplainer fast (under a second per run). Each tree
    learns from a bootstrap sample of half the runs: the walk-forward backtest on 100k runs
    took 61 -> 41 CPU s, and the 30 real histories scored the same (pooled ROC-AUC 0.814 ->
    0.815, A 0.792 -> 0.791, B 0.833 -> 0.835, Brier 0.143 both). No class
    weights: the probabilities are read as probabilities (Brier score, calibration curve), and
    weighting failures up inflated them without ranking better (30 real histories, half A:
    Brier 0.159 -> 0.143 for the forest, 0.172 -> 0.148 for the regression, ROC-AUC within
    0.003). The boosted trees are shallow (depth 3, leaves of 40 runs, half the features per
    split): deeper ones learned the training histories and ranked worse (0.76 against 0.78).
    """
    scale = kind == "logistic_regression"
    numbers = [("impute", SimpleImputer(strategy="median", add_indicator=True))]
    if scale:
        numbers.append(("scale", StandardScaler()))
    columns = ColumnTransformer(
        [
            ("numeric", Pipeline(numbers), numeric),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="unknown")),
                        (
                            "encode",
                            OneHotEncoder(
                                handle_unknown="infrequent_if_exist",
                                min_frequency=5,
                                sparse_output=False,
                            ),
                        ),
                    ]
                ),
                categorical,
            ),
        ],
        verbose_feature_names_out=False,
    )
    if kind == "random_forest":
        model = RandomForestClassifier(
            n_estimators=100,
            max_depth=8,
            min_samples_leaf=5,
            max_samples=0.5 if rows is None or rows <= 2 * TREE_ROWS else TREE_ROWS,
            n_jobs=1,
            random_state=seed,
        )
    elif kind == "logistic_regression":
        model = LogisticRegression(C=0.5, max_iter=2000)
    else:
        model = HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.03,
            max_depth=3,
            min_samples_leaf=40,
            max_features=0.5,
            l2_regularization=1.0,
            random_state=seed,
        )
    return Pipeline([("features", columns), ("model", model)])
