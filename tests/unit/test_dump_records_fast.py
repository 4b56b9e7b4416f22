"""The dump records' compiled schemas may only ever be stricter than the JSON Schemas.

``core.dump.records.check_record`` lets a record in on the compiled schema's "yes" without
asking jsonschema, so a record it accepts must be one jsonschema (with the project's integer
and time rules) accepts. One hand-written record of every kind is mutated at every field (odd
values of every JSON type, odd times and SHAs, the field removed, an unknown field added) and
each mutant is judged by both.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.dump.records import SCHEMAS, _compiled, _validators, check_record
from core.errors import DumpError
from tests.mutants import ODD_VALUES, mutants

TIME = "2026-03-02T10:15:00Z"
SHA = "0123456789abcdef0123456789abcdef01234567"
USER = {"login": "dana"}
RECORDS: dict[str, dict[str, Any]] = {
    "repository": {
        "id": 7,
        "full_name": "acme/shop",
        "default_branch": "main",
        "html_url": "https://github.com/acme/shop",
        "source": "github",
    },
    "workflow": {"id": 3, "name": "CI", "path": ".github/workflows/ci.yml", "state": "active"},
    "workflow run": {
        "id": 90001,
        "run_attempt": 2,
        "workflow_id": 3,
        "run_number": 41,
        "name": "CI",
        "event": "push",
        "status": "completed",
        "conclusion": "failure",
        "head_branch": "main",
        "head_sha": SHA,
        "html_url": "https://github.com/acme/shop/actions/runs/90001",
        "display_title": "Bump the parser",
        "created_at": TIME,
        "updated_at": "2026-03-02T10:25:00+00:00",
        "run_started_at": TIME,
        "actor": USER,
        "triggering_actor": USER,
        "pull_requests": [{"number": 12}],
        "repository": {"full_name": "acme/shop"},
    },
    "job": {
        "id": 500,
        "run_id": 90001,
        "run_attempt": 2,
        "name": "test (3.11)",
        "status": "completed",
        "conclusion": "failure",
        "created_at": TIME,
        "started_at": TIME,
        "completed_at": "2026-03-02T10:24:00Z",
        "runner_name": "runner 4",
        "html_url": "https://github.com/acme/shop/actions/runs/90001/job/500",
        "labels": ["ubuntu-latest"],
        "steps": [
            {
                "number": 1,
                "name": "Run tests",
                "status": "completed",
                "conclusion": "failure",
                "started_at": TIME,
                "completed_at": "2026-03-02T10:23:00Z",
            }
        ],
    },
    "commit": {
        "sha": SHA,
        "author": USER,
        "commit": {
            "message": "Bump the parser",
            "author": {"name": "Dana", "date": TIME},
            "committer": {"name": "Dana", "date": TIME},
        },
        "stats": {"additions": 3, "deletions": 1, "total": 4},
        "files": [{"filename": "requirements.txt"}],
    },
}
ODD_TEXT = [
    "yesterday",
    "1969-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-03-02 10:15:00",
    "../../..",
    "abc123",
    "ABCDEF0",
    "acme/shop/extra",
    "../shop",
    "acme/..",
    "٣",  # a digit that is not 0-9
]


def test_every_record_kind_is_compiled():
    assert all(_compiled()[kind] is not None for kind in SCHEMAS)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_the_hand_written_records_take_the_fast_path(kind):
    assert _compiled()[kind](copy.deepcopy(RECORDS[kind]))


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_nothing_jsonschema_refuses_is_accepted_by_the_compiled_schema(kind):
    judge, fast = _validators()[kind], _compiled()[kind]
    looser = [
        mutant
        for mutant in mutants(RECORDS[kind], [*ODD_VALUES, *ODD_TEXT])
        if fast(copy.deepcopy(mutant)) and not judge.is_valid(mutant)
    ]
    assert looser == []


def test_a_refusal_still_names_the_file_line_and_field():
    job = copy.deepcopy(RECORDS["job"])
    job["steps"][0]["started_at"] = "yesterday"
    with pytest.raises(DumpError, match=r"jobs/500\.json, field steps\[0\]\.started_at: "):
        check_record("job", job, "jobs/500.json")


def test_times_are_made_canonical_on_the_fast_path_too():
    run = check_record("workflow run", copy.deepcopy(RECORDS["workflow run"]), "line 1")
    assert run["updated_at"] == "2026-03-02T10:25:00Z"
