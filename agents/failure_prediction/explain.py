"""SHAP explanations of the forest: which features push a run's failure probability up or down.

Why the forest and TreeExplainer: exact Shapley values for trees in polynomial time; the forest
is depth-limited (8), so one run takes milliseconds and the global view (a sample of at most
``GLOBAL_SAMPLE`` runs) a few seconds, where an unlimited forest took minutes. shap is imported
here, where it is used (importing it costs seconds). The values are on the probability scale
of the forest: they explain its probabilities, which the backtest scores as they are.

A live probability is the forest's blended with the prior's
(:mod:`agents.failure_prediction.prior`); its explanation is the two models' values averaged
with the blend's weights (the prior's shares put on the features they are read from), so a
run's values still add up to the probability the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from agents.failure_prediction.backtest import MAX_TRAIN
from agents.failure_prediction.model import feature_columns, make_model
from agents.failure_prediction.prior import prior_contributions
from agents.failure_prediction.shares import probability_shares, sigmoid

__all__ = [
    "Explanation",
    "explain",
    "GLOBAL_SAMPLE",
    "global_explanation",
    "explained_runs",
    "explained_forest",
    "finished_runs",
    "to_document",
    "from_document",
]

GLOBAL_SAMPLE = 500


@dataclass(frozen=True)
class Explanation:
    """SHAP values of some runs: ``values`` (runs x features), the features' values as the
    model saw them (``data``), their names and the model's expected value."""

    values: np.ndarray
    data: pd.DataFrame
    expected: float

    def importance(self) -> pd.DataFrame:
        """Mean absolute SHAP value per feature, largest first."""
        mean = np.abs(self.values).mean(axis=0) if len(self.values) else np.zeros(0)
        frame = pd.DataFrame({"feature": self.data.columns, "importance": mean})
        return frame.sort_values("importance", ascending=False, ignore_index=True)

    def of_run(self, position: int, top: int = 8) -> pd.DataFrame:
        """The ``top`` features that moved one run's probability most, with their values."""
        row = pd.DataFrame(
            {
                "feature": self.data.columns,
                "value": self.data.iloc[position].to_numpy(),
                "shap": self.values[position],
            }
        )
        order = row["shap"].abs().sort_values(ascending=False).index[:top]
        return row.loc[order].reset_index(drop=True)


def explain(
    pipeline,
    rows: pd.DataFrame,
    sample: int | None = None,
    seed: int = 0,
    prior_weight: float = 0.0,
    background: pd.DataFrame | None = None,
) -> Explanation:
    """SHAP values of ``rows`` (feature rows holding the columns the pipeline was fitted on)
    for a fitted tree pipeline (the forest, or the boosted trees), on the probability scale;
    None: the prior alone (``prior_weight`` is then 1). ``sample`` caps how many rows are
    explained. ``prior_weight``: the prior's share of the probabilities explained
    (:attr:`Forecast.prior_weight`); its shares (about ``background``'s mean, feature rows;
    default the rows) join the trees' values with that weight."""
    if sample is not None and len(rows) > sample:
        rows = rows.sample(sample, random_state=seed)
    if pipeline is None:
        values, data, expected = np.zeros((len(rows), 0)), pd.DataFrame(index=range(len(rows))), 0.0
        prior_weight = 1.0
    else:
        values, data, expected = _tree_values(pipeline, rows)
    if prior_weight <= 0:
        return Explanation(values, data, expected)
    shares, shown, prior_expected = prior_contributions(
        rows, rows if background is None else background
    )
    values = values * (1 - prior_weight)
    for column in shares.columns:
        share = shares[column].to_numpy()
        if column not in data.columns:
            if not share.any():
                continue
            data[column] = shown[column].to_numpy(dtype=float)
            values = np.column_stack([values, np.zeros(len(rows))])
        values[:, data.columns.get_loc(column)] += prior_weight * share
    expected = (1 - prior_weight) * expected + prior_weight * prior_expected
    return Explanation(values, data, float(expected))


def _tree_values(pipeline, rows: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, float]:
    """TreeExplainer's values of the rows for the pipeline's trees, the rows as the trees saw
    them, and the expected value, on the probability scale: the forest's are; the boosted
    trees' are log-odds, scaled to each run's probability
    (:func:`agents.failure_prediction.shares.probability_shares`)."""
    import shap

    transform, trees = pipeline.named_steps["features"], pipeline.named_steps["model"]
    columns = list(transform.feature_names_in_)
    names = transform.get_feature_names_out()
    data = pd.DataFrame(transform.transform(rows[columns]), columns=names)
    explainer = shap.TreeExplainer(trees)
    values = np.asarray(explainer.shap_values(data, check_additivity=False))
    if values.ndim == 3:  # (runs, features, classes): the failure class
        values = values[:, :, 1]
    expected = float(np.atleast_1d(explainer.expected_value)[-1])
    if not isinstance(trees, RandomForestClassifier):  # log-odds
        expected = float(sigmoid(expected))
        probability = pipeline.predict_proba(rows[columns])[:, 1]
        values = probability_shares(values, expected, probability)
    return values, data, expected


def finished_runs(features: pd.DataFrame) -> pd.DataFrame:
    """The finished runs an explanation is measured against (the most recent
    :data:`MAX_TRAIN`, as the backtest learns): the forest's sample and the prior's mean."""
    decided = features[features["failed"].notna()]
    if len(decided) > MAX_TRAIN:
        decided = decided.sort_values("updated_at", kind="stable").tail(MAX_TRAIN)
    return decided


def explained_runs(features: pd.DataFrame) -> pd.DataFrame | None:
    """The finished runs the SHAP views sample (:func:`finished_runs`), or None when there are
    too few runs or only one outcome."""
    if features.empty:
        return None
    decided = finished_runs(features)
    if decided["failed"].nunique() < 2 or len(decided) < 30:
        return None
    return decided


def explained_forest(features: pd.DataFrame):
    """A forest fitted on :func:`explained_runs`, with those runs and the feature columns:
    ``(pipeline, decided, columns)``, or None when there are too few runs or only one outcome.

    Only for a live model with no tree explainer: the regression's reasons are a forest's."""
    decided = explained_runs(features)
    if decided is None:
        return None
    numeric, categorical = feature_columns(features)
    columns = numeric + categorical
    pipeline = make_model("random_forest", numeric, categorical, rows=len(decided))
    pipeline.fit(decided[columns], decided["failed"].astype(int))
    return pipeline, decided, columns


def global_explanation(
    features: pd.DataFrame, forest: object | None = None, prior_weight: float = 0.0
) -> tuple[Explanation, pd.DataFrame] | None:
    """SHAP values of every unfinished run (first) and a sample of :data:`GLOBAL_SAMPLE`
    finished ones; the explained runs (``run_id``, ``created_at``) come back too. None when too
    few runs.

    ``forest``: the fitted tree pipeline that produced the live probabilities (the forecast's
    forest or boosted trees, fitted on the same columns). It is explained as it is, so a live
    run's SHAP values add up to the probability the page shows beside them, also when other
    repositories were pooled into its training rows, and no second forest is fitted (seconds
    at 100k runs). ``prior_weight``: the prior's share of the live probabilities
    (:attr:`Forecast.prior_weight`), explained with it. No ``forest`` and a share for a learned
    model (the regression's): a forest is fitted here (:func:`explained_forest`); no
    ``forest`` and the prior's alone: the prior is explained."""
    if forest is None and prior_weight < 1:
        fitted = explained_forest(features)
        if fitted is None:
            return None
        forest, decided, _columns = fitted
    else:
        decided = explained_runs(features)
        if decided is None:
            return None
    live = features[features["status"].ne("completed")]
    rest = decided.sample(min(GLOBAL_SAMPLE, len(decided)), random_state=0)
    rows = pd.concat([live, rest], ignore_index=True)
    explanation = explain(forest, rows, prior_weight=prior_weight, background=decided)
    return explanation, rows[["run_id", "created_at"]]


def to_document(explanation: Explanation, rows: pd.DataFrame) -> dict:
    """The explanation as a JSON document, for the store (the page reads it as it is)."""
    return {
        "expected": explanation.expected,
        "features": [str(c) for c in explanation.data.columns],
        "values": np.round(explanation.values.astype(float), 6).tolist(),
        "data": explanation.data.astype(float).round(6).to_numpy().tolist(),
        "run_id": [int(r) for r in rows["run_id"]],
        "created_at": [str(c) for c in rows["created_at"]],
    }


def from_document(document: dict) -> tuple[Explanation, pd.DataFrame]:
    """The explanation and its runs (``run_id``, ``created_at``) back from :func:`to_document`."""
    columns = list(document["features"])
    values = np.array(document["values"], dtype=float).reshape(-1, len(columns))
    data = pd.DataFrame(
        np.array(document["data"], dtype=float).reshape(-1, len(columns)), columns=columns
    )
    rows = pd.DataFrame({"run_id": document["run_id"], "created_at": document["created_at"]})
    return Explanation(values, data, float(document["expected"])), rows
