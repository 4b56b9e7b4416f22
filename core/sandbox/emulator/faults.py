"""Fault injection, request records and per-token rate limits for the GitHub emulator.

Kept apart from the HTTP plumbing so that tests can reason about "the third request to
``/actions/runs`` fails with a 502" without reading server code. Everything here is
thread-safe: the emulator answers each connection on its own thread.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ANON_RATE_LIMIT",
    "FAULT_KINDS",
    "FaultPlan",
    "FaultRule",
    "RateBucket",
    "RateLimiter",
    "RequestRecord",
    "Rerun",
    "token_hash",
]

FAULT_KINDS = (
    "rate_limit",
    "secondary_rate_limit",
    "retry_after",
    "server_error",
    "slow",
    "malformed_json",
    "reset",
)
ANON_RATE_LIMIT = 60  # GitHub's unauthenticated core limit per hour
RATE_WINDOW_S = 3600


def token_hash(token: str | None) -> str | None:
    """A short sha256 prefix: enough to tell tokens apart in records, useless to an attacker."""
    if not token:
        return None
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class RequestRecord:
    """One answered request; status 0 means the connection was dropped without an answer."""

    method: str
    path: str
    status: int
    token_hash: str | None
    time: float


@dataclass(frozen=True)
class Rerun:
    """A recorded ``POST .../rerun`` or ``.../rerun-failed-jobs`` (the emulator changes nothing)."""

    full_name: str
    run_id: int
    failed_only: bool
    token_hash: str | None
    time: float


@dataclass
class FaultRule:
    """Fire ``kind`` on requests whose path (with query) matches ``pattern``.

    The first ``after`` matching requests pass untouched, then the next ``times`` ones fail
    (``times=None``: every one after that).
    """

    kind: str
    pattern: re.Pattern[str]
    times: int | None
    after: int
    params: dict[str, Any] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times


class FaultPlan:
    """The faults an emulator will inject, in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        *,
        path: str = r".*",
        times: int | None = 1,
        after: int = 0,
        **params: Any,
    ) -> FaultRule:
        """Register a fault; see the module docs of ``core.sandbox.emulator.server`` for each
        kind's params."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}.")
        if kind == "server_error" and int(params.get("status", 500)) not in (500, 502, 503, 504):
            raise ValueError("server_error takes status 500, 502, 503 or 504.")
        rule = FaultRule(kind, re.compile(path), times, max(0, after), dict(params))
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def pending(self) -> int:
        """How many rules can still fire (a test can assert its faults were all consumed)."""
        with self._lock:
            return sum(1 for rule in self._rules if not rule.exhausted)

    def match(self, target: str) -> FaultRule | None:
        """The rule that fires for this request (path with query), if any.

        A rule matches when its regex is found in the path alone or in the path with its
        query, so ``r"/actions/runs$"`` catches ``/actions/runs?per_page=100`` and
        ``r"page=2"`` still works. Every matching rule counts the request towards its
        ``after``; the first rule that is past its ``after`` and not exhausted fires.
        """
        path = target.partition("?")[0]
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                hit = rule.pattern.search(path) or rule.pattern.search(target)
                if rule.exhausted or not hit:
                    continue
                rule.seen += 1
                if chosen is None and rule.seen > rule.after:
                    rule.fired += 1
                    chosen = rule
        return chosen


@dataclass(frozen=True)
class RateBucket:
    """The state of one token's hourly window, as the X-RateLimit-* headers show it."""

    limit: int
    used: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": "core",
        }


class RateLimiter:
    """GitHub's primary rate limit: a fixed hourly window per token (anonymous: per client)."""

    def __init__(
        self,
        limit: int,
        anon_limit: int = ANON_RATE_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.anon_limit = anon_limit
        self._clock = clock
        self._windows: dict[str | None, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _window(self, key: str | None) -> tuple[float, int]:
        now = self._clock()
        start, used = self._windows.get(key, (now, 0))
        if now >= start + RATE_WINDOW_S:
            start, used = now, 0
        self._windows[key] = (start, used)
        return start, used

    def _bucket(self, key: str | None, start: float, used: int) -> RateBucket:
        limit = self.anon_limit if key is None else self.limit
        return RateBucket(limit, used, int(start + RATE_WINDOW_S))

    def peek(self, key: str | None) -> RateBucket:
        with self._lock:
            return self._bucket(key, *self._window(key))

    def consume(self, key: str | None) -> RateBucket:
        """Count one request against ``key``'s window and return the new state."""
        with self._lock:
            start, used = self._window(key)
            bucket = self._bucket(key, start, used)
            if bucket.remaining > 0:
                used += 1
                self._windows[key] = (start, used)
            return self._bucket(key, start, used)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
