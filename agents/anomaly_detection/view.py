"""What the Anomalies section shows: the stored anomalies, one series' timeline with its usual
band, the anomalies marked and change points drawn with their cause, and the demo's self-check.

Pure read model and plotly figures; the page section only draws them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from agents.anomaly_detection.watch import ANOMALY_COLUMNS, series_key, series_parts
from core.presentation.style import PALETTE, chart_text, chart_texts, empty_figure, house_layout
from core.store.anomalies import job_series, run_series, step_series
from core.store.db import Store
from core.store.findings import load_findings

__all__ = [
    "AnomalyView",
    "anomaly_view",
    "series_options",
    "series_anomalies",
    "series_points",
    "timeline_figure",
    "anomaly_table",
    "SEVERITY_ORDER",
    "NO_ANOMALIES_MESSAGE",
    "series_label",
    "kind_counts",
    "series_key",
]

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
NO_ANOMALIES_MESSAGE = "No anomaly search yet: press Find anomalies (runs must be synced first)."
BAND_WINDOW = 30  # points in the rolling usual band drawn behind a timeline


@dataclass(frozen=True)
class AnomalyView:
    repo: str
    anomalies: pd.DataFrame

    @property
    def searched(self) -> bool:
        return not self.anomalies.empty


def anomaly_view(store: Store, repo: str) -> AnomalyView:
    found = load_findings(store, repo, "anomaly_detection")
    if found.empty:
        return AnomalyView(repo, pd.DataFrame(columns=list(ANOMALY_COLUMNS)))
    order = found["severity"].map(SEVERITY_ORDER).fillna(3)
    found = found.assign(_order=order).sort_values(
        ["_order", "created_at"], ascending=[True, False]
    )
    return AnomalyView(repo, found.drop(columns="_order").reset_index(drop=True))


def anomaly_table(anomalies: pd.DataFrame) -> pd.DataFrame:
    """The anomalies as the page lists them (newest of the most severe first)."""
    columns = [
        "created_at",
        "severity",
        "kind",
        "scope",
        "workflow",
        "job_name",
        "step_name",
        "runner",
        "metric",
        "reason",
        "cause",
        "run_id",
    ]
    return anomalies.reindex(columns=columns)


def series_options(anomalies: pd.DataFrame) -> list[str]:
    """The series that have anomalies (:func:`.watch.series_key` keys), the ones with the most
    severe anomalies first; a series whose change was one of many sibling series' shared
    change (:mod:`agents.anomaly_detection.events`) is one of them."""
    if anomalies.empty:
        return []
    order = anomalies["severity"].map(SEVERITY_ORDER).fillna(3).to_numpy()
    rows, keys = _siblings(anomalies)
    ranked = pd.DataFrame(
        {
            "key": [*series_key(anomalies), *keys],
            "order": np.concatenate([order, order[rows]]),
        }
    )
    best = ranked.groupby("key")["order"].min()
    return best.sort_values(kind="stable").index.tolist()


def series_anomalies(anomalies: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One series' own anomalies, and the shared changes it took part in that were kept on a
    sibling series (drawn on its timeline as change lines, without the sibling's value)."""
    if anomalies.empty:
        return anomalies, anomalies
    rows, keys = _siblings(anomalies)
    shared = sorted({row for row, sibling in zip(rows, keys, strict=True) if sibling == key})
    return anomalies[series_key(anomalies).eq(key).to_numpy()], anomalies.iloc[shared]


def _siblings(anomalies: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Every sibling series a shared change lists (``shared_with``), with the position of the
    change's row: ``(positions, keys)``. A row without a readable list lists none."""
    if "shared_with" not in anomalies:
        return np.zeros(0, dtype=int), []
    rows, keys = [], []
    for position, listed in enumerate(anomalies["shared_with"]):
        for key in _listed(listed):
            rows.append(position)
            keys.append(key)
    return np.asarray(rows, dtype=int), keys


def _listed(value: object) -> list[str]:
    """The series keys of one ``shared_with`` value: JSON text as stored, or a list."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [str(key) for key in value] if isinstance(value, list) else []


def series_label(key: str) -> str:
    scope, metric, workflow, job, step, runner = series_parts(key)
    what = {
        "workflow": f"workflow {workflow}",
        "job": f"job {job}",
        "step": f"step '{step}' of {job}",
        "runner": f"runner label {runner}",
    }[scope]
    return f"{what} · {'queue time' if metric == 'queue_s' else 'duration'}"


def series_points(store: Store, repo: str, key: str) -> pd.DataFrame:
    """The points of one watched series: ``when, value, run_id``, oldest first."""
    repo_id = store.repo_id(repo)
    scope, metric, workflow, job, step, runner = series_parts(key)
    if repo_id is None:
        return pd.DataFrame(columns=["when", "value", "run_id"])
    # the series' rows alone, read in SQL (a 100k-run history holds 800k jobs)
    if scope == "workflow":
        rows = run_series(store, repo_id, workflow=workflow)
        rows = rows.assign(when=rows["created_at"])
    elif scope == "step":
        rows = step_series(store, repo_id, workflow=workflow, job=job, step=step)
        rows = rows.assign(when=rows["started_at"])
    else:
        if scope == "runner":
            rows = job_series(store, repo_id, labels=runner)
        else:
            rows = job_series(store, repo_id, workflow=workflow, job=job)
            if metric == "duration_s":
                rows = rows[rows["conclusion"] == "success"]
        rows = rows.assign(when=rows["started_at"])
    rows = rows[rows[metric].notna()]
    return pd.DataFrame(
        {
            "when": pd.to_datetime(rows["when"], utc=True, format="ISO8601"),
            "value": rows[metric].astype(float),
            "run_id": rows["run_id"],
        }
    ).reset_index(drop=True)


def timeline_figure(
    points: pd.DataFrame,
    anomalies: pd.DataFrame,
    title: str,
    shared: pd.DataFrame | None = None,
) -> go.Figure:
    """The series, a rolling usual band (median ± 2 robust sigmas of the past points), the
    anomalies marked, and a vertical line with its cause at every level shift and trend,
    its own and the ``shared`` ones (a change kept on a sibling series: a line, no marker)."""
    if points.empty:
        return empty_figure(title, "No points.")
    values = points["value"]
    median = values.rolling(BAND_WINDOW, min_periods=5).median().shift(1)
    spread = (values - median).abs().rolling(BAND_WINDOW, min_periods=5).median().shift(1) * 1.4826
    fig = go.Figure()
    fig.add_scatter(
        x=points["when"],
        y=(median + 2 * spread),
        mode="lines",
        line_width=0,
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=points["when"],
        y=(median - 2 * spread).clip(lower=0),
        mode="lines",
        line_width=0,
        fill="tonexty",
        fillcolor="rgba(120,120,120,0.18)",
        name="usual band",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=points["when"],
        y=values,
        mode="markers",
        name="value",
        marker={"size": 4, "color": PALETTE[0]},
        hovertemplate="%{y:,.0f} s<br>%{x}<extra></extra>",
    )
    if len(anomalies):
        when = pd.to_datetime(anomalies["created_at"], utc=True, errors="coerce", format="ISO8601")
        fig.add_scatter(
            x=when,
            y=anomalies["value"],
            mode="markers",
            name="anomaly",
            marker={"size": 10, "color": "#e03131", "symbol": "x"},
            text=chart_texts(anomalies["reason"]),
            hovertemplate="%{text}<extra></extra>",
        )
        changes = anomalies[anomalies["kind"].isin(["level_shift", "trend"])]
        _change_lines(fig, changes, shared=False)
    if shared is not None and len(shared):
        _change_lines(fig, shared, shared=True)
    fig.update_yaxes(rangemode="tozero")
    return house_layout(fig, title, "seconds", height=380)


def _change_lines(fig: go.Figure, changes: pd.DataFrame, *, shared: bool) -> None:
    """A dashed vertical line per change with its kind and cause (a few changes, not the
    history); a shared change says which sibling series it was kept on."""
    when = pd.to_datetime(changes["created_at"], utc=True, errors="coerce", format="ISO8601")
    for at, (_, change) in zip(when, changes.iterrows(), strict=True):
        if pd.isna(at):
            continue
        cause = change.get("cause") if isinstance(change.get("cause"), str) else None
        text = f"{str(change['kind']).replace('_', ' ')}: {cause or 'cause not seen'}"
        if shared:  # the cause first: a long name must not push it out of the label
            text = f"{_short(text, 60)} (shared with {_who(change)})"
        fig.add_vline(x=at, line_dash="dot" if shared else "dash", line_color="#f08c00")
        fig.add_annotation(
            x=at,
            y=1,
            yref="paper",
            showarrow=False,
            xanchor="left",
            text=chart_text(_short(text, 110 if shared else 70)),
            font={"size": 10},
        )


def _who(change: pd.Series) -> str:
    """The series a shared change was kept on, in a few words."""
    if change.get("scope") == "runner":
        return f"runner label {change.get('runner')}"
    if change.get("scope") == "step":
        return f"step '{change.get('step_name')}' of {change.get('job_name')}"
    return f"job {change.get('job_name')}"


def _short(text: str, limit: int = 70) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_counts(anomalies: pd.DataFrame) -> pd.DataFrame:
    if anomalies.empty:
        return pd.DataFrame(columns=["kind", "severity", "anomalies"])
    return (
        anomalies.groupby(["kind", "severity"])
        .size()
        .rename("anomalies")
        .reset_index()
        .sort_values("anomalies", ascending=False)
    )
