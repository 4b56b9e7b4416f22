"""Root-cause analysis of failed CI jobs: the lines that matter, the kind of failure, whether it is
new, and what to do next.

Pure parts (no IO): :func:`analyse_log` (one log -> :class:`RootCause`), :func:`cluster_failures`
(fingerprints -> clusters), :func:`template_of` and :class:`FailureClassifier`. IO happens only in
:func:`analyse_files` (``ci-medic rca`` itself, with bounded reading, is in agents/cli.py).

How it works (details in the helper modules):

* ``rca_lines``: rank lines by failure cues, the step that failed and novelty against the last
  green log; grow the best lines into blocks; return a few ranked 1-based inclusive ranges.
* ``rca_classify`` / ``rca_rules``: the first failed Maven goal / Gradle task, else exact rules
  weighted by where they sit, else a TF-IDF + logistic-regression model trained at run time on the
  project's own snippets (``rca_corpus``) or the user's labelled history.
* ``rca_templates``: masked templates and fingerprints; ``rca_suggest``: a next step citing lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from agents.root_cause.classify import Decision, FailureClassifier, decide
from agents.root_cause.lines import MAX_SPANS, SHARE_CAP, Located, failing_command_of, locate
from agents.root_cause.patterns import SECTION
from agents.root_cause.rules import CATEGORIES
from agents.root_cause.suggest import Evidence, suggest, summarise
from agents.root_cause.templates import fingerprint_of, template_of
from agents.root_cause.versions import describe_changes, version_changes
from core.logs.bounded import kept_text, read_head_and_tail
from core.logs.normalise import DEFAULT_MAX_LOG_BYTES
from core.messages.redact import Redactor, redactor

__all__ = [
    "RootCause",
    "analyse_log",
    "analyse_files",
    "FailureClassifier",
    "cluster_failures",
    "template_of",
    "CATEGORIES",
    "CONTRACT_KEYS",
    "read_log",
]

CONTRACT_KEYS = (
    "file",
    "category",
    "confidence",
    "transient",
    "lines",
    "summary",
    "suggestion",
    "fingerprint",
)
MAX_EVIDENCE = 8


@dataclass(frozen=True)
class RootCause:
    """What one failed log says about its failure."""

    category: str
    confidence: float
    transient: bool
    lines: tuple[tuple[int, int], ...]  # 1-based inclusive ranges, most likely first
    summary: str
    suggestion: str
    fingerprint: str
    failing_step: str | None = None
    evidence: tuple[str, ...] = ()  # the key lines' text

    def to_json(self, file: str) -> dict:
        """Exactly the evaluation contract's keys, JSON-ready."""
        return {
            "file": file,
            "category": self.category,
            "confidence": round(float(self.confidence), 3),
            "transient": bool(self.transient),
            "lines": [[int(a), int(b)] for a, b in self.lines],
            "summary": self.summary,
            "suggestion": self.suggestion,
            "fingerprint": self.fingerprint,
        }


def analyse_log(
    text: str,
    *,
    previous_green: str | None = None,
    failed_step: str | None = None,
    classifier: FailureClassifier | None = None,
    redacted: bool = False,
) -> RootCause:
    """Analyse one failed job's log (plain text; lines numbered as ``text.split("\\n")``).

    ``previous_green``: the log of the last successful run of the same job, if known; lines whose
    template it never printed rank higher. ``failed_step``: the step the API says failed (reported
    as is). ``classifier``: a fitted :class:`FailureClassifier` (default: trained on the project's
    corpus).

    Both logs are redacted first (:mod:`core.messages.redact`; the line numbers stay the same),
    so the summary, the suggestion and the evidence never quote a secret, whoever calls this:
    ``ci-medic rca`` reads logs straight from files. ``redacted``: both were redacted already,
    as every log in the store is (:func:`core.store.ingest.prepare_job_log` redacts before it
    saves); the agent says so and saves the second pass (14% of its time at 100k runs).
    """
    engine = redactor()
    if not redacted:
        text = engine.redact_text(text)
        if previous_green is not None:
            previous_green = _redacted_green(engine, previous_green)
    if failed_step is not None:
        failed_step = engine.redact_text(failed_step)
    loc = locate(text, previous_green)
    decision = decide(loc, classifier)
    ranges = _ranges(loc, decision)
    key = _key_lines(loc, decision)
    numbered = [(i + 1, loc.view.line(i).strip()) for i in key]
    context = _context_lines(loc, ranges)
    command = failing_command_of(loc.view, loc.spans)
    step = failed_step or (command[1] if command else None)
    head = _headline(loc, decision)
    nearby = _nearby_lines(loc, ranges)
    evidence = Evidence(
        lines=context,
        ranges=ranges,
        nearby=nearby,
        step=failed_step,
        command=(command[0] + 1, command[1]) if command else None,
        script=_script_length(loc, command[0]) if command else 1,
        headline=(head + 1, loc.view.line(head)) if head is not None else None,
        end=_end_lines(loc),
        tail=_tail_line(loc),
    )
    return RootCause(
        category=decision.category,
        confidence=decision.confidence,
        transient=decision.transient,
        lines=ranges,
        summary=summarise(
            decision.category, step, [(head + 1, loc.view.line(head))] if head is not None else []
        ),
        suggestion=_with_version_changes(
            suggest(decision.category, context if numbered else [], evidence),
            decision.category,
            text,
            previous_green,
        ),
        fingerprint=_fingerprint(loc, decision, head),
        failing_step=step,
        evidence=tuple(text[:300] for _, text in numbered),
    )


@lru_cache(maxsize=1)
def _redacted_green(engine: Redactor, green: str) -> str:
    """The green log redacted once for the failures compared with it in a row (the agent analyses
    the failures that share a green log one after the other). The same object is returned each
    time, so the green log's templates and versions, cached per green text, are found by identity
    instead of being compared character by character. One entry: one log text kept alive."""
    return engine.redact_text(green)


# failures a changed dependency can explain (not a cancel, a runner lost or a timeout)
_VERSION_SENSITIVE = frozenset(
    {
        "compilation",
        "test_failure",
        "dependency_resolution",
        "dependency_policy",
        "lint",
        "configuration",
        "unknown",
    }
)


def _with_version_changes(
    suggestion: str, category: str, text: str, previous_green: str | None
) -> str:
    """Name the dependencies resolved at another version than in the last green run: the
    likeliest cause of a failure that "worked yesterday", even when the error never names them."""
    if previous_green is None or category not in _VERSION_SENSITIVE:
        return suggestion
    changed = describe_changes(version_changes(text, previous_green))
    if not changed:
        return suggestion
    return f"{suggestion} {changed}"


def _ranges(loc: Located, decision: Decision) -> tuple[tuple[int, int], ...]:
    ranges = [(s.start, s.end) for s in loc.spans]
    line = decision.line
    if (
        line is not None
        and len(ranges) < MAX_SPANS
        and not any(a <= line + 1 <= b for a, b in ranges)
    ):
        shown = sum(b - a + 1 for a, b in ranges)
        if shown + 1 <= max(1, int(SHARE_CAP * len(loc.view))):
            ranges.append((line + 1, line + 1))
    return tuple(ranges)


def _headline(loc: Located, decision: Decision) -> int | None:
    """0-based line that best says what failed: the best span's peak, else the deciding line."""
    if loc.spans:
        return loc.spans[0].peak - 1
    return decision.line


def _fingerprint(loc: Located, decision: Decision, head: int | None) -> str:
    """Category + templates of the headline and the deciding line: stable when the same failure
    repeats with other numbers, paths, times or another count of failing tests."""
    lines = sorted({i for i in (head, decision.line) if i is not None})
    return fingerprint_of(decision.category, [loc.view.line(i) for i in lines])


def _key_lines(loc: Located, decision: Decision) -> list[int]:
    """0-based key lines, in log order: the deciding line and the best lines of the best span."""
    chosen: set[int] = set()
    if decision.line is not None:
        chosen.add(decision.line)
    if loc.spans:
        top = loc.spans[0]
        inside = [i for i in range(top.start - 1, top.end) if loc.view.line(i).strip()]
        inside.sort(key=lambda i: (-loc.scores.get(i, 0.0), i))
        chosen.update(inside[: MAX_EVIDENCE - len(chosen)])
    return sorted(chosen)[:MAX_EVIDENCE]


def _context_lines(
    loc: Located, ranges: Sequence[tuple[int, int]], limit: int = 40
) -> list[tuple[int, str]]:
    """1-based numbered clean lines of the ranges (and two lines after each), for the suggestion."""
    seen: list[int] = []
    for start, end in ranges:
        for n in range(start, min(end + 2, len(loc.view)) + 1):
            if n not in seen and len(seen) < limit:
                seen.append(n)
    return [(n, loc.view.line(n - 1).strip()) for n in seen if loc.view.line(n - 1).strip()]


END_LINES = 25  # lines from the end of the failing step searched for its exit code
NEARBY = 8  # lines after a range searched for what it names (a package, a test, a file)
NEARBY_CHARS = 400  # of each such line


def _nearby_lines(
    loc: Located, ranges: Sequence[tuple[int, int]], limit: int = 60
) -> list[tuple[int, str]]:
    """1-based numbered clean lines of the ranges and up to ``NEARBY`` lines after each (never
    into the next step), in the ranges' order; ``NEARBY_CHARS`` characters of each."""
    seen: dict[int, str] = {}
    n = len(loc.view)
    for start, end in ranges:
        for number in range(start, min(end + NEARBY, n) + 1):
            if len(seen) >= limit:
                break
            line = loc.view.line(number - 1)[:NEARBY_CHARS].strip()
            if number > end and SECTION.match(line):
                break
            if line and number not in seen:
                seen[number] = line
    return list(seen.items())


def _end_lines(loc: Located) -> list[tuple[int, str]]:
    """1-based numbered clean lines where the failing step ended (its exit code, a cancel), up to
    the next step."""
    n = len(loc.view)
    if not n:
        return []
    end = min(loc.end, n - 1)
    out = []
    for i in range(max(0, end - 2), min(n, end + END_LINES)):
        line = loc.view.line(i).strip()
        if i > end and SECTION.match(line):
            break
        if line:
            out.append((i + 1, line))
    return out


_SCRIPT_END = ("shell:", "with:", "env:", "##[endgroup]")


def _script_length(loc: Located, header: int, limit: int = 40) -> int:
    """Lines of the script a GitHub ``##[group]Run`` step echoes under its header (1 for any
    other header: a Travis ``$ command`` is one command)."""
    if not loc.view.line(header).startswith("##[group]Run "):
        return 1
    count = 0
    for i in range(header + 1, min(len(loc.view), header + 1 + limit)):
        line = loc.view.line(i).strip()
        if line.startswith(_SCRIPT_END):
            return max(1, count)
        count += bool(line)
    return 1  # no end of the echo in sight: not a script echo


def _tail_line(loc: Located, look: int = 50) -> tuple[int, str] | None:
    """The log's last non-blank line (1-based), cited when no line names the failure."""
    n = len(loc.view)
    for i in range(n - 1, max(-1, n - 1 - look), -1):
        line = loc.view.line(i).strip()
        if line:
            return i + 1, line
    return None


def read_log(path: str | Path, max_bytes: int = DEFAULT_MAX_LOG_BYTES) -> str:
    """A plain or gzip-compressed log as text (UTF-8, undecodable bytes replaced), numbered
    like the file: at most ``max_bytes`` of it, its head and tail, decompressed as a stream, so
    a small gzip that expands to gigabytes costs ``max_bytes`` of memory, not gigabytes."""
    text, _offset = kept_text(read_head_and_tail(path, max_bytes))
    return text


def analyse_files(
    paths: Sequence[str | Path], previous_green: str | Path | None = None
) -> Iterator[dict]:
    """Read each log (plain or .gz) one at a time and yield its contract dict."""
    green = read_log(previous_green) if previous_green is not None else None
    for path in paths:
        yield analyse_log(read_log(path), previous_green=green).to_json(str(path))


CLUSTER_COLUMNS = [
    "fingerprint",
    "category",
    "first_seen",
    "last_seen",
    "occurrences",
    "branches",
    "prs",
    "on_default_branch",
    "example_job_id",
]


def cluster_failures(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per failure fingerprint: when first/last seen, how often, where, and an example.

    Input columns: ``job_id, fingerprint, created_at, head_branch, pr_number, default_branch`` (and
    optionally ``category``). ``on_default_branch`` says whether the failure also happened on the
    repository's default branch. Sorted by occurrences, then most recent.
    """
    if frame.empty:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    data = frame[frame["fingerprint"].notna() & (frame["fingerprint"].astype(str) != "")].copy()
    if data.empty:
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    data["created_at"] = pd.to_datetime(data["created_at"], utc=True, errors="coerce")
    data["_default"] = data["head_branch"].astype(str) == data["default_branch"].astype(str)
    if "category" not in data:
        data["category"] = ""
    rows = []
    for fingerprint, group in data.sort_values(["created_at", "job_id"]).groupby(
        "fingerprint", sort=False
    ):
        prs = sorted({int(p) for p in group["pr_number"].dropna()})
        rows.append(
            {
                "fingerprint": fingerprint,
                "category": group["category"].mode().iloc[0]
                if group["category"].notna().any()
                else "",
                "first_seen": group["created_at"].min(),
                "last_seen": group["created_at"].max(),
                "occurrences": int(len(group)),
                "branches": sorted({str(b) for b in group["head_branch"].dropna()}),
                "prs": prs,
                "on_default_branch": bool(group["_default"].any()),
                "example_job_id": group["job_id"].iloc[-1],
            }
        )
    result = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    return result.sort_values(["occurrences", "last_seen"], ascending=[False, False]).reset_index(
        drop=True
    )
