"""A JSON Schema compiled to a pydantic-core validator: a fast way to say "valid", never "invalid".

Why: jsonschema walks a schema in Python (~0.5 ms for a job with a dozen steps). The queue
worker checks every message body and ``import`` every dump record with it, and a 100k-run
history is hundreds of thousands of each: jsonschema alone was three quarters of an import's
CPU. pydantic-core runs the same checks compiled (~25x faster).

Why it can only ever say "valid": jsonschema stays the judge. :func:`compile_schema` returns a
predicate that answers True only when the compiled validator accepts the whole value; on False
the caller asks jsonschema, which rejects with its usual sentence (or accepts what the compiled
form was stricter about, e.g. ``1.0`` for an integer). So a compiled schema must be *at least
as strict* as its JSON Schema, never looser: every type is strict (no "1" for 1, no true for
1), and a schema using a keyword (or a ``format``) not translated here is not compiled at all
(:func:`compile_schema` returns None: jsonschema alone, slower, never wrong).
``tests/unit/test_compiled_schemas.py`` and ``tests/unit/test_dump_records_fast.py`` hold the
message and the dump record schemas to that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Predicate", "compile_schema"]

Predicate = Callable[[Any], bool]
FormatCheck = Callable[[str], bool]  # True when a string has the format

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
    "format",
}


class _Unsupported(Exception):
    """A schema uses something this module does not translate: leave it to jsonschema."""


def compile_schema(
    schema: Mapping[str, Any], formats: Mapping[str, FormatCheck] | None = None
) -> Predicate | None:
    """``schema`` (the subset this project writes) as a "certainly valid" predicate, or None
    when it uses something not translated here. ``formats`` holds the check of every
    ``format`` the schema names (jsonschema's FormatChecker given the same checks: strings
    only); a format without one is not compiled."""
    try:
        from pydantic_core import SchemaValidator
    except ImportError:  # pragma: no cover - pydantic-core is a requirement
        return None
    try:
        validator = SchemaValidator(_Translator(formats or {}).core(schema))
    except Exception:  # noqa: BLE001 - _Unsupported, or a pydantic-core that differs
        return None

    def certainly_valid(value: Any) -> bool:
        try:
            validator.validate_python(value)
        except Exception:  # noqa: BLE001 - pydantic_core.ValidationError: jsonschema says why
            return False
        return True

    return certainly_valid


class _Translator:
    """One JSON Schema -> a pydantic-core schema, with the format checks it may use."""

    def __init__(self, formats: Mapping[str, FormatCheck]) -> None:
        self.formats = formats

    def core(self, schema: Mapping[str, Any]) -> Any:
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
        if "format" in schema and "string" not in kinds:
            raise _Unsupported("a format on a schema without strings")
        nullable = "null" in kinds
        choices = [self._typed(kind, schema) for kind in kinds if kind != "null"]
        if not choices:
            raise _Unsupported("null only")
        inner = choices[0] if len(choices) == 1 else cs.union_schema(choices)
        return cs.nullable_schema(inner) if nullable else inner

    def _typed(self, kind: str, schema: Mapping[str, Any]) -> Any:
        from pydantic_core import core_schema as cs

        bounds = {"ge": schema.get("minimum"), "le": schema.get("maximum")}
        if kind == "integer":
            return cs.int_schema(strict=True, **bounds)
        if kind == "number":
            return cs.float_schema(strict=True, allow_inf_nan=True, **bounds)
        if kind == "boolean":
            return cs.bool_schema(strict=True)
        if kind == "string":
            text = cs.str_schema(
                strict=True,
                pattern=schema.get("pattern"),
                min_length=schema.get("minLength"),
                max_length=schema.get("maxLength"),
                regex_engine="python-re",  # jsonschema's `re` semantics (a config given to
            )  # the validator does not reach the fields of a typed dict)
            return self._formatted(text, schema.get("format"))
        if kind == "array":
            items = schema.get("items", {})
            if not isinstance(items, Mapping):
                raise _Unsupported("items as a list")
            return cs.list_schema(self.core(items), strict=True)
        if kind == "object":
            return self._object(schema)
        raise _Unsupported(kind)

    def _formatted(self, text: Any, name: str | None) -> Any:
        """A string schema that also passes ``name``'s check (none: as it is)."""
        from pydantic_core import core_schema as cs

        if name is None:
            return text
        check = self.formats.get(name)
        if check is None:
            raise _Unsupported(f"format {name}")

        def has_format(value: str) -> str:
            if not check(value):
                raise ValueError(f"not {name}")
            return value

        return cs.no_info_after_validator_function(has_format, text)

    def _object(self, schema: Mapping[str, Any]) -> Any:
        from pydantic_core import core_schema as cs

        required = set(schema.get("required", []))
        properties = dict(schema.get("properties", {}))
        extra = schema.get("additionalProperties", True)
        if required - set(properties) and extra is not True:
            # a required name outside the properties would be let in as one of them, where
            # jsonschema checks it against additionalProperties: not translated
            raise _Unsupported("required names outside the properties")
        if required - set(properties):
            properties.update({name: {} for name in required - set(properties)})
        if not properties and extra is True:
            return cs.dict_schema(cs.str_schema(strict=True), cs.any_schema(), strict=True)
        fields = {
            name: cs.typed_dict_field(self.core(sub), required=name in required)
            for name, sub in properties.items()
        }
        if extra is False:
            return cs.typed_dict_schema(fields, extra_behavior="forbid", strict=True)
        if extra is True:
            return cs.typed_dict_schema(fields, extra_behavior="allow", strict=True)
        if properties:
            raise _Unsupported("properties with an additionalProperties schema")
        return cs.dict_schema(cs.str_schema(strict=True), self.core(extra), strict=True)
