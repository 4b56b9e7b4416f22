"""What a dump record must look like before ``import`` lets it into the store.

A dump is untrusted input, and the store feeds every page: a run id of ``1e30``, a job that is a
list, or a ``created_at`` of ``"yesterday"`` must stop at the door with a sentence naming the
file, the line and the field, not crash a page a week later. Each record kind has a small JSON
Schema covering every field the mapping (:mod:`core.github.mapping`) reads; fields it does not
read are left alone, and fields a source lacks may be absent or null, as the dump format says.

Checked on the way in:
- ids are whole numbers that fit SQLite (no ``1e30``, no ``"12"``, no ``true``);
- commit SHAs are hex digits (so ``../../..`` never names a file), ``full_name`` is owner/name;
- times are ISO-8601 between 1970 and 2200 (what pandas and every page can draw); a time in
  another zone or form is rewritten as GitHub writes it, ``2024-05-01T12:00:00Z``, so every
  time in the store compares and sorts as text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import extend

from core.errors import DumpError
from core.fast_schema import Predicate, compile_schema

__all__ = ["SCHEMAS", "check_record", "canonical_time"]

_MAX_ID = 2**63 - 1  # SQLite's INTEGER
_FIRST_YEAR, _END_YEAR = 1970, 2200
_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_TIME_FORMAT = "ci-time"

_ID = {"type": "integer", "minimum": 1, "maximum": _MAX_ID}
_OPT_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": _MAX_ID}
_COUNT = {"type": ["integer", "null"], "minimum": 0, "maximum": _MAX_ID}
_ATTEMPT = {"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000}
_TEXT = {"type": ["string", "null"]}
_TIME = {
    "type": ["string", "null"],
    "format": _TIME_FORMAT,
    "description": f"an ISO-8601 time such as 2024-05-01T12:00:00Z between {_FIRST_YEAR} and "
    f"{_END_YEAR}",
}
_SHA = {
    "type": ["string", "null"],
    "pattern": "^[0-9a-fA-F]{7,64}$",
    "description": "a commit SHA (7 to 64 hex digits)",
}
_USER = {"type": ["object", "null"], "properties": {"login": _TEXT}}

SCHEMAS: dict[str, dict[str, Any]] = {
    "repository": {
        "type": "object",
        "required": ["full_name"],
        "properties": {
            "id": _OPT_ID,
            "full_name": {
                "type": "string",
                "pattern": r"^(?!\.+/)[A-Za-z0-9_.-]+/(?!\.+$)[A-Za-z0-9_.-]+$",
                "description": "a repository name such as owner/name",
            },
            "default_branch": _TEXT,
            "html_url": _TEXT,
            "source": _TEXT,
        },
    },
    "workflow": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": _ID, "name": _TEXT, "path": _TEXT, "state": _TEXT},
    },
    "workflow run": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": _ID,
            "run_attempt": _ATTEMPT,
            "workflow_id": _OPT_ID,
            "run_number": _COUNT,
            "name": _TEXT,
            "event": _TEXT,
            "status": _TEXT,
            "conclusion": _TEXT,
            "head_branch": _TEXT,
            "head_sha": _SHA,
            "html_url": _TEXT,
            "display_title": _TEXT,
            "created_at": _TIME,
            "updated_at": _TIME,
            "run_started_at": _TIME,
            "actor": _USER,
            "triggering_actor": _USER,
            "pull_requests": {
                "type": ["array", "null"],
                "items": {"type": "object", "properties": {"number": _COUNT}},
            },
            "repository": {"type": ["object", "null"]},
        },
    },
    "job": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": _ID,
            "run_id": _OPT_ID,
            "run_attempt": _ATTEMPT,
            "name": _TEXT,
            "status": _TEXT,
            "conclusion": _TEXT,
            "created_at": _TIME,
            "started_at": _TIME,
            "completed_at": _TIME,
            "runner_name": _TEXT,
            "html_url": _TEXT,
            "labels": {"type": ["array", "null"], "items": {"type": "string"}},
            "steps": {
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "properties": {
                        "number": _COUNT,
                        "name": _TEXT,
                        "status": _TEXT,
                        "conclusion": _TEXT,
                        "started_at": _TIME,
                        "completed_at": _TIME,
                    },
                },
            },
        },
    },
    "commit": {
        "type": "object",
        "properties": {
            "sha": _SHA,
            "author": _USER,
            "commit": {
                "type": ["object", "null"],
                "properties": {
                    "message": _TEXT,
                    "author": {
                        "type": ["object", "null"],
                        "properties": {"name": _TEXT, "date": _TIME},
                    },
                    "committer": {
                        "type": ["object", "null"],
                        "properties": {"name": _TEXT, "date": _TIME},
                    },
                },
            },
            "stats": {
                "type": ["object", "null"],
                "properties": {"additions": _COUNT, "deletions": _COUNT, "total": _COUNT},
            },
            "files": {
                "type": ["array", "null"],
                "items": {"type": "object", "properties": {"filename": _TEXT}},
            },
        },
    },
}


def _parse_time(value: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    try:
        stamp = stamp.astimezone(UTC)
    except OverflowError:  # year 1 at UTC-1, year 9999 at UTC+1
        return None
    return stamp if _FIRST_YEAR <= stamp.year < _END_YEAR else None


def canonical_time(value: str) -> str:
    """``value`` as GitHub writes times (``2024-05-01T12:00:00Z``, UTC, whole seconds); the
    value itself when it already is. ValueError when it is no time :func:`check_record` takes."""
    if _CANONICAL.fullmatch(value) and _parse_time(value) is not None:
        return value
    stamp = _parse_time(value)
    if stamp is None:
        raise ValueError(f"{value!r} is not a time")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_time(value: str) -> bool:
    """The ``ci-time`` format, for jsonschema and the compiled schemas alike."""
    return _parse_time(value) is not None


@cache
def _validators() -> dict[str, Draft202012Validator]:
    checker = FormatChecker(formats=())
    checker.checks(_TIME_FORMAT)(lambda value: not isinstance(value, str) or _is_time(value))
    # a whole number is an int: JSON's 1e30 and 5.0 are floats, and true is no id
    types = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    validator = extend(Draft202012Validator, type_checker=types)
    return {kind: validator(schema, format_checker=checker) for kind, schema in SCHEMAS.items()}


@cache
def _compiled() -> dict[str, Predicate | None]:
    """The schemas compiled (:mod:`core.fast_schema`): a "yes" from one is a yes from
    jsonschema too, ~25x faster (jsonschema was three quarters of a large import's CPU)."""
    formats = {_TIME_FORMAT: _is_time}
    return {kind: compile_schema(schema, formats) for kind, schema in SCHEMAS.items()}


def check_record(kind: str, record: Any, where: str) -> dict[str, Any]:
    """``record`` checked against the schema of ``kind`` and with its times made canonical.

    ``where`` names the record for the sentence (``runs.jsonl line 7``): DumpError says e.g.
    ``runs.jsonl line 7, field head_sha: '../../..' is not a commit SHA (7 to 64 hex digits).``
    Only a record the compiled schema does not accept is walked by jsonschema, the judge.
    """
    fast = _compiled()[kind]
    if fast is None or not fast(record):
        error = best_match(_validators()[kind].iter_errors(record))
        if error is not None:
            raise DumpError(f"{where}{_field(error)}: {_problem(error, kind)}.")
    _canonical_times(SCHEMAS[kind], record)
    return record


def _field(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f", field {path}" if path else ""


def _problem(error: ValidationError, kind: str) -> str:
    value, schema = error.instance, error.schema
    if error.validator == "type":
        wanted = schema.get("type")
        names = [_TYPE_NAMES.get(t, t) for t in ([wanted] if isinstance(wanted, str) else wanted)]
        if not error.absolute_path:
            return f"is {_kind(value)}, not {_KIND_NAMES.get(kind, 'an object')}"
        return f"is {_shown(value)} ({_kind(value)}), not {' or '.join(names)}"
    if error.validator in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        return f"is {_shown(value)}, outside {low:,} to {high:,}"
    if error.validator in ("pattern", "format"):
        return f"is {_shown(value)}, not {schema.get('description', 'in the expected form')}"
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in value]
        return f"has no {missing[0]!r}" if missing else error.message
    return error.message


_TYPE_NAMES = {
    "integer": "a whole number",
    "string": "text",
    "object": "an object",
    "array": "a list",
    "null": "null",
    "number": "a number",
    "boolean": "true or false",
}
_KIND_NAMES = {
    "workflow run": "an object (one workflow run)",
    "job": "an object (one job)",
    "commit": "a commit object",
    "repository": "a repository object",
    "workflow": "a workflow object",
}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, float):
        return "a number with a fraction or an exponent"
    names = {int: "a whole number", str: "text", list: "a list", dict: "an object"}
    return names.get(type(value), "null" if value is None else type(value).__name__)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _canonical_times(schema: dict[str, Any], value: Any) -> None:
    """Rewrite, in place, every time the schema marks (the record is valid by now)."""
    if isinstance(value, dict):
        for name, sub in schema.get("properties", {}).items():
            found = value.get(name)
            if sub.get("format") == _TIME_FORMAT and isinstance(found, str):
                value[name] = canonical_time(found)
            elif found is not None:
                _canonical_times(sub, found)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            _canonical_times(schema["items"], item)
