"""Who owns a test: its file, found from its id, matched against the repository's CODEOWNERS.

**CODEOWNERS rules are GitHub's**: the last line whose pattern matches a file wins; patterns are
gitignore-like (``*`` within a folder, ``**`` across folders, ``?``, a leading ``/`` anchors at
the root, a trailing ``/`` is a folder and everything under it, a pattern without an inner
slash matches at any depth); a line with a pattern and no owner takes a file's owners away.
GitHub does not support ``!`` negation or ``[ ]`` ranges and skips every line it cannot read,
and so does :class:`Codeowners`. Matching is the ``codeowners`` package's (a port of the
hmarr/codeowners matcher, which implements GitHub's semantics); this module chooses the lines
it reads and keeps their numbers, so a rule is named by its line in the file.

**A test's file** comes from its id (``CLASS::NAME`` in a JUnit report, a path in a console
log), resolved against the paths the history's commits touched (the test id names a module,
not the folder of a monorepo it lives in):

- a path (pytest's ``tests/unit/test_cart.py::TestCart::test_add``, jest's console
  ``src/cart.test.ts::Cart › adds``): that file;
- a Python module (``tests.unit.test_cart.TestCart``: the dotted parts before the first
  capitalised one, when the last of them is named like a test module): ``tests/unit/test_cart.py``;
- a JVM class (``com.acme.cart.CartTest``): ``com/acme/cart/CartTest.java`` (or ``.kt``,
  ``.scala``, ``.groovy`` when the repository has that one);
- a Go package (``github.com/acme/shop/cli/internal/auth``): its folder, the longest end of the
  import path that is a folder of the repository (``cli/internal/auth/``);
- a jest describe block (``Cart › adds``) or a bare name: **no file**, so no owner, and the
  entry says so rather than guessing.

Resolution: the file itself when the history touched it; else the one touched file that ends
with it (``backend/tests/unit/test_cart.py``); else the one folder under which its leading
folders were seen (``services/api/src/test/java/`` + ``com/acme/...``); several candidates are
ambiguous and name no file. Without any known path the id's own path is used as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from codeowners import CodeOwners

__all__ = ["Codeowners", "Ownership", "PathIndex", "id_location", "locate", "ownership"]

_JVM = (".java", ".kt", ".scala", ".groovy")
_NOT_A_PATH = re.compile(r"\s|›|>")  # describe blocks and display names: no file
_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
_PY_TEST_MODULE = re.compile(r"^(?:test_\w+|\w+_tests?|tests?|conftest)$")


@dataclass(frozen=True)
class Ownership:
    """A test's owners (empty when none), the ``file`` they were looked up for (a folder ends
    with ``/``; None when the test names no file), how it was found (``located``) and the
    CODEOWNERS rule that decided (``rule``: its line, or why there is none)."""

    owners: tuple[str, ...]
    file: str | None
    located: str
    rule: str


class Codeowners:
    """The rules of one CODEOWNERS text, read as GitHub reads them (see the module docstring);
    ``skipped`` holds the numbers of the lines GitHub would skip."""

    def __init__(self, text: str) -> None:
        lines = text.splitlines()
        readable = [_readable(line) for line in lines]
        self.skipped = tuple(i for i, ok in enumerate(readable, start=1) if not ok)
        # a skipped line becomes a comment, so every other line keeps its number
        self._rules = CodeOwners(
            "\n".join(line if ok else "#" for line, ok in zip(lines, readable, strict=True))
        )

    def owners(self, path: str) -> tuple[tuple[str, ...], str]:
        """(owners of ``path``, the rule that decided: ``line N: PATTERN`` or why none)."""
        owners, line, pattern, _ = self._rules.matching_line(path)
        if line is None:
            return (), "no CODEOWNERS line matches"
        return tuple(owner for _, owner in owners), f"line {line}: {pattern}"


def _readable(line: str) -> bool:
    """Whether GitHub reads the line (blank lines and comments are read, and ignored)."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return True
    pattern = stripped.split()[0]
    if pattern.startswith("!") or "[" in pattern:
        return False
    try:
        CodeOwners(stripped)
    except (ValueError, IndexError):
        return False
    return True


class PathIndex:
    """The repository paths the history knows (files, and the folders that hold them)."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.files = frozenset(p.strip("/") for p in paths if p and p.strip("/"))
        folders: set[str] = set()
        for path in self.files:
            parts = path.split("/")[:-1]
            folders.update("/".join(parts[: n + 1]) for n in range(len(parts)))
        self.folders = frozenset(folders)

    def __len__(self) -> int:
        return len(self.files)

    def ending_with(self, rel: str, folders: bool = False) -> list[str]:
        """Known files (or folders) that are ``rel`` or end with ``/rel``, sorted."""
        pool = self.folders if folders else self.files
        return sorted(p for p in pool if p == rel or p.endswith("/" + rel))

    def roots_of(self, folder: str) -> set[str]:
        """The prefixes (``""`` for the root, else ending with ``/``) under which ``folder``
        is a known folder."""
        return {
            p[: len(p) - len(folder)]
            for p in self.folders
            if p == folder or p.endswith("/" + folder)
        }


@dataclass(frozen=True)
class _Candidate:
    """Where a test id says its test lives: ``paths`` (alternatives of one file, or a folder
    ending with ``/``) and ``what`` (how the id says it)."""

    paths: tuple[str, ...]
    what: str


def id_location(test_id: str) -> _Candidate | str:
    """Where ``test_id`` says its test is (see the module docstring), or why it says nowhere."""
    location, separator, _ = str(test_id).partition("::")
    location = location.strip()
    if not separator or not location:
        return "the test id names no file"
    if _NOT_A_PATH.search(location):
        return "the test id names a describe block, not a file (jest-style names carry no path)"
    if "/" in location or "\\" in location:
        return _from_path(location.replace("\\", "/"))
    return _from_dotted(location)


def _from_path(location: str) -> _Candidate | str:
    while location.startswith("./"):
        location = location[2:]
    location = location.strip("/")
    parts = location.split("/")
    if "." in parts[-1]:
        return _Candidate((location,), "the path in the test id")
    if "." in parts[0]:  # a Go import path: host/owner/name/folder...
        return _Candidate((location + "/",), "the Go package in the test id")
    return _Candidate((location + "/",), "the folder in the test id")


def _from_dotted(location: str) -> _Candidate | str:
    parts = location.split(".")
    if not all(_IDENTIFIER.match(part) for part in parts):
        return "the test id names no file"
    split = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts))
    module, classes = parts[:split], parts[split:]
    if module and (_python_module(module[-1]) or not classes):
        return _Candidate(("/".join(module) + ".py",), "the Python module in the test id")
    if classes and module:  # a class without its package names no file worth a guess
        stem = "/".join([*module, classes[0].split("$")[0]])
        return _Candidate(tuple(stem + ext for ext in _JVM), "the class in the test id")
    return "the test id names no file"


def _python_module(name: str) -> bool:
    """Named like a module pytest collects (``test_cart``, ``cart_test``, ``tests``)."""
    return bool(_PY_TEST_MODULE.match(name))


def locate(test_id: str, index: PathIndex) -> tuple[str | None, str]:
    """(the file or folder of ``test_id`` in the repository, how it was found or why not)."""
    candidate = id_location(test_id)
    if isinstance(candidate, str):
        return None, candidate
    if candidate.paths[0].endswith("/"):
        return _locate_folder(candidate, index)
    return _locate_file(candidate, index)


def _locate_file(candidate: _Candidate, index: PathIndex) -> tuple[str | None, str]:
    first = candidate.paths[0]
    if not len(index):
        return first, f"{candidate.what} (the history names no file to check it against)"
    for path in candidate.paths:
        if path in index.files:
            return path, f"{candidate.what}, a file of the repository"
    found = sorted({p for path in candidate.paths for p in index.ending_with(path)})
    if len(found) == 1:
        return found[0], f"{candidate.what}, found as {found[0]}"
    if found:
        return None, f"{candidate.what}: {len(found)} files end with it ({found[0]}, ...)"
    return _under_root(first, first.split("/")[:-1], candidate, index)


def _locate_folder(candidate: _Candidate, index: PathIndex) -> tuple[str | None, str]:
    folder = candidate.paths[0].rstrip("/")
    parts = folder.split("/")
    hosted = "." in parts[0] and len(parts) > 3  # host/owner/name/folder...: a Go import path
    shortest = len(parts) - 3 if hosted else 1  # never shorter than the folder after the name
    for start in range(len(parts) - shortest + 1):  # the longest end that is a known folder
        end = "/".join(parts[start:])
        if end in index.folders:
            return end + "/", f"{candidate.what}, the folder {end}/ of the repository"
    if hosted:
        folder = "/".join(parts[3:])
    if not len(index):
        return folder + "/", candidate.what
    return _under_root(folder + "/", folder.split("/"), candidate, index)


def _under_root(
    rel: str, folders: list[str], candidate: _Candidate, index: PathIndex
) -> tuple[str | None, str]:
    """``rel`` under the one root where its longest run of leading folders is known; ``rel``
    as it is when none is; no file when several roots hold them."""
    for n in range(len(folders), 0, -1):
        prefix = "/".join(folders[:n])
        roots = index.roots_of(prefix)
        if len(roots) == 1:
            root = roots.pop()
            return root + rel, f"{candidate.what}, under {root or 'the root'} where {prefix}/ is"
        if roots:
            return None, f"{candidate.what}: {prefix}/ is in {len(roots)} places (ambiguous)"
    return rel, f"{candidate.what} (the history's commits never touched it)"


def ownership(
    test_ids: Iterable[str], codeowners: str | None, paths: Iterable[str]
) -> dict[str, Ownership]:
    """Each test's :class:`Ownership` from the CODEOWNERS text (None: the repository has
    none) and the known repository ``paths``."""
    index = PathIndex(paths)
    rules = Codeowners(codeowners) if codeowners is not None else None
    found: dict[str, Ownership] = {}
    for test_id in dict.fromkeys(str(t) for t in test_ids):
        file, located = locate(test_id, index)
        if rules is None:
            found[test_id] = Ownership((), file, located, "the repository has no CODEOWNERS file")
        elif file is None:
            found[test_id] = Ownership((), None, located, "no file, so no CODEOWNERS rule")
        else:
            owners, rule = rules.owners(file)
            found[test_id] = Ownership(owners, file, located, rule)
    return found
