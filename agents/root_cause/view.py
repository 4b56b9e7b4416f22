"""What the Root causes section of the Intelligence page shows, as frames and small dataclasses.

The page only draws: everything here is a plain function over the store (or over frames), so a
test reads the same numbers the page shows. The Root Cause agent stores one finding per failed
job (:mod:`agents.root_cause.agent`); this module turns those findings into the failures table,
the clusters over time, the class distribution and, for one failure, its log excerpt with the
failing lines marked and linked to GitHub. Log text stays plain data in a DataFrame: a log line
such as ``<script>`` is shown as text, never rendered as HTML.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.root_cause.analysis import cluster_failures
from core.logs.normalise import NormalisedLog, github_log_url, map_github_steps
from core.store import jobs as job_store
from core.store import logs as log_store
from core.store.db import Store
from core.store.findings import count_findings, load_finding, load_findings
from core.store.repositories import default_branch
from core.workspace import Workspace

__all__ = [
    "FAILURE_COLUMNS",
    "NO_LOGS_MESSAGE",
    "RCA_AGENT",
    "FailureDetail",
    "RootCauseView",
    "SelfEvaluation",
    "VIEW_FIELDS",
    "class_distribution",
    "cluster_days",
    "cluster_table",
    "demo_truth",
    "evaluation_view",
    "excerpt_lines",
    "failure_detail",
    "failures_table",
    "filter_failures",
    "filter_options",
    "highlight_failing",
    "parse_ranges",
    "root_cause_view",
    "self_evaluation",
    "short_fingerprint",
    "stored_logs",
    "view_of",
]

RCA_AGENT = "root_cause"
NO_LOGS_MESSAGE = (
    "Fetch logs on the Pipelines page first: root-cause analysis reads each failed "
    "job's log, and no log of this repository is stored yet."
)
FAILURE_COLUMNS = [
    "job_id",
    "created_at",
    "job",
    "workflow",
    "branch",
    "category",
    "confidence",
    "transient",
    "summary",
    "cluster",
    "suggestion",
    "html_url",
    "label",
]
CLUSTER_COLUMNS = [
    "cluster",
    "category",
    "first_seen",
    "last_seen",
    "occurrences",
    "branches",
    "prs",
    "on_default_branch",
    "example_job_id",
    "fingerprint",
]
_TRANSIENT = {"transient": True, "not transient": False}
_CONTEXT = 3  # lines shown around each failing range
_TAIL = 30  # lines shown when a failure has no located lines


@dataclass(frozen=True)
class RootCauseView:
    """Everything the Root causes section draws for one repository."""

    repo: str
    logs: int  # stored logs of the repository (0: fetch logs first)
    failures: pd.DataFrame  # one row per analysed failed job, newest first
    clusters: pd.DataFrame  # one row per fingerprint, most frequent first
    days: pd.DataFrame  # day, cluster, occurrences (top clusters only)
    classes: pd.DataFrame  # category, transient, failures
    findings: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    analysed_in_all: int = 0  # failures the agent has explained, in any period

    @property
    def analysed(self) -> bool:
        """Whether the agent has explained at least one failure drawn here."""
        return not self.failures.empty

    def finding(self, job_id: int) -> dict[str, Any]:
        """The stored finding of one failed job (what :func:`failure_detail` reads)."""
        rows = self.findings[self.findings["job_id"] == int(job_id)]
        return rows.iloc[0].to_dict() if len(rows) else {"job_id": int(job_id)}


@dataclass(frozen=True)
class FailureDetail:
    """One failure: its log excerpt (failing lines marked), the suggestion and the evidence."""

    job_id: int
    found: bool
    message: str
    lines: pd.DataFrame
    summary: str = ""
    suggestion: str = ""
    evidence: tuple[str, ...] = ()
    job_url: str | None = None


def stored_logs(store: Store, repo: str) -> int:
    """How many job logs of ``repo`` are stored: the agent has nothing to read without them."""
    return log_store.stored_log_count(store, repo)


def _default_branch(store: Store, repo: str) -> str:
    return str(default_branch(store, repo) or "")


# What the section reads of each finding: all but the evidence lines, which only the one failure
# being inspected shows (:func:`failure_detail` reads its whole finding).
VIEW_FIELDS = (
    "job_id", "run_id", "attempt", "job", "workflow", "branch", "prs", "created_at",
    "conclusion", "failed_step", "category", "confidence", "transient", "lines", "summary",
    "suggestion", "fingerprint", "html_url",
)  # fmt: skip


def root_cause_view(
    store: Store,
    repo: str,
    top: int = 8,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> RootCauseView:
    """Load the agent's findings once and shape every table and chart frame from them
    (:func:`view_of`); for a ``period``, only those created from the day before it on (the
    view cuts the period exactly; a 100k-run history holds ~26k analysed failures, 30 days
    ~7k of them)."""
    analysed_in_all = None
    since = None
    if period is not None:
        since = (period[0] - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        analysed_in_all = count_findings(store, repo, RCA_AGENT)
    findings = load_findings(store, repo, RCA_AGENT, fields=VIEW_FIELDS, created_since=since)
    logs = stored_logs(store, repo)
    branch = _default_branch(store, repo)
    return view_of(repo, logs, findings, branch, top, period, analysed_in_all)


def view_of(
    repo: str,
    logs: int,
    findings: pd.DataFrame,
    default_branch: str,
    top: int = 8,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    analysed_in_all: int | None = None,
) -> RootCauseView:
    """The view of ``findings``, of the failures created within ``period`` (start excluded,
    end included: the sidebar's period) where given; ``analysed_in_all`` counts them all (the
    caller's count where ``findings`` were read for the period only). Built once for the
    period: a 100k-run history has ~30k analysed failures."""
    if analysed_in_all is None:
        analysed_in_all = len(findings)
    if period is not None and analysed_in_all:
        created = _times(findings["created_at"])
        findings = findings[(created > period[0]) & (created <= period[1])]
        findings = findings.reset_index(drop=True)
    clusters = cluster_table(findings, default_branch)
    return RootCauseView(
        repo,
        logs,
        failures_table(findings),
        clusters,
        cluster_days(findings, clusters, top),
        class_distribution(findings),
        findings,
        analysed_in_all,
    )


# --------------------------------------------------------------------------- tables


def short_fingerprint(value: Any) -> str:
    """The first 8 hex digits name a cluster on screen; the CSV keeps the full fingerprint."""
    return str(value or "")[:8]


def _times(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def failures_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The failures table, newest first, with a unique label per row for a select box."""
    if findings.empty:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    frame = findings.copy()
    frame["created_at"] = _times(frame["created_at"])
    frame["cluster"] = frame["fingerprint"].map(short_fingerprint)
    frame["transient"] = frame["transient"].fillna(False).astype(bool)
    frame = frame.sort_values(["created_at", "job_id"], ascending=False).reset_index(drop=True)
    when = frame["created_at"].dt.strftime("%d %b %H:%M").fillna("?")
    frame["label"] = (
        when
        + " · "
        + frame["workflow"].fillna("?").astype(str)
        + " · "
        + frame["job"].fillna("?").astype(str)
        + " · "
        + frame["category"].fillna("?").astype(str)
        + " · job "
        + frame["job_id"].astype(str)
    )
    return frame[FAILURE_COLUMNS]


def filter_options(failures: pd.DataFrame) -> dict[str, list[str]]:
    """The values each filter offers, most frequent first."""
    options = {
        name: failures[column].dropna().astype(str).value_counts().index.tolist()
        for name, column in (("class", "category"), ("workflow", "workflow"), ("branch", "branch"))
    }
    options["transient"] = list(_TRANSIENT)
    return options


def filter_failures(
    failures: pd.DataFrame,
    category: str | None = None,
    workflow: str | None = None,
    branch: str | None = None,
    transient: str | None = None,
) -> pd.DataFrame:
    """Rows matching every chosen filter (None = any); ``transient`` is a filter_options label."""
    keep = pd.Series(True, index=failures.index)
    for column, wanted in (("category", category), ("workflow", workflow), ("branch", branch)):
        if wanted:
            keep &= failures[column].astype(str) == wanted
    if transient in _TRANSIENT:
        keep &= failures["transient"].astype(bool) == _TRANSIENT[transient]
    return failures[keep].reset_index(drop=True)


def _first_pr(value: Any) -> float:
    """The first PR number of ``runs.pr_numbers`` ("12,15"), NaN for pushes."""
    text = str(value or "").split(",")[0].strip()
    return float(text) if text.isdigit() else np.nan


def cluster_table(findings: pd.DataFrame, default_branch: str) -> pd.DataFrame:
    """Failures grouped by fingerprint (:func:`agents.root_cause.analysis.cluster_failures`),
    readable.

    ``on_default_branch`` answers "is this also failing on the default branch?", which tells
    a PR author whether the failure is theirs.
    """
    if findings.empty:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    frame = pd.DataFrame(
        {
            "job_id": findings["job_id"],
            "fingerprint": findings["fingerprint"],
            "created_at": findings["created_at"],
            "head_branch": findings["branch"],
            "pr_number": findings["prs"].map(_first_pr) if "prs" in findings else np.nan,
            "default_branch": default_branch,
            "category": findings["category"],
        }
    )
    clusters = cluster_failures(frame)
    if clusters.empty:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    clusters["cluster"] = clusters["fingerprint"].map(short_fingerprint)
    clusters["branches"] = clusters["branches"].map(", ".join)
    clusters["prs"] = clusters["prs"].map(lambda prs: ", ".join(f"#{p}" for p in prs))
    return clusters[CLUSTER_COLUMNS]


def cluster_days(findings: pd.DataFrame, clusters: pd.DataFrame, top: int = 8) -> pd.DataFrame:
    """Occurrences per day of the ``top`` most frequent clusters (a chart of recurrence)."""
    if findings.empty or clusters.empty:
        return pd.DataFrame(columns=["day", "cluster", "category", "occurrences"])
    chosen = clusters.head(top)
    frame = findings[findings["fingerprint"].isin(chosen["fingerprint"])].copy()
    frame["day"] = _times(frame["created_at"]).dt.tz_localize(None).dt.normalize()
    frame["cluster"] = frame["fingerprint"].map(short_fingerprint)
    days = frame.groupby(["day", "cluster", "category"]).size().rename("occurrences")
    order = {name: rank for rank, name in enumerate(chosen["cluster"])}
    days = days.reset_index()
    days["_rank"] = days["cluster"].map(order)
    return days.sort_values(["_rank", "day"]).drop(columns="_rank").reset_index(drop=True)


def class_distribution(findings: pd.DataFrame) -> pd.DataFrame:
    """Failures per class, split into transient and not, most frequent class first."""
    if findings.empty:
        return pd.DataFrame(columns=["category", "transient", "failures"])
    frame = findings.assign(transient=findings["transient"].fillna(False).astype(bool))
    counts = frame.groupby(["category", "transient"]).size().rename("failures").reset_index()
    totals = counts.groupby("category")["failures"].transform("sum")
    return (
        counts.assign(_total=totals)
        .sort_values(["_total", "category", "transient"], ascending=[False, True, True])
        .drop(columns="_total")
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- one failure


def parse_ranges(text: Any) -> list[tuple[int, int]]:
    """``"12-14;30-30"`` -> ``[(12, 14), (30, 30)]``, most likely first; junk is skipped."""
    ranges = []
    for part in str(text or "").split(";"):
        first, _, last = part.strip().partition("-")
        if first.isdigit() and (last or first).isdigit():
            low, high = int(first), int(last or first)
            ranges.append((min(low, high), max(low, high)))
    return ranges


def _steps_and_links(
    log: NormalisedLog,
    rows: pd.DataFrame,
    job_url: str | None,
    api_steps: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[str | None]]:
    """Each line's step name and GitHub link: the API step and its own line when the log's
    sections map onto the job's steps, else the log section's name and the job's page."""
    spans = map_github_steps(log, api_steps) if api_steps and job_url else ()
    sections = [""] + [span.name for span in log.steps]
    names: list[str] = []
    links: list[str | None] = []
    for number, step in zip(rows["line_no"], rows["step"], strict=True):
        span = next((s for s in spans if s.first_line <= number <= s.last_line), None)
        names.append(span.name if span is not None else sections[int(step) + 1])
        url = github_log_url(job_url, span, int(number)) if span is not None and job_url else None
        links.append(url or job_url)
    return names, links


def excerpt_lines(
    log: NormalisedLog,
    ranges: Sequence[tuple[int, int]],
    job_url: str | None,
    api_steps: Sequence[Mapping[str, Any]] = (),
    context: int = _CONTEXT,
) -> pd.DataFrame:
    """The failing lines with ``context`` lines around them (the log's end when none located).

    Columns: ``line`` (GitHub's number), ``failing`` (inside a located range), ``step``, ``text``
    (plain text) and ``github`` (a deep link).
    """
    frame = log.to_frame()
    numbers = frame["line_no"].to_numpy()
    failing = np.zeros(len(frame), dtype=bool)
    shown = np.zeros(len(frame), dtype=bool)
    for first, last in ranges:
        failing |= (numbers >= first) & (numbers <= last)
        shown |= (numbers >= first - context) & (numbers <= last + context)
    if not shown.any():
        shown[-_TAIL:] = True
    shown &= numbers > 0  # the truncation marker row is not a line of the log
    chosen = frame[shown]
    names, links = _steps_and_links(log, chosen, job_url, api_steps)
    return pd.DataFrame(
        {
            "line": chosen["line_no"].to_numpy(),
            "failing": failing[shown],
            "step": names,
            "text": chosen["text"].to_numpy(),
            "github": links,
        }
    )


def failure_detail(store: Store, repo: str, finding: Mapping[str, Any]) -> FailureDetail:
    """Load one failed job of ``repo``: its log, and the excerpt the agent pointed at (``finding``
    completed by the stored one, e.g. with the evidence lines a view leaves out)."""
    job_id = int(finding["job_id"])
    finding = {**finding, **(load_finding(store, repo, RCA_AGENT, job_id) or {})}
    repo_id = store.repo_id(repo)
    repo_id = -1 if repo_id is None else int(repo_id)
    url = str(finding.get("html_url") or "")
    job_url = url if url.startswith(("https://", "http://")) else None
    evidence = tuple(str(line) for line in (finding.get("evidence") or ()))
    detail = {
        "summary": str(finding.get("summary") or ""),
        "evidence": evidence,
        "suggestion": str(finding.get("suggestion") or ""),
        "job_url": job_url,
    }
    log = log_store.load_log(store, repo_id, int(job_id))
    if log is None:
        return FailureDetail(
            job_id, False, "This job's log is no longer stored.", pd.DataFrame(), **detail
        )
    steps = job_store.api_steps(store, repo_id, job_id)
    ranges = parse_ranges(finding.get("lines"))
    lines = excerpt_lines(log, ranges, job_url, steps)
    located = int(lines["failing"].sum())
    message = (
        f"{located} failing line(s) in {len(ranges)} range(s), with {_CONTEXT} lines of context."
        if located
        else "No failing line was located: the end of the log."
    )
    return FailureDetail(job_id, True, message, lines, **detail)


def highlight_failing(lines: pd.DataFrame):
    """A pandas Styler that tints the failing rows (the text itself stays plain)."""

    def tint(row: pd.Series) -> list[str]:
        style = "background-color: rgba(224, 49, 49, 0.18)" if row["failing"] else ""
        return [style] * len(row)

    return lines.style.apply(tint, axis=1)


# --------------------------------------------------------------------------- self-evaluation


@dataclass(frozen=True)
class SelfEvaluation:
    """How the agent did against the demo's planted truth (demo mode only)."""

    evaluated: int  # failures with both a finding and a truth entry
    accuracy: float  # share whose class matches the truth
    hit_at_5: float  # share whose first 5 ranges overlap the truth lines
    transient_accuracy: float
    confusion: pd.DataFrame  # truth class (index) x predicted class (columns): counts
    jobs: pd.DataFrame  # one row per evaluated failure


def _hit(predicted: Sequence[tuple[int, int]], truth: Sequence[Sequence[int]], k: int) -> bool:
    """hit@k as in bench/rca_bench.py: one of the first k ranges overlaps a truth line."""
    wanted = {n for first, last in truth for n in range(int(first), int(last) + 1)}
    return any(wanted & set(range(a, b + 1)) for a, b in predicted[:k])


def _scored(finding: Mapping[str, Any], cause: Mapping[str, Any]) -> dict[str, Any]:
    """One failure's finding next to its planted cause."""
    return {
        "job_id": int(finding["job_id"]),
        "job": finding.get("job"),
        "truth": cause.get("category"),
        "predicted": finding.get("category"),
        "transient_ok": bool(finding.get("transient")) == bool(cause.get("transient")),
        "hit@5": _hit(parse_ranges(finding.get("lines")), cause.get("lines") or [], 5),
    }


def self_evaluation(findings: pd.DataFrame, truth: Mapping[str, Any]) -> SelfEvaluation:
    """Compare findings with ``truth.json``'s ``root_causes`` ({job_id: category, lines, ...}).

    Only the explicit self-evaluation view calls this; agents never see the truth.
    """
    causes = truth.get("root_causes") or {}
    records = findings.to_dict(orient="records") if not findings.empty else []
    rows = [
        _scored(row, causes[str(row["job_id"])]) for row in records if str(row["job_id"]) in causes
    ]
    jobs = pd.DataFrame(
        rows, columns=["job_id", "job", "truth", "predicted", "transient_ok", "hit@5"]
    )
    if jobs.empty:
        return SelfEvaluation(0, 0.0, 0.0, 0.0, pd.DataFrame(), jobs)
    jobs["correct"] = jobs["truth"] == jobs["predicted"]
    classes = sorted(set(jobs["truth"]) | set(jobs["predicted"]))
    confusion = pd.crosstab(jobs["truth"], jobs["predicted"]).reindex(
        index=classes, columns=classes, fill_value=0
    )
    return SelfEvaluation(
        len(jobs),
        float(jobs["correct"].mean()),
        float(jobs["hit@5"].mean()),
        float(jobs["transient_ok"].mean()),
        confusion,
        jobs,
    )


def evaluation_view(workspace: Workspace, view: RootCauseView) -> SelfEvaluation | None:
    """The self-evaluation for the page: None in live mode or for another repository."""
    truth = demo_truth(workspace, view.repo)
    return None if truth is None else self_evaluation(view.findings, truth)


def demo_truth(workspace: Workspace, repo: str) -> dict[str, Any] | None:
    """The demo dump's truth.json, only in demo mode and for the demo repository (else None).

    Read once per process while the file is unchanged (three sections of the Layer-2 page ask
    for it, and a 100k-run demo's truth is 22 MB: ~1 s to parse). Callers only read it."""
    if workspace.demo_dump is None or repo.lower() != workspace.repo.lower():
        return None
    path = Path(workspace.demo_dump) / "truth.json"
    try:
        stat = path.stat()
    except OSError:
        stat = None
    stamp = (stat.st_mtime_ns, stat.st_size) if stat is not None else None
    return _truth(str(workspace.demo_dump), stamp)


@functools.lru_cache(maxsize=2)
def _truth(dump: str, stamp: tuple[int, int] | None) -> dict[str, Any] | None:
    """The parsed truth of ``dump`` as it was at ``stamp`` (its file's mtime and size)."""
    from core.dump.files import Dump

    return Dump(dump).truth()
