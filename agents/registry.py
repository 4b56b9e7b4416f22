"""Every agent, in layer order. The pages, the CLI's ``analyze`` and the contract test read this."""

from __future__ import annotations

from agents.anomaly_detection.agent import AnomalyDetection
from agents.base import Agent
from agents.failure_prediction.agent import FailurePrediction
from agents.feature_engineering.agent import FeatureEngineering
from agents.flaky_tests.agent import FlakyJobs, FlakyTests
from agents.log_ingester.agent import LogIngester
from agents.pipeline_monitor.agent import PipelineMonitor
from agents.root_cause.agent import RootCauseAgent

__all__ = ["all_agents", "get_agent"]


def all_agents() -> list[Agent]:
    """Fresh instances, collection first (Layer 1), then intelligence, then healing."""
    agents: list[Agent] = [
        PipelineMonitor(),
        LogIngester(),
        RootCauseAgent(),
        FeatureEngineering(),
        AnomalyDetection(),
        FlakyTests(),
        FlakyJobs(),
        FailurePrediction(),
    ]
    return sorted(agents, key=lambda agent: agent.layer)


def get_agent(name: str) -> Agent:
    for agent in all_agents():
        if agent.name == name:
            return agent
    raise KeyError(f"No agent named {name!r}; known: {[a.name for a in all_agents()]}")
