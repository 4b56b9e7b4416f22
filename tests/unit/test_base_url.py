"""Issue 13: a GitHub base URL or SQS endpoint whose host names no server is refused where the
settings are checked (``core.config``), with a sentence naming the setting; every usual form of
a real host (names, IPv4 and IPv6 addresses, ports, international names) is taken."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.errors import ConfigError


@pytest.mark.parametrize(
    "url",
    [
        "https://api.github.com",
        "https://github.example.com/api/v3",
        "https://ghe.example.com./api/v3",
        "http://localhost:8080",
        "http://127.0.0.1:9",
        "http://10.0.0.1:65535/api",
        "http://[::1]:8080/api",
        "http://[fe80::1%25eth0]/",
        "http://sqs_local:4566",
        "https://3com.example",
        "https://bücher.example",
        "https://user@ghe.example.com/api/v3",
    ],
)
def test_a_url_naming_a_real_host_is_taken(url):
    assert Settings(github_base_url=url).github_base_url == url
    assert Settings(sqs_endpoint_url=url).sqs_endpoint_url == url


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://exa mple.com", "holds a space or a control character"),
        ("https://example.com /api/v3", "holds a space or a control character"),
        ("https://exa\tmple.com", "holds a space or a control character"),
        ("https://example.com\n", "holds a space or a control character"),
        ("https://ex%20ample.com", "which is no host name"),
        ("https://a..b", "which is no host name"),
        ("https://-ghe.example.com", "which is no host name"),
        ("https://ghe-.example.com", "which is no host name"),
        ("https://" + "a" * 64 + ".example.com", "which is no host name"),
        ("https://ex!ample.com", "which is no host name"),
        ("https://10.0.0.300", "which is no IPv4 address"),
        ("https://123", "which is no IPv4 address"),
        ("http://[::1", "is not a valid URL"),
        ("http://[nothex]/", "is not a valid URL"),
        ("http://ghe.example.com:65536", "Port out of range"),
        ("http://ghe.example.com:0", "has port 0"),
        ("http://ghe.example.com:-1", "is not a valid URL"),
    ],
)
def test_a_url_whose_host_names_no_server_is_refused_with_a_sentence(url, said):
    with pytest.raises(ConfigError) as caught:
        Settings(github_base_url=url)
    message = str(caught.value)
    assert message.startswith(f"The GitHub API base URL {url!r} ") and said in message
    assert message.endswith("such as https://github.example.com/api/v3.")

    with pytest.raises(ConfigError, match="^The SQS endpoint "):
        Settings(sqs_endpoint_url=url)


def test_from_env_refuses_a_base_url_with_a_space_naming_the_variable():
    with pytest.raises(ConfigError, match="CI_MEDIC_GITHUB_BASE_URL"):
        Settings.from_env({"CI_MEDIC_GITHUB_BASE_URL": "https://exa mple.com"})
