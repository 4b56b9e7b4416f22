"""An executor whose work runs in a few child processes, for CPU work that must not hold the
app's interpreter lock.

Why not ``concurrent.futures.ProcessPoolExecutor``: with ``fork`` a child of the app, which runs
threads (Streamlit's, the task runner's), can inherit a lock some thread held and hang; with
``spawn`` or ``forkserver`` each child first imports the parent's ``__main__``, and inside
Streamlit that is the page script last run (Streamlit puts it there), which a child would then
execute. These children are started as ``python -m core.worker_processes``: they import only
what the work they are given needs, nothing of the app's state crosses over, and each ends when
its standard input closes, so none outlives the app however the app ends.

The protocol is pickle frames over the child's standard input and output: ``(function, args)``
in, ``(True, result)`` or ``(False, exception)`` out; functions are pickled by reference, so
they must be importable module-level functions with picklable arguments. A child that dies
(the kernel's out-of-memory killer) fails the work it held with ``BrokenExecutor`` and breaks
the pool: later submits raise it too, as ``ProcessPoolExecutor`` does.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future
from typing import IO, Any

__all__ = ["WorkerProcesses"]

_NICENESS = 10
_STOP = None


class WorkerProcesses(Executor):
    """``workers`` child processes, each fed by one thread of this process; ``niceness``: how
    much lower the children's CPU priority is (they then yield to the app's own threads)."""

    def __init__(self, workers: int, niceness: int = _NICENESS) -> None:
        self._tasks: queue.SimpleQueue[tuple[Future, Callable, tuple] | None] = queue.SimpleQueue()
        self._broken: str | None = None
        self._lock = threading.Lock()
        self._children: list[subprocess.Popen] = []
        self._feeders: list[threading.Thread] = []
        self._shutdown = False
        for index in range(workers):
            child = subprocess.Popen(
                [sys.executable, "-m", "core.worker_processes", str(niceness)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
            self._children.append(child)
            feeder = threading.Thread(
                target=self._feed, args=(child,), name=f"worker-process-{index}", daemon=True
            )
            feeder.start()
            self._feeders.append(feeder)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if kwargs:
            raise TypeError("WorkerProcesses takes positional arguments only")
        with self._lock:
            if self._broken is not None:
                raise BrokenExecutor(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot schedule new work after shutdown")
            future: Future = Future()
            self._tasks.put((future, fn, args))
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
        if cancel_futures:
            self._cancel_waiting()
        for _ in self._feeders:
            self._tasks.put(_STOP)
        if wait:
            for feeder in self._feeders:
                feeder.join()
            for child in self._children:
                child.wait()

    def _feed(self, child: subprocess.Popen) -> None:
        """Hand this child one piece of work at a time; close its input at the end."""
        stdin, stdout = child.stdin, child.stdout
        assert stdin is not None and stdout is not None
        try:
            while (task := self._tasks.get()) is not _STOP:
                future, fn, args = task
                if not future.set_running_or_notify_cancel():
                    continue
                if self._broken is not None:
                    future.set_exception(BrokenExecutor(self._broken))
                    continue
                try:
                    request = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as exc:  # noqa: BLE001 - this work cannot be sent; the child is fine
                    future.set_exception(exc)
                    continue
                try:
                    _write_frame(stdin, request)
                    answer = _read_frame(stdout)
                except (OSError, EOFError) as exc:
                    self._break(f"a worker process stopped unexpectedly ({type(exc).__name__})")
                    future.set_exception(BrokenExecutor(self._broken))
                    continue
                try:
                    ok, value = pickle.loads(answer)
                except Exception as exc:  # noqa: BLE001 - e.g. an exception type that does not load
                    future.set_exception(RuntimeError(f"{type(exc).__name__}: {exc}"))
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _break(self, reason: str) -> None:
        with self._lock:
            if self._broken is None:
                self._broken = reason
        self._cancel_waiting()

    def _cancel_waiting(self) -> None:
        """Fail (or cancel, at shutdown) the work no child has started."""
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                return
            if task is _STOP:
                self._tasks.put(_STOP)
                return
            future = task[0]
            if self._broken is not None and future.set_running_or_notify_cancel():
                future.set_exception(BrokenExecutor(self._broken))
            else:
                future.cancel()


def _write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes:
    """One length-prefixed frame; EOFError when the stream ends before it does."""
    size = int.from_bytes(_read_exactly(stream, 8), "big")
    return _read_exactly(stream, size)


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) < size:
        raise EOFError("the stream ended inside a frame")
    return data


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """A child's loop: run each piece of work read from ``stdin``, its outcome to ``stdout``."""
    while True:
        try:
            fn, args = pickle.loads(_read_frame(stdin))
        except EOFError:
            return
        try:
            outcome: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed back to the parent, which decides
            outcome = (False, exc)
        try:
            answer = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception that does not pickle
            answer = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        _write_frame(stdout, answer)


def _main() -> None:
    """The protocol keeps the process's standard output to itself: anything the work prints
    goes to standard error instead of into a frame."""
    with contextlib.suppress(OSError, IndexError, ValueError):  # else: the same priority
        os.nice(int(sys.argv[1]))
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    _main()
