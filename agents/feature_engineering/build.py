"""The features of every run, computed column by column over the whole history (no per-run loop).

Leakage is prevented by construction, not by care: every history feature is read with
``pandas.merge_asof`` from the runs of the same group that *finished strictly before* the run was
created, so neither the run's own outcome and duration nor any later run can reach its
``known_before_run`` features (``tests/unit/test_features.py`` shuffles them to prove it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.features.catalogue import FEATURE_NAMES
from core.store.features import FeatureInputs

__all__ = ["FAILED", "KEY_COLUMNS", "REVISION", "SUCCEEDED", "run_features", "outcome_of"]

FAILED = ("failure", "timed_out", "startup_failure")
SUCCEEDED = ("success",)
WINDOW = 10  # the "last N runs" of the history features
REVISION = 4  # bump when a feature's computation changes: stored rows of older ones are redone
# what identifies a row and its label; the features follow in catalogue order
KEY_COLUMNS = ("run_id", "attempt", "created_at", "updated_at", "status", "failed")

_DEPENDENCY_FILES = (
    r"(?:^|/|\")(?:package(?:-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|requirements[^/\"]*\.txt|"
    r"pyproject\.toml|poetry\.lock|Pipfile(?:\.lock)?|setup\.(?:py|cfg)|uv\.lock|go\.(?:mod|sum)|"
    r"Cargo\.(?:toml|lock)|Gemfile(?:\.lock)?|[^/\"]*\.gemspec|pom\.xml|build\.gradle(?:\.kts)?|"
    r"gradle\.lockfile|composer\.(?:json|lock)|mix\.(?:exs|lock)|[^/\"]*\.csproj|"
    r"packages\.config|Podfile(?:\.lock)?|environment\.ya?ml)\""
)
_TEST_FILES = (
    r"(?:^|/|\")(?:tests?|spec|__tests__)/|(?:_test|_spec|\.test|\.spec)\.\w+\"|/test_\w+\.py\""
)
_DOC_FILE = r"^(?:docs?/.*|.*\.(?:md|rst|txt|adoc)|LICENSE.*|AUTHORS.*|CHANGELOG.*)$"


def outcome_of(conclusion: pd.Series, status: pd.Series | None = None) -> pd.Series:
    """1.0 for a failed run, 0.0 for a successful one, NaN for anything else (cancelled,
    skipped, unfinished): only decided runs count in failure rates."""
    out = pd.Series(np.nan, index=conclusion.index)
    out[conclusion.isin(FAILED)] = 1.0
    out[conclusion.isin(SUCCEEDED)] = 0.0
    if status is not None:
        out[status.ne("completed")] = np.nan
    return out


def run_features(inputs: FeatureInputs) -> pd.DataFrame:
    """One row per run (latest attempt): ``run_id, attempt, created_at, failed`` (the label:
    1/0, NaN when undecided) and every catalogue feature, oldest run first."""
    runs = _base(inputs.runs)
    if runs.empty:
        return pd.DataFrame(columns=[*KEY_COLUMNS, *FEATURE_NAMES])
    frame = runs[["run_id", "attempt", "created_at_text", "updated_at", "status"]].rename(
        columns={"created_at_text": "created_at"}
    )
    frame["failed"] = runs["outcome"]
    frame = frame.join(_temporal(runs))
    frame = frame.join(_categorical(runs, inputs))
    frame = frame.join(_change(runs, inputs.commits))
    frame = frame.join(_history(runs))
    frame = frame.join(_performance(runs, inputs))
    frame["duration_vs_median"] = frame["duration_s"] / frame["duration_median_10"].where(
        frame["duration_median_10"] > 0
    )
    return frame[list(KEY_COLUMNS) + list(FEATURE_NAMES)].reset_index(drop=True)


# --------------------------------------------------------------------------- the runs


def _base(raw: pd.DataFrame) -> pd.DataFrame:
    runs = raw.copy()
    runs["created"] = pd.to_datetime(
        runs["created_at"], utc=True, errors="coerce", format="ISO8601"
    )
    runs = runs[runs["created"].notna()].sort_values(["created", "run_id"], kind="stable")
    runs = runs.reset_index(drop=True)
    runs["created_at_text"] = runs["created_at"]
    updated = pd.to_datetime(runs["updated_at"], utc=True, errors="coerce", format="ISO8601")
    # a run's outcome is known from when it finished, never before it was created
    runs["done"] = updated.where(updated > runs["created"], runs["created"] + pd.Timedelta("1s"))
    runs["outcome"] = outcome_of(runs["conclusion"], runs["status"])
    runs["wf"] = runs["workflow_id"].fillna(-1).astype("int64").astype(str) + "|"
    runs["wf_branch"] = runs["wf"] + runs["head_branch"].fillna("")
    # the change a run builds: its pull request when it has one (a pull request's runs can be
    # filed under the base branch, as Travis does), else its branch
    prs = runs["pr_numbers"] if "pr_numbers" in runs else pd.Series(None, index=runs.index)
    pr = prs.fillna("").astype(str).str.split(",").str[0].str.strip()
    runs["change"] = runs["wf_branch"].where(pr.eq(""), runs["wf"] + "#" + pr)
    runs["who"] = runs["actor"].fillna("").astype(str)
    return runs


def _temporal(runs: pd.DataFrame) -> pd.DataFrame:
    created = runs["created"]
    out = pd.DataFrame(index=runs.index)
    out["hour_utc"] = created.dt.hour
    out["weekday"] = created.dt.weekday
    out["is_weekend"] = (created.dt.weekday >= 5).astype(int)
    previous = created.groupby(runs["wf"]).shift(1)
    out["since_prev_run_s"] = (created - previous).dt.total_seconds()
    out["runs_prev_24h"] = _aligned_rolling_count(runs) - 1  # not counting the run itself
    return out


def _aligned_rolling_count(runs: pd.DataFrame) -> np.ndarray:
    """Per run, how many runs of its workflow were created in the 24 hours up to and including
    it (searchsorted per group: vectorised, and aligned to the runs' own order)."""
    created = (runs["created"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    day = 24 * 3600.0
    result = np.zeros(len(runs), dtype=float)
    for _, index in runs.groupby("wf").indices.items():  # one step per workflow, not per run
        times = created[index]
        first = np.searchsorted(times, times - day, side="right")
        result[index] = np.arange(len(index)) - first + 1
    return result


def _categorical(runs: pd.DataFrame, inputs: FeatureInputs) -> pd.DataFrame:
    out = pd.DataFrame(index=runs.index)
    out["workflow"] = runs["workflow_name"].fillna("(unnamed)")
    out["event"] = runs["event"].fillna("unknown")
    branch = runs["head_branch"].fillna("")
    kind = pd.Series("feature", index=runs.index)
    kind[runs["event"].fillna("").str.startswith("pull_request")] = "pull_request"
    kind[branch.str.match(r"(?i)^(?:release|hotfix|v?\d+\.\d+)")] = "release"
    kind[branch.str.match(r"(?i)^(?:dependabot|renovate)/")] = "bot"
    if inputs.default_branch:
        kind[branch == inputs.default_branch] = "default"
    out["branch_kind"] = kind
    jobs = inputs.jobs.set_index(["run_id", "attempt"])
    key = pd.MultiIndex.from_frame(runs[["run_id", "attempt"]])
    runner = jobs["runner_os"].reindex(key).to_numpy() if len(jobs) else np.full(len(runs), None)
    out["runner_os"] = pd.Series(runner, index=runs.index).fillna("unknown").astype(str)
    actor = runs["who"].str.lower()
    out["is_bot_actor"] = (actor.str.endswith("[bot]") | actor.str.contains("bot$")).astype(int)
    out["is_rerun"] = (runs["attempt"].astype(int) > 1).astype(int)
    return out


# --------------------------------------------------------------------------- the head commit


def _change(runs: pd.DataFrame, commits: pd.DataFrame) -> pd.DataFrame:
    commits = commits.drop_duplicates("head_sha").set_index("head_sha")
    c = commits.reindex(runs["head_sha"].fillna(""))
    c.index = runs.index
    files = c["files"].fillna("").astype(str)
    message = c["message"].fillna("").astype(str).str.lower()
    out = pd.DataFrame(index=runs.index)
    out["additions"] = pd.to_numeric(c["additions"], errors="coerce")
    out["deletions"] = pd.to_numeric(c["deletions"], errors="coerce")
    out["churn"] = out["additions"] + out["deletions"]
    out["files_changed"] = pd.to_numeric(c["files_changed"], errors="coerce")
    extensions = files.str.findall(r"\.([A-Za-z0-9]{1,8})\"")
    known = files.ne("")
    types = extensions.explode().groupby(level=0).nunique().reindex(runs.index)
    out["file_types"] = types.where(known)
    out["touches_workflow"] = _flag(files.str.contains(r"\.github/workflows/", regex=True), known)
    out["touches_dependencies"] = _flag(files.str.contains(_DEPENDENCY_FILES, regex=True), known)
    out["touches_tests"] = _flag(files.str.contains(_TEST_FILES, regex=True), known)
    names = files.str.findall(r"\"([^\"]+)\"")
    exploded = names.explode().dropna()
    docs = exploded.str.match(_DOC_FILE).groupby(level=0).all().reindex(runs.index)
    out["docs_only"] = _flag(docs.fillna(False).astype(bool), known)
    has_message = message.ne("")
    out["msg_fix"] = _flag(message.str.contains(r"\bfix", regex=True), has_message)
    out["msg_revert"] = _flag(message.str.startswith("revert"), has_message)
    out["msg_dependency"] = _flag(
        message.str.contains(r"\b(?:bump|upgrade|update)\b.*\b(?:dep|version|from)", regex=True)
        | message.str.contains(r"\bdeps?\b", regex=True),
        has_message,
    )
    out["msg_wip"] = _flag(
        message.str.contains(r"\bwip\b|work in progress", regex=True), has_message
    )
    return out


def _flag(values: pd.Series, known: pd.Series) -> pd.Series:
    """1/0 where the commit is known, NaN where it is not (a missing commit is not 'no')."""
    return values.astype(float).where(known)


# --------------------------------------------------------------------------- prior runs


def _history(runs: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=runs.index)
    out["wf_fail_rate_10"] = _prior_fail_rate(runs, "wf")
    out["branch_fail_rate_10"] = _prior_fail_rate(runs, "wf_branch")
    out["actor_fail_rate_10"] = _prior_fail_rate(runs, "who")
    branch_prev = _prior(runs, "wf_branch", _last_outcomes(runs, "wf_branch"), ["last"])["last"]
    wf_prev = _prior(runs, "wf", _last_outcomes(runs, "wf"), ["last"])["last"]
    out["prev_failed"] = branch_prev.fillna(wf_prev)
    columns = ["last", "fails_since_green", "prior_runs"]
    change = _prior(runs, "change", _streaks(runs, "change"), columns)
    out["change_prev_failed"] = change["last"].fillna(wf_prev)
    out["change_fail_rate_10"] = _prior_fail_rate(runs, "change")
    out["change_fails_since_green"] = change["fails_since_green"]
    out["change_prior_runs"] = change["prior_runs"].fillna(0)
    streak = _prior(runs, "wf", _streaks(runs), ["fails_since_green", "prior_runs", "green_at"])
    out["fails_since_green"] = streak["fails_since_green"]
    out["prior_runs"] = streak["prior_runs"].fillna(0)
    out["since_green_s"] = (runs["created"] - streak["green_at"]).dt.total_seconds()
    durations = _prior(runs, "wf", _duration_baselines(runs), ["median", "ewm", "trend"])
    out["duration_median_10"] = durations["median"]
    out["duration_ewm"] = durations["ewm"]
    out["duration_trend"] = durations["trend"]
    return out


def _finished(runs: pd.DataFrame, group: str, decided: bool = True) -> pd.DataFrame:
    """The runs of ``group`` in the order they finished (only decided ones by default)."""
    done = runs[runs["outcome"].notna()] if decided else runs
    return done.sort_values([group, "done", "run_id"], kind="stable")


def _prior(runs: pd.DataFrame, group: str, stats: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``stats`` (indexed like finished runs, with ``done`` and ``group``) as of
    the last run of the same group that finished strictly before each run was created."""
    if stats.empty:
        return pd.DataFrame(np.nan, index=runs.index, columns=columns)
    left = runs[["created", group]].reset_index().sort_values("created", kind="stable")
    right = stats[["done", group, *columns]].sort_values("done", kind="stable")
    merged = pd.merge_asof(
        left,
        right,
        left_on="created",
        right_on="done",
        by=group,
        allow_exact_matches=False,
        direction="backward",
    )
    return merged.set_index("index")[columns].reindex(runs.index)


def _prior_fail_rate(runs: pd.DataFrame, group: str) -> pd.Series:
    """The failure rate of the last :data:`WINDOW` finished runs of the group, as of each run.

    Summed from one running total over the finished runs, which come sorted by group: each
    run's window is the rows from ``WINDOW - 1`` before it (or its group's first) to it. A
    rolling mean per group did the same with Python work per group (at 100k runs 41k groups
    of actors and changes: 1.6 s). Outcomes are 0 and 1, so every sum is an exact integer and
    the rates are the rolling means' bit for bit."""
    done = _finished(runs, group)
    outcome = done["outcome"].to_numpy(dtype=float)
    back = np.minimum(done.groupby(group, sort=False).cumcount().to_numpy(), WINDOW - 1)
    total = np.concatenate([[0.0], np.cumsum(outcome)])
    rows = np.arange(1, len(done) + 1)
    rate = (total[rows] - total[rows - 1 - back]) / (back + 1)
    stats = done[["done", group]].assign(rate=rate)
    return _prior(runs, group, stats, ["rate"])["rate"]


def _last_outcomes(runs: pd.DataFrame, group: str) -> pd.DataFrame:
    done = _finished(runs, group)
    return done[["done", group]].assign(last=done["outcome"])


def _streaks(runs: pd.DataFrame, group: str = "wf") -> pd.DataFrame:
    """Per finished run of ``group``: its outcome, the group's failures since its last success,
    the group's finished runs so far and when its last success finished."""
    done = _finished(runs, group)
    count = done.groupby(group, sort=False).cumcount() + 1
    green = done["outcome"].eq(0)
    count_at_green = count.where(green).groupby(done[group], sort=False).ffill().fillna(0)
    green_at = done["done"].where(green).groupby(done[group], sort=False).ffill()
    return done[["done", group]].assign(
        last=done["outcome"],
        fails_since_green=count - count_at_green,
        prior_runs=count,
        green_at=green_at,
    )


def _duration_baselines(runs: pd.DataFrame) -> pd.DataFrame:
    ok = runs[runs["outcome"].eq(0) & runs["duration_s"].notna()]
    ok = ok.sort_values(["wf", "done", "run_id"], kind="stable")
    by = ok.groupby("wf", sort=False)["duration_s"]
    median = by.rolling(WINDOW, min_periods=1).median().reset_index(level=0, drop=True)
    ewm = by.transform(lambda s: s.ewm(span=WINDOW).mean())
    short = by.transform(lambda s: s.ewm(span=5).mean())
    long = by.transform(lambda s: s.ewm(span=30).mean())
    return ok[["done", "wf"]].assign(median=median, ewm=ewm, trend=short / long - 1)


# --------------------------------------------------------------------------- what the run did


def _performance(runs: pd.DataFrame, inputs: FeatureInputs) -> pd.DataFrame:
    key = pd.MultiIndex.from_frame(runs[["run_id", "attempt"]])
    out = pd.DataFrame(index=runs.index)
    out["duration_s"] = pd.to_numeric(runs["duration_s"], errors="coerce")
    parts = (
        (inputs.jobs, ["jobs", "failed_jobs", "queue_s_max", "job_seconds", "job_s_max"]),
        (inputs.steps, ["steps", "step_s_max"]),
        (inputs.tests, ["tests", "test_failures"]),
        (inputs.logs, ["log_error_lines"]),
    )
    for frame, columns in parts:
        indexed = frame.set_index(["run_id", "attempt"]) if len(frame) else None
        for column in columns:
            values = (
                pd.to_numeric(indexed[column], errors="coerce").reindex(key).to_numpy()
                if indexed is not None
                else np.full(len(runs), np.nan)
            )
            out[column] = values
    return out
