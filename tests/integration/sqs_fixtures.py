"""Fixtures for the worker's integration tests, loaded with
``pytest_plugins = ["tests.integration.sqs_fixtures"]`` (never imported directly, so pytest can
rewrite its asserts): a moto server per module, reset per test, and dummy AWS credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.sqs_support import MotoServer


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture()
def sqs_url(moto: MotoServer, aws_env: None) -> str:
    moto.reset()
    return moto.url
