"""Integration fixtures: a small demo dump (generated once per session) served by the emulator,
and imported once per session into a store file that tests copy rather than import again."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core.config import Settings
from core.github.source import GitHubSource
from core.sandbox.demo.generator import DEMO_REPO, generate_demo
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from tests.built_once import built_once

if TYPE_CHECKING:
    from core.dump.importer import ImportReport

DEMO_END = datetime(2026, 1, 1, tzinfo=UTC)
ALL_HISTORY = timedelta(days=3650)  # the test demo ends in the past: sync all of it
SNAPSHOT_TABLES = {
    "runs": "repo_id, run_id, attempt",
    "jobs": "repo_id, job_id",
    "steps": "repo_id, job_id, number",
    "commits": "repo_id, sha",
    "workflows": "repo_id, id",
}


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~300-run demo dump: big enough for paging and re-runs, small enough to sync fast.
    Built once per run and shared: tests read it (a test that changes a dump copies it)."""

    def build(folder: Path) -> None:
        generate_demo(folder / "dump", seed=11, end=DEMO_END, runs_target=300, days=20)

    return built_once(tmp_path_factory, "small-demo", build) / "dump"


@pytest.fixture()
def emulator(small_demo: Path) -> Iterator[Emulator]:
    with Emulator(small_demo) as emu:
        yield emu


def settings_for(emu: Emulator, db: Path, **changes) -> Settings:
    values = {
        "github_base_url": emu.base_url,
        "github_token": "t0ken-for-tests",
        "db_path": str(db),
        **changes,
    }
    return Settings().with_(**values)


def source_for(emu: Emulator, db: Path, **changes) -> GitHubSource:
    return GitHubSource(settings_for(emu, db, **changes), sleep=lambda _s: None)


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every synced row, ordered by its key: two stores with equal snapshots hold equal data."""
    return {
        table: [tuple(row) for row in store.query(f"SELECT * FROM {table} ORDER BY {key}")]
        for table, key in SNAPSHOT_TABLES.items()
    }


@pytest.fixture(scope="session")
def clean_snapshot(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The store after one undisturbed sync: what every faulty sync must end up equal to."""
    from agents.pipeline_monitor.agent import sync_repository

    def build(folder: Path) -> None:
        db = folder / "clean.db"
        with Emulator(small_demo) as emu:
            store = Store(db)
            sync_repository(store, source_for(emu, db), DEMO_REPO, history=ALL_HISTORY)
            (folder / "rows.pickle").write_bytes(pickle.dumps(snapshot(store)))
            store.close()

    return pickle.loads((built_once(tmp_path_factory, "clean", build) / "rows.pickle").read_bytes())


@dataclass(frozen=True)
class ImportedDemo:
    """``small_demo`` imported once: the store file (a template no test writes to), what the
    import reported and the snapshot of the rows it wrote.

    Importing the demo takes seconds and many tests need it only as their starting point, so
    they start from a copy of this file: each test owns its copy, so tests stay independent of
    one another and of their order.
    """

    db: Path
    report: ImportReport
    rows: dict[str, list[tuple]]

    def copy_to(self, folder: Path, name: str = "imported.db") -> Store:
        """A private, writable store holding exactly what the import wrote."""
        target = folder / name
        shutil.copy(self.db, target)
        return Store(target)


@pytest.fixture(scope="session")
def imported_demo(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> ImportedDemo:
    """``small_demo`` imported through :func:`import_path` into a store file, checkpointed and
    closed so that the single file is the whole store (a plain copy of it is a valid store)."""
    from core.dump.importer import import_path

    def build(folder: Path) -> None:
        store = Store(folder / "template.db")
        report = import_path(store, small_demo)
        (folder / "made.pickle").write_bytes(pickle.dumps((report, snapshot(store))))
        store.seal()

    built = built_once(tmp_path_factory, "imported", build)
    report, rows = pickle.loads((built / "made.pickle").read_bytes())
    return ImportedDemo(built / "template.db", report, rows)


@pytest.fixture(scope="session")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict]:
    """The demo the app shows (seed 7, full size), imported, with Feature Engineering run: the
    store and its ``truth.json``. The Layer-2 agents' self-checks against what was planted run
    on it (a small demo plants too few flaky failures and spikes to judge).

    Built once per test run (:func:`tests.built_once.built_once`); this session's store is its
    own copy, since the self-checks run agents that write to it. The end date is fixed so the
    dump is the same on every machine and every day.
    """
    from core.dump.files import Dump

    built = built_once(tmp_path_factory, "full-demo", _build_full_demo)
    own = tmp_path_factory.mktemp("full-demo") / "demo.db"
    shutil.copy(built / "demo.db", own)
    return Store(own), Dump(built / "dump").truth()


def _build_full_demo(folder: Path) -> None:
    from agents.base import AgentContext
    from agents.feature_engineering.agent import FeatureEngineering
    from agents.runner import run_agent
    from core.dump.importer import import_path

    generate_demo(folder / "dump", seed=7, end=datetime(2026, 12, 1, tzinfo=UTC))
    store = Store(folder / "demo.db")
    import_path(store, folder / "dump")
    run_agent(FeatureEngineering(), AgentContext(store, Settings(), DEMO_REPO))
    store.seal()  # the single file is the whole store
