"""EnvOnceSession: the proxy environment read once per host, with requests' own answers."""

from __future__ import annotations

import pytest
import requests

from core.github import sessions
from core.github.sessions import EnvOnceSession, download_session

URLS = [
    "https://api.github.com/repos/o/r/actions/runs",
    "https://results.blob.example.net/logs/1?sig=x",
    "http://127.0.0.1:8080/repos/o/r",
]
ENVIRONMENTS = [
    {},
    {"HTTPS_PROXY": "http://proxy.corp:3128", "HTTP_PROXY": "http://user:pw@proxy.corp:3128"},
    {"HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "api.github.com,127.0.0.1"},
    {"ALL_PROXY": "socks5://proxy.corp:1080", "REQUESTS_CA_BUNDLE": "/etc/corp-ca.pem"},
]
PROXY_VARIABLES = [
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
]


@pytest.fixture()
def clean_environment(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("url", URLS)
def test_given_a_proxy_environment_when_merged_then_settings_equal_requests_own(
    clean_environment, environment, url
):
    for name, value in environment.items():
        clean_environment.setenv(name, value)

    ours = EnvOnceSession().merge_environment_settings(url, {}, None, None, None)
    theirs = requests.Session().merge_environment_settings(url, {}, None, None, None)

    assert ours == theirs


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_given_a_redirect_when_proxies_are_rebuilt_then_they_equal_requests_own(
    clean_environment, environment
):
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    ours = requests.Request("GET", "http://results.blob.example.net/x").prepare()
    theirs = ours.copy()

    rebuilt = EnvOnceSession().rebuild_proxies(ours, {})

    assert rebuilt == requests.Session().rebuild_proxies(theirs, {})
    assert ours.headers == theirs.headers  # Proxy-Authorization set or left out alike


def test_given_many_requests_to_one_host_when_merged_then_the_environment_is_read_once(
    clean_environment,
):
    clean_environment.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    reads = []
    real = sessions.get_environ_proxies
    clean_environment.setattr(
        sessions, "get_environ_proxies", lambda url, no_proxy=None: reads.append(url) or real(url)
    )
    session = EnvOnceSession()

    answers = [
        session.merge_environment_settings(f"{URLS[0]}?page={n}", {}, None, None, None)
        for n in range(5)
    ]
    session.merge_environment_settings(URLS[1], {}, None, None, None)

    assert len(reads) == 2  # one per host
    assert all(a["proxies"]["https"] == "http://proxy.corp:3128" for a in answers)


def test_given_a_download_session_when_used_then_no_credentials_come_from_netrc(
    clean_environment, tmp_path
):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine results.blob.example.net login me password secret\n")
    clean_environment.setenv("NETRC", str(netrc))
    request = requests.Request("GET", "https://results.blob.example.net/x?sig=1")

    prepared = download_session().prepare_request(request)

    assert "Authorization" not in prepared.headers
    assert "Authorization" in requests.Session().prepare_request(request).headers  # as a check


def test_given_a_github_source_when_built_then_pygithub_connects_through_an_env_once_session():
    from core.config import Settings
    from core.github.source import GitHubSource

    source = GitHubSource(Settings().with_(github_base_url="http://127.0.0.1:9", github_token="t"))
    # PyGithub keeps it under a private name: this fails (rather than silently slowing every
    # request) if an upgrade moves it
    connection_class = source._requester._Requester__connectionClass

    assert getattr(connection_class, "env_once", False)
    assert isinstance(connection_class("127.0.0.1", 9).session, EnvOnceSession)


class _Recording(requests.adapters.BaseAdapter):
    """A transport that answers every request with a 302 and keeps what it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[requests.PreparedRequest, dict]] = []

    def send(self, request, **kwargs):  # type: ignore[override]
        self.sent.append((request, kwargs))
        response = requests.Response()
        response.status_code, response.url, response.request = 302, request.url, request
        response.headers["Location"] = "https://results.blob.example.net/next?sig=2"
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_given_a_direct_get_when_sent_then_the_transport_gets_what_get_would_give_it(
    clean_environment, environment
):
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    headers = {"Authorization": "token t", "User-Agent": "PyGithub/Python"}
    direct, usual = download_session(), download_session()
    for session in (direct, usual):
        session.mount("https://", _Recording())

    answer = direct.get_direct(URLS[0], headers=headers, timeout=7, stream=False)
    usual.get(URLS[0], headers=headers, timeout=7, stream=False, allow_redirects=False)

    assert answer.status_code == 302 and answer.headers["Location"].endswith("sig=2")
    (ours, our_settings), (theirs, their_settings) = [
        session.get_adapter(URLS[0]).sent[0] for session in (direct, usual)
    ]
    assert (ours.method, ours.url, dict(ours.headers)) == (
        theirs.method,
        theirs.url,
        dict(theirs.headers),
    )
    assert our_settings == their_settings  # proxies, CA bundle, timeout, stream


def test_given_a_ca_bundle_when_a_plain_http_get_is_sent_then_no_bundle_is_looked_at(
    clean_environment,
):
    """Plain HTTP (the local emulator) has no certificate to verify; an HTTPS request still
    gets the bundle, as requests' own get would give it."""
    clean_environment.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    session = download_session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, _Recording())

    session.get_direct(URLS[2], timeout=7, stream=False)
    session.get_direct(URLS[0], timeout=7, stream=False)

    assert session.get_adapter(URLS[2]).sent[0][1]["verify"] is True
    assert session.get_adapter(URLS[0]).sent[0][1]["verify"] == "/etc/corp-ca.pem"
