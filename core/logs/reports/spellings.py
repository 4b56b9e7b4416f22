"""One test, two spellings: the id a console log gives a test and the id its JUnit report gives.

A runner's console names a test by where it lives (pytest's node id
``tests/unit/test_cart.py::TestCart::test_add[1-2]``, jest's ``src/cart.test.ts::Cart › adds``);
its JUnit report by class and name (``tests.unit.test_cart.TestCart::test_add[1-2]``,
``Cart::adds``). A history that mixes both (reports for recent runs, logs for older ones or for
the attempts a report does not cover) must read them as one test, or a test's failures in the
logs and its passes in the reports would be two half-histories.

The join needs no knowledge of the runner: a report id ``CLASS::NAME`` is the console id's
spelling when the console id ends with ``NAME`` (cut at a separator) and the words of ``CLASS``
appear, in order, in what comes before it. When several report ids fit, the one whose class
shares the most words wins; a tie names no spelling (a guess would merge two tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["report_spellings"]

_WORD = re.compile(r"[0-9a-z]+")
_SEPARATORS = frozenset(":/\\. ›>")


def report_spellings(console_ids: Iterable[str], report_ids: Iterable[str]) -> dict[str, str]:
    """Each console id that names a report's test, mapped to the report's id (ids that are
    already spelled alike, and those with no unambiguous match, are left out)."""
    reports = set(report_ids)
    by_name: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for report_id in reports:
        classname, separator, name = report_id.rpartition("::")
        if separator and name:
            by_name.setdefault(name, []).append((_words(classname), report_id))
    found: dict[str, str] = {}
    for console_id in set(console_ids) - reports:
        match = _match(console_id, by_name)
        if match is not None:
            found[console_id] = match
    return found


def _match(console_id: str, by_name: dict[str, list[tuple[tuple[str, ...], str]]]) -> str | None:
    """The report id of ``console_id``: the longest name that ends it, then the class that
    shares the most words with what precedes that name; None when none or a tie."""
    for cut in _cuts(console_id):
        candidates = by_name.get(console_id[cut:])
        if not candidates:
            continue
        before = _words(console_id[:cut])
        fitting = [(len(words), rid) for words, rid in candidates if _in_order(words, before)]
        if not fitting:
            continue
        fitting.sort(reverse=True)
        if len(fitting) > 1 and fitting[0][0] == fitting[1][0]:
            return None
        return fitting[0][1]
    return None


def _cuts(text: str) -> list[int]:
    """Where a name may start: right after a separator, leftmost (longest name) first."""
    return [
        i for i in range(1, len(text)) if text[i - 1] in _SEPARATORS and text[i] not in _SEPARATORS
    ]


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def _in_order(needle: tuple[str, ...], haystack: tuple[str, ...]) -> bool:
    """Whether ``needle``'s words all appear in ``haystack`` in the same order."""
    remaining = iter(haystack)
    return all(word in remaining for word in needle)
