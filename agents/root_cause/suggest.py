"""A short, specific next step for a failure, grounded in its lines and citing their numbers.

Each category has an extractor that looks for its specifics in the evidence lines (the missing
symbol or module, the dependency and version, the failing test and its assertion, the timeout
value, the missing input...) and words a fix for them. When no extractor finds its specifics the
suggestion still says what the evidence shows, never ``unknown``: the step that failed, its exit
code and the command it ran, the strongest lines and what they quote, the packages, tests and
files they name, then the generic next step of the class (:data:`NEXT_STEPS`). Nothing here knows
one repository's format: the facts are read from shapes every tool prints (``name@1.2.3``,
``name==1.2.3``, ``exit code 2``, ``file.ext:12``, ``SomeError: message``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agents.root_cause.patterns import TALLY

__all__ = ["Evidence", "suggest", "summarise", "LABELS", "NEXT_STEPS"]

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

# The generic next step of each class: what to do once the evidence is read, whatever the tool.
NEXT_STEPS = {
    "compilation": "Fix the first compile error shown (later ones often follow from it) and "
    "build locally with the same command.",
    "test_failure": "Run that test locally with the same command and compare what it expected "
    "with what it got; if it passes on a re-run, treat it as flaky.",
    "dependency_resolution": "Check that each package and version named exists in the "
    "configured registry and that their version ranges fit together; pin a compatible version "
    "or regenerate the lock file.",
    "dependency_policy": "Align the versions the rule or lock file complains about (constraints, "
    "overrides, dependencyManagement) and regenerate the lock file.",
    "lint": "Run the same linter or formatter locally and fix what it reports (warnings treated "
    "as errors included).",
    "infrastructure": "This looks transient: re-run the job; if it fails the same way again, "
    "check the status of the service or runner it names.",
    "timeout": "Find the step that hung or slowed down (compare its duration with the last green "
    "run); raise the time limit only if the work really grew.",
    "resource_exhaustion": "Use less memory or disk (fewer parallel workers, a higher heap "
    "limit, cleared caches) or a larger runner.",
    "permissions": "Give the token or credentials the access they need (the workflow's "
    "`permissions:`, a secret with the right scope) or fix the file mode.",
    "configuration": "Fix the workflow or build setting it names (an action or tool version, an "
    "input, a secret, a tool missing on the runner).",
    "cancelled": "Re-run it if the cancel was not intended (a newer push, a concurrency group or "
    "a person cancels older runs).",
    "unknown": "Start there: find the first error in those lines, run the same command locally, "
    "or re-run the job with debug logging to see more.",
}

WHY_WINDOW = 6  # lines under a failing test's name searched for an error word
TEST_BLOCK = 12  # lines under a failing test's name read for its check when evidence lacks it

_NO_EVIDENCE = (
    "Check the job's annotations and the exit codes of its steps, or re-run the job with debug "
    "logging to see more."
)

Lines = Sequence[tuple[int, str]]  # (1-based line number, clean text)


@dataclass(frozen=True)
class Evidence:
    """What a suggestion may cite, all with 1-based line numbers of the log.

    ``lines``: clean lines of the ranges (and a little after each); ``ranges``: the localised
    ranges, most likely first; ``nearby``: the ranges' lines and more after each (what they
    name: packages, tests, files); ``step``: the failing step's name (from the API); ``command``:
    the command the failing step ran (the first line of its script, ``script`` lines long);
    ``headline``: the line that best says what failed; ``end``:
    the lines where the failing step ended (its exit code, a cancel); ``tail``: the log's last
    non-blank line (cited when nothing else is).
    """

    lines: Lines = ()
    ranges: tuple[tuple[int, int], ...] = ()
    nearby: Lines = ()
    step: str | None = None
    command: tuple[int, str] | None = None
    script: int = 1
    headline: tuple[int, str] | None = None
    end: Lines = ()
    tail: tuple[int, str] | None = None


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
        r"^(?:\[ERROR\]\s+)?([\w$.]+[.#(][\w$]+\)?)(?:\s+(?:--\s+)?Time elapsed.*?)?\s+<<< "
        r"(?:FAILURE|ERROR)!"
    ),
    re.compile(r"^FAILED (\S+::\S+)"),
    re.compile(r"--- FAIL: (\S+)"),
    re.compile(r"^\s*● (?!Console\b)(\S.*?)\s*$"),  # jest: "● Suite › test"
    re.compile(r"^\s*[✕×✖✗]\s+(?!\d)(\S.*?)(?:\s+\(\d+(?:\.\d+)?\s*m?s\))?\s*$"),  # jest lists
    re.compile(r"^\s*\d+\) ([\w$.:#\\ ]+\w)"),
    re.compile(r"^_{3,} (\S.*?) _{3,}$"),  # pytest's header of a failing test
    re.compile(r"^\s*Failed (\S+) \[\d"),  # dotnet test
    re.compile(
        r"^(?:\[ERROR\]\s+)?\s+([\w$.]+[.:#][\w$]+)(?::\d+)?\s+(?:expected|Expected|»|\w+Error)"
    ),
    re.compile(r"^not ok \d+ (.+)"),
    re.compile(r"(?<!\w)(\w[\w.]*Test\w*[.#:]\w+)"),  # (a match never starts mid-word)
)
_ASSERT = re.compile(
    r"(?i)(expected:?\s*<?[^\n]{0,80}?>?\s*but (?:was|got)[^\n]{0,60}|assert\w*(?:ion)?"
    r"(?:error|failed)?:?[^\n]{0,100}|expected [^\n]{1,80} to [^\n]{1,60}|"
    r"expect\(\w*\)\.[\w.]+\(\w*\))"
)
# an expected / actual pair on lines of their own (jest, testify, many assertion libraries)
_EXPECTED = re.compile(r"(?i)^\s*expected(?: value)?\s*:?\s+(\S.{0,60})$")
_ACTUAL = re.compile(r"(?i)^\s*(?:received|actual|got|but was)(?: value)?\s*:?\s+(\S.{0,60})$")
# an exception with its message (``pkg.SomeError: message``), not a name in passing
_RAISED = re.compile(
    r"(?<![\w.])((?:[A-Za-z_]\w*\.)*+[A-Z]\w*(?:Error|Exception|Failure|Timeout|Panic):\s*\S.*)"
)
# what a test runner says went wrong: pytest's ``E`` lines and its summary's reason
_REASON = re.compile(r"^E\s{2,}(\S.*)$|^FAILED \S+ - (\S.*)$")
# a diagnostic led by its position: ``file.ext:12: message`` (compilers, vet, go test, linters)
_DIAGNOSTIC = re.compile(r"^\s*((?:[\w.\-]+[\\/])*+[\w.\-]+\.\w+:\d+(?::\d+)?):\s+\S")
# a package and its version, as package managers print them
_PKG_AT = re.compile(  # npm, pnpm, yarn, go modules, actions: name@1.2.3
    r"(?<![\w.@/\-])(@[\w.\-]+/[\w.\-]+|[A-Za-z][\w.\-]*(?:/[\w.\-]+)*)@[v^~=]?"
    r"(\d+(?:\.\d+)+[\w.\-+]*)"
)
_PKG_EQ = re.compile(  # pip, conda: name==1.2.3
    r"(?<![\w.\-])([A-Za-z][\w.\-]*(?:\[[\w,.\-]+\])?)(===?|~=)(\d[\w.\-+]*)"
)
_PKG_NEEDS = re.compile(  # pip, cargo, bundler: "name 1.2.3 depends on / requires"
    r"(?<![\w.\-])([A-Za-z][\w.\-]*) v?(\d+\.\d+[\w.\-+]*),? (?:depends on|requires)\b"
)
_COLON_DIGIT = re.compile(r":\d")
_PROJECT = re.compile(r"(?i)(?:project|resolving:?)\s*\S*\s*$")  # text before the project's name
_POSITION = re.compile(  # (starts at a token's start; the folders are never given back)
    r"(?<![\w.\-/\\])((?:[\w.\-]+[\\/])*+[\w.\-]+\.(?:java|kt|kts|scala|groovy|ts|tsx|js|jsx|mjs|cjs|vue|py|go|"
    r"rs|c|cc|cpp|h|hpp|cs|fs|rb|php|swift|m|dart|ex|exs|erl|hs|lua|sh|ya?ml|toml|json|xml|"
    r"gradle|tf|proto|sql))(?::\[?|\(|, line )(\d+)"
)
_POSITION_HINT = re.compile(r"\.[A-Za-z]{1,6}(?::\[?|\(|, line )\d")  # cheap, before _POSITION
_EXIT = re.compile(
    r"(?i)\b(?:exit code|exit status|exited with(?: code| status)?|returned non-zero exit "
    r"status|failed with (?:exit )?(?:code|status))[:= ]*([1-9]\d{0,2})\b"
    r"|\*\*\* \[[^\]]*\] Error ([1-9]\d{0,2})\b"
)
_QUOTED_COMMAND = re.compile(r"The (?:command|process) [\"'](.+?)[\"'] (?:exited|failed)")
_STOPPED = re.compile(
    r"(?i)\b(?:cancell?ed|cancell?ing|aborted|terminated|shutdown signal|exceeded the maximum)\b"
)
_STRONG = re.compile(
    r"(?i)\b(?:error|errors|fail|failed|failure|fatal|exception|panic|denied|refused|cannot|"
    r"can't|could not|couldn't|unable|not found|not allowed|forbidden|unauthori[sz]ed|invalid|"
    r"missing|timed out|timeout|killed|abort(?:ed)?)\b|✖|✗|❌"
)
_MARKUP = re.compile(r"^(?:##\[(?:error|warning)\]|::(?:error|warning)[^:]*::|\[(?:ERROR)\]\s*)")
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
    """A dependency the lines name, with the line that names it: ``okio 3.4.0 (line 12)``."""
    found = _first(lines, _JAR)
    if found:
        return f"{found[1].group(1)} {found[1].group(2)} ({_at(found[0])})"
    coord = _first_coordinate(lines)
    return f"{coord[1]} ({_at(coord[0])})" if coord else None


def _first_coordinate(lines: Lines) -> tuple[int, str] | None:
    """The first ``group:artifact:version`` that is no build plugin (a failed goal's line names
    its plugin first; the plugin is never the dependency at fault)."""
    for number, text in lines:
        for match in _COORD.finditer(text):
            if _is_dependency(match.group(1)):
                return number, match.group(1)
    return None


def _is_dependency(coord: str) -> bool:
    """A ``group:artifact:version`` of a dependency: no build plugin, and a dotted version (not a
    CI marker such as ``travis_time:end:13dfaca5``)."""
    version = coord.rsplit(":", 1)[-1]
    plugin = "-plugin" in coord or "maven.plugins" in coord
    return not plugin and "." in version


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


def _test(lines: Lines, more: Lines = ()) -> str | None:
    """The failing test and what it checked; ``more``: lines beyond the evidence, read under
    the test's name when the evidence shows the name only."""
    name = None
    for pattern in _TEST:
        name = _first(lines, pattern)
        if name:
            break
    check = _pair(lines) or _assertion(lines)
    if not (name or check):
        return None
    parts = []
    if name:
        parts.append(
            f"Run the failing test `{name[1].group(1).strip()[:100]}` locally ({_at(name[0])})"
        )
    if not check:
        check = _why(lines, after=name[0] if name else None)
    if not check and name:
        below = [(n, t) for n, t in more if name[0] < n <= name[0] + TEST_BLOCK]
        check = _pair(below) or _assertion(below) or _why(below, after=name[0])
    if check:
        parts.append(check)
    dep = _dependency(lines)
    if dep:
        parts.append(f"it involves {dep}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _assertion(lines: Lines) -> str | None:
    check = _first(lines, _ASSERT)
    if check is None:
        return None
    return f"the check that fails: `{check[1].group(1).strip()[:120]}` ({_at(check[0])})"


def _why(lines: Lines, after: int | None = None) -> str | None:
    """What went wrong when no assertion says it: an exception with its message, the runner's
    error lines, a diagnostic led by its file position, else the first line after the test's
    name (line ``after``) with an error word."""
    raised = _first(_maybe_raised(lines), _RAISED)
    if raised:
        return f"it raised `{_quote(raised[1].group(1), 120)}` ({_at(raised[0])})"
    reason = _first(lines, _REASON)
    if reason:
        text = reason[1].group(1) or reason[1].group(2)
        return f"it reports `{_quote(text, 120)}` ({_at(reason[0])})"
    diagnostic = _first(lines, _DIAGNOSTIC)
    if diagnostic:
        return f"it reports `{_quote(diagnostic[1].string, 120)}` ({_at(diagnostic[0])})"
    if after is not None:  # close below the test's name, not a tally of the whole run
        said = next(
            (
                (n, t)
                for n, t in lines
                if after < n <= after + WHY_WINDOW and _STRONG.search(t) and not TALLY.search(t)
            ),
            None,
        )
        if said:
            return f"it reports `{_quote(said[1], 120)}` ({_at(said[0])})"
    return None


def _pair(lines: Lines) -> str | None:
    """``Expected: x`` followed within three lines by ``Received: y`` (or actual, got)."""
    for k, (number, text) in enumerate(lines):
        expected = _EXPECTED.match(text)
        if not expected:
            continue
        for _, other in lines[k + 1 : k + 4]:
            actual = _ACTUAL.match(other)
            if actual:
                return (
                    f"it expected `{_quote(expected.group(1), 60)}` but got "
                    f"`{_quote(actual.group(1), 60)}` ({_at(number)})"
                )
    return None


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
            f"The runner ran out of disk: `{_quote(disk[1].string)}` ({_at(disk[0])}): free "
            f"space (caches, docker images) before the build."
        )
    if mem:
        return (
            f"The build ran out of memory: `{_quote(mem[1].string)}` ({_at(mem[0])}): raise the "
            f"heap (-Xmx, MAVEN_OPTS, --max-old-space-size) or reduce parallelism."
        )
    return None


def _infra(lines: Lines) -> str | None:
    host = _first(lines, _HOST)
    if host:
        return (
            f"Transient network/service error reaching {host[1].group(1)} ({_at(host[0])}): "
            f"re-run the job; "
            f"if it persists, check that service's status."
        )
    return None


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
            f"Access was refused: `{_quote(found[1].string)}` ({_at(found[0])}): grant the token "
            f"the needed `permissions:` or fix the credentials / file mode it uses."
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
    return None


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
}


def suggest(category: str, lines: Lines, evidence: Evidence | None = None) -> str:
    """A next step for ``category`` grounded in ``lines`` (1-based numbers), never ``unknown``.

    The class's extractor words a specific fix when it finds its specifics; otherwise the
    suggestion says what ``evidence`` shows (step, exit code, command, the strongest lines and
    what they name) followed by the class's generic next step.
    """
    if evidence is None:
        evidence = Evidence(lines=tuple(lines), ranges=_ranges_of(lines))
    extractor = _EXTRACTORS.get(category)
    if not (extractor and lines):
        advice = None
    elif extractor is _test:
        advice = _test(lines, evidence.nearby)
    else:
        advice = extractor(lines)
    return advice or _grounded(category, evidence)


def _grounded(category: str, ev: Evidence) -> str:
    """What the evidence shows, in one sentence citing its lines, then the class's next step."""
    next_step = NEXT_STEPS.get(category, NEXT_STEPS["unknown"])
    if not ev.ranges:
        where = f" (the log ends at {_at(ev.tail[0])}: `{_quote(ev.tail[1])}`)" if ev.tail else ""
        if category == "unknown":
            next_step = _NO_EVIDENCE
        return f"{_lead(category, ev)}; no line of the log names the cause{where}. {next_step}"
    parts = [_lead(category, ev)]
    shown, quoted = _shown(category, ev)
    if shown:
        parts.append(shown)
    named = [(n, t) for n, t in _named(ev.nearby or ev.lines) if t not in quoted][:3]
    if named:
        parts.append(f"it names {_listed(named)}")
    return "; ".join(parts) + ". " + next_step


def _lead(category: str, ev: Evidence) -> str:
    """``The step `Run tests` failed with exit code 2 (line 88) after `make test` (line 30)``."""
    cancelled = category == "cancelled"
    command = ev.command or _quoted_command(ev)
    step = ev.step.strip() if ev.step and ev.step.strip() else None
    if step and command and _same_step(step, command[1]):
        command = None
    if step:
        who = f"The step `{_quote(step, 80)}`"
    elif command:
        who, command = f"`{_quote(command[1], 80)}`", None
    else:
        who = "The job"
    if cancelled:
        stop = _first(ev.end, _STOPPED) or _first(ev.lines, _STOPPED)
        text = f"{who} was cancelled" + (f" ({_at(stop[0])})" if stop else "")
    else:
        code = _exit_code(ev)
        text = f"{who} failed" + (f" with exit code {code[1]} ({_at(code[0])})" if code else "")
    if command and ev.script > 1:
        text += (
            f" in a {ev.script}-line script starting with `{_quote(command[1], 80)}` "
            f"({_at(command[0])})"
        )
    elif command:
        verb = "while running" if cancelled else "after"
        text += f" {verb} `{_quote(command[1], 80)}` ({_at(command[0])})"
    return text


def _shown(category: str, ev: Evidence) -> tuple[str, str]:
    """The strongest range and the line it quotes (and that quote, so it is not named twice)."""
    a, b = ev.ranges[0]
    span = f"lines {a}-{b} are" if a != b else f"line {a} is"
    stop = (
        _first(ev.end, _STOPPED) or _first(ev.lines, _STOPPED) if category == "cancelled" else None
    )
    if stop is not None:
        seen = dict([*ev.nearby, *ev.lines, *ev.end])
        before = sorted(n for n, t in seen.items() if t and n < stop[0])
        if not before:
            return "", ""
        n, text = before[-1], seen[before[-1]]
        return f"the last output before it: `{_quote(text)}` ({_at(n)})", _quote(text)
    # a recognised class was decided on these lines: its headline is evidence; for ``unknown``
    # a headline naming no error is only where the localiser looked hardest
    head = _quoted_line(ev, trust_headline=category != "unknown")
    if head is None:
        return f"{span} the strongest evidence", ""
    n, text = head
    cite = "" if a == b == n else f" ({_at(n)})"
    weak = category == "unknown" and not _says_error(text)
    what = "the best guess (no error named)" if weak else "the strongest evidence"
    return f"{span} {what}: `{_quote(text, 120)}`{cite}", _quote(text, 120)


def _quoted_line(ev: Evidence, trust_headline: bool = True) -> tuple[int, str] | None:
    """The headline, unless it only repeats the exit code (or, when not ``trust_headline``, names
    no error): then the first line of the ranges with an error word, else their last line."""
    code = _exit_code(ev)
    skip = {code[0]} if code else set()
    inside = [
        (n, t)
        for n, t in ev.lines
        if t and any(a <= n <= b for a, b in ev.ranges) and n not in skip
    ]
    head = ev.headline
    usable = head and head[1].strip() and head[0] not in skip
    if usable and (trust_headline or _says_error(head[1]) or not inside):
        return head[0], head[1].strip()
    if inside:  # else the last output before the step stopped
        return next(((n, t) for n, t in inside if _says_error(t)), inside[-1])
    return (head[0], head[1].strip()) if head else None


def _says_error(text: str) -> bool:
    """A line with an error word, or a diagnostic led by its file position."""
    return bool(_STRONG.search(text) or _DIAGNOSTIC.match(text))


def _exit_code(ev: Evidence) -> tuple[int, str] | None:
    """The first non-zero exit code where the failing step ended, else in the evidence lines."""
    found = _first(_maybe_exit(ev.end), _EXIT) or _first(_maybe_exit(ev.lines), _EXIT)
    if found is None:
        return None
    return found[0], found[1].group(1) or found[1].group(2)


_RAISED_WORDS = ("Error:", "Exception:", "Failure:", "Timeout:", "Panic:")


def _maybe_raised(lines: Lines) -> list[tuple[int, str]]:
    """The lines that may name an exception and its message (a filter before ``_RAISED``)."""
    return [(n, t) for n, t in lines if ":" in t and any(w in t for w in _RAISED_WORDS)]


def _maybe_exit(lines: Lines) -> list[tuple[int, str]]:
    """The lines that may hold an exit code (a cheap filter before the regular expression)."""
    return [(n, t) for n, t in lines if "xit" in t or "XIT" in t or "*** [" in t]


def _quoted_command(ev: Evidence) -> tuple[int, str] | None:
    """``The command "make test" exited with 2`` (Travis), ``The process '/bin/x' failed``."""
    found = _first(ev.end, _QUOTED_COMMAND) or _first(ev.lines, _QUOTED_COMMAND)
    return (found[0], found[1].group(1)) if found else None


def _same_step(step: str, command: str) -> bool:
    """GitHub names an unnamed step after its command: ``Run make test`` runs ``make test``."""
    a, b = step.lower().strip(), command.lower().strip()
    if a.startswith("run "):
        a = a[4:].strip()
    return a == b or (len(a) >= 12 and b.startswith(a))


def _named(lines: Lines) -> list[tuple[int, str]]:
    """What the evidence names, in order of use: packages at a version, the failing test, the
    first file position, the first exception."""
    out = list(_packages(lines))
    for pattern in _TEST:
        found = _first(_with_test_word(lines) if pattern is _TEST[-1] else lines, pattern)
        if found:
            out.append((found[0], found[1].group(1).strip()[:100]))
            break
    pos = _first([(n, t) for n, t in lines if _POSITION_HINT.search(t)], _POSITION)
    if pos:
        out.append((pos[0], f"{pos[1].group(1)}:{pos[1].group(2)}"))
    raised = _first(_maybe_raised(lines), _RAISED)
    if raised:
        out.append((raised[0], _quote(raised[1].group(1), 100)))
    return out


def _with_test_word(lines: Lines) -> Lines:
    """The lines the broad last ``_TEST`` pattern can match (it needs ``Test``)."""
    return [(n, t) for n, t in lines if "Test" in t]


def _packages(lines: Lines, limit: int = 3) -> list[tuple[int, str]]:
    """Packages named at a version (``name@1.2.3``, ``name==1.2.3``, ``g:a:1.2.3``, a jar path,
    ``name 1.2.3 depends on``), the first mention of each, in log order; never the project being
    built (``While resolving: app@0.0.0``, ``for project g:a:1.0``)."""
    seen: dict[str, tuple[int, int, str]] = {}
    for number, text in lines:
        found: list[tuple[int, str, str]] = []
        if "@" in text:
            for match in _PKG_AT.finditer(text):
                found.append((match.start(), match.group(1), match.group(0)))
        if "=" in text:
            for match in _PKG_EQ.finditer(text):
                found.append((match.start(), match.group(1), match.group(0)))
        if "depends on" in text or "requires" in text:
            for match in _PKG_NEEDS.finditer(text):
                shown = f"{match.group(1)} {match.group(2)}"
                found.append((match.start(), match.group(1), shown))
        if ":" in text and _COLON_DIGIT.search(text):
            for match in _COORD.finditer(text):
                coord = match.group(1)
                if _is_dependency(coord):
                    found.append((match.start(), coord.split(":")[1], coord))
        if ".m2" in text:
            for match in _JAR.finditer(text):
                shown = f"{match.group(1)} {match.group(2)}"
                found.append((match.start(), match.group(1), shown))
        for start, name, shown in sorted(found):
            if name.lower() in seen or _PROJECT.search(text[max(0, start - 30) : start]):
                continue
            seen[name.lower()] = (number, start, shown)
    ordered = sorted(seen.values())
    return [(number, shown) for number, _, shown in ordered[:limit]]


def _listed(named: Sequence[tuple[int, str]]) -> str:
    items = [f"`{text}` ({_at(number)})" for number, text in named]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _quote(text: str, limit: int = 100) -> str:
    """One line as quoted evidence: CI markup dropped, blanks collapsed, no backticks, short."""
    text = " ".join(_MARKUP.sub("", text.strip()).split()).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _ranges_of(lines: Lines) -> tuple[tuple[int, int], ...]:
    """Runs of consecutive line numbers (the ranges when only lines are given)."""
    ranges: list[list[int]] = []
    for number, _ in lines:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1][1] = number
        elif not ranges or number > ranges[-1][1]:
            ranges.append([number, number])
    return tuple((a, b) for a, b in ranges)


def summarise(category: str, step: str | None, lines: Lines) -> str:
    """One sentence: the kind of failure, where, and its first key line."""
    label = LABELS.get(category, category)
    where = f" in `{step[:80]}`" if step else ""
    key = next((text.strip() for _, text in lines if text.strip()), "")
    if len(key) > 160:
        key = key[:157] + "..."
    return f"{label}{where}: {key}" if key else f"{label}{where}."
