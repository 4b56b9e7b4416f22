"""WorkerProcesses: work in child processes that end with the pool, outcomes as a pool's."""

from __future__ import annotations

import operator
import os
from concurrent.futures import BrokenExecutor
from functools import partial

import pytest

from core.errors import UnsafeInput
from core.worker_processes import WorkerProcesses


def test_given_work_when_submitted_then_each_result_comes_from_another_process():
    with WorkerProcesses(2) as pool:
        sums = [pool.submit(operator.add, n, 1) for n in range(20)]
        pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(4)}

    assert [f.result(timeout=60) for f in sums] == list(range(1, 21))
    assert os.getpid() not in pids


def test_given_work_raising_when_read_then_the_exception_keeps_its_type_and_message():
    with WorkerProcesses(1) as pool:
        failed = pool.submit(_refuse, "a zip bomb")
        after = pool.submit(abs, -2)

    with pytest.raises(UnsafeInput, match="a zip bomb"):
        failed.result(timeout=60)
    assert after.result(timeout=60) == 2  # the child carried on


def test_given_work_printing_when_run_then_its_output_does_not_garble_the_answers():
    with WorkerProcesses(1) as pool:
        printed = pool.submit(print, "a line that is not a frame")
        answer = pool.submit(operator.mul, 6, 7)

    assert printed.result(timeout=60) is None
    assert answer.result(timeout=60) == 42


def test_given_work_that_does_not_pickle_when_submitted_then_only_it_fails():
    with WorkerProcesses(1) as pool:
        local = pool.submit(lambda: 1)
        fine = pool.submit(abs, -3)

    with pytest.raises(Exception):  # noqa: B017 - pickle's own error type varies
        local.result(timeout=60)
    assert fine.result(timeout=60) == 3


def test_given_a_child_killed_when_its_work_is_read_then_the_pool_is_broken_and_says_so():
    pool = WorkerProcesses(1)
    killed = pool.submit(partial(os._exit, 9))
    with pytest.raises(BrokenExecutor, match="stopped unexpectedly"):
        killed.result(timeout=60)
    with pytest.raises(BrokenExecutor):
        pool.submit(abs, -1)
    pool.shutdown()


def test_given_a_shut_down_pool_then_its_children_have_ended():
    pool = WorkerProcesses(2)
    assert pool.submit(abs, -1).result(timeout=60) == 1
    pool.shutdown(wait=True)

    assert all(child.poll() is not None for child in pool._children)
    with pytest.raises(RuntimeError):
        pool.submit(abs, -1)


def _refuse(what: str) -> None:
    raise UnsafeInput(f"refused {what}")
