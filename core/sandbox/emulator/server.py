"""A local GitHub REST API emulator serving one or more dumps (the demo and the tests).

The real PyGithub client talks to it exactly as to api.github.com, so the demo and production
differ only by base URL and token. It answers the Actions endpoints CI Medic syncs from (runs,
attempts, jobs, logs, artifacts, commits, contents) with GitHub's paths, JSON shapes, status
codes, error bodies, Link headers, ETags and rate-limit headers.

Faults (``emulator.faults.add(kind, path=regex, times=1, after=0, **params)``):

- ``rate_limit``: 403 "API rate limit exceeded", ``X-RateLimit-Remaining: 0`` and a reset
  ``reset_in_s`` (default 2) seconds ahead.
- ``secondary_rate_limit``: 403 with ``Retry-After: retry_after`` (default 1).
- ``retry_after``: 429 with ``Retry-After: seconds`` (default 1).
- ``server_error``: ``status`` 500 (default), 502, 503 or 504.
- ``slow``: sleep ``delay_s`` (default 1.0), then answer normally.
- ``malformed_json``: 200 with a truncated JSON body.
- ``reset``: close the connection without answering.

Time travel (``set_now(t)``, None = everything) shows the repository as it was at ``t``: runs
created after ``t`` are hidden; an attempt started after ``t`` is hidden, so the run shows its
previous attempt as latest; an attempt not finished by ``t`` shows ``in_progress`` (``queued``
before its start), conclusion null, ``updated_at = t``, its jobs in_progress/queued with
unfinished steps, no artifacts, and 404 for the logs of unfinished jobs.
Run ``python -m core.sandbox.emulator.server DUMP [DUMP...] [--port N]`` to serve dumps until
Ctrl-C (or, with ``--exit-with-stdin``, until its standard input closes: the demo starts it so,
and it ends with the app whichever way the app ends).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import threading
import time
import traceback
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from core.dump.files import Dump
from core.errors import ConfigError
from core.sandbox.emulator.data import RepoData
from core.sandbox.emulator.downloads import DOWNLOAD_PREFIX, serve_download
from core.sandbox.emulator.faults import FaultPlan, RateLimiter, RequestRecord, Rerun, token_hash
from core.sandbox.emulator.http_io import (
    Handler,
    Response,
    Server,
    error,
    exhausted,
    fault_response,
    json_response,
    rate_limit_body,
    with_rate,
)
from core.sandbox.emulator.routes import REPO_ROUTES
from core.sandbox.emulator.site_state import Ctx, Site

__all__ = ["Emulator", "main"]

DumpLike = str | Path | Dump


def _as_dumps(dumps: DumpLike | Sequence[DumpLike]) -> list[Dump]:
    items = [dumps] if isinstance(dumps, str | Path | Dump) else list(dumps)
    return [item if isinstance(item, Dump) else Dump(item) for item in items]


def _full_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token(header: str | None) -> str | None:
    """The token of ``Authorization: token X`` or ``Bearer X`` (None when absent)."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    return None


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


class Emulator:
    """A loopback GitHub REST API over dumps; see the module docs for faults and time travel."""

    def __init__(
        self,
        dumps: DumpLike | Sequence[DumpLike],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        valid_tokens: Collection[str] | None = None,
        denied_tokens: Collection[str] = (),
        rate_limit: int = 5000,
        latency_s: float = 0.0,
        search_cap: int | None = 1000,
    ) -> None:
        loaded = [RepoData(dump) for dump in _as_dumps(dumps)]
        self._data = {data.key: data for data in loaded}
        if len(self._data) != len(loaded):
            raise ConfigError("Two dumps hold the same repository; serve each full_name once.")
        self.host, self.port = host, port
        # only hashes are kept: the emulator never holds a token in plain text
        self._valid = None if valid_tokens is None else {_full_hash(t) for t in valid_tokens}
        self._denied = {_full_hash(t) for t in denied_tokens}
        self.rate = RateLimiter(rate_limit)
        self.latency_s = latency_s
        self.search_cap = search_cap
        self.faults = FaultPlan()
        self.base_url = ""
        self._sites: dict[str, Site] = {}
        self._by_id: dict[str, Site] = {}
        self._requests: list[RequestRecord] = []
        self._reruns: list[Rerun] = []
        self._lock = threading.Lock()
        self._now: float | None = None
        self._ids = itertools.count(0x1A2B0000)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind (port 0: any free port), then serve on a daemon thread."""
        if self._server is not None:
            return self
        self._server = Server((self.host, self.port), Handler, self)
        self.port = self._server.server_address[1]
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        self.base_url = f"http://{shown}:{self.port}"
        self._sites = {key: Site(data, self.base_url) for key, data in self._data.items()}
        self._by_id = {str(s.data.repo.get("id")): s for s in self._sites.values()}
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name=f"github-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections (pooled clients see a reset)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- inspection and control ---------------------------------------------------------------

    @property
    def full_names(self) -> list[str]:
        return [data.full_name for data in self._data.values()]

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request answered so far (tokens only as short hashes)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def reruns(self) -> list[Rerun]:
        with self._lock:
            return list(self._reruns)

    def reset_rate_limits(self) -> None:
        self.rate.reset()

    @property
    def now(self) -> datetime | None:
        return None if self._now is None else datetime.fromtimestamp(self._now, UTC)

    def set_now(self, when: datetime | str | None) -> None:
        """View the repository as it was at ``when`` (naive means UTC); None shows everything."""
        if isinstance(when, str):
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        self._now = None if when is None else when.timestamp()

    # --- request pipeline ----------------------------------------------------------------------

    def _record(self, method: str, target: str, status: int, th: str | None) -> None:
        with self._lock:
            self._requests.append(RequestRecord(method, target, status, th, time.time()))

    def _add_rerun(self, rerun: Rerun) -> None:
        with self._lock:
            self._reruns.append(rerun)

    def _user_id(self, token: str | None) -> int | None:
        return None if token is None else int(token_hash(token)[:7], 16)

    def _request_id(self) -> str:
        return f"{next(self._ids):X}:{self.port:X}"

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> Response | None:
        """Answer one request (None: drop the connection); records it."""
        token = _token(headers.get("Authorization"))
        if self.latency_s:
            time.sleep(self.latency_s)
        rule = self.faults.match(target)
        if rule is not None and rule.kind == "slow":
            time.sleep(float(rule.params.get("delay_s", 1.0)))
            rule = None
        if rule is None:
            response = self._safe_answer(method, target, headers, token)
        else:
            bucket = self.rate.peek(token_hash(token))
            response = fault_response(rule, bucket, self._user_id(token), self._request_id())
        if response is not None:
            response.headers.setdefault("X-GitHub-Request-Id", self._request_id())
        status = 0 if response is None else response.status
        self._record(method, target, status, token_hash(token))
        return response

    def _safe_answer(
        self, method: str, target: str, headers: Mapping[str, str], token: str | None
    ) -> Response:
        """A bug in a handler becomes GitHub's 500 (traceback on stderr), not a dead socket."""
        try:
            return self._answer(method, target, headers, token)
        except Exception:  # the server must keep answering
            traceback.print_exc()
            return error(500, "Server Error")

    def _answer(
        self, method: str, target: str, headers: Mapping[str, str], token: str | None
    ) -> Response:
        """Auth, rate limit, routing and conditional requests, in GitHub's order."""
        path, _, raw_query = target.partition("?")
        path = unquote(path)
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        if path.startswith(DOWNLOAD_PREFIX):
            return serve_download(self._sites, path, query)
        if token is not None and self._valid is not None and _full_hash(token) not in self._valid:
            return error(401, "Bad credentials")
        key = token_hash(token)
        if path.rstrip("/") == "/rate_limit":
            body = rate_limit_body(self.rate.peek(key), token is not None)
            return with_rate(json_response(body), self.rate.peek(key))
        if self.rate.peek(key).remaining == 0:
            return exhausted(self.rate.peek(key), self._user_id(token), self._request_id())
        response = self._dispatch(method, path, raw_query, query, token)
        if response.status == 200 and response.content_type.startswith("application/json"):
            etag = '"' + hashlib.sha256(response.body).hexdigest() + '"'
            response.headers["ETag"] = etag
            if _etag_matches(headers.get("If-None-Match"), etag):
                # GitHub: a 304 does not count against the rate limit
                return with_rate(Response(304, b"", {"ETag": etag}), self.rate.peek(key))
        bucket = self.rate.consume(key) if response.counted else self.rate.peek(key)
        return with_rate(response, bucket)

    def _dispatch(
        self, method: str, path: str, raw_query: str, query: dict[str, str], token: str | None
    ) -> Response:
        site, rest = self._site_for(path)
        if path.rstrip("/") == "/user" and method == "GET":
            return self._user(token)
        if site is None:
            return error(404, "Not Found")
        if rest and token is not None and _full_hash(token) in self._denied:
            return error(
                403,
                "Resource not accessible by integration",
                "actions/workflow-runs#list-workflow-runs-for-a-repository",
            )
        for verb, pattern, handler in REPO_ROUTES:
            match = pattern.match(rest) if verb == method else None
            if match is not None:
                ctx = Ctx(
                    site,
                    site.data.view(self._now),
                    self._now,
                    query,
                    raw_query,
                    path,
                    token_hash(token),
                    self._add_rerun,
                    self.search_cap,
                )
                args = {k: v for k, v in match.groupdict().items() if v is not None}
                return handler(ctx, **args)
        return error(404, "Not Found")

    def _site_for(self, path: str) -> tuple[Site | None, str]:
        """The repository a path addresses (``/repos/o/r`` or ``/repositories/id``) and the rest."""
        parts = path.split("/")
        if len(parts) >= 4 and parts[1] == "repos":
            site = self._sites.get(f"{parts[2]}/{parts[3]}".lower())
            rest = "/".join(["", *parts[4:]]) if len(parts) > 4 else ""
            return site, rest.rstrip("/")
        if len(parts) >= 3 and parts[1] == "repositories":
            rest = "/".join(["", *parts[3:]]) if len(parts) > 3 else ""
            return self._by_id.get(parts[2]), rest.rstrip("/")
        return None, ""

    def _user(self, token: str | None) -> Response:
        """:calls: GET /user — who the token belongs to (enough to validate a token)."""
        if token is None:
            return error(401, "Requires authentication", "users/users#get-the-authenticated-user")
        login = f"user-{token_hash(token)[:6]}"
        return json_response(
            {
                "login": login,
                "id": int(token_hash(token)[:7], 16),
                "type": "User",
                "url": f"{self.base_url}/users/{login}",
                "html_url": f"https://github.com/{login}",
                "site_admin": False,
            }
        )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m core.sandbox.emulator.server DUMP [DUMP...] [--port N] [--host H]``: serve until
    Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m core.sandbox.emulator.server",
        description="Serve dumps through GitHub's REST API.",
    )
    parser.add_argument("dumps", nargs="+", help="dump folders (see shared/design/github-dump.md)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--rate-limit", type=int, default=5000)
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="stop when standard input closes (the process that started it ended)",
    )
    args = parser.parse_args(argv)
    emulator = Emulator(
        args.dumps,
        host=args.host,
        port=args.port,
        latency_s=args.latency,
        rate_limit=args.rate_limit,
    ).start()
    print(emulator.base_url, flush=True)
    for name in emulator.full_names:
        print(f"  serving {name}: {emulator.base_url}/repos/{name}", file=sys.stderr, flush=True)
    stop = threading.Event()
    if args.exit_with_stdin:
        threading.Thread(target=_set_at_eof, args=(stop,), daemon=True).start()
    try:
        while not stop.wait(1.0):  # a timed wait: Ctrl-C interrupts it everywhere
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def _set_at_eof(stop: threading.Event) -> None:
    """Set ``stop`` once standard input closes: the parent holds the other end of the pipe, so
    it closes when the parent ends, even killed (no signal or pid file needed)."""
    while sys.stdin.buffer.read(1 << 12):
        pass
    stop.set()


if __name__ == "__main__":
    raise SystemExit(main())
