"""The periodic consistency check: the stored runs' counts against GitHub's, gaps found and filled.

Why: the incremental sync trusts its cursor, so any way a run can slip past a listing (a clock
skewed record, a run that appeared on an older page while the sync read the newer ones, a bug
nobody has found yet) would be a silent, permanent hole. Counting is cheap where listing is not:
GitHub's runs search returns ``total_count`` for any ``created`` period in one request. So the
check asks for the whole synced window once; only when GitHub counts more runs than the store
holds does it halve the period and ask again, down to periods of at most a day and 1,000 runs
(the search's listing cap), which are then listed and the missing runs fetched. A consistent
store costs one request; k gaps cost about ``2 k log2(window / day)`` more.

Fewer runs on GitHub than stored is not a gap (runs deleted on GitHub stay in the store); two
faults that cancel out inside one period (a run missing, another deleted) hide each other until
one of them is alone in a period, which is the price of counting instead of listing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["CHECK_EVERY", "LEAF", "SEARCH_CAP", "find_gaps", "iso"]

CHECK_EVERY = timedelta(hours=24)  # a sync checks when the last check is older than this
LEAF = timedelta(days=1)  # the longest period listed to fill a gap
SEARCH_CAP = 1000  # GitHub lists at most this many runs of one search

Counter = Callable[[datetime, datetime], int]


def iso(when: datetime) -> str:
    """The stored form of a time (ISO-8601 UTC, to the second), as ``created_at`` is kept."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def find_gaps(
    github_count: Counter, stored_count: Counter, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The periods in ``[start, end)``, oldest first, where GitHub counts more runs than the
    store holds, each at most :data:`LEAF` long and holding at most :data:`SEARCH_CAP` runs
    (so one search lists all of it); empty when the counts agree."""
    gaps: list[tuple[datetime, datetime]] = []
    pending = [(start, end)]
    while pending:
        lo, hi = pending.pop()
        github = github_count(lo, hi)
        if github <= stored_count(lo, hi):
            continue
        if (hi - lo <= LEAF and github <= SEARCH_CAP) or hi - lo <= timedelta(seconds=2):
            gaps.append((lo, hi))
            continue
        middle = lo + (hi - lo) / 2
        middle = middle.replace(microsecond=0)
        pending += [(middle, hi), (lo, middle)]  # the older half is looked at first
    return sorted(gaps)
