"""Payload mapping, settings and repository names: small pure pieces with sharp edges."""

from __future__ import annotations

import pytest

from core.config import Secret, Settings
from core.errors import ConfigError
from core.github.mapping import job_row, run_row, runner_os, seconds_between
from core.github.repo_names import parse_repo


def test_durations_come_from_github_timestamps_and_refuse_reversed_times():
    assert seconds_between("2024-05-01T10:00:00Z", "2024-05-01T10:01:30Z") == 90
    assert seconds_between("2024-05-01T10:01:30Z", "2024-05-01T10:00:00Z") is None
    assert seconds_between(None, "2024-05-01T10:00:00Z") is None


def test_an_unfinished_run_has_no_duration_and_keeps_null_conclusion():
    row = run_row(
        {
            "id": 1,
            "status": "in_progress",
            "conclusion": None,
            "created_at": "2024-05-01T10:00:00Z",
            "updated_at": "2024-05-01T10:03:00Z",
        },
        repo_id=1,
        is_latest=True,
    )
    assert row["duration_s"] is None and row["conclusion"] is None and row["attempt"] == 1


def test_job_queue_time_and_runner_os_are_derived():
    row = job_row(
        {
            "id": 5,
            "created_at": "2024-05-01T10:00:00Z",
            "started_at": "2024-05-01T10:00:42Z",
            "completed_at": "2024-05-01T10:02:42Z",
            "labels": ["windows-latest"],
        },
        repo_id=1,
        run_id=9,
        attempt=2,
    )
    assert (row["queue_s"], row["duration_s"], row["runner_os"]) == (42, 120, "Windows")
    assert (row["run_id"], row["attempt"]) == (9, 2)
    assert runner_os(["self-hosted"], "GitHub Actions 3") is None
    assert runner_os(["macos-14"]) == "macOS"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("octocat/Hello-World", "octocat/Hello-World"),
        ("https://github.com/octocat/Hello-World", "octocat/Hello-World"),
        ("https://github.com/octocat/Hello-World.git", "octocat/Hello-World"),
        ("https://github.com/octocat/Hello-World/actions/runs/42", "octocat/Hello-World"),
        ("git@github.com:octocat/Hello-World.git", "octocat/Hello-World"),
        ("  octocat/Hello-World/  ", "octocat/Hello-World"),
    ],
)
def test_repository_text_in_every_usual_form_is_understood(text, expected):
    assert parse_repo(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "octocat", "a b/c", "https://github.com/octocat", "../../etc/passwd", "o/r; rm -rf /"],
)
def test_malformed_repository_text_gets_a_sentence_with_an_example(text):
    with pytest.raises(ConfigError, match="owner/name"):
        parse_repo(text)


def test_the_token_never_shows_in_repr_str_or_settings():
    settings = Settings.from_env({"CI_MEDIC_GITHUB_TOKEN": "ghp_supersecret123"})
    assert settings.github_token.reveal() == "ghp_supersecret123"
    for text in (repr(settings), str(settings), f"{settings.github_token}"):
        assert "supersecret" not in text
    assert not Secret("")


def test_settings_from_env_parse_types_and_reject_nonsense():
    settings = Settings.from_env(
        {
            "CI_MEDIC_REQUEST_BUDGET": "12",
            "CI_MEDIC_DB_PATH": "/x.db",
            "CI_MEDIC_QUEUE_LOGS": "my_logs",
        }
    )
    assert settings.request_budget == 12 and settings.db_path == "/x.db"
    assert settings.queues["logs"] == "my_logs"
    with pytest.raises(ConfigError, match="whole number"):
        Settings.from_env({"CI_MEDIC_REQUEST_BUDGET": "lots"})


def test_secrets_take_priority_over_the_environment():
    settings = Settings.from_env({"GITHUB_TOKEN": "from-env"}, {"github_token": "from-secrets"})
    assert settings.github_token.reveal() == "from-secrets"
