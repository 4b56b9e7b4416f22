"""Exact rules for the error class: the words and goals that name a failure's kind.

A rule fires on one clean log line: a cheap lower-case substring gate, then (when given) a regular
expression. Rules name tool output formats (Maven goals, Gradle tasks, npm, pip, GitHub Actions),
never projects. Where rules are silent, ``rca_classify`` falls back on a learned model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CATEGORIES", "TRANSIENT", "Rule", "RULES", "goal_category", "CANCELLED"]

CATEGORIES = (
    "compilation",
    "test_failure",
    "dependency_resolution",
    "dependency_policy",
    "lint",
    "infrastructure",
    "timeout",
    "resource_exhaustion",
    "permissions",
    "configuration",
    "cancelled",
    "unknown",
)
TRANSIENT = frozenset({"infrastructure", "timeout", "cancelled"})


@dataclass(frozen=True)
class Rule:
    category: str
    confidence: float
    gates: tuple[str, ...]  # lower-case substrings; one must be in the line
    pattern: re.Pattern[str] | None = None  # when set, it decides (case as written unless (?i))


def _r(
    category: str, confidence: float, gates: tuple[str, ...], pattern: str | None = None
) -> Rule:
    return Rule(category, confidence, gates, re.compile(pattern) if pattern else None)


CANCELLED = re.compile(
    r"##\[error\]The operation was cancell?ed|\bJob was cancell?ed\b|The run was cancell?ed"
)

RULES: tuple[Rule, ...] = (
    # --- the run stopped before the work did
    _r("cancelled", 0.9, ("cancel",), CANCELLED.pattern),
    _r(
        "timeout",
        0.95,
        (
            "maximum execution time",
            "exceeded the maximum time",
            "no output has been received",
            "timed out after",
            "timeout-minutes",
            "job exceeded",
        ),
        r"(?i)has exceeded the maximum execution time|exceeded the maximum time limit|No output "
        r"has been "
        r"received in the last|(?:job|step|build|command|process) (?:has )?timed out after|timed "
        r"out after \d",
    ),
    _r(
        "timeout",
        0.7,
        ("timed out", "timeout"),
        r"(?i)\b(?:build|job|step|script) timed out|Timeout exceeded",
    ),
    # --- the machine ran out of something
    _r(
        "resource_exhaustion",
        0.95,
        (
            "outofmemoryerror",
            "out of memory",
            "cannot allocate memory",
            "no space left on device",
            "enospc",
            "heap space",
            "gc overhead limit",
            "heap out of memory",
            "exit code 137",
            "oomkilled",
            "signal 9",
            "killed",
        ),
    ),
    # --- the network, a registry or a service failed
    _r(
        "infrastructure",
        0.85,
        (
            "could not resolve host",
            "temporary failure in name resolution",
            "connection refused",
            "connection reset",
            "connection timed out",
            "failed to connect to",
            "network is unreachable",
            "econnreset",
            "etimedout",
            "eai_again",
            "socket hang up",
            "tls handshake timeout",
            "read timed out",
            "service unavailable",
            "bad gateway",
            "gateway time-out",
            "gateway timeout",
            "rate limit",
            "toomanyrequests",
            "lost communication with the server",
            "runner has received a shutdown signal",
            "hosted runner encountered an error",
            "the requested url returned error: 5",
            "internal server error",
            "could not transfer artifact",
            "failed to fetch",
            "error response from daemon",
        ),
    ),
    # --- who may do what
    _r(
        "permissions",
        0.85,
        (
            "permission denied",
            "403 forbidden",
            "denied to ",
            "resource not accessible by integration",
            "eacces",
            "insufficient permission",
            "401 unauthorized",
            "bad credentials",
            "authentication failed",
            "requested access to the resource is denied",
            "must have admin rights",
            "not authorized",
            "access denied",
            "status code 403",
            "status code 401",
            "returned error: 403",
            "returned error: 401",
        ),
    ),
    # --- the workflow or build setup is wrong
    _r(
        "configuration",
        0.9,
        (
            "invalid workflow file",
            "input required and not supplied",
            "unable to resolve action",
            "unrecognized named-value",
            "unexpected value '",
            "the workflow is not valid",
            "required property is missing",
            "unknown lifecycle phase",
            "no pom in this directory",
            "there is no pom",
            "command not found",
            "is not recognized as an internal or external command",
            "unable to locate executable file",
            "secret",
            "environment variable",
            "no such file or directory",
            "not a git repository",
            "unknown option",
            "unrecognized option",
            "invalid option",
            "usage:",
        ),
        r"(?i)invalid workflow file|input required and not supplied|unable to resolve action|"
        r"unrecognized named-value|unexpected value '|the workflow is not valid|required property "
        r"is missing|"
        r"unknown lifecycle phase|no pom in this directory|there is no pom|command not found|"
        r"is not recognized as an internal or external command|unable to locate executable file|"
        r"secret\S* (?:is )?(?:not set|missing|not found|empty)|environment variable \S+ (?:is "
        r")?(?:not set|"
        r"required|missing)|no such file or directory|not a git "
        r"repository|(?:unknown|unrecognized|invalid) "
        r"option",
    ),
    # --- rules about dependencies: enforcer, convergence, lock files, licences, vulnerabilities
    _r(
        "dependency_policy",
        0.95,
        (
            "enforcer",
            "requireupperbounddeps",
            "dependencyconvergence",
            "dependency convergence",
            "banneddependencies",
            "requirereleasedeps",
            "lock file",
            "lockfile",
            "lock-file",
            "frozen-lockfile",
            "package-lock.json",
            "poetry.lock",
            "cargo.lock",
            "yarn.lock",
            "go.sum",
            "dependency lock",
            "license",
            "vulnerabilit",
            "dependency-check",
            "cve-",
            "used undeclared dependencies",
            "unused declared dependencies",
            "requires",
        ),
        r"(?i)enforcer|requireupperbounddeps|dependencyconvergence|dependency "
        r"convergence|banneddependencies|"
        r"requirereleasedeps|(?:lock "
        r"?file|lock-file|package-lock\.json|poetry\.lock|cargo\.lock|yarn\.lock|"
        r"go\.sum|dependency lock)\b.*\b(?:out of (?:sync|date)|not (?:in sync|up to "
        r"date|consistent)|"
        r"needs to be updated|would have been modified|changed|mismatch|outdated)|frozen-lockfile|"
        r"npm ci can only install|licen[cs]e\b.*\b(?:not "
        r"allowed|incompatible|violat|unapproved|denied|"
        r"forbidden|prohibited)|\d+ (?:\w+ )?(?:severity )?vulnerabilit|dependency-check|cvss|"
        r"used undeclared dependencies|unused declared dependencies|Dependency \S+ requires "
        r"\S+ [\d.]+ or higher",
    ),
    # --- a dependency could not be found or downloaded
    _r(
        "dependency_resolution",
        0.9,
        (
            "could not resolve dependencies",
            "could not find artifact",
            "failed to collect dependencies",
            "could not be resolved",
            "could not resolve all",
            "no matching distribution",
            "could not find a version that satisfies",
            "unable to resolve dependency",
            "eresolve",
            "npm err! 404",
            "e404",
            "version solving failed",
            "failed to select a version",
            "no matching package",
            "non-resolvable parent pom",
            "unresolved dependencies",
            "cannot find module",
            "no module named",
            "modulenotfounderror",
            "your requirements could not be resolved",
            "unable to find a version",
            "could not find package",
            "package not found",
            "module not found",
            "unknown revision",
            "cannot find package",
        ),
    ),
    # --- static analysis, formatting, warnings as errors
    _r(
        "lint",
        0.9,
        (
            "warnings found and -werror",
            "-werror",
            "warnings being treated as errors",
            "warnings treated as errors",
            "treated as error",
            "checkstyle",
            "spotless",
            "format violation",
            "code style issues",
            "prettier",
            "eslint",
            "rubocop",
            "offenses",
            "flake8",
            "pylint",
            "mypy",
            "black",
            "would reformat",
            "isort",
            "gofmt",
            "goimports",
            "golint",
            "golangci",
            "clippy",
            "ktlint",
            "detekt",
            "pmd",
            "spotbugs",
            "findbugs",
            "buginstance",
            "swiftlint",
            "stylelint",
            "tslint",
            "shellcheck",
            "markdownlint",
            "scalafmt",
            "scalastyle",
            "lint",
            "style violation",
            "formatting",
            "not formatted",
            "javadoc",
            "apache-rat",
            "license header",
            "revapi",
            "japicmp",
            "clirr",
            "mima",
            "binary compatibility",
            "api compatibility",
            "codenarc",
            "sonar",
            "problem (",
            "problems (",
        ),
    ),
    _r("lint", 0.8, (":",), r"^\S+:\d+:\d+: [EWFC]\d{3} |^\S+\.py:\d+:\d+: [A-Z]\d+ "),
    # --- the code does not build
    _r(
        "compilation",
        0.9,
        (
            "compilation error",
            "compilation failure",
            "compilation failed",
            "cannot find symbol",
            "error: cannot find",
            "incompatible types",
            "cannot access",
            "class file has wrong version",
            "compiled by a more recent version",
            "undefined reference to",
            "error ts",
            "error[e0",
            "error cs",
            "could not compile",
            "compileJava".lower(),
            "compilekotlin",
            "compilescala",
            "does not exist",
            "is not a member of",
            "unresolved reference",
            "use of undeclared identifier",
            "no member named",
            "type mismatch",
            "syntax error",
            "syntaxerror",
            "unknown attribute",
            "has private access",
            "cannot be applied to",
            "does not override",
            "is not abstract and does not override",
            "unreported exception",
            "incompatible version of kotlin",
            "cannot be resolved to a type",
            "is not defined in",
            "expected ';'",
            "build failed",
            "fatal error:",
        ),
        r"(?i)compilation (?:error|failure|failed)|cannot find symbol|error: cannot "
        r"find|incompatible types|"
        r"cannot access \S|class file has wrong version|compiled by a more recent "
        r"version|undefined reference to|"
        r"error TS\d+|error\[E\d+\]|error CS\d+|could not "
        r"compile|compile(?:java|kotlin|scala|testjava)|"
        r"package \S+ does not exist|is not a member of|unresolved reference|use of undeclared "
        r"identifier|"
        r"no member named|type mismatch|syntax ?error|unknown attribute|has private access|cannot "
        r"be applied to|"
        r"does not override|unreported exception|incompatible version of kotlin|cannot be "
        r"resolved to a type|"
        r"expected ';'|\*\* BUILD FAILED \*\*|fatal error: \S+\.h",
    ),
    _r(
        "compilation",
        0.75,
        ("error:", ".java:[", ".kt:", ".scala:", ".c:", ".cpp:", ".go:", ".rs:", ".ts("),
        r"^\S+\.(?:java|kt|scala|c|cc|cpp|h|hpp|go|rs|swift|m|cs|ts|tsx)[:(]\[?\d+[,:]\d+\]?\)?:? "
        r"(?:fatal )?"
        r"(?:error|e:)|^e: \S+\.kt",
    ),
    # --- the code builds, a test fails
    _r(
        "test_failure",
        0.9,
        (
            "there are test failures",
            "there were test failures",
            "<<< failure!",
            "<<< error!",
            "failed tests:",
            "tests in error:",
            "--- fail:",
            "failures!",
            "there were failing tests",
            "assertionerror",
            "assertion failed",
            "failed asserting",
            "xctassert",
            "** test failed **",
            "test failed",
            "tests failed",
            "failing",
            "not ok ",
            "expected:",
            "but was:",
            "failed:",
        ),
        r"(?i)there (?:are|were) test failures|<<< (?:failure|error)!|failed tests:|tests in "
        r"error:|--- FAIL:|"
        r"FAILURES!|there were failing tests|AssertionError|assertion failed|failed "
        r"asserting|XCTAssert|"
        r"\*\* TEST FAILED \*\*|tests? failed|\b[1-9]\d* failing|^\s*not ok \d|expected:? <?.*> "
        r"but was|"
        r"^FAILED \S+::|^FAIL:? \S|\b[1-9]\d* failed\b",
    ),
    _r(
        "test_failure",
        0.8,
        ("tests run:",),
        r"Tests run: \d+, Failures: (?:[1-9]|\d+, Errors: [1-9])",
    ),
)

# Maven plugins and Gradle tasks whose failure names the class outright.
# What the message says (this line and the next two) outranks which plugin said it ...
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), c)
    for p, c in (
        (r"-werror|warnings found", "lint"),
        (
            r"could not resolve dependencies|failed to collect dependencies|could not be resolved|"
            r"non-resolvable|could not find artifact|could not resolve all",
            "dependency_resolution",
        ),
        (r"dependency \S+ requires \S+ [\d.]+ or higher", "dependency_policy"),
    )
)
# ... which names the class for the rest.
_GOALS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), c)
    for p, c in (
        (
            r"enforcer|dependency-check|dependency-plugin\S*:analyze|dependency-lock|lockfile",
            "dependency_policy",
        ),
        (
            r"maven-compiler|kotlin-maven|scala-maven|groovy|gmavenplus|compilation failure|"
            r"task '\S*:compile\w*'",
            "compilation",
        ),
        (
            r"surefire|failsafe|junit\d*-maven|scalatest|karma|jest|task '\S*:\w*test\w*'|"
            r"there (?:are|were) (?:test )?failures|coverage checks|jacoco",
            "test_failure",
        ),
        (
            r"checkstyle|spotless|pmd|spotbugs|findbugs|formatter|fmt-maven|license-maven|apache-rat|revapi|"
            r"japicmp|animal-sniffer|sortpom|editorconfig|detekt|ktlint|javadoc|lint|sonar|codenarc",
            "lint",
        ),
    )
)
GOAL_LINE = re.compile(r"Failed to execute goal|Execution failed for task")


def goal_category(line: str, context: str = "") -> str | None:
    """The class named by a Maven ``Failed to execute goal`` or Gradle ``Execution failed for task``
    line; ``context`` is that line with the next few (the message often continues there)."""
    for pattern, category in _MESSAGES:
        if pattern.search(context or line):
            return category
    for pattern, category in _GOALS:
        if pattern.search(line):
            return category
    return None
