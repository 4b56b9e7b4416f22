"""The Features section of the Intelligence page: trigger, the feature table, one feature's
distribution, correlation with failure, and the catalogue.

Draws what :mod:`agents.feature_engineering.view` computes; every number comes from there.
"""

from __future__ import annotations

import streamlit as st

from agents.feature_engineering.view import (
    NO_FEATURES_MESSAGE,
    catalogue_table,
    correlation_figure,
    distribution_figure,
    failure_correlations,
    feature_view,
    job_feature_table,
    numeric_features,
)
from pages._shell import PageContext, chart, no_data_yet, table, task_button

__all__ = ["render"]


def render(page: PageContext) -> None:
    """The Features tab, top to bottom: trigger, table, distribution, correlations, catalogue."""
    view = feature_view(page.workspace.store, page.repo)
    left, right = st.columns([1, 4])
    with left:
        task_button(
            page.workspace,
            page.repo,
            "feature_engineering",
            "Feature engineering",
            "Compute features",
            key="features_button",
            primary=not view.computed,
        )
    right.caption(
        "One row per run: when it ran, what its commit changed, how its workflow, branch and "
        "author fared before it, and what it did. Only new or changed runs are computed again."
    )
    if not view.computed:
        no_data_yet(page.workspace, page.repo, NO_FEATURES_MESSAGE)
        with st.expander("Feature catalogue"):
            table(catalogue_table(), "feature catalogue", "feature_catalogue")
        return
    features = view.features
    st.markdown("##### Feature table")
    level = st.segmented_control("One row per", ["run", "job"], default="run", key="feature_level")
    if level == "job":
        jobs = job_feature_table(page.workspace.store, page.repo)
        table(jobs.iloc[::-1], f"{page.repo} job features", "job_features_table", height=320)
    else:
        table(features.iloc[::-1], f"{page.repo} features", "features_table", height=320)
    names = numeric_features(features)
    choice = st.selectbox("Feature", names, index=names.index("duration_s"), key="feature_pick")
    chart(distribution_figure(features, choice), f"{page.repo} {choice}", "feature_hist")
    correlations = failure_correlations(features)
    chart(
        correlation_figure(correlations),
        f"{page.repo} feature correlations",
        "feature_corr",
        data=correlations,
    )
    with st.expander("Feature catalogue"):
        table(catalogue_table(), "feature catalogue", "feature_catalogue")
