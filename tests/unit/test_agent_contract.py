"""One contract over every registered agent (scikit-learn's habit): same shape for all."""

from __future__ import annotations

import pytest

from agents.base import Agent
from agents.registry import all_agents, get_agent


@pytest.mark.parametrize("agent", all_agents(), ids=lambda a: a.name)
def test_every_agent_has_a_name_a_layer_a_title_and_run(agent):
    assert isinstance(agent, Agent)
    assert agent.name.isidentifier() and agent.layer in (1, 2, 3) and agent.title


def test_agents_come_in_layer_order_with_unique_names():
    agents = all_agents()
    assert [a.layer for a in agents] == sorted(a.layer for a in agents)
    assert len({a.name for a in agents}) == len(agents)
    assert get_agent(agents[0].name).name == agents[0].name
    with pytest.raises(KeyError):
        get_agent("no_such_agent")
