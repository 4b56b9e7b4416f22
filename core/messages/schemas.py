"""JSON Schemas (draft 2020-12, as Python dicts) of the message envelope and of every event's data.

Why here and not in docs only: the worker validates every body against these before publishing,
so a consumer can rely on them, and ``docs/messages.md`` shows one example per event type that a
unit test validates against the very same dicts. Data schemas list what a consumer may count on
(``required``) and allow extra fields, so producers can add information without a new version;
removing or retyping a required field is a new ``SCHEMA_VERSION``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ENVELOPE_SCHEMA", "DATA_SCHEMAS", "PART_EVENT", "envelope_schema"]

PART_EVENT = "message_part"
"""The event type of one ordered part of a body too large for one SQS message."""

_INT = {"type": "integer"}
_NUM = {"type": ["number", "null"]}
_STR = {"type": ["string", "null"]}
_OPT_INT = {"type": ["integer", "null"]}
_TIME = {
    "type": ["string", "null"],
    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
}
_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}
_SUBJECT = {
    "type": "string",
    "minLength": 1,
    "description": "what the result is about: run:<id>, job:<id>, test:<id>, step:...",
}


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": True,
    }


_STEP = _object(
    ["number", "name", "status", "conclusion"],
    {
        "number": _INT,
        "name": _STR,
        "status": _STR,
        "conclusion": _STR,
        "started_at": _TIME,
        "completed_at": _TIME,
        "duration_s": _NUM,
    },
)

_JOB = _object(
    ["job_id", "run_id", "attempt", "name", "status", "conclusion", "steps"],
    {
        "job_id": _INT,
        "run_id": _INT,
        "attempt": {"type": "integer", "minimum": 1},
        "repo_id": _OPT_INT,
        "name": _STR,
        "status": _STR,
        "conclusion": _STR,
        "created_at": _TIME,
        "started_at": _TIME,
        "completed_at": _TIME,
        "queue_s": _NUM,
        "duration_s": _NUM,
        "runner_name": _STR,
        "runner_os": _STR,
        "labels": _STR,
        "html_url": _STR,
        "steps": {"type": "array", "items": _STEP},
    },
)

_RUN = _object(
    ["run_id", "attempt", "status", "conclusion", "created_at"],
    {
        "run_id": _INT,
        "attempt": {"type": "integer", "minimum": 1},
        "repo_id": _OPT_INT,
        "is_latest": _OPT_INT,
        "workflow_id": _OPT_INT,
        "workflow_name": _STR,
        "run_number": _OPT_INT,
        "event": _STR,
        "status": _STR,
        "conclusion": _STR,
        "head_branch": _STR,
        "head_sha": _STR,
        "actor": _STR,
        "pr_numbers": _STR,
        "created_at": _TIME,
        "run_started_at": _TIME,
        "updated_at": _TIME,
        "duration_s": _NUM,
        "html_url": _STR,
        "display_title": _STR,
        "jobs": {"type": "array", "items": _JOB},  # schema_version 2: the attempt's jobs
    },
)

_JOB_STEPS = _object(
    ["job_id", "steps"],
    {
        "job_id": _INT,
        "steps": {"type": "array", "items": _STEP},
    },
)

_COMMIT = _object(
    ["sha"],
    {
        "sha": {"type": "string", "minLength": 7, "maxLength": 64},
        "repo_id": _OPT_INT,
        "author_login": _STR,
        "author_name": _STR,
        "committed_at": _TIME,
        "message": _STR,
        "additions": _OPT_INT,
        "deletions": _OPT_INT,
        "files_changed": _OPT_INT,
        "files": _STR,
    },
)

_JOB_LOG = _object(
    ["job_id", "content"],
    {
        "job_id": _INT,
        "run_id": _OPT_INT,
        "attempt": _OPT_INT,
        "job_name": _STR,
        "encoding": {"type": "string", "enum": ["utf-8"]},
        "content": {"type": "string"},
        "n_lines": _OPT_INT,
        "raw_bytes": _OPT_INT,
        "truncated": {"type": ["boolean", "integer"]},
    },
)

_FEATURES = _object(
    ["subject", "features"],
    {
        "subject": _SUBJECT,
        "feature_version": {"type": ["string", "integer"]},
        "features": {
            "type": "object",
            "additionalProperties": {"type": ["number", "string", "boolean", "null"]},
        },
    },
)

_ANOMALY = _object(
    ["subject", "metric", "value", "score"],
    {
        "subject": _SUBJECT,
        "metric": {"type": "string"},
        "value": _NUM,
        "expected": _NUM,
        "score": {"type": "number"},
        "severity": _STR,
        "method": _STR,
        "detected_at": _TIME,
    },
)

_FLAKY = _object(
    ["test_id", "flake_rate"],
    {
        "test_id": {"type": "string", "minLength": 1},
        "flake_rate": _PROBABILITY,
        "runs": _OPT_INT,
        "failures": _OPT_INT,
        "flips": _OPT_INT,
        "score": _NUM,
        "last_seen": _TIME,
        "evidence": {"type": "array"},
        "quarantine": {"type": ["object", "null"]},
    },
)

_ROOT_CAUSE = _object(
    ["subject", "category", "confidence"],
    {
        "subject": _SUBJECT,
        "job_id": _OPT_INT,
        "category": {"type": "string"},
        "confidence": _PROBABILITY,
        "summary": _STR,
        "evidence": {"type": "array", "items": {"type": "string"}},
    },
)

_PREDICTION = _object(
    ["subject", "probability"],
    {
        "subject": _SUBJECT,
        "probability": _PROBABILITY,
        "label": _STR,
        "model": _STR,
        "threshold": _NUM,
        "top_features": {
            "type": "array",
            "items": _object(
                ["feature"], {"feature": {"type": "string"}, "value": {}, "shap": _NUM}
            ),
        },
    },
)

_REMEDIATION = _object(
    ["subject", "action", "status"],
    {
        "subject": _SUBJECT,
        "action": {"type": "string", "minLength": 1},
        "status": {
            "type": "string",
            "enum": ["proposed", "dry_run", "approved", "applied", "rejected", "failed"],
        },
        "risk": _STR,
        "rationale": _STR,
        "finding": _STR,
    },
)

_PART = _object(
    ["parent_event_type", "index", "count", "sha256", "encoding", "chunk"],
    {
        "parent_event_type": {"type": "string"},
        "index": {"type": "integer", "minimum": 0},
        "count": {"type": "integer", "minimum": 2},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "encoding": {"const": "base64"},
        "chunk": {"type": "string"},
    },
)

DATA_SCHEMAS: dict[str, dict[str, Any]] = {
    "workflow_run": _RUN,
    "workflow_job": _JOB,
    "job_steps": _JOB_STEPS,
    "commit": _COMMIT,
    "job_log": _JOB_LOG,
    "feature_set": _FEATURES,
    "anomaly": _ANOMALY,
    "flaky_test": _FLAKY,
    "root_cause": _ROOT_CAUSE,
    "prediction": _PREDICTION,
    "remediation": _REMEDIATION,
    PART_EVENT: _PART,
}
"""event_type -> JSON Schema of the envelope's ``data``."""

ENVELOPE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["event_type", "schema_version", "message_id", "repo", "timestamp", "data"],
    "additionalProperties": False,
    "properties": {
        "event_type": {"type": "string", "enum": sorted(DATA_SCHEMAS)},
        "schema_version": {"type": "integer", "minimum": 1},
        "message_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "repo": {"type": "string", "minLength": 1, "maxLength": 200},
        "timestamp": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        "data": {"type": "object"},
    },
}


def envelope_schema(event_type: str) -> dict[str, Any]:
    """The complete schema of one event type's envelope (what docs and consumers can use)."""
    schema = dict(ENVELOPE_SCHEMA)
    schema["properties"] = dict(
        ENVELOPE_SCHEMA["properties"],
        event_type={"const": event_type},
        data=DATA_SCHEMAS[event_type],
    )
    return schema
