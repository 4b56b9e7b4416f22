"""The failure cues of failing-line localisation: words and line shapes with their weights.

Every cue is generic: it names a tool's output format (pytest, JUnit/Maven, mocha, go test, rustc,
GitHub Actions, Travis, Jenkins...), never a project. Weights were set by reading logs and checked
on the dev data; ``bench/rca_bench.py`` prints what they achieve. ``rca_patterns`` scores lines
with them (and holds the noise, tally and block-shape patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Cue", "CUES"]

R = re.compile


@dataclass(frozen=True)
class Cue:
    """A failure cue: fires when a lower-case ``word`` (or a case-sensitive ``exact`` string) is in
    the line; with a ``pattern`` the words only gate it and the pattern decides."""

    weight: float
    words: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    exact: tuple[str, ...] = ()


CUES: tuple[Cue, ...] = (
    Cue(
        3.0,
        exact=(
            "##[error]",
            "Traceback (most recent call last)",
            "panicked at",
            "panic:",
            "Segmentation fault",
            "core dumped",
            "CMake Error",
        ),
    ),
    # Erlang common_test: "queue_SUITE:publish_ack failed on line 214" (its "Reason:" line follows)
    Cue(3.0, ("failed on line",), R(r"\bfailed on line \d+")),
    Cue(2.5, ("dubious, test returned",)),  # Perl prove / TAP harness
    Cue(1.0, exact=("--- FAIL:",)),  # go test: the failing (sub)test, its messages below
    # a bare header line: "Failure:", "FAILED", "1) Error:"
    Cue(
        2.5,
        ("fail", "error"),
        R(r"^\s*(?:\d+\) )?(?:Failure|Error|FAIL|FAILED|ERROR|Failures|Errors)s?:?\s*$"),
    ),
    Cue(2.5, ("error:", "error!", "error[", "[error]", "err:", "error ts", "error cs")),
    Cue(2.5, exact=("E   ", "E  ")),
    # eslint / stylelint (stylish): "  7:3  error  message  rule-name" under a file path
    Cue(1.5, ("error", "✖"), R(r"^\s+\d+:\d+\s+(?:error|✖)\s")),
    # compiler diagnostics: file:12:3: error, File.java:[12,3], xcpretty's "❌  file:12:3: message"
    Cue(
        2.5,
        ("error", ":[", "❌"),
        R(
            r"^\S+?:\d+(?::\d+)?:?\s*(?:fatal )?(?:error|Error)|\.\w+:\[\d+,\d+\]"
            r"|^\s*❌\s+\S+?:\d+:\d+: \S"
        ),
    ),
    # a linter's finding, compact form (standard, eslint): "a.js:12:5: Missing semicolon. (semi)"
    Cue(2.5, (")",), R(r"^\s*[^\s:]+\.\w+:\d+(?::\d+)?:? \S.* \((?:[\w@-]+/)?[a-z][\w-]*\)$")),
    Cue(2.5, exact=("Error:", "Exception:", "Exception in thread", "Caused by:", "Error\n")),
    Cue(2.5, exact=("FAIL", "<<< ERROR!", "Failed test", "Tests in error")),
    # the xUnit family's per-suite tally (JUnit/surefire, Gradle, PHPUnit, NUnit): "Tests run: 4,
    # Failures: 1" names the suite that failed. A bare count ("3 failed", "1 error") is no cue: it
    # says that something failed, not what. Nor is "npm ERR!" alone: npm's wrapper report under a
    # failed script, whose cause is printed above it.
    Cue(1.5, ("failures: ", "errors: "), R(r"(?:Failures|Errors): [1-9]")),
    Cue(
        2.0,
        ("not ok", "[-]", "✖", "✗", "✘", "×", "❌", ")"),
        R(r"^\s*(?:not ok\b|\[-\]|[✖✗✘×❌]|\d+\) \S)|\s[✖✗✘❌]\s"),
    ),
    Cue(
        2.0,
        ("expect", "actual"),
        R(
            r"(?i)expected\b.*\b(?:but|got|was|actual|to (?:be|equal|include|have|contain))\b"
            r"|^\s*(?:expected|actual)\s*:"
        ),
    ),
    Cue(1.5, ("assert",)),
    Cue(
        2.0,
        (
            "fatal",
            "command not found",
            "no such file or directory",
            "permission denied",
            "aborted",
            "treated as error",
        ),
    ),
    Cue(
        1.5,
        (
            "cannot",
            "can't",
            "couldn't",
            "could not",
            "unable to",
            "failed to",
            "not found",
            "undefined",
            "unresolved",
            "not defined",
            "not available",
            "not installed",
            "not allowed",
            "not supported",
            "no such",
        ),
    ),
    Cue(
        1.5,
        (
            "timed out",
            "timeout",
            "killed",
            "out of memory",
            "no space left",
            "refused",
            "forbidden",
            "unauthorized",
        ),
    ),
    Cue(
        1.0,
        (
            "error",
            "fail",
            "exception",
            "invalid",
            "missing",
            "denied",
            "unexpected",
            "mismatch",
            "incompatible",
            "violation",
            "dubious",
            "wrong",
            "problem",
            "issues",
            "reason",
            "would reformat",
            "offence",
            "offense",
            "unused",
        ),
    ),
    Cue(
        1.0, (":",), R(r"^\S+\.\w+:\d+(?::\d+)?:?\s+\S")
    ),  # file.ext:line message (linters, compilers)
)
