"""HTTP sessions that read the proxy environment once per host instead of once per request.

``requests`` looks at ``HTTPS_PROXY``/``NO_PROXY``/``REQUESTS_CA_BUNDLE`` (walking the whole
environment twice) on every request it sends: measured at ~1.5 ms a request, about a fifth of
a log fetch against the local emulator. The environment does not change while a source is in
use, so :class:`EnvOnceSession` asks it once per scheme and host and then reuses the answer:
proxies and a CA bundle set by the user are honoured exactly as before, only not re-read.

:func:`use_env_once_sessions` gives PyGithub's requester such a session (PyGithub builds its
own ``requests.Session`` inside its connection object and offers no way to pass one in).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import _basic_auth_str
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import get_auth_from_url, get_environ_proxies

__all__ = ["EnvOnceSession", "download_session", "use_env_once_sessions"]

_CONNECTION_CLASS = "_Requester__connectionClass"  # PyGithub's (name-mangled) attribute


class EnvOnceSession(requests.Session):
    """A ``requests.Session`` whose environment settings (proxies, CA bundle) are read once per
    scheme and host; everything else is ``requests``' own behaviour."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[str, str], tuple[dict[str, str], str | None]] = {}

    def merge_environment_settings(
        self,
        url: str,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> dict[str, Any]:
        """``requests.Session.merge_environment_settings`` with the environment cached."""
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        env_proxies, bundle = self._from_environment(url, no_proxy)
        if proxies is not None:
            for key, value in env_proxies.items():
                proxies.setdefault(key, value)
        if verify is True or verify is None:
            verify = bundle or verify
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }

    def rebuild_proxies(self, prepared_request: Any, proxies: Any) -> dict[str, str]:
        """``requests.Session.rebuild_proxies`` with the environment cached. Called for every
        redirect response, followed or not (a 302 answered to PyGithub, which follows none, is
        one per log and per artifact)."""
        if not self.trust_env:
            return super().rebuild_proxies(prepared_request, proxies)
        url = prepared_request.url
        scheme = urlsplit(url).scheme
        proxies = dict(proxies or {})
        env_proxies, _bundle = self._from_environment(url, proxies.get("no_proxy"))
        proxy = env_proxies.get(scheme, env_proxies.get("all"))
        if proxy:
            proxies.setdefault(scheme, proxy)
        headers = prepared_request.headers
        headers.pop("Proxy-Authorization", None)
        username, password = get_auth_from_url(proxies[scheme]) if scheme in proxies else ("", "")
        if not scheme.startswith("https") and username and password:  # never into a TLS tunnel
            headers["Proxy-Authorization"] = _basic_auth_str(username, password)
        return proxies

    def get_direct(
        self, url: str, *, headers: dict[str, str] | None = None, timeout: float, stream: bool
    ) -> requests.Response:
        """One GET of ``url`` handed straight to the transport adapter, its redirect (if any)
        returned, not followed; the session's headers, auth hook, proxies and CA bundle as
        :meth:`get` would use them.

        Why: ``Session.request`` merges cookie jars, hooks and settings for every call, and
        for an unfollowed redirect prepares the request it would follow (auth rebuilt from
        ``~/.netrc``, cookies extracted): a pre-signed download and an API call answered with
        a 302 need none of it (measured through GitHubSource against the local emulator:
        0.42 -> 0.35 ms of CPU a download, 0.49 -> 0.37 ms a 302)."""
        prepared = requests.Request(
            "GET",
            url,
            headers=merge_setting(headers, self.headers, dict_class=CaseInsensitiveDict),
            auth=self.auth,
        ).prepare()
        settings = self.merge_environment_settings(url, {}, stream, None, None)
        # plain HTTP (the local emulator) has no certificate to verify: a CA bundle's path
        # would only cost a look at the file system per request (requests asks whether it is
        # a folder: ~4% of a report fetch's CPU where REQUESTS_CA_BUNDLE is set)
        verify = settings["verify"] if prepared.url and prepared.url.startswith("https") else True
        response = self.get_adapter(url).send(
            prepared,
            stream=stream,
            timeout=timeout,
            verify=verify,
            cert=settings["cert"],
            proxies=settings["proxies"],
        )
        if not stream:  # read now: the connection goes back to the pool, as Session.send does
            _ = response.content
        return response

    def _from_environment(
        self, url: str, no_proxy: str | None
    ) -> tuple[dict[str, str], str | None]:
        """(proxies for ``url``'s host, CA bundle): asked once per scheme and host (a
        per-request ``no_proxy`` is rare and not cached)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if no_proxy is None and key in self._environment:
            return self._environment[key]
        found = (
            get_environ_proxies(url, no_proxy=no_proxy),
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"),
        )
        if no_proxy is None:
            self._environment[key] = found
        return found


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def download_session() -> EnvOnceSession:
    """A session for pre-signed download URLs: they carry their own signature, so no
    credentials are added (an ``auth`` set here also stops ``requests`` from reading
    ``~/.netrc`` on every download, as PyGithub does for the API)."""
    session = EnvOnceSession()
    session.auth = _no_auth
    return session


def use_env_once_sessions(requester: Any) -> bool:
    """Make PyGithub's ``requester`` build its connections on an :class:`EnvOnceSession`.

    Returns False (and changes nothing: requests then only reads the environment more often)
    when this PyGithub keeps its connection class elsewhere.
    """
    base = getattr(requester, _CONNECTION_CLASS, None)
    if not isinstance(base, type) or getattr(base, "env_once", False):
        return False

    class EnvOnceConnection(base):  # type: ignore[misc, valid-type]
        """PyGithub's connection with its session swapped for an :class:`EnvOnceSession`
        (same auth hook and adapters, so the same pooling and retries)."""

        env_once = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            session = EnvOnceSession()
            session.auth = self.session.auth
            for prefix, adapter in self.session.adapters.items():
                session.mount(prefix, adapter)
            self.session = session

    setattr(requester, _CONNECTION_CLASS, EnvOnceConnection)
    return True
