"""A run's top SHAP reasons in words a developer reads: "this branch failed 4 of its last 10"."""

from __future__ import annotations

import math

import pandas as pd

from core.features.catalogue import CATEGORICAL

__all__ = ["reasons_in_words"]


def _runs(count: float, what: str) -> str:
    """``1 failed run ...`` / ``3 failed runs ...``: ``what`` says "run" once, in the singular."""
    number = int(count)
    return f"{number} {what if number == 1 else what.replace(' run', ' runs', 1)}"


_WORDS = {
    "branch_fail_rate_10": lambda v: f"this branch failed {round(v * 10)} of its last 10 runs",
    "wf_fail_rate_10": lambda v: f"the workflow failed {round(v * 10)} of its last 10 runs",
    "actor_fail_rate_10": lambda v: f"this author's last 10 runs failed {round(v * 10)} times",
    "prev_failed": lambda v: "the previous run failed" if v >= 0.5 else "the previous run passed",
    "change_fail_rate_10": lambda v: (
        f"this change (pull request or branch) failed {round(v * 10)} of its last 10 runs"
    ),
    "change_prev_failed": lambda v: (
        "this change's previous run failed" if v >= 0.5 else "this change's previous run passed"
    ),
    "change_fails_since_green": lambda v: _runs(
        v, "failed run of this change since its last green one"
    ),
    "change_prior_runs": lambda v: (
        "the first run of this change" if v < 1 else _runs(v, "earlier run of this change")
    ),
    "fails_since_green": lambda v: _runs(v, "failed run since the last green one"),
    "since_green_s": lambda v: f"last green run {v / 3600:.0f} h before",
    "touches_dependencies": lambda v: (
        "touches a dependency manifest" if v else "no dependency change"
    ),
    "touches_workflow": lambda v: "touches the workflow file" if v else "no workflow change",
    "touches_tests": lambda v: "changes tests" if v else "no test change",
    "docs_only": lambda v: "documentation only" if v else "changes code",
    "churn": lambda v: f"{int(v)} lines changed",
    "files_changed": lambda v: f"{int(v)} files changed",
    "is_rerun": lambda v: "a re-run" if v else "a first attempt",
    "msg_fix": lambda v: "its message says fix" if v else "",
    "msg_wip": lambda v: "work in progress" if v else "",
    "duration_median_10": lambda v: f"usual duration {v / 60:.0f} min",
    "duration_ewm": lambda v: f"recent duration {v / 60:.0f} min",
    "duration_trend": lambda v: f"durations trending {'up' if v > 0 else 'down'} {abs(v):.0%}",
    "prior_runs": lambda v: _runs(v, "earlier run of the workflow"),
    "since_prev_run_s": lambda v: f"{v / 60:.0f} min after the previous run",
    "runs_prev_24h": lambda v: f"{int(v)} runs of the workflow in the last 24 h",
    "hour_utc": lambda v: f"started at {int(v)}:00 UTC",
    "weekday": lambda v: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ][int(v) % 7],
    "is_weekend": lambda v: "at the weekend" if v else "",
    "is_bot_actor": lambda v: "started by a bot" if v else "",
}


def _phrase(feature: str, value: object) -> str:
    """One feature's value in words ("" when it says nothing: an absent category)."""
    for category in CATEGORICAL:
        if feature.startswith(category + "_"):
            return (
                f"{category.replace('_', ' ')} is {feature[len(category) + 1 :]}" if value else ""
            )
    phrase = _WORDS.get(feature)
    if phrase:
        return phrase(float(value))
    if isinstance(value, float):
        return f"{feature.replace('_', ' ')} {value:,.2f}".rstrip("0").rstrip(".")
    return f"{feature.replace('_', ' ')} {value}"


def reasons_in_words(top: pd.DataFrame, limit: int = 3) -> str:
    """The features of ``top`` (``feature, value, shap``, strongest first) that raise the
    probability, as a sentence; the raw feature name where no phrase is known."""
    words = []
    for row in top.itertuples(index=False):  # a handful of features
        if row.shap <= 0 or len(words) >= limit:
            continue
        base = str(row.feature).removeprefix("missingindicator_")
        value = row.value
        if isinstance(value, float) and math.isnan(value):
            continue
        try:
            text = _phrase(base, value)
        except (TypeError, ValueError):
            text = f"{base} {value}"
        if text:
            words.append(text)
    return "; ".join(words)
