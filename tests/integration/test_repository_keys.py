"""Runs and jobs are keyed by repository + id: two histories with the same ids live side by side.

Specification (issue 13): converted Travis/Jenkins histories number builds 1..N, and hand-made
dumps reuse each other's repository id; keyed by id alone, importing a second repository moved
the first one's runs and jobs to it. Now every repository ends exactly as if it were imported
alone, whatever else the store holds, and the pages' readers see each repository's own jobs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.pipeline_monitor.drilldown import job_steps, run_jobs
from agents.pipeline_monitor.log_viewer import load_log_index
from core.dump.importer import import_path
from core.store.db import Store
from tests.integration.dump_factory import job_id, make_dump, run_id

FIRST, SECOND = "first-org/alpha", "second-org/beta"
# every table a repository's history lives in, and the columns that say when, not what
PER_REPOSITORY = (
    "workflows",
    "runs",
    "jobs",
    "steps",
    "commits",
    "logs",
    "tests",
    "test_results",
    "run_reports",
)
WHEN_COLUMNS = {"repo_id", "fetched_at"}
# the store's own numbers, which depend on what else it holds: a test is named by its name
OWN_IDS = {"tests": {"id"}, "test_results": {"test"}}


def repository_rows(store: Store, full_name: str) -> dict[str, list[tuple]]:
    """A repository's rows in every table, without the store's own id and fetch times."""
    repo_id = store.repo_id(full_name)
    assert repo_id is not None, f"{full_name} is not stored"
    rows = {}
    for table in PER_REPOSITORY:
        frame = store.frame(f"SELECT * FROM {table} WHERE repo_id = ?", (repo_id,))
        if table == "test_results":
            names = dict(store.query("SELECT id, name FROM tests WHERE repo_id = ?", (repo_id,)))
            frame["test_name"] = frame["test"].map(names)
        dropped = WHEN_COLUMNS | OWN_IDS.get(table, set())
        frame = frame.drop(columns=[c for c in frame.columns if c in dropped])
        rows[table] = sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False))
    return rows


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two repositories' dumps with the same repository id, run ids and job ids, but different
    outcomes (every 2nd run fails in one, every 3rd in the other) and job counts."""
    root = tmp_path_factory.mktemp("colliding")
    return {
        FIRST: make_dump(root / "a", runs=6, fail_every=2, jobs_per_run=2, full_name=FIRST),
        SECOND: make_dump(root / "b", runs=6, fail_every=3, jobs_per_run=3, full_name=SECOND),
    }


@pytest.fixture(scope="module")
def alone(dumps: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each repository imported into a store of its own."""
    rows = {}
    for name, dump in dumps.items():
        store = Store(tmp_path_factory.mktemp("alone") / "alone.db")
        import_path(store, dump)
        rows[name] = repository_rows(store, name)
    return rows


@pytest.mark.parametrize("order", [(FIRST, SECOND), (SECOND, FIRST)])
def test_importing_a_colliding_dump_leaves_each_repository_as_if_imported_alone(
    dumps, alone, tmp_path, order
):
    store = Store(tmp_path / "both.db")
    for name in order:
        import_path(store, dumps[name])

    assert {name: repository_rows(store, name) for name in order} == {
        name: alone[name] for name in order
    }
    names = set(store.repositories()["full_name"])
    assert names == {FIRST, SECOND}


def test_importing_the_same_dumps_again_changes_nothing(dumps, tmp_path):
    store = Store(tmp_path / "twice.db")
    for _ in range(2):
        for name in (FIRST, SECOND):
            import_path(store, dumps[name])
    before = {name: repository_rows(store, name) for name in (FIRST, SECOND)}
    import_path(store, dumps[FIRST])
    assert {name: repository_rows(store, name) for name in (FIRST, SECOND)} == before


def test_the_drilldown_reads_each_repositorys_own_jobs_steps_and_logs(dumps, tmp_path):
    store = Store(tmp_path / "pages.db")
    for name in (FIRST, SECOND):
        import_path(store, dumps[name])

    first, second = run_jobs(store, FIRST, run_id(1)), run_jobs(store, SECOND, run_id(1))

    assert len(first) == 2 and len(second) == 3
    assert "failure" in set(first["conclusion"])  # run 1 fails in the first only
    assert set(second["conclusion"]) == {"success"}
    assert len(job_steps(store, FIRST, job_id(1))) > 0
    first_log = load_log_index(store, FIRST, job_id(1))
    second_log = load_log_index(store, SECOND, job_id(1))
    assert first_log is not None and second_log is not None
    assert run_jobs(store, "nobody/none", run_id(1)).empty
