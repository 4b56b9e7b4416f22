"""Failure Prediction as an agent: an honest backtest of the whole history, and the probability
(with its reasons) of every run not finished yet.

It reads the feature rows Feature Engineering stored (only the ``known_before_run`` features);
its models learn from every repository in the store (a repository with little history of its
own borrows the others'), and every probability is blended with the prior's
(:mod:`agents.failure_prediction.prior`), which alone predicts the runs no model can learn
from yet. ``predictions.csv``: ``run_id, run_attempt, created_at, probability,
predicted, actual, backtest`` (+ the parrot's guess, the reasons and the model). Live
predictions go to the analysis queue, one message per run and state.
"""

from __future__ import annotations

import pandas as pd

from agents.base import AgentContext, AgentResult, nothing_yet, with_columns
from agents.failure_prediction.explain import (
    explain,
    explained_forest,
    finished_runs,
    global_explanation,
    to_document,
)
from agents.failure_prediction.forecast import PREDICTION_COLUMNS, WANTED_PRECISION, forecast
from agents.failure_prediction.metrics import score
from agents.failure_prediction.reasons import reasons_in_words
from core.store.artifacts import save_artifact
from core.store.features import load_run_features
from core.store.findings import load_findings, save_findings

__all__ = ["FailurePrediction", "PREDICTION_COLUMNS", "EXPLANATION"]

EXPLANATION = "shap"  # the artifact the page's SHAP views read (see _store_explanation)


class FailurePrediction:
    """Agent: the failure probability of every run (``predictions.csv``)."""

    name = "failure_prediction"
    layer = 2
    title = "Failure Prediction"
    needs_source = False
    csv_name = "predictions.csv"
    finding_columns = PREDICTION_COLUMNS

    def run(self, ctx: AgentContext) -> AgentResult:
        features = load_run_features(ctx.store, ctx.repo)
        if features.empty:
            message = f"No feature table for {ctx.repo} yet: run Feature Engineering first."
            return nothing_yet(self, message, predicted=0)
        kind = str(ctx.options.get("model", "random_forest"))
        precision = float(ctx.options.get("precision", WANTED_PRECISION))
        ctx.progress(0.1, "Backtesting: each run predicted from the runs finished before it…")
        others = [
            load_run_features(ctx.store, name)
            for name in ctx.store.repositories()["full_name"]
            if name.lower() != ctx.repo.lower()
        ]
        pool = (
            pd.concat([o for o in others if len(o)], ignore_index=True)
            if any(len(o) for o in others)
            else None
        )
        result = forecast(features, kind, precision, pool=pool)  # type: ignore[arg-type]
        predictions = result.predictions
        live = predictions[~predictions["backtest"].astype(bool)].copy()
        # the trees the SHAP views explain: the live model itself (the forest or the boosted
        # trees); a regression's reasons are a forest's (its standardised inputs would read as
        # nonsense words)
        trees = result.pipeline
        if kind == "logistic_regression" and result.pipeline is not None:
            fitted = explained_forest(features)
            trees = fitted[0] if fitted is not None else None
        if len(live):
            ctx.progress(0.8, "Explaining the runs not finished yet…")
            why = explain(
                trees,
                result.live,
                prior_weight=result.prior_weight,
                background=finished_runs(features),
            )
            live["reasons"] = [reasons_in_words(why.of_run(i)) for i in range(len(live))]
            predictions.loc[live.index, "reasons"] = live["reasons"]
        predictions["key"] = (
            predictions["run_id"].astype(str) + ":" + predictions["run_attempt"].astype(str)
        )
        predictions["subject"] = "run:" + predictions["key"]
        before = load_findings(ctx.store, ctx.repo, self.name)
        known = set(before["key"]) if "key" in before else set()
        live_keys = set(predictions.loc[~predictions["backtest"].astype(bool), "key"])
        saved = save_findings(
            ctx.store, ctx.repo, self.name, "prediction", predictions, key="key",
            subject="subject", summary="reasons", kind="model", replace_all=True,
            publish=lambda row: row["key"] in live_keys,
        )  # fmt: skip
        # one message per live run and state: a prediction sent before is not news
        messages = [m for m in saved if m.body and not _sent_before(m.body, known)]
        ctx.progress(0.9, "Explaining the model for the page (SHAP)…")
        _store_explanation(ctx, features, trees, result.prior_weight)
        backtest = predictions[predictions["backtest"].astype(bool)]
        metrics = _metrics(backtest, result.threshold, kind)
        summary = _summary(ctx.repo, metrics, len(live), int(live["predicted"].sum()))
        findings = with_columns(predictions.drop(columns=["key", "subject"]), PREDICTION_COLUMNS)
        return AgentResult(self.name, findings, metrics, summary, messages)


def _store_explanation(
    ctx: AgentContext, features: pd.DataFrame, trees: object | None, prior_weight: float
) -> None:
    """The SHAP views' explanation, computed here in the background (seconds: a sample of runs
    explained) and stored, so the page draws it without computing.

    ``trees``: the live model when it is the forest or the boosted trees, explained as it is
    (the probabilities the page shows, one fit), or the forest already fitted for a
    regression's reasons; None: a forest is fitted to explain, or the prior alone is explained
    when no model learned yet. ``prior_weight``: the prior's share of the live probabilities."""
    repo_id = ctx.store.repo_id(ctx.repo)
    explained = global_explanation(features, trees, prior_weight)
    if repo_id is None or explained is None:
        return
    version = f"{len(features)}:{features['updated_at'].max()}"
    document = to_document(*explained)
    save_artifact(ctx.store, repo_id, FailurePrediction.name, EXPLANATION, version, document)


def _metrics(backtest: pd.DataFrame, threshold: float, kind: str) -> dict[str, float | int | str]:
    if backtest.empty:
        return {"backtest_runs": 0, "model": kind}
    both = backtest[backtest["parrot"].notna()]
    model = score(both["actual"], both["probability"], threshold)
    parrot = score(both["actual"], both["parrot"], 0.5)
    return {
        "model": kind,
        "backtest_runs": model.rows,
        "threshold": round(threshold, 3),
        "roc_auc": round(model.roc_auc, 3),
        "parrot_roc_auc": round(parrot.roc_auc, 3),
        "pr_auc": round(model.pr_auc, 3),
        "parrot_pr_auc": round(parrot.pr_auc, 3),
        "brier": round(model.brier, 3),
        "parrot_brier": round(parrot.brier, 3),
        "f1": round(model.f1, 3),
        "recall": round(model.recall, 3),
    }


def _summary(repo: str, metrics: dict, live: int, at_risk: int) -> str:
    if not metrics.get("backtest_runs"):
        return f"Too few finished runs of {repo} to backtest a model yet."
    return (
        f"Backtest on {metrics['backtest_runs']:,} runs of {repo}: ROC-AUC "
        f"{metrics['roc_auc']:.2f} (the previous run's outcome: {metrics['parrot_roc_auc']:.2f}), "
        f"Brier {metrics['brier']:.3f} ({metrics['parrot_brier']:.3f}); "
        f"{live} runs not finished, {at_risk} predicted to fail."
    )


def _sent_before(body: str, known: set[str]) -> bool:
    """Whether a message's run already had a stored prediction (its message went out then)."""
    import json

    return str(json.loads(body).get("data", {}).get("key")) in known
