"""Every error CI Medic raises on purpose, each with a sentence a user can act on.

Library errors (PyGithub, boto3, sqlite3, zipfile) are translated into these where they enter
the project, so pages and the CLI only ever need to show ``str(error)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "CIMedicError",
    "ConfigError",
    "SourceError",
    "RepoNotFound",
    "AccessDenied",
    "BadCredentials",
    "RateLimited",
    "BudgetExhausted",
    "MalformedResponse",
    "NoWorkflows",
    "DumpError",
    "UnsafeInput",
    "MalformedReport",
    "PublishError",
]


class CIMedicError(Exception):
    """Base class: ``str(error)`` is a complete sentence meant for the user."""


class ConfigError(CIMedicError):
    """A setting is missing or malformed (bad repository name, bad URL, bad path)."""


class SourceError(CIMedicError):
    """The GitHub API (or the emulator) could not give us what we asked for."""


class RepoNotFound(SourceError):
    """404: the repository does not exist, or the token cannot see it."""


class AccessDenied(SourceError):
    """403 without a rate limit: the token lacks a permission."""


class BadCredentials(SourceError):
    """401: the token is wrong, expired or revoked."""


class RateLimited(SourceError):
    """The rate limit is exhausted and we chose not to wait (or waited too long)."""

    def __init__(self, message: str, reset_at: float | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class BudgetExhausted(SourceError):
    """The sync reached its request budget; the next sync resumes where this one stopped."""


class MalformedResponse(SourceError):
    """The server answered with something that is not the JSON GitHub sends."""


class NoWorkflows(SourceError):
    """The repository has no GitHub Actions workflows, so there is nothing to monitor."""


class DumpError(CIMedicError):
    """A dump folder is missing required files or holds unreadable JSON."""


class UnsafeInput(CIMedicError):
    """An archive or log was refused for safety (zip bomb, path traversal, too large)."""


class MalformedReport(CIMedicError):
    """A test report is not well-formed; ``partial`` holds the tests read before the fault.

    The partial results are kept because a truncated CI artifact still names real failures.
    """

    def __init__(self, message: str, partial: Iterable[Any] = ()) -> None:
        # ``partial``: the parser's TestResult records (errors sits below every package, so it
        # names no record type of theirs)
        super().__init__(message)
        self.partial = list(partial)


class PublishError(CIMedicError):
    """SQS refused or could not be reached; the messages stay in the outbox."""
