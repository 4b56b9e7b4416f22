"""Commits of the demo repository: messages, touched files with heavy-tailed churn, payloads.

Root-cause and prediction agents look at what a commit touched, so every commit touches paths
of the component it is about (``backend/…py``, ``web/src/…tsx``, ``services/api/…java``,
``cli/…go``, ``docs``, ``.github/workflows``) with sizes drawn from a log-normal, like real churn.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.sandbox.demo.catalog import DEMO_REPO, Actor

__all__ = [
    "Commit",
    "COMPONENTS",
    "commit_payload",
    "component_of",
    "make_files",
    "merge_files",
    "new_sha",
    "pr_title",
]

COMPONENTS = ("backend", "web", "api", "cli", "docs", "ci")

_PATHS: dict[str, tuple[str, ...]] = {
    "backend": (
        "backend/app/{d}/service.py",
        "backend/app/{d}/models.py",
        "backend/app/{d}/routes.py",
        "backend/app/{d}/schemas.py",
        "backend/tests/unit/test_{d}.py",
        "backend/tests/api/test_{d}.py",
        "backend/app/core/settings.py",
        "backend/migrations/versions/{n}_{d}.py",
    ),
    "web": (
        "web/src/components/{C}/{C}.tsx",
        "web/src/components/{C}/{C}.test.tsx",
        "web/src/components/{C}/{C}.module.css",
        "web/src/hooks/use{C}.ts",
        "web/src/lib/api-client.ts",
        "web/src/pages/{d}.tsx",
        "web/src/i18n/en.json",
    ),
    "api": (
        "services/api/src/main/java/com/acme/shopfront/api/{d}/{J}Service.java",
        "services/api/src/main/java/com/acme/shopfront/api/{d}/{J}Controller.java",
        "services/api/src/main/java/com/acme/shopfront/api/{d}/{J}Repository.java",
        "services/api/src/test/java/com/acme/shopfront/api/{d}/{J}ServiceTest.java",
        "services/api/src/main/resources/db/migration/V{n}__{d}.sql",
    ),
    "cli": (
        "cli/internal/{g}/{g}.go",
        "cli/internal/{g}/{g}_test.go",
        "cli/cmd/shopctl/{g}.go",
        "cli/internal/output/table.go",
    ),
    "docs": ("docs/{d}.md", "README.md", "docs/architecture/{d}.md", "CONTRIBUTING.md"),
    "ci": (
        ".github/workflows/ci.yml",
        ".github/workflows/nightly.yml",
        ".github/workflows/release.yml",
        ".github/dependabot.yml",
        "Makefile",
    ),
}
_DOMAINS = (
    "cart",
    "checkout",
    "pricing",
    "inventory",
    "orders",
    "payments",
    "auth",
    "users",
    "search",
    "catalog",
    "shipping",
    "tax",
    "webhooks",
    "notifications",
)
_WEB = (
    "CartSummary",
    "CheckoutForm",
    "ProductCard",
    "SearchBar",
    "OrderHistory",
    "MiniCart",
    "AddressForm",
    "PaymentStep",
    "VariantPicker",
    "PromoBanner",
)
_JAVA = ("Order", "Inventory", "Payment", "Pricing", "Customer", "Reservation")
_GO = ("config", "parse", "money", "httpclient", "auth", "orders", "cache")

_VERBS = {
    "feature": ("Add", "Support", "Introduce", "Implement", "Expose", "Allow"),
    "fix": ("Fix", "Handle", "Guard against", "Correct", "Avoid"),
    "chore": ("Refactor", "Clean up", "Simplify", "Rename", "Extract", "Tidy"),
}
_OBJECTS = {
    "backend": (
        "pagination for order history",
        "VAT rounding for EU carts",
        "idempotency keys on checkout",
        "webhook retry schedule",
        "stale cart cleanup",
        "partial refunds",
        "rate limiting on login",
        "search synonyms",
        "bulk price import",
        "gift card balance checks",
        "N+1 query in order list",
    ),
    "web": (
        "empty state for the mini cart",
        "keyboard navigation in variant picker",
        "currency formatting in cart summary",
        "address autocomplete",
        "loading skeleton on product grid",
        "double submit on checkout",
        "RTL layout of the header",
        "toast on saved address",
        "promo banner dismissal",
    ),
    "api": (
        "stock reservation expiry",
        "order number generation",
        "payment capture retries",
        "customer merge endpoint",
        "optimistic locking on inventory",
        "tax breakdown in order DTO",
        "backorder splitting",
    ),
    "cli": (
        "--output json for orders list",
        "profile switching",
        "token refresh in shopctl",
        "table rendering of prices",
        "retry on 429 responses",
        "config file discovery",
    ),
    "docs": (
        "deployment guide",
        "API authentication docs",
        "local setup instructions",
        "architecture decision record for caching",
        "typos in CONTRIBUTING",
    ),
    "ci": (
        "cache keys for the web build",
        "nightly matrix",
        "timeout of e2e job",
        "pinned action versions",
        "dependabot schedule",
    ),
}


@dataclass(slots=True)
class Commit:
    """A commit: identity, authorship, message and (lazily) the files it touched."""

    sha: str
    parent: str | None
    author: Actor
    message: str
    time: float
    component: str
    kind: str = "change"
    files: list[dict[str, Any]] = field(default_factory=list)
    committer_web: bool = False


def new_sha(rng: random.Random) -> str:
    """A random 40-hex commit sha."""
    return f"{rng.getrandbits(160):040x}"


def pr_title(rng: random.Random, component: str) -> tuple[str, str]:
    """A pull-request title and the kind of change (feature, fix or chore)."""
    kind = rng.choices(("feature", "fix", "chore"), (0.45, 0.4, 0.15))[0]
    obj = rng.choice(_OBJECTS[component])
    return f"{rng.choice(_VERBS[kind])} {obj}", kind


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        d=rng.choice(_DOMAINS),
        C=rng.choice(_WEB),
        J=rng.choice(_JAVA),
        g=rng.choice(_GO),
        n=rng.randint(20, 140),
    )


def make_files(
    rng: random.Random, component: str, size_hint: float = 1.0, forced: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Touched files with log-normal churn; ``forced`` paths are always included first."""
    count = max(1, min(40, int(rng.lognormvariate(0.9, 0.8) * size_hint)))
    paths = list(dict.fromkeys(forced))
    pool = _PATHS[component]
    for _ in range(count * 2):
        if len(paths) >= max(count, len(forced)):
            break
        other = component if rng.random() < 0.85 else rng.choice(COMPONENTS)
        path = _fill(rng.choice(_PATHS[other] if other != component else pool), rng)
        if path not in paths:
            paths.append(path)
    files = []
    for path in paths:
        adds = int(min(1800, rng.lognormvariate(2.6, 1.3) * size_hint))
        dels = int(adds * rng.uniform(0.0, 0.8))
        status = "added" if ("migration" in path or rng.random() < 0.08) else "modified"
        if status == "added":
            dels = 0
        files.append(
            {
                "filename": path,
                "status": status,
                "additions": adds,
                "deletions": dels,
                "changes": adds + dels,
            }
        )
    return files


def component_of(path: str) -> str:
    """Which paths-filter output a changed file switches on."""
    for prefix, comp in (
        ("backend/", "backend"),
        ("web/", "web"),
        ("services/api/", "api"),
        ("cli/", "cli"),
        (".github/", "ci"),
        ("Makefile", "ci"),
    ):
        if path.startswith(prefix):
            return comp
    return "docs"


def merge_files(commits: list[Commit]) -> list[dict[str, Any]]:
    """The files of a squash merge: every file the pull request's pushes touched."""
    merged: dict[str, dict[str, Any]] = {}
    for commit in commits:
        for f in commit.files:
            cur = merged.setdefault(f["filename"], dict(f, additions=0, deletions=0, changes=0))
            for key in ("additions", "deletions", "changes"):
                cur[key] += f[key]
    return list(merged.values())


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(math.floor(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(actor: Actor) -> dict[str, Any]:
    return {
        "login": actor.login,
        "id": actor.id,
        "type": actor.kind,
        "html_url": f"https://github.com/{actor.login}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{actor.id}?v=4",
    }


def commit_payload(commit: Commit, rng: random.Random) -> dict[str, Any]:
    """The GET /repos/{owner}/{repo}/commits/{sha} object (without API ``url`` fields)."""
    if not commit.files:
        commit.files = make_files(rng, commit.component)
    adds = sum(f["additions"] for f in commit.files)
    dels = sum(f["deletions"] for f in commit.files)
    who = {"name": commit.author.name, "email": commit.author.email, "date": _iso(commit.time)}
    committer = (
        {"name": "GitHub", "email": "noreply@github.com", "date": _iso(commit.time)}
        if commit.committer_web
        else who
    )
    return {
        "sha": commit.sha,
        "html_url": f"https://github.com/{DEMO_REPO}/commit/{commit.sha}",
        "commit": {
            "author": who,
            "committer": committer,
            "message": commit.message,
            "tree": {"sha": f"{rng.getrandbits(160):040x}"},
            "comment_count": 0,
        },
        "author": _user(commit.author),
        "committer": (
            {"login": "web-flow", "id": 19_864_447, "type": "User"}
            if commit.committer_web
            else _user(commit.author)
        ),
        "parents": [{"sha": commit.parent}] if commit.parent else [],
        "stats": {"additions": adds, "deletions": dels, "total": adds + dels},
        "files": commit.files,
    }
