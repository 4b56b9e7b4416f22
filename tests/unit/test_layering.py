"""The layering of the packages, checked on the source: who may import whom, and no cycles.

``core`` is infrastructure and knows nothing of ``agents`` or ``pages``; agents never import
pages; the offline GitHub (``core.sandbox``: emulator and demo generator) is reached only from
the demo path; and no two packages import each other, directly or through others.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for folder in ("core", "agents", "pages") for p in (ROOT / folder).rglob("*.py")]
SOURCES += [ROOT / "app.py"]
# The demo path: what starts the demo (the workspace, `ci-medic demo`), besides the sandbox itself.
SANDBOX_USERS = {"core/workspace.py", "agents/cli.py"}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _imported_modules(path: Path) -> frozenset[str]:
    """Every absolute module an import statement of ``path`` names (``from a import b`` -> a.b
    when a.b is a module of ours, else a)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if _is_our_module(candidate):
                    names.add(candidate)
    return frozenset(names)


def _is_our_module(name: str) -> bool:
    base = ROOT / name.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _package_of(module: str) -> str:
    """The unit of layering: a subpackage of core/agents (``core.store``, ``agents.root_cause``),
    a top-level module of core/agents (``core.config``, ``agents.registry``), or ``pages``."""
    parts = module.split(".")
    if parts[0] == "pages" or parts[0] == "app":
        return parts[0]
    return ".".join(parts[:2])


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in SOURCES:
        here = _package_of(_module_name(path))
        for name in _imported_modules(path):
            if name.split(".")[0] in {"core", "agents", "pages"}:
                there = _package_of(name)
                if there != here:
                    edges.setdefault(here, set()).add(there)
    return edges


@pytest.mark.parametrize("path", [p for p in SOURCES if _rel(p).startswith("core/")], ids=_rel)
def test_core_imports_neither_agents_nor_pages(path: Path):
    roots = {name.split(".")[0] for name in _imported_modules(path)}
    assert not roots & {"agents", "pages", "streamlit"}, _rel(path)


@pytest.mark.parametrize("path", [p for p in SOURCES if _rel(p).startswith("agents/")], ids=_rel)
def test_agents_import_no_page_and_no_streamlit(path: Path):
    roots = {name.split(".")[0] for name in _imported_modules(path)}
    assert not roots & {"pages", "streamlit"}, _rel(path)


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_the_sandbox_is_reached_only_from_the_demo_path(path: Path):
    rel = _rel(path)
    if rel.startswith("core/sandbox/") or rel in SANDBOX_USERS:
        return
    assert not any(n.startswith("core.sandbox") for n in _imported_modules(path)), rel


# What each part of core may import (ARCHITECTURE.md's table): lower layers never reach up.
_BASE = {"core.config", "core.errors", "core.progress"}
CORE_ALLOWED = {
    "core.errors": set(),
    "core.progress": set(),
    "core.fast_schema": set(),  # JSON Schema compiled: pure, knows nothing of ours
    "core.memory": set(),  # the garbage collector and the C allocator, between tasks
    "core.worker_processes": set(),  # child processes running pickled work: knows no work
    "core.config": {"core.errors"},
    "core.logs": _BASE,
    "core.messages": _BASE | {"core.fast_schema"},
    "core.presentation": _BASE,
    "core.features": _BASE,
    "core.csv_input": _BASE,
    "core.github": _BASE | {"core.logs", "core.messages"},  # messages.redact: the mapping
    "core.store": _BASE | {"core.logs", "core.messages", "core.github"},  # github.mapping only
    "core.queue": _BASE | {"core.messages", "core.store"},
    "core.dump": _BASE
    | {
        "core.fast_schema",
        "core.logs",
        "core.memory",
        "core.messages",
        "core.store",
        "core.github",
    },
    "core.sandbox": _BASE | {"core.dump", "core.logs"},
    "core.workspace": _BASE | {"core.github", "core.store", "core.sandbox"},
}


@pytest.mark.parametrize("package", sorted(CORE_ALLOWED))
def test_each_part_of_core_imports_only_the_layers_below_it(package: str):
    imported = _graph().get(package, set())

    assert imported <= CORE_ALLOWED[package], sorted(imported - CORE_ALLOWED[package])


def test_every_part_of_core_has_a_place_in_the_layering():
    parts = {_package_of(_module_name(p)) for p in SOURCES if _rel(p).startswith("core/")}
    assert parts - {"core"} <= set(CORE_ALLOWED), sorted(parts - set(CORE_ALLOWED) - {"core"})


def test_the_store_reaches_into_github_only_for_the_payload_mapping():
    for path in (ROOT / "core" / "store").glob("*.py"):
        github = {n for n in _imported_modules(path) if n.startswith("core.github")}
        assert github <= {"core.github", "core.github.mapping"}, _rel(path)


def test_no_agent_package_imports_another_agent_package():
    agent_packages = {p.parent.name for p in (ROOT / "agents").glob("*/__init__.py")}
    for path in SOURCES:
        rel = _rel(path)
        if not rel.startswith("agents/") or rel.count("/") < 2:
            continue
        own = rel.split("/")[1]
        others = {
            n.split(".")[1]
            for n in _imported_modules(path)
            if n.startswith("agents.") and n.count(".") >= 1
        } & (agent_packages - {own})
        assert not others, f"{rel} imports agents {sorted(others)}"


def test_no_package_level_import_cycle():
    edges = _graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail("package import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_the_cycle_check_sees_a_cycle_when_there_is_one():
    """The checker itself: a two-package loop is reported (guards against a vacuous pass)."""
    assert _package_of("core.store.db") == "core.store"
    assert _package_of("agents.root_cause.view") == "agents.root_cause"
    assert _package_of("core.config") == "core.config"
    assert "core.store" in _graph().get("agents.root_cause", set())
