"""Turn the repository timeline into workflow triggers (the events that create runs).

Pull-request pushes trigger ``CI`` (``pull_request``); squash merges trigger ``CI`` and
``CodeQL`` (``push`` to ``main``); the nightly cron and the weekly CodeQL cron fire a few minutes
late as GitHub's scheduler does; tags trigger ``Release``; a few runs are started by hand.
"""

from __future__ import annotations

import random
import time

from core.sandbox.demo.catalog import ACTORS, BOT
from core.sandbox.demo.timeline import DAY, HOUR, Timeline, Trigger, is_work

__all__ = ["collect_triggers"]

_SCHEDULER = ACTORS[3]  # dan-okafor last edited the cron lines
_RELEASER = ACTORS[1]


def _pr_triggers(tl: Timeline) -> list[Trigger]:
    out = []
    for pr in tl.prs:
        actor = BOT if pr.bump else pr.author
        for push_time, commit in zip(pr.push_times, pr.pushes, strict=True):
            out.append(
                Trigger(
                    push_time,
                    "CI",
                    "pull_request",
                    pr.branch,
                    commit,
                    actor,
                    pr.title,
                    pr,
                    tl.main_head(push_time).sha,
                )
            )
        if pr.merge is not None and pr.merged_by is not None:
            title = pr.merge.message.split("\n")[0]
            out.append(
                Trigger(pr.merge.time + 1.0, "CI", "push", "main", pr.merge, pr.merged_by, title)
            )
            out.append(
                Trigger(
                    pr.merge.time + 1.6, "CodeQL", "push", "main", pr.merge, pr.merged_by, title
                )
            )
    return out


def _scheduled(rng: random.Random, tl: Timeline) -> list[Trigger]:
    out = []
    day = tl.start - tl.start % DAY
    while day < tl.end:
        nightly = day + 3 * HOUR + 17 * 60 + rng.lognormvariate(6.2, 0.6)
        if tl.start <= nightly < tl.end:
            out.append(
                Trigger(
                    nightly,
                    "Nightly",
                    "schedule",
                    "main",
                    tl.main_head(nightly),
                    _SCHEDULER,
                    "Nightly",
                )
            )
        weekly = day + 5 * HOUR + 24 * 60 + rng.lognormvariate(6.0, 0.5)
        if time.gmtime(day).tm_wday == 0 and tl.start <= weekly < tl.end:
            out.append(
                Trigger(
                    weekly, "CodeQL", "schedule", "main", tl.main_head(weekly), _SCHEDULER, "CodeQL"
                )
            )
        day += DAY
    return out


def _office_moment(rng: random.Random, lo: float, hi: float) -> float:
    for _ in range(200):
        t = rng.uniform(lo, hi)
        if is_work(t):
            return t
    return rng.uniform(lo, hi)


def _manual(rng: random.Random, tl: Timeline, days: int) -> list[Trigger]:
    out = []
    span = tl.end - tl.start
    for i in range(days // 11):
        t = _office_moment(
            rng,
            tl.start + span * (i + 0.55) / (days // 11 + 0.6),
            tl.start + span * (i + 0.95) / (days // 11 + 0.6),
        )
        head = tl.main_head(t)
        out.append(
            Trigger(
                t, "Release", "push", f"v1.{4 + i}.0", head, _RELEASER, head.message.split("\n")[0]
            )
        )
    for _ in range(days // 30):
        t = _office_moment(rng, tl.start + DAY, tl.end - DAY)
        out.append(
            Trigger(
                t,
                "Nightly",
                "workflow_dispatch",
                "main",
                tl.main_head(t),
                rng.choice(ACTORS),
                "Nightly",
            )
        )
    t = _office_moment(rng, tl.start + span * 0.4, tl.end - 2 * DAY)
    out.append(
        Trigger(t, "Release", "workflow_dispatch", "main", tl.main_head(t), _RELEASER, "Release")
    )
    return out


def collect_triggers(rng: random.Random, tl: Timeline, days: int) -> list[Trigger]:
    """All triggers of the window in time order (ties broken by workflow name)."""
    triggers = _pr_triggers(tl) + _scheduled(rng, tl) + _manual(rng, tl, days)
    triggers = [t for t in triggers if tl.start <= t.time < tl.end]
    triggers.sort(key=lambda t: (t.time, t.workflow))
    return triggers
