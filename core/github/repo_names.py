"""Turn whatever a user pastes (URL, SSH remote, owner/name) into ``owner/name``, or say why not."""

from __future__ import annotations

import re

from core.errors import ConfigError

__all__ = ["parse_repo"]

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_REPO = r"[A-Za-z0-9._-]{1,100}"
_FORMS = [
    re.compile(rf"^(?P<o>{_NAME})/(?P<r>{_REPO})$"),
    re.compile(
        rf"^(?:https?://)?(?:www\.)?[^/\s]+/(?P<o>{_NAME})/(?P<r>{_REPO}?)(?:\.git)?"
        r"(?:/.*)?$"
    ),
    re.compile(rf"^git@[^:\s]+:(?P<o>{_NAME})/(?P<r>{_REPO}?)(?:\.git)?$"),
]


def parse_repo(text: str) -> str:
    """``owner/name`` from ``owner/name``, ``https://github.com/owner/name[.git][/...]`` or
    ``git@github.com:owner/name.git``; raises ConfigError with an example otherwise."""
    cleaned = (text or "").strip().rstrip("/")
    if cleaned.endswith(".git"):
        cleaned = cleaned[:-4]
    for form in _FORMS:
        match = form.match(cleaned)
        if match and match.group("r") not in {".", ".."}:
            return f"{match.group('o')}/{match.group('r')}"
    raise ConfigError(
        f"'{text}' is not a repository. Use owner/name (e.g. octocat/Hello-World) or its "
        "GitHub URL (https://github.com/octocat/Hello-World)."
    )
