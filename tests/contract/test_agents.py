"""One contract over every registered agent (scikit-learn's common checks are the model).

Every agent in :mod:`agents.registry`, whatever it does, must:

* have the attributes the :class:`~agents.base.Agent` protocol names, with sane values, and a
  page section when it is a Layer-2/3 agent;
* on an empty store, return a result that says so in a sentence, with its documented columns,
  and raise nothing;
* on the demo, run twice and find the same thing both times (the second run adds no message);
* only queue messages that validate against their schemas.

Collection agents talk to GitHub, so they get a real PyGithub source pointed at the emulator
(an empty repository for the empty case, the small demo otherwise); the others get none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from agents.base import Agent, AgentContext, AgentResult
from agents.registry import all_agents
from core.config import Settings
from core.dump.files import DumpWriter
from core.github.source import GitHubSource
from core.messages.envelope import validate
from core.sandbox.demo.generator import DEMO_REPO, generate_demo
from core.sandbox.emulator.server import Emulator
from core.store.db import Store
from tests.integration.conftest import snapshot

ROOT = Path(__file__).resolve().parents[2]
AGENTS = all_agents()
EMPTY_REPO = "octo-org/nothing-yet"


def _ids(agent: Agent) -> str:
    return agent.name


def _context(store: Store, emu: Emulator, repo: str, agent: Agent) -> AgentContext:
    settings = Settings().with_(
        github_base_url=emu.base_url, github_token="t0ken-for-tests", db_path=str(store.path)
    )
    source = GitHubSource(settings, sleep=lambda _s: None) if agent.needs_source else None
    return AgentContext(store=store, settings=settings, repo=repo, source=source)


def _outbox_bodies(store: Store) -> list[str]:
    """Every message the outbox holds, in a stable order."""
    return [row[0] for row in store.query("SELECT body FROM outbox ORDER BY message_id")]


def _check_result(agent: Agent, result: AgentResult) -> None:
    assert isinstance(result, AgentResult) and result.agent == agent.name
    assert isinstance(result.findings, pd.DataFrame)
    missing = [c for c in agent.finding_columns if c not in result.findings.columns]
    assert not missing, f"{agent.name} findings lack their documented columns {missing}"
    assert isinstance(result.summary, str) and result.summary.strip()
    for message in result.messages:
        validate(message.body)


@pytest.fixture(scope="module")
def empty_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A repository whose one workflow never ran, served like github.com serves one."""
    root = tmp_path_factory.mktemp("empty") / "dump"
    writer = DumpWriter(root)
    writer.repo(
        {
            "id": 4242,
            "full_name": EMPTY_REPO,
            "name": EMPTY_REPO.split("/")[1],
            "default_branch": "main",
            "html_url": f"https://github.com/{EMPTY_REPO}",
        }
    )
    writer.workflows(
        [{"id": 7, "name": "CI", "path": ".github/workflows/ci.yml", "state": "active"}]
    )
    writer.runs([])
    with Emulator(root) as emu:
        yield emu


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A small demo that ends at the start of this week (Monday 00:00 UTC), so the monitor's
    default look-back sees all of it. Why not the current hour: the demo is drawn around its
    end's clock, and 120 runs over 6 days ending at some hours held no anomaly for Anomaly
    Detection to find (the demo test failed on main at 10:00 on 2026-12-07); ending on a week's
    start, the demo is the same every week but for its dates."""
    now = datetime.now(UTC)
    end = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    dump = generate_demo(
        tmp_path_factory.mktemp("demo") / "dump", seed=5, end=end, runs_target=120, days=6
    )
    with Emulator(dump) as emu:
        yield emu


@pytest.fixture(scope="module")
def demo_runs(demo: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every agent run twice in registry order on one store: (result 1, result 2, snapshots)."""
    store = Store(tmp_path_factory.mktemp("store") / "contract.db")
    runs = {}
    for agent in AGENTS:
        first = agent.run(_context(store, demo, DEMO_REPO, agent))
        after_first = snapshot(store), _outbox_bodies(store)
        second = agent.run(_context(store, demo, DEMO_REPO, agent))
        after_second = snapshot(store), _outbox_bodies(store)
        runs[agent.name] = (first, second, after_first, after_second)
    return runs


@pytest.mark.parametrize("agent", AGENTS, ids=_ids)
def test_every_agent_names_what_the_runner_reads(agent: Agent):
    assert isinstance(agent, Agent)
    assert agent.name.isidentifier() and agent.layer in (1, 2, 3) and agent.title.strip()
    assert isinstance(agent.needs_source, bool)
    assert agent.csv_name.endswith(".csv") and "/" not in agent.csv_name
    assert agent.finding_columns and all(isinstance(c, str) for c in agent.finding_columns)


@pytest.mark.parametrize("agent", [a for a in AGENTS if a.layer >= 2], ids=_ids)
def test_every_analysis_agent_has_a_page_section_with_render(agent: Agent):
    import importlib

    section = importlib.import_module(f"pages.sections.{agent.name}")

    assert callable(section.render)


def test_agents_have_unique_names_and_csv_files_and_come_in_layer_order():
    assert len({a.name for a in AGENTS}) == len(AGENTS)
    assert len({a.csv_name for a in AGENTS}) == len(AGENTS)
    assert [a.layer for a in AGENTS] == sorted(a.layer for a in AGENTS)


@pytest.mark.parametrize("agent", AGENTS, ids=_ids)
def test_given_an_empty_store_when_an_agent_runs_then_it_says_so_and_raises_nothing(
    agent: Agent, empty_repo: Emulator, tmp_path: Path
):
    store = Store(tmp_path / "empty.db")

    result = agent.run(_context(store, empty_repo, EMPTY_REPO, agent))

    _check_result(agent, result)
    assert result.findings.empty


@pytest.mark.parametrize("agent", AGENTS, ids=_ids)
def test_given_the_demo_when_an_agent_runs_twice_then_it_finds_the_same(
    agent: Agent, demo_runs: dict
):
    first, second, (store_1, outbox_1), (store_2, outbox_2) = demo_runs[agent.name]

    _check_result(agent, first)
    _check_result(agent, second)
    assert store_1 == store_2, "a second run changed the stored data"
    assert outbox_1 == outbox_2, "a second run queued new messages"
    if not agent.needs_source:  # analysis agents report everything they know every time
        assert not first.findings.empty
        pd.testing.assert_frame_equal(first.findings, second.findings)
        assert not second.messages


@pytest.mark.parametrize("agent", AGENTS, ids=_ids)
def test_given_the_demo_when_an_agent_runs_then_everything_it_queued_validates(
    agent: Agent, demo_runs: dict
):
    first, *_ = demo_runs[agent.name]
    for body in demo_runs[agent.name][2][1]:
        validate(body)
    for message in first.messages:
        validate(message.body)


@pytest.fixture(scope="module")
def predictable(demo: Emulator, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, set]:
    """The demo synced and its features built, the three newest runs made unfinished again (the
    runs Failure Prediction scores live and explains in words); with every unfinished run's
    (run id, attempt). Why the set and not "three": a run of the demo itself may still be in
    progress at its end (one more to score)."""
    store = Store(tmp_path_factory.mktemp("predict") / "predict.db")
    for agent in AGENTS:
        if agent.name in ("pipeline_monitor", "feature_engineering"):
            agent.run(_context(store, demo, DEMO_REPO, agent))
    with store.transaction() as tx:
        tx.execute(
            "UPDATE run_features SET data = json_set(data, '$.status', 'in_progress',"
            " '$.failed', json('null')) WHERE rowid IN (SELECT rowid FROM run_features"
            " ORDER BY created_at DESC LIMIT 3)"
        )
    unfinished = store.query(
        "SELECT run_id, attempt FROM run_features"
        " WHERE json_extract(data, '$.status') IS NOT 'completed'"
    )
    return store, {(int(run_id), int(attempt)) for run_id, attempt in unfinished}


@pytest.mark.parametrize("model", ["random_forest", "logistic_regression", "gradient_boosting"])
def test_every_model_the_page_offers_scores_and_explains_the_unfinished_runs(
    model: str, predictable: tuple[Store, set], demo: Emulator
):
    store, unfinished = predictable
    agent = next(a for a in AGENTS if a.name == "failure_prediction")
    context = _context(store, demo, DEMO_REPO, agent)
    context.options["model"] = model
    result = agent.run(context)
    _check_result(agent, result)
    live = result.findings[~result.findings["backtest"].astype(bool)]
    assert len(unfinished) >= 3
    assert set(zip(live["run_id"], live["run_attempt"], strict=True)) == unfinished
    # reasons name what raises a run's probability (a run with none raising it has none)
    assert live["reasons"].map(lambda text: isinstance(text, str)).all()
    assert live["reasons"].str.strip().ne("").any()
