"""The likely cause of a level shift or a trend: what changed around the run where it began.

Why evidence and not a guess: a shift is only worth an alert if someone can act on it, and what
they act on is a change (a commit that touched the workflow file or a lockfile, a new runner
image, a new step). So the runs just before the change are compared with the runs just after:
the runner labels and the set of steps of the job, then the commits of the runs where the new
level began, first the ones that touched CI configuration, dependencies or tests. When nothing
changed in what CI Medic can see, the cause says so and names the first run of the new level.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

__all__ = ["cause_rows", "likely_cause", "touched"]

_WORKFLOW = r"^\.github/workflows/"
_DEPENDENCIES = (
    r"(?:^|/)(?:package(?:-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|requirements[^/]*\.txt|"
    r"pyproject\.toml|poetry\.lock|Pipfile(?:\.lock)?|uv\.lock|go\.(?:mod|sum)|Cargo\.(?:toml|lock)|"
    r"Gemfile(?:\.lock)?|pom\.xml|build\.gradle(?:\.kts)?|composer\.(?:json|lock)|"
    r"Dockerfile|docker-compose\.ya?ml)$"
)
_TESTS = r"(?:^|/)(?:tests?|spec|__tests__)/|(?:_test|_spec|\.test|\.spec)\.\w+$|/test_\w+\.py$"
BEFORE = 10  # runs before the change compared with the runs after it
AFTER = 8  # runs from the change point on searched for what changed
COMMON = 5 * BEFORE  # runs before the change whose commits say what changes usually touch


def touched(files_json: object) -> dict[str, list[str]]:
    """What one commit's changed files (a JSON list) touched: workflow files, dependency
    manifests and test files, each with the matching paths."""
    try:
        files = [str(f) for f in json.loads(files_json)] if isinstance(files_json, str) else []
    except ValueError:
        files = []
    paths = pd.Series(files, dtype=object)
    found = {}
    for what, pattern in (
        ("the workflow file", _WORKFLOW),
        ("a dependency manifest", _DEPENDENCIES),
        ("test files", _TESTS),
    ):
        hits = paths[paths.str.contains(pattern, regex=True)] if len(paths) else paths
        if len(hits):
            found[what] = hits.head(3).tolist()
    return found


def cause_rows(start: int) -> slice:
    """The rows :func:`likely_cause` reads for a change point at ``start``: a caller that
    adds a column only it needs (the jobs' step names) adds it to these rows alone."""
    return slice(max(0, start - COMMON), start + AFTER)


def likely_cause(
    series: pd.DataFrame, start: int, commits: pd.DataFrame, window: int = AFTER
) -> str:
    """One sentence on what changed where the new level of ``series`` begins.

    ``series`` is the watched rows oldest first (``head_sha``, ``run_number`` and, for jobs,
    ``labels``/``runner_os``/``step_names``); ``start`` is the position of the first row of
    the new level (the change point); ``commits`` has ``sha, message, files``. The rows
    ``start - 2 .. start + window`` are searched for the change (a detector's change point is
    a few runs uncertain).
    """
    if series.empty or not 0 <= start < len(series):
        return ""
    before = series.iloc[max(0, start - BEFORE) : start]
    after = series.iloc[start : start + window]
    changed = _setup_change(before, after)
    if changed:
        return changed
    by_sha = commits.drop_duplicates("sha").set_index("sha") if len(commits) else None
    candidates = series.iloc[max(0, start - 2) : start + window]
    common = _common_kinds(series.iloc[max(0, start - COMMON) : max(0, start - 2)], by_sha)
    first_commit = None
    for row in candidates.itertuples(index=False):  # a handful of rows, not the history
        sha = getattr(row, "head_sha", None)
        if by_sha is None or not sha or sha not in by_sha.index:
            continue
        commit = by_sha.loc[sha]
        first_commit = first_commit or (row, commit)
        what = {k: v for k, v in touched(commit.get("files")).items() if k not in common}
        if what:
            kinds = " and ".join(what)
            paths = ", ".join(p for ps in what.values() for p in ps)
            return (
                f"commit {sha[:7]} (run #{_number(row)}) touched {kinds} ({paths}): "
                f"{_subject(commit.get('message'))}"
            )
    if first_commit is not None:
        row, commit = first_commit
        return (
            f"no CI, dependency or test change seen; the new level begins near commit "
            f"{str(row.head_sha)[:7]} (run #{_number(row)}): {_subject(commit.get('message'))}"
        )
    return ""


def _common_kinds(rows: pd.DataFrame, by_sha: pd.DataFrame | None) -> set[str]:
    """What the commits before the change touched often (in more than a quarter of them): a
    kind of change that usually leaves the level alone is no evidence that it moved it (most
    commits touch tests)."""
    if by_sha is None or rows.empty or "head_sha" not in rows:
        return set()
    shas = [s for s in rows["head_sha"].dropna().unique() if s in by_sha.index]
    if not shas:
        return set()
    seen: dict[str, int] = {}
    for sha in shas:  # the few dozen commits before the change
        for kind in touched(by_sha.loc[sha].get("files")):
            seen[kind] = seen.get(kind, 0) + 1
    return {kind for kind, n in seen.items() if n > len(shas) / 4}


def _setup_change(before: pd.DataFrame, after: pd.DataFrame) -> str:
    """A change of runner labels or steps between the runs before and after the change point."""
    for column, what in (("labels", "runner labels"), ("runner_os", "runner OS")):
        if column in before and len(before) and len(after):
            old, new = _usual(before[column]), _usual(after[column])
            if old and new and old != new:
                return (
                    f"{what} changed from {old} to {new} at run #{_first_with(after, column, new)}"
                )
    if "step_names" in before and len(before) and len(after):
        old_steps = set(_split(_usual(before["step_names"])))
        new_steps = set(_split(_usual(after["step_names"])))
        added, removed = sorted(new_steps - old_steps), sorted(old_steps - new_steps)
        if added or removed:
            parts = [
                f"new step {_names(added)}" if added else "",
                f"step {_names(removed)} removed" if removed else "",
            ]
            return " and ".join(p for p in parts if p) + f" at run #{_number(after.iloc[0])}"
    return ""


def _usual(values: pd.Series) -> str:
    values = values.dropna().astype(str)
    return str(values.mode().iloc[0]) if len(values) else ""


def _first_with(rows: pd.DataFrame, column: str, value: str) -> object:
    match = rows[rows[column].astype(str) == value]
    return _number(match.iloc[0]) if len(match) else "?"


def _split(names: str) -> Sequence[str]:
    return [n for n in names.split("|") if n]


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names[:3]) + (" …" if len(names) > 3 else "")


def _number(row: object) -> object:
    number = getattr(row, "run_number", None)
    if number is None and isinstance(row, pd.Series):
        number = row.get("run_number")
    return "?" if number is None or pd.isna(number) else int(number)


def _subject(message: object) -> str:
    first = str(message or "").strip().splitlines()
    text = first[0] if first else "(no message)"
    return text if len(text) <= 80 else text[:79] + "…"
