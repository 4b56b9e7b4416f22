"""Expensive session fixtures built once per test run, however many workers run the tests.

pytest-xdist gives each worker its own session, so a session fixture is built once per worker:
the full demo's import (~90 s of CPU on a 2-core machine) and the app tests' synced demo home
were each built twice, on the same cores the tests need. :func:`built_once` builds into a
folder every worker of the run can see (the run's base temp), under a file lock, the way
pytest-xdist's documentation shares session data; the first worker to ask builds, a later
one waits for it or finds it done. What is built is a template: each worker copies what it
will write to (a store, a home), so no worker sees another's writes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

__all__ = ["built_once"]

_DONE = ".built"


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder ``build`` filled, built by one worker of this run and reused by the others.

    ``build`` gets an empty folder; a build that raised leaves no marker, so the next worker
    to ask starts again from an empty folder (and fails the same way, with its own error).
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's temp folder; each worker's is a child of it
    folder = base / f"built-{name}"
    with FileLock(str(folder.with_suffix(".lock"))):
        if not (folder / _DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / _DONE).write_text("ok\n")
    return folder
