"""No line of the shared evaluation data is in the repository.

Project rule: nothing from ../shared may be committed (no data, no log lines pasted into tests, no
quotes of dev logs in comments). When ../shared/data/dev is present, this test reads the RCA logs
under data/dev/rca and keeps their *distinctive* lines: at least ``MIN_CHARS`` long, printed by
one project only, and not mostly a tool's fixed wording (``Tests run: 2, Failures: 1, ...`` or
``##[error]Process completed with exit code 1.`` are the same in every project that uses the tool,
so a test may well print them too). Then every text file git knows of (tracked, or untracked and
not ignored) must hold none of them:

- exactly, as a whole line, a comment or a string literal (escapes decoded, adjacent literals of a
  Python file joined, each line of a multi-line string on its own), after stripping ANSI escapes,
  a leading timestamp and surrounding whitespace: every distinctive line is checked, through a set;
- anywhere inside a file, for a deterministic sample (fixed seed) of the longer distinctive lines.
"""

from __future__ import annotations

import ast
import gzip
import json
import random
import re
import subprocess
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "data" / "dev"
RCA = DEV / "rca"

MIN_CHARS = 40  # shorter lines are too often a tool's own words
COMMON_PROJECTS = 3  # a line or word printed by this many projects is a tool's vocabulary
VOCABULARY_BYTES = 1 << 18  # read for words at the head of each project's first log
SAMPLE = 3000  # long distinctive lines searched anywhere inside the repository's files
SAMPLE_MIN_CHARS = 60
SEED = 20240611  # of the sample: fixed, so every run checks the same lines

pytestmark = pytest.mark.skipif(not DEV.is_dir(), reason="../shared/data/dev is not present")

_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r")
_STAMP = rb"\[?(?:\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?"
_LEADING_STAMPS = re.compile(rb"\n[ \t]*" + _STAMP + rb"[ \t]?")  # over "\n" + a whole log
_ONE_STAMP = re.compile(rb"[ \t]*" + _STAMP + rb"[ \t]?")
_STAMPED = re.compile(rb"(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT")  # a GitHub log: every line has one
_WORD = re.compile(rb"[a-z_][a-z0-9_]{3,}")
_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.){10,})"|\'((?:[^\'\\\n]|\\.){10,})\'|`+([^`\n]{10,})`+')
_ESCAPES = {"n": "\n", "t": "\t", "r": "", "\\": "\\", '"': '"', "'": "'", "x1b": "", "033": ""}
_ESCAPE = re.compile(r"\\(x1b|033|[ntr\\\"'])")


def normalise(line: bytes) -> bytes:
    """A line without ANSI escapes, a leading timestamp and surrounding whitespace."""
    if b"\x1b" in line or b"\r" in line:
        line = _ANSI.sub(b"", line)
    line = line.strip()
    if line[:1].isdigit() or line[:1] == b"[":
        match = _ONE_STAMP.match(line)
        if match and match.end():
            line = line[match.end() :].strip()
    return line


_MAY_CHANGE = frozenset(b"0123456789[")  # first bytes of a stripped line that may hold a timestamp


def normalise_all(lines: Iterable[bytes]) -> list[bytes]:
    """:func:`normalise` of many lines (the regular expressions only where they may change one)."""
    out = []
    for line in lines:
        line = line.strip()
        if line and (line[0] in _MAY_CHANGE or b"\x1b" in line or b"\r" in line):
            line = normalise(line)
        out.append(line)
    return out


def _log_projects() -> dict[Path, str]:
    """Every RCA log (a GitHub job log stands for its step files) and the project it is from."""
    projects: dict[Path, str] = {}
    for name in ("logchunks", "bump"):
        for path in sorted(RCA.glob(f"{name}/logs/*.txt.gz")):
            projects[path] = path.name
        labels = RCA / name / "labels.jsonl"
        if labels.is_file():
            for row in map(json.loads, labels.read_text(encoding="utf-8").splitlines()):
                projects[RCA / name / row["log_file"]] = row.get("repo") or row.get("project")
    gha_labels = RCA / "bump-gha" / "labels.jsonl"
    gha = {}
    if gha_labels.is_file():
        rows = map(json.loads, gha_labels.read_text(encoding="utf-8").splitlines())
        gha = {row["id"]: row["project"] for row in rows}
    for path in sorted(RCA.glob("bump-gha/*/*.txt.gz")):
        projects[path] = gha.get(path.parent.name, path.parent.name)
    for path in sorted(RCA.glob("cidiff/*/*.txt.gz")):  # breakages__<project>_<build>
        projects[path] = path.parent.name.split("__")[-1].rsplit("_", 1)[0]
    return {path: project for path, project in projects.items() if path.is_file()}


@lru_cache(maxsize=1)
def shared_lines() -> tuple[frozenset[bytes], frozenset[bytes]]:
    """(lines of one project only, ``MIN_CHARS`` or longer; the tools' vocabulary).

    Lines are counted as read (a timestamped log loses its timestamps first), then normalised:
    a line is of one project only when no normalised form of it was printed by two projects. The
    vocabulary holds the words of lines printed by ``COMMON_PROJECTS`` projects or more, and the
    words found at the head of the first log of that many projects (English, tools' messages).
    """
    by_project: dict[str, set[bytes]] = defaultdict(set)
    words_by_project: Counter[bytes] = Counter()
    for path, project in _log_projects().items():
        data = gzip.decompress(path.read_bytes())
        if _STAMPED.match(data):
            data = _LEADING_STAMPS.sub(b"\n", b"\n" + data)
        if project not in by_project:
            words_by_project.update(set(_WORD.findall(data[:VOCABULARY_BYTES].lower())))
        by_project[project].update(data.split(b"\n"))
    counts: Counter[bytes] = Counter()
    for lines in by_project.values():
        counts.update(lines)
    single, several, common = set(), set(), []
    for line, n in counts.items():
        if n == 1:
            if len(line) >= MIN_CHARS:
                single.add(line)
        else:
            several.add(line)
            if n >= COMMON_PROJECTS:
                common.append(line)
    several = set(normalise_all(several))
    once = frozenset(
        line for line in normalise_all(single) if len(line) >= MIN_CHARS and line not in several
    )
    vocabulary = {word for word, n in words_by_project.items() if n >= COMMON_PROJECTS}
    vocabulary.update(_WORD.findall(b"\n".join(common).lower()))
    return once, frozenset(vocabulary)


def distinctive(line: bytes, vocabulary: frozenset[bytes]) -> bool:
    """Mostly letters and digits, and words of its own (not only a tool's vocabulary)."""
    visible = line.replace(b" ", b"")
    if sum(c.isalnum() for c in line.decode("utf-8", "replace")) < 0.5 * len(visible):
        return False
    words = set(_WORD.findall(line.lower()))
    own = words - vocabulary
    return len(own) >= 2 or (len(own) == 1 and 3 * len(own) >= len(words))


def sample_long_lines(once: frozenset[bytes], vocabulary: frozenset[bytes]) -> list[bytes]:
    """About ``SAMPLE`` distinctive lines of ``SAMPLE_MIN_CHARS`` or more, the same on every run
    (a seeded CRC picks candidates, a seeded shuffle of them in sorted order picks the sample)."""
    long_lines = [line for line in once if len(line) >= SAMPLE_MIN_CHARS]
    keep = max(1, len(long_lines) // (8 * SAMPLE))
    picked = sorted(line for line in long_lines if zlib.crc32(line, SEED) % keep == 0)
    random.Random(SEED).shuffle(picked)
    return [line for line in picked if distinctive(line, vocabulary)][:SAMPLE]


def _repo_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("the repository is not a git checkout")
    names = sorted({name for name in listed.stdout.decode("utf-8").split("\0") if name})
    return [ROOT / name for name in names if (ROOT / name).is_file()]


def _unescape(literal: str) -> str:
    return _ESCAPE.sub(lambda match: _ESCAPES[match.group(1)], literal)


def _pieces(path: Path, text: str) -> list[tuple[int, str]]:
    """(line number, text) of the file's lines, comments and string literals."""
    lines = text.split("\n")
    pieces = list(enumerate(lines, 1))
    python = path.suffix == ".py"  # its string literals come from its syntax tree, below
    for number, line in enumerate(lines, 1):
        if "#" in line:
            pieces.append((number, line.split("#", 1)[1]))
        quoted = line.split("#", 1)[1] if python and "#" in line else "" if python else line
        for match in _QUOTED.finditer(quoted):
            literal = next(group for group in match.groups() if group is not None)
            pieces.extend((number, part) for part in _unescape(literal).split("\n"))
    if python:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                pieces.extend((node.lineno, part) for part in node.value.split("\n"))
    return pieces


def repo_texts() -> tuple[dict[bytes, str], bytes]:
    """Every normalised piece of text -> where it is; and all the files' text as one blob."""
    where: dict[bytes, str] = {}
    blobs: list[bytes] = []
    for path in _repo_files():
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        name = path.relative_to(ROOT).as_posix()
        blobs.append(data)
        pieces = _pieces(path, text)
        keys = normalise_all(piece.encode("utf-8") for _, piece in pieces)
        for (number, _), key in zip(pieces, keys, strict=True):
            if len(key) >= MIN_CHARS:
                where.setdefault(key, f"{name}:{number}")
                blobs.append(key)
    return where, b"\n\0".join(blobs)


def test_given_the_shared_dev_logs_when_the_repo_is_searched_then_none_of_their_lines_is_in_it():
    once, vocabulary = shared_lines()
    assert len(once) > 10_000, "too few shared lines read: is ../shared/data/dev/rca complete?"
    where, blob = repo_texts()

    copied = sorted(
        f"{where[line]}: {line.decode('utf-8', 'replace')[:120]}"
        for line in once.intersection(where)
        if distinctive(line, vocabulary)
    )

    sample = sample_long_lines(once, vocabulary)
    assert len(sample) >= SAMPLE // 2, "the sample of long lines is thin"
    inside = sorted(
        f"(inside a file): {line.decode('utf-8', 'replace')[:120]}"
        for line in sample
        if line in blob
    )

    assert not copied + inside, "lines of ../shared found in the repository:\n" + "\n".join(
        copied + inside
    )


def test_given_a_pasted_shared_line_when_checked_then_it_is_found_and_a_tool_s_own_words_are_not():
    """The detector itself: a distinctive shared line in a string literal is found, with its
    timestamp or indentation changed; a line made of a tool's vocabulary is not distinctive."""
    once, vocabulary = shared_lines()
    line = next(
        line
        for line in sorted(once)[:: max(1, len(once) // 500)]
        if distinctive(line, vocabulary)
        and line.isascii()
        and b'"' not in line
        and b"\\" not in line
    )
    source = f'LOG = [\n    "2024-01-02T03:04:05.6789Z    {line.decode()}",\n]\n'
    pieces = {normalise(p.encode()) for _, p in _pieces(Path("t.py"), source)}
    assert line in pieces

    tool_words = b"##[error]Process completed with exit code 1, see the build log for details"
    assert not distinctive(tool_words, vocabulary)
