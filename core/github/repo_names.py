"""Turn whatever a user pastes (URL, SSH remote, owner/name) into ``owner/name``, or say why not;
and the web host a configured API base URL links to (:func:`web_host`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from core.errors import ConfigError

__all__ = ["parse_repo", "web_host"]

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_REPO = r"[A-Za-z0-9._-]{1,100}"
# .git, then anything below the repository (/issues/3, /tree/main, ?tab=readme, #readme)
_TAIL = r"(?:\.git)?(?:[/?#].*)?$"
# A host without a scheme must look like one (a dot, a port or localhost): an owner name never
# does, so ``octocat/Hello-World/issues`` is not read as host/owner/name.
_HOST = r"(?:[^/\s:@]*\.[^/\s@]*|[^/\s:@]+:\d+|localhost)"
_FORMS = [
    re.compile(rf"^(?P<o>{_NAME})/(?P<r>{_REPO})$"),
    re.compile(
        rf"^(?:https?|ssh|git)://(?:[^/\s@]+@)?[^/\s@]+/(?P<o>{_NAME})/(?P<r>{_REPO}?){_TAIL}"
    ),
    re.compile(rf"^(?:www\.)?{_HOST}/(?P<o>{_NAME})/(?P<r>{_REPO}?){_TAIL}"),
    re.compile(rf"^git@[^:\s]+:(?P<o>{_NAME})/(?P<r>{_REPO}?)(?:\.git)?$"),
]
_EXAMPLE = (
    "Use owner/name (e.g. octocat/Hello-World) or its GitHub URL "
    "(https://github.com/octocat/Hello-World)."
)


def parse_repo(text: str) -> str:
    """``owner/name`` from ``owner/name``, ``https://github.com/owner/name[.git][/...]`` (also
    without ``https://``: ``github.com/owner/name/issues/3``) or ``git@github.com:owner/name.git``;
    raises ConfigError with an example otherwise (``a/b/c`` is not a URL: it is refused)."""
    cleaned = (text or "").strip().rstrip("/")
    if cleaned.endswith(".git"):
        cleaned = cleaned[:-4]
    for form in _FORMS:
        match = form.match(cleaned)
        if match and match.group("r") not in {".", ".."}:
            return f"{match.group('o')}/{match.group('r')}"
    if re.fullmatch(rf"{_NAME}/{_REPO}(?:/[^\s]*)+", cleaned):
        raise ConfigError(
            f"'{text}' is not a repository: a name has two parts, owner/name (e.g. "
            "octocat/Hello-World); a link to one of its pages works as a whole URL "
            "(https://github.com/octocat/Hello-World/issues/3)."
        )
    raise ConfigError(f"'{text}' is not a repository. {_EXAMPLE}")


def web_host(api_base_url: str) -> str:
    """The host GitHub's web pages (``html_url``) live on for an API base URL:
    ``https://api.github.com`` -> ``github.com``, a GitHub Enterprise Server's
    ``https://ghe.example.com/api/v3`` -> ``ghe.example.com``, GHE.com's
    ``https://api.acme.ghe.com`` -> ``acme.ghe.com``; ``""`` when the URL has no host."""
    try:
        parts = urlsplit((api_base_url or "").strip())
    except ValueError:
        return ""
    host = (parts.netloc.rpartition("@")[2]).lower()
    if not host:
        return ""
    if parts.path.rstrip("/").lower().endswith("/api/v3"):
        return host
    return host[len("api.") :] if host.startswith("api.") else host
