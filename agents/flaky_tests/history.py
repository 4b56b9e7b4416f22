"""The input of the engine: one row per test result, normalised into arrays.

A row is one result of one test (or one job, whose outcome is the job conclusion): columns
``test_id`` and ``outcome`` are required; ``run_id``, ``attempt``, ``commit_sha``,
``created_at``, ``job`` and ``branch`` are optional. Rows are in time order, and the engine
never reorders the rows of one test: the order of results within a test is the history. Only
the order of tests in the input does not matter.

The engine judges **series**: one test's results in one job (the test's results, without a job
column). A test that fails on one platform only (a Windows job that runs nightly next to Linux
jobs that run on every push) fails at its own rate there, and a run of failures there is a
regression there: pooled with the Linux passes of the same commits, each Windows failure would
sit on a commit that also passed, which reads as flakiness, and its rate would be diluted by
the jobs where it never fails. In the arrays below a "test" code is a series code;
:attr:`History.series_test` maps it to the test it belongs to.

What a missing column means, chosen so that no evidence is invented:

- no ``run_id`` column: each row is its own run, so no row is a retry of another; the
  infrastructure guard and the clusters then take the results of one commit and attempt as
  what ran together (without a commit column too, the guard has nothing to look at and no two
  tests flake together); a blank run id in the column: that row is a run of its own;
- no ``attempt``: a series' k-th result in one run (without ``run_id``: on one commit) ran in its
  k-th attempt (rows are in time order: a test with two results in a run was run twice, as a
  GitHub re-run keeps its run id, and what ran with it the second time is the re-run, not the
  first attempt); 1 when there is neither;
- no ``commit_sha``: each run is its own commit, so only attempts of one run can flip on the
  same commit, and a culprit cannot be named (the broken span still is);
- no ``job``: a test is one series, and the infrastructure guard looks at whole run attempts
  only;
- no ``branch``: regressions are looked for in each series' time order only (a regression
  confined to one branch is then followed only where its failures happen to be consecutive).

Outcomes are read leniently (``pass``/``P``/``passed``/``success``, ``fail``/``F``/``failed``/
``failure``/``error``, ``skip``/``skipped``/``cancelled``...; any case). Skipped results are
no evidence: they are counted and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "OUTCOMES",
    "History",
    "normalise_outcomes",
    "attempts",
    "attempts_from_repeats",
    "commits_ran_together",
    "repeats",
    "pair_codes",
    "present_codes",
    "plain_integers",
    "integer_cells",
    "table_fits",
    "read_history",
    "name_codes",
    "series_codes",
    "run_codes",
    "commit_codes",
    "distinct_per",
]

PASS, FAIL, SKIP = 0, 1, 2
OUTCOMES: dict[str, int] = {
    **dict.fromkeys(("pass", "p", "passed", "success", "succeeded", "ok", "xpassed"), PASS),
    **dict.fromkeys(
        (
            "fail",
            "f",
            "failed",
            "failure",
            "error",
            "errored",
            "e",
            "timed_out",
            "timeout",
            "startup_failure",
        ),
        FAIL,
    ),
    **dict.fromkeys(
        (
            "skip",
            "s",
            "skipped",
            "ignored",
            "disabled",
            "xfailed",
            "cancelled",
            "canceled",
            "neutral",
            "action_required",
            "stale",
        ),
        SKIP,
    ),
}
OPTIONAL = ("run_id", "attempt", "commit_sha", "created_at", "job", "branch")


@dataclass(frozen=True)
class History:
    """Results that are evidence (skips dropped), grouped by test and in input order within a
    test. Codes are positions: ``tests[test[i]]`` is the test of result ``i``."""

    tests: np.ndarray  # test_id per series code, series in order of first appearance
    series_test: np.ndarray  # int64 test code per series code
    series_jobs: np.ndarray  # job per series code (None without the column)
    test_ids: np.ndarray  # test_id per test code, in order of first appearance
    test: np.ndarray  # int64 series code per result
    fail: np.ndarray  # bool per result
    run: np.ndarray  # int64 run code per result
    commit: np.ndarray  # int64 commit code per result
    execution: np.ndarray  # int64 code of (run, attempt) per result
    job_execution: np.ndarray | None  # int64 code of (run, attempt, job), None without jobs
    run_labels: np.ndarray  # run_id per run code (the row position when the row had none)
    commit_labels: np.ndarray  # commit_sha per commit code (None when not given)
    stamps: np.ndarray | None  # created_at per result as written, None without the column
    lineage: np.ndarray | None  # int64 branch code per result, None without the column
    branches: np.ndarray | None  # branch per branch code - 1, None without the column
    row: np.ndarray  # int64 position of each result in the input: the time order of all series
    skipped: np.ndarray  # skipped results per series code

    @property
    def n_tests(self) -> int:
        return len(self.tests)

    @property
    def has_commits(self) -> bool:
        """Whether commits were given, so that a culprit can be named."""
        return bool(pd.notna(self.commit_labels).any())


def normalise_outcomes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(PASS/FAIL/SKIP code per value, the distinct values that are no known outcome); the
    mapping runs over the distinct values only, so a 10-million-row column costs one hash."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    names = [str(value).strip().lower() for value in uniques]
    unknown = [
        str(value) for value, name in zip(uniques, names, strict=True) if name not in OUTCOMES
    ]
    table = np.array([OUTCOMES.get(name, -1) for name in names] + [-1], dtype=np.int8)
    return table[codes], unknown  # code -1 (a missing cell) reads the trailing -1


def read_history(frame: pd.DataFrame, positions: np.ndarray | None = None) -> History:
    """The normalised history of ``frame`` (see the module docstring). Raises ``ValueError``
    on a missing column or an outcome it cannot read (the CSV reader says so per line first).

    ``positions``: where the rows sit in a longer history that ``frame`` is a part of (one
    chunk of its tests, :mod:`.chunks`); a row without a run is labelled by its position there,
    as it would be in the whole. None: the rows are the whole history."""
    missing = [name for name in ("test_id", "outcome") if name not in frame.columns]
    if missing:
        raise ValueError(f"the history has no column {', '.join(missing)}")
    outcome, unknown = normalise_outcomes(frame["outcome"])
    if unknown or (outcome < 0).any():
        raise ValueError(f"unknown outcome values: {sorted(set(unknown))[:5] or ['(blank)']}")
    size = len(frame)
    # Each column is put in the engine's order as soon as it is computed and the column in the
    # input's order let go: a history of millions of rows then holds a few arrays of its length
    # at once, not twenty.
    test_code, test_ids = name_codes(frame["test_id"])
    test, series_test, series_jobs = series_codes(test_code, frame.get("job"))
    del test_code
    repeated = test if attempts_from_repeats(frame.columns) else None
    keep = outcome != SKIP
    order = np.flatnonzero(keep)[np.argsort(test[keep], kind="stable")]
    skipped = np.bincount(test[~keep], minlength=len(series_test))
    ordered_test = test[order].astype(np.int64, copy=False)
    fail = outcome[order] == FAIL
    del test, keep, outcome
    where = np.arange(size, dtype=np.int64) if positions is None else positions
    run, run_labels = run_codes(frame.get("run_id"), where)
    commit, commit_labels = commit_codes(frame.get("commit_sha"), run, len(run_labels))
    # what ran together: a run attempt; without runs, the results of one commit and attempt
    ran_together = commit if commits_ran_together(frame.columns) else run
    if repeated is None:
        attempt = attempts(frame.get("attempt"), size)
    else:
        attempt = repeats(repeated, ran_together)
        del repeated
    execution = pair_codes(ran_together, attempt, int(attempt.max(initial=1)) + 1)
    del ran_together, attempt
    ordered_run, ordered_commit = run[order], commit[order]
    del run, commit
    job_execution = None
    if "job" in frame.columns:
        job, jobs = pd.factorize(frame["job"], use_na_sentinel=True)
        job_execution = pair_codes(execution, job + 1, len(jobs) + 1)[order]
        del job
    execution = execution[order]
    stamps = frame["created_at"].to_numpy(dtype=object)[order] if "created_at" in frame else None
    lineage, branches = None, None
    if "branch" in frame.columns:
        branch, branches = present_codes(frame["branch"])
        lineage = branch[order] + 1  # 0: a run without a branch
        del branch
    return History(
        tests=test_ids[series_test],
        series_test=series_test,
        series_jobs=series_jobs,
        test_ids=test_ids,
        test=ordered_test,
        fail=fail,
        run=ordered_run,
        commit=ordered_commit,
        execution=execution,
        job_execution=job_execution,
        run_labels=run_labels,
        commit_labels=commit_labels,
        stamps=stamps,
        lineage=lineage,
        branches=branches,
        row=order.astype(np.int64, copy=False),
        skipped=skipped,
    )


def table_fits(keys: np.ndarray) -> bool:
    """Whether non-negative ``keys`` stay few enough to index a table of their range (a few
    times their number, or a million): counting or marking them there costs no hashing, which
    is the slow part of a factorize when nearly every key is distinct."""
    return int(keys.max(initial=0)) < max(4 * len(keys), 1 << 20)


def distinct_per(owner: np.ndarray, run: np.ndarray, n_owners: int) -> np.ndarray:
    """Per owner (a test or a series code): how many distinct runs among the given results."""
    if len(owner) == 0:
        return np.zeros(n_owners, dtype=np.int64)
    span = int(run.max()) + 1
    key = owner * span + run
    if table_fits(key):
        seen = np.zeros(int(key.max()) + 1, dtype=bool)
        seen[key] = True
        pairs = np.flatnonzero(seen)
    else:
        pairs = pd.unique(key)
    return np.bincount(pairs // span, minlength=n_owners)


def pair_codes(first: np.ndarray, second: np.ndarray, span: int) -> np.ndarray:
    """One int64 code per (first, second) pair, ``0 <= second < span``: the pair's number
    itself when the codes stay few enough for ``np.bincount`` (no hashing), else dense codes."""
    key = first.astype(np.int64, copy=False) * span + second
    if table_fits(key):
        return key
    return pd.factorize(key)[0].astype(np.int64, copy=False)


def name_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Test codes by the test_id as text (``1`` and ``"1"`` are one test), hashing the column
    once and converting only its distinct values."""
    codes, uniques = pd.factorize(values, sort=False)
    names = np.asarray([str(value) for value in uniques], dtype=object)
    if len(set(names)) < len(names):  # two spellings of one name: merge them
        merged, names = pd.factorize(names, sort=False)
        codes = merged[codes]
    return codes, np.asarray(names, dtype=object)


def series_codes(
    test: np.ndarray, jobs: pd.Series | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series code per row, test code per series, job per series): a series is one test in
    one job, numbered in order of first appearance; without jobs, a series is a test."""
    n_tests = int(test.max(initial=-1)) + 1
    if jobs is None:
        return test, np.arange(n_tests, dtype=np.int64), np.full(n_tests, None, dtype=object)
    job, names = pd.factorize(jobs, use_na_sentinel=True)
    span = len(names) + 1
    series, pairs = pd.factorize(test.astype(np.int64) * span + (job + 1), sort=False)
    labels = np.concatenate([[None], np.asarray(names, dtype=object)])
    return series.astype(np.int64), (pairs // span).astype(np.int64), labels[pairs % span]


def present_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the values (-1 for a cell that holds nothing: NaN, None or only spaces) and the
    distinct values; blank text is found among the distinct values, not row by row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if integer_cells(values):  # no number is blank (the store's run ids: 75k a chunk)
        return codes.astype(np.int64), uniques
    blank = np.array([str(value).strip() == "" for value in uniques], dtype=bool)
    if blank.any():
        renumber = np.full(len(uniques) + 1, -1, dtype=np.int64)
        renumber[np.flatnonzero(~blank)] = np.arange(int((~blank).sum()))
        codes = renumber[codes]  # code -1 reads the trailing -1
        uniques = uniques[~blank]
    return codes.astype(np.int64), uniques


def plain_integers(values: pd.Series) -> bool:
    """Whether ``values`` is a column of NumPy integers (no missing cell, no text)."""
    return pd.api.types.is_integer_dtype(values.dtype) and not isinstance(
        values.dtype, pd.api.extensions.ExtensionDtype
    )


def integer_cells(values: pd.Series) -> bool:
    """Whether every cell of ``values`` is an integer or missing, never text: NumPy integers,
    or a categorical of integers (the store's run ids)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return pd.api.types.is_integer_dtype(values.dtype.categories.dtype)
    return plain_integers(values)


def run_codes(values: pd.Series | None, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run codes; a row without a run is a run of its own, labelled by its row position
    (``where``: each row's)."""
    if values is None:
        return np.arange(len(where), dtype=np.int64), where.astype(object)
    codes, uniques = present_codes(values)
    rows = np.flatnonzero(codes < 0)
    codes[rows] = len(uniques) + np.arange(len(rows))
    return codes, np.concatenate([uniques, where[rows].astype(object)])


def attempts(values: pd.Series | None, size: int) -> np.ndarray:
    """Attempt numbers (1 where none is given or it is no number)."""
    if values is None:
        return np.ones(size, dtype=np.int64)
    if plain_integers(values):  # the store's int16: parsed, 2.6 s a judgement at 100k runs
        return values.to_numpy(dtype=np.int64).clip(min=0)
    numbers = pd.to_numeric(values, errors="coerce").fillna(1)
    return numbers.to_numpy(dtype=np.int64, na_value=1).clip(min=0)


def commits_ran_together(columns: pd.Index) -> bool:
    """Whether what ran together is read from commits (the module docstring): commits are
    given, run ids are not."""
    return "run_id" not in columns and "commit_sha" in columns


def attempts_from_repeats(columns: pd.Index) -> bool:
    """Whether the attempts are read from repeated results (the module docstring): runs or
    commits are given, attempts are not."""
    return "attempt" not in columns and ("run_id" in columns or "commit_sha" in columns)


def repeats(key: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Per row: 1 + the results of its ``key`` (a series, or any code of one) in the rows
    before it with its ``within`` (a run or a commit code, >= 0)."""
    pair = pair_codes(key, within, int(within.max(initial=-1)) + 1)
    if not len(pair) or int(np.bincount(pair).max()) == 1:  # nothing repeats (most histories)
        return np.ones(len(pair), dtype=np.int64)
    return pd.Series(pair).groupby(pair, sort=False).cumcount().to_numpy(dtype=np.int64) + 1


def commit_codes(
    values: pd.Series | None, run: np.ndarray, n_runs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Commit codes; a run without a commit is a commit of its own (its label is None)."""
    if values is None:
        return run.copy(), np.full(n_runs, None, dtype=object)
    codes, uniques = present_codes(values)
    blank = codes < 0
    codes[blank] = len(uniques) + run[blank]
    return codes, np.concatenate([uniques, np.full(n_runs, None, dtype=object)])
