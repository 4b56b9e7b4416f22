"""What the Flaky sections show: verdict counts, the ranked table, the quarantine list, the
demo's self-check, the verdict and score charts, the re-run minutes, the clusters, and one
test's drill-down (its pass/fail strip and its results).

Figures follow :mod:`core.presentation.style`: every label that comes from data (a test id, a
job name) goes through :func:`chart_text`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from agents.flaky_tests.agent import RERUNS, FlakyJobs, load_quarantine
from agents.flaky_tests.quarantine import dump_quarantine
from core.presentation.style import (
    OUTCOME_COLORS,
    PALETTE,
    chart_text,
    chart_texts,
    empty_figure,
    house_layout,
)
from core.store.artifacts import load_artifact
from core.store.db import Store
from core.store.findings import load_findings

__all__ = [
    "FlakyView",
    "QuarantineView",
    "cluster_table",
    "drill_options",
    "evidence_table",
    "flaky_view",
    "quarantine_json",
    "quarantine_view",
    "score_figure",
    "selfcheck_table",
    "split_figure",
    "strip_figure",
    "verdict_split",
    "verdict_table",
    "rerun_table",
    "wasted_figure",
    "wasted_table",
]

_ORDER = {"broken": 0, "flaky": 1, "insufficient_data": 2, "stable": 3}


@dataclass(frozen=True)
class FlakyView:
    findings: pd.DataFrame

    @property
    def judged(self) -> bool:
        return not self.findings.empty

    @property
    def counts(self) -> pd.DataFrame:
        counts = self.findings["verdict"].value_counts()
        return counts.rename_axis("verdict").reset_index(name="items")


def flaky_view(store: Store, repo: str, agent: str) -> FlakyView:
    return FlakyView(load_findings(store, repo, agent))


@dataclass(frozen=True)
class QuarantineView:
    """The quarantine list as the page shows it: ``entries`` (one row per quarantined test,
    soonest expiry first), ``released`` (newest release first), the CODEOWNERS file the owners
    come from, the date the list last changed, and ``json`` (the document to download)."""

    entries: pd.DataFrame
    released: pd.DataFrame
    codeowners: str | None
    updated: str | None
    json: str | None

    @property
    def exists(self) -> bool:
        return self.json is not None


_ENTRY_COLUMNS = [
    "test_id",
    "owners",
    "expires",
    "created",
    "renewals",
    "reason",
    "clean_runs",
    "last_flake",
    "owner_file",
    "owner_rule",
]
_RELEASED_COLUMNS = ["test_id", "owners", "released", "created", "reason"]


def quarantine_view(store: Store, repo: str) -> QuarantineView:
    """The stored quarantine list of ``repo`` as tables (empty ones before the first
    judgement)."""
    repo_id = store.repo_id(repo)
    document = load_quarantine(store, repo_id) if repo_id is not None else None
    if document is None:
        empty = pd.DataFrame(columns=_ENTRY_COLUMNS)
        return QuarantineView(empty, pd.DataFrame(columns=_RELEASED_COLUMNS), None, None, None)
    entries = pd.DataFrame(
        [
            {
                "test_id": entry["test_id"],
                "owners": ", ".join(entry.get("owners") or []),
                "expires": entry["expires"],
                "created": entry["created"],
                "renewals": int(entry.get("renewals") or 0),
                "reason": entry["reason"],
                "clean_runs": (entry.get("evidence") or {}).get("clean_runs"),
                "last_flake": (entry.get("evidence") or {}).get("last_flake"),
                "owner_file": (entry.get("ownership") or {}).get("file"),
                "owner_rule": (entry.get("ownership") or {}).get("rule"),
            }
            for entry in document["quarantined"]
        ],
        columns=_ENTRY_COLUMNS,
    ).sort_values(["expires", "test_id"], kind="stable")
    released = pd.DataFrame(
        [
            {**entry, "owners": ", ".join(entry.get("owners") or [])}
            for entry in document["released"]
        ],
        columns=_RELEASED_COLUMNS,
    ).sort_values(["released", "test_id"], ascending=[False, True], kind="stable")
    return QuarantineView(
        entries.reset_index(drop=True),
        released.reset_index(drop=True),
        document.get("codeowners"),
        document.get("updated"),
        dump_quarantine(document),
    )


def rerun_table(store: Store, repo: str) -> pd.DataFrame:
    """The jobs whose latest attempt failed, newest failure first, with the chance that a
    re-run passes (Flaky Jobs' artifact; empty before it ran): ``job, workflow, run_id,
    attempt, failed_at, rerun_pass_probability``."""
    columns = ["job", "workflow", "run_id", "attempt", "failed_at", "rerun_pass_probability"]
    repo_id = store.repo_id(repo)
    stored = load_artifact(store, repo_id, FlakyJobs.name, RERUNS) if repo_id is not None else None
    failed = pd.DataFrame((stored[1] if stored else {}).get("failed") or [])
    if failed.empty:
        return pd.DataFrame(columns=columns)
    failed = failed.rename(columns={"test_id": "job", "job": "workflow", "created_at": "failed_at"})
    return failed.sort_values("failed_at", ascending=False).reindex(columns=columns)


def quarantine_json(store: Store, repo: str) -> str | None:
    """The stored quarantine list of ``repo`` as the JSON text ``analyze`` writes (None
    before the first judgement)."""
    repo_id = store.repo_id(repo)
    document = load_quarantine(store, repo_id) if repo_id is not None else None
    return None if document is None else dump_quarantine(document)


def verdict_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Broken first (someone must fix a culprit), then flaky by score."""
    columns = [
        "test_id",
        "verdict",
        "jobs",
        "score",
        "score_low",
        "score_high",
        "runs",
        "failures",
        "same_sha_flips",
        "culprit_sha",
        "fixed_sha",
        "first_flake",
        "last_flake",
        "minutes_wasted",
        "rerun_pass_probability",  # jobs only: their latest attempt failed
        "cluster",
        "evidence_runs",
    ]
    columns = [c for c in columns if c in findings or c != "rerun_pass_probability"]
    order = findings["verdict"].map(_ORDER).fillna(4)
    ranked = findings.assign(_o=order).sort_values(["_o", "score"], ascending=[True, False])
    return ranked.reindex(columns=columns).reset_index(drop=True)


def selfcheck_table(findings: pd.DataFrame, truth: dict[str, Any]) -> pd.DataFrame:
    """The demo's acceptance against what it planted (``truth.json``), one row per fact:

    - each planted flaky test with a rate of 2% or more is judged ``flaky``. One that never
      failed in the history judged (a low rate in a job with few runs can draw no failure at
      all) cannot be found by anyone: it says "no failure observed" and ``right`` is None, not
      counted either way. That needs its row (a stable test is in the agent's whole answer and
      its CSV, not among the stored findings, where it reads as a miss);
    - each test of a planted regression is never ``flaky`` and names the regression's commit
      as its culprit, so a regression is never blamed on flakiness and is traced to its cause;
    - the outage: no ``flaky`` verdict whose flakes all fall on the outage's day(s), since an
      outage fails tests for reasons that are no test's own.
    """
    by_test = _rows_by_test(findings)
    rows = [*_planted_flaky(by_test, truth), *_planted_regressions(by_test, truth)]
    if truth.get("outage"):
        rows.append(_outage(findings, truth["outage"]))
    return pd.DataFrame(rows, columns=["planted", "test", "verdict", "culprit", "right"])


def _rows_by_test(findings: pd.DataFrame) -> dict[str, dict[str, Any]]:
    if findings.empty or "test_id" not in findings:
        return {}
    return {str(row["test_id"]): row for row in findings.to_dict("records")}


def _planted_flaky(by_test: dict[str, dict[str, Any]], truth: dict[str, Any]) -> list[dict]:
    planted: dict[str, set[str]] = {}
    for flaky in truth.get("flaky_tests", []):
        if flaky["rate"] >= 0.02:
            planted.setdefault(flaky["test_id"], set()).add(str(flaky.get("job", "")))
    rows = []
    for test in sorted(planted):
        row = by_test.get(test, {})
        said = str(row.get("verdict") or "stable")
        right: bool | None = said == "flaky"
        if not right and row and _number(row.get("failures")) == 0:
            said, right = "stable (no failure observed)", None
        jobs = ", ".join(sorted(planted[test] - {""}))
        rows.append(
            {
                "planted": f"flaky in {jobs}",
                "test": test,
                "verdict": said,
                "culprit": "",
                "right": right,
            }
        )
    return rows


def _planted_regressions(by_test: dict[str, dict[str, Any]], truth: dict[str, Any]) -> list[dict]:
    rows = []
    for regression in truth.get("regressions", []):
        introduced = str(regression["introduced_sha"])
        for test in regression.get("tests", []):
            row = by_test.get(test, {})
            said = str(row.get("verdict") or "stable")
            culprit = _text(row.get("culprit_sha"))
            rows.append(
                {
                    "planted": f"regression at {introduced[:7]}",
                    "test": test,
                    "verdict": said,
                    "culprit": culprit[:7],
                    "right": said != "flaky" and _same_commit(culprit, introduced),
                }
            )
    return rows


def _outage(findings: pd.DataFrame, outage: dict[str, Any]) -> dict:
    """The flaky verdicts whose first and last flake both fall on the outage's day(s)."""
    first_day = pd.Timestamp(outage["start"]).normalize()
    last_day = pd.Timestamp(outage["end"]).normalize()
    blamed: list[str] = []
    if not findings.empty and {"verdict", "first_flake", "last_flake"} <= set(findings):
        flaky = findings[findings["verdict"].eq("flaky")]
        first = pd.to_datetime(flaky["first_flake"], utc=True, errors="coerce").dt.normalize()
        last = pd.to_datetime(flaky["last_flake"], utc=True, errors="coerce").dt.normalize()
        inside = first.ge(first_day) & last.le(last_day)
        blamed = sorted(flaky.loc[inside.to_numpy(), "test_id"].astype(str))
    day = f"{first_day:%Y-%m-%d}" + ("" if last_day == first_day else f" to {last_day:%Y-%m-%d}")
    return {
        "planted": f"{outage.get('kind', '')} outage on {day}".strip(),
        "test": "every test",
        "verdict": "flaky: " + ", ".join(blamed) if blamed else "no flaky verdict",
        "culprit": "",
        "right": not blamed,
    }


def _same_commit(named: str, planted: str) -> bool:
    """Whether two spellings of a sha (full or abbreviated to 7+ characters) are one commit."""
    return len(named) >= 7 and (named.startswith(planted) or planted.startswith(named))


def _text(value: Any) -> str:
    """A cell as text: None and NaN (a CSV's empty cell) are empty."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- charts

SPLIT_ORDER = ("flaky", "broken", "stable", "insufficient_data")
_VERDICT_COLORS = {
    "flaky": "#f08c00",
    "broken": OUTCOME_COLORS["failure"],
    "stable": OUTCOME_COLORS["success"],
    "insufficient_data": OUTCOME_COLORS["neutral"],
}


def verdict_split(findings: pd.DataFrame, stable: int | None = None) -> pd.DataFrame:
    """One row per verdict in :data:`SPLIT_ORDER` (``verdict, items``); ``stable`` counts the
    stable items when known (the findings hold none), else that row is left out."""
    counts = (
        findings["verdict"].value_counts() if "verdict" in findings else pd.Series(dtype="int64")
    )
    rows = []
    for verdict in SPLIT_ORDER:
        if verdict == "stable":
            items = stable if stable is not None else int(counts.get("stable", 0)) or None
            if items is None:
                continue
        else:
            items = int(counts.get(verdict, 0))
        rows.append({"verdict": verdict, "items": int(items)})
    return pd.DataFrame(rows, columns=["verdict", "items"])


def split_figure(split: pd.DataFrame, title: str) -> go.Figure:
    """A bar per verdict, in the verdicts' colours."""
    if split.empty or not split["items"].sum():
        return empty_figure(title, "Nothing judged.")
    fig = go.Figure(
        go.Bar(
            x=[v.replace("_", " ") for v in split["verdict"]],
            y=split["items"],
            marker_color=[_VERDICT_COLORS.get(v, PALETTE[0]) for v in split["verdict"]],
            text=split["items"],
            textposition="auto",
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    return house_layout(fig, title, "items", height=300)


def score_figure(findings: pd.DataFrame, title: str) -> go.Figure:
    """The distribution of the score (0 to 1) of the judged items, one histogram per verdict
    (overlaid), so the flaky ones' spread shows next to the broken ones'."""
    if findings.empty or "score" not in findings:
        return empty_figure(title, "Nothing judged.")
    fig = go.Figure()
    scores = pd.to_numeric(findings["score"], errors="coerce")
    for verdict in SPLIT_ORDER:
        mine = scores[findings["verdict"].eq(verdict).to_numpy()].dropna()
        if mine.empty:
            continue
        fig.add_histogram(
            x=mine,
            name=verdict.replace("_", " "),
            marker_color=_VERDICT_COLORS[verdict],
            xbins={"start": 0.0, "end": 1.0, "size": 0.05},
            opacity=0.75,
            hovertemplate="score %{x}: %{y:,}<extra></extra>",
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text="score", range=[0, 1])
    return house_layout(fig, title, "items", height=300)


def wasted_table(findings: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The ``top`` items whose re-runs cost the most CI minutes (none that cost nothing):
    ``test_id, verdict, minutes_wasted``, most first."""
    columns = ["test_id", "verdict", "minutes_wasted"]
    if findings.empty or "minutes_wasted" not in findings:
        return pd.DataFrame(columns=columns)
    minutes = pd.to_numeric(findings["minutes_wasted"], errors="coerce").fillna(0.0)
    ranked = findings.assign(minutes_wasted=minutes)[minutes.gt(0).to_numpy()]
    ranked = ranked.sort_values(["minutes_wasted", "test_id"], ascending=[False, True])
    return ranked.reindex(columns=columns).head(top).reset_index(drop=True)


def wasted_total(findings: pd.DataFrame) -> float:
    """CI minutes all the re-runs of the judged items cost."""
    if findings.empty or "minutes_wasted" not in findings:
        return 0.0
    return float(pd.to_numeric(findings["minutes_wasted"], errors="coerce").fillna(0.0).sum())


def wasted_figure(top: pd.DataFrame, title: str) -> go.Figure:
    """A horizontal bar per item of :func:`wasted_table`, the costliest on top."""
    if top.empty:
        return empty_figure(title, "No re-run minutes recorded.")
    fig = go.Figure(
        go.Bar(
            x=top["minutes_wasted"][::-1],
            y=chart_texts(_short(t) for t in top["test_id"][::-1]),
            orientation="h",
            marker_color=PALETTE[1],
            customdata=chart_texts(top["test_id"][::-1]),
            hovertemplate="%{customdata}<br>%{x:,.1f} min<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="minutes")
    return house_layout(fig, title, "", height=max(220, 40 + 26 * len(top)))


def cluster_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The tests that flake together: one row per cluster (``cluster, tests, members``, the
    members sorted), the largest cluster first."""
    columns = ["cluster", "tests", "members"]
    if findings.empty or "cluster" not in findings:
        return pd.DataFrame(columns=columns)
    named = findings[findings["cluster"].notna().to_numpy()]
    named = named[named["cluster"].astype(str).ne("").to_numpy()]
    if named.empty:
        return pd.DataFrame(columns=columns)
    rows = [
        {
            "cluster": str(cluster),
            "tests": int(group["test_id"].nunique()),
            "members": ", ".join(sorted(group["test_id"].astype(str).unique())),
        }
        for cluster, group in named.groupby(named["cluster"].astype(str))
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["tests", "cluster"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------- drill-down


def drill_options(findings: pd.DataFrame, limit: int = 200) -> list[str]:
    """The flaky and broken items to pick from: the ``limit`` of highest score (ties by id)."""
    if findings.empty or not {"test_id", "verdict"} <= set(findings):
        return []
    picked = findings[findings["verdict"].isin(["flaky", "broken"]).to_numpy()]
    score = pd.to_numeric(picked.get("score"), errors="coerce").fillna(0.0)
    picked = picked.assign(_score=score, _id=picked["test_id"].astype(str))
    picked = picked.sort_values(["_score", "_id"], ascending=[False, True], kind="stable")
    return list(dict.fromkeys(picked["_id"]))[:limit]


_STRIP_COLORS = {
    "passed": OUTCOME_COLORS["success"],
    "failed": OUTCOME_COLORS["failure"],
    "error": OUTCOME_COLORS["startup_failure"],
    "skipped": OUTCOME_COLORS["skipped"],
}


def strip_figure(results: pd.DataFrame, title: str) -> go.Figure:
    """One mark per result in time order, coloured by outcome; the hover shows the run (and
    attempt) and the date. ``results`` as :func:`core.store.flaky.test_results_of` reads."""
    if results.empty:
        return empty_figure(title, "No stored results of this test.")
    when = pd.to_datetime(results["created_at"], utc=True, errors="coerce", format="ISO8601")
    fig = go.Figure()
    for outcome in dict.fromkeys(results["outcome"].astype(str)):
        mine = results["outcome"].astype(str).eq(outcome).to_numpy()
        shown = results[mine]
        fig.add_scatter(
            x=when[mine],
            y=[0] * int(mine.sum()),
            mode="markers",
            name=chart_text(outcome),
            marker={
                "symbol": "square",
                "size": 12,
                "color": _STRIP_COLORS.get(outcome, OUTCOME_COLORS["neutral"]),
            },
            customdata=list(
                zip(
                    shown["run_id"].astype(str),
                    shown["attempt"].fillna(1).astype(int).astype(str),
                    chart_texts(shown["created_at"]),
                    strict=True,
                )
            ),
            hovertemplate=(
                f"{chart_text(outcome)}<br>run %{{customdata[0]}} attempt %{{customdata[1]}}"
                "<br>%{customdata[2]}<extra></extra>"
            ),
        )
    fig.update_yaxes(visible=False, range=[-1, 1])
    fig.update_xaxes(title_text="run date")
    return house_layout(fig, title, "", height=200)


def evidence_table(results: pd.DataFrame) -> pd.DataFrame:
    """One test's results newest first, the failures' messages with them: ``created_at,
    run_id, attempt, job, outcome, message``."""
    columns = ["created_at", "run_id", "attempt", "job", "outcome", "message"]
    if results.empty:
        return pd.DataFrame(columns=columns)
    return results.reindex(columns=columns).iloc[::-1].reset_index(drop=True)


def _short(text: object, width: int = 60) -> str:
    """A long id cut from the left (its test name, at the end, is what tells tests apart)."""
    value = str(text)
    return value if len(value) <= width else "…" + value[-(width - 1) :]
