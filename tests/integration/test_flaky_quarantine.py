"""The quarantine list end to end: CODEOWNERS read by an import and by a sync, the list written by
``analyze`` next to the CSVs, and a committed list continued.

Specification (issue 15): a repository's CODEOWNERS (``.github/CODEOWNERS``, ``CODEOWNERS`` or
``docs/CODEOWNERS``, the first found) gives each quarantined test its owners, whether the
history came from a dump's ``files/`` or through the contents API; ``analyze --out`` writes
``quarantine.json`` beside the CSVs (whose columns do not change), continues the list it finds
there (created dates kept), writes the same bytes when nothing changed, and refuses a list of
another repository rather than overwrite it.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.base import AgentContext
from agents.cli import main
from agents.flaky_tests.agent import FLAKY_COLUMNS, FlakyTests
from agents.flaky_tests.quarantine import parse_quarantine
from agents.flaky_tests.view import quarantine_view
from agents.log_ingester.agent import LogIngester
from agents.pipeline_monitor.agent import sync_repository
from agents.runner import run_agent
from core.config import Settings
from core.dump.files import DumpWriter
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from core.store.repo_files import load_codeowners, save_codeowners
from tests.integration.conftest import ALL_HISTORY, settings_for, source_for
from tests.integration.dump_factory import FULL_NAME, make_dump

FLAKY_TEST = "tests.test_api::test_flaky"  # fails in the first attempt of runs 4 and 9
OWNERS = "# who reviews what\n* @octo-org/everyone\n/tests/ @octo-org/qa\n/src/ @octo-org/dev\n"


def _dump(root: Path, where: str | None = ".github/CODEOWNERS") -> Path:
    """Twelve runs; ``test_flaky`` fails in the first attempt of runs 4 and 9 and passes when
    they are re-run, ``test_ok`` always passes; a CODEOWNERS file at ``where``."""
    dump = make_dump(root, runs=12, attempts={4: 2, 9: 2}, fail_every=0)
    if where is not None:
        DumpWriter(dump).file(where, OWNERS.encode())
    return dump


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the dump imported (the store file's path)."""
    folder = tmp_path_factory.mktemp("quarantine")
    db = folder / "s.db"
    assert main(["--db", str(db), "import", str(_dump(folder / "dump"))]) == 0
    return db


def _synced(emu: Emulator, db: Path) -> Store:
    """The emulator's repository synced into ``db``, with its logs and test reports."""
    store = Store(db)
    sync_repository(store, source_for(emu, db), FULL_NAME, history=ALL_HISTORY)
    settings = settings_for(emu, db)
    context = AgentContext(store, settings, FULL_NAME, source=source_for(emu, db))
    run_agent(LogIngester(), context)
    return store


def _age_codeowners(store: Store, days: int) -> None:
    """Make the kept CODEOWNERS look ``days`` days old."""
    repo_id = store.repo_id(FULL_NAME)
    kept = load_codeowners(store, repo_id)
    then = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    save_codeowners(store, repo_id, kept.path, kept.text, kept.note, read_at=then)


def _analyze(db: Path, out: Path) -> int:
    return main(["--db", str(db), "analyze", "--out", str(out)])


def test_given_an_imported_dump_with_codeowners_when_analyzed_then_quarantine_json_names_owners(
    imported, tmp_path
):
    assert _analyze(imported, tmp_path) == 0

    document = parse_quarantine((tmp_path / "quarantine.json").read_text(encoding="utf-8"))
    assert document["codeowners"] == ".github/CODEOWNERS"
    assert [entry["test_id"] for entry in document["quarantined"]] == [FLAKY_TEST]
    entry = document["quarantined"][0]
    assert entry["owners"] == ["@octo-org/qa"]
    assert entry["ownership"]["file"] == "tests/test_api.py"
    assert entry["ownership"]["rule"] == "line 3: /tests/"
    assert entry["evidence"]["same_sha_flips"] == 2 and entry["evidence"]["verdict"] == "flaky"
    with (tmp_path / "flaky_tests.csv").open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == FLAKY_COLUMNS  # the CSV contract as it was


def test_given_a_committed_list_when_analyzed_again_then_it_is_continued_byte_for_byte(
    imported, tmp_path
):
    assert _analyze(imported, tmp_path) == 0
    path = tmp_path / "quarantine.json"
    committed = json.loads(path.read_text(encoding="utf-8"))
    made = datetime.now(UTC).date() - timedelta(days=10)
    entry = committed["quarantined"][0]
    entry["created"] = made.isoformat()  # as if it had been made ten days ago, and committed
    entry["expires"] = (made + timedelta(days=30)).isoformat()
    path.write_text(json.dumps(committed, indent=2) + "\n", encoding="utf-8")

    assert _analyze(imported, tmp_path) == 0
    first = path.read_text(encoding="utf-8")
    assert _analyze(imported, tmp_path) == 0

    continued = json.loads(first)["quarantined"][0]
    assert (continued["created"], continued["expires"]) == (entry["created"], entry["expires"])
    assert path.read_text(encoding="utf-8") == first


def test_given_the_list_of_another_repository_in_out_when_analyzed_then_it_is_refused(
    imported, tmp_path, capsys
):
    other = {"version": 1, "repository": "someone/else", "updated": "2026-01-01", "policy": {}}
    text = json.dumps({**other, "quarantined": [], "released": []})
    (tmp_path / "quarantine.json").write_text(text, encoding="utf-8")

    assert _analyze(imported, tmp_path) == 1

    assert "quarantine list of someone/else" in capsys.readouterr().err
    assert (tmp_path / "quarantine.json").read_text(encoding="utf-8") == text


def test_given_a_repository_on_the_emulator_when_synced_then_codeowners_comes_from_contents(
    tmp_path,
):
    """docs/CODEOWNERS is GitHub's third place: the two before it are asked for first."""
    with Emulator(_dump(tmp_path / "dump", where="docs/CODEOWNERS")) as emu:
        db = tmp_path / "s.db"
        store = _synced(emu, db)
        asked = [r.path for r in emu.requests if "/contents/" in r.path]
        emu.clear_requests()
        sync_repository(store, source_for(emu, db), FULL_NAME, history=ALL_HISTORY)
        again = [r.path for r in emu.requests if "/contents/" in r.path]
        _age_codeowners(store, days=8)
        emu.clear_requests()
        sync_repository(store, source_for(emu, db), FULL_NAME, history=ALL_HISTORY)
        week_later = [r.path for r in emu.requests if "/contents/" in r.path]
        folder = source_for(emu, db).repository_file(FULL_NAME, ".github")  # a list: no file

    found = load_codeowners(store, store.repo_id(FULL_NAME))
    assert (found.path, found.text) == ("docs/CODEOWNERS", OWNERS)
    assert [p.rsplit("/contents/", 1)[1] for p in asked] == [
        ".github/CODEOWNERS",
        "CODEOWNERS",
        "docs/CODEOWNERS",
    ]
    assert again == []  # an ordinary sync does not ask again
    assert len(week_later) == 3  # a week later it does
    assert folder is None
    result = run_agent(FlakyTests(), AgentContext(store, Settings(), FULL_NAME))
    assert result.metrics["quarantined"] == 1
    view = quarantine_view(store, FULL_NAME)
    assert view.entries.loc[0, "owners"] == "@octo-org/qa" and view.codeowners == "docs/CODEOWNERS"


def test_given_a_repository_without_codeowners_when_synced_then_none_is_kept_and_owners_say_so(
    tmp_path,
):
    with Emulator(_dump(tmp_path / "dump", where=None)) as emu:
        store = _synced(emu, tmp_path / "s.db")

    found = load_codeowners(store, store.repo_id(FULL_NAME))
    assert found is not None and found.path is None  # looked for, and there is none
    run_agent(FlakyTests(), AgentContext(store, Settings(), FULL_NAME))
    view = quarantine_view(store, FULL_NAME)
    assert view.entries.loc[0, "owners"] == ""
    assert view.entries.loc[0, "owner_rule"] == "the repository has no CODEOWNERS file"
