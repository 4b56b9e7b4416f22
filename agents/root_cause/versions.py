"""What the package managers resolved, and what changed since the last green run.

A failure right after a dependency bump is the commonest "it worked yesterday": the failing log
and the last green log of the same job both list what was downloaded or installed, so the
versions that differ are a grounded lead (``ledger-codec 2.4.1 -> 3.0.2, line 377``) even when
the error itself never names the dependency.

Read from the output of Maven and Gradle (repository URLs ``.../artifact/version/
artifact-version.jar``), pip (``Collecting x==1``, ``Successfully installed x-1 y-2``), Go modules
(``go: downloading mod v1``), Cargo (``Downloaded``/``Compiling crate v1``), Bundler
(``Installing``/``Using``/``Fetching gem 1``) and npm (``+ pkg@1``). One regular expression pass
over the text per log (in C), so it costs little next to localisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agents.root_cause.patterns import ANSI

__all__ = ["VersionChange", "resolved_versions", "version_changes", "describe_changes"]

MAX_CHANGES = 3

_VERSION = r"v?\d+(?:[.\-+~]\w+)*"
# One pattern per tool, each led by a literal so that ``re`` skips to it quickly.
_PIP_INSTALLED = re.compile(r"Successfully installed (.+)")  # pip: "a-1.0 b-2.0" on one line
_PATTERNS = (
    # Maven / Gradle: a repository URL of an artifact file
    re.compile(
        r"Download(?:ing|ed)?(?: from \S+:)? https?://\S+?/"
        r"([A-Za-z][\w.\-]*)/(\d[\w.\-]*)/\1-\2[\w.\-]*\.(?:jar|pom|aar)"
    ),
    re.compile(r"Collecting ([A-Za-z][\w.\-]*)==(" + _VERSION + ")"),  # pip
    _PIP_INSTALLED,
    re.compile(r"go: downloading (\S+) (v\d\S*)"),  # go modules
    re.compile(r"Downloaded ([A-Za-z][\w\-]*) v(\d[\w.\-+]*)"),  # cargo
    re.compile(r"Compiling ([A-Za-z][\w\-]*) v(\d[\w.\-+]*)"),
    re.compile(r"Installing ([A-Za-z][\w\-]*) (\d[\w.]*)(?= \(|\s*$)", re.MULTILINE),  # bundler
    re.compile(r"Using ([A-Za-z][\w\-]*) (\d[\w.]*)(?= \(|\s*$)", re.MULTILINE),
    re.compile(r"Fetching ([A-Za-z][\w\-]*) (\d[\w.]*)(?= \(|\s*$)", re.MULTILINE),
    re.compile(r"\n\+ (@?[A-Za-z][\w.\-/]*)@(\d[\w.\-+]*)[ \t\r]*(?=\n|$)"),  # npm
)
_PIP_ITEM = re.compile(r"([A-Za-z][\w.\-]*?)-(\d[\w.]*)(?=\s|$)")


@dataclass(frozen=True)
class VersionChange:
    """One dependency resolved at another version than in the last green run."""

    name: str
    before: str
    after: str
    line: int  # 1-based line of the failing log that shows the new version


def resolved_versions(text: str) -> dict[str, tuple[str, int]]:
    """Dependency name -> (version, 1-based line of its first mention) in one log."""
    if "\x1b" in text:
        text = ANSI.sub("", text)  # ANSI codes hold no newline: line numbers stay
    hits: list[tuple[int, str, str]] = []
    for pattern in _PATTERNS:
        many = pattern is _PIP_INSTALLED
        for match in pattern.finditer(text):
            if many:
                pairs = _PIP_ITEM.findall(match.group(1))
            else:
                pairs = [(match.group(1), match.group(2))]
            hits.extend((match.end(1), name, version) for name, version in pairs)
    hits.sort()
    found: dict[str, tuple[str, int]] = {}
    line_no, last = 1, 0
    for pos, name, version in hits:
        line_no += text.count("\n", last, pos)
        last = pos
        found.setdefault(name.lower(), (version, line_no))
    return found


def version_changes(failing: str, green: str) -> list[VersionChange]:
    """Dependencies both logs resolved, at different versions (in the failing log's order)."""
    before = _green_versions(green)
    if not before:  # nothing to compare with: the failing log need not be read
        return []
    now = resolved_versions(failing)
    changes = [
        VersionChange(name, before[name][0], version, line)
        for name, (version, line) in now.items()
        if name in before and before[name][0] != version
    ]
    return sorted(changes, key=lambda change: change.line)


# The same green log is compared with every failing log of a batch (``rca --previous-green``):
# read it once. One entry only, so at most one log text is kept alive.
_green_versions = lru_cache(maxsize=1)(resolved_versions)


def describe_changes(changes: list[VersionChange]) -> str:
    """``Since the last green run: a 1 -> 2 (line 9), ...`` (empty when nothing changed)."""
    if not changes:
        return ""
    shown = ", ".join(
        f"{c.name} {c.before} -> {c.after} (line {c.line})" for c in changes[:MAX_CHANGES]
    )
    more = f" and {len(changes) - MAX_CHANGES} more" if len(changes) > MAX_CHANGES else ""
    return f"Since the last green run: {shown}{more}."
