"""One hypothesis profile for the fuzz properties (issue 13): reproducible and load-proof.

``derandomize=True`` makes every run try the same examples (a failure is reproducible by simply
running the test again), ``database=None`` keeps no example database on disk, and
``deadline=None`` stops a busy 2-core machine from turning a slow example into a flaky failure.
``max_examples`` stays modest so the fuzz suite runs in seconds next to the others.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

__all__ = ["fuzz"]


def fuzz(max_examples: int = 100) -> settings:
    """The profile, as a decorator: ``@fuzz(50)`` above ``@given(...)``."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,  # fixtures that patch, shared by all examples
        ],
    )
