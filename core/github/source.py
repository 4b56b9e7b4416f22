"""The only door to GitHub: PyGithub's requester, with counting, a budget, retries and errors
translated into sentences a user can act on.

Every call goes through :meth:`GitHubSource._get`, which
- counts the request and refuses to exceed the request budget (``BudgetExhausted``),
- sends ``If-None-Match`` when asked and reports a 304 as ``None`` (free on GitHub),
- retries 5xx, dropped connections and malformed bodies with exponential backoff and jitter,
- waits out a primary or secondary rate limit *visibly* (``on_wait`` ticks every second) or
  raises ``RateLimited`` when the wait would exceed ``max_rate_limit_wait_s``,
- maps 401/403/404 to ``BadCredentials`` / ``AccessDenied`` / ``RepoNotFound``.
The token goes to PyGithub's ``Auth.Token`` and nowhere else: no message here contains it. A
token holding a line break or a space is refused before any request (``requests`` would print
the whole ``Authorization`` header in its ``InvalidHeader`` error), and any other error that
mentions the token is re-raised as a ``SourceError`` with the token replaced by ``[REDACTED]``.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
from github import Auth, Consts, Github
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.wait import wait_exponential_jitter

from core.config import Settings
from core.errors import (
    AccessDenied,
    BadCredentials,
    BudgetExhausted,
    MalformedResponse,
    RateLimited,
    RepoNotFound,
    SourceError,
)
from core.github.downloads import Downloader
from core.github.sessions import download_session, use_env_once_sessions

__all__ = ["GitHubSource", "RunsPage", "Waiter"]

Waiter = Callable[[float, str], None]
"""Called every second while waiting: (seconds left, sentence for the user)."""

MAX_ATTEMPTS = 6


class _Retryable(SourceError):
    """A failure worth another try after ``wait_s`` (None = exponential backoff)."""

    def __init__(self, message: str, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


class _Unprocessable(SourceError):
    """422: e.g. ``No commit found for SHA`` (a commit force-pushed away)."""


@dataclass(frozen=True)
class RunsPage:
    """One page of ``GET /repos/{owner}/{repo}/actions/runs``."""

    runs: list[dict[str, Any]]
    total_count: int
    etag: str | None
    not_modified: bool = False


class GitHubSource:
    """Reads one GitHub (or emulator) API; ``requests_made`` counts every HTTP request sent."""

    def __init__(
        self,
        settings: Settings,
        on_wait: Waiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.requests_made = 0
        self._budget_start = 0
        self.on_wait = on_wait or (lambda _left, _msg: None)
        self._sleep = sleep
        token = settings.github_token.reveal()
        self._token_forms = _token_forms(token)
        self._token_malformed = any(c.isspace() or not c.isprintable() for c in token)
        auth = Auth.Token(token) if settings.github_token else None
        self._github = Github(
            base_url=settings.github_base_url.rstrip("/"),
            auth=auth,
            per_page=100,
            timeout=int(settings.http_timeout_s),
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
        )
        self._requester = self._github.requester
        use_env_once_sessions(self._requester)
        # a 302 (a log's or artifact's download URL) is asked past PyGithub, with the headers
        # its requester sends (see _send_direct); main thread only, like every API call
        self._api_base = settings.github_base_url.rstrip("/")
        self._api_headers = {"User-Agent": Consts.DEFAULT_USER_AGENT}
        if auth is not None:
            auth.authentication(self._api_headers)
        self._api_session = download_session()
        # pre-signed downloads run elsewhere (core.github.downloads: a session per thread of
        # whichever process), counted here by count_download under a lock
        self._count_lock = threading.Lock()

    def new_budget(self) -> None:
        """Start counting the request budget afresh (each sync or ingestion gets its own)."""
        self._budget_start = self.requests_made

    # -- endpoints ---------------------------------------------------------------------------
    def repository(self, repo: str) -> dict[str, Any]:
        """:calls: GET /repos/{owner}/{repo}"""
        return self._get_json(f"/repos/{repo}", repo=repo)

    def workflows(self, repo: str) -> list[dict[str, Any]]:
        """:calls: GET /repos/{owner}/{repo}/actions/workflows (all pages)"""
        return self._all_pages(f"/repos/{repo}/actions/workflows", "workflows", repo)

    def runs_page(self, repo: str, page: int, etag: str | None = None) -> RunsPage:
        """:calls: GET /repos/{owner}/{repo}/actions/runs?per_page=100&page=N (conditional)"""
        headers = {"If-None-Match": etag} if etag else None
        result = self._get(
            f"/repos/{repo}/actions/runs",
            {"per_page": 100, "page": page},
            headers=headers,
            repo=repo,
        )
        if result is None:
            return RunsPage([], 0, etag, not_modified=True)
        data, response_headers = result
        runs = _expect_list(data, "workflow_runs")
        return RunsPage(runs, int(data.get("total_count") or 0), _etag(response_headers))

    def count_runs(self, repo: str, start: datetime, end: datetime) -> int:
        """How many runs GitHub holds created in ``[start, end)`` (``total_count``, one request).

        :calls: GET /repos/{owner}/{repo}/actions/runs?created=A..B&per_page=1
        """
        data = self._get_json(
            f"/repos/{repo}/actions/runs",
            {"created": _created_range(start, end), "per_page": 1},
            repo=repo,
        )
        return int(data.get("total_count") or 0)

    def runs_created(self, repo: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every run created in ``[start, end)``, newest first (GitHub lists at most 1,000 runs
        of a search: ask for short periods).

        :calls: GET /repos/{owner}/{repo}/actions/runs?created=A..B&per_page=100&page=N
        """
        created = _created_range(start, end)
        runs: list[dict[str, Any]] = []
        for page in range(1, 11):
            data = self._get_json(
                f"/repos/{repo}/actions/runs",
                {"created": created, "per_page": 100, "page": page},
                repo=repo,
            )
            batch = _expect_list(data, "workflow_runs")
            runs.extend(batch)
            if len(batch) < 100 or len(runs) >= int(data.get("total_count") or 0):
                break
        return runs

    def run(self, repo: str, run_id: int, attempt: int | None = None) -> dict[str, Any]:
        """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}[/attempts/{attempt}]"""
        path = f"/repos/{repo}/actions/runs/{run_id}"
        return self._get_json(path if attempt is None else f"{path}/attempts/{attempt}", repo=repo)

    def jobs(self, repo: str, run_id: int, attempt: int) -> list[dict[str, Any]]:
        """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs"""
        path = f"/repos/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs"
        return self._all_pages(path, "jobs", repo)

    def commit(self, repo: str, sha: str) -> dict[str, Any] | None:
        """:calls: GET /repos/{owner}/{repo}/commits/{sha} (None when the commit is gone)"""
        try:
            return self._get_json(f"/repos/{repo}/commits/{sha}", repo=repo)
        except (RepoNotFound, _Unprocessable):
            return None

    def job_log_url(self, repo: str, job_id: int) -> str | None:
        """:calls: GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs (its 302 target; None
        when the log expired). An API call: make these one at a time."""
        return self._redirect(f"/repos/{repo}/actions/jobs/{job_id}/logs", repo)

    def repository_file(self, repo: str, path: str) -> bytes | None:
        """:calls: GET /repos/{owner}/{repo}/contents/{path}

        The file's bytes at the default branch; None when there is none (404), when the path
        is a folder, or when the file is over the 1 MB this endpoint returns inline.
        """
        try:
            data = self._retrying(self._attempt_any, f"/repos/{repo}/contents/{quote(path)}", repo)
        except RepoNotFound:
            return None
        if not isinstance(data, dict) or data.get("type", "file") != "file":
            return None
        if data.get("encoding") != "base64":
            return None
        try:
            return base64.b64decode(str(data.get("content") or ""))
        except (binascii.Error, ValueError):
            raise MalformedResponse(
                f"GitHub sent {path} of {repo} in a damaged encoding."
            ) from None

    def run_artifacts(self, repo: str, run_id: int) -> list[dict[str, Any]]:
        """:calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"""
        return self._all_pages(f"/repos/{repo}/actions/runs/{run_id}/artifacts", "artifacts", repo)

    def artifacts_page(self, repo: str, page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of the repository's artifacts, newest first, and ``total_count``: 100
        artifacts a request where :meth:`run_artifacts` asks once per run, however few the
        run has (most runs have fewer than ten; many have none).

        :calls: GET /repos/{owner}/{repo}/actions/artifacts?per_page=100&page=N
        """
        data = self._get_json(
            f"/repos/{repo}/actions/artifacts", {"per_page": 100, "page": page}, repo=repo
        )
        return _expect_list(data, "artifacts"), int(data.get("total_count") or 0)

    def artifact_url(self, repo: str, artifact_id: int) -> str | None:
        """:calls: GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip (its 302
        target, valid for about a minute; None when the artifact expired). An API call: make
        these one at a time."""
        return self._redirect(f"/repos/{repo}/actions/artifacts/{artifact_id}/zip", repo)

    @property
    def downloader(self) -> Downloader:
        """What fetches the URL a :meth:`job_log_url` or :meth:`artifact_url` answered (no API
        request: safe on several threads or processes at once), as a value another process
        can use (see :mod:`core.github.downloads`); call :meth:`count_download` per download."""
        return Downloader(self.settings.http_timeout_s)

    def count_download(self) -> None:
        """Count one pre-signed download in :attr:`requests_made` (thread-safe)."""
        with self._count_lock:
            self.requests_made += 1

    @property
    def rate_limit(self) -> tuple[int, int]:
        """(remaining, limit) as last reported by the server's X-RateLimit headers."""
        return self._requester.rate_limiting

    # -- plumbing ----------------------------------------------------------------------------
    def _all_pages(self, path: str, key: str, repo: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self._get_json(path, {"per_page": 100, "page": page}, repo=repo)
            batch = _expect_list(data, key)
            items.extend(batch)
            if len(batch) < 100 or len(items) >= int(data.get("total_count") or 0):
                return items
            page += 1

    def _get_json(
        self, path: str, params: dict[str, Any] | None = None, repo: str = ""
    ) -> dict[str, Any]:
        result = self._get(path, params, repo=repo)
        assert result is not None  # no If-None-Match was sent
        return result[0]

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        repo: str = "",
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """GET with retries; None on 304. Every attempt counts against the budget."""
        return self._retrying(self._attempt, path, params, headers, repo)

    def _retrying(self, attempt: Callable[..., Any], *args: Any) -> Any:
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(MAX_ATTEMPTS),
            wait=self._wait_for,
            sleep=self._sleep_visibly,
            reraise=True,
        )
        try:
            return retrying(attempt, *args)
        except _Retryable as exc:
            raise SourceError(f"{exc} Gave up after {MAX_ATTEMPTS} attempts.") from None

    def _attempt(
        self, path: str, params: dict[str, Any] | None, headers: dict[str, str] | None, repo: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        status, response_headers, body = self._send(path, params, headers)
        if status == 304:
            return None
        if status >= 400:
            raise self._error(status, response_headers, body, repo)
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            raise _Retryable(f"GitHub sent a malformed JSON body for {path}.") from None
        if not isinstance(data, dict):
            raise _Retryable(f"GitHub sent an unexpected body for {path}.")
        return data, response_headers

    def _attempt_any(self, path: str, repo: str) -> Any:
        """One GET whose JSON body may be an object or a list (the contents API answers a
        folder with a list)."""
        status, response_headers, body = self._send(path, None, None)
        if status >= 400:
            raise self._error(status, response_headers, body, repo)
        try:
            return json.loads(body) if body else None
        except ValueError:
            raise _Retryable(f"GitHub sent a malformed JSON body for {path}.") from None

    def _send(
        self, path: str, params: dict[str, Any] | None, headers: dict[str, str] | None
    ) -> tuple[int, dict[str, Any], str]:
        self._count_request()
        try:
            return self._requester.requestJson("GET", path, params, headers)
        except Exception as exc:
            raise self._transport_error(exc) from None

    def _send_direct(self, path: str) -> tuple[int, dict[str, Any], str]:
        """A GET of ``path`` like :meth:`_send` (counted, budgeted, errors translated) whose
        redirect is returned, not followed, sent without PyGithub's requester: for the 302s
        that every log and artifact costs (see ``EnvOnceSession.get_direct``). The answers
        PyGithub handles itself (202: wait and ask again; 301: a renamed repository) are
        asked again through it."""
        self._count_request()
        try:
            response = self._api_session.get_direct(
                self._api_base + path,
                headers=self._api_headers,
                timeout=self.settings.http_timeout_s,
                stream=False,
            )
        except Exception as exc:
            raise self._transport_error(exc) from None
        if response.status_code in (202, 301):
            return self._send(path, None, None)
        headers = {key.lower(): value for key, value in response.headers.items()}
        if "x-ratelimit-remaining" in headers and "x-ratelimit-limit" in headers:
            self._requester.rate_limiting = (  # what rate_limit says, as PyGithub keeps it
                int(float(headers["x-ratelimit-remaining"])),
                int(float(headers["x-ratelimit-limit"])),
            )
        body = response.text if response.status_code >= 400 else ""  # only errors read it
        return response.status_code, headers, body

    def _count_request(self) -> None:
        """Count one request, refusing it beyond the budget or with a malformed token."""
        if self.requests_made - self._budget_start >= self.settings.request_budget:
            raise BudgetExhausted(
                f"Stopped at the request budget of {self.settings.request_budget} requests; "
                "run the sync again to continue where it stopped."
            )
        if self._token_malformed:  # requests would print the whole header in its error
            raise BadCredentials(
                "The GitHub token contains a line break, a space or a control character, which "
                "no GitHub token has: copy it again into CI_MEDIC_GITHUB_TOKEN or the app's "
                "secrets."
            )
        with self._count_lock:
            self.requests_made += 1

    def _transport_error(self, exc: Exception) -> Exception:
        """What a request that got no answer raises: a retry for a dropped connection or a
        timeout, a sentence without the token for anything else ``requests`` raised."""
        if isinstance(exc, requests.ConnectionError | requests.Timeout):
            return _Retryable(
                f"Could not reach {self.settings.github_base_url} ({type(exc).__name__})."
            )
        text = self._scrub(str(exc))
        if isinstance(exc, requests.RequestException) or text != str(exc):
            return SourceError(f"The request to GitHub failed ({type(exc).__name__}: {text}).")
        return exc

    def _scrub(self, text: str) -> str:
        """``text`` without the token in any form (whole, in pieces, escaped)."""
        for form in self._token_forms:
            text = text.replace(form, "[REDACTED]")
        return text

    def _error(self, status: int, headers: dict[str, Any], body: str, repo: str) -> Exception:
        message = _message(body)
        lowered = message.lower()
        if status == 401:
            return BadCredentials(
                "GitHub rejected the token (401 Bad credentials): set a valid "
                "token in CI_MEDIC_GITHUB_TOKEN or the app's secrets."
            )
        if status == 429 or (
            status == 403
            and ("rate limit" in lowered or headers.get("x-ratelimit-remaining") == "0")
        ):
            return self._rate_limit(headers)
        if status == 403:
            return AccessDenied(
                f"The token may not read {repo or 'this resource'} "
                f"(403: {message or 'Forbidden'}); it needs the 'actions:read' "
                "and 'contents:read' permissions."
            )
        if status in (404, 410):
            return RepoNotFound(
                f"{repo or 'The resource'} was not found (404). Check the "
                "owner/name, and that the token can see private repositories."
            )
        if status >= 500:
            return _Retryable(f"GitHub answered {status} (server error).")
        if status == 422:
            return _Unprocessable(f"GitHub answered 422: {message or 'unprocessable'}.")
        return SourceError(f"GitHub answered {status}: {message or 'no message'}.")

    def _rate_limit(self, headers: dict[str, Any]) -> Exception:
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            wait = float(retry_after)
        else:
            reset = float(headers.get("x-ratelimit-reset") or time.time() + 60)
            wait = max(reset - time.time(), 0) + 1
        if wait > self.settings.max_rate_limit_wait_s:
            until = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait))
            return RateLimited(
                f"GitHub's rate limit is exhausted until {until}"
                f" ({wait:.0f} s, more than the {self.settings.max_rate_limit_wait_s:.0f} s we "
                "wait); everything fetched so far is saved, run it again after the reset.",
                reset_at=time.time() + wait,
            )
        return _Retryable("Rate limit reached", wait_s=wait)

    def _wait_for(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait_s is not None:
            return exc.wait_s
        return wait_exponential_jitter(initial=0.5, max=20, jitter=0.5)(state)

    def _sleep_visibly(self, seconds: float) -> None:
        """Sleep in one-second ticks so the user sees how long is left."""
        left = seconds
        while left > 0:
            self.on_wait(
                left,
                f"Waiting {left:.0f} s before retrying GitHub (rate limit or "
                "server error); nothing is lost.",
            )
            step = min(1.0, left)
            self._sleep(step)
            left -= step

    def _redirect(self, path: str, repo: str) -> str | None:
        """The 302 target of a download endpoint; None when GitHub no longer has the file."""
        return self._retrying(self._attempt_redirect, path, repo)

    def _attempt_redirect(self, path: str, repo: str) -> str | None:
        status, headers, body = self._send_direct(path)
        if status in (404, 410):  # 410 Gone: the log or artifact expired
            return None
        if status >= 400:
            raise self._error(status, headers, body, repo)
        return headers.get("location")


def _token_forms(token: str) -> list[str]:
    """What the token can look like inside an error message, longest first: as is, ``repr``-
    and JSON-escaped (a token holding a newline), and its whitespace-separated pieces."""
    if not token:
        return []
    forms = {token, repr(token)[1:-1], json.dumps(token)[1:-1]}
    forms.update(piece for piece in token.split() if len(piece) >= 4)
    return sorted(forms, key=len, reverse=True)


def _etag(headers: dict[str, Any]) -> str | None:
    return headers.get("etag") or headers.get("ETag")


def _message(body: str) -> str:
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _expect_list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key)
    if not isinstance(items, list):
        raise MalformedResponse(f"GitHub's answer has no '{key}' list; is the base URL right?")
    return items


def _created_range(start: datetime, end: datetime) -> str:
    """GitHub's ``created`` filter for ``[start, end)``: its ranges include both ends, to the
    second, so the last second before ``end`` closes it."""
    first, last = start.astimezone(UTC), (end - timedelta(seconds=1)).astimezone(UTC)
    return f"{first:%Y-%m-%dT%H:%M:%SZ}..{last:%Y-%m-%dT%H:%M:%SZ}"
