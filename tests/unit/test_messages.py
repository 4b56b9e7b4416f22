"""Messages as a contract: envelopes, schemas, the documented examples, secrets, oversize parts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.messages.envelope import (
    EVENT_QUEUES,
    SCHEMA_VERSION,
    InvalidMessage,
    find_secrets,
    join_parts,
    make_message,
    redact,
    split_body,
    validate,
)
from core.messages.schemas import DATA_SCHEMAS, PART_EVENT, envelope_schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "messages.md"
GITHUB_TOKEN = "ghp_" + "x1Y2z3W4" * 5
FINE_GRAINED = "github_pat_11ABCDEFG0" + "a1B2c3D4e5" * 6
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _documented_examples() -> dict[str, dict]:
    blocks = re.findall(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    examples = [json.loads(block) for block in blocks]
    return {e["event_type"]: e for e in examples if "event_type" in e}


def test_every_event_type_has_a_schema_and_a_queue():
    assert set(EVENT_QUEUES) | {PART_EVENT} == set(DATA_SCHEMAS)
    assert set(EVENT_QUEUES.values()) == {"metrics", "logs", "features", "analysis"}


def test_the_documentation_shows_a_valid_example_of_every_event_type():
    examples = _documented_examples()
    assert set(examples) == set(DATA_SCHEMAS)
    for event_type, example in examples.items():
        assert validate(example)["event_type"] == event_type


def test_documented_examples_also_pass_the_standalone_per_event_schema():
    from jsonschema import Draft202012Validator

    for event_type, example in _documented_examples().items():
        Draft202012Validator(envelope_schema(event_type)).validate(example)


def test_message_id_is_stable_for_the_same_state_and_changes_with_it():
    data = {"sha": "a" * 40}
    first = make_message("commit", "o/r", "commit:a", data, version="v1")
    again = make_message("commit", "o/r", "commit:a", data, version="v1")
    later = make_message("commit", "o/r", "commit:a", data, version="v2")
    assert first.message_id == again.message_id != later.message_id
    envelope = validate(first.body)
    assert envelope["schema_version"] == SCHEMA_VERSION and envelope["repo"] == "o/r"
    assert first.queue == "metrics"


@pytest.mark.parametrize(
    "body, needle",
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not an object"),
        (json.dumps({"event_type": "commit"}), "required"),
    ],
)
def test_malformed_bodies_are_rejected_with_a_reason(body, needle):
    with pytest.raises(InvalidMessage, match=needle):
        validate(body)


def test_a_wrong_field_type_names_the_field():
    body = json.loads(
        make_message(
            "workflow_run",
            "o/r",
            "run:1",
            {
                "run_id": 1,
                "attempt": 1,
                "status": "completed",
                "conclusion": "success",
                "created_at": "2026-01-01T00:00:00Z",
            },
        ).body
    )
    body["data"]["run_id"] = "one"
    with pytest.raises(InvalidMessage, match=r"data\.run_id"):
        validate(body)


PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    "secret, kind, needle",
    [
        (GITHUB_TOKEN, "GitHub token", GITHUB_TOKEN),
        (FINE_GRAINED, "GitHub token", FINE_GRAINED),
        ("gho_" + "Q" * 36, "GitHub token", "Q" * 36),
        (AWS_KEY_ID, "AWS access key id", AWS_KEY_ID),
        (f"aws_secret_access_key = {AWS_SECRET}", "AWS secret access key", AWS_SECRET),
        (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", "AWS secret access key", AWS_SECRET),
        (PRIVATE_KEY, "private key", "MIIEpAIBAAKCAQEA3Tz2"),
    ],
)
def test_credentials_are_found_and_redacted_wherever_they_hide(secret, kind, needle):
    data = {"message": f"fix\n{secret}\n", "nested": [{"line": f"x={secret}"}]}
    assert find_secrets(data) == [kind] == find_secrets(data, text=json.dumps(data))
    cleaned = redact(data)
    assert find_secrets(cleaned) == [] and "[REDACTED]" in cleaned["message"]
    assert cleaned["message"].count("\n") == data["message"].count("\n")
    message = make_message(
        "root_cause",
        "o/r",
        "k",
        {"subject": "job:1", "category": "c", "confidence": 0.5, "summary": secret},
    )
    assert needle not in message.body and "[REDACTED]" in message.body


def test_ordinary_ci_text_is_not_mistaken_for_a_secret():
    text = {
        "sha": "3f786850e387550fdab836ed7e6dc881de23001b",
        "url": "https://github.com/acme/app/actions/runs/123456789/job/987654321",
        "log": "ghp_ prefix alone, AKIA lower akiaiosfodnn7example, secret=short",
    }
    assert find_secrets(text) == []


def test_a_known_secret_value_is_found_verbatim():
    value = {"x": "token my-configured-value-123"}
    for text in (None, json.dumps(value)):
        assert find_secrets(value, literals=["my-configured-value-123"], text=text) == [
            "configured secret"
        ]


def test_oversize_bodies_travel_as_ordered_checksummed_parts():
    body = make_message(
        "job_log", "o/r", "log:1", {"job_id": 1, "content": "é line\n" * 60_000}
    ).body
    parts = split_body(body, 64 * 1024)
    assert len(parts) > 1 and all(len(p.encode()) <= 64 * 1024 for p in parts)
    envelopes = [validate(p) for p in parts]
    assert {e["message_id"] for e in envelopes} == {json.loads(body)["message_id"]}
    assert join_parts(reversed(envelopes + envelopes[:1])) == body  # any order, duplicates ok
    with pytest.raises(InvalidMessage, match="do not make a whole"):
        join_parts(envelopes[1:])


def test_a_corrupt_part_is_detected():
    body = make_message("job_log", "o/r", "log:1", {"job_id": 1, "content": "z" * 9000}).body
    envelopes = [json.loads(p) for p in split_body(body, 4096)]
    envelopes[0]["data"]["chunk"] = envelopes[1]["data"]["chunk"]
    with pytest.raises(InvalidMessage, match="SHA-256"):
        join_parts(envelopes)


def test_small_bodies_are_not_split():
    body = make_message("commit", "o/r", "commit:a", {"sha": "a" * 40}).body
    assert split_body(body, 256 * 1024) == [body]
