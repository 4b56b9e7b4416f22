"""The repository's history: pull requests, pushes, merges, schedules and releases.

The timeline decides *what* triggers a workflow and *when*, with working-hour and weekday
seasonality, so that the run history has the rhythm of a real team: bursts of pushes on a pull
request, squash merges to ``main``, a nightly schedule, weekly dependabot bumps and tagged
releases. What the runs then do (jobs, failures) is decided by ``demo_sim``.
"""

from __future__ import annotations

import bisect
import random
import time
from dataclasses import dataclass, field

from core.sandbox.demo.catalog import ACTORS, BOT, Actor
from core.sandbox.demo.commits import Commit, make_files, merge_files, new_sha, pr_title

__all__ = [
    "PullRequest",
    "Timeline",
    "Trigger",
    "build_timeline",
    "bump_files",
    "DAY",
    "HOUR",
    "is_work",
    "to_work",
]

HOUR = 3600.0
DAY = 86400.0

_BUMPS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "npm_and_yarn": (
        ("axios", "1.7.7", "1.7.9"),
        ("vite", "5.4.10", "5.4.11"),
        ("@testing-library/react", "16.0.1", "16.1.0"),
        ("eslint", "9.14.0", "9.15.0"),
        ("typescript", "5.6.3", "5.7.2"),
        ("react-router-dom", "6.27.0", "6.28.0"),
    ),
    "pip": (
        ("fastapi", "0.115.4", "0.115.6"),
        ("sqlalchemy", "2.0.35", "2.0.36"),
        ("pydantic", "2.9.2", "2.10.3"),
        ("httpx", "0.27.2", "0.28.1"),
        ("alembic", "1.13.3", "1.14.0"),
    ),
    "maven": (
        ("com.fasterxml.jackson.core:jackson-databind", "2.17.2", "2.18.1"),
        ("org.springframework.boot:spring-boot-starter-parent", "3.3.5", "3.4.0"),
        ("org.testcontainers:postgresql", "1.20.3", "1.20.4"),
        ("org.mockito:mockito-core", "5.14.1", "5.14.2"),
    ),
    "go_modules": (
        ("github.com/spf13/cobra", "1.8.0", "1.8.1"),
        ("golang.org/x/oauth2", "0.23.0", "0.24.0"),
        ("github.com/google/go-cmp", "0.6.0", "0.7.0"),
    ),
    "github_actions": (
        ("actions/setup-node", "4.0.4", "4.1.0"),
        ("docker/build-push-action", "6.9.0", "6.10.0"),
    ),
}
_ECO_DIR = {
    "npm_and_yarn": ("web", "/web"),
    "pip": ("backend", "/backend"),
    "maven": ("api", "/services/api"),
    "go_modules": ("cli", "/cli"),
    "github_actions": ("ci", "/"),
}


@dataclass
class PullRequest:
    """A pull request: its pushes (head commits) and, when merged, the squash commit."""

    number: int
    branch: str
    title: str
    author: Actor
    component: str
    kind: str
    opened: float
    push_times: list[float]
    merge_time: float | None
    merged_by: Actor | None = None
    pushes: list[Commit] = field(default_factory=list)
    merge: Commit | None = None
    bump: tuple[str, str, str, str] | None = None  # ecosystem, package, from, to


@dataclass(slots=True)
class Trigger:
    """One event that creates a workflow run."""

    time: float
    workflow: str
    event: str
    branch: str
    commit: Commit
    actor: Actor
    title: str
    pr: PullRequest | None = None
    base_sha: str | None = None


@dataclass
class Timeline:
    """Everything that happened in the repository during the window."""

    start: float
    end: float
    triggers: list[Trigger]
    main: list[Commit]
    prs: list[PullRequest]
    commits: dict[str, Commit]

    _main_times: list[float] = field(default_factory=list, init=False, repr=False, compare=False)

    def main_head(self, at: float) -> Commit:
        """The commit at the tip of ``main`` at time ``at``.

        The merge times are listed once (again only if ``main`` grew): listing them per call
        cost a walk of ``main`` per pull request and per scheduled run."""
        if len(self._main_times) != len(self.main):
            self._main_times = [c.time for c in self.main]
        return self.main[max(0, bisect.bisect_right(self._main_times, at) - 1)]


def is_work(t: float) -> bool:
    tm = time.gmtime(t)
    return tm.tm_wday < 5 and 7 <= tm.tm_hour < 20


def to_work(rng: random.Random, t: float) -> float:
    """Move ``t`` to the next working morning unless someone is working late (rarely)."""
    if is_work(t) or rng.random() < 0.1:
        return t
    day = t - t % DAY
    tm = time.gmtime(t)
    if tm.tm_hour >= 7:
        day += DAY
    while time.gmtime(day).tm_wday >= 5:
        day += DAY
    return day + max(7.0, rng.gauss(9.3, 1.1)) * HOUR + rng.uniform(0, 600)


def _work_moment(rng: random.Random, start: float, end: float) -> float:
    """A random moment, weighted to weekdays and office hours (Europe + US east overlap)."""
    while True:
        day = start - start % DAY + rng.randrange(int((end - start) // DAY) + 1) * DAY
        if time.gmtime(day).tm_wday >= 5 and rng.random() > 0.08:
            continue
        hour = rng.gauss(12.8, 3.0) if rng.random() < 0.9 else rng.uniform(0, 24)
        t = day + min(23.99, max(0.0, hour)) * HOUR
        if start <= t < end:
            return t


def _gap(rng: random.Random) -> float:
    if rng.random() < 0.16:
        return rng.uniform(90, 720)  # quick fix-up push
    return rng.lognormvariate(8.9, 1.1)  # median ~2 h


def _human_pr(
    rng: random.Random, start: float, end: float, opened: float | None = None
) -> PullRequest:
    author = rng.choice(ACTORS)
    comp = (
        rng.choice(author.components)
        if rng.random() < 0.8
        else rng.choice(("backend", "web", "api", "cli", "docs", "ci"))
    )
    title, kind = pr_title(rng, comp)
    opened = _work_moment(rng, start, end) if opened is None else opened
    pushes = [opened]
    for _ in range(min(9, int(rng.expovariate(0.4)))):
        pushes.append(to_work(rng, pushes[-1] + _gap(rng)))
    pushes = [t for t in pushes if t < end]
    merge = None
    if rng.random() < 0.88:
        merge = to_work(rng, pushes[-1] + rng.lognormvariate(9.6, 0.9))
        merge = merge if merge < end else None
    prefix = {"feature": "feature", "fix": "fix", "chore": "chore"}[kind]
    slug = "-".join(title.lower().replace("--", "").split()[:4]).strip("-")
    slug = "".join(ch for ch in slug if ch.isalnum() or ch == "-")
    branch = f"{prefix}/{slug}-{rng.randint(2, 999)}"
    pr = PullRequest(0, branch, title, author, comp, kind, opened, pushes, merge)
    pr.merged_by = rng.choice([a for a in ACTORS if a != author]) if rng.random() < 0.7 else author
    return pr


def _dependabot_prs(rng: random.Random, start: float, end: float) -> list[PullRequest]:
    prs = []
    day = start - start % DAY
    while day < end:
        if time.gmtime(day).tm_wday == 0:
            for eco in rng.sample(list(_BUMPS), rng.randint(2, 3)):
                pkg, old, new = rng.choice(_BUMPS[eco])
                comp, folder = _ECO_DIR[eco]
                opened = day + 4 * HOUR + rng.uniform(0, 5400)
                where = f" in {folder}" if folder != "/" else ""
                branch_dir = folder.strip("/") + "/" if folder != "/" else ""
                pushes = [opened] + (
                    [opened + rng.uniform(0.5, 2) * DAY] if rng.random() < 0.3 else []
                )
                merge = (
                    to_work(rng, pushes[-1] + rng.uniform(0.2, 3) * DAY)
                    if rng.random() < 0.75
                    else None
                )
                pr = PullRequest(
                    0,
                    f"dependabot/{eco}/{branch_dir}{pkg.replace(':', '-')}-{new}",
                    f"Bump {pkg} from {old} to {new}{where}",
                    BOT,
                    comp,
                    "deps",
                    opened,
                    [t for t in pushes if t < end],
                    merge if merge and merge < end else None,
                    rng.choice(ACTORS),
                    bump=(eco, pkg, old, new),
                )
                if pr.push_times:
                    prs.append(pr)
        day += DAY
    return prs


def _runs_of(pr: PullRequest) -> int:
    return len(pr.push_times) + (2 if pr.merge_time is not None else 0)


def _tail_prs(rng: random.Random, end: float) -> list[PullRequest]:
    """Two last pull requests whose runs are still queued or running at ``end``."""
    a = _human_pr(rng, end - HOUR, end, opened=end - 6.5 * 60)
    b = _human_pr(rng, end - HOUR, end, opened=end - 2.2 * HOUR)
    a.push_times, a.merge_time = [end - 6.5 * 60], None
    b.push_times, b.merge_time = [end - 2.2 * HOUR], end - 150.0
    return [a, b]


def _fixed_runs(days: int) -> int:
    """Runs that do not come from pull requests: nightly, weekly CodeQL, releases, dispatch."""
    return days + days // 7 + days // 11 + days // 30 + 1


def _number_and_commit(
    rng: random.Random, prs: list[PullRequest], start: float, commits: dict[str, Commit]
) -> list[Commit]:
    """Number PRs in opening order, build their commits and the squash-merge lineage."""
    prs.sort(key=lambda p: p.opened)
    first = ACTORS[0]
    root = Commit(
        new_sha(rng),
        new_sha(rng),
        first,
        "Release 1.3.0 (#1387)",
        start - 1.7 * DAY,
        "ci",
        "release",
        committer_web=True,
    )
    main = [root]
    for number, pr in enumerate(prs, start=1401):
        pr.number = number
    merges = sorted((p for p in prs if p.merge_time is not None), key=lambda p: p.merge_time)
    for pr in merges:
        assert pr.merge_time is not None and pr.merged_by is not None
        head = Commit(
            new_sha(rng),
            main[-1].sha,
            pr.author,
            f"{pr.title} (#{pr.number})",
            pr.merge_time,
            pr.component,
            pr.kind,
            committer_web=True,
        )
        pr.merge = head
        main.append(head)
    for commit in main:
        commits[commit.sha] = commit
    return main


def build_timeline(rng: random.Random, start: float, end: float, runs_target: int) -> Timeline:
    """Create pull requests until the expected number of runs reaches ``runs_target``."""
    days = max(1, int((end - start) // DAY))
    prs = _dependabot_prs(rng, start, end)
    budget = runs_target - _fixed_runs(days) - sum(_runs_of(p) for p in prs) - 3
    while budget > 0:
        pr = _human_pr(rng, start, end - HOUR)
        if pr.push_times:
            prs.append(pr)
            budget -= _runs_of(pr)
    tail = _tail_prs(rng, end)
    prs.extend(tail)
    commits: dict[str, Commit] = {}
    main = _number_and_commit(rng, prs, start, commits)
    timeline = Timeline(start, end, [], main, prs, commits)
    _push_commits(rng, timeline)
    return timeline


_MANIFESTS = {
    "npm_and_yarn": ("web/package.json", "web/package-lock.json"),
    "pip": ("backend/requirements.txt",),
    "maven": ("services/api/pom.xml",),
    "go_modules": ("cli/go.mod", "cli/go.sum"),
    "github_actions": (".github/workflows/ci.yml",),
}


def bump_files(eco: str) -> list[dict[str, object]]:
    """The manifest (and lock file) lines a dependabot bump changes."""
    return [
        {
            "filename": path,
            "status": "modified",
            "additions": 2 if "lock" not in path else 14,
            "deletions": 2 if "lock" not in path else 14,
            "changes": 4 if "lock" not in path else 28,
        }
        for path in _MANIFESTS[eco]
    ]


def _push_commits(rng: random.Random, tl: Timeline) -> None:
    """Create the head commit of every push of every pull request."""
    verbs = (
        "Address review comments",
        "Fix tests",
        "Update snapshots",
        "Rename helper",
        "Handle edge case",
        "Add missing test",
        "Apply ruff --fix",
        "WIP",
        "Fix typo",
        "Extract function",
        "Bump fixture data",
        "Simplify logic",
    )
    for pr in tl.prs:
        parent = tl.main_head(pr.opened).sha
        for i, t in enumerate(pr.push_times):
            if pr.bump:
                msg = pr.title if i == 0 else f"{pr.title}\n\nRebased onto main."
            else:
                msg = pr.title if i == 0 else rng.choice(verbs)
            commit = Commit(
                new_sha(rng),
                parent,
                pr.author,
                msg,
                t - rng.uniform(30, 900),
                pr.component,
                pr.kind,
            )
            commit.files = (
                bump_files(pr.bump[0])
                if pr.bump
                else make_files(rng, pr.component, 1.0 if i == 0 else 0.5)
            )
            tl.commits[commit.sha] = commit
            pr.pushes.append(commit)
            parent = commit.sha
        if pr.merge is not None:
            pr.merge.files = merge_files(pr.pushes)
