"""Failure Prediction on real CI histories: the walk-forward backtest next to the parrot.

    python bench/prediction_bench.py [--models random_forest,logistic_regression] [--own-only]
                                     [--fit-prior] [--scale]

Every dump in ``../shared/data/dev/dumps/travis-*`` (real Travis CI histories, 250 builds each)
is imported into a temporary store exactly as ``ci-medic import`` does, its features computed by
Feature Engineering, and every run predicted by a model trained only on the runs that finished
before it (the agent's own backtest: the prior alone until a model can learn, then the learned
model blended with it). By default each project's models also learn from the other 29
projects' runs that had finished by then, as the agent does with the other repositories of its
store; ``--own-only`` predicts each project from its own runs and the prior only, as a store
holding one repository does (``ci-medic --db PATH import DUMP`` then ``analyze``). Per project
and pooled: ROC-AUC, PR-AUC and Brier score of the model and of the parrot (the previous
finished run of the same workflow and branch) on the same rows, and of the prior alone. The
projects are split into two fixed halves by name (A: even positions, B: odd): choices were made
looking at A only; B is the unseen half. ``--fit-prior`` fits the prior's logistic weights
again on half A's decided runs and prints them with their score on each half (the weights in
:mod:`agents.failure_prediction.prior` are these, rounded). ``--scale`` adds fit + backtest time
and peak memory on a generated 100k-run history. Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.failure_prediction.backtest import MIN_TRAIN, walk_forward  # noqa: E402
from agents.failure_prediction.explain import (  # noqa: E402
    GLOBAL_SAMPLE,
    explain,
    explained_forest,
)
from agents.failure_prediction.metrics import score  # noqa: E402
from agents.failure_prediction.prior import (  # noqa: E402
    PRIOR_WEIGHTS,
    prior_inputs,
    prior_probability,
)
from agents.feature_engineering.build import run_features  # noqa: E402
from core.dump.importer import import_path  # noqa: E402
from core.store.db import Store  # noqa: E402
from core.store.features import feature_inputs  # noqa: E402

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev" / "dumps"


def project_features(folder: Path, work: Path) -> pd.DataFrame:
    store = Store(work / f"{folder.name}.db")
    import_path(store, folder)
    repo_id = int(store.repositories()["id"].iloc[0])
    return run_features(feature_inputs(store, repo_id))


def scores_line(label: str, rows: pd.DataFrame) -> str:
    if rows.empty or rows["actual"].nunique() < 2:
        return f"{label:<42} (too few rows)"
    model = score(rows["actual"], rows["probability"], 0.5)
    parrot = score(rows["actual"], rows["parrot"], 0.5)
    gain = model.roc_auc - parrot.roc_auc
    return (
        f"{label:<42} n {model.rows:5d}  fail {model.base_rate:4.0%}  "
        f"ROC-AUC {model.roc_auc:.3f} (parrot {parrot.roc_auc:.3f}, {gain:+.3f})  "
        f"PR-AUC {model.pr_auc:.3f} ({parrot.pr_auc:.3f})  "
        f"Brier {model.brier:.3f} ({parrot.brier:.3f})"
    )


def real_histories(models: list[str], own_only: bool = False, fit_prior: bool = False) -> None:
    folders = sorted(DUMPS.glob("travis-*"))
    if not folders:
        print(f"No dev dumps under {DUMPS}: skipping the real histories.")
        return
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        features = {f.name: project_features(f, Path(tmp)) for f in folders}
        print(
            f"imported and featured {len(features)} projects in {time.perf_counter() - began:.0f} s"
        )
    half = {name: "AB"[i % 2] for i, name in enumerate(sorted(features))}
    if fit_prior:
        refit_prior(features, half)
    learning = "its own runs only" if own_only else "its own runs and the other projects'"
    for kind in models:
        began = time.perf_counter()
        rows = []
        for name, frame in features.items():
            others = None
            if not own_only:
                others = pd.concat([f for n, f in features.items() if n != name], ignore_index=True)
            backtest = walk_forward(frame, kind, every=25, pool=others).rows  # type: ignore[arg-type]
            rows.append(
                backtest.assign(
                    project=name,
                    half=half[name],
                    prior=_prior_of(frame, backtest),
                    later=np.arange(len(backtest)) >= MIN_TRAIN,
                )
            )
        every = pd.concat(rows, ignore_index=True)
        every = every[every["parrot"].notna()]
        print(
            f"\n== {kind}, each project learning from {learning} "
            f"(backtest {time.perf_counter() - began:.0f} s) =="
        )
        wins = 0
        for name, part in every.groupby("project"):
            line = scores_line(f"{name} [{half[name]}]", part)
            print(line)
            if part["actual"].nunique() == 2:
                wins += (
                    score(part["actual"], part["probability"], 0.5).roc_auc
                    > score(part["actual"], part["parrot"], 0.5).roc_auc
                )
        for label in ("A", "B"):
            print(scores_line(f"pooled half {label}", every[every["half"] == label]))
        print(scores_line("pooled, all projects", every))
        print(f"model above the parrot on {wins} of {every['project'].nunique()} projects")
        # before the prior, a project's first MIN_TRAIN runs had no prediction: its rows then
        later = every[every["later"]]
        for label in ("A", "B"):
            print(
                scores_line(
                    f"after the first {MIN_TRAIN} runs, half {label}", later[later["half"] == label]
                )
            )
        print(scores_line(f"after the first {MIN_TRAIN} runs, all", later))
        prior = every.assign(probability=every["prior"])
        for label in ("A", "B"):
            print(scores_line(f"the prior alone, half {label}", prior[prior["half"] == label]))
        print(scores_line("the prior alone, all projects", prior))


def _prior_of(frame: pd.DataFrame, backtest: pd.DataFrame) -> np.ndarray:
    """The prior's probability of each backtest row (its feature row, found by run and attempt)."""
    keyed = frame.set_index(["run_id", "attempt"])
    keys = list(zip(backtest["run_id"], backtest["attempt"], strict=True))
    return prior_probability(keyed.loc[keys])


def refit_prior(features: dict[str, pd.DataFrame], half: dict[str, str]) -> None:
    """The prior's weights fitted again on every decided run of half A (scikit-learn's
    LogisticRegression, C=0.1), printed with the ROC-AUC and Brier score on each half."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score

    decided = pd.concat(
        [f[f["failed"].notna()].assign(half=half[n]) for n, f in features.items()],
        ignore_index=True,
    )
    inputs, actual = prior_inputs(decided), decided["failed"].astype(int)
    on_a = (decided["half"] == "A").to_numpy()
    model = LogisticRegression(C=0.1, max_iter=2000).fit(inputs[on_a], actual[on_a])
    weights = ", ".join(
        f"{name} {weight:+.3f}" for name, weight in zip(inputs.columns, model.coef_[0], strict=True)
    )
    print(f"\n== the prior fitted on half A: intercept {model.intercept_[0]:+.3f}, {weights} ==")
    print(f"   (in use: {', '.join(f'{n} {w:+.2f}' for n, w in PRIOR_WEIGHTS.items())})")
    for label, rows in (("A", on_a), ("B", ~on_a)):
        fitted = model.predict_proba(inputs[rows])[:, 1]
        print(
            f"   half {label}: ROC-AUC {roc_auc_score(actual[rows], fitted):.3f}, Brier "
            f"{brier_score_loss(actual[rows], fitted):.3f} on {rows.sum():,} decided runs"
        )


def scale(runs: int = 100_000) -> None:
    from bench.features_anomalies_bench import history

    inputs, _jobs, _steps = history(runs, 2)
    features = run_features(inputs)
    began = time.perf_counter()
    backtest = walk_forward(features, "random_forest", every=max(25, runs // 40)).rows
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(
        f"\n== scale: {runs:,} generated runs: fit + backtest {seconds:.0f} s, "
        f"{len(backtest):,} predictions, peak RSS {peak:,.0f} MB =="
    )
    shap_timings(features)


def shap_timings(features: pd.DataFrame) -> None:
    """What the agent pays for the page's SHAP views: one run's explanation and the global
    view's sample, of a forest fitted on the most recent ``MAX_TRAIN`` finished runs
    (:func:`explained_forest`; the agent explains its live forest instead, and fits this one
    only when the live model is another kind, so the fit is timed apart)."""
    began = time.perf_counter()
    import shap  # noqa: F401  (once per process)

    imported = time.perf_counter()
    pipeline, decided, columns = explained_forest(features)
    fitted = time.perf_counter()
    explain(pipeline, decided[columns].iloc[[-1]])
    one = time.perf_counter()
    explain(pipeline, decided[columns], sample=GLOBAL_SAMPLE)
    both = time.perf_counter()
    print(
        f"== SHAP (TreeExplainer, forest of depth 8 fitted on {len(decided):,} runs in "
        f"{fitted - imported:.1f} s; importing shap {imported - began:.1f} s, once): one run "
        f"{one - fitted:.2f} s, global view of {GLOBAL_SAMPLE} runs {both - one:.1f} s =="
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="random_forest,logistic_regression")
    parser.add_argument(
        "--own-only", action="store_true", help="each project learns from its own runs only"
    )
    parser.add_argument(
        "--fit-prior", action="store_true", help="fit the prior's weights again on half A"
    )
    parser.add_argument("--scale", action="store_true", help="also time a 100k-run history")
    args = parser.parse_args()
    np.seterr(all="ignore")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    real_histories(models, own_only=args.own_only, fit_prior=args.fit_prior)
    if args.scale:
        scale()


if __name__ == "__main__":
    main()
