"""What the app is looking at: demo or live, which repository, which store, which GitHub.

Demo mode is chosen when no token is configured: the embedded demo repository is generated,
served by the local emulator and synced through the very same GitHubSource as github.com.
Live mode uses the configured base URL, token and repository, with its own store file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import Settings
from core.github.repo_names import parse_repo
from core.github.source import GitHubSource
from core.progress import Progress, no_progress
from core.store.db import Store

__all__ = ["Workspace", "open_workspace", "token_status"]


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    mode: str  # "demo" or "live"
    repo: str
    store: Store
    demo_dump: Path | None = None  # the generated demo dump (demo mode only): its truth.json

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"

    def source(self, progress: Progress = no_progress) -> GitHubSource:
        return GitHubSource(self.settings, on_wait=lambda _left, msg: progress(0.0, msg))


def open_workspace(
    env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> Workspace:
    """Build the workspace from the environment and secrets (demo when no token is set)."""
    settings = Settings.from_env(env, secrets)
    if not settings.github_token:
        from core.sandbox.local import start_demo

        demo = start_demo(settings)
        return Workspace(
            demo.settings, "demo", demo.repo, Store(demo.settings.db_path), demo_dump=demo.dump
        )
    repo = parse_repo(settings.repo) if settings.repo else ""
    return Workspace(settings, "live", repo, Store(settings.db_path))


def token_status(ws: Workspace) -> str:
    """A sentence about the token that never contains the token itself."""
    if ws.is_demo:
        return "Demo mode: no token needed (the local emulator serves the demo repository)."
    token = ws.settings.github_token.reveal()
    kind = (
        "fine-grained"
        if token.startswith("github_pat_")
        else "classic"
        if token.startswith("ghp_")
        else "other"
    )
    return f"A {kind} GitHub token is configured (it is never shown)."
