"""The prior of Failure Prediction: every repository is predicted from its first run, with
features known before the run only, and the prior gives way to what the repository's own runs
teach as they accumulate; its explanation adds up like the forest's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.failure_prediction.backtest import MIN_TRAIN
from agents.failure_prediction.explain import explain
from agents.failure_prediction.forecast import forecast
from agents.failure_prediction.prior import (
    PRIOR_FEATURES,
    PRIOR_MODEL,
    PRIOR_RUNS,
    blend,
    blend_weight,
    prior_contributions,
    prior_probability,
)
from agents.failure_prediction.reasons import reasons_in_words
from agents.feature_engineering.build import run_features
from core.features.catalogue import KNOWN_BEFORE_RUN
from tests.unit.test_features import synthetic_inputs


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return run_features(synthetic_inputs(runs=240, seed=8))


def test_the_prior_reads_only_features_known_before_the_run(features):
    assert set(PRIOR_FEATURES) <= set(KNOWN_BEFORE_RUN)
    only_those = features[list(PRIOR_FEATURES)]
    assert prior_probability(only_those) == pytest.approx(prior_probability(features))


def test_a_repositorys_very_first_run_gets_a_probability():
    first = pd.DataFrame({"run_id": [1], "event": ["push"]})  # no history at all yet

    probability = prior_probability(first)

    assert 0.0 < probability[0] < 1.0


def test_each_failure_of_the_change_since_its_last_green_run_raises_the_probability():
    rows = pd.DataFrame(
        {
            "change_fails_since_green": [0, 1, 2, 4],
            "change_prior_runs": [5, 5, 5, 5],
            "event": ["pull_request"] * 4,
        }
    )

    probability = prior_probability(rows)

    assert np.all(np.diff(probability) > 0)


def test_the_prior_weighs_most_while_a_repositorys_own_history_is_short():
    assert blend_weight(0) == 1.0
    assert blend_weight(PRIOR_RUNS) == pytest.approx(0.5)
    assert blend_weight(100_000) < 0.01
    learned, prior = np.array([0.9]), np.array([0.1])
    assert blend(learned, prior, 0) == pytest.approx(prior)
    assert blend(learned, prior, PRIOR_RUNS) == pytest.approx([0.5])


def test_the_priors_shares_add_up_to_its_probability(features):
    shares, values, expected = prior_contributions(features, features)

    added_up = expected + shares.sum(axis=1).to_numpy()

    assert added_up == pytest.approx(prior_probability(features), abs=1e-9)
    assert list(values.columns) == list(shares.columns)


def test_a_run_predicted_by_the_prior_alone_is_explained_in_words(features):
    rows = features.head(5)
    explanation = explain(None, rows, prior_weight=1.0, background=features)

    added_up = explanation.expected + explanation.values.sum(axis=1)

    assert added_up == pytest.approx(prior_probability(rows), abs=1e-9)
    assert all(reasons_in_words(explanation.of_run(i)) for i in range(len(rows)))


def test_a_repository_too_young_to_learn_from_is_forecast_by_the_prior(features):
    young = features.head(MIN_TRAIN // 2).copy()
    young.loc[young.index[-2:], ["status", "failed"]] = ["in_progress", np.nan]

    result = forecast(young)

    assert result.pipeline is None and result.prior_weight == 1.0
    live = result.predictions[~result.predictions["backtest"].astype(bool)]
    assert len(live) == 2 and set(live["model"]) == {PRIOR_MODEL}
    assert live["probability"].to_numpy() == pytest.approx(prior_probability(young.tail(2)))


def test_a_rate_the_workflow_stood_in_for_is_explained_as_the_workflows():
    """A branch with no finished run yet: the prior reads the workflow's failure share in its
    place, and the reasons say so instead of "this branch failed 0 of its last 10 runs"."""
    rows = pd.DataFrame(
        {
            "branch_fail_rate_10": [np.nan, 0.1],
            "change_fail_rate_10": [np.nan, 0.1],
            "wf_fail_rate_10": [0.9, 0.9],
            "event": ["push", "push"],
        }
    )
    background = pd.DataFrame({"wf_fail_rate_10": [0.1] * 5, "event": ["push"] * 5})

    shares, values, _expected = prior_contributions(rows, background)

    assert shares.loc[0, "branch_fail_rate_10"] == 0 and shares.loc[0, "wf_fail_rate_10"] > 0
    assert shares.loc[1, "wf_fail_rate_10"] == 0  # the branch's own share was read
    assert np.isnan(values.loc[0, "branch_fail_rate_10"])
    explanation = explain(None, rows, background=background)
    assert "the workflow failed 9 of its last 10 runs" in reasons_in_words(explanation.of_run(0))
    assert "this branch failed" not in reasons_in_words(explanation.of_run(0))


def test_with_no_finished_run_to_compare_with_the_prior_is_still_explained():
    rows = pd.DataFrame({"change_fails_since_green": [2.0], "event": ["pull_request"]})

    shares, _values, expected = prior_contributions(rows, rows.iloc[:0])

    assert np.isfinite(expected) and np.isfinite(shares.to_numpy()).all()
    assert expected + shares.sum(axis=1).iloc[0] == pytest.approx(prior_probability(rows)[0])


def test_a_model_pooled_from_other_repositories_predicts_a_new_ones_runs(features):
    """A repository with a few runs in a store with others: the model learned from the others'
    runs predicts with them, the prior weighing by how many runs that model learned from."""
    young = features.head(MIN_TRAIN // 2).copy()
    young.loc[young.index[-2:], ["status", "failed"]] = ["in_progress", np.nan]
    pool = run_features(synthetic_inputs(runs=240, seed=9))

    result = forecast(young, pool=pool)

    assert result.pipeline is not None and result.prior_weight < 0.6
    live = result.predictions[~result.predictions["backtest"].astype(bool)]
    assert set(live["model"]) == {"random_forest"}


@pytest.mark.parametrize("kind", ["random_forest", "gradient_boosting"])
def test_a_live_runs_explanation_adds_up_to_its_blended_probability(features, kind):
    from agents.failure_prediction.explain import finished_runs

    runs = features.copy()
    runs.loc[runs.index[-3:], ["status", "failed"]] = ["in_progress", np.nan]
    result = forecast(runs, kind, every=60)
    assert 0 < result.prior_weight < 1

    why = explain(
        result.pipeline, result.live, prior_weight=result.prior_weight,
        background=finished_runs(runs),
    )  # fmt: skip

    live = result.predictions[~result.predictions["backtest"].astype(bool)]
    added_up = why.expected + why.values.sum(axis=1)
    assert added_up == pytest.approx(live["probability"].to_numpy(), abs=1e-6)
