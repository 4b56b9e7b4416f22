"""Feature Engineering: every catalogued feature, nothing from the future, computed once.

Specification (issue 14): one row per run with every feature the catalogue names, the catalogue
documented in docs/features.md; a feature marked ``known_before_run`` is the same whatever the
run itself and every later run did (their outcomes and durations are shuffled here); a re-run
computes only runs that are new or changed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.base import AgentContext
from agents.feature_engineering.agent import FINDING_COLUMNS, FeatureEngineering
from agents.feature_engineering.build import run_features
from core.config import Settings
from core.dump.importer import import_path
from core.features.catalogue import (
    CATALOGUE,
    FEATURE_NAMES,
    KNOWN_BEFORE_RUN,
    catalogue_markdown,
)
from core.store.db import Store
from core.store.features import FeatureInputs, feature_inputs
from tests.conftest import REPO_ROOT
from tests.integration.dump_factory import FULL_NAME, make_dump

START = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def synthetic_inputs(runs: int = 240, seed: int = 3) -> FeatureInputs:
    """A made-up history: two workflows, three branches, three actors, runs every ~40 minutes
    that sometimes overlap (a run can finish after later ones were created)."""
    rng = np.random.default_rng(seed)
    created = [START + timedelta(minutes=int(m)) for m in np.cumsum(rng.integers(5, 80, runs))]
    duration = rng.integers(200, 900, runs).astype(float)
    failed = rng.random(runs) < 0.25
    shas = [f"{i:040x}" for i in range(runs)]
    frame = pd.DataFrame(
        {
            "run_id": np.arange(1, runs + 1) * 10,
            "attempt": 1,
            "workflow_id": rng.choice([11, 12], runs),
            "workflow_name": None,
            "event": rng.choice(["push", "pull_request"], runs),
            "status": "completed",
            "conclusion": np.where(failed, "failure", "success"),
            "head_branch": rng.choice(["main", "feature/x", "dependabot/pip/y"], runs),
            "head_sha": shas,
            "actor": rng.choice(["ana", "bo", "renovate[bot]"], runs),
            "pr_numbers": None,
            "created_at": [_ts(c) for c in created],
            "run_started_at": [_ts(c) for c in created],
            "updated_at": [
                _ts(c + timedelta(seconds=float(d))) for c, d in zip(created, duration, strict=True)
            ],
            "duration_s": duration,
        }
    )
    frame["workflow_name"] = frame["workflow_id"].map({11: "CI", 12: "Lint"})
    # pull requests (three of them, a few runs each in turn) filed under their branch
    pull = frame["event"].eq("pull_request")
    frame["pr_numbers"] = (frame.index // 5 % 3 + 1).astype(str).where(pull, None)
    keys = frame[["run_id", "attempt"]]
    jobs = keys.assign(
        jobs=3,
        failed_jobs=failed.astype(int),
        queue_s_max=rng.integers(1, 60, runs),
        queue_s_total=rng.integers(1, 90, runs),
        job_seconds=duration * 2,
        job_s_max=duration * 0.9,
        runner_os="Linux",
        labels='["ubuntu-latest"]',
    )
    files = [
        '["src/app.py", "tests/test_app.py"]',
        '["README.md"]',
        '["package-lock.json", ".github/workflows/ci.yml"]',
    ]
    commits = pd.DataFrame(
        {
            "head_sha": shas,
            "additions": rng.integers(0, 300, runs),
            "deletions": rng.integers(0, 100, runs),
            "files_changed": 2,
            "files": rng.choice(files, runs),
            "message": rng.choice(["fix the parser", "Bump lodash from 1 to 2", "wip"], runs),
            "author_login": "ana",
            "committed_at": frame["created_at"],
        }
    )
    return FeatureInputs(
        runs=frame,
        jobs=jobs,
        steps=keys.assign(steps=12, step_s_max=duration * 0.5),
        tests=keys.assign(tests=40, test_failures=failed.astype(int) * 2),
        logs=keys.assign(log_error_lines=failed.astype(int) * 5),
        commits=commits,
        default_branch="main",
    )


def _what_runs_did_shuffled(inputs: FeatureInputs, first: int, seed: int) -> FeatureInputs:
    """The outcomes and durations of run ``first`` and every later run permuted among them
    (completion times follow the durations); everything before ``first`` untouched."""
    rng = np.random.default_rng(seed)
    runs = inputs.runs.copy()
    later = runs.index[first:]
    for column in ("conclusion", "duration_s"):
        runs.loc[later, column] = rng.permutation(runs.loc[later, column].to_numpy())
    created = pd.to_datetime(runs.loc[later, "created_at"], utc=True)
    ends = created + pd.to_timedelta(runs.loc[later, "duration_s"].astype(float), unit="s")
    runs.loc[later, "updated_at"] = ends.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    shuffled = {"runs": runs}
    for name in ("jobs", "steps", "tests", "logs"):
        frame = getattr(inputs, name).copy()
        rows = frame.index[first:]
        for column in frame.columns.difference(["run_id", "attempt"]):
            frame.loc[rows, column] = rng.permutation(frame.loc[rows, column].to_numpy())
        shuffled[name] = frame
    return FeatureInputs(**shuffled, commits=inputs.commits, default_branch=inputs.default_branch)


def test_every_catalogued_feature_is_produced_once_per_run():
    inputs = synthetic_inputs()

    features = run_features(inputs)

    assert list(features.columns) == list(FINDING_COLUMNS)
    assert len(features) == len(inputs.runs) and features["run_id"].is_unique
    assert len(FEATURE_NAMES) >= 25 and len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    late = features.iloc[50:]  # past the first runs, every feature has a value
    assert late[list(FEATURE_NAMES)].notna().all().all(), late.columns[late.isna().any()].tolist()


@pytest.mark.parametrize("first", [0, 60, 150, 239])
def test_known_before_run_features_ignore_the_run_itself_and_every_later_run(first):
    inputs = synthetic_inputs()
    before = run_features(inputs).set_index("run_id")

    for seed in range(3):
        after = run_features(_what_runs_did_shuffled(inputs, first, seed)).set_index("run_id")
        run = inputs.runs["run_id"].iloc[first]
        pd.testing.assert_series_equal(
            before.loc[run, list(KNOWN_BEFORE_RUN)], after.loc[run, list(KNOWN_BEFORE_RUN)]
        )
    # and the check can fail: what the run did shows in the features that are not known before
    assert (
        not before.loc[:, ["duration_s", "jobs", "failed_jobs"]]
        .iloc[first:]
        .equals(after.loc[:, ["duration_s", "jobs", "failed_jobs"]].iloc[first:])
        or first == 239
    )


def test_history_features_count_only_runs_that_finished_before_the_run_was_created():
    inputs = synthetic_inputs(runs=3)
    runs = inputs.runs
    runs["workflow_id"], runs["head_branch"] = 11, "main"
    runs["conclusion"] = ["failure", "failure", "success"]
    # run 0 finishes after run 1 was created: run 1 cannot know run 0 failed
    runs["created_at"] = ["2026-03-02T08:00:00Z", "2026-03-02T08:05:00Z", "2026-03-02T09:00:00Z"]
    runs["updated_at"] = ["2026-03-02T08:30:00Z", "2026-03-02T08:20:00Z", "2026-03-02T09:10:00Z"]

    features = run_features(inputs)

    assert np.isnan(features.loc[1, "prev_failed"]) and features.loc[1, "prior_runs"] == 0
    assert features.loc[2, "prev_failed"] == 1.0 and features.loc[2, "prior_runs"] == 2
    assert features.loc[2, "wf_fail_rate_10"] == 1.0 and features.loc[2, "fails_since_green"] == 2


def test_change_history_follows_the_pull_request_not_the_branch_it_is_filed_under():
    inputs = synthetic_inputs(runs=4)
    runs = inputs.runs
    runs["workflow_id"], runs["head_branch"] = 11, "main"  # as Travis files pull requests
    runs["event"] = ["pull_request", "push", "pull_request", "pull_request"]
    runs["pr_numbers"] = ["7", None, "7", "9"]
    runs["conclusion"] = ["failure", "success", "success", "failure"]
    hours = ["08", "09", "10", "11"]  # each run finishes before the next one is created
    runs["created_at"] = [f"2026-03-02T{h}:00:00Z" for h in hours]
    runs["updated_at"] = [f"2026-03-02T{h}:30:00Z" for h in hours]

    f = run_features(inputs)

    # run 2 (pull request 7): the branch's last run passed, the pull request's last one failed
    assert f.loc[2, "prev_failed"] == 0.0 and f.loc[2, "change_prev_failed"] == 1.0
    assert f.loc[2, "change_fail_rate_10"] == 1.0 and f.loc[2, "change_fails_since_green"] == 1
    assert f.loc[2, "change_prior_runs"] == 1
    # run 3 (pull request 9, new): no history of its own, the workflow's last run instead
    assert f.loc[3, "change_prior_runs"] == 0 and np.isnan(f.loc[3, "change_fail_rate_10"])
    assert f.loc[3, "change_prev_failed"] == 0.0


def test_change_features_read_the_files_and_message_of_the_head_commit():
    inputs = synthetic_inputs(runs=3)
    inputs.commits["files"] = [
        '["package-lock.json", ".github/workflows/ci.yml"]',
        '["docs/intro.md", "README.md"]',
        '["src/a.py", "tests/test_a.py", "web/b.ts"]',
    ]
    inputs.commits["message"] = ["Bump lodash from 4.17.20 to 4.17.21", "Fix typo", "WIP"]

    f = run_features(inputs)

    assert f["touches_dependencies"].tolist() == [1.0, 0.0, 0.0]
    assert f["touches_workflow"].tolist() == [1.0, 0.0, 0.0]
    assert f["docs_only"].tolist() == [0.0, 1.0, 0.0]
    assert f["touches_tests"].tolist() == [0.0, 0.0, 1.0]
    assert f["file_types"].tolist() == [2, 1, 2]
    assert f["msg_dependency"].tolist() == [1.0, 0.0, 0.0]
    assert f["msg_fix"].tolist() == [0.0, 1.0, 0.0] and f["msg_wip"].tolist() == [0.0, 0.0, 1.0]


def test_the_catalogue_document_is_the_catalogue():
    documented = (REPO_ROOT / "docs" / "features.md").read_text(encoding="utf-8")
    assert documented == catalogue_markdown()
    assert all(entry.definition.endswith(".") for entry in CATALOGUE)


def _run_agent(db: Path) -> object:
    ctx = AgentContext(Store(db), Settings().with_(db_path=str(db)), FULL_NAME)
    return FeatureEngineering().run(ctx)


def test_a_rerun_computes_only_the_runs_that_are_new(tmp_path):
    db = tmp_path / "s.db"
    import_path(Store(db), make_dump(tmp_path / "ten", runs=10))
    first = _run_agent(db)
    again = _run_agent(db)
    import_path(Store(db), make_dump(tmp_path / "twelve", runs=12))
    grown = _run_agent(db)

    assert first.metrics["computed"] == 10 and len(first.messages) == 10
    assert again.metrics["computed"] == 0 and again.messages == []
    assert grown.metrics["computed"] == 2 and grown.metrics["runs"] == 12
    stored = feature_inputs(Store(db), Store(db).repo_id(FULL_NAME))
    assert len(stored.runs) == 12


def test_the_job_table_has_each_jobs_own_history(tmp_path):
    from agents.feature_engineering.jobs import JOB_FEATURES, job_features
    from core.store.features import job_rows

    store = Store(tmp_path / "jobs.db")
    import_path(store, make_dump(tmp_path / "d", runs=8, jobs_per_run=2, fail_every=2))
    jobs = job_features(job_rows(store, store.repo_id(FULL_NAME)))

    assert set(JOB_FEATURES) <= set(jobs.columns) and jobs["job_id"].is_unique
    first_job = jobs[jobs["job"] == jobs["job"].iloc[0]]
    # each run of the job knows only the runs of that job before it
    assert np.isnan(first_job["prev_job_failed"].iloc[0])
    assert first_job["prev_job_failed"].iloc[1:].notna().all()


def _run_agent_noting(db: Path, said: list[str]) -> object:
    ctx = AgentContext(
        Store(db),
        Settings().with_(db_path=str(db)),
        FULL_NAME,
        progress=lambda _share, text: said.append(text),
    )
    return FeatureEngineering().run(ctx)


def test_the_findings_of_a_run_that_computed_are_the_rows_it_stored(tmp_path):
    """A run that computed reports its computed frame instead of reading every row back from
    the store: it must be the same frame, value for value and type for type."""
    db = tmp_path / "s.db"
    import_path(Store(db), make_dump(tmp_path / "d", runs=9, fail_every=3))
    computed = _run_agent(db)
    again = _run_agent(db)  # nothing changed: read from the store

    assert computed.metrics["computed"] == 9 and again.metrics["computed"] == 0
    pd.testing.assert_frame_equal(computed.findings, again.findings)
    assert list(computed.findings.columns) == list(FINDING_COLUMNS)


def test_a_rerun_with_nothing_new_reads_and_computes_nothing(tmp_path):
    db = tmp_path / "s.db"
    import_path(Store(db), make_dump(tmp_path / "d", runs=6))
    first_said: list[str] = []
    again_said: list[str] = []
    _run_agent_noting(db, first_said)
    again = _run_agent_noting(db, again_said)

    assert any(text.startswith("Reading runs") for text in first_said)
    assert again_said == [] and again.metrics["computed"] == 0
    assert again.metrics["runs"] == 6  # the stored rows are still the findings


def test_runs_whose_logs_and_test_reports_arrive_later_get_their_features_again(tmp_path):
    db = tmp_path / "s.db"
    plain = make_dump(tmp_path / "plain", runs=6, with_logs=False, with_artifacts=False)
    import_path(Store(db), plain)
    first = _run_agent(db)
    import_path(Store(db), make_dump(tmp_path / "full", runs=6))  # the same runs, now with both
    later = _run_agent(db)

    assert first.findings["tests"].isna().all() and first.findings["log_error_lines"].isna().all()
    assert 0 < later.metrics["computed"] <= 6 and len(later.messages) == later.metrics["computed"]
    fresh = run_features(feature_inputs(Store(db), Store(db).repo_id(FULL_NAME)))
    stored = later.findings.set_index("run_id")[["tests", "test_failures", "log_error_lines"]]
    expected = fresh.set_index("run_id")[["tests", "test_failures", "log_error_lines"]]
    pd.testing.assert_frame_equal(stored.sort_index(), expected.sort_index(), check_dtype=False)
    assert stored["tests"].notna().any() and stored["log_error_lines"].notna().any()


def test_a_new_attempt_replaces_the_features_of_the_earlier_one(tmp_path):
    db = tmp_path / "s.db"
    import_path(Store(db), make_dump(tmp_path / "one", runs=5))
    _run_agent(db)
    import_path(Store(db), make_dump(tmp_path / "two", runs=5, attempts={4: 2}))
    result = _run_agent(db)

    assert result.findings["run_id"].is_unique and len(result.findings) == 5
    newest = result.findings.sort_values("created_at").iloc[-1]
    assert newest["attempt"] == 2


def test_a_job_that_changed_alone_is_seen_by_the_next_run(tmp_path):
    """The fingerprint reads the jobs' conclusions and durations, not only how many there are
    (a dump imported again with one job's outcome corrected moves no run's updated_at)."""
    db = tmp_path / "s.db"
    dump = make_dump(tmp_path / "d", runs=6, fail_every=0)
    import_path(Store(db), dump)
    _run_agent(db)
    first = min(dump.glob("jobs/*.json"))
    jobs = json.loads(first.read_text())
    listed = jobs["jobs"] if isinstance(jobs, dict) else jobs
    listed[0]["conclusion"] = "failure"
    first.write_text(json.dumps(jobs))
    import_path(Store(db), dump)
    again = _run_agent(db)

    assert again.metrics["computed"] == 1
    assert again.findings["failed_jobs"].max() == 1
