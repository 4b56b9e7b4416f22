"""InOrder: downloads on a few threads, handed back in the order they were asked for."""

from __future__ import annotations

import os
import threading
from functools import partial

import pytest

from agents.log_ingester.in_order import InOrder
from core.errors import SourceError
from core.worker_processes import WorkerProcesses


def _gated(gate: threading.Event, value: str):
    def work() -> str:
        assert gate.wait(10), "the test never opened the gate"
        return value

    return work


def test_given_later_work_finishing_first_when_read_then_items_come_back_in_the_order_added():
    first_gate, second_gate = threading.Event(), threading.Event()
    with InOrder[str, str](threads=2, window=10) as pool:
        pool.add("first", [_gated(first_gate, "a")])
        pool.add("second", [_gated(second_gate, "b")])
        second_gate.set()  # the second item's work ends while the first's is still running
        assert [item for item, _ in pool.finished()] == []  # the first holds the line
        first_gate.set()
        done = [(item, [InOrder.outcome(f) for f in work]) for item, work in pool.drain()]

    assert done == [("first", ["a"]), ("second", ["b"])]


def test_given_one_failing_download_when_read_then_its_error_is_kept_and_the_others_arrive():
    def broken() -> str:
        raise ConnectionError("dropped")

    with InOrder[str, str](threads=3) as pool:
        pool.add("run", [lambda: "one", broken, lambda: "three"])
        pool.add("next run", [lambda: "four"])
        done = [(item, [InOrder.outcome(f) for f in work]) for item, work in pool.drain()]

    (run, outcomes), (next_run, more) = done
    assert (run, next_run, more) == ("run", "next run", ["four"])
    assert outcomes[0] == "one" and outcomes[2] == "three"
    assert isinstance(outcomes[1], ConnectionError)


def test_given_more_work_than_the_window_when_read_then_it_waits_for_the_oldest():
    gate = threading.Event()
    with InOrder[int, str](threads=1, window=2) as pool:
        pool.add(1, [_gated(gate, "x")])
        pool.add(2, [lambda: "y"])
        pool.add(3, [lambda: "z"])  # three pieces held, window two: finished() must wait
        threading.Timer(0.05, gate.set).start()
        waited = [item for item, _ in pool.finished()]

    assert waited[0] == 1 and gate.is_set()


def test_given_items_without_work_when_read_then_they_keep_their_place():
    with InOrder[str, str](threads=2) as pool:
        pool.add("expired", [])
        pool.add("fetched", [lambda: "log"])
        pool.add("also expired", [])
        order = [item for item, _ in pool.drain()]

    assert order == ["expired", "fetched", "also expired"]


@pytest.mark.parametrize("threads", [1, 4])
def test_given_many_items_when_drained_then_every_one_comes_back_once_in_order(threads):
    with InOrder[int, int](threads=threads, window=5) as pool:
        seen = []
        for n in range(50):
            pool.add(n, [lambda n=n: n * n])
            seen += [(item, InOrder.outcome(work[0])) for item, work in pool.finished()]
        seen += [(item, InOrder.outcome(work[0])) for item, work in pool.drain()]

    assert seen == [(n, n * n) for n in range(50)]


def test_given_a_reader_process_dying_when_read_then_a_sentence_is_its_result_and_adding_stops():
    pool = WorkerProcesses(1)
    with InOrder[str, int](threads=1, pool=pool) as downloads:
        downloads.add("killed", [partial(os._exit, 3)])  # as the kernel's OOM killer would
        [(item, work)] = list(downloads.drain())
        outcome = InOrder.outcome(work[0])
        with pytest.raises(SourceError, match="stopped unexpectedly"):
            downloads.add("next", [partial(abs, -1)])

    assert item == "killed"
    assert isinstance(outcome, SourceError) and "fetching again" in str(outcome)
