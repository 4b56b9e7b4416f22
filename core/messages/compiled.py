"""The message schemas compiled to pydantic-core validators: a fast way to say "valid".

Why: the worker checks every body before it publishes it, and jsonschema walks a schema in
Python, ~0.5 ms for a job with a dozen steps, which alone capped the worker near 1,000
messages/s. pydantic-core runs the same checks compiled (~25x faster).

Why it can only ever say "valid": jsonschema stays the judge. ``fast_valid`` answers True only
when the compiled validator accepts the whole envelope; on False the caller asks jsonschema,
which rejects with its usual message (or accepts what the compiled form was stricter about,
e.g. ``1.0`` for an integer). So the compiled schemas must be *at least as strict* as the
JSON Schemas, never looser: every type is strict (no "1" for 1, no true for 1), and a schema
using a keyword not translated here is not compiled at all (its event type is always checked
by jsonschema). ``tests/unit/test_compiled_schemas.py`` holds them to that.

pydantic-core is in requirements.txt; without it, nothing is compiled (jsonschema alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from core.messages.schemas import DATA_SCHEMAS, envelope_schema

__all__ = ["fast_valid", "compiled_event_types"]

_IGNORED = {"$schema", "description", "title"}
_TRANSLATED = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "pattern",
    "minLength",
    "maxLength",
    "enum",
    "const",
}


class _Unsupported(Exception):
    """A schema uses something this module does not translate: leave it to jsonschema."""


def _core(schema: Mapping[str, Any]) -> Any:
    """One JSON Schema (the subset ``schemas.py`` uses) -> a pydantic-core schema."""
    from pydantic_core import core_schema as cs

    keys = set(schema) - _IGNORED
    if keys - _TRANSLATED:
        raise _Unsupported(sorted(keys - _TRANSLATED))
    if not keys:
        return cs.any_schema()
    for word in ("enum", "const"):
        if word in schema:
            values = schema[word] if word == "enum" else [schema[word]]
            if not all(isinstance(v, str) for v in values) or keys - {word, "type"}:
                raise _Unsupported(word)  # non-string literals: 1 == True in Python
            if schema.get("type", "string") != "string":
                raise _Unsupported(word)
            return cs.literal_schema(list(values))
    kinds = schema.get("type")
    if kinds is None:
        raise _Unsupported("a schema without a type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    nullable = "null" in kinds
    choices = [_typed(kind, schema, keys) for kind in kinds if kind != "null"]
    if not choices:
        raise _Unsupported("null only")
    inner = choices[0] if len(choices) == 1 else cs.union_schema(choices)
    return cs.nullable_schema(inner) if nullable else inner


def _typed(kind: str, schema: Mapping[str, Any], keys: set[str]) -> Any:
    from pydantic_core import core_schema as cs

    bounds = {"ge": schema.get("minimum"), "le": schema.get("maximum")}
    if kind == "integer":
        return cs.int_schema(strict=True, **bounds)
    if kind == "number":
        return cs.float_schema(strict=True, allow_inf_nan=True, **bounds)
    if kind == "boolean":
        return cs.bool_schema(strict=True)
    if kind == "string":
        return cs.str_schema(
            strict=True,
            pattern=schema.get("pattern"),
            min_length=schema.get("minLength"),
            max_length=schema.get("maxLength"),
        )
    if kind == "array":
        items = schema.get("items", {})
        if not isinstance(items, Mapping):
            raise _Unsupported("items as a list")
        return cs.list_schema(_core(items), strict=True)
    if kind == "object":
        return _object(schema)
    raise _Unsupported(kind)


def _object(schema: Mapping[str, Any]) -> Any:
    from pydantic_core import core_schema as cs

    required = set(schema.get("required", []))
    properties = dict(schema.get("properties", {}))
    extra = schema.get("additionalProperties", True)
    if required - set(properties):
        properties.update({name: {} for name in required - set(properties)})
    if not properties and extra is True:
        return cs.dict_schema(cs.str_schema(strict=True), cs.any_schema(), strict=True)
    fields = {
        name: cs.typed_dict_field(_core(sub), required=name in required)
        for name, sub in properties.items()
    }
    if extra is False:
        return cs.typed_dict_schema(fields, extra_behavior="forbid", strict=True)
    if extra is True:
        return cs.typed_dict_schema(fields, extra_behavior="allow", strict=True)
    if properties:
        raise _Unsupported("properties with an additionalProperties schema")
    return cs.dict_schema(cs.str_schema(strict=True), _core(extra), strict=True)


@cache
def _validators() -> dict[str, Any]:
    """event_type -> compiled validator of its whole envelope (types that compile only)."""
    try:
        from pydantic_core import SchemaValidator
        from pydantic_core import core_schema as cs
    except ImportError:  # pragma: no cover - pydantic-core is a requirement
        return {}
    config = cs.CoreConfig(regex_engine="python-re")  # the `re` semantics jsonschema has
    compiled = {}
    for event_type in DATA_SCHEMAS:
        try:
            compiled[event_type] = SchemaValidator(_core(envelope_schema(event_type)), config)
        except Exception:  # noqa: BLE001 - _Unsupported, or a pydantic-core that differs
            continue  # this event type is checked by jsonschema alone: slower, never wrong
    return compiled


def compiled_event_types() -> frozenset[str]:
    """The event types whose envelopes ``fast_valid`` can accept (the rest: jsonschema)."""
    return frozenset(_validators())


def fast_valid(envelope: Mapping[str, Any]) -> bool:
    """True only when the envelope certainly matches its schema; False means "ask jsonschema"."""
    event_type = envelope.get("event_type")
    validator = _validators().get(event_type) if isinstance(event_type, str) else None
    if validator is None:
        return False
    try:
        validator.validate_python(envelope)
    except Exception:  # noqa: BLE001 - pydantic_core.ValidationError: jsonschema will say why
        return False
    return True
