"""The feature catalogue: every feature of a run, what it means, its unit, and whether it is
known before the run starts.

Why a catalogue in code: the Failure Prediction may only use features known before the run
(``known_before_run``), a test checks that promise by shuffling what a run and later runs did,
the page and ``docs/features.md`` describe each feature from here, and the catalogue's version
(a hash of it) tells the agent when stored feature rows are stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "Feature",
    "CATALOGUE",
    "CATALOGUE_VERSION",
    "FEATURE_NAMES",
    "KNOWN_BEFORE_RUN",
    "CATEGORICAL",
    "feature",
]


@dataclass(frozen=True)
class Feature:
    name: str
    group: str  # temporal, categorical, change, history, performance
    definition: str
    unit: str
    known_before_run: bool


def _f(name: str, group: str, unit: str, known: bool, definition: str) -> Feature:
    return Feature(name, group, definition, unit, known)


# "prior" below always means: runs of the same group that *finished* before this run was created
# (their outcome was known when it started), never a run created after it.
CATALOGUE: tuple[Feature, ...] = (
    # temporal
    _f("hour_utc", "temporal", "hour", True, "Hour of the day the run was created (UTC)."),
    _f("weekday", "temporal", "day", True, "Day of the week the run was created (0 = Monday)."),
    _f("is_weekend", "temporal", "flag", True, "Created on a Saturday or Sunday (UTC)."),
    _f(
        "since_prev_run_s",
        "temporal",
        "s",
        True,
        "Seconds since the previous run of the same workflow was created.",
    ),
    _f(
        "runs_prev_24h",
        "temporal",
        "runs",
        True,
        "Runs of the same workflow created in the 24 hours before this one.",
    ),
    # categorical (kept as text here; the models encode them with scikit-learn)
    _f("workflow", "categorical", "category", True, "The workflow's name."),
    _f(
        "event",
        "categorical",
        "category",
        True,
        "What triggered the run (push, pull_request, ...).",
    ),
    _f(
        "branch_kind",
        "categorical",
        "category",
        True,
        "default, release, bot (dependabot/renovate), pull_request or feature.",
    ),
    _f(
        "runner_os",
        "categorical",
        "category",
        True,
        "Runner operating systems of the run's jobs (as the workflow file declares them).",
    ),
    _f("is_bot_actor", "categorical", "flag", True, "The run was started by a bot account."),
    _f("is_rerun", "categorical", "flag", True, "The run is a re-run (attempt 2 or more)."),
    # change: the head commit
    _f("additions", "change", "lines", True, "Lines added by the head commit."),
    _f("deletions", "change", "lines", True, "Lines deleted by the head commit."),
    _f("churn", "change", "lines", True, "Lines added plus deleted by the head commit."),
    _f("files_changed", "change", "files", True, "Files the head commit changed."),
    _f("file_types", "change", "types", True, "Distinct file extensions the head commit touched."),
    _f("touches_workflow", "change", "flag", True, "The commit changed a workflow file."),
    _f(
        "touches_dependencies",
        "change",
        "flag",
        True,
        "The commit changed a dependency manifest or lockfile.",
    ),
    _f("touches_tests", "change", "flag", True, "The commit changed test files."),
    _f("docs_only", "change", "flag", True, "Every file the commit changed is documentation."),
    _f("msg_fix", "change", "flag", True, "The commit message mentions a fix."),
    _f("msg_revert", "change", "flag", True, "The commit is a revert."),
    _f(
        "msg_dependency",
        "change",
        "flag",
        True,
        "The commit message is about dependencies (bump, upgrade, update deps).",
    ),
    _f("msg_wip", "change", "flag", True, "The commit message says work in progress."),
    # history: prior runs only
    _f(
        "wf_fail_rate_10",
        "history",
        "share",
        True,
        "Failure share of the last 10 prior finished runs of the workflow.",
    ),
    _f(
        "branch_fail_rate_10",
        "history",
        "share",
        True,
        "Failure share of the last 10 prior finished runs of the workflow on this branch.",
    ),
    _f(
        "actor_fail_rate_10",
        "history",
        "share",
        True,
        "Failure share of the last 10 prior finished runs started by the same actor.",
    ),
    _f(
        "prev_failed",
        "history",
        "flag",
        True,
        "The last prior finished run of the workflow on this branch failed (the workflow's when "
        "the branch has none): the 'parrot'.",
    ),
    # the change: the pull request a run builds, else its branch (a pull request's runs may be
    # filed under its base branch, as on Travis CI, where the branch mixes many changes)
    _f(
        "change_prev_failed",
        "history",
        "flag",
        True,
        "The last prior finished run of the workflow for the same change (its pull request, "
        "else its branch) failed (the workflow's last run when the change has none).",
    ),
    _f(
        "change_fail_rate_10",
        "history",
        "share",
        True,
        "Failure share of the last 10 prior finished runs of the workflow for the same change "
        "(its pull request, else its branch).",
    ),
    _f(
        "change_fails_since_green",
        "history",
        "runs",
        True,
        "Prior finished runs of the workflow for the same change that failed since its last "
        "success.",
    ),
    _f(
        "change_prior_runs",
        "history",
        "runs",
        True,
        "Prior finished runs of the workflow for the same change (its pull request, else its "
        "branch).",
    ),
    _f(
        "fails_since_green",
        "history",
        "runs",
        True,
        "Prior finished runs of the workflow that failed since its last success.",
    ),
    _f(
        "since_green_s",
        "history",
        "s",
        True,
        "Seconds since the workflow's last prior successful run finished.",
    ),
    _f("prior_runs", "history", "runs", True, "Prior finished runs of the workflow."),
    _f(
        "duration_median_10",
        "history",
        "s",
        True,
        "Median duration of the workflow's last 10 prior successful runs.",
    ),
    _f(
        "duration_ewm",
        "history",
        "s",
        True,
        "Exponentially weighted mean duration of the workflow's prior successful runs (span 10).",
    ),
    _f(
        "duration_trend",
        "history",
        "ratio",
        True,
        "Short over long EWM duration of prior successful runs, minus 1 (> 0: slowing down).",
    ),
    # performance: what the run itself did (not known before it runs)
    _f("duration_s", "performance", "s", False, "The run's duration."),
    _f(
        "duration_vs_median",
        "performance",
        "ratio",
        False,
        "The run's duration over duration_median_10.",
    ),
    _f("jobs", "performance", "jobs", False, "Jobs the run had."),
    _f(
        "failed_jobs", "performance", "jobs", False, "Jobs that failed, timed out or did not start."
    ),
    _f("queue_s_max", "performance", "s", False, "Longest wait of a job for a runner."),
    _f("job_seconds", "performance", "s", False, "Runner time of all jobs together."),
    _f("job_s_max", "performance", "s", False, "Duration of the slowest job."),
    _f("steps", "performance", "steps", False, "Steps of all jobs."),
    _f("step_s_max", "performance", "s", False, "Duration of the slowest step."),
    _f(
        "tests", "performance", "tests", False, "Test results read from the run's reports and logs."
    ),
    _f("test_failures", "performance", "tests", False, "Tests that failed or errored."),
    _f(
        "log_error_lines",
        "performance",
        "lines",
        False,
        "Error lines in the run's stored logs (logs are fetched for failures and their baselines).",
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in CATALOGUE)
KNOWN_BEFORE_RUN: tuple[str, ...] = tuple(f.name for f in CATALOGUE if f.known_before_run)
CATEGORICAL: tuple[str, ...] = ("workflow", "event", "branch_kind", "runner_os")
CATALOGUE_VERSION: str = hashlib.sha256(repr(CATALOGUE).encode()).hexdigest()[:12]


def feature(name: str) -> Feature:
    """The catalogue entry named ``name`` (KeyError when there is none)."""
    for entry in CATALOGUE:
        if entry.name == name:
            return entry
    raise KeyError(name)


def catalogue_markdown() -> str:
    """The catalogue as the Markdown table of ``docs/features.md`` (a test keeps them equal)."""
    lines = [
        "# Feature catalogue",
        "",
        "One row per run (its latest attempt), computed by `agents/feature_engineering/` and",
        "written to `features.csv` by `ci-medic analyze`. Generated from",
        "`core/features/catalogue.py`; *known before run* features use only runs",
        "that finished before the run was created (the Failure Prediction uses only those).",
        "",
        "| feature | group | unit | known before run | definition |",
        "|---|---|---|---|---|",
    ]
    for entry in CATALOGUE:
        known = "yes" if entry.known_before_run else "no"
        lines.append(
            f"| `{entry.name}` | {entry.group} | {entry.unit} | {known} | {entry.definition} |"
        )
    return "\n".join(lines) + "\n"
