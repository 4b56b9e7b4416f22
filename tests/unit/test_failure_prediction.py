"""Failure Prediction: honest by construction, scored next to the parrot, explained.

Specification (issue 16): the backtest never uses a run's own outcome or any later run (shuffle
the outcomes and durations of a run and of every later run: its prediction is identical); only
features known before a run reach the model; a run's reasons are words, not column names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.failure_prediction.backtest import MAX_TRAIN, MIN_TRAIN, walk_forward
from agents.failure_prediction.forecast import PREDICTION_COLUMNS, _refit_every, forecast
from agents.failure_prediction.metrics import score, threshold_for_precision
from agents.failure_prediction.model import TREE_ROWS, feature_columns, make_model
from agents.failure_prediction.prior import PRIOR_MODEL, prior_probability
from agents.failure_prediction.reasons import reasons_in_words
from agents.feature_engineering.build import run_features
from core.features.catalogue import KNOWN_BEFORE_RUN
from tests.unit.test_features import _what_runs_did_shuffled, synthetic_inputs


@pytest.fixture(scope="module")
def inputs():
    return synthetic_inputs(runs=240, seed=8)


def test_only_features_known_before_the_run_reach_the_model(inputs):
    features = run_features(inputs)
    numeric, categorical = feature_columns(features)
    assert set(numeric + categorical) <= set(KNOWN_BEFORE_RUN)
    assert "duration_s" not in numeric and "failed_jobs" not in numeric


@pytest.mark.parametrize("first", [5, MIN_TRAIN + 10, 150, 230])  # 5: the prior's alone
def test_a_prediction_ignores_the_run_itself_and_every_later_run(inputs, first):
    before = walk_forward(run_features(inputs), every=20).rows.set_index("run_id")
    run = int(inputs.runs["run_id"].iloc[first])

    shuffled = _what_runs_did_shuffled(inputs, first, seed=1)
    after = walk_forward(run_features(shuffled), every=20).rows.set_index("run_id")

    assert before.loc[run, "probability"] == pytest.approx(after.loc[run, "probability"])
    # and the check can fail: later runs' actual outcomes did change
    assert not np.array_equal(
        before.loc[before.index > run, "actual"], after.loc[after.index > run, "actual"]
    )


def test_the_backtest_predicts_every_decided_run_the_first_ones_by_the_prior_alone(inputs):
    features = run_features(inputs)
    rows = walk_forward(features, every=25).rows
    decided = features[features["failed"].notna()]
    assert len(rows) == len(decided)
    assert rows["probability"].between(0, 1).all()
    first = rows.head(MIN_TRAIN)  # too few finished runs before them to learn from
    assert set(first["model"]) == {PRIOR_MODEL}
    assert first["probability"].to_numpy() == pytest.approx(
        prior_probability(decided.head(MIN_TRAIN))
    )
    assert set(rows["model"].iloc[-25:]) == {"random_forest"}


def test_predictions_csv_has_the_contract_columns_and_marks_the_backtest(inputs):
    features = run_features(inputs)
    features.loc[features.index[-3:], ["status", "failed"]] = ["in_progress", np.nan]
    result = forecast(features, every=40)
    frame = result.predictions
    assert tuple(frame.columns[:7]) == (
        "run_id",
        "run_attempt",
        "created_at",
        "probability",
        "predicted",
        "actual",
        "backtest",
    )
    assert tuple(frame.columns) == PREDICTION_COLUMNS
    live = frame[~frame["backtest"].astype(bool)]
    assert len(live) == 3 and live["actual"].isna().all()


def test_the_threshold_reaches_the_wanted_precision():
    actual = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    probability = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9])
    threshold = threshold_for_precision(actual, probability, 0.75)
    assert score(actual, probability, threshold).precision >= 0.75


def test_reasons_are_words():
    top = pd.DataFrame(
        {
            "feature": ["branch_fail_rate_10", "workflow_CI", "workflow_Lint", "churn"],
            "value": [0.4, 1.0, 0.0, 120.0],
            "shap": [0.2, 0.1, 0.05, -0.1],
        }
    )
    assert reasons_in_words(top) == "this branch failed 4 of its last 10 runs; workflow is CI"


def test_reasons_count_runs_in_the_singular_and_the_plural():
    top = pd.DataFrame(
        {
            "feature": ["change_fails_since_green", "fails_since_green", "change_prior_runs"],
            "value": [1.0, 3.0, 0.0],
            "shap": [0.3, 0.2, 0.1],
        }
    )
    assert reasons_in_words(top) == (
        "1 failed run of this change since its last green one; "
        "3 failed runs since the last green one; the first run of this change"
    )


def test_the_shap_explanation_survives_the_store_as_it_was_computed(inputs):
    """The agent explains the model in the background and stores it; the page draws the stored
    document: the same values, features and runs come back."""
    import json

    from agents.failure_prediction.explain import from_document, global_explanation, to_document

    features = run_features(inputs)
    explained = global_explanation(features)
    assert explained is not None
    explanation, runs = explained
    back, back_runs = from_document(json.loads(json.dumps(to_document(explanation, runs))))
    assert list(back.data.columns) == list(explanation.data.columns)
    assert np.allclose(back.values, explanation.values, atol=1e-5)
    assert back_runs["run_id"].tolist() == runs["run_id"].tolist()
    assert back.of_run(0)["feature"].tolist() == explanation.of_run(0)["feature"].tolist()


def test_the_shap_views_explain_the_blend_that_gave_the_live_probabilities(inputs):
    """Pooled with another repository, the live forest differs from one fitted on this
    repository's runs alone, and a live probability is that forest's blended with the prior;
    the agent hands the forecast's forest and the prior's weight to the SHAP views, so each
    live run's values add up to the probability it was given (no second forest)."""
    from agents.failure_prediction.explain import global_explanation

    features = run_features(inputs)
    features.loc[features.index[-3:], ["status", "failed"]] = ["in_progress", np.nan]
    pool = run_features(synthetic_inputs(runs=240, seed=9))
    result = forecast(features, every=40, pool=pool)
    assert 0 < result.prior_weight < 1  # both models have a share
    explained = global_explanation(features, result.pipeline, result.prior_weight)
    assert explained is not None
    explanation, runs = explained
    live = result.predictions[~result.predictions["backtest"].astype(bool)]
    assert runs["run_id"].head(3).tolist() == live["run_id"].tolist()
    added_up = explanation.expected + explanation.values[:3].sum(axis=1)
    assert added_up == pytest.approx(live["probability"].to_numpy(), abs=1e-6)


@pytest.mark.parametrize(
    "rows, per_tree", [(None, 0.5), (2 * TREE_ROWS, 0.5), (2 * TREE_ROWS + 1, TREE_ROWS)]
)
def test_a_forests_trees_learn_from_half_the_runs_up_to_a_ceiling(rows, per_tree):
    pipeline = make_model("random_forest", ["duration"], [], rows=rows)

    assert pipeline.named_steps["model"].max_samples == per_tree


@pytest.mark.parametrize(
    "runs, every", [(250, 25), (MAX_TRAIN, MAX_TRAIN // 40), (4 * MAX_TRAIN, 4 * MAX_TRAIN // 20)]
)
def test_the_backtest_refits_about_40_times_and_20_past_the_training_window(runs, every):
    assert _refit_every(runs) == every
