"""A short, specific next step for a failure, grounded in its lines and citing their numbers.

Each category has an extractor that looks for its specifics in the evidence lines (the missing
symbol or module, the dependency and version, the failing test and its assertion, the timeout
value, the missing input...). No specifics found means no ground: the suggestion is ``unknown``
rather than advice the log does not support.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = ["suggest", "summarise", "LABELS"]

LABELS = {
    "compilation": "Compilation error",
    "test_failure": "Test failure",
    "dependency_resolution": "Dependency resolution failure",
    "dependency_policy": "Dependency policy failure",
    "lint": "Lint / static analysis failure",
    "infrastructure": "Infrastructure failure",
    "timeout": "Timeout",
    "resource_exhaustion": "Resource exhaustion",
    "permissions": "Permission failure",
    "configuration": "Configuration error",
    "cancelled": "Cancelled",
    "unknown": "Unknown failure",
}

Lines = Sequence[tuple[int, str]]  # (1-based line number, clean text)

_JAR = re.compile(
    r"[\\/]\.m2[\\/]repository[\\/](?:[\w.\-]+[\\/])+?([\w.\-]+)[\\/](\d[\w.\-]*)[\\/][\w.\-]+\.jar"
)
_COORD = re.compile(
    r"\b([a-zA-Z][\w.\-]*:[a-zA-Z][\w.\-]*(?::(?:jar|pom|war|aar|hpi|test-jar))?:\d[\w.\-]*)"
)
_MISSING_ARTIFACT = re.compile(
    r"(?:Could not find artifact|could not be resolved:|Could not transfer artifact|"
    r"Failure to find|Could not find)\s+([a-zA-Z][\w.\-]*:[a-zA-Z][\w.\-]*(?::[\w.\-]+)+)"
)
_SYMBOL = re.compile(r"symbol:\s+(?:class|method|variable)?\s*(\S.*)")
_PACKAGE = re.compile(r"package (\S+) does not exist")
_FILE_POS = re.compile(
    r"([\w.\-]+\.(?:java|kt|scala|ts|tsx|js|py|go|rs|c|cc|cpp|h|cs|rb|php|swift))"
    r"(?::\[?(\d+)|\((\d+))"
)
_MODULE = re.compile(
    r"(?:No module named|Cannot find module|Could not find module|No matching distribution "
    r"found for|Could not find a version that satisfies the requirement|404 Not Found - GET "
    r"\S+/)\s*['\"]?([\w@/.\-=<>~^]+)|['\"]([\w@/.\-=<>~^]+)['\"] is not in (?:this|the npm) "
    r"registry"
)
_TEST = (
    re.compile(
        r"^(?:\[ERROR\]\s+)?([\w$.]+[.#(][\w$]+\)?)(?:\s+Time elapsed.*)?\s+<<< (?:FAILURE|ERROR)!"
    ),
    re.compile(r"^FAILED (\S+::\S+)"),
    re.compile(r"--- FAIL: (\S+)"),
    re.compile(r"^\s*\d+\) ([\w$.:#\\ ]+\w)"),
    re.compile(
        r"^(?:\[ERROR\]\s+)?\s+([\w$.]+[.:#][\w$]+)(?::\d+)?\s+(?:expected|Expected|»|\w+Error)"
    ),
    re.compile(r"^not ok \d+ (.+)"),
    re.compile(r"(\w[\w.]*Test\w*[.#:]\w+)"),
)
_ASSERT = re.compile(
    r"(?i)(expected:?\s*<?[^\n]{0,80}?>?\s*but (?:was|got)[^\n]{0,60}|assert\w*(?:ion)?"
    r"(?:error|failed)?:?[^\n]{0,100}|expected [^\n]{1,80} to [^\n]{1,60})"
)
_RULE = re.compile(
    r"(RequireUpperBoundDeps|DependencyConvergence|BannedDependencies|RequireReleaseDeps|"
    r"\w+Rule\b|requireJavaVersion|requireMavenVersion)"
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?\s?(?:minutes?|mins?|m\d+s|ms|seconds?|s|hours?|h)\b)")
_HOST = re.compile(
    r"(?:resolve host:?|connect to|access '|to )\s*'?(?:https?://)?([\w.\-]+\.[a-z]{2,})"
)
_INPUT = re.compile(
    r"(?:Input required and not supplied|secret|variable|Unrecognized "
    r"named-value):?\s+'?([\w.\-]+)",
    re.I,
)
_COMMAND = re.compile(r"([\w.\-/]+): (?:command not found|not found|No such file or directory)")


def _first(lines: Lines, pattern: re.Pattern[str]) -> tuple[int, re.Match[str]] | None:
    for number, text in lines:
        match = pattern.search(text)
        if match:
            return number, match
    return None


def _dependency(lines: Lines) -> str | None:
    found = _first(lines, _JAR)
    if found:
        return f"{found[1].group(1)} {found[1].group(2)}"
    found = _first_coordinate(lines)
    return found[1] if found else None


def _first_coordinate(lines: Lines) -> tuple[int, str] | None:
    """The first ``group:artifact:version`` that is no build plugin (a failed goal's line names
    its plugin first; the plugin is never the dependency at fault)."""
    for number, text in lines:
        for match in _COORD.finditer(text):
            if "-plugin" not in match.group(1) and "maven.plugins" not in match.group(1):
                return number, match.group(1)
    return None


def _at(number: int) -> str:
    return f"line {number}"


def _compilation(lines: Lines) -> str | None:
    dep = _dependency(lines)
    pos = _first(lines, _FILE_POS)
    sym = _first(lines, _SYMBOL) or _first(lines, _PACKAGE)
    if not (pos or sym or dep):
        return None
    parts = []
    if pos:
        number, m = pos
        parts.append(
            f"fix the compile error in {m.group(1)}:{m.group(2) or m.group(3)} ({_at(number)})"
        )
    if sym:
        parts.append(f"`{sym[1].group(1).strip()[:80]}` is missing ({_at(sym[0])})")
    if dep:
        parts.append(f"it involves {dep}: pin the previous version or migrate to its new API")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _test(lines: Lines) -> str | None:
    name = None
    for pattern in _TEST:
        name = _first(lines, pattern)
        if name:
            break
    check = _first(lines, _ASSERT)
    if not (name or check):
        return None
    parts = []
    if name:
        parts.append(
            f"Run the failing test `{name[1].group(1).strip()[:100]}` locally ({_at(name[0])})"
        )
    if check:
        parts.append(f"the check that fails: `{check[1].group(1).strip()[:120]}` ({_at(check[0])})")
    dep = _dependency(lines)
    if dep:
        parts.append(f"it involves {dep}")
    return "; ".join(parts) + "."


def _resolution(lines: Lines) -> str | None:
    module = _first(lines, _MODULE)
    if module:
        name = module[1].group(1) or module[1].group(2)
        return (
            f"Install or declare `{name}` ({_at(module[0])}): add it to the project's "
            f"dependencies or fix its name/version."
        )
    found = _first(lines, _MISSING_ARTIFACT)
    coord = (found[0], found[1].group(1)) if found else None
    if coord is None:  # the last coordinate on a line is the missing one (the first is the project)
        coord = next(((n, m[-1]) for n, t in lines if (m := _COORD.findall(t))), None)
    if coord:
        return (
            f"`{coord[1]}` cannot be resolved ({_at(coord[0])}): check that this version is "
            f"published in the configured repositories, or pin one that is."
        )
    return None


def _policy(lines: Lines) -> str | None:
    rule = _first(lines, _RULE)
    needs = _first(lines, re.compile(r"Dependency (\S+) requires (.+?)(?: or higher|\.|$)"))
    coord = _first_coordinate(lines)
    lock = _first(
        lines,
        re.compile(r"(?i)([\w.\-]*lock[\w.\-]*)\b.*(?:out of sync|needs to be updated|in sync)"),
    )
    if needs:
        return (
            f"`{needs[1].group(1)}` requires {needs[1].group(2)} ({_at(needs[0])}): raise that "
            f"baseline "
            f"or keep the previous version of the dependency."
        )
    if lock:
        name, where = lock[1].group(1), _at(lock[0])
        return f"Regenerate and commit `{name}` ({where}) so it matches the manifest."
    if rule or coord:
        what = f"the rule {rule[1].group(1)} ({_at(rule[0])})" if rule else "a dependency rule"
        dep = f" for `{coord[1]}` ({_at(coord[0])})" if coord else ""
        return (
            f"Satisfy {what}{dep}: align the versions (dependencyManagement / constraints) or "
            f"exclude "
            f"the conflicting one."
        )
    return None


def _lint(lines: Lines) -> str | None:
    werror = _first(
        lines,
        re.compile(r"(\S+): warnings found and -Werror specified|warnings being treated as errors"),
    )
    if werror:
        where = werror[1].group(1) or "the build"
        return (
            f"{where} compiles with warnings and -Werror ({_at(werror[0])}): fix the warnings "
            f"(-Xlint lists "
            f"them) or relax -Werror."
        )
    pos = _first(lines, re.compile(r"([\w./\\\-]+\.\w+)[:\[(](\d+)"))
    if pos:
        return (
            f"Fix the reported style/analysis issue in {pos[1].group(1)}:{pos[1].group(2)} "
            f"({_at(pos[0])}) "
            f"or run the formatter/linter locally."
        )
    issue = _first(lines, re.compile(r"(?i)\b(?:error|warning|violation)\b"))
    if issue:
        return (
            f"Fix the reported style/analysis issue ({_at(issue[0])}) or run the formatter/linter "
            f"locally."
        )
    return None


def _timeout(lines: Lines) -> str | None:
    found = _first(lines, _DURATION)
    if found:
        return (
            f"The job hit a time limit of {found[1].group(1)} ({_at(found[0])}): look for a hung "
            f"step "
            f"or raise timeout-minutes."
        )
    return None


def _resources(lines: Lines) -> str | None:
    mem = _first(
        lines,
        re.compile(r"(?i)(heap space|out of memory|outofmemory|cannot allocate memory|killed|137)"),
    )
    disk = _first(lines, re.compile(r"(?i)(no space left on device|enospc)"))
    if disk:
        return (
            f"The runner ran out of disk ({_at(disk[0])}): free space (caches, docker images) "
            f"before the build."
        )
    if mem:
        return (
            f"The build ran out of memory ({_at(mem[0])}): raise the heap (-Xmx, MAVEN_OPTS, "
            f"--max-old-space-size) or reduce parallelism."
        )
    return None


def _infra(lines: Lines) -> str | None:
    host = _first(lines, _HOST)
    first = lines[0][0] if lines else None
    if host:
        return (
            f"Transient network/service error reaching {host[1].group(1)} ({_at(host[0])}): "
            f"re-run the job; "
            f"if it persists, check that service's status."
        )
    return f"Looks transient ({_at(first)}): re-run the job." if first else None


def _permissions(lines: Lines) -> str | None:
    found = _first(
        lines,
        re.compile(
            r"(?i)(permission denied|403|401|forbidden|unauthori[sz]ed|not accessible|"
            r"bad credentials|eacces)"
        ),
    )
    if found:
        return (
            f"Access was refused ({_at(found[0])}): grant the token the needed `permissions:` or "
            f"fix the "
            f"credentials / file mode it uses."
        )
    return None


def _configuration(lines: Lines) -> str | None:
    missing = _first(lines, _INPUT)
    if missing:
        where = _at(missing[0])
        return (
            f"Provide `{missing[1].group(1)}` ({where}) in the workflow (with:, env: or secrets)."
        )
    command = _first(lines, _COMMAND)
    if command:
        return (
            f"`{command[1].group(1)}` is missing on the runner ({_at(command[0])}): install it in "
            f"an "
            f"earlier step or fix the path."
        )
    first = lines[0][0] if lines else None
    return f"Fix the workflow/build configuration shown at {_at(first)}." if first else None


def _cancelled(lines: Lines) -> str | None:
    first = lines[-1][0] if lines else None
    return (
        f"The run was cancelled ({_at(first)}); re-run it if that was not intended."
        if first
        else "The run was cancelled; re-run it if that was not intended."
    )


_EXTRACTORS: dict[str, Callable[[Lines], str | None]] = {
    "compilation": _compilation,
    "test_failure": _test,
    "dependency_resolution": _resolution,
    "dependency_policy": _policy,
    "lint": _lint,
    "timeout": _timeout,
    "resource_exhaustion": _resources,
    "infrastructure": _infra,
    "permissions": _permissions,
    "configuration": _configuration,
    "cancelled": _cancelled,
}


def suggest(category: str, lines: Lines) -> str:
    """A next step for ``category`` grounded in ``lines`` (1-based numbers), or ``unknown``."""
    extractor = _EXTRACTORS.get(category)
    advice = extractor(lines) if extractor else None
    return advice or "unknown"


def summarise(category: str, step: str | None, lines: Lines) -> str:
    """One sentence: the kind of failure, where, and its first key line."""
    label = LABELS.get(category, category)
    where = f" in `{step[:80]}`" if step else ""
    key = next((text.strip() for _, text in lines if text.strip()), "")
    if len(key) > 160:
        key = key[:157] + "..."
    return f"{label}{where}: {key}" if key else f"{label}{where}."
