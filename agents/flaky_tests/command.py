"""``ci-medic flaky HISTORY.csv [--json]``: judge every test of a history file.

:func:`add_parser` registers the subcommand on ``ci-medic``'s subparsers and :func:`run` runs
it. ``--json`` prints one JSON object per line per test, in order of first appearance, with
the contract's fields first (``test_id``, ``verdict``, ``score``, ``runs``, ``failures``,
``same_sha_flips``, ``culprit_sha``; the culprit is null unless the test is broken) and the
rest of the judgement after them. Without it, a table a person reads: broken and flaky tests
first. A file that is no history (missing, a folder, empty, no such column, an outcome that
cannot be read) is exit 2 with one sentence, like a bad argument, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.flaky_tests.csv_input import HistoryInputError, line_of, read_history_csv
from agents.flaky_tests.judge import judge
from agents.flaky_tests.verdict import VERDICTS
from core.presentation.exports import json_value

__all__ = ["CONTRACT_FIELDS", "add_parser", "json_rows", "run", "table"]

CONTRACT_FIELDS = (
    "test_id",
    "verdict",
    "score",
    "runs",
    "failures",
    "same_sha_flips",
    "culprit_sha",
)
TABLE_ORDER = ("broken", "flaky", "insufficient_data", "stable")
EXTRA_FIELDS = (
    "score_low",
    "score_high",
    "flip_rate",
    "intermittent_failures",
    "infra_failures",
    "culprit_run",
    "fixed_sha",
    "first_flake",
    "last_flake",
    "evidence_runs",
    "cluster",
    "jobs",
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``flaky`` on ``subparsers`` (what ``add_subparsers()`` returned)."""
    parser = subparsers.add_parser(
        "flaky",
        help="judge every test of a history CSV: flaky, broken, stable",
        description="Judge every test of a history (a CSV file with one row per test result: "
        "test_id and outcome, optionally run_id, attempt, commit_sha, created_at, job and "
        "branch; rows in time order): flaky, broken since a culprit commit, stable, or too "
        "little data, with a flakiness score and its credible interval; a test is judged in "
        "each job it runs in, and named flaky when it is flaky in any of them.",
    )
    parser.add_argument("file", type=Path, metavar="HISTORY.csv")
    parser.add_argument("--json", action="store_true", help="one JSON object per test and line")
    return parser


def run(args: argparse.Namespace) -> int:
    """Judge ``args.file``; 0 when judged, 2 (one sentence on stderr) when it is no history."""
    try:
        history = read_history_csv(args.file)
    except HistoryInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    judged = judge(history)
    if "run_id" not in history:
        judged = _runs_by_line(judged)
    if args.json:
        for row in json_rows(judged):
            print(json.dumps(row, ensure_ascii=False, allow_nan=False))
    else:
        print(table(judged))
    return 0


def _runs_by_line(judged: pd.DataFrame) -> pd.DataFrame:
    """``judged`` with its runs named by their line: without run ids the engine names each
    row's run by its position in the history (a number; a run id read from a file is text)."""

    def line(label: Any) -> Any:
        return line_of(int(label)) if isinstance(label, int | np.integer) else label

    out = judged.copy()
    for name in ("culprit_run", "first_flake", "last_flake"):
        out[name] = out[name].map(line).astype(object)
    out["evidence_runs"] = [[line(run) for run in runs] for runs in out["evidence_runs"]]
    return out


def json_rows(judged: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON objects of ``--json``: the contract's fields first, plain Python values."""
    return [
        {name: json_value(row[name], 6) for name in CONTRACT_FIELDS + EXTRA_FIELDS}
        for row in judged.to_dict("records")
    ]


def table(judged: pd.DataFrame) -> str:
    """Aligned columns a person reads, broken and flaky first, then by score."""
    order = {verdict: i for i, verdict in enumerate(TABLE_ORDER)}
    shown = judged.assign(_rank=judged["verdict"].map(order)).sort_values(
        ["_rank", "score"], ascending=[True, False], kind="stable"
    )
    counts = judged["verdict"].value_counts()
    summary = ", ".join(f"{counts.get(v, 0):,} {v}" for v in VERDICTS)
    rows = [("test", "verdict", "score (90% interval)", "runs", "fails", "flips", "culprit")]
    for row in shown.itertuples():
        culprit = row.culprit_sha if row.culprit_sha is not None else row.culprit_run
        rows.append(
            (
                str(row.test_id),
                str(row.verdict),
                f"{row.score:.3f} ({row.score_low:.3f}-{row.score_high:.3f})",
                f"{row.runs:,}",
                f"{row.failures:,}",
                f"{row.same_sha_flips:,}",
                "" if culprit is None else str(culprit),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return f"{len(judged):,} tests: {summary}.\n" + "\n".join(lines)
