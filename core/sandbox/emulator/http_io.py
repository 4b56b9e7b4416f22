"""HTTP plumbing of the emulator: response objects, GitHub's error and rate-limit answers,
fault answers, and a keep-alive ``ThreadingHTTPServer`` that can cut its open connections.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from core.sandbox.emulator.faults import FaultRule, RateBucket

__all__ = [
    "DOCS",
    "Handler",
    "Responder",
    "Response",
    "Server",
    "error",
    "exhausted",
    "fault_response",
    "json_response",
    "rate_limit_body",
    "redirect",
    "with_rate",
]

DOCS = "https://docs.github.com/rest"
JSON_TYPE = "application/json; charset=utf-8"
RATE_DOC = "overview/rate-limits-for-the-rest-api"
_SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you "
    "try again. If you reach out to GitHub Support for help, please include the "
    "request ID {rid}."
)
_SERVER_ERRORS = {
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Response:
    """What one handler answers; ``counted``: whether it costs a rate-limit point."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    counted: bool = True


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, body, dict(headers or {}))


def error(status: int, message: str, doc: str = "", **headers: str) -> Response:
    """GitHub's error body: message, documentation_url and (since 2024) status as a string."""
    body = {
        "message": message,
        "documentation_url": f"{DOCS}/{doc}" if doc else DOCS,
        "status": str(status),
    }
    return json_response(body, status, headers)


def redirect(location: str) -> Response:
    return Response(302, b"", {"Location": location}, content_type="text/html;charset=utf-8")


def with_rate(response: Response, bucket: RateBucket) -> Response:
    """Add the X-RateLimit-* headers GitHub sends with every API answer."""
    response.headers.update(bucket.headers())
    return response


def rate_limit_body(bucket: RateBucket, authenticated: bool) -> dict[str, Any]:
    """:calls: GET /rate_limit (free: it never counts against the limit)."""
    core = {
        "limit": bucket.limit,
        "remaining": bucket.remaining,
        "reset": bucket.reset,
        "used": bucket.used,
        "resource": "core",
    }
    quota = 30 if authenticated else 10
    search = {
        "limit": quota,
        "remaining": quota,
        "reset": int(time.time()) + 60,
        "used": 0,
        "resource": "search",
    }
    return {"resources": {"core": core, "search": search}, "rate": core}


def exhausted(bucket: RateBucket, user_id: int | None, rid: str) -> Response:
    """403 exactly as GitHub answers once the hourly budget is spent (anonymous: per IP)."""
    if user_id is None:
        who = (
            "127.0.0.1. (But here's the good news: Authenticated requests get a higher "
            "rate limit. Check out the documentation for more details.)"
        )
    else:
        who = (
            f"user ID {user_id}. If you reach out to GitHub Support for help, please include "
            f"the request ID {rid}."
        )
    response = error(403, f"API rate limit exceeded for {who}", RATE_DOC)
    response.counted = False
    return with_rate(response, bucket)


def fault_response(
    rule: FaultRule, bucket: RateBucket, user_id: int | None, rid: str
) -> Response | None:
    """The answer an injected fault gives instead of the real one (None: drop the connection).

    ``slow`` is not handled here: it delays, then the real answer goes out.
    """
    params = rule.params
    if rule.kind == "reset":
        return None
    if rule.kind == "rate_limit":
        reset = int(time.time() + float(params.get("reset_in_s", 2)))
        return exhausted(RateBucket(bucket.limit, bucket.limit, reset), user_id, rid)
    if rule.kind in ("secondary_rate_limit", "retry_after"):
        secondary = rule.kind == "secondary_rate_limit"
        wait = params.get("retry_after" if secondary else "seconds", 1)
        response = error(
            403 if secondary else 429,
            _SECONDARY.format(rid=rid),
            RATE_DOC,
            **{"Retry-After": str(int(wait))},
        )
        return with_rate(response, bucket)
    if rule.kind == "server_error":
        status = int(params.get("status", 500))
        return error(status, _SERVER_ERRORS.get(status, "Server Error"))
    # malformed_json: a 200 whose body stops mid-object
    return Response(200, b'{"total_count": 1, "workflow_runs": [{"id": 1, "name": "CI"', {})


class Responder(Protocol):
    """What the HTTP handler needs from the emulator."""

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> Response | None: ...


class Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that remembers open connections so ``stop`` can cut them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type, emulator: Responder) -> None:
        self.emulator = emulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open(self) -> None:
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive (PyGithub reuses one requests.Session); never logs (tokens)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60
    server: Server

    def version_string(self) -> str:
        return "GitHub.com"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        response = self.server.emulator.respond(method, self.path, self.headers)
        if response is None:
            self._drop()
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and response.status != 304:
            self.wfile.write(response.body)

    def _drop(self) -> None:
        """Close with a TCP reset and no answer (the ``reset`` fault)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Silent: request lines may reveal more than we want in a log."""
