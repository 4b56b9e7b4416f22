"""Fuzz properties (issue 13) of the dump reader and ``import``: whatever bytes or JSON a dump's
files hold (plain, gzip or damaged gzip), reading them raises nothing but the project's own
errors, each with a sentence; and an import of a valid dump with any one field of any record
replaced by any JSON value either imports what it reports or refuses with a sentence and
commits nothing. (Records sharing an id are tests/integration/test_fuzz_findings.py's.)"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.dump.files import Dump, DumpWriter
from core.dump.importer import import_path
from core.errors import CIMedicError, DumpError, UnsafeInput
from core.store.db import Store
from tests.fuzz_settings import fuzz
from tests.integration.dump_factory import make_dump, sha_of

SHA = sha_of(0)
RECORD_FILES = [
    "repo.json",
    "workflows.json",
    "runs.jsonl",
    "attempts.jsonl",
    "jobs/1.json",
    "jobs/1-1.json",
    f"commits/{SHA}.json",
    "logs/1.txt",
]

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.sampled_from(["../../etc/passwd", "yesterday", "2024-13-45T99:99:99Z", "1e30", ""]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
records = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": json_values},
        optional={
            "full_name": st.one_of(json_values, st.sampled_from(["o/r", "../..", "a/b/c"])),
            "run_attempt": json_values,
            "head_sha": st.one_of(json_values, st.just(SHA)),
            "created_at": json_values,
            "jobs": st.lists(st.fixed_dictionaries({"id": json_values}), max_size=2),
            "workflows": st.lists(json_values, max_size=2),
        },
    ),
)


def _encode(value: Any, name: str) -> bytes:
    if name.endswith(".jsonl"):
        items = value if isinstance(value, list) else [value]
        return b"".join(json.dumps(item).encode() + b"\n" for item in items)
    return json.dumps(value).encode()


def _write(root: Path, name: str, data: bytes, how: str) -> None:
    """``data`` as ``name`` under ``root``: plain, gzip, or a ``.gz`` that is damaged."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "plain":
        path.write_bytes(data)
    elif how == "gzip":
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data))
    else:
        packed = gzip.compress(data)
        path.with_name(path.name + ".gz").write_bytes(packed[: len(packed) // 2] or b"\x1f")


def _read_everything(root: Path) -> None:
    """Every reader of the dump; raises what they raise."""
    dump = Dump(root)
    dump.repo()
    dump.workflows()
    list(dump.runs())
    list(dump.attempts())
    dump.jobs(1)
    dump.jobs(1, 1)
    dump.commit(SHA)
    dump.kept_log(1)
    dump.artifact_names(1)


def _a_sentence(exc: BaseException) -> None:
    text = str(exc)
    assert len(text.split()) >= 4 and "Traceback" not in text, text


def _readers_raise_only_our_errors(root: Path) -> None:
    try:
        _read_everything(root)
    except (DumpError, UnsafeInput) as exc:
        _a_sentence(exc)


@fuzz(150)
@given(
    st.sampled_from(RECORD_FILES),
    st.binary(max_size=200),
    st.sampled_from(["plain", "gzip", "damaged"]),
)
def test_the_dump_reader_on_any_bytes_raises_only_a_dump_error_with_a_sentence(name, data, how):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "repo.json").write_text('{"full_name": "o/r"}')
        _write(root, name, data, how)
        _readers_raise_only_our_errors(root)


@fuzz(200)
@given(st.sampled_from(RECORD_FILES), records, st.sampled_from(["plain", "gzip"]))
def test_the_dump_reader_on_any_json_raises_only_a_dump_error_with_a_sentence(name, value, how):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "repo.json").write_text('{"full_name": "o/r"}')
        _write(root, name, _encode(value, name), how)
        _readers_raise_only_our_errors(root)


@fuzz(100)
@given(st.lists(st.one_of(st.binary(max_size=30), records.map(json.dumps).map(str.encode))))
def test_runs_jsonl_lines_of_anything_raise_only_a_dump_error_naming_the_line(lines):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "repo.json").write_text('{"full_name": "o/r"}')
        (root / "runs.jsonl").write_bytes(b"\n".join(lines))
        try:
            for record in Dump(root).runs():
                assert isinstance(record, dict)
        except DumpError as exc:
            _a_sentence(exc)
            assert str(exc).startswith("runs.jsonl line ")


# -- import: one field of one record replaced by anything ------------------------------------
@pytest.fixture(scope="module")
def valid_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs (the third failing; run 1 re-run once) with logs, commits and a JUnit report."""
    return make_dump(tmp_path_factory.mktemp("fuzz-dump") / "dump", runs=3, attempts={1: 2})


@contextmanager
def _copy(dump: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "dump"
        shutil.copytree(dump, root)
        yield root


def _mutate(root: Path, kind: str, index: int, key: str, value: Any) -> None:
    """Set ``key`` of the ``index``-th record of ``kind`` to ``value`` (JSON as written)."""
    dump, writer = Dump(root), DumpWriter(root, compress=False)
    if kind == "repo":
        writer.repo({**dump.repo(), key: value})
    elif kind == "workflow":
        flows = dump.workflows()
        flows[index % len(flows)][key] = value
        writer.workflows(flows)
    elif kind in ("run", "attempt"):
        rows = list(dump.runs() if kind == "run" else dump.attempts())
        rows[index % len(rows)][key] = value
        (writer.runs if kind == "run" else writer.attempts)(rows)
    else:
        run = list(dump.runs())[index % 3]
        jobs = dump.jobs(run["id"]) or []
        if kind == "job":
            jobs[index % len(jobs)][key] = value
        elif kind == "step":
            jobs[0]["steps"][index % len(jobs[0]["steps"])][key] = value
        else:  # commit
            commit = dump.commit(run["head_sha"]) or {}
            commit[key] = value
            (root / "commits" / f"{run['head_sha']}.json").write_text(json.dumps(commit))
            return
        writer.jobs(run["id"], jobs)


FIELDS = {
    "repo": ["id", "full_name", "default_branch", "html_url", "name"],
    "workflow": ["id", "name", "path", "state"],
    "run": [
        "id",
        "run_attempt",
        "workflow_id",
        "run_number",
        "name",
        "event",
        "status",
        "conclusion",
        "head_branch",
        "head_sha",
        "html_url",
        "display_title",
        "created_at",
        "updated_at",
        "run_started_at",
        "actor",
        "pull_requests",
        "repository",
    ],
    "attempt": ["id", "run_attempt", "created_at", "head_sha", "conclusion"],
    "job": [
        "id",
        "run_id",
        "run_attempt",
        "name",
        "status",
        "conclusion",
        "started_at",
        "completed_at",
        "labels",
        "steps",
        "runner_name",
        "html_url",
    ],
    "step": ["number", "name", "status", "conclusion", "started_at", "completed_at"],
    "commit": ["sha", "commit", "stats", "files", "author"],
}
mutations = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda kind: st.tuples(
        st.just(kind),
        st.integers(0, 5),
        st.one_of(st.sampled_from(FIELDS[kind]), st.text(max_size=6)),
        st.one_of(
            json_values,
            st.sampled_from([0, -1, 2**63, 2**64, 1e30, 5.0, True, "12", [1], {"a": 1}]),
        ),
    )
)
TABLES = (
    "repositories",
    "runs",
    "jobs",
    "steps",
    "commits",
    "logs",
    "tests",
    "test_results",
    "outbox",
)


def _rows(store: Store) -> dict[str, int]:
    return {table: store.scalar(f"SELECT COUNT(*) FROM {table}") for table in TABLES}


@fuzz(80)
@given(mutations)
def test_import_of_a_dump_with_any_field_replaced_reports_what_it_stored_or_commits_nothing(
    valid_dump, mutation
):
    kind, index, key, value = mutation
    with _copy(valid_dump) as root, tempfile.TemporaryDirectory() as home:
        _mutate(root, kind, index, key, value)
        store = Store(Path(home) / "s.db")
        try:
            report = import_path(store, root)
        except CIMedicError as exc:
            _a_sentence(exc)
            assert str(exc).endswith("Nothing was imported: the store is as it was."), str(exc)
            assert set(_rows(store).values()) == {0}, (_rows(store), str(exc))
            return
        finally:
            store.close()
        store = Store(Path(home) / "s.db")
        latest = store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 1")
        earlier = store.scalar("SELECT COUNT(*) FROM runs WHERE is_latest = 0")
        jobs = store.scalar("SELECT COUNT(*) FROM jobs")
        store.close()
        assert (latest, earlier, jobs) == (report.runs, report.attempts, report.jobs), report
