"""The Flaky jobs section: the Flaky tests judgement, a job's outcome standing for a test."""

from __future__ import annotations

from pages._shell import PageContext
from pages.sections.flaky_tests import render_for

__all__ = ["render"]


def render(page: PageContext) -> None:
    render_for(page, "flaky_jobs", "jobs")
