"""Issue 12 on the Queues page: "Last messages" is a table a person reads (event type, queue,
time, one line saying what the message is about), not a column of ``{...}``."""

from __future__ import annotations

import json

from core.messages.envelope import make_message
from core.queue.view import MESSAGE_COLUMNS, message_summary, messages_table


def _envelope(event_type: str, data: dict) -> dict:
    return json.loads(make_message(event_type, "o/r", "k", data).body)


RUN = {
    "run_id": 9100200300,
    "attempt": 2,
    "status": "completed",
    "conclusion": "failure",
    "created_at": "2026-01-01T11:40:02Z",
    "workflow_name": "CI",
    "run_number": 1287,
    "head_branch": "feature/cart-totals",
}


def test_given_a_workflow_run_message_when_summarised_then_one_line_says_which_run_and_how():
    summary = message_summary(_envelope("workflow_run", RUN))

    assert summary == "CI #1287 attempt 2: failure · feature/cart-totals"


def test_given_analysis_messages_when_summarised_then_subject_and_finding_are_named():
    cause = _envelope(
        "root_cause",
        {
            "subject": "job:25",
            "category": "test_failure",
            "confidence": 0.86,
            "summary": "tests/test_totals.py::test_rounding fails\non a float comparison",
        },
    )
    anomaly = _envelope("anomaly", {"subject": "run:1", "metric": "m", "value": 3.0, "score": 4})

    assert message_summary(cause) == (
        "job:25: test_failure · tests/test_totals.py::test_rounding fails on a float comparison"
    )
    assert message_summary(anomaly) == "run:1: m = 3.0 (score 4)"


def test_given_a_long_log_message_when_summarised_then_the_line_stays_short():
    log = _envelope("job_log", {"job_id": 7, "content": "x" * 50_000, "n_lines": 1200})

    summary = message_summary(log)

    assert summary == "log of job 7: 1,200 lines" and "\n" not in summary


def test_given_a_body_that_is_no_message_when_summarised_then_it_says_so_without_failing():
    assert message_summary({"unparsed_body": "{not json"}) == "{not json"
    assert message_summary({"event_type": "root_cause", "data": {"subject": 1}}).startswith("1:")


def test_given_published_envelopes_when_tabled_then_each_row_has_time_type_queue_summary():
    envelopes = [_envelope("workflow_run", RUN), _envelope("workflow_run", RUN | {"attempt": 3})]

    table = messages_table(envelopes, "ci_cd_metrics_queue")

    assert list(table.columns) == MESSAGE_COLUMNS
    assert table["queue"].tolist() == ["ci_cd_metrics_queue"] * 2
    assert table["event_type"].tolist() == ["workflow_run"] * 2
    assert str(table["time"].dtype).startswith("datetime64") and table["time"].notna().all()
    assert table["message_id"].tolist() == [e["message_id"] for e in envelopes]
    assert not any(cell.startswith("{") for cell in table["summary"])


def test_given_a_run_message_with_its_jobs_inside_when_summarised_then_the_jobs_are_counted():
    jobs = [
        {
            "job_id": n,
            "run_id": 9100200300,
            "attempt": 2,
            "name": f"test ({n})",
            "status": "completed",
            "conclusion": "success",
            "steps": [],
        }
        for n in (1, 2, 3)
    ]
    summary = message_summary(_envelope("workflow_run", dict(RUN, jobs=jobs)))

    assert summary == "CI #1287 attempt 2: failure, 3 jobs · feature/cart-totals"
