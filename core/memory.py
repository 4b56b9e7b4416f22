"""Long tasks: the garbage collector spared what existed before them, and the memory they
freed given back to the operating system when they end; and blocks that allocate many objects
without cycles run with the collector paused.

Why: the app runs its tasks one after another in one long-lived process, and glibc's allocator
keeps the memory a task freed for the next allocation instead of returning it. An analysis of a
100k-run history frees hundreds of megabytes of frames when it ends, yet the process stayed as
large as at that task's peak, and the next task's peak came on top: on the 100k-run demo's first
start, Feature Engineering, Anomaly Detection and Flaky Tests one after the other peaked at
2,019 MB, 1,935 MB with the freed memory given back after each (Flaky Tests alone: 1,751 MB).
``malloc_trim`` is glibc's; elsewhere this does nothing.

Why the collector is told to leave the older objects alone: a task allocates millions of small
objects (a report fetch at 100k runs: 18M test results parsed into rows), and each of the
collections they trigger walked every object the process held, the app's own included. Frozen
(``gc.freeze``), those are skipped until the task ends: a report fetch at 5x took ~5% less CPU.

Why a pause as well (:func:`collector_paused`): parsing a large JSON document makes a container
per object and array, none of them in a cycle, and each few hundred of them trigger a
collection whose older generations walk the whole process. In the app's process (Streamlit,
pandas, plotly: ~2M objects) the 100k-run demo's ``truth.json`` (22 MB, which the Layer-2 page
reads for its self-evaluation) parsed in 3.3x the time it takes with the collector paused (a
20x demo's 9 MB: 0.36-0.38 s against 0.11). A pause, not a freeze: a page can parse while a
task runs, and unfreezing would give the task's frozen objects back to the collector.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

__all__ = ["collector_paused", "give_back_memory", "long_task"]

_pause_lock = threading.Lock()
_pauses = 0  # blocks inside collector_paused now, on any thread
_resume = False  # whether the collector was enabled when the first of them began


@contextmanager
def long_task() -> Iterator[None]:
    """Run a task with the objects that exist now left out of the garbage collector's walks,
    then collect everything and give the freed memory back (:func:`give_back_memory`)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        give_back_memory()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run a block with the garbage collector's automatic collections off (see the module
    docstring), for work that makes many objects and no cycles. Safe on several threads at
    once: the collector comes back when the last block ends, and only if it was on when the
    first began (a caller that had turned it off keeps it off)."""
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def give_back_memory() -> None:
    """Collect unreachable objects, then return the allocator's free pages to the system."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
