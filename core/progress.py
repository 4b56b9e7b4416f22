"""The progress callback every long operation accepts (sync, import, agents, CLI bars, pages)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "no_progress"]

Progress = Callable[[float, str], None]
"""Called with the fraction done in [0, 1] and a short sentence for the user."""


def no_progress(_fraction: float, _message: str) -> None:
    """The default: say nothing."""
