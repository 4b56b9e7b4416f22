"""Every error CI Medic raises on purpose, each with a sentence a user can act on.

Library errors (PyGithub, boto3, sqlite3, zipfile) are translated into these where they enter
the project, so pages and the CLI only ever need to show ``str(error)``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
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
    "file_above",
    "path_error",
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


# -- an operating-system error on a path, as a sentence ---------------------------------------
_LONGEST_SHOWN = 100  # a 4,000-character path is shown by its ends


def path_error(exc: OSError, given: Mapping[str, str] | None = None) -> ConfigError | None:
    """The sentence for an operating-system error on a path (a name longer than the file
    system allows, a file where a folder must be, no permission, a full or read-only disk), or
    None when the error names no path (a network error: not ours to word here).

    The command lines turn every such error into this one sentence (exit 1), wherever it
    happens, so a path a user typed never ends as "Unexpected error". ``given`` maps a path as
    the user gave it to the option that gave it (``{"/x/s.db": "--db"}``), so the sentence can
    name the option too.
    """
    if exc.filename is None or isinstance(exc.filename, int):
        return None
    raw = os.fsdecode(exc.filename)
    option = next(
        (flag for text, flag in (given or {}).items() if text and _same_path(text, raw)), ""
    )
    subject = f"the {option + ' ' if option else ''}path {_shown(raw)}"
    number = exc.errno
    detail = exc.strerror or type(exc).__name__
    if number == errno.ENAMETOOLONG:
        longest = max((len(os.fsencode(part)) for part in Path(raw).parts), default=0)
        why = (
            f"a name in it has {longest:,} bytes; a file or folder name may have at most 255"
            if longest > 255
            else f"it has {len(os.fsencode(raw)):,} bytes, more than the file system takes"
        )
        message = f"{subject} is too long ({why}): choose a shorter path."
    elif number == errno.ENOTDIR:
        blocker = file_above(raw)
        why = f"{_shown(blocker)} is a file, not a folder" if blocker else detail.lower()
        message = f"{subject} cannot be used: {why}. Choose a path below a folder."
    elif number in (errno.EACCES, errno.EPERM):
        message = (
            f"CI Medic may not use {subject} ({detail}): choose a path this user can read and "
            "write, or change its permissions."
        )
    elif number == errno.ENOSPC:
        message = f"the disk holding {subject} is full ({detail}): free some space, then try again."
    elif number == errno.EROFS:
        message = f"{subject} is on a read-only file system: choose a path on a writable disk."
    elif number == errno.EISDIR:
        message = f"{subject} is a folder, but a file is needed there: give a file path."
    elif number == errno.ENOENT:
        message = f"{subject} does not exist ({detail}): check the path."
    elif number == errno.ELOOP:
        message = f"{subject} has a loop of symbolic links: choose another path."
    else:
        message = f"{subject} cannot be used ({detail}): choose another path."
    return ConfigError(message[:1].upper() + message[1:])


def _shown(path: str) -> str:
    """A path for a sentence: as it is, or its two ends when it is very long."""
    if len(path) <= _LONGEST_SHOWN:
        return path
    return f"{path[:40]}...{path[-40:]} ({len(path):,} characters)"


def _same_path(given: str, used: str) -> bool:
    try:
        return Path(given).expanduser() == Path(used).expanduser()
    except (OSError, RuntimeError, ValueError):
        return given == used


def file_above(path: str | Path) -> str | None:
    """The first folder of ``path`` that is a file instead (``log.txt`` of ``log.txt/below``),
    or None."""
    for parent in reversed(Path(path).parents):
        try:
            if parent.is_file():
                return str(parent)
        except (OSError, ValueError):
            return None
    return None
