"""Downloads on a few threads, handed back in the order they were asked for.

GitHub wants its API called one request at a time, but the files behind a log's or an
artifact's 302 come from storage through pre-signed URLs: those can be fetched a few at once,
while the next API calls are made. :class:`InOrder` runs the downloads (and the reading of
what they bring) on a small thread pool and gives each item back with its finished work in the
order the items were added, so what is stored, and in which batch, does not depend on which
download happened to finish first. At most ``window`` downloads wait at a time: a pre-signed
URL is valid for about a minute, so none waits long.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from core.errors import SourceError

__all__ = ["DOWNLOAD_THREADS", "InOrder"]

_BROKEN = (
    "A process reading the downloads stopped unexpectedly (out of memory?); what was read "
    "before is kept, and fetching again asks for the rest."
)

DOWNLOAD_THREADS = 4
"""Downloads at once: enough to hide a round trip, few enough to be polite to one host."""

T = TypeVar("T")
R = TypeVar("R")


class InOrder(Generic[T, R]):
    """Items with zero or more pieces of work each; finished items come back in order.

    ``add(item, [fn, ...])`` starts each ``fn`` on the pool; :meth:`finished` yields the items
    whose work is all done, oldest first, waiting for the oldest while more than ``window``
    pieces are unfinished; :meth:`drain` waits for everything. An exception raised by a piece of
    work is kept as its result (see :meth:`outcome`), so one failed download never loses the
    others.
    """

    def __init__(
        self,
        threads: int = DOWNLOAD_THREADS,
        window: int | None = None,
        pool: Executor | None = None,
    ) -> None:
        """``pool``: where the work runs (e.g. worker processes, which then need work that
        pickles), shut down with this; by default ``threads`` threads."""
        self._pool = pool or ThreadPoolExecutor(threads, thread_name_prefix="downloads")
        self._window = window if window is not None else 4 * threads
        self._items: deque[tuple[T, list[Future[R]]]] = deque()
        self._held = 0

    def __enter__(self) -> InOrder[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        """Wait for the downloads started (their URLs are not asked for again) and stop."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, item: T, work: list[Callable[[], R]]) -> None:
        try:
            futures = [self._pool.submit(fn) for fn in work]
        except BrokenExecutor:
            raise SourceError(_BROKEN) from None
        self._items.append((item, futures))
        self._held += len(futures)

    def finished(self) -> Iterator[tuple[T, list[Future[R]]]]:
        """Items whose work is done, in the order added; blocks on the oldest while the items
        held carry more than ``window`` pieces of work."""
        return self._finished(self._window)

    def drain(self) -> Iterator[tuple[T, list[Future[R]]]]:
        """Every item still held, in order, once its work is done."""
        return self._finished(-1)

    def _finished(self, window: int) -> Iterator[tuple[T, list[Future[R]]]]:
        while self._items:
            item, futures = self._items[0]
            if self._held <= window and not all(f.done() for f in futures):
                return
            for future in futures:
                future.exception()  # waits; an exception stays in the future
            self._items.popleft()
            self._held -= len(futures)
            yield item, futures

    @staticmethod
    def outcome(future: Future[R]) -> R | BaseException:
        """The work's result, or the exception it raised (a :class:`SourceError` when the
        worker process running it died)."""
        error = future.exception()
        if isinstance(error, BrokenExecutor):
            return SourceError(_BROKEN)
        return error if error is not None else future.result()
