"""Query parameters, GitHub's ``created`` date syntax, and page/Link arithmetic for the emulator.

A client's incremental sync depends on these details being GitHub's exactly: how a bare date
in ``created`` covers the whole day, that ``per_page`` is capped at 100, and that the Link
header carries absolute URLs the client follows verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "CreatedFilter",
    "Page",
    "iso",
    "link_header",
    "page_of",
    "parse_created",
    "parse_time",
]

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPEN = "*"


def parse_time(value: object) -> float | None:
    """Epoch seconds of an ISO-8601 string (``Z`` or an offset); None for null or garbage."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def iso(epoch: float) -> str:
    """GitHub's timestamp format: ``2024-05-01T12:00:00Z``."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CreatedFilter:
    """A half-open interval ``[low, high)`` of creation times in epoch seconds."""

    low: float = float("-inf")
    high: float = float("inf")

    def __contains__(self, when: float) -> bool:
        return self.low <= when < self.high


def _term(text: str) -> tuple[float, float]:
    """The interval one date or datetime term covers: a whole day, or one second."""
    text = text.strip()
    if _DATE_RE.match(text):
        day = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        return day.timestamp(), (day + timedelta(days=1)).timestamp()
    start = parse_time(text)
    if start is None:
        raise ValueError(text)
    return start, start + 1


def parse_created(raw: str) -> CreatedFilter:
    """Parse GitHub's search date syntax: ``D``, ``>=D``, ``>D``, ``<=D``, ``<D``, ``A..B``.

    ``D`` is a date (the whole day) or a datetime; ``*`` leaves a range end open. A ``+`` in an
    offset that arrived unescaped (decoded as a space) is restored. Raises ValueError.
    """
    text = raw.strip().replace(" ", "+")
    if ".." in text:
        left, right = text.split("..", 1)
        low = float("-inf") if left.strip() == _OPEN else _term(left)[0]
        high = float("inf") if right.strip() == _OPEN else _term(right)[1]
        return CreatedFilter(low, high)
    for prefix in (">=", "<=", ">", "<"):
        if text.startswith(prefix):
            start, end = _term(text[len(prefix) :])
            return {
                ">=": CreatedFilter(low=start),
                ">": CreatedFilter(low=end),
                "<=": CreatedFilter(high=end),
                "<": CreatedFilter(high=start),
            }[prefix]
    return CreatedFilter(*_term(text))


@dataclass(frozen=True)
class Page:
    """Which slice of a list one request gets, and how many pages there are in all."""

    number: int
    per_page: int
    last: int

    @property
    def start(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def stop(self) -> int:
        return self.number * self.per_page


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def page_of(
    query: dict[str, str],
    total: int,
    default_per_page: int = DEFAULT_PER_PAGE,
    max_per_page: int = MAX_PER_PAGE,
) -> Page:
    """GitHub's paging: ``per_page`` (default 30, capped at 100) and 1-based ``page``."""
    per_page = _int(query.get("per_page"), default_per_page)
    per_page = min(max(per_page, 1), max_per_page) if per_page > 0 else default_per_page
    number = max(_int(query.get("page"), 1), 1)
    last = max(1, -(-total // per_page))
    return Page(number, per_page, last)


def link_header(base_url: str, path: str, raw_query: str, page: Page) -> str | None:
    """The Link header GitHub sends: prev, next, last, first (absolute URLs), or None.

    The other query parameters keep their order and ``page`` goes last, as on GitHub.
    """
    if page.last <= 1 and page.number <= 1:
        return None
    params = [(k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True) if k != "page"]

    def url(number: int) -> str:
        return f"{base_url}{path}?{urlencode([*params, ('page', str(number))])}"

    links: list[str] = []
    if page.number > 1:
        links.append(f'<{url(min(page.number - 1, page.last))}>; rel="prev"')
    if page.number < page.last:
        links.append(f'<{url(page.number + 1)}>; rel="next"')
        links.append(f'<{url(page.last)}>; rel="last"')
    if page.number > 1:
        links.append(f'<{url(1)}>; rel="first"')
    return ", ".join(links) or None
