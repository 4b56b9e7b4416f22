"""A long history judged in chunks of its tests, with the verdicts of the whole.

Why: judging holds a dozen arrays of the history's length at once (codes, masks, weights,
orders, hash tables); at 100k runs (~30 million results) that is ~4 GB. Every step of the
method (:mod:`.judge`) reads one test's results only, except four, which look across tests:

- the infrastructure guard (:mod:`.infra`) counts the results and failures of each run attempt,
  and of each job of it, over every test;
- the trunk is the branch with the most results (:func:`.signals.branch_signals`), unless the
  caller names it (a repository's default branch);
- clusters link the flaky tests that flake in the same runs (:mod:`.clusters`);
- the verdicts come in order of the tests' first appearance.

Those are found over the whole history first, reading it a slice of rows at a time (each slice
costing what a chunk costs), and handed to each chunk: which failures an outage explains, the
trunk's name, a run code shared by all chunks (the engine then names clusters over every
chunk's flaky tests at once), and chunks of consecutive tests (in order of first appearance).
A chunk holds whole tests, about ``chunk_rows`` results, its rows in input order; judged as a
history of its own it yields the whole history's verdicts of its tests.

Tests that never failed (:mod:`.quiet`: their verdicts are counts) are put in chunks of their
own, marked ``quiet``, when the caller asks: each class's chunks hold consecutive tests of that
class, and every chunk names its tests' places in the whole (``tests``), by which the engine
puts the verdicts back in order.

A history of ``chunk_rows`` results or fewer is one chunk that finds all of that itself.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.flaky_tests.config import InfraGuard
from agents.flaky_tests.history import (
    FAIL,
    SKIP,
    attempts,
    attempts_from_repeats,
    commits_ran_together,
    normalise_outcomes,
    present_codes,
    repeats,
)
from agents.flaky_tests.infra import outages

__all__ = ["CHUNK_ROWS", "Chunk", "chunks_of"]

# Results per chunk: judging's temporaries are ~230 bytes a result (~0.23 GB a chunk), while
# what a chunk costs besides its rows (a few ms) stays small next to them (~0.3 s a million).
CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class Chunk:
    """Some tests' rows, in input order, and what the whole history says about them (None
    everywhere when the chunk is the whole history: the engine then finds it all itself)."""

    frame: pd.DataFrame
    positions: np.ndarray | None  # each row's position in the whole history
    crowded: np.ndarray | None  # per row: a failure in an outage (:mod:`.infra`)
    run_key: np.ndarray | None  # per row: its run, one code for one run in every chunk
    trunk: Hashable | None  # the trunk's branch: the caller's, else the one with most results
    quiet: bool = False  # its tests never failed (then crowded and run_key are None)
    tests: np.ndarray | None = None  # its tests' places in the order of first appearance


def chunks_of(
    history: pd.DataFrame,
    guard: InfraGuard,
    chunk_rows: int = CHUNK_ROWS,
    trunk: Hashable | None = None,
    quiet: bool = False,
) -> Iterator[Chunk]:
    """The chunks of ``history`` (the engine's input, :mod:`.history`), in order of their tests'
    first appearance (with ``quiet``: the chunks of tests that failed somewhere first, then
    those of tests that never did): one, the history itself, when it has at most
    ``chunk_rows`` rows. ``trunk``: the default branch when the caller knows it."""
    if len(history) <= chunk_rows:
        yield Chunk(history, None, None, None, trunk)
        return
    history = _as_categories(history)
    whole = _Whole(history, guard, chunk_rows, trunk, quiet)
    quiet_columns = [name for name in _QUIET_COLUMNS if name in history.columns]
    for number in range(whole.n_chunks):
        # a scan per chunk (~20 ms a chunk at 100k runs): one sort would hold 8 bytes a row
        positions = np.flatnonzero(whole.chunk == number)
        tests = np.flatnonzero(whole.chunk_of_test == number)
        if whole.quiet_chunk[number]:
            frame = history[quiet_columns].take(positions).reset_index(drop=True)
            yield Chunk(frame, positions, None, None, whole.trunk, quiet=True, tests=tests)
            continue
        frame = history.take(positions).reset_index(drop=True)
        yield Chunk(
            frame,
            positions,
            whole.crowded(frame, positions),
            whole.run_key(frame, positions),
            whole.trunk,
            tests=tests,
        )


# what a quiet chunk's verdicts read (:mod:`.quiet`)
_QUIET_COLUMNS = ("test_id", "outcome", "run_id", "commit_sha", "job", "branch")


def _as_categories(history: pd.DataFrame) -> pd.DataFrame:
    """The history with its text columns as categoricals (the store's reader gives them so):
    each is hashed once here, and then every slice and chunk reads small integer codes, which
    cost little to look up, take and hash again."""
    text = [
        name
        for name, column in history.items()
        if name in _WORDS
        and not isinstance(column.dtype, pd.CategoricalDtype)
        and not pd.api.types.is_numeric_dtype(column.dtype)
    ]
    if not text:
        return history
    return history.assign(**{name: history[name].astype("category") for name in text})


_WORDS = ("test_id", "outcome", "commit_sha", "created_at", "job", "branch", "run_id")


class _Words:
    """The distinct values of one column of the history, in order of first appearance (read a
    slice at a time), and each row's code among them (-1: a value left out). Categorical
    columns are read through their codes, others through an index of the values."""

    def __init__(self, column: pd.Series, slices: list[tuple[int, int]], keep=None) -> None:
        self.categories: pd.Index | None = None
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = column.cat.categories
            every = column.cat.codes.to_numpy()
            seen = [pd.unique(every[lo:hi]) for lo, hi in slices]
            order = pd.unique(np.concatenate(seen))
            order = order[order >= 0]
            values = np.asarray(categories, dtype=object)[order]
            kept = np.ones(len(order), dtype=bool) if keep is None else keep(values)
            self.rank = np.full(len(categories) + 1, -1, dtype=np.int64)  # -1 reads the -1
            self.rank[order[kept]] = np.arange(int(kept.sum()))
            self.categories = categories
            self.values = pd.Index(values[kept], dtype=object)
        else:
            seen = [pd.unique(column.iloc[lo:hi]) for lo, hi in slices]
            found = pd.unique(pd.concat([pd.Series(s) for s in seen], ignore_index=True))
            found = found[pd.notna(found)]
            kept = np.ones(len(found), dtype=bool) if keep is None else keep(found)
            self.values = pd.Index(found[kept])

    def codes(self, column: pd.Series) -> np.ndarray:
        """Per row: its value's code, -1 for a value left out (missing or blank)."""
        if self.categories is not None and isinstance(column.dtype, pd.CategoricalDtype):
            return self.rank[column.cat.codes.to_numpy()]
        return self.values.get_indexer(column).astype(np.int64, copy=False)


def _present(values) -> np.ndarray:
    """Which of the distinct values hold something (:func:`.history.present_codes`)."""
    codes, _ = present_codes(pd.Series(np.asarray(values, dtype=object), dtype=object))
    return codes >= 0


class _Whole:
    """What looks across tests, read from the whole history a slice of rows at a time: the
    distinct values of the columns that identify an execution (in order of first appearance),
    the executions that were outages, the trunk, and the chunk of each row."""

    def __init__(
        self,
        history: pd.DataFrame,
        guard: InfraGuard,
        chunk_rows: int,
        trunk: Hashable | None,
        quiet: bool,
    ) -> None:
        size = len(history)
        self.slices = [(lo, min(lo + chunk_rows, size)) for lo in range(0, size, chunk_rows)]
        # what ran together: a run attempt; without runs, the results of one commit and attempt
        together = "commit_sha" if commits_ran_together(history.columns) else "run_id"
        self.together = together if together in history else None
        self.runs = None
        if self.together is not None:
            self.runs = _Words(history[self.together], self.slices, _present)
        self.jobs = _Words(history["job"], self.slices) if "job" in history else None
        self.branches = None
        if "branch" in history:
            self.branches = _Words(history["branch"], self.slices, _present)
        self.attempts = np.ones(1, dtype=np.int64)  # the attempt numbers there are, sorted
        if "attempt" in history:
            seen = [
                np.unique(attempts(history["attempt"].iloc[lo:hi], hi - lo))
                for lo, hi in self.slices
            ]
            self.attempts = np.unique(np.concatenate(seen))
        tests = _Words(history["test_id"], self.slices)
        merged, _ = pd.factorize(np.asarray([str(t) for t in tests.values], dtype=object))
        merged = np.append(merged, 0)  # a row without a test goes with the first
        self.repeat = None  # per row: its attempt, read from repeated results (none given)
        if attempts_from_repeats(history.columns):
            self.repeat = self._repeats(history, tests, merged)
            self.attempts = np.arange(1, int(self.repeat.max(initial=1)) + 1)
        # a test that failed, or has an outcome or a row the method must read (an unknown
        # outcome is an error; a row without a test goes with the first test)
        noisy = np.zeros(len(merged), dtype=bool) if quiet else np.ones(len(merged), dtype=bool)
        per_test = np.zeros(len(merged), dtype=np.int64)  # results of each test
        n_branches = 0 if self.branches is None else len(self.branches.values)
        branch_results = np.zeros(n_branches, dtype=np.int64)
        unit_counts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        job_counts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for lo, hi in self.slices:
            part = history.iloc[lo:hi]
            named = tests.codes(part["test_id"])
            test = merged[named]
            # counted a slice at a time: np.bincount reads its input as 8-byte integers
            per_test += np.bincount(test, minlength=len(per_test))
            outcome, _ = normalise_outcomes(part["outcome"])
            kept, fail = outcome != SKIP, outcome == FAIL
            noisy[test[fail | (outcome < 0) | (named < 0)]] = True
            if self.branches is not None:
                code = self.branches.codes(part["branch"])[kept]
                branch_results += np.bincount(code[code >= 0], minlength=n_branches)
            execution, job_execution = self._units(part, np.arange(lo, hi))
            unit_counts.append(_counts(execution[kept], fail[kept]))
            if job_execution is not None:
                job_counts.append(_counts(job_execution[kept], fail[kept]))
        self.crowded_units = _crowded(unit_counts, guard)
        self.crowded_job_units = _crowded(job_counts, guard) if job_counts else None
        self.trunk = trunk
        if trunk is None and self.branches is not None and branch_results.any():
            self.trunk = self.branches.values[int(branch_results.argmax())]
        n_tests = int(merged.max(initial=-1)) + 1
        per_test = per_test[:n_tests]
        noisy = noisy[:n_tests] if n_tests else noisy[:0]
        # consecutive tests of a class, about chunk_rows results each (a test is never split)
        self.chunk_of_test = np.zeros(n_tests, dtype=np.int64)
        quiet_chunk: list[bool] = []
        for members in (np.flatnonzero(noisy), np.flatnonzero(~noisy)):
            if not len(members):
                continue
            counts = per_test[members]
            begins = (np.cumsum(counts) - counts) // chunk_rows
            _, number = np.unique(begins, return_inverse=True)
            self.chunk_of_test[members] = len(quiet_chunk) + number
            quiet_chunk += [not noisy[members[0]]] * (int(number.max()) + 1)
        self.quiet_chunk = np.array(quiet_chunk, dtype=bool)
        self.n_chunks = len(quiet_chunk)
        small = np.int16 if self.n_chunks < 2**15 else np.int32
        # each row's chunk, its test's looked up again a slice at a time (cheap, and no array of
        # the history's length but this one, 2 bytes a row)
        table = self.chunk_of_test.astype(small)[merged]
        self.chunk = np.empty(size, dtype=small)
        for lo, hi in self.slices:
            self.chunk[lo:hi] = table[tests.codes(history["test_id"].iloc[lo:hi])]

    def _ran(self, part: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
        """Per row: what it ran together with (its run, else its commit), a code shared by
        every slice; a row without one is on its own (a negative code from its position)."""
        if self.runs is None:
            return -1 - positions
        ran = self.runs.codes(part[self.together])
        alone = ran < 0
        ran[alone] = -1 - positions[alone]
        return ran

    def _repeats(self, history: pd.DataFrame, tests: _Words, merged: np.ndarray) -> np.ndarray:
        """Per row of the history: the attempt :func:`.history.repeats` reads from its series'
        results (its test's, in its job) in its run, else on its commit; 8 bytes a row, only
        for histories without attempts."""
        series, ran = [], []
        for lo, hi in self.slices:
            part = history.iloc[lo:hi]
            code = merged[tests.codes(part["test_id"])]
            if self.jobs is not None:
                code = code * (len(self.jobs.values) + 1) + self.jobs.codes(part["job"]) + 1
            series.append(code)
            ran.append(self._ran(part, np.arange(lo, hi)))
        together = np.concatenate(ran)  # negative for a row on its own: shifted to >= 0
        return repeats(np.concatenate(series), together - int(together.min(initial=0)))

    def _units(
        self, part: pd.DataFrame, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per row: its execution (what ran together, and the attempt) and its job execution
        (None without jobs), as codes shared by every slice."""
        if self.repeat is None:
            attempt = np.searchsorted(self.attempts, attempts(part.get("attempt"), len(part)))
        else:
            attempt = self.repeat[positions] - 1
        execution = self._ran(part, positions) * len(self.attempts) + attempt
        if self.jobs is None:
            return execution, None
        job = self.jobs.codes(part["job"]) + 1  # 0: no job
        return execution, execution * (len(self.jobs.values) + 1) + job

    def crowded(self, part: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
        """Per row of a chunk: a failure in an execution, or job execution, that was an
        outage over the whole history (:func:`.infra.infra_mask`)."""
        execution, job_execution = self._units(part, positions)
        crowded = np.isin(execution, self.crowded_units)
        if job_execution is not None:
            crowded |= np.isin(job_execution, self.crowded_job_units)
        return crowded & (normalise_outcomes(part["outcome"])[0] == FAIL)

    def run_key(self, part: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
        """Per row of a chunk: what it ran together with, one code per run across chunks (a
        row without a run is a run of its own; without run ids, its commit's execution)."""
        if commits_ran_together(part.columns):
            return self._units(part, positions)[0]
        return self._ran(part, positions)


def _counts(unit: np.ndarray, fail: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct units, results, failures of each)."""
    code, units = pd.factorize(unit)
    return units, np.bincount(code), np.bincount(code, weights=fail)


def _crowded(
    counts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], guard: InfraGuard
) -> np.ndarray:
    """The units (added up over slices) that were outages by :func:`.infra.outages`."""
    code, units = pd.factorize(np.concatenate([c[0] for c in counts]))
    results = np.bincount(code, weights=np.concatenate([c[1] for c in counts]))
    failures = np.bincount(code, weights=np.concatenate([c[2] for c in counts]))
    return units[outages(results, failures, guard)]
