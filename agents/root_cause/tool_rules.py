"""Exact rules for the output of today's CI tools, as GitHub Actions jobs print it.

``rca_rules`` grew up on Maven and Travis logs; these rules add the formats a GitHub Actions job
prints when pytest, jest/vitest, go, tsc, mypy, ruff/eslint, pip/npm/yarn/pnpm/poetry/go mod or
the runner itself report a failure. They name tool output formats only, never a project, and
run after the timestamp prefix and ANSI escapes are gone (``rca_patterns.clean_one``).

``runner_verdict`` reads what the runner printed where the step stopped: a cancellation that
follows a timeout or a runner shutdown is that timeout or that outage, not a user's cancel.
"""

from __future__ import annotations

import re

from agents.root_cause.rules import Rule

__all__ = ["TOOL_RULES", "RUNNER_STOP", "OOM_KILL", "NETWORK_CAUSE", "TIMING", "ASSERTION"]


def _r(category: str, confidence: float, gates: tuple[str, ...], pattern: str) -> Rule:
    return Rule(category, confidence, gates, re.compile(pattern))


# What the runner prints just before "The operation was canceled." when it, not a user, stopped.
RUNNER_STOP: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(?i)has exceeded the maximum execution time|exceeded the maximum time limit|"
            r"timeout-minutes|the job has timed out"
        ),
        "timeout",
    ),
    (
        re.compile(
            r"(?i)runner has received a shutdown signal|lost communication with the server|"
            r"hosted runner encountered an error|runner .* (?:did not|didn't) respond"
        ),
        "infrastructure",
    ),
)
# A process killed by the kernel's OOM killer (SIGKILL: exit 137) or a runtime out of memory.
OOM_KILL = re.compile(
    r"(?i)(?:exit(?:ed with)? code:? ?137\b|exit status 137\b|oom-?kill|killed by the oom|"
    r"out of memory: kill|javascript heap out of memory|java\.lang\.OutOfMemoryError)"
)
# A dependency could not be fetched because the network or the registry failed, not because it
# does not exist.
NETWORK_CAUSE = re.compile(
    r"(?i)\b(?:50[234]\b|service unavailable|bad gateway|gateway time-?out|connection reset|"
    r"connection refused|connect timed out|read timed out|i/o timeout|tls handshake timeout|"
    r"temporary failure in name resolution|could not resolve host|unknown host|"
    r"network is unreachable|econnreset|etimedout|eai_again|toomanyrequests|rate limit)"
)

# A test that failed by waiting too long or losing a connection, and by nothing else, is the
# commonest kind of flaky test (async wait, network); one that compared values failed for real.
TIMING = re.compile(
    r"(?i)timed? ?out\b|\btimeout|deadline exceeded|not fulfilled within|connection (?:reset|"
    r"refused|aborted)|econnreset|etimedout|socket hang up"
)
ASSERTION = re.compile(
    r"(?i)assert|expected|\bbut was\b|\bto(?:Be|Equal|Match|Have|Contain)|snapshot|mismatch|"
    r"\bdiff\b|typeerror|nullpointer|attributeerror|keyerror|undefined|\bgot\b.*\bwant\b"
)

TOOL_RULES: tuple[Rule, ...] = (
    # --- tests: pytest, jest/vitest, go test, cargo test, dotnet test, gradle
    _r(
        "test_failure",
        0.95,
        ("failed ", "error ", "fail ", "fail\t", "failures", "errors =", "failed", "●", "×"),
        r"^(?:FAILED|ERROR) \S+::\S+|^=+ (?:FAILURES|ERRORS) =+$|^=+ .*\b\d+ failed\b.*=+$"
        r"|^\s*FAIL\s+\S+\.(?:test|spec)\.[cm]?[jt]sx?\b|^\s*FAIL\s+\S+\.[cm]?[jt]sx?\s*(?:\(|$)"
        r"|^\s*● .+ › |^Tests:\s+\d+ failed|^\s*Test Files\s+\d+ failed|^FAIL\t\S+\s+[\d.]+s$"
        r"|^test result: FAILED\b|^\s*Failed \S+ \[|^Failed!\s+- Failed:\s+[1-9]",
    ),
    _r(
        "test_failure",
        0.8,
        ("e ",),
        r"^E\s+(?:[\w.]+\.)?\w*(?:Error|Exception|Timeout|Failure)\b|^E\s+assert\b",
    ),
    # --- type checkers and compilers: mypy, tsc, go build/vet type errors, javac, swiftc
    _r(
        "compilation",
        0.95,
        (": error:", "error ts"),
        r"^\S+\.pyi?:\d+(?::\d+)?: error: .*\s\[[a-z][\w-]*\]\s*$"
        r"|\.(?:[cm]?tsx?|vue)(?:\(\d+,\d+\)|:\d+:\d+ -) ?:? ?error TS\d+",
    ),
    _r(
        "compilation",
        0.8,
        ("found ",),
        r"^Found \d+ errors? in \d+ files? \(checked \d+ source files?\)",
    ),
    _r(
        "compilation",
        0.95,
        (".go:",),
        r"^(?:vet: )?\S+\.go:\d+:\d+: (?:undefined: |declared and not used|\S+ declared and not "
        r"used|\S+ imported and not used|\"[^\"]+\" imported and not used|cannot use |"
        r"too many arguments|not enough arguments|missing return|\S+ redeclared|"
        r"invalid operation|cannot convert|assignment mismatch|syntax error|undefined \(type)",
    ),
    # --- linters: go vet analyzers, ruff, eslint, golangci-lint, shellcheck
    _r(
        "lint",
        0.9,
        (".go:",),
        r"^\S+\.go:\d+:\d+: (?:\S+ format %|.*\bpossible misuse\b|unreachable code|composite "
        r"literal uses unkeyed|self-assignment|.*passes lock by value|result of \S+ call not used"
        r"|\S+ \((?:errcheck|govet|staticcheck|unused|gosimple|ineffassign|revive)\)$)",
    ),
    _r(
        "lint",
        0.9,
        (":", "fixable"),
        r"^\S+\.py:\d+:\d+: [A-Z]{1,4}\d{2,4}\b|^\[\*\] \d+ fixable with the `--fix` option"
        r"|^\s+\d+:\d+\s+error\s+.+\s{2,}[@\w/-]+$|^In \S+ line \d+:$",
    ),
    # --- dependencies that cannot be resolved: pip, npm, yarn, pnpm, poetry, go mod
    _r(
        "dependency_resolution",
        0.95,
        (
            "resolutionimpossible",
            "conflicting dependencies",
            "the conflict is caused by",
            "could not resolve dependency",
            "unable to resolve dependency tree",
            "couldn't find any versions for",
            "no matching version found",
            "err_pnpm_no_matching_version",
            "solverproblemerror",
            "because no versions of",
            "no required module provides package",
            "no matching versions for query",
            "invalid version:",
            "does not contain package",
            "404 not found",
        ),
        r"(?i)ResolutionImpossible|conflicting dependencies|The conflict is caused by|"
        r"could not resolve dependency|unable to resolve dependency tree|couldn't find any "
        r"versions for|No matching version found|ERR_PNPM_NO_MATCHING_VERSION|SolverProblemError|"
        r"because no versions of|no required module provides package|no matching versions for "
        r"query|invalid version:|found, but does not contain package|^go: .*: 404 Not Found",
    ),
    _r(
        "dependency_policy",
        0.9,
        ("missing go.sum entry", "updates to go.mod needed", "err_pnpm_outdated_lockfile"),
        r"(?i)missing go\.sum entry|updates to go\.mod needed|ERR_PNPM_OUTDATED_LOCKFILE",
    ),
    # --- the network or a registry failed (Go's dialer, Docker pulls)
    _r(
        "infrastructure",
        0.85,
        ("i/o timeout", "dial tcp", "request canceled while waiting", "unexpected eof"),
        r"(?i)dial tcp \S+: (?:i/o timeout|connect: connection refused)|: i/o timeout$|"
        r"net/http: request canceled while waiting|TLS handshake timeout|"
        r"(?:pull|download|fetch)\w* .*unexpected EOF",
    ),
)
