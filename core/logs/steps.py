"""Mapping a normalised GitHub job log onto the job's API steps, and deep links into them.

A GitHub job log only names its sections (``##[group]Run …``); the API's ``job["steps"]`` has
the step numbers the web UI links to. :func:`map_github_steps` aligns the two so that a line of
the job log can be linked (:func:`github_log_url`) to the step page GitHub shows it on. Kept apart
from ``core.logs.normalise``, which only normalises; ``core.logs.normalise`` re-exports the public
names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from core.logs.markers import NAT, LogSpan, replace_span

if TYPE_CHECKING:  # core.logs.normalise imports this module to re-export it
    from core.logs.normalise import NormalisedLog

__all__ = ["github_line_url", "github_log_url", "map_github_steps"]

_GITHUB_KINDS = ("setup", "run", "container", "post", "complete")
_NEG = -1e9
_FILE_UNSAFE = re.compile(r"[\\/:*?\"<>|]")


class _ApiStep(NamedTuple):
    number: int
    name: str
    skipped: bool
    start: np.datetime64
    end: np.datetime64


def github_line_url(job_html_url: str, step_number: int, line_no: int) -> str:
    """Deep link that opens step ``step_number`` of a job at line ``line_no``.

    GitHub numbers lines per step, so ``line_no`` is the line inside the step's own log; use
    ``github_log_url`` to link a line of the whole job log.
    """
    base = job_html_url.split("#", 1)[0].rstrip("/")
    return f"{base}#step:{int(step_number)}:{int(line_no)}"


def github_log_url(job_html_url: str, step: LogSpan, line_no: int) -> str | None:
    """Link a job-log line through a step from ``map_github_steps`` (None when unmapped)."""
    if step.number is None or not step.first_line <= line_no <= step.last_line:
        return None
    return github_line_url(job_html_url, step.number, line_no - step.first_line + 1)


def map_github_steps(
    log: NormalisedLog, api_steps: Sequence[Mapping[str, Any] | str]
) -> tuple[LogSpan, ...]:
    """Assign the log's GitHub sections to the job's API steps (``job["steps"]``).

    Heuristics, in order of weight: a step with ``conclusion == "skipped"`` has no log; the
    first section is "Set up job", ``Post job cleanup.`` sections go to ``Post …`` steps and
    ``Cleaning up orphan processes`` to "Complete job"; a ``##[group]Run X`` section matches a
    step named ``Run X`` (unnamed ``uses:``/``run:`` steps) and otherwise the next user-named
    step; a section whose first timestamp lies inside a step's ``started_at``..``completed_at``
    (±1 s) belongs to it. Composite actions print several ``Run …`` groups inside one step:
    sections may continue the previous step at a small cost, which the timestamps settle.
    Without times (names only) a composite step can swallow too few or too many sections. The
    order is kept (a monotone alignment by dynamic programming). Returns one span per step
    that has lines, with ``number`` set; () when the log is not a GitHub job log.
    """
    sections = list(log.steps)
    steps = _api_steps(api_steps)
    if not sections or not steps or sections[0].kind not in _GITHUB_KINDS:
        return ()
    assign = _align(sections, steps)
    if assign is None:
        return ()
    spans: list[LogSpan] = []
    for position, section in enumerate(sections):
        step = steps[assign[position]]
        if spans and spans[-1].number == step.number:
            spans[-1] = replace_span(
                spans[-1],
                last_line=section.last_line,
                ended_at=section.ended_at or spans[-1].ended_at,
            )
            continue
        spans.append(replace_span(section, index=len(spans), name=step.name, number=step.number))
    return tuple(spans)


def _api_steps(api_steps: Sequence[Mapping[str, Any] | str]) -> list[_ApiStep]:
    """API step objects (or bare names, numbered from 1) as small tuples with parsed times."""
    out = []
    for position, step in enumerate(api_steps, start=1):
        item: Mapping[str, Any] = {"name": step} if isinstance(step, str) else step
        out.append(
            _ApiStep(
                number=int(item.get("number") or position),
                name=str(item.get("name") or ""),
                skipped=item.get("conclusion") == "skipped",
                start=_api_time(item.get("started_at")),
                end=_api_time(item.get("completed_at")),
            )
        )
    return out


def _api_time(value: Any) -> np.datetime64:
    try:
        stamp = pd.Timestamp(value) if value else pd.NaT
    except (ValueError, TypeError):
        return NAT
    return NAT if stamp is pd.NaT else np.datetime64(stamp.value, "ns")


def _align(sections: list[LogSpan], steps: list[_ApiStep]) -> list[int] | None:
    """Best monotone assignment section -> step (index), skipping steps that logged nothing."""
    n, m = len(sections), len(steps)
    skip_cost = np.concatenate([[0.0], np.cumsum([0.0 if s.skipped else 0.5 for s in steps])])
    best = np.full((n, m), _NEG)
    back = np.zeros((n, m), dtype=np.int64)
    for j in range(m):
        best[0, j] = _start_score(sections[0], steps[j]) - skip_cost[j]
    for i in range(1, n):
        running, arg = _NEG, -1
        for j in range(m):
            stay = best[i - 1, j] + _continue_score(sections[i], steps[j])
            jump = running - skip_cost[j] + _start_score(sections[i], steps[j])
            best[i, j], back[i, j] = (stay, j) if stay >= jump or arg < 0 else (jump, arg)
            if best[i - 1, j] + skip_cost[j + 1] > running:
                running, arg = best[i - 1, j] + skip_cost[j + 1], j
    j = int(np.argmax(best[n - 1]))
    if best[n - 1, j] <= _NEG / 2:
        return None
    assign = [j] * n
    for i in range(n - 1, 0, -1):
        j = int(back[i, j])
        assign[i - 1] = j
    return assign


def _start_score(section: LogSpan, step: _ApiStep) -> float:
    """How well ``section`` fits as the first section of ``step``."""
    if step.skipped:
        return _NEG
    return _name_score(section, step.name) + _time_score(section, step)


def _name_score(section: LogSpan, name: str) -> float:
    special = name in ("Set up job", "Complete job") or name.startswith("Post ")
    if section.kind == "setup":
        return 5.0 if name == "Set up job" else -5.0
    if section.kind == "complete":
        return 5.0 if name == "Complete job" else -5.0
    if section.kind == "post":
        return 3.0 if name.startswith("Post ") else -5.0
    if special:
        return -5.0
    if _same_name(section.name, name):
        return 5.0
    return 2.0 if section.kind == "container" and name.startswith("Build ") else 1.0


def _continue_score(section: LogSpan, step: _ApiStep) -> float:
    """Cost of a section continuing ``step`` (a composite action's inner ``Run`` groups)."""
    if step.name in ("Set up job", "Complete job") or section.kind in ("setup", "complete"):
        return _NEG
    if (section.kind == "post") != step.name.startswith("Post "):
        return _NEG
    return -1.0 + _time_score(section, step) / 2


def _time_score(section: LogSpan, step: _ApiStep) -> float:
    if section.started_at is None or np.isnat(step.start):
        return 0.0
    start = np.datetime64(section.started_at.rstrip("Z"), "ns")
    end = step.start if np.isnat(step.end) else step.end
    second = np.timedelta64(1, "s")
    return 2.0 if step.start - second <= start <= end + second else -6.0


def _same_name(log_name: str, api_name: str) -> bool:
    """Equal names, ignoring characters archive file names drop and their ~60-char cut."""
    a, b = _FILE_UNSAFE.sub("", log_name).strip(), _FILE_UNSAFE.sub("", api_name).strip()
    return a == b or (min(len(a), len(b)) >= 40 and (a.startswith(b) or b.startswith(a)))
