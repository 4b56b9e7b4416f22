"""Mutants of a valid JSON value for "stricter, never looser" tests: every field given odd
values of every JSON type, removed, or its object given an unknown field."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

__all__ = ["ODD_VALUES", "mutants"]

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.0,
    1.5,
    2**70,
    float("nan"),
    "",
    "x",
    "1",
    "2026-01-01T00:00:00Z\n",
    "2026-01-01T00:00:00+01:00",
    "a" * 300,
    [],
    ["x"],
    [1],
    {},
    {"k": "v"},
]


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key path (dict keys, list indexes) inside ``value``."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        yield (*prefix, key)
        if isinstance(item, (dict, list)):
            yield from paths(item, (*prefix, key))


def mutants(example: dict[str, Any], odd: list[Any] = ODD_VALUES) -> Iterator[dict[str, Any]]:
    """``example`` with each field (at any depth) set to each ``odd`` value or removed, and
    each object given an unknown field; one change per mutant."""
    yield {**copy.deepcopy(example), "unknown_field": 1}
    for path in list(paths(example)):
        for value in [*odd, "<delete>"]:
            mutant = copy.deepcopy(example)
            parent = mutant
            for key in path[:-1]:
                parent = parent[key]
            if value == "<delete>":
                if isinstance(parent, dict):
                    del parent[path[-1]]
                else:
                    parent.pop(path[-1])
            else:
                parent[path[-1]] = value
            yield mutant
        if isinstance(parent := at(example, path), dict):
            yield replaced(example, path, {**parent, "unknown_field": 1})


def at(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


def replaced(example: dict[str, Any], path: tuple, new: Any) -> dict[str, Any]:
    mutant = copy.deepcopy(example)
    parent = at(mutant, path[:-1])
    parent[path[-1]] = new
    return mutant
