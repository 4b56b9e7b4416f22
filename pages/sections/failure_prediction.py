"""The Predictions section of the Intelligence page: model and precision controls, runs at risk
now with their reasons, the backtest next to the parrot, and SHAP's global and per-run views.

Draws what :mod:`agents.failure_prediction.view` computes. Reasons quote workflow and branch
names, so they are drawn in tables (plain text), never as markdown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agents.failure_prediction.metrics import threshold_for_precision
from agents.failure_prediction.model import MODELS
from agents.failure_prediction.view import (
    NO_PREDICTIONS_MESSAGE,
    beeswarm_figure,
    calibration_figure,
    confusion_table,
    curves_figure,
    importance_figure,
    prediction_view,
    stored_explanation,
    waterfall_figure,
)
from pages._shell import PageContext, chart, no_data_yet, table, task_button

__all__ = ["render"]

TEXT = st.column_config.TextColumn
PERCENT = st.column_config.NumberColumn


def render(page: PageContext) -> None:
    """The Predictions tab, top to bottom: controls, at risk, backtest, SHAP."""
    store = page.workspace.store
    view = prediction_view(store, page.repo)
    left, middle, right = st.columns([1, 1, 1])
    model = middle.selectbox(
        "Model", MODELS, key="prediction_model", format_func=lambda m: m.replace("_", " ")
    )
    precision = right.slider(
        "Wanted precision of a warning", 0.3, 0.95, 0.6, 0.05, key="prediction_precision"
    )
    with left:
        task_button(
            page.workspace,
            page.repo,
            "failure_prediction",
            "Failure prediction",
            "Predict failures",
            key="predict_button",
            primary=not view.predicted,
            options={"model": model, "precision": precision},
        )
    if not view.predicted:
        no_data_yet(page.workspace, page.repo, NO_PREDICTIONS_MESSAGE)
        return
    rows = view.backtest
    threshold = threshold_for_precision(
        rows["actual"].to_numpy(), rows["probability"].to_numpy(), precision
    )
    st.markdown("##### Runs at risk now")
    risk = view.at_risk[["created_at", "run_id", "probability", "predicted", "reasons"]]
    if risk.empty:
        st.caption("No run is queued or in progress.")
    else:
        table(
            risk,
            f"{page.repo} runs at risk",
            "risk_table",
            column_config={
                "probability": PERCENT("Failure probability", format="%.2f"),
                "reasons": TEXT("Top reasons", width="large"),
            },
        )
    st.markdown("##### Backtest: every run predicted from the runs finished before it")
    mine, parrot = view.scores(threshold)
    table(
        pd.DataFrame(
            [
                {
                    "": "model",
                    "ROC-AUC": mine.roc_auc,
                    "PR-AUC": mine.pr_auc,
                    "Brier": mine.brier,
                    "F1": mine.f1,
                    "Precision": mine.precision,
                    "Recall": mine.recall,
                },
                {
                    "": "parrot (previous run)",
                    "ROC-AUC": parrot.roc_auc,
                    "PR-AUC": parrot.pr_auc,
                    "Brier": parrot.brier,
                    "F1": parrot.f1,
                    "Precision": parrot.precision,
                    "Recall": parrot.recall,
                },
            ]
        ),
        f"{page.repo} backtest scores",
        "backtest_scores",
        caption=f"{mine.rows:,} runs, {mine.base_rate:.0%} failed; threshold {threshold:.2f}",
    )
    one, two = st.columns(2)
    with one:
        chart(curves_figure(rows, "roc"), f"{page.repo} ROC", "pred_roc")
        chart(calibration_figure(rows), f"{page.repo} calibration", "pred_calibration")
    with two:
        chart(curves_figure(rows, "pr"), f"{page.repo} precision recall", "pred_pr")
        table(confusion_table(rows, threshold), f"{page.repo} confusion", "pred_confusion")
    st.markdown("##### Why (SHAP)")
    explained = stored_explanation(store, page.repo)  # computed by the agent's last run
    if explained is None:
        st.caption("Too few finished runs to explain a model yet (or no prediction run since).")
        return
    explanation, explained_rows = explained
    one, two = st.columns(2)
    with one:
        chart(
            importance_figure(explanation),
            f"{page.repo} shap importance",
            "shap_bar",
            data=explanation.importance(),
        )
    with two:
        chart(beeswarm_figure(explanation), f"{page.repo} shap beeswarm", "shap_swarm")
    labels = {
        i: f"run {int(r)} ({str(c)[:16]})"
        for i, (r, c) in enumerate(
            zip(explained_rows["run_id"], explained_rows["created_at"], strict=True)
        )
    }
    pick = st.selectbox(
        "Explain one run", list(labels)[:200], format_func=labels.get, key="shap_run"
    )
    chart(
        waterfall_figure(explanation, int(pick), labels[pick]),
        f"{page.repo} shap run",
        "shap_waterfall",
        data=explanation.of_run(int(pick)),
    )
