"""Specification of the secret redactor (core.messages.redact) and of where it is applied.

Each rule is checked against the cases of the detect-secrets plugin it follows (AWS, GitHub,
npm, Slack, Stripe, JWT, basic auth, private keys, keywords), written as: given a log line
holding a credential, when it is redacted, then only the credential became ``[REDACTED]`` and
the line count is unchanged (RCA reports 1-based line numbers on stored logs).
"""

from __future__ import annotations

import json
import random

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import Settings
from core.errors import BadCredentials, SourceError
from core.github.source import GitHubSource
from core.logs.normalise import keep_head_and_tail, normalise_kept
from core.messages.envelope import find_secrets, make_message, redact
from core.messages.redact import (
    MARKER,
    SECRET_ENV_VARS,
    Redactor,
    known_secrets,
    redact_bytes,
    redact_kept,
    redact_text,
    remember_secrets,
    secret_kinds,
)

MIB = 1024 * 1024
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB_TOKEN = "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"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwia"
    "WF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
NPM_TOKEN = "npm_" + "a1B2c3D4e5F6" * 3
KEY_BODY = [
    "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7CGZ8Fv2Sg4ucA0g6BxAKdtYE",
    "c3VwZXIgZHVwZXIgc2VjcmV0IHBhc3N3b3JkLCBzdXBlciBkdXBlciBzZWNyZXQ=",
]
PRIVATE_KEY = "\n".join(
    ["-----BEGIN RSA PRIVATE KEY-----", *KEY_BODY, "-----END RSA PRIVATE KEY-----"]
)
# A configured token holding a line break (pasted with one): the traceback case.
SPLIT_TOKEN = "ghp_16C7e42F292c6912E7710c8\n38347Ae178B4a"


def _redacted(text: str, secret: str) -> str:
    """Redact ``text`` and check the invariants every case shares; return the result."""
    out = redact_text(text)
    assert secret not in out, out
    assert MARKER in out
    assert out.count("\n") == text.count("\n")
    assert redact_text(out) == out, "redacting twice changes nothing"
    assert secret_kinds(out) == [], "nothing is left to find"
    return out


# -- what is found, and exactly what is replaced ------------------------------------------------
@pytest.mark.parametrize(
    "line, secret, expected",
    [
        # AWS (the issue: no spaces around '=' was missed)
        (
            f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
            AWS_SECRET,
            "AWS_SECRET_ACCESS_KEY=[REDACTED]",
        ),
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET, "aws_secret_access_key = [REDACTED]"),
        (
            f'  AWS_SECRET_ACCESS_KEY: "{AWS_SECRET}"',
            AWS_SECRET,
            '  AWS_SECRET_ACCESS_KEY: "[REDACTED]"',
        ),
        (f"AWS_SECRET_ACCESS_KEY:'{AWS_SECRET}'", AWS_SECRET, "AWS_SECRET_ACCESS_KEY:'[REDACTED]'"),
        (f"aws_thingy:{AWS_SECRET}", AWS_SECRET, "aws_thingy:[REDACTED]"),
        (
            f"someGarbageInfront aws_secret: {AWS_SECRET}",
            AWS_SECRET,
            "someGarbageInfront aws_secret: [REDACTED]",
        ),
        (
            f"aws configure set aws_secret_access_key {AWS_SECRET}",
            AWS_SECRET,
            "aws configure set aws_secret_access_key [REDACTED]",
        ),
        ("key id AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE", "key id [REDACTED] used"),
        ("AKIAZZZZZZZZZZZZZZZZ", "AKIAZZZZZZZZZZZZZZZZ", "[REDACTED]"),
        # GitHub tokens of every prefix
        (f"export GITHUB_TOKEN={GITHUB_TOKEN}", GITHUB_TOKEN, "export GITHUB_TOKEN=[REDACTED]"),
        ("gho_" + "Q" * 36, "Q" * 36, "[REDACTED]"),
        ("token ghu_" + "a1" * 18 + " ok", "a1" * 18, "token [REDACTED] ok"),
        ("ghs_" + "Zz9" * 12 + ".", "Zz9" * 12, "[REDACTED]."),
        ("ghr_" + "r" * 40, "r" * 40, "[REDACTED]"),
        (
            "github_pat_11ABCDEFG0" + "a1B2c3D4e5" * 6,
            "a1B2c3D4e5" * 6,
            "[REDACTED]",
        ),
        # npm (the issue: npm_ tokens were missed)
        (
            f"//registry.npmjs.org/:_authToken={NPM_TOKEN}",
            NPM_TOKEN,
            "//registry.npmjs.org/:_authToken=[REDACTED]",
        ),
        (f"NPM_TOKEN {NPM_TOKEN} set", NPM_TOKEN, "NPM_TOKEN [REDACTED] set"),
        (
            "//registry.npmjs.org/:_authToken=743b294a-cd03-11ec-9d64-0242ac120002",
            "743b294a-cd03-11ec-9d64-0242ac120002",
            "//registry.npmjs.org/:_authToken=[REDACTED]",
        ),
        (
            "//private.registry.com/:_auth=YWRtaW46cGFzc3dvcmQ=",
            "YWRtaW46cGFzc3dvcmQ=",
            "//private.registry.com/:_auth=[REDACTED]",
        ),
        # Authorization headers and Bearer JWTs (the issue: Bearer JWTs were missed)
        (
            f"curl -H 'Authorization: Bearer {JWT}' https://api.example.com",
            JWT,
            "curl -H 'Authorization: Bearer [REDACTED]' https://api.example.com",
        ),
        (f"Authorization: token {GITHUB_TOKEN}", GITHUB_TOKEN, "Authorization: token [REDACTED]"),
        (
            "Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQ=",
            "dXNlcm5hbWU6cGFzc3dvcmQ=",
            "Authorization: Basic [REDACTED]",
        ),
        (
            '"authorization":"Bearer sk-abcdefghijklmnopqrstuvwx"',
            "sk-abcdefghijklmnopqrstuvwx",
            '"authorization":"Bearer [REDACTED]"',
        ),
        (
            "bearer 0123456789abcdefGHIJKLMN",
            "0123456789abcdefGHIJKLMN",
            "bearer [REDACTED]",
        ),
        (f"id_token={JWT} state=1", JWT, "id_token=[REDACTED] state=1"),
        # basic auth in URLs (the issue: https://user:pass@host was missed)
        (
            "git clone https://user:pass@host.example.com/o/r.git",
            "pass@",
            "git clone https://user:[REDACTED]@host.example.com/o/r.git",
        ),
        (
            "https://username:password@yelp.com",
            "password@",
            "https://username:[REDACTED]@yelp.com",
        ),
        (
            "postgres://ci:s3cr3t%40x@localhost:5432/test",
            "s3cr3t",
            "postgres://ci:[REDACTED]@localhost:5432/test",
        ),
        (
            f"https://x-access-token:{GITHUB_TOKEN}@github.com/o/r",
            GITHUB_TOKEN,
            "https://x-access-token:[REDACTED]@github.com/o/r",
        ),
        (
            "https://0123456789abcdef0123:x-oauth-basic@github.com",
            "0123456789abcdef0123",
            "https://[REDACTED]:x-oauth-basic@github.com",
        ),
        # Slack, Stripe, Google, SendGrid, PyPI, GitLab, Azure, signed URLs
        (
            "xoxp-523423-234243-234233-e039d02840a0b9379c",
            "e039d02840a0b9379c",
            "[REDACTED]",
        ),
        ("xoxb-34532454-e039d02840a0b9379c", "e039d02840a0b9379c", "[REDACTED]"),
        (
            "hook https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "XXXXXXXXXXXXXXXXXXXXXXXX",
            "hook https://hooks.slack.com/services/[REDACTED]",
        ),
        (
            "sk_live_ReTllpYQYfIZu2Jnf2lAPFjD",
            "ReTllpYQYfIZu2Jnf2lAPFjD",
            "sk_live_[REDACTED]",
        ),
        (
            "rk_live_5TcWfjKmJgpql9hjpRnwRXbT",
            "5TcWfjKmJgpql9hjpRnwRXbT",
            "rk_live_[REDACTED]",
        ),
        (
            "key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
            "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
            "key=[REDACTED]",
        ),
        (
            "SG." + "a" * 22 + "." + "B" * 43,
            "B" * 43,
            "[REDACTED]",
        ),
        ("glpat-" + "x1y2z3" * 4, "x1y2z3" * 4, "[REDACTED]"),
        (
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + "Ab1+" * 22 + "==;",
            "Ab1+" * 22,
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED];",
        ),
        (
            "GET https://acct.blob.core.windows.net/c/f?sv=2021&sig=AbCdEf0123%2B456789 200",
            "AbCdEf0123",
            "GET https://acct.blob.core.windows.net/c/f?sv=2021&sig=[REDACTED] 200",
        ),
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=0123456789abcdef0123&X-Amz-Date=1",
            "0123456789abcdef0123",
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=[REDACTED]&X-Amz-Date=1",
        ),
        ("::add-mask::hunter2-value", "hunter2-value", "::add-mask::[REDACTED]"),
        # generic assignments with a value
        ("password=hunter22 then", "hunter22", "password=[REDACTED] then"),
        ("DB_PASSWORD: 'correct horse'", "correct horse", "DB_PASSWORD: '[REDACTED]'"),
        ('"client_secret": "0a1b2c3d4e5f"', "0a1b2c3d4e5f", '"client_secret": "[REDACTED]"'),
        ("--api-key=Zm9vYmFyYmF6", "Zm9vYmFyYmF6", "--api-key=[REDACTED]"),
        ("SECRET_KEY_BASE := 9f8e7d6c5b4a", "9f8e7d6c5b4a", "SECRET_KEY_BASE := [REDACTED]"),
        (
            "some_secret_key=DcCc9H6oCkGUSp3Rhmsx8NIfVG8kO2T/3jORxuZY",
            "DcCc9H6oCkGUSp3Rhmsx8NIfVG8kO2T",
            "some_secret_key=[REDACTED]",
        ),
        ("token: abc123def", "abc123def", "token: [REDACTED]"),
        ("PASSWORD=p@ss(word)1", "p@ss(word)1", "PASSWORD=[REDACTED]"),
        # an unquoted value runs to a blank, quote, comma or semicolon: '&' is part of it
        ("password=Tr0ub4dor&3 x", "Tr0ub4dor&3", "password=[REDACTED] x"),
        # ... except in a URL's query, where '&' starts the next parameter
        (
            "GET /chats?access_token=d0cafe1234&v=0.5.2 200",
            "d0cafe1234",
            "GET /chats?access_token=[REDACTED]&v=0.5.2 200",
        ),
        (
            "$ export RELEASE_BOT_API_TOKEN=5d1f09a7be3c4e2d8a6b7c9e0f1a2b3c4d5e6f70",
            "5d1f09a7be3c4e2d8a6b7c9e0f1a2b3c4d5e6f70",
            "$ export RELEASE_BOT_API_TOKEN=[REDACTED]",
        ),
        (
            "password=\x1b[32mhunter22\x1b[0m ok",
            "hunter22",
            "password=[REDACTED] ok",
        ),
    ],
)
def test_given_a_line_with_a_credential_when_redacted_then_only_the_credential_goes(
    line, secret, expected
):
    assert _redacted(line, secret) == expected


def test_given_a_private_key_block_when_redacted_then_each_body_line_becomes_the_marker():
    log = f"2024-05-01T12:00:00.0000000Z cat key\n{PRIVATE_KEY}\nnext line\n"
    out = _redacted(log, KEY_BODY[0])
    assert out.splitlines() == [
        "2024-05-01T12:00:00.0000000Z cat key",
        "-----BEGIN RSA PRIVATE KEY-----",
        MARKER,
        MARKER,
        "-----END RSA PRIVATE KEY-----",
        "next line",
    ]
    assert KEY_BODY[1] not in out


def test_given_a_key_printed_in_a_github_log_then_the_timestamps_are_kept():
    stamped = [
        f"2024-05-01T12:00:0{i}.0000000Z {line}" for i, line in enumerate(PRIVATE_KEY.split("\n"))
    ]
    out = _redacted("\n".join(stamped), KEY_BODY[0]).split("\n")
    assert out[1] == f"2024-05-01T12:00:01.0000000Z {MARKER}"
    assert out[3].endswith("-----END RSA PRIVATE KEY-----")


@pytest.mark.parametrize(
    "encoded",
    [
        json.dumps(PRIVATE_KEY),  # a service-account JSON, a message body
        "-----BEGIN OPENSSH PRIVATE KEY-----\\n" + KEY_BODY[0] + "\\n-----END OPENSSH PRIVATE KEY",
        "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n" + KEY_BODY[0] + "\n",  # no END
    ],
)
def test_given_an_escaped_encrypted_or_truncated_key_then_its_body_is_redacted(encoded):
    _redacted(encoded, KEY_BODY[0])


# -- what is left alone ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b Merge pull request #42",
        "https://github.com/acme/app/actions/runs/123456789/job/987654321",
        "http://localhost:5000/<%= @variable %>",
        "git@github.com:acme/app.git",
        "ghp_ prefix alone, AKIA lower akiaiosfodnn7example, secret=short",
        "AKIAZZZ",
        "foo_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx",
        "pk_live_j5krY8XTgIcDaHDb3YrsAfCl",
        "sk_live_",
        "eyJAAAA.eyJBBB and eyJBB.eyJCC.eyJDDDD",
        "some_other_40_char_base64_str: pARhvm1GmHyvLydUtFNCCMIIu4VEyaZNo9MbR3IJ",
        "aws_secret_access_key: not_secret_key",
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
        "//registry.npmjs.org/:_authToken=",
        "  token: ***",
        "  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
        "  persist-credentials: true",
        "Collecting tokenizers==0.15.0",
        "tokenizers=0.15.0",
        "Successfully installed SecretStorage-3.3.3 keyring-24.3.0",
        "tests/test_api.py::test_token_refresh PASSED [ 42%]",
        "Error: secret: missing",
        "secret_scanning: enabled",
        "password_file=/etc/ci/password.txt",
        "token_url=https://oauth2.example.com/token",
        "    token = os.environ['GITHUB_TOKEN']",
        "    password = get_password(user)",
        "    self.token = settings.token",
        "E   KeyError: 'api_key'",
        'WWW-Authenticate: Bearer realm="GitHub"',
        "Authorization: ***",
        "[command]/usr/bin/git -c http.extraheader=AUTHORIZATION: basic *** fetch",
        "Selecting previously unselected package libsecret-1-0:amd64.",
        "Reference 'Contoso.Widgets, Version=2.1.0.0, PublicKeyToken=0123456789abcdef' not found",
        "project org.example:example-binary-authorization:jar:0.3.0 resolved",
        "DEBUG GET http://127.0.0.1:40001/api/getXSRFToken -> HTTP/1.1 200 OK in 4 ms",
        "password: <password>",
        "The basic idea: a bearer of news",
        "x = a == b; token == other",
        f"already {MARKER} and password={MARKER} and https://u:{MARKER}@h",
    ],
)
def test_given_ordinary_ci_text_when_redacted_then_it_is_unchanged(line):
    assert redact_text(line) == line
    assert secret_kinds(line) == []


# -- the configuration's literal secrets ----------------------------------------------------
@pytest.mark.parametrize(
    "printed",
    [
        SPLIT_TOKEN,  # printed as is: across two lines
        repr(SPLIT_TOKEN),  # requests' InvalidHeader: 'token ghp_...\\n...'
        json.dumps(SPLIT_TOKEN),  # inside a JSON message body
        "2024-05-01T12:00:00.1Z " + SPLIT_TOKEN.replace("\n", "\n2024-05-01T12:00:00.2Z "),
        SPLIT_TOKEN.replace("\n", "\r\n"),
        SPLIT_TOKEN.split("\n")[0] + " (cut)",  # only its long first piece
    ],
)
def test_given_a_configured_token_with_a_newline_then_every_printed_form_is_redacted(printed):
    engine = Redactor([SPLIT_TOKEN])
    text = f"Invalid header value: {printed} -- end\n"
    out = engine.redact_text(text)
    for piece in SPLIT_TOKEN.split("\n"):
        assert piece not in out
    assert out.count("\n") == text.count("\n")
    assert out.startswith("Invalid header value: ") and out.endswith(" -- end\n")
    assert engine.kinds(text) == ["configured secret"] and engine.kinds(out) == []
    assert engine.redact_text(out) == out


def test_short_or_empty_literals_are_never_secrets():
    engine = Redactor(["", "abc", "1234567"])
    assert engine.literals == ()
    assert engine.redact_text("abc 1234567") == "abc 1234567"


def test_remembered_and_environment_secrets_are_known(monkeypatch):
    for name in SECRET_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "plain-env-secret-value")
    remember_secrets("remembered-secret-value-42", None, "short")
    assert {"plain-env-secret-value", "remembered-secret-value-42"} <= set(known_secrets())
    assert "short" not in known_secrets()
    text = "a plain-env-secret-value b remembered-secret-value-42 c"
    assert redact_text(text) == "a [REDACTED] b [REDACTED] c"
    assert find_secrets({"x": text}) == ["configured secret"]


# -- logs before they are stored ------------------------------------------------------------
def test_given_a_kept_log_when_redacted_then_its_lines_and_numbers_are_unchanged():
    lines = [f"2024-05-01T12:00:00.{i:07d}Z step {i}" for i in range(400)]
    lines[10] += f" export GITHUB_TOKEN={GITHUB_TOKEN}"
    lines[390] += f" AWS_SECRET_ACCESS_KEY={AWS_SECRET}"
    raw = ("\n".join(lines) + "\n").encode()
    kept = keep_head_and_tail(raw, max_bytes=6000)
    assert kept.truncated
    clean = redact_kept(kept)
    before, after = normalise_kept(kept), normalise_kept(clean)
    assert list(after.line_numbers) == list(before.line_numbers)
    assert clean.n_lines == kept.n_lines and clean.tail_first_line == kept.tail_first_line
    assert clean.original_bytes == kept.original_bytes
    text = "\n".join(after.texts)
    assert GITHUB_TOKEN not in text and AWS_SECRET not in text
    assert after.texts[10].endswith("export GITHUB_TOKEN=[REDACTED]")
    assert after.texts[after.row_of(391)].endswith("AWS_SECRET_ACCESS_KEY=[REDACTED]")


def test_a_clean_kept_log_is_returned_as_is():
    kept = keep_head_and_tail(b"all good\nnothing to hide\n")
    assert redact_kept(kept) is kept


def test_a_tail_cut_inside_a_private_key_has_the_rest_of_the_key_redacted():
    body = "\n".join(KEY_BODY * 40)
    raw = ("x\n" * 50 + PRIVATE_KEY.replace("\n".join(KEY_BODY), body) + "\nafter\n").encode()
    kept = keep_head_and_tail(raw, max_bytes=3000)
    assert b"BEGIN" not in kept.tail and b"-----END" in kept.tail  # cut inside the key
    clean = redact_kept(kept)
    for part in (clean.head, clean.tail):
        assert KEY_BODY[0].encode() not in part and KEY_BODY[1].encode() not in part
    assert clean.tail.count(b"\n") == kept.tail.count(b"\n")
    assert clean.tail.endswith(b"-----END RSA PRIVATE KEY-----\nafter\n")


def test_raw_bytes_that_are_not_utf8_are_redacted_without_decoding():
    raw = b"\xff\xfe binary \x00 password=hunter22 \xc3\x28\n"
    assert redact_bytes(raw) == b"\xff\xfe binary \x00 password=[REDACTED] \xc3\x28\n"


# -- messages before they are published -----------------------------------------------------
def test_a_job_log_message_carries_no_secret_and_keeps_its_lines():
    content = "\n".join(
        [
            "ok",
            f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
            f"curl -H 'Authorization: Bearer {JWT}'",
            "git clone https://ci:pass1234@example.com/r",
            f"npm config set //registry.npmjs.org/:_authToken={NPM_TOKEN}",
            "done",
        ]
    )
    data = {"job_id": 1, "run_id": 1, "attempt": 1, "content": content}
    message = make_message("job_log", "o/r", "log:1", data)
    sent = json.loads(message.body)["data"]["content"]
    for secret in (AWS_SECRET, JWT, "pass1234", NPM_TOKEN):
        assert secret not in message.body
    assert sent.count("\n") == content.count("\n") and sent.splitlines()[-1] == "done"
    assert find_secrets(json.loads(message.body)) == []


def test_the_worker_check_finds_a_configured_token_split_across_lines():
    envelope = {"data": {"summary": f"failed with {SPLIT_TOKEN}"}}
    assert find_secrets(envelope, [SPLIT_TOKEN]) == ["configured secret"]
    assert find_secrets(redact(envelope, [SPLIT_TOKEN]), [SPLIT_TOKEN]) == []


def test_objects_written_as_text_are_checked_as_that_text():
    class Url:
        def __str__(self) -> str:
            return "https://ci:hunter22@example.com/x"

    data = {"subject": "job:1", "category": "c", "confidence": 0.5, "summary": Url()}
    body = make_message("root_cause", "o/r", "k", data).body
    assert "hunter22" not in body and "https://ci:[REDACTED]@example.com/x" in body


def test_redact_copies_nested_values_and_keeps_other_types():
    value = {"a": [f"token={GITHUB_TOKEN}", 3, None], "b": {"c": (1.5, "password=hunter22")}}
    assert redact(value) == {
        "a": ["token=[REDACTED]", 3, None],
        "b": {"c": [1.5, "password=[REDACTED]"]},
    }


# -- properties: line structure, idempotence, nothing left ------------------------------------
FRAGMENTS = [
    GITHUB_TOKEN,
    AWS_SECRET,
    "AKIAIOSFODNN7EXAMPLE",
    JWT,
    NPM_TOKEN,
    PRIVATE_KEY,
    SPLIT_TOKEN,
    "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----",
    "password",
    "secret",
    "token",
    "api_key",
    "AWS_SECRET_ACCESS_KEY",
    "Authorization",
    "Bearer ",
    "Basic ",
    "https://",
    "user",
    "hunter22",
    "sk_live_",
    "xoxb-",
    "://",
    "@",
    ":",
    "=",
    " ",
    "\t",
    "\n",
    "\r\n",
    "'",
    '"',
    "\\",
    "\\n",
    "${{ x }}",
    "***",
    MARKER,
    "2024-05-01T12:00:00.0000000Z ",
    "é",
    "\x1b[32m",
]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=24).map(
    "".join
)


@settings(max_examples=400, deadline=None, database=None)
@given(texts)
def test_property_redaction_keeps_every_line_and_is_idempotent(text):
    engine = Redactor([SPLIT_TOKEN, "configured-secret-123"])
    once = engine.redact_text(text)
    assert once.count("\n") == text.count("\n")
    assert engine.redact_text(once) == once
    assert engine.kinds(once) == []


STANDALONE = [
    (GITHUB_TOKEN, GITHUB_TOKEN),
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
    (f"Authorization: Bearer {JWT}", JWT),
    (NPM_TOKEN, NPM_TOKEN),
    ("https://ci:hunter22@example.com", "hunter22"),
    ("password=Tr0ub4dor&3", "Tr0ub4dor&3"),
    (PRIVATE_KEY, KEY_BODY[0]),
    (SPLIT_TOKEN, "38347Ae178B4a"),
]


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=40), st.sampled_from(STANDALONE), st.text(max_size=40))
def test_property_a_secret_between_any_texts_is_gone(before, case, after):
    printed, secret = case
    text = f"{before} {printed}\n{after}"
    out = Redactor([SPLIT_TOKEN]).redact_text(text)
    assert secret not in out
    assert out.count("\n") == text.count("\n")


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=200), st.sampled_from(FRAGMENTS))
def test_property_any_bytes_keep_their_line_count(noise, fragment):
    data = noise + fragment.encode() + noise
    out = redact_bytes(data)
    assert out.count(b"\n") == data.count(b"\n")
    assert redact_bytes(out) == out


# -- a GitHub-like log with a secret every N lines (bench/redaction_bench.py times it) --------
def synthetic_log(size: int, seed: int = 7, secret_every: int = 2000) -> bytes:
    """A GitHub Actions-like log of ``size`` bytes with a secret every ``secret_every`` lines."""
    rng = random.Random(seed)
    ordinary = [
        "Downloading https://files.pythonhosted.org/packages/ab/numpy-1.26.4-cp311.whl (18 MB)",
        "Collecting tokenizers==0.15.0",
        "tests/test_api.py::test_token_refresh PASSED                              [ 42%]",
        "npm WARN deprecated inflight@1.0.6: This module is not supported",
        "##[group]Run actions/checkout@v4",
        "  token: ***",
        "  persist-credentials: true",
        "    at Object.<anonymous> (/home/runner/work/app/app/src/index.js:12:5)",
        "HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b Merge pull request #42",
        "E   AssertionError: assert 'Bearer' == 'Basic'",
        "aws s3 cp dist/ s3://bucket/app --recursive",
        "[command]/usr/bin/git -c http.extraheader=AUTHORIZATION: basic *** fetch",
        "Selecting previously unselected package libsecret-1-0:amd64.",
        "Reference 'Contoso.Widgets, Version=2.1.0.0, PublicKeyToken=0123456789abcdef' not found",
        "project org.example:example-binary-authorization:jar:0.3.0 resolved",
        "DEBUG GET http://127.0.0.1:40001/api/getXSRFToken -> HTTP/1.1 200 OK in 4 ms",
    ]
    secrets = [
        f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
        f"curl -H 'Authorization: Bearer {JWT}'",
        "git clone https://user:hunter22@github.com/o/r",
        f"GITHUB_TOKEN={GITHUB_TOKEN}",
    ]
    lines, total, i = [], 0, 0
    while total < size:
        i += 1
        text = rng.choice(secrets) if i % secret_every == 0 else rng.choice(ordinary)
        line = f"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}.{i:07d}Z {text}"
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def test_a_big_log_keeps_every_line_and_loses_every_secret():
    """Speed lives in bench/redaction_bench.py (20 MiB and adversarial inputs), not here."""
    data = synthetic_log(2 * MIB)
    out = Redactor(["configured-secret-123"]).redact_bytes(data)
    assert out.count(b"\n") == data.count(b"\n")
    assert AWS_SECRET.encode() not in out and GITHUB_TOKEN.encode() not in out


# -- the GitHub source never shows the token ------------------------------------------------
def test_a_token_holding_a_newline_is_refused_without_being_shown():
    settings = Settings().with_(github_token=SPLIT_TOKEN, github_base_url="http://127.0.0.1:9")
    source = GitHubSource(settings)
    with pytest.raises(BadCredentials) as caught:
        source.repository("o/r")
    shown = str(caught.value) + repr(caught.value)
    assert all(piece not in shown for piece in SPLIT_TOKEN.split("\n"))
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert source.requests_made == 0


def test_a_library_error_that_mentions_the_token_is_scrubbed(monkeypatch):
    settings = Settings().with_(github_token=GITHUB_TOKEN, github_base_url="http://127.0.0.1:9")
    source = GitHubSource(settings)

    def explode(*_args, **_kwargs):
        raise requests.exceptions.InvalidHeader(f"bad header value: 'token {GITHUB_TOKEN}'")

    monkeypatch.setattr(source._requester, "requestJson", explode)
    with pytest.raises(SourceError) as caught:
        source.repository("o/r")
    assert GITHUB_TOKEN not in str(caught.value) and "[REDACTED]" in str(caught.value)
    assert "InvalidHeader" in str(caught.value)
    assert caught.value.__context__ is None or caught.value.__suppress_context__
