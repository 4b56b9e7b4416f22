"""The raw-log writer: GitHub's timestamp prefix, line placement in time, cause-line marks.

GitHub serves a job log as UTF-8 lines, each prefixed by an ISO-8601 UTC time with seven
fractional digits and a space. :class:`LogBuilder` spreads each step's lines over the step's
interval (monotone times) and remembers which lines carry the failure cause, so that the truth
can point at 1-based line numbers of the text split on ``"\\n"``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.sandbox.demo.catalog import OS_INFO, OsInfo
from core.sandbox.demo.suites import TestCase

__all__ = ["LogBuilder", "LogCtx", "Out", "Outcome", "iso_z", "stamp"]

_SECOND_CACHE: dict[int, str] = {}


def stamp(t: float) -> str:
    """``2024-05-01T12:00:00.1234567Z`` for an epoch time (seven fractional digits)."""
    sec = int(t)
    base = _SECOND_CACHE.get(sec)
    if base is None:
        if len(_SECOND_CACHE) > 200_000:
            _SECOND_CACHE.clear()
        base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        _SECOND_CACHE[sec] = base
    return f"{base}.{int((t - sec) * 10_000_000):07d}Z"


def iso_z(t: float) -> str:
    """Second-resolution ISO-8601 UTC, as the REST API reports times."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


@dataclass
class Outcome:
    """Per-test results of one test step (the single source for console and JUnit)."""

    tests: list[TestCase]
    failed: dict[str, Any]  # test_id -> TestFailure
    skipped: list[TestCase]
    durations: dict[str, float]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "passed": len(self.tests) - len(self.failed),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
        }


@dataclass
class LogCtx:
    """Everything a step renderer may print about its job."""

    job: Any  # demo_sim.JobRun
    rng: random.Random
    os: OsInfo
    repo_dir: str
    outcome: Outcome | None = None
    artifact_id: int = 0
    artifact_size: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, job: Any, rng: random.Random) -> LogCtx:
        info = OS_INFO[job.spec.os]
        return cls(job, rng, info, info.workdir)

    @property
    def linux(self) -> bool:
        return self.os.family == "linux"

    @property
    def sep(self) -> str:
        return "\\" if self.os.family == "windows" else "/"

    def path(self, *parts: str) -> str:
        """A path under the checkout, in the runner OS's spelling."""
        rel = self.sep.join(p.replace("/", self.sep) for p in parts)
        return f"{self.repo_dir}{self.sep}{rel}" if rel else self.repo_dir


class LogBuilder:
    """Accumulates timestamped lines and the 0-based indices of cause lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cause: list[int] = []

    def add(self, t: float, text: str) -> None:
        self.lines.append(f"{stamp(t)} {text}")

    def block(
        self,
        t0: float,
        t1: float,
        texts: Sequence[str],
        rng: random.Random,
        cause: Iterable[int] = (),
    ) -> float:
        """Spread ``texts`` over [t0, t1] in order; returns the time of the last line."""
        n = len(texts)
        if n == 0:
            return t0
        span = max(0.0, t1 - t0)
        first = len(self.lines)
        t = t0
        step = span / n
        for i, text in enumerate(texts):
            t = max(t, t0 + step * i + rng.random() * step * 0.8)
            self.lines.append(f"{stamp(t)} {text}")
        self.cause.extend(first + i for i in cause if 0 <= i < n and texts[i].strip())
        return t

    def ranges(self) -> list[list[int]]:
        """Cause lines as 1-based inclusive ``[start, end]`` ranges."""
        out: list[list[int]] = []
        for idx in sorted(set(self.cause)):
            if out and out[-1][1] == idx:
                out[-1][1] = idx + 1
            else:
                out.append([idx + 1, idx + 1])
        return out

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class Out:
    """Lines of one step's output plus the indices of the lines that state the failure."""

    def __init__(self, lines: Iterable[str] = ()) -> None:
        self.lines: list[str] = list(lines)
        self.cause: list[int] = []
        self.exit_code = 0

    def add(self, *texts: str, cause: bool = False) -> Out:
        if cause:
            self.cause.extend(range(len(self.lines), len(self.lines) + len(texts)))
        self.lines.extend(texts)
        return self

    def extend(self, texts: Iterable[str], cause_idx: Iterable[int] = ()) -> Out:
        base = len(self.lines)
        self.lines.extend(texts)
        self.cause.extend(base + i for i in cause_idx)
        return self
