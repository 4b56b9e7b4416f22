"""Settings: built once from the environment (and, in the app, from ``st.secrets``), passed down.

Defaults live here and nowhere else. The token is wrapped in :class:`Secret` so that printing,
logging or serialising a ``Settings`` can never reveal it.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.errors import ConfigError

__all__ = ["Secret", "Settings", "DEFAULT_QUEUES", "GITHUB_API"]

GITHUB_API = "https://api.github.com"
DEFAULT_QUEUES: dict[str, str] = {
    "metrics": "ci_cd_metrics_queue",
    "logs": "ci_cd_logs_queue",
    "features": "ci_cd_features_queue",
    "analysis": "ci_cd_analysis_results_queue",
}


class Secret:
    """A string that never shows itself in ``repr``/``str``/f-strings; ``reveal()`` gives it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = (value or "").strip()

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _default_db() -> str:
    return str(Path(os.environ.get("CI_MEDIC_HOME", Path.home() / ".ci-medic")) / "ci_medic.db")


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Environment names are ``CI_MEDIC_<FIELD>`` upper-cased."""

    db_path: str = field(default_factory=_default_db)
    github_base_url: str = GITHUB_API
    github_token: Secret = field(default_factory=lambda: Secret(None))
    repo: str = ""
    request_budget: int = 5000
    max_rate_limit_wait_s: float = 900.0
    http_timeout_s: float = 30.0
    download_all_logs: bool = False
    max_log_bytes: int = 20 * 1024 * 1024
    sqs_endpoint_url: str = ""
    sqs_region: str = "us-east-1"
    sqs_create_queues: bool = True
    queues: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_QUEUES))
    worker_batch_size: int = 10
    worker_lease_s: float = 60.0
    worker_max_attempts: int = 6
    worker_backoff_base_s: float = 1.0
    worker_backoff_cap_s: float = 120.0
    worker_idle_s: float = 1.0
    worker_heartbeat_s: float = 5.0
    worker_sample_s: float = 15.0
    worker_retention_s: float = 3 * 24 * 3600.0
    worker_max_message_bytes: int = 256 * 1024
    worker_local_bound: int = 0
    worker_embedded: bool = True

    def __post_init__(self) -> None:
        """Refuse a setting no code can work with (each sentence names the variable to fix)."""
        _check_url(
            self.github_base_url,
            "The GitHub API base URL",
            "--base-url or CI_MEDIC_GITHUB_BASE_URL",
            "https://github.example.com/api/v3",
        )
        if self.sqs_endpoint_url:
            _check_url(
                self.sqs_endpoint_url,
                "The SQS endpoint",
                "--endpoint or CI_MEDIC_SQS_ENDPOINT_URL",
                "http://127.0.0.1:4566",
            )
        for name, (low, high, strict) in _LIMITS.items():
            _check_number(name, getattr(self, name), low, high, strict)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
    ) -> Settings:
        """Build from ``os.environ`` (or ``env``), with ``secrets`` (st.secrets) taking priority."""
        env = dict(os.environ if env is None else env)
        merged: dict[str, Any] = {
            k[len("CI_MEDIC_") :].lower(): v for k, v in env.items() if k.startswith("CI_MEDIC_")
        }
        if "GITHUB_TOKEN" in env and "github_token" not in merged:
            merged["github_token"] = env["GITHUB_TOKEN"]
        for key, value in (secrets or {}).items():
            if isinstance(value, (str, int, float, bool)):
                merged[key.lower()] = value
        return cls.from_mapping(merged)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        base = cls()
        kwargs: dict[str, Any] = {}
        for name in ("db_path", "github_base_url", "repo", "sqs_endpoint_url", "sqs_region"):
            if name in values:
                kwargs[name] = str(values[name])
        if not kwargs.get("github_base_url", "x").strip():  # an empty variable means "unset"
            del kwargs["github_base_url"]
        for name in (
            "request_budget",
            "max_log_bytes",
            "worker_batch_size",
            "worker_max_attempts",
            "worker_max_message_bytes",
            "worker_local_bound",
        ):
            if name in values:
                kwargs[name] = _as_int(name, values[name])
        for name in (
            "max_rate_limit_wait_s",
            "http_timeout_s",
            "worker_lease_s",
            "worker_backoff_base_s",
            "worker_backoff_cap_s",
            "worker_idle_s",
            "worker_heartbeat_s",
            "worker_sample_s",
            "worker_retention_s",
        ):
            if name in values:
                kwargs[name] = _as_float(name, values[name])
        for name in ("download_all_logs", "sqs_create_queues", "worker_embedded"):
            if name in values:
                kwargs[name] = str(values[name]).strip().lower() in {"1", "true", "yes", "on"}
        if "github_token" in values:
            kwargs["github_token"] = Secret(str(values["github_token"]))
        queues = dict(base.queues)
        for kind in DEFAULT_QUEUES:
            key = f"queue_{kind}"
            if key in values:
                queues[kind] = str(values[key])
        kwargs["queues"] = queues
        return replace(base, **kwargs)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (``token`` may be a plain string)."""
        if "github_token" in changes and not isinstance(changes["github_token"], Secret):
            changes["github_token"] = Secret(changes["github_token"])
        return replace(self, **changes)

    @property
    def is_public_github(self) -> bool:
        return self.github_base_url.rstrip("/") == GITHUB_API


# (lowest, highest, lowest excluded) of every numeric setting; None: no bound.
_LIMITS: dict[str, tuple[float, float | None, bool]] = {
    "request_budget": (1, None, False),
    "max_rate_limit_wait_s": (0, None, False),
    "http_timeout_s": (1, None, False),  # PyGithub takes whole seconds: 0.5 would become 0
    "max_log_bytes": (1, None, False),
    "worker_batch_size": (1, 10, False),  # SQS sends at most 10 messages per batch
    "worker_lease_s": (0, None, True),
    "worker_max_attempts": (1, None, False),
    "worker_backoff_base_s": (0, None, True),
    "worker_backoff_cap_s": (0, None, True),
    "worker_idle_s": (0, None, True),
    "worker_heartbeat_s": (0, None, True),
    "worker_sample_s": (0, None, True),
    "worker_retention_s": (0, None, True),
    "worker_max_message_bytes": (1024, 256 * 1024, False),  # SQS's limit per message
    "worker_local_bound": (0, None, False),
}

_WHY = {
    "worker_batch_size": " (SQS sends at most 10 messages per batch)",
    "worker_max_message_bytes": " (SQS takes at most 256 KiB per message)",
    "http_timeout_s": " (GitHub requests take whole seconds)",
}


def _check_number(name: str, value: float, low: float, high: float | None, strict: bool) -> None:
    """A ConfigError unless ``value`` is finite and within ``low`` (excluded when ``strict``)
    and ``high``."""
    variable = f"CI_MEDIC_{name.upper()}"
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ConfigError(f"Setting {name} ({variable}) must be a finite number, got {value!r}.")
    if strict and value <= low:
        wanted = "more than 0" if low == 0 else f"more than {low:g}"
    elif value < low or (high is not None and value > high):
        wanted = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
    else:
        return
    unit = " (seconds)" if name.endswith("_s") else ""
    why = _WHY.get(name, "")
    raise ConfigError(f"Setting {name} ({variable}) must be {wanted}{unit}{why}, got {value!r}.")


def _check_url(url: str, what: str, where: str, example: str) -> None:
    """A ConfigError unless ``url`` is an http(s) URL with a valid host (a host name, an IPv4
    address or a bracketed IPv6 one) and, when it names one, a port from 1 to 65535."""
    hint = f"set {where} to an http(s) URL such as {example}."
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        # urlsplit quietly drops tabs and line breaks, so it would check another URL
        raise ConfigError(f"{what} {url!r} holds a space or a control character: {hint}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{what} {url!r} is not a valid URL ({exc}): {hint}") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ConfigError(f"{what} {url!r} must start with http:// or https://: {hint}")
    if not parts.hostname:
        raise ConfigError(f"{what} {url!r} names no host: {hint}")
    problem = _host_problem(parts.hostname, bracketed=parts.netloc.rpartition("@")[2][:1] == "[")
    if problem:
        raise ConfigError(f"{what} {url!r} {problem}: {hint}")
    if port == 0:
        raise ConfigError(f"{what} {url!r} has port 0, which no server listens on: {hint}")


_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")  # "_": docker-compose service names


def _host_problem(host: str, *, bracketed: bool) -> str | None:
    """Why ``host`` (as ``urlsplit`` gives it, brackets removed) names no server, or None: a
    bracketed host must be an IPv6 address, one ending in digits an IPv4 address, any other a
    host name of dot-separated labels (letters, digits, ``-`` inside, ``_``; at most 63
    characters each and 253 in all; international names are checked as their IDNA form)."""
    if bracketed:
        try:
            ipaddress.IPv6Address(host.partition("%")[0])
        except ValueError:
            return f"has {host!r} in brackets, which is not an IPv6 address"
        return None
    name = host[:-1] if host.endswith(".") else host
    if name.rpartition(".")[2].isdigit():  # 10.0.0.300 is read as an address, not as a name
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return f"has the host {host!r}, which is no IPv4 address"
        return None
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        ascii_name = ""
    if (
        not ascii_name
        or len(ascii_name) > 253
        or not all(_LABEL.fullmatch(label) for label in ascii_name.split("."))
    ):
        return (
            f"has the host {host!r}, which is no host name (letters, digits and '-' between "
            "dots) and no IP address"
        )
    return None


def _as_int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"Setting {name} must be a whole number, got {value!r}.") from None


def _as_float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"Setting {name} must be a number, got {value!r}.") from None
