"""What the Feature Engineering section shows: the stored feature table, the catalogue, one
feature's distribution by outcome and how the features known before a run move with failure.

Pure read model and plotly figures; the page section only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from agents.feature_engineering.jobs import job_features
from core.features.catalogue import CATALOGUE, CATEGORICAL, KNOWN_BEFORE_RUN
from core.presentation.style import PALETTE, empty_figure, house_layout
from core.store.db import Store
from core.store.features import job_rows, load_run_features

__all__ = [
    "FeatureView",
    "feature_view",
    "catalogue_table",
    "job_feature_table",
    "numeric_features",
    "distribution_figure",
    "failure_correlations",
    "correlation_figure",
]

NO_FEATURES_MESSAGE = "No feature table yet: press Compute features (runs must be synced first)."


@dataclass(frozen=True)
class FeatureView:
    repo: str
    features: pd.DataFrame  # one row per run, oldest first

    @property
    def computed(self) -> bool:
        return not self.features.empty


def feature_view(store: Store, repo: str) -> FeatureView:
    return FeatureView(repo, load_run_features(store, repo))


def job_feature_table(store: Store, repo: str) -> pd.DataFrame:
    """The per-job feature table of ``repo`` (computed on demand: it is cheap and not sent)."""
    repo_id = store.repo_id(repo)
    return (
        job_features(job_rows(store, repo_id))
        if repo_id is not None
        else job_features(pd.DataFrame())
    )


def catalogue_table() -> pd.DataFrame:
    """The catalogue as a table for the page (the same text as docs/features.md)."""
    return pd.DataFrame(
        {
            "Feature": [f.name for f in CATALOGUE],
            "Group": [f.group for f in CATALOGUE],
            "Unit": [f.unit for f in CATALOGUE],
            "Known before the run": [f.known_before_run for f in CATALOGUE],
            "Definition": [f.definition for f in CATALOGUE],
        }
    )


def numeric_features(features: pd.DataFrame) -> list[str]:
    """Catalogue features with numbers (the categorical ones are text)."""
    return [f.name for f in CATALOGUE if f.name not in CATEGORICAL and f.name in features]


def distribution_figure(features: pd.DataFrame, name: str) -> go.Figure:
    """Histogram of one feature, failed and successful runs overlaid."""
    title = f"{name}: failed and successful runs"
    if features.empty or name not in features:
        return empty_figure(title, "No runs.")
    fig = go.Figure()
    for label, wanted, colour in (("success", 0.0, PALETTE[0]), ("failed", 1.0, "#e03131")):
        values = pd.to_numeric(features.loc[features["failed"] == wanted, name], errors="coerce")
        fig.add_histogram(
            x=values.dropna(), name=label, marker_color=colour, opacity=0.65, histnorm="percent"
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title=name)
    return house_layout(fig, title, "% of runs")


def failure_correlations(features: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlation of every numeric known-before-run feature with failure, strongest
    first (rank correlation: robust to the heavy tails of durations and churn)."""
    names = [n for n in numeric_features(features) if n in KNOWN_BEFORE_RUN]
    decided = features[features["failed"].notna()]
    if decided.empty or not names:
        return pd.DataFrame(columns=["feature", "correlation", "runs"])
    numbers = decided[names].apply(pd.to_numeric, errors="coerce")
    ranks = numbers.rank()
    target = decided["failed"].astype(float).rank()
    correlation = ranks.corrwith(target)
    out = pd.DataFrame(
        {
            "feature": names,
            "correlation": correlation.to_numpy(),
            "runs": numbers.notna().sum().to_numpy(),
        }
    )
    out = out[out["correlation"].notna()]
    return out.reindex(out["correlation"].abs().sort_values(ascending=False).index).reset_index(
        drop=True
    )


def correlation_figure(correlations: pd.DataFrame, top: int = 15) -> go.Figure:
    """Bars of the features most correlated with failure (known before the run only)."""
    title = "Features known before a run, by rank correlation with its failure"
    if correlations.empty:
        return empty_figure(title, "Not enough finished runs yet.")
    shown = correlations.head(top).iloc[::-1]
    colours = np.where(shown["correlation"] > 0, "#e03131", PALETTE[0])
    fig = go.Figure(
        go.Bar(
            x=shown["correlation"],
            y=shown["feature"],
            orientation="h",
            marker_color=colours,
            hovertemplate="%{y}: %{x:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="Spearman correlation with failure", range=[-1, 1])
    fig.update_yaxes(automargin=True)
    return house_layout(fig, title, "", height=max(280, 26 * len(shown) + 110))
