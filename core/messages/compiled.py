"""The message schemas compiled (:mod:`core.fast_schema`): a fast way to say "valid".

Why: the worker checks every body before it publishes it, and jsonschema walking a schema in
Python (~0.5 ms for a job with a dozen steps) alone capped the worker near 1,000 messages/s.
``fast_valid`` answers True only when the compiled validator accepts the whole envelope; on
False the caller asks jsonschema, which rejects with its usual message (or accepts what the
compiled form was stricter about). ``tests/unit/test_compiled_schemas.py`` holds the compiled
schemas to being at least as strict as the JSON Schemas.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from core.fast_schema import Predicate, compile_schema
from core.messages.schemas import DATA_SCHEMAS, envelope_schema

__all__ = ["fast_valid", "compiled_event_types"]


@cache
def _validators() -> dict[str, Predicate]:
    """event_type -> compiled validator of its whole envelope (types that compile only)."""
    compiled = {}
    for event_type in DATA_SCHEMAS:
        predicate = compile_schema(envelope_schema(event_type))
        if predicate is not None:  # else this event type is checked by jsonschema alone
            compiled[event_type] = predicate
    return compiled


def compiled_event_types() -> frozenset[str]:
    """The event types whose envelopes ``fast_valid`` can accept (the rest: jsonschema)."""
    return frozenset(_validators())


def fast_valid(envelope: Mapping[str, Any]) -> bool:
    """True only when the envelope certainly matches its schema; False means "ask jsonschema"."""
    event_type = envelope.get("event_type")
    validator = _validators().get(event_type) if isinstance(event_type, str) else None
    return validator is not None and validator(envelope)
