"""Queue messages: the JSON envelope, the event types, which queue each goes to, their schemas.

Messages are written to the store's outbox (:func:`core.store.outbox.enqueue`) in the same
transaction as the data they describe and published later by the sidecar worker, so a crash can
never leave data without its message or a message without its data. ``message_id`` is derived
from what the message describes (and the state it describes), so publishing the same fact twice
is recognisable downstream. This package is pure: it builds and checks messages, it never
touches the store.

Three guards live here because they are properties of a message, not of a transport:
``validate`` (the JSON Schemas in :mod:`core.messages.schemas`), the secret scrubber (a token
pasted into a commit message or printed in a log must never reach a queue: ``make_message``
redacts with :mod:`core.messages.redact`, the same redactor that cleans logs before they are
stored, and ``find_secrets`` is the worker's last check) and the splitter (a body over the SQS
size limit travels as ordered, checksummed parts, never truncated).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from core.messages.compiled import fast_valid
from core.messages.redact import MARKER, Redactor, redact_value, redactor
from core.messages.schemas import DATA_SCHEMAS, ENVELOPE_SCHEMA, PART_EVENT

__all__ = [
    "SCHEMA_VERSION",
    "SCHEMA_VERSIONS",
    "EVENT_QUEUES",
    "PART_EVENT",
    "Message",
    "InvalidMessage",
    "make_message",
    "validate",
    "parse",
    "find_secrets",
    "redact",
    "REDACTED",
    "split_body",
    "join_parts",
    "body_bytes",
]

SCHEMA_VERSION = 1
"""The envelope's ``schema_version`` of an event type not in ``SCHEMA_VERSIONS``."""

SCHEMA_VERSIONS: dict[str, int] = {"workflow_run": 2}
"""Event types whose contract changed: 2 for ``workflow_run`` = its jobs travel inside it
(``data.jobs``, each with its steps) and ``workflow_job`` messages are no longer sent for them."""

EVENT_QUEUES: dict[str, str] = {
    "workflow_run": "metrics",
    "workflow_job": "metrics",
    "job_steps": "metrics",
    "commit": "metrics",
    "job_log": "logs",
    "feature_set": "features",
    "anomaly": "analysis",
    "flaky_test": "analysis",
    "root_cause": "analysis",
    "prediction": "analysis",
    "remediation": "analysis",
}
"""event_type -> queue kind (a key of ``Settings.queues``)."""

REDACTED = MARKER


class InvalidMessage(ValueError):
    """A body that is not a valid envelope: not JSON, wrong shape, or parts that do not join."""


@dataclass(frozen=True)
class Message:
    message_id: str
    queue: str
    event_type: str
    body: str


def make_message(
    event_type: str,
    repo: str,
    key: str,
    data: dict[str, Any],
    version: str = "",
    engine: Redactor | None = None,
) -> Message:
    """Build one envelope. ``key`` names the subject (e.g. ``run:123:2``), ``version`` its state.

    The id hashes (event_type, repo, key, version): the same state gives the same id, a new state
    (a run that completed since) a new one. Anything that looks like a credential in ``data``
    (:mod:`core.messages.redact`: the rules plus the known secret values) is replaced by
    ``[REDACTED]`` here, before it can reach the outbox. ``engine``: the redactor to use, from
    :func:`~core.messages.redact.redactor` (each call of which reads the secret environment
    variables: a caller making many messages at once asks once).
    """
    if event_type not in EVENT_QUEUES:
        raise ValueError(f"Unknown event type {event_type!r}")
    digest = hashlib.sha256(f"{event_type}|{repo}|{key}|{version}".encode()).hexdigest()[:32]
    envelope = {
        "event_type": event_type,
        "schema_version": SCHEMA_VERSIONS.get(event_type, SCHEMA_VERSION),
        "message_id": digest,
        "repo": repo,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }
    engine = engine or redactor()
    if engine.has_secret("\n".join(_strings(data))):
        envelope["data"] = redact_value(data, engine.literals)
    body = json.dumps(envelope, separators=(",", ":"), default=str)
    return Message(digest, EVENT_QUEUES[event_type], event_type, body)


# -- validation -----------------------------------------------------------------------------
@cache
def _validators() -> dict[str, Any] | None:
    """Compiled jsonschema validators, or None when jsonschema is not installed."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # pragma: no cover - jsonschema is in requirements.txt
        return None
    compiled = {name: Draft202012Validator(schema) for name, schema in DATA_SCHEMAS.items()}
    compiled[""] = Draft202012Validator(ENVELOPE_SCHEMA)
    return compiled


def parse(body: str | bytes) -> dict[str, Any]:
    """JSON text -> envelope dict (not yet validated); InvalidMessage when it is not an object."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidMessage(f"The body is not JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise InvalidMessage("The body is JSON but not an object.")
    return envelope


def validate(envelope: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    """Check an envelope (dict or JSON text) against its event type's schema; return it parsed.

    Raises InvalidMessage with the first problem, e.g. ``data.run_id: 'x' is not of type
    'integer'``. Without the jsonschema package only required keys are checked. Most bodies
    are accepted by the compiled schemas (:mod:`core.messages.compiled`, ~25x faster); only
    what they do not accept is walked by jsonschema, which words every rejection.
    """
    env = parse(envelope) if isinstance(envelope, (str, bytes)) else dict(envelope)
    if fast_valid(env):  # compiled and strict: a "yes" here is a yes from jsonschema too
        return env
    validators = _validators()
    if validators is None:  # pragma: no cover
        return _validate_minimal(env)
    for name, where in (("", env), (env.get("event_type"), env.get("data"))):
        if name != "" and name not in validators:
            break
        error = next(iter(validators[name].iter_errors(where)), None)
        if error is not None:
            path = ".".join(str(p) for p in error.absolute_path)
            prefix = f"data.{path}" if name and path else ("data" if name else path or "body")
            raise InvalidMessage(
                f"{env.get('event_type')} message {env.get('message_id')}: "
                f"{prefix}: {error.message}"
            )
    return env


def _validate_minimal(env: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
    missing = [k for k in ENVELOPE_SCHEMA["required"] if k not in env]
    schema = DATA_SCHEMAS.get(str(env.get("event_type")))
    if missing or schema is None or not isinstance(env.get("data"), dict):
        raise InvalidMessage(f"Not a valid envelope (missing {missing or 'a known event type'}).")
    absent = [k for k in schema["required"] if k not in env["data"]]
    if absent:
        raise InvalidMessage(f"{env['event_type']} data lacks {absent}.")
    return env


# -- secrets --------------------------------------------------------------------------------
def _strings(value: Any) -> list[str]:
    """Every string inside ``value`` (keys too), depth first in document order.

    A plain loop that appends, not nested generators: the worker scans every message it
    publishes, and a job's message holds a few hundred strings.
    """
    out: list[str] = []
    _collect(value, out)
    return out


def _collect(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(value)
    elif kind is dict or isinstance(value, Mapping):
        for key, item in value.items():
            out.append(key if type(key) is str else str(key))
            if type(item) is str:
                out.append(item)
            elif item is not None and type(item) not in _SCALARS:
                _collect(item, out)
    elif kind is list or kind is tuple:
        for item in value:
            if type(item) is str:
                out.append(item)
            elif item is not None and type(item) not in _SCALARS:
                _collect(item, out)
    elif isinstance(value, str):
        out.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, out)
    elif value is not None and not isinstance(value, (bool, int, float)):
        out.append(str(value))  # json.dumps(default=str) writes it as this text


_SCALARS = (bool, int, float)


def find_secrets(value: Any, literals: Iterable[str] = (), text: str | None = None) -> list[str]:
    """Names of the credential kinds found in any string inside ``value`` (decoded, not JSON).

    ``literals`` are known secret values (the configured token) matched verbatim, also when
    split across lines or escaped; the remembered and environment secrets are always added.
    ``text`` (the JSON of ``value``) is accepted for compatibility and not needed: one pass over
    all the strings joined decides the common clean case.
    """
    del text
    engine = redactor(literals)
    strings = _strings(value)
    if not engine.has_secret("\n".join(strings)):
        return []
    return sorted({kind for string in strings for kind in engine.kinds(string)})


def redact(value: Any, literals: Iterable[str] | None = None) -> Any:
    """A copy of ``value`` with every credential-looking substring replaced by [REDACTED]."""
    return redact_value(value, literals)


# -- size: ordered parts ------------------------------------------------------------------
def body_bytes(body: str) -> int:
    return len(body.encode("utf-8"))


def split_body(body: str, max_bytes: int) -> list[str]:
    """``[body]`` when it fits, else ordered ``message_part`` envelopes each <= max_bytes.

    The parts carry the parent's message_id, the chunk count and the SHA-256 of the whole body,
    so a consumer can reassemble (``join_parts``) and verify; nothing is ever cut off.
    """
    raw = body.encode("utf-8")
    if len(raw) <= max_bytes:
        return [body]
    parent = parse(body)
    digest = hashlib.sha256(raw).hexdigest()
    overhead = 600 + len(str(parent.get("repo", ""))) + len(str(parent.get("event_type", "")))
    chunk_size = max(3, (max_bytes - overhead) // 4 * 3)
    chunks = [raw[i : i + chunk_size] for i in range(0, len(raw), chunk_size)]
    return [
        json.dumps(
            {
                "event_type": PART_EVENT,
                "schema_version": SCHEMA_VERSION,
                "message_id": parent.get("message_id"),
                "repo": parent.get("repo"),
                "timestamp": parent.get("timestamp"),
                "data": {
                    "parent_event_type": parent.get("event_type"),
                    "index": index,
                    "count": len(chunks),
                    "sha256": digest,
                    "encoding": "base64",
                    "chunk": base64.b64encode(chunk).decode("ascii"),
                },
            },
            separators=(",", ":"),
        )
        for index, chunk in enumerate(chunks)
    ]


def join_parts(parts: Iterable[Mapping[str, Any]]) -> str:
    """Reassemble part envelopes (any order, duplicates allowed) into the original body."""
    by_index = {int(p["data"]["index"]): p for p in parts}
    if not by_index:
        raise InvalidMessage("No parts to join.")
    first = next(iter(by_index.values()))["data"]
    count, digest = int(first["count"]), first["sha256"]
    if sorted(by_index) != list(range(count)):
        raise InvalidMessage(f"Parts {sorted(by_index)} of {count} do not make a whole message.")
    raw = b"".join(base64.b64decode(by_index[i]["data"]["chunk"]) for i in range(count))
    if hashlib.sha256(raw).hexdigest() != digest:
        raise InvalidMessage("The joined parts do not match their SHA-256; a part is corrupt.")
    return raw.decode("utf-8")
