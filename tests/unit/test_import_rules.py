"""The architecture's import rules, checked on the source (not on trust)."""

from __future__ import annotations

import ast
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
