"""The compiled schemas may only ever be stricter than the JSON Schemas, never looser.

``core.messages.compiled.fast_valid`` lets a body through without asking jsonschema, so a body
it accepts must be one jsonschema accepts. Every documented example is mutated at every field
(odd values of every JSON type, the field removed, an unknown field added) and each mutant is
judged by both.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from core.messages.compiled import compiled_event_types, fast_valid
from core.messages.envelope import InvalidMessage, validate
from core.messages.schemas import DATA_SCHEMAS, envelope_schema
from tests.mutants import mutants

DOCS = Path(__file__).resolve().parents[2] / "docs" / "messages.md"


def _examples() -> dict[str, dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    found = [json.loads(block) for block in blocks]
    return {e["event_type"]: e for e in found if "event_type" in e}


def test_every_event_type_is_compiled():
    assert compiled_event_types() == frozenset(DATA_SCHEMAS)


@pytest.mark.parametrize("event_type", sorted(DATA_SCHEMAS))
def test_documented_examples_take_the_fast_path(event_type):
    assert fast_valid(_examples()[event_type])


@pytest.mark.parametrize("event_type", sorted(DATA_SCHEMAS))
def test_nothing_jsonschema_refuses_is_accepted_by_the_compiled_schema(event_type):
    judge = Draft202012Validator(envelope_schema(event_type))
    looser = [
        mutant
        for mutant in mutants(_examples()[event_type])
        if fast_valid(mutant) and not judge.is_valid(mutant)
    ]
    assert looser == []


def test_a_body_the_compiled_schema_is_stricter_about_is_still_judged_by_jsonschema():
    example = copy.deepcopy(_examples()["workflow_run"])
    example["data"]["run_id"] = 9100200300.0  # a JSON integer written with a fraction
    assert not fast_valid(example)
    assert validate(example)["data"]["run_id"] == 9100200300


def test_a_refusal_still_names_the_field():
    example = copy.deepcopy(_examples()["workflow_job"])
    example["data"]["steps"][0]["number"] = "one"
    with pytest.raises(InvalidMessage, match=r"data\.steps\.0\.number"):
        validate(example)
