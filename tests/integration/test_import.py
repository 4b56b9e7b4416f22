"""`import` loads every recorded shape through the same mapping as a sync."""

from __future__ import annotations

import gzip
import shutil

import pytest

from agents.cli import main
from core.dump.files import Dump
from core.dump.importer import import_path
from core.errors import DumpError
from core.store.db import Store
from tests.conftest import shared_path
from tests.integration.conftest import snapshot
from tests.integration.dump_factory import make_dump
from tests.stored_results import stored_results


def test_importing_the_demo_equals_syncing_it_through_the_emulator(imported_demo, clean_snapshot):
    # clean_snapshot: the same demo synced through the emulator with all its history
    assert imported_demo.rows == clean_snapshot


def test_importing_a_dump_stores_its_logs_and_test_reports_like_the_ingester(
    small_demo, imported_demo, tmp_path
):
    store, report = imported_demo.copy_to(tmp_path), imported_demo.report
    logs = len(list((small_demo / "logs").iterdir()))
    assert report.logs == logs == store.scalar("SELECT COUNT(*) FROM logs WHERE state = 'ok'")
    sources = {r[0] for r in store.query(f"SELECT DISTINCT source FROM {stored_results(store)}")}
    assert sources == {"console", "junit"} and report.tests > 0


def test_analyze_after_import_writes_root_causes_for_every_failed_job_with_a_log(
    imported_demo, tmp_path, capsys
):
    db, out = str(imported_demo.copy_to(tmp_path).path), tmp_path / "out"
    assert main(["--db", db, "analyze", "--out", str(out)]) == 0
    import pandas as pd

    causes = pd.read_csv(out / "root_causes.csv")
    failed_with_log = Store(db).scalar(
        "SELECT COUNT(*) FROM jobs j JOIN logs l ON l.job_id = j.job_id AND l.state = 'ok' "
        "WHERE j.conclusion IN ('failure','timed_out','cancelled','startup_failure')"
    )
    assert len(causes) == failed_with_log > 0
    assert {"job", "category", "lines", "summary", "suggestion", "fingerprint"} <= set(causes)


def test_importing_twice_changes_nothing(small_demo, imported_demo, tmp_path):
    store = imported_demo.copy_to(tmp_path)  # the first import
    before = snapshot(store), store.scalar("SELECT COUNT(*) FROM outbox")
    report = import_path(store, small_demo)
    assert (snapshot(store), store.scalar("SELECT COUNT(*) FROM outbox")) == before
    assert report.messages == 0


def test_a_gzip_compressed_dump_imports_like_the_plain_one(small_demo, imported_demo, tmp_path):
    packed = tmp_path / "packed"
    shutil.copytree(small_demo, packed)
    for path in list(packed.rglob("*.json")):
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    gz = Store(tmp_path / "b.db")
    import_path(gz, packed)
    assert imported_demo.rows == snapshot(gz)  # rows: small_demo imported plain


def test_a_folder_that_is_no_dump_gets_a_sentence(tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(DumpError, match="neither a dump"):
        import_path(Store(tmp_path / "s.db"), tmp_path)


def test_a_dump_with_broken_json_names_the_file_and_line(small_demo, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(small_demo, broken)
    runs = next(broken.glob("runs.jsonl*"))
    text = gzip.decompress(runs.read_bytes()) if runs.suffix == ".gz" else runs.read_bytes()
    runs.unlink()
    (broken / "runs.jsonl").write_bytes(text + b"{not json\n")
    with pytest.raises(DumpError, match="runs.jsonl line"):
        import_path(Store(tmp_path / "s.db"), broken)


def test_the_cli_import_command_reports_and_exits_cleanly(tmp_path, capsys):
    dump = make_dump(tmp_path / "dump", runs=5)  # what the command says needs no big dump
    assert main(["--db", str(tmp_path / "c.db"), "import", str(dump)]) == 0
    assert "Imported" in capsys.readouterr().out
    assert main(["--db", str(tmp_path / "c.db"), "import", str(tmp_path / "nope")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def _shared_sources():
    root = shared_path("data", "dev")
    dumps = [p for p in sorted((root / "dumps").iterdir()) if p.name != "_about"]
    return dumps + [
        root / "reference" / "gha-api-payloads-pygithub",
        root / "reference" / "ghalogs-example-record",
    ]


def test_every_shared_dump_and_recorded_payload_imports_without_error(tmp_path):
    store = Store(tmp_path / "shared.db")
    for source in _shared_sources():
        report = import_path(store, source)
        assert report.runs > 0, source
        if (source / "runs.jsonl").exists():
            expected = sum(1 for _ in Dump(source).runs())
            repo = Dump(source).repo()["full_name"]
            stored = store.scalar(
                "SELECT COUNT(*) FROM runs r JOIN repositories p ON "
                "p.id = r.repo_id WHERE p.full_name = ? AND is_latest = 1",
                (repo,),
            )
            assert stored == expected, source
