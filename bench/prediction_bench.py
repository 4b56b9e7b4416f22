"""Failure Prediction on real CI histories: the walk-forward backtest next to the parrot.

    python bench/prediction_bench.py [--models random_forest,logistic_regression] [--scale]

Every dump in ``../shared/data/dev/dumps/travis-*`` (real Travis CI histories, 250 builds each)
is imported into a temporary store exactly as ``ci-medic import`` does, its features computed by
Feature Engineering, and every run after the first ones predicted by a model trained only on the
runs that finished before it (the agent's own backtest). Per project and pooled: ROC-AUC, PR-AUC
and Brier score of the model and of the parrot (the previous finished run of the same workflow
and branch) on the same rows. The projects are split into two fixed halves by name (A: even
positions, B: odd): choices were made looking at A only; B is the unseen half. ``--scale`` adds
fit + backtest time and peak memory on a generated 100k-run history. Prints, asserts nothing.
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

from agents.failure_prediction.backtest import walk_forward  # noqa: E402
from agents.failure_prediction.explain import (  # noqa: E402
    GLOBAL_SAMPLE,
    explain,
    explained_forest,
)
from agents.failure_prediction.metrics import score  # noqa: E402
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


def real_histories(models: list[str]) -> None:
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
    for kind in models:
        began = time.perf_counter()
        rows = []
        for name, frame in features.items():
            others = pd.concat([f for n, f in features.items() if n != name], ignore_index=True)
            backtest = walk_forward(frame, kind, every=25, pool=others).rows  # type: ignore[arg-type]
            rows.append(backtest.assign(project=name, half=half[name]))
        every = pd.concat(rows, ignore_index=True)
        every = every[every["parrot"].notna()]
        print(f"\n== {kind} (backtest {time.perf_counter() - began:.0f} s) ==")
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


def scale(runs: int = 100_000) -> None:
    from bench.features_anomalies_bench import history

    inputs, _jobs, _steps = history(runs, 2)
    features = run_features(inputs)
    began = time.perf_counter()
    backtest = walk_forward(features, "random_forest", every=max(25, runs // 40)).rows
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
    parser.add_argument("--scale", action="store_true", help="also time a 100k-run history")
    args = parser.parse_args()
    np.seterr(all="ignore")
    real_histories([m.strip() for m in args.models.split(",") if m.strip()])
    if args.scale:
        scale()


if __name__ == "__main__":
    main()
