"""The architecture's import rules, checked on the source (not on trust)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for folder in ("core", "agents", "pages") for p in (ROOT / folder).rglob("*.py")]
SOURCES += [ROOT / "app.py"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_streamlit_github_and_boto3_are_imported_only_where_allowed(path):
    rel, names = _rel(path), _imports(path)
    if "streamlit" in names:
        assert rel == "app.py" or rel.startswith("pages/"), rel
    if "github" in names:
        assert rel == "core/github/source.py", rel
    if "boto3" in names or "botocore" in names:
        assert rel in {"core/queue/worker.py", "core/queue/sqs.py", "core/queue/local_server.py"}, (
            rel
        )
    if rel.startswith("agents/"):
        assert "pages" not in names and "streamlit" not in names, rel


# -- SQL only under core/store/ ---------------------------------------------------------------
SQL_TEXT = re.compile(
    r"""^\s*(?:
        SELECT\s.+?\sFROM\s+[\w(]
      | INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w
      | UPDATE\s+(?:OR\s+\w+\s+)?\w+\s+SET\b
      | DELETE\s+FROM\s+\w
      | (?:CREATE|DROP)\s+(?:UNIQUE\s+|TEMP\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\b
      | ALTER\s+TABLE\s+\w
      | PRAGMA\s+\w+
      | WITH\s+(?:RECURSIVE\s+)?\w+\s+AS\s*\(
    )""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
"""Text that starts like an SQL statement: a keyword first and the clause that must follow it
(``SELECT … FROM t``, ``UPDATE t SET``, ``WITH x AS (`` …). Stricter than "a keyword and,
somewhere later, FROM/AS/SET" so that UI text such as "Select a repository to see its runs as a
table." is left alone."""

DB_CALLS = frozenset({"execute", "executemany", "executescript", "query", "frame", "scalar"})
"""Method names of sqlite3 connections and of :class:`core.store.db.Store` that run SQL."""

NOT_SQL_CALLS: frozenset[tuple[str, str]] = frozenset()
"""(file, method) pairs outside core/store/ whose call shares a name above but runs no SQL,
e.g. ``("agents/x.py", "query")`` for pandas' ``DataFrame.query``. None today; add one only
after checking that the receiver really is not a store or a connection."""


def _text_of(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string with each ``{…}`` read as ``x``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "x" for part in node.values
        )
    return None


def _sql_offences(source: str, rel: str) -> list[str]:
    tree = ast.parse(source)
    # A bare string statement (a docstring) is never executed, and English prose such as
    # "Delete rows of workers silent for longer than…" may start like SQL: only expressions count.
    skip = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    # The pieces of an f-string are checked as one text, not one by one.
    skip |= {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found = []
    for node in ast.walk(tree):
        text = None if id(node) in skip else _text_of(node)
        if text is not None and SQL_TEXT.search(text):
            found.append(f"line {node.lineno}: SQL text {text.strip()[:60]!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in DB_CALLS
            and (rel, node.func.attr) not in NOT_SQL_CALLS
        ):
            found.append(f"line {node.lineno}: call of .{node.func.attr}()")
    return found


@pytest.mark.parametrize(
    "path", [p for p in SOURCES if not _rel(p).startswith("core/store/")], ids=_rel
)
def test_sql_only_under_core_store(path):
    """Every SQL statement lives in core/store/, behind a typed function per concern."""
    offences = _sql_offences(path.read_text(encoding="utf-8"), _rel(path))
    assert offences == [], f"{_rel(path)} holds SQL; move it into a core/store/ function"


@pytest.mark.parametrize(
    "text",
    [
        "Select a repository",
        "Select a repository to see its runs as a table.",
        "Update the store from GitHub",
        "Update snapshots",
        "Delete the dead letters?",
        "Create pull requests until the expected number of runs is reached.",
        "Create a table of the slowest jobs",
        "With the provided path, there will be 1 file uploaded",
        "with pytest.raises(ValueError):",
        "SELECT",
    ],
)
def test_the_sql_pattern_leaves_ui_text_alone(text):
    assert not SQL_TEXT.search(text)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM repositories",
        "  select count(*) from logs",
        "SELECT x FROM runs WHERE repo_id = x",
        "SELECT\n  j.job_id,\n  j.name\nFROM jobs j",
        "INSERT OR REPLACE INTO logs VALUES (?)",
        "INSERT INTO outbox (message_id) VALUES (?)",
        "UPDATE outbox SET status = 'sent'",
        "DELETE FROM worker_health WHERE heartbeat_at < ?",
        "CREATE INDEX runs_sha ON runs(repo_id, head_sha)",
        "CREATE TABLE runs (run_id INTEGER)",
        "PRAGMA user_version",
        "PRAGMA journal_mode = WAL",
        "\nWITH job AS (\n  SELECT 1)",
    ],
)
def test_the_sql_pattern_catches_statements(sql):
    assert SQL_TEXT.search(sql)


def test_the_sql_check_sees_strings_f_strings_and_calls():
    sample = (
        '"""Delete rows from the table (a docstring is prose)."""\n'
        "def f(store, repo, columns):\n"
        '    """Select the rows from the table."""\n'
        '    one = f"SELECT {columns} FROM runs WHERE full_name = {repo!r}"\n'
        '    two = "UPDATE runs SET " + columns + " = 1"\n'
        "    return store.scalar(one, two)\n"
    )
    offences = _sql_offences(sample, "sample.py")
    assert sorted(o.split(":")[0] for o in offences) == ["line 4", "line 5", "line 6"], offences


# -- core.messages is pure ----------------------------------------------------------------------
MESSAGES = sorted((ROOT / "core" / "messages").rglob("*.py"))


def _full_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", MESSAGES, ids=_rel)
def test_core_messages_imports_neither_the_store_nor_the_queue(path):
    """Messages are built and checked here; writing them is core.store.outbox.enqueue's job."""
    assert MESSAGES, "core/messages/ has no modules"
    banned = [
        name
        for name in _full_imports(path)
        if name.split(".")[:2] in (["core", "store"], ["core", "queue"])
    ]
    assert banned == [], f"{_rel(path)} imports {banned}"
