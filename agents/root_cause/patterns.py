"""The cues of failing-line localisation, in one place: words, line shapes and their weights.

Every cue here is generic: it names a tool's output format (pytest, JUnit/Maven, mocha, go test,
rustc, GitHub Actions, Travis, Jenkins...), never a project. Weights were set by reading logs and
checked on the dev data; ``bench/rca_bench.py`` prints what they achieve.

Speed matters (tens of MB/s in pure Python), so most cues are plain substring tests; a regular
expression runs only when its cheap substring gate has fired, and only on the first
``LINE_CAP`` characters of a line.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agents.root_cause.cues import CUES, Cue

__all__ = ["Cue", "CUES", "LineInfo", "base_score", "clean_one", "clean_block"]

LINE_CAP = 300  # characters of a line that are scored

# Few, frequent stems searched over the whole text (each costs one pass over it) ...
HEAD_NEEDLES = (b"err", b"fail", b"[-] ", b"dubious")
HEAD_SYMBOLS = tuple(s.encode() for s in ("✖", "❌", "✗", "✘"))  # only in logs that are not ASCII
# ... more of them in a window that ends where the failing step ends ...
NEEDLES = (
    b"exception",
    b"fatal",
    b"panic",
    b"assert",
    b"expect",
    b"not ",
    b"abort",
    b"[-]",
    b"unable",
    b"undefined",
    b"invalid",
    b"missing",
    b"denied",
    b"killed",
    b"timed out",
    b"timeout",
)
# ... and the most in the last lines of that step, plus line shapes that carry no keyword
# (``file.ext:12: message``, ``1) test name``, diff lines, ``___ test ___`` headers, git status).
FINE_NEEDLES = (
    b"can't",
    b"couldn't",
    b"could not",
    b"refused",
    b"forbidden",
    b"unauthori",
    b"violat",
    b"exit",
    b"unexpected",
    b"mismatch",
    b"unresolved",
    b"memory",
    b"no space",
    b"dubious",
    b"incompatible",
    b"cancel",
    b"reason",
    b"problem",
    b"doesn't",
    b"wrong",
    b"conflict",
    b"warn",
    b"issue",
    b"offen",
    b"reformat",
    b"allowed",
    b"crash",
    b"unused",
    b"time out",
)
FINE_SHAPES = re.compile(
    r"(?:[^\s:]{1,200}:\d+(?::\d+)?:? \S|\s*\d+\) \S|\s*[-+]\s|[_=]{3,} .{1,200} [_=]{3,}$"
    r"|\s*[MADR?]{1,2} \S)"
)
# Markers of the end of the failing step: lines holding "fail" come from the head search, the
# others from these needles; ``END`` confirms.
# ("exit code N" follows "##[error]", a head hit: only "exited with N" needs a pass of its own)
END_NEEDLES = (b"exited with ",)
LAST_NEEDLES = (b"cancel", b"exceeded the maximum", b"no output has been")  # in the last lines only
COMMAND_FAILED = re.compile(r"The command \".*\" (?:exited with [1-9]\d*|failed)")  # Travis
END = re.compile(
    rf"^{COMMAND_FAILED.pattern}|\" exited with [1-9]\d*\.$"
    r"|^Done\. Your build exited with [1-9]|##\[error\]Process completed with exit code [1-9]"
    r"|##\[error\]The operation was cancel|\bBUILD FAILURE\b|^Finished: FAILURE|marked build as "
    r"failure"
    r"|^Script failed with status|^The job exceeded the maximum time|^No output has been received"
)
SECTION = re.compile(r"^(?:travis_fold:start|travis_time:start|##\[group\]Run |\$ |> Task :\S+$)")


R = re.compile

_CUE_TUPLES = tuple((c.weight, c.words, c.pattern, c.exact) for c in CUES)

# Lines that say "error" but carry no cause: help boilerplate, zero tallies, wrapper exits.
NOISE_WORDS = (
    "to see the full stack trace",
    "re-run maven",
    "for more information about the errors",
    "after correcting the problems",
    " -rf :",
    "--fail-fast",
    "error_reporting",
    "errorprone",
    "re-run with",
    "see the report at",
)
NOISE_START = R(
    r"(?i)\s*(?:\[info\]|info[: ])|\s*\$ |travis_|\s*make(?:\[\d+\])?: \*\*\*|error command "
    r"failed with exit code"
    r"|(?:warning|error): build failed|error: could not compile|execution halted$|\s*at "
    r"\S|\s*\.\.\. \d+ more$"
    r"|\s*(?:CC|CXX|LD|AR|GEN|LINK|SUBDIR|MSGFMT|INSTALL)\s+\S+\s*$"  # quiet make output
    r"|\+*(?:export )?\w+=\S"  # a shell trace setting a variable: "+export OPTS=--order=failed"
    # Maven's help links under its error report ("[ERROR] [Help 1] http://..."); not the
    # " -> [Help 1]" that ends the failed goal's own line, the most telling line of the report
    r"|\s*\[error\] \[help \d+\]"
)
NOISE_NPM = R(
    r"npm err! (?:a complete log|this is (?:probably|not)|failed at the|tell the author|you can "
    r"get "
    r"(?:their|information)|\s*$|\s+/\S+\.log$|code \w+$|errno |syscall|path |@?\w\S*@\S+ \S+: `|"
    r"(?:linux|darwin|windows)\b|argv |node v|npm +v|test failed)"
)
NOISE_ZERO = R(
    r"\b0 (?:errors?|failures?|failed|failing)\b|(?:failures|errors): 0, (?:errors|skipped): "
    r"0(?!.*<<<)"
    r"|errors? ?= ?0\b"
)
NOISE_EXIT = R(r"exited with [1-9]\d*\.?\s*$|exit status \d+$")
# Summaries and tallies: they say that something failed, the block above says what.
TALLY_WORDS = (
    "fail",
    "error occurred",
    "errors occurred",
    "error executing",
    "executed",
    "exited with code",
    "error",
    "tests",
    "wrong",
    "there were",
    "abort",
    "compile",
    "script returned",
    "process completed",
)
TALLY = R(
    r"(?i)^\s*(?:failures!|tests: "
    r"\d|\d+ (?:tests?|runs?|examples?|specs?)\b.*\b(?:failed|failures?|errors?)\b"
    r"|failure: build failed|\* what went wrong|execution failed for task|there were (?:test "
    r")?failures"
    r"|there were failing tests|.*\bbuild failed\b|failed components|\(\d+ failures?\)|tests "
    r"run:(?!.*<<<)"
    r"|\d+ failing$|aborting due to (?:\d+ )?previous errors?|could not compile|\*\* \w+ failed "
    r"\*\*"
    r"|=+ .*\d+ failed|failed \d+/\d+ (?:subtests|test programs)|test failed|build failure"
    r"|\[error\] failed to execute goal|error: process completed|error: script "
    r"returned|fail$|failed$"
    r"|.*(?:one or more errors occurred|an error occurred when executing task|error executing "
    r"child process|process exited with code|failed to run custom build command)"
    r"|testing failed:$|\*\* test execute failed|.*\bfound \d+ (?:failures|errors)\b"
    r"|.*\(wstat: \d+ tests: \d+ failed|failed tests?:\s+[\d, -]+$"
    r"|executed \d+ tests?, with [1-9]\d* failures?|fail\t\S+\t"
    r"|[✖×]\s*\d+ problems? \(\d+ errors?, \d+ warnings?\)"  # eslint: the tally under the files
    r"|\d+ errors? and \d+ warnings? potentially fixable"
    r"|there (?:was|were) \d+ (?:failures?|errors?):$)"  # PHPUnit: the heading of its numbered list
)
STRONG = R(r"(?i)\b(?:error|errors|failed|failure|fatal|exception|panic)\b|treated as errors")
BOILER = R(
    r"(?:travis_(?:fold|time)|##\[(?:group|endgroup)\]|\$ |The command \"|Done\. Your build exited"
    r"|##\[error\]Process completed with exit code|Finished: |Sending e-mails|Archiving "
    r"artifacts|Post job"
    r"|\[INFO\] (?:-{5,}|BUILD|Total time|Finished at|Reactor Summary)|Cleaning up orphan processes"
    r"|\[INFO\] *$|\[ERROR\] *$|\[ERROR\] -> \[Help|npm ERR! *$"
    r"|make(?:\[\d+\])?: (?:Entering|Leaving) directory"
    r"|  (?:Discovering|Discovered|Starting): +\S+$"  # the xUnit console runner's progress
    r"|\s*Use --trace for backtrace|\(See full trace by running task with --trace\)"  # hints
    r"|\S+:\d+: recipe for target .* failed$"  # make's wrapper under the real error
    r"|\s*Building \[[=> ]*\] \d+/\d+)"  # cargo's progress bar
)
SEPARATOR = R(r"\s*(?:[-=_*#~+.]\s*){6,}$|\s*(?:-\s){4,}|\s*[═─━]{6,}")
SUMMARY = R(
    r"(?i)\s*(?:tests run:.*(?<!<<< failure!)$|results ?:$|ran \d+ tests? in|=+ .*"
    r"\d+ (?:passed|failed)"
    r"|\d+ (?:passing|pending)\b|finished:|time: |ok\b|passed$|fail$|npm err! test failed"
    r"|\[info\]|\[warning\] |downloading|downloaded|progress|=+ warnings summary|-+ captured"
    r"|execution halted$)"  # R's last words after the error it printed
)
STOP = R(f"(?:{SEPARATOR.pattern})|(?:{BOILER.pattern})|(?i:{SUMMARY.pattern[4:]})")
PASS_WORDS = ("✓", "✔", "√", "PASS", "ok", "passed", "SUCCESS", "[+]", "[no test files]")
PASS = R(
    r"[✓✔√]|\bPASS(?:ED)?\b|^\s*ok\b|\bpassed\b|\bSUCCESS(?:FUL)?\b|^\s*\[\+\] "
    r"|\t\[no test files\]$"  # go test: a package without tests, neither pass nor fail
)
HEADER = R(r"\s*[_=]{3,} .+ [_=]{3,}\s*$|\s*=+ (?:FAILURES|ERRORS) =+$")
CONTINUATION = R(
    r"(?:\s+\S|at [\w$.<]|\.\.\. \d+ more|Caused by:|\s*[|^~]|E\s|>\s|[+-](?![+-])|(?:---|"
    r"\+\+\+) |@@ |File \"|"
    r"\s*\d+ *\||\[(?:ERROR|error)\] |Stack ?trace|(?i:stack )?backtrace:|Call Stack|Reason:"
    r"|Expected|Actual|Received"
    r"|note: run with `RUST_BACKTRACE=|note: Run with `RUST_BACKTRACE="  # under a Rust panic
    r"|/\S+\.\w+:\d+\s*$"  # a bare path:line stack frame (PHPUnit's trace under a failure)
    r"|diff --git |index [0-9a-f]{7,}\.\.[0-9a-f]{7,}"  # the head of a git diff
    r"|# (?:Looks like |Failed test|\s+(?:got|expected):)"  # Perl Test::More's diagnostics
    r"|See .{1,100} for (?:more |further )?details"  # autoconf: "See `config.log' for more details"
    r"|Last \d+ lines of output:"  # R CMD check, above the tail of the failing tests' output
    r")"
)
BARE_HEADING = R(
    r"\s*(?:\d+\) )?(?:Failure|Error|FAILURE|ERROR|Failures|Errors|failures|errors):\s*$"
    r"|\s*-+ stderr\b"
)
HEADLIKE = R(
    r"(?i)^\s*(?:\d+\)|fail|error|✖|✗|❌|\[-\]|not ok|---(?! std(?:out|err)\b))"
    r"|^(?!=== (?:RUN|CONT|PAUSE) )(?!\S*=)(?!.*\s-\S*=).*\btest\w*\b"
    r"|^[\w./\\-]*\.[A-Za-z]\w*\s*$"  # a bare file path: eslint's, stylelint's heading
)
SHAPE = R(r"\s*(?:\d+[).:]|\[\w+\]|[A-Za-z][\w.-]*:|E\s|#|>|\||[-*•](?=\s)|[✖✗❌]|\d+>)")

# CSI, OSC, character sets (ESC ( B) and two-byte escapes (ESC = keypad mode, ESC 7 save cursor)
ANSI = R(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[ -/]+[0-~]"
    r"|\x1b[0-?@-Z\\-_]"
)
_GH_TS = R(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?")
_DIGITS = R(r"\d+")


def clean_one(raw: str) -> str:
    """One raw line without ANSI escapes, carriage returns, backspaces, GitHub timestamp or a
    stray ``nl``.

    Some archived Travis logs (macOS runners) carry a literal ``nl`` where a newline was.
    """
    line = ANSI.sub("", raw) if "\x1b" in raw else raw
    if "\r" in line:
        line = line.replace("\r", "")
    if "\x08" in line:  # a spinner's backspaces
        line = line.replace("\x08", "")
    if line[:2] == "20" and len(line) > 20 and line[10] == "T":
        match = _GH_TS.match(line)
        if match:
            line = line[match.end() :]
    return _drop_nl(line)


# ``clean_one``'s timestamp test on every line of a block: 21 characters or more, "20" first
_GH_TS_LINE = R(r"\n(?=20[^\n]{19})\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?")
# the same for ASCII text, where ``\d`` is ``[0-9]`` (which ``re`` matches faster)
_GH_TS_LINE_ASCII = R(
    r"\n(?=20[^\n]{19})[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?Z ?"
)


def clean_block(block: str) -> list[str]:
    """:func:`clean_one` of each line of ``block`` (lines joined by newlines), in a few passes over
    the block instead of a few calls per line: no escape, timestamp or ``nl`` spans a newline."""
    if "\x1b" in block:
        block = ANSI.sub("", block)
    if "\r" in block:
        block = block.replace("\r", "")
    if "\x08" in block:
        block = block.replace("\x08", "")
    block = (_GH_TS_LINE_ASCII if block.isascii() else _GH_TS_LINE).sub("\n", "\n" + block)
    lines = block[1:].split("\n")
    if "\nnl" in block:
        lines = [_drop_nl(line) for line in lines]
    return lines


def _drop_nl(line: str) -> str:
    return line[2:] if line[:2] == "nl" and (len(line) == 2 or not line[2].islower()) else line


def is_noise(line: str, low: str) -> bool:
    """Help boilerplate, zero tallies, wrapper exits: they mention failure but explain none."""
    for word in NOISE_WORDS:
        if word in low:
            return True
    if NOISE_START.match(line) or BOILER.match(line):
        return True
    if low.lstrip().startswith("npm err!") and NOISE_NPM.match(low.lstrip()):
        return True
    if "0" in low and NOISE_ZERO.search(low):
        return True
    if "-werror" in low and "specified" not in low:
        return True
    return "exit" in low and NOISE_EXIT.search(low) is not None


def is_tally(line: str, low: str) -> bool:
    for word in TALLY_WORDS:
        if word in low:
            return TALLY.match(line) is not None
    return False


def base_score(line: str) -> float:
    """Cue weight of one clean line (0 for noise and boilerplate; tallies, warnings count less)."""
    return _base_score(line[:LINE_CAP])


def _cue_weight(line: str, low: str) -> float:
    """The summed weights of the cues a line holds (``low`` is the line lowered)."""
    score = 0.0
    for weight, words, pattern, exact in _CUE_TUPLES:  # inlined: this loop is the hot path
        hit = False
        for text in exact:
            if text in line:
                hit = True
                break
        if not hit:
            for word in words:
                if word in low:
                    hit = pattern is None or pattern.search(line) is not None
                    break
        if hit:
            score += weight
    return score


_CONSTANT_NAME = R(r"\b[A-Z0-9]+(?:_[A-Z0-9]+)+\b")


@lru_cache(maxsize=1 << 14)  # CI logs repeat their lines from run to run (and within a run)
def _base_score(line: str) -> float:
    low = line.lower()
    score = _cue_weight(line, low)
    if not score or is_noise(line, low):
        return 0.0
    if "_" in line and _CONSTANT_NAME.search(line):
        # a cue word inside a constant's name ("NOTIFY_ON_FAILURE", "EXIT_FAILURE") is no cue
        bare = _CONSTANT_NAME.sub(" ", line)
        if not _cue_weight(bare, bare.lower()):
            return 0.0
    score = min(score, 10.0)
    if is_tally(line, low):
        return score * 0.35
    if _passed_status(line):
        return 0.0  # "t4120-aborted.sh ..... ok", "test_hint[npm ERR!] PASSED [ 27%]": a pass

    if _app_level(low) and not _APP_BAD.match(low):
        return score * 0.3  # an application's own info/warning log line, not the build's verdict
    if ("warn" in low or "deprecat" in low or "skip" in low) and not STRONG.search(line):
        return score * 0.3  # warnings and skipped tests: they explain no failure
    return score


class LineInfo:
    """What block growth needs to know about one line, computed once."""

    __slots__ = ("blank", "edge", "stop", "header", "cont", "indent", "shape")

    def __init__(self, line: str) -> None:
        head = line[:LINE_CAP]
        stripped = head.lstrip()
        self.blank = not stripped
        self.indent = len(head) - len(stripped)
        self.stop = bool(STOP.match(head))
        self.edge = self.stop or _passes(head) or is_tally(head, head.lower())
        self.header = bool(HEADER.match(head))
        self.cont = bool(CONTINUATION.match(head))
        match = SHAPE.match(head)
        self.shape = _DIGITS.sub("0", match.group(0)) if match else ""


# A test line whose status (its last word, before a timing or a progress figure) is a pass.
_PASSED_STATUS = R(
    r"(?:.*\S\s+(?:\.{3,}\s*)?(?:ok|PASS(?:ED)?|✓|✔)\b|\s*(?:ok|PASS|✓|✔)\s+\S.*)"
    r"\s*(?:\[\s*\d+%\]|\(?\d+(?:\.\d+)?\s*m?s\b.*)?\s*$"
)
# An application's timestamped log line: "14:02:11.377 [warning] ...", "INFO 2024-03-18 ..."
_APP_LEVEL = R(r"\s*(?:\S+\s+){0,3}?\[?(?:info|debug|notice|warn|warning|trace)\]?[\s:]")
_APP_BAD = R(r".*\b(?:exception|traceback|panic|fatal)\b")


_APP_WORDS = ("info", "debug", "notice", "warn", "trace")


def _app_level(low: str) -> bool:
    head = low[:60]
    for word in _APP_WORDS:
        if word in head:
            return _APP_LEVEL.match(head) is not None
    return False


def _passed_status(line: str) -> bool:
    for word in PASS_WORDS:
        if word in line:
            return _PASSED_STATUS.match(line) is not None
    return False


def _passes(line: str) -> bool:
    for word in PASS_WORDS:
        if word in line:
            return PASS.search(line) is not None
    return False
