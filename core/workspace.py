"""What the app is looking at: demo or live, which repository, which store, which GitHub.

Demo mode is chosen when no token is configured: the embedded demo repository is generated,
served by the local emulator and synced through the very same GitHubSource as github.com.
Live mode uses the configured base URL, token and repository, with its own store file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.pipeline_monitor import SyncReport, sync_repository
from core.config import Settings
from core.github_source import GitHubSource
from core.progress import Progress, no_progress
from core.repo_names import parse_repo
from core.store import Store

__all__ = ["Workspace", "open_workspace", "ensure_first_sync", "sync_now", "token_status"]


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    mode: str  # "demo" or "live"
    repo: str
    store: Store

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"

    def source(self, progress: Progress = no_progress) -> GitHubSource:
        return GitHubSource(self.settings, on_wait=lambda _left, msg: progress(0.0, msg))


def open_workspace(env: Mapping[str, str] | None = None,
                   secrets: Mapping[str, Any] | None = None) -> Workspace:
    """Build the workspace from the environment and secrets (demo when no token is set)."""
    settings = Settings.from_env(env, secrets)
    if not settings.github_token:
        from core.local_demo import start_demo

        demo = start_demo(settings)
        return Workspace(demo.settings, "demo", demo.repo, Store(demo.settings.db_path))
    repo = parse_repo(settings.repo) if settings.repo else ""
    return Workspace(settings, "live", repo, Store(settings.db_path))


def ensure_first_sync(ws: Workspace, progress: Progress = no_progress) -> SyncReport | None:
    """In demo mode, sync once if the store has never completed a sync of the demo."""
    repo_id = ws.store.repo_id(ws.repo) if ws.repo else None
    done = repo_id is not None and ws.store.scalar(
        "SELECT completed_at FROM sync_state WHERE repo_id = ?", (repo_id,))
    if done or not ws.is_demo:
        return None
    return sync_repository(ws.store, ws.source(progress), ws.repo, progress)


def sync_now(ws: Workspace, repo_text: str, progress: Progress = no_progress) -> SyncReport:
    """Validate the repository text and sync it; errors are CIMedicError sentences."""
    repo = parse_repo(repo_text)
    return sync_repository(ws.store, ws.source(progress), repo, progress)


def token_status(ws: Workspace) -> str:
    """A sentence about the token that never contains the token itself."""
    if ws.is_demo:
        return "Demo mode: no token needed (the local emulator serves the demo repository)."
    token = ws.settings.github_token.reveal()
    kind = ("fine-grained" if token.startswith("github_pat_") else
            "classic" if token.startswith("ghp_") else "other")
    return f"A {kind} GitHub token is configured (it is never shown)."
