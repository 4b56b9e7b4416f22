"""Shared fixtures: where ../shared is, and isolated homes so no test touches ~/.ci-medic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own CI_MEDIC_HOME, and no real token from the environment."""
    monkeypatch.setenv("CI_MEDIC_HOME", str(tmp_path_factory.mktemp("home")))
    # The app starts an embedded SQS worker; page tests opt in where they test it.
    monkeypatch.setenv("CI_MEDIC_WORKER_EMBEDDED", "false")
    for name in ("GITHUB_TOKEN", "CI_MEDIC_GITHUB_TOKEN", "CI_MEDIC_DB_PATH", "CI_MEDIC_REPO"):
        monkeypatch.delenv(name, raising=False)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when ../shared is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is not next to this checkout)")
    return path
