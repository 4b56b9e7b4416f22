"""The prior every repository starts from: a small logistic model with fixed weights on seven
features that mean the same in every CI system (six of a run's history, one of its event),
blended with the learned model while that model has learned from few runs.

Why: a model learned from one repository's few hundred runs ranks failures worse than the
history itself says. Measured on the 30 real Travis CI histories of the dev set (250 builds
each, ``python bench/prediction_bench.py --own-only``): the forest trained on a project's own
earlier runs scored a pooled ROC-AUC of 0.742 (the parrot: 0.712) and beat the parrot on half
the projects; these seven weights alone, fitted once on half A's fifteen projects
(``--fit-prior`` prints them again), score 0.79 on A and 0.82 on B, the half they never saw,
from a repository's first run. The prior's weight falls as the learned model's training runs
grow (:func:`blend`): a repository with thousands of runs, or a store pooling many
repositories (:func:`agents.failure_prediction.backtest.walk_forward`), is mostly its model.

The features (all ``known_before_run`` in the catalogue): failures of the same change (its
pull request, else its branch) since its last green run, that change's and that branch's
failure share over their last 10 runs, whether the change's previous run failed, failures of
the workflow since its last green run, whether this is the change's first run, and whether the
run builds a pull request. Nothing tied to one repository's names or formats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agents.failure_prediction.shares import probability_shares, sigmoid

__all__ = [
    "PRIOR_FEATURES",
    "PRIOR_MODEL",
    "PRIOR_RUNS",
    "PRIOR_SOURCES",
    "PRIOR_WEIGHTS",
    "blend",
    "blend_weight",
    "prior_contributions",
    "prior_inputs",
    "prior_probability",
]

PRIOR_MODEL = "prior"  # the model named on a prediction the prior made alone

# The failure share assumed where a repository has no finished run yet (about the dev set's).
_UNKNOWN_SHARE = 0.3
_WORKFLOW_RATE = "wf_fail_rate_10"

# Fitted by ``python bench/prediction_bench.py --fit-prior`` (scikit-learn's
# LogisticRegression, C=0.1, on every decided run of dev half A), rounded.
PRIOR_WEIGHTS: dict[str, float] = {
    "change_fails": 0.44,
    "change_rate": 0.39,
    "branch_rate": 0.75,
    "change_prev": 0.65,
    "workflow_fails": 0.53,
    "new_change": 0.62,
    "pull_request": 0.43,
}
PRIOR_INTERCEPT = -2.42
# Where an explanation puts each input's share: the model's column for the catalogue feature
# it is read from (the one-hot encoder names an event's column ``event_<name>``).
PRIOR_SOURCES: dict[str, str] = {
    "change_fails": "change_fails_since_green",
    "change_rate": "change_fail_rate_10",
    "branch_rate": "branch_fail_rate_10",
    "change_prev": "change_prev_failed",
    "workflow_fails": "fails_since_green",
    "new_change": "change_prior_runs",
    "pull_request": "event_pull_request",
}
# Every catalogue feature the prior reads (a test checks each is known before the run).
PRIOR_FEATURES = (
    "change_fails_since_green",
    "change_fail_rate_10",
    "branch_fail_rate_10",
    "change_prev_failed",
    "fails_since_green",
    "change_prior_runs",
    "wf_fail_rate_10",
    "event",
)

# Training runs at which the learned model and the prior weigh the same. On the dev
# histories (own runs only, at most 250 each) 300 scored as the prior alone (0.809 pooled
# ROC-AUC) where 100 lost 0.011. On the demo (2.2k generated runs, failures planted on file
# changes the prior does not read) 300 scored 0.728 over the whole backtest (the forest alone
# 0.704, the prior alone 0.726) and 0.712 over its second half (0.715 and 0.692): a repository
# with thousands of runs is then mostly its own model.
PRIOR_RUNS = 300


def _column(features: pd.DataFrame, name: str) -> pd.Series:
    if name in features:
        return pd.to_numeric(features[name], errors="coerce")
    return pd.Series(np.nan, index=features.index, dtype=float)


def prior_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """The prior's seven inputs from feature rows (missing history filled as the first run of
    a change or a workflow reads: no failures, the workflow's share, else an average one)."""
    workflow_rate = _column(features, _WORKFLOW_RATE).fillna(_UNKNOWN_SHARE)
    workflow_fails = _column(features, "fails_since_green").fillna(0).clip(0, 50)
    change_fails = _column(features, "change_fails_since_green")
    first_of_change = change_fails.isna() | _column(features, "change_prior_runs").fillna(0).eq(0)
    event = (
        features["event"].astype(str)
        if "event" in features
        else pd.Series("", index=features.index)
    )
    return pd.DataFrame(
        {
            "change_fails": np.log1p(change_fails.fillna(0).clip(0, 20)),
            "change_rate": _column(features, "change_fail_rate_10").fillna(workflow_rate),
            "branch_rate": _column(features, "branch_fail_rate_10").fillna(workflow_rate),
            "change_prev": _column(features, "change_prev_failed").fillna(0),
            "workflow_fails": np.log1p(workflow_fails),
            "new_change": first_of_change.astype(float),
            "pull_request": event.eq("pull_request").astype(float),
        },
        index=features.index,
    )


def prior_probability(features: pd.DataFrame) -> np.ndarray:
    """The prior's failure probability of each feature row."""
    return _probability(prior_inputs(features))


def _probability(inputs: pd.DataFrame) -> np.ndarray:
    """The prior's probability from its inputs (:func:`prior_inputs`)."""
    return sigmoid(PRIOR_INTERCEPT + inputs.to_numpy(dtype=float) @ _weights(inputs))


def _weights(inputs: pd.DataFrame) -> np.ndarray:
    return np.array([PRIOR_WEIGHTS[name] for name in inputs.columns])


def blend_weight(trained_on: int) -> float:
    """The prior's weight beside a model that learned from ``trained_on`` finished runs (its
    repository's, and the other repositories' it was pooled with); the model weighs the rest."""
    return PRIOR_RUNS / (trained_on + PRIOR_RUNS)


def blend(learned: np.ndarray, prior: np.ndarray, trained_on: int) -> np.ndarray:
    """The learned model's and the prior's probabilities averaged, the prior weighing
    :func:`blend_weight`: what the runs the model learned from say against what every
    repository's history says. A plain average of probabilities (a logit average scored the
    same on the dev histories) so that an explanation stays additive: the blend's SHAP values
    are the two models' values averaged with the same weights."""
    weight = blend_weight(trained_on)
    return (1 - weight) * np.asarray(learned, dtype=float) + weight * np.asarray(prior, dtype=float)


# Inputs read from the workflow's share where their own feature is missing (no run of the
# branch or the change yet): explained as the workflow's there, as they were read.
_STAND_IN = frozenset({"change_rate", "branch_rate"})


def prior_contributions(
    rows: pd.DataFrame, background: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """How each of the prior's inputs moved each row's probability from the prior's expected
    one (its probability at the mean inputs of ``background``, feature rows; the rows' own when
    it is empty): ``(shares, values, expected)``, both frames with a column per feature the
    inputs are read from, named as the model's (:data:`PRIOR_SOURCES`, and
    ``wf_fail_rate_10`` where the workflow's share stood in for a branch's or a change's),
    ``values`` the rows' values of those features (NaN where a row has none). A row's shares add
    up to its probability less the expected one.

    Why not shap's exact explainer: it took a second for one run (seven inputs) where the page
    asks for well under one. For a logistic model each input's share of the log-odds is exact
    (weight x distance from the mean input), scaled to the probability by
    :func:`agents.failure_prediction.shares.probability_shares`."""
    inputs = prior_inputs(rows)
    weights = _weights(inputs)
    reference = background if len(background) else rows
    centre = prior_inputs(reference).to_numpy(dtype=float).mean(axis=0)
    if not len(centre) or np.isnan(centre).any():
        centre = np.zeros(len(weights))
    expected = float(sigmoid(PRIOR_INTERCEPT + centre @ weights))
    log_odds = (inputs.to_numpy(dtype=float) - centre) * weights  # rows x inputs
    shared = probability_shares(log_odds, expected, _probability(inputs))
    shares = pd.DataFrame(0.0, index=rows.index, columns=[*PRIOR_SOURCES.values(), _WORKFLOW_RATE])
    values = pd.DataFrame(index=rows.index, columns=shares.columns, dtype=float)
    for position, name in enumerate(inputs.columns):
        column = PRIOR_SOURCES[name]
        share = shared[:, position]
        if name in _STAND_IN:  # read from the workflow where the row has no value of its own
            stood_in = _column(rows, column).isna().to_numpy()
            shares[_WORKFLOW_RATE] += np.where(stood_in, share, 0.0)
            share = np.where(stood_in, 0.0, share)
        shares[column] += share
        values[column] = inputs[name] if name == "pull_request" else _column(rows, column)
    values[_WORKFLOW_RATE] = _column(rows, _WORKFLOW_RATE)
    return shares, values, expected
