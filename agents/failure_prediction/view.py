"""What the Failure Prediction section shows: runs at risk now, the backtest next to the parrot
(ROC and precision-recall curves, calibration, confusion at the threshold) and SHAP's global and
per-run views, as plotly figures.

Pure read model; the page section only draws it. The backtest rows come from the store (the
agent wrote them); SHAP needs the fitted forest, refitted here on every finished run.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.metrics import precision_recall_curve, roc_curve

from agents.failure_prediction.agent import EXPLANATION, FailurePrediction
from agents.failure_prediction.explain import Explanation, from_document
from agents.failure_prediction.metrics import Scores, calibration, score
from core.presentation.style import PALETTE, empty_figure, house_layout
from core.store.artifacts import load_artifact
from core.store.db import Store
from core.store.findings import load_findings

__all__ = [
    "PredictionView",
    "prediction_view",
    "curves_figure",
    "calibration_figure",
    "confusion_table",
    "stored_explanation",
    "importance_figure",
    "beeswarm_figure",
    "waterfall_figure",
    "NO_PREDICTIONS_MESSAGE",
]

NO_PREDICTIONS_MESSAGE = (
    "No predictions yet: press Predict failures (features must be computed first)."
)
_PARROT = "#868e96"


def _label(text: str) -> str:
    """Feature names carry workflow and event names (one-hot columns): plotly draws HTML in
    labels, so they are escaped."""
    return html.escape(str(text))


@dataclass(frozen=True)
class PredictionView:
    repo: str
    predictions: pd.DataFrame

    @property
    def predicted(self) -> bool:
        return not self.predictions.empty

    @property
    def backtest(self) -> pd.DataFrame:
        rows = self.predictions
        return rows[rows["backtest"].astype(bool) & rows["parrot"].notna()]

    @property
    def at_risk(self) -> pd.DataFrame:
        """Runs not finished yet, the likeliest to fail first."""
        live = self.predictions[~self.predictions["backtest"].astype(bool)]
        return live.sort_values("probability", ascending=False)

    def scores(self, threshold: float) -> tuple[Scores, Scores]:
        """(model, parrot) on the same backtest rows."""
        rows = self.backtest
        return (
            score(rows["actual"], rows["probability"], threshold),
            score(rows["actual"], rows["parrot"], 0.5),
        )


def prediction_view(store: Store, repo: str) -> PredictionView:
    found = load_findings(store, repo, "failure_prediction")
    return PredictionView(repo, found)


def curves_figure(rows: pd.DataFrame, kind: str) -> go.Figure:
    """ROC (``kind='roc'``) or precision-recall curves of the model and the parrot."""
    title = "ROC curve" if kind == "roc" else "Precision-recall curve"
    if rows.empty or rows["actual"].nunique() < 2:
        return empty_figure(title, "Not enough backtest rows yet.")
    fig = go.Figure()
    for name, column, colour in (
        ("model", "probability", PALETTE[0]),
        ("parrot (previous run)", "parrot", _PARROT),
    ):
        if kind == "roc":
            x, y, _ = roc_curve(rows["actual"], rows[column])
        else:
            y, x, _ = precision_recall_curve(rows["actual"], rows[column])
        fig.add_scatter(x=x, y=y, mode="lines", name=name, line_color=colour)
    labels = (
        ("false positive rate", "true positive rate") if kind == "roc" else ("recall", "precision")
    )
    fig.update_xaxes(title=labels[0], range=[0, 1])
    return house_layout(fig, title, labels[1])


def calibration_figure(rows: pd.DataFrame) -> go.Figure:
    """Predicted probability against the observed failure share, the diagonal is perfect."""
    title = "Calibration: does a 30% fail 30% of the time?"
    curve = (
        calibration(rows["actual"].to_numpy(), rows["probability"].to_numpy())
        if len(rows)
        else pd.DataFrame()
    )
    if curve.empty:
        return empty_figure(title, "Not enough backtest rows yet.")
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="perfect", line_dash="dot", line_color=_PARROT
    )
    fig.add_scatter(
        x=curve["predicted"],
        y=curve["observed"],
        mode="lines+markers",
        name="model",
        line_color=PALETTE[0],
    )
    fig.update_xaxes(title="predicted probability", range=[0, 1])
    return house_layout(fig, title, "observed failure share")


def confusion_table(rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    predicted = rows["probability"] >= threshold
    actual = rows["actual"].astype(int) == 1
    return (
        pd.DataFrame(
            {
                "predicted to fail": [
                    int((predicted & actual).sum()),
                    int((predicted & ~actual).sum()),
                ],
                "predicted to pass": [
                    int((~predicted & actual).sum()),
                    int((~predicted & ~actual).sum()),
                ],
            },
            index=["failed", "passed"],
        )
        .rename_axis("actual")
        .reset_index()
    )


def stored_explanation(store: Store, repo: str) -> tuple[Explanation, pd.DataFrame] | None:
    """The SHAP explanation the last prediction run stored (explained runs: ``run_id``,
    ``created_at``), or None before one ran or when it had too few runs to explain."""
    repo_id = store.repo_id(repo)
    agent = FailurePrediction.name
    stored = None if repo_id is None else load_artifact(store, repo_id, agent, EXPLANATION)
    return None if stored is None else from_document(stored[1])


def importance_figure(explanation: Explanation, top: int = 15) -> go.Figure:
    importance = explanation.importance().head(top).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=importance["importance"],
            y=[_label(f) for f in importance["feature"]],
            orientation="h",
            marker_color=PALETTE[0],
        )
    )
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(title="mean |SHAP value| (probability)")
    return house_layout(
        fig,
        "What the model looks at (SHAP, global)",
        "",
        height=max(300, 24 * len(importance) + 110),
    )


def beeswarm_figure(explanation: Explanation, top: int = 12) -> go.Figure:
    """One dot per run and feature: its SHAP value, coloured by the feature's value."""
    names = explanation.importance()["feature"].head(top).tolist()[::-1]
    fig = go.Figure()
    rng = np.random.default_rng(0)
    for position, name in enumerate(names):
        column = list(explanation.data.columns).index(name)
        values = explanation.data[name].astype(float)
        spread = values.max() - values.min()
        colour = (values - values.min()) / spread if spread > 0 else values * 0
        fig.add_trace(
            go.Scattergl(
                x=explanation.values[:, column],
                y=position + rng.uniform(-0.3, 0.3, len(values)),
                mode="markers",
                marker={
                    "size": 4,
                    "color": colour,
                    "colorscale": "RdBu_r",
                    "showscale": position == 0,
                    "cmin": 0,
                    "cmax": 1,
                    "colorbar": {"title": "feature value", "tickvals": []},
                },
                name=name,
                showlegend=False,
                hovertemplate=f"{_label(name)}: %{{x:.3f}}<extra></extra>",
            )
        )
    fig.update_yaxes(
        tickvals=list(range(len(names))), ticktext=[_label(n) for n in names], automargin=True
    )
    fig.update_xaxes(title="SHAP value (effect on the failure probability)")
    return house_layout(
        fig, "Each run's SHAP values (beeswarm)", "", height=max(320, 28 * len(names) + 120)
    )


def waterfall_figure(explanation: Explanation, position: int, label: str) -> go.Figure:
    """How one run's probability is built from the model's average, feature by feature."""
    top = explanation.of_run(position, top=10).iloc[::-1]
    text = [
        _label(f"{f} = {v:.3g}" if isinstance(v, float) else f"{f} = {v}")
        for f, v in zip(top["feature"], top["value"], strict=True)
    ]
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=text,
            x=top["shap"],
            base=explanation.expected,
            measure=["relative"] * len(top),
            increasing={"marker": {"color": "#e03131"}},
            decreasing={"marker": {"color": PALETTE[0]}},
        )
    )
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(title=f"failure probability (model average {explanation.expected:.2f})")
    return house_layout(fig, f"Why {label}", "", height=420)
