"""The Queues page (Streamlit AppTest): it renders backlog, charts, dead letters with their
errors, the last messages and worker health, and its retry button puts dead letters back."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.messages.envelope import make_message
from core.queue.supervisor import stop_workers
from core.store import outbox
from core.store.db import Store
from core.store.outbox import enqueue
from tests.app.conftest import RUN_TIMEOUT_S
from tests.integration.sqs_support import MotoServer

PAGE = Path(__file__).resolve().parents[2] / "pages" / "queues.py"


def _seed(db: Path) -> None:
    """Given a store where 6 messages were published and 2 died with an error."""
    store = Store(db)
    messages = [
        make_message(
            "anomaly",
            "o/r",
            f"k{i}",
            {"subject": f"run:{i}", "metric": "m", "value": float(i), "score": 3.0},
        )
        for i in range(8)
    ]
    with store.transaction() as tx:
        enqueue(tx, messages)
    rows = outbox.claim(store, "seed", limit=8)
    outbox.mark_sent(store, rows[:6])
    outbox.mark_failed(
        store, [(r, "InvalidParameterValue: too big") for r in rows[6:]], permanent=True
    )
    outbox.record_sample(store)


@pytest.fixture()
def page_env(tmp_path, monkeypatch):
    server = MotoServer()
    db = tmp_path / "queues.db"
    _seed(db)
    for name, value in {
        "CI_MEDIC_GITHUB_TOKEN": "app-test-token-123",
        "CI_MEDIC_DB_PATH": str(db),
        "CI_MEDIC_SQS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "CI_MEDIC_WORKER_EMBEDDED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    yield db
    stop_workers()
    server.stop()


def test_queues_page_shows_backlog_history_dead_letters_and_health(page_env):
    at = AppTest.from_file(str(PAGE), default_timeout=RUN_TIMEOUT_S).run()

    assert not at.exception
    assert at.title[0].value == "Queues"
    labels = {m.label: m.value for m in at.metric}
    assert labels["Dead letters"] == "2" and labels["Published"] == "6"
    assert len(at.get("plotly_chart")) >= 2
    dead = next(df.value for df in at.dataframe if "attempts" in df.value.columns)
    assert len(dead) == 2 and dead["last_error"].str.contains("too big").all()
    assert len(at.json) == 5  # the newest five published messages of the analysis queue
    assert len(at.get("download_button")) >= 2


def test_retry_button_puts_every_dead_letter_back(page_env):
    at = AppTest.from_file(str(PAGE), default_timeout=RUN_TIMEOUT_S).run()
    at.button(key="queues_retry_all").click().run()

    assert not at.exception
    store = Store(page_env)
    assert store.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'dead'") == 0


def test_given_published_messages_when_the_page_renders_then_last_messages_read_as_rows(page_env):
    at = AppTest.from_file(str(PAGE), default_timeout=RUN_TIMEOUT_S).run()

    assert not at.exception
    last = next(df.value for df in at.dataframe if "summary" in df.value.columns)
    assert {"time", "event_type", "queue", "summary"} <= set(last.columns)
    assert len(last) == 5 and set(last["queue"]) == {"ci_cd_analysis_results_queue"}
    assert set(last["event_type"]) == {"anomaly"}
    assert not last["summary"].str.startswith("{").any()
    assert not last["time"].astype(str).str.contains(r"\+00:00").any()
    assert len(at.json) == 5  # each message's JSON is still there, folded away


def test_given_the_queue_charts_when_drawn_then_each_exports_like_every_other_chart(page_env):
    at = AppTest.from_file(str(PAGE), default_timeout=RUN_TIMEOUT_S).run()

    charts = at.get("plotly_chart")
    html = [b for b in at.get("download_button") if b.proto.label.endswith("HTML")]
    assert charts and len(html) == len(charts)
