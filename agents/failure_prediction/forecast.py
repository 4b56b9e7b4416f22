"""One repository's forecast: the honest backtest, the decision threshold, and the probability
of every run that has not finished yet, from a model fitted on everything finished so far.

The agent stores it and the page explains it; both call :func:`forecast`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.failure_prediction.backtest import MAX_TRAIN, MIN_TRAIN, walk_forward
from agents.failure_prediction.metrics import threshold_for_precision
from agents.failure_prediction.model import ModelKind, feature_columns, make_model
from agents.failure_prediction.prior import (
    PRIOR_MODEL,
    blend,
    blend_weight,
    prior_probability,
)

__all__ = ["Forecast", "forecast", "PREDICTION_COLUMNS", "WANTED_PRECISION"]

WANTED_PRECISION = 0.6  # a warning should be right more often than not
PREDICTION_COLUMNS = (
    "run_id",
    "run_attempt",
    "created_at",
    "probability",
    "predicted",
    "actual",
    "backtest",
    "parrot",
    "reasons",
    "model",
)


@dataclass(frozen=True)
class Forecast:
    kind: str
    threshold: float
    predictions: pd.DataFrame  # PREDICTION_COLUMNS, backtest rows then live ones
    pipeline: object | None  # the model fitted on every finished run (None: too few)
    columns: list[str]  # the feature columns the pipeline reads
    live: pd.DataFrame  # the unfinished runs' feature rows, in predictions' live order
    prior_weight: float  # the prior's share of a live probability (1.0: the prior alone)


def _refit_every(runs: int) -> int:
    """How many runs the backtest predicts per model: about 40 refits (at least 25 runs each);
    about 20 once the history outgrows the training window (:data:`MAX_TRAIN`), where every
    refit costs a full window. Why: on the generated 100k-run history, 40 refits of 20k-run
    forests cost 86 CPU s of the agent's minute (trees of 5k runs, model.TREE_ROWS); 20 cost half
    and scored the same (the forecast 51 CPU s on a busy machine, ROC-AUC 0.760, Brier 0.104),
    each model predicting 4.7k runs (four days of that history) instead of 2.4k. The 30 real
    histories (250 runs each) are far below the window: unchanged."""
    return max(25, runs // (40 if runs <= MAX_TRAIN else 20))


def forecast(
    features: pd.DataFrame,
    kind: ModelKind = "random_forest",
    precision: float = WANTED_PRECISION,
    every: int | None = None,
    pool: pd.DataFrame | None = None,
) -> Forecast:
    """Backtest ``features`` (one repository's run feature rows), choose the threshold for
    ``precision`` on it, and predict the runs that are not finished; ``pool`` (other
    repositories' rows) is trained on too (see :func:`walk_forward`). As in the backtest, a
    live probability is the prior's alone until :data:`MIN_TRAIN` finished runs with both
    outcomes exist, then the model's blended with it (:func:`blend`)."""
    every = every or _refit_every(len(features))
    backtest = walk_forward(features, kind, every=every, pool=pool).rows
    threshold = threshold_for_precision(
        backtest["actual"].to_numpy(), backtest["probability"].to_numpy(), precision
    )
    history = backtest.assign(
        run_attempt=backtest["attempt"],
        backtest=True,
        reasons="",
        predicted=(backtest["probability"] >= threshold).astype(int),
    )
    numeric, categorical = feature_columns(features)
    columns = numeric + categorical
    everything = features if pool is None else pd.concat([features, pool], ignore_index=True)
    decided = everything[everything["failed"].notna()]
    if len(decided) > MAX_TRAIN:  # the most recent finished runs, as in the backtest
        decided = decided.sort_values("updated_at", kind="stable").tail(MAX_TRAIN)
    live = features[features["status"].ne("completed")].copy()  # queued or in progress
    pipeline = None
    probability = prior_probability(live)
    prior_weight, model = 1.0, PRIOR_MODEL
    if decided["failed"].nunique() == 2 and len(decided) >= MIN_TRAIN:
        pipeline = make_model(kind, numeric, categorical, rows=len(decided))
        pipeline.fit(decided[columns], decided["failed"].astype(int))
        prior_weight, model = blend_weight(len(decided)), kind
        if len(live):
            learned = pipeline.predict_proba(live[columns])[:, 1]
            probability = blend(learned, probability, len(decided))
    live_rows = pd.DataFrame(
        {
            "run_id": live["run_id"].to_numpy(),
            "run_attempt": live["attempt"].to_numpy(),
            "created_at": live["created_at"].to_numpy(),
            "probability": probability,
            "predicted": (probability >= threshold).astype(int),
            "actual": np.nan,
            "backtest": False,
            "parrot": live["prev_failed"].to_numpy(),
            "reasons": "",
            "model": model,
        }
    )
    predictions = pd.concat(
        [history.reindex(columns=list(PREDICTION_COLUMNS)), live_rows], ignore_index=True
    )
    return Forecast(kind, threshold, predictions, pipeline, columns, live, prior_weight)
