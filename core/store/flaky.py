"""The histories Flaky Tests judges: every test result and every job outcome, of every attempt.

Why every attempt: a re-run that passed must not erase the failed attempt it replaced; that pair
on one commit is the strongest flakiness evidence there is. Rows come oldest run first, attempts
in order, so the engine reads them as a time series, with the branch of each run so that a
regression confined to one branch can be followed along it.

Test results come from two sources of unequal coverage, and :func:`test_history` reads each
job execution (one job of one run attempt) from the best one it has:

- a **JUnit report** lists every test of the execution; where one was read, it alone counts;
- the **console log** is read for failed jobs (and a few green baselines) only, and most
  runners print only their failures there. An execution without a report (older than the
  artifacts' retention, or an earlier attempt, whose report was replaced by the re-run's) is
  read from its log. Its tests are renamed to the report's spelling of the same test
  (:mod:`core.logs.reports.spellings`), so one test has one history;
- the **job's conclusion** says the rest: a job that succeeded had no failing test, and a job
  whose log names failing tests had no other failing test. A test known in a job (it passed or
  failed there) is given a pass in the job's executions without a report that say so, up to its
  last result in that job (a test renamed or removed stops there). Without those passes a
  log-only stretch of history would show a test's failures back to back (the passes between
  them were never written down) and read as a regression; with them it reads as what it was.
  A test that never failed in a job gets them only where the job failed: there they say how
  large a share of the job's tests failed (an outage's many, or one test's own), which is what
  the infrastructure guard weighs; where the job succeeded they would change no verdict and
  only cost memory (a million rows for the demo's three months).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.logs.reports.spellings import report_spellings
from core.store.db import Store
from core.store.packed_results import unpack
from core.store.result_codes import JUNIT, OUTCOME_CODES, decode, outcome_sql
from core.store.runs import with_run_words

__all__ = ["test_history", "job_history", "test_results_of", "rerun_job_attempts"]

_REPORTED = "SELECT job_id FROM job_tests WHERE repo_id = :repo AND reported > 0"

# A repository's results as each job's packed value (core.store.packed_results: its interned
# test, outcome and source codes, -1 where a code is no integer), a batch of jobs at a time along
# the primary key. Why packed: sqlite3 makes a Python tuple per row and SQLite steps each one;
# 20M results (100k runs) cost ~40 s that way however they were read, packed ~1 s. The words
# come from the small tables read apart (:func:`_observed`). Run and attempt are the job's (test
# results do not repeat them).
_TESTS_SQL = """
SELECT job_id, results, packed FROM job_tests
WHERE repo_id = :repo AND job_id > :after
ORDER BY job_id
LIMIT :jobs
"""
_JOBS_PER_READ = 5_000
# The few results that carry a message (the engine never reads them; the drill-down does).
_MESSAGES_SQL = """
SELECT t.job_id, t.test, t.message FROM test_results t
WHERE t.repo_id = :repo AND t.message IS NOT NULL
"""

_TEST_NAMES_SQL = "SELECT id, name FROM tests WHERE repo_id = :repo"

# Each run attempt's words (commit, time, branch), read once: the jobs below take their run's
# in pandas (:func:`_with_run_words`), so each word is one Python string per run attempt, not
# one per job. Joined to the jobs in SQL, sqlite3 made four strings per job: at 100k runs the
# two job reads were ~7 CPU s (105k and 195k jobs) against ~3.5 s so.
_RUN_WORDS_SQL = """
SELECT run_id, attempt, head_sha AS commit_sha, created_at, head_branch AS branch
FROM runs WHERE repo_id = :repo
"""

# The jobs that have results (their run's words are added: see _RUN_WORDS_SQL).
_RESULT_JOBS_SQL = """
SELECT j.job_id, j.run_id, j.attempt, j.name AS job
FROM jobs j
WHERE j.repo_id = :repo
  AND j.job_id IN (SELECT job_id FROM job_tests WHERE repo_id = :repo)
"""

# Executions without a report whose conclusion tells which tests did not fail: those that
# succeeded, and failed ones (kept only when their log names a failing test). Only jobs of a
# name that has results somewhere: no test is known in the others (a lint or a build job), so
# they imply no pass (at 100k runs, 40% of the 410k such executions, each a row of text).
_UNREPORTED_SQL = f"""
WITH tested(name) AS (
    SELECT DISTINCT j.name FROM job_tests t
    CROSS JOIN jobs j ON j.repo_id = t.repo_id AND j.job_id = t.job_id
    WHERE t.repo_id = :repo
)
SELECT j.job_id, j.run_id, j.attempt, j.name AS job, j.conclusion
FROM jobs j
WHERE j.repo_id = :repo AND j.name IN tested
  AND j.status = 'completed' AND j.conclusion IN ('success', 'failure')
  AND j.job_id NOT IN ({_REPORTED})
"""

_JOBS_SQL = """
SELECT j.name AS test_id, j.conclusion AS outcome, j.run_id, j.attempt,
       r.head_sha AS commit_sha, r.created_at, r.workflow_name AS job,
       r.head_branch AS branch, j.duration_s
FROM jobs j
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
WHERE j.repo_id = ? AND j.status = 'completed'
  AND j.conclusion IN ('success', 'failure', 'timed_out', 'startup_failure')
ORDER BY r.created_at, j.run_id, j.attempt, j.name
"""

# The failed job attempts a re-run followed (what Flaky Tests charges as wasted minutes): the
# repository's re-run attempts (k + 1 > 1) lead (CROSS JOIN fixes the loop order), read from the
# runs' key, which covers them; then each one's jobs of attempt k and the same name's job in
# attempt k + 1 through (repo_id, run_id, attempt). Only re-run runs' jobs are read, never all.
_RERUN_SQL = """
SELECT j.run_id, j.attempt, j.name AS job, j.duration_s
FROM runs r
CROSS JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id AND j.attempt = r.attempt - 1
WHERE r.repo_id = :repo AND r.attempt > 1 AND j.status = 'completed'
  AND j.conclusion IN ('failure', 'timed_out', 'startup_failure')
  AND EXISTS (
      SELECT 1 FROM jobs n
      WHERE n.repo_id = r.repo_id AND n.run_id = r.run_id AND n.attempt = r.attempt
        AND n.name = j.name
  )
"""

# One test's latest stored results (the page's drill-down): its interned id by (repo_id, name);
# the jobs that hold it, with its outcome there, from the packed digests (job_tests) along their
# key, newest job first (GitHub numbers jobs as they are created), a batch at a time until
# ``limit`` are found; then those jobs' runs and the test's message where it has one (its row of
# test_results, by key), the newest ``limit`` by their run's time. Why not an index of
# test_results by test: writing it cost more than half of storing a report (schema V15).
_TEST_ID_SQL = "SELECT id FROM tests WHERE repo_id = :repo AND name = :test"
_NEWEST_DIGESTS_SQL = """
SELECT job_id, results, packed FROM job_tests
WHERE repo_id = :repo AND job_id < :before
ORDER BY job_id DESC
LIMIT :jobs
"""
# :jobs: [job id, outcome code] pairs, the outcomes read from the digests; the message, where
# the result has one, from test_results by key (schema V18 keeps a row only for those).
_RESULTS_OF_JOBS_SQL = f"""
SELECT j.run_id, j.attempt, j.name AS job, r.created_at,
       {outcome_sql("json_extract(k.value, '$[1]')")} AS outcome, t.message
FROM json_each(:jobs) k
CROSS JOIN jobs j ON j.repo_id = :repo AND j.job_id = json_extract(k.value, '$[0]')
JOIN runs r ON r.repo_id = j.repo_id AND r.run_id = j.run_id AND r.attempt = j.attempt
LEFT JOIN test_results t ON t.repo_id = j.repo_id AND t.job_id = j.job_id AND t.test = :test
ORDER BY r.created_at DESC, j.run_id DESC, j.attempt DESC, j.name DESC
LIMIT :limit
"""

_COLUMNS = ["test_id", "outcome", "run_id", "attempt", "commit_sha", "created_at", "job"]
_COLUMNS += ["branch", "message"]
_WORDS = ("commit_sha", "created_at", "job", "branch")  # an execution's words
_PASSED = OUTCOME_CODES["passed"]
_FAILED = (OUTCOME_CODES["failed"], OUTCOME_CODES["error"])
_PAIRS = 1 << 21  # (execution, test) pairs looked at per step of the implied passes
_ROWS_PER_STEP = 1 << 21  # results read per step of the implied passes
_ROWS_PER_BAND = 1 << 22  # rows sorted at once when they are put in time order
_KNOWN = {"last": "max", "failing": "any"}
_NONE = np.zeros(0, dtype=np.int32)


@dataclass
class _Results:
    """The stored results read from their best source, as codes: per result its execution
    (a row of ``jobs``), its test (a position in ``names``), its outcome code, whether a JUnit
    report said it, its message (None when not read)."""

    jobs: pd.DataFrame  # job_id, run_id, attempt, commit_sha, created_at, job, branch
    names: np.ndarray  # test name per test code
    at: np.ndarray
    test: np.ndarray
    outcome: np.ndarray
    junit: np.ndarray
    message: np.ndarray | None


def test_history(store: Store, repo_id: int, *, messages: bool = True) -> pd.DataFrame:
    """Every test result the store knows or can tell (see the module docstring): ``test_id,
    outcome, run_id, attempt, commit_sha, created_at, job, branch, message``, oldest first
    (``messages=False``: without ``message``, which the engine never reads).

    The words are categoricals (``test_id, outcome, commit_sha, created_at, job, branch``),
    and so are the run ids (integer categories): per row a small integer code, each distinct
    value stored once. Why: pandas 3 keeps the characters of every cell of a string column,
    and a history has millions of rows but a few thousand tests, jobs, commits and times (11k
    runs, 3.4M rows: the read peaked at 2.26 GB with text columns, at 0.57 GB with codes; the
    agent's columns then cost no string per row wherever they become arrays, as the categories
    are Python objects); a run id repeats for each of its ~400 results, 8 bytes each time.
    ``attempt`` is an int8 or int16 where it fits (6-7 bytes a row fewer). Every step keeps
    1-4 byte codes per result and lets its parts go once joined: at 100k runs (41M rows) the
    frame is ~0.8 GB and the read peaks at ~1.45 GB."""
    runs = store.frame(_RUN_WORDS_SQL, {"repo": repo_id})
    observed = _observed(store, repo_id, messages, runs)
    columns = _COLUMNS if messages else _COLUMNS[:-1]
    if observed is None:
        return pd.DataFrame(columns=columns)
    _one_spelling(observed)
    unreported = _with_run_words(store.frame(_UNREPORTED_SQL, {"repo": repo_id}), runs)
    said = _said(observed, unreported)
    return _history(observed, said, *_implied_passes(observed, said))


def _with_run_words(jobs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """``jobs`` (``job_id, run_id, attempt, job``, then any other columns) with their run
    attempt's words from ``runs`` (:data:`_RUN_WORDS_SQL`), in their order; a job whose run
    attempt is not stored is left out, as a join in SQL leaves it."""
    columns = ["job_id", "run_id", "attempt", "commit_sha", "created_at", "job", "branch"]
    columns += [c for c in jobs.columns if c not in columns]
    if jobs.empty or runs.empty:
        return pd.DataFrame(columns=columns)
    return with_run_words(jobs, runs, columns)


def _observed(store: Store, repo_id: int, messages: bool, runs: pd.DataFrame) -> _Results | None:
    """The stored results as the engine reads them (each execution from its best source), in
    the store's order; None when there are none.

    Why numbers and not one query joining the words in: sqlite3 then builds a Python string
    for every cell, six per result, before pandas stores them. Read as numbers and looked up in
    the small tables, only the distinct values ever become Python strings. Why per job where
    it can: a job's results share their job, so its row in ``jobs`` and whether it has a report
    are found once per job, and each result carries 4-byte codes (at 100k runs, 30 million
    results, every 8-byte array of their length is 0.24 GB)."""
    stored = _stored_results(store, repo_id, messages)
    if stored is None:
        return None
    params = {"repo": repo_id}
    names = store.frame(_TEST_NAMES_SQL, params)
    jobs = _with_run_words(store.frame(_RESULT_JOBS_SQL, params), runs)
    per_job = stored["results"]  # results of each job read, in the order read
    job_at = pd.Index(jobs["job_id"]).get_indexer(stored["job_id"])  # per job read
    junit = stored["junit"]
    reported = (
        np.bincount(np.repeat(np.arange(len(per_job)), per_job)[junit], minlength=len(per_job)) > 0
    )
    row_job = np.repeat(np.arange(len(per_job), dtype=np.int32), per_job)
    best = junit | ~reported[row_job]  # a report alone counts
    ids = names["id"].to_numpy(dtype=np.int64)
    table = np.full(int(ids.max(initial=-1)) + 2, -1, dtype=np.int32)  # the last: unknown ids
    table[ids] = np.arange(len(ids), dtype=np.int32)
    test = stored["test"]
    name_at = table[np.where((test >= 0) & (test < len(table) - 1), test, len(table) - 1)]
    del test
    at = job_at.astype(np.int32)[row_job]
    del row_job
    kept = np.flatnonzero(best & (at >= 0) & (name_at >= 0))  # its job and run are stored
    del best
    message = stored.get("message")
    return _Results(
        jobs=jobs,
        names=names["name"].to_numpy(dtype=object),
        at=at[kept],
        test=name_at[kept],
        outcome=stored["outcome"][kept],
        junit=junit[kept],
        message=None if message is None else message[kept],
    )


def _stored_results(store: Store, repo_id: int, messages: bool) -> dict[str, np.ndarray] | None:
    """Every stored result of the repository, in the order of the primary key (see
    ``_TESTS_SQL``): per job read, ``job_id`` and its number of ``results``; per result, its
    ``test`` (int32: the tests table's ids), ``outcome`` code (-1 for one not known), ``junit``
    and ``message``."""
    known = np.full(max(OUTCOME_CODES.values()) + 2, -1, dtype=np.int8)  # the last: unknown
    known[list(OUTCOME_CODES.values())] = list(OUTCOME_CODES.values())
    parts: dict[str, list[np.ndarray]] = {
        name: [] for name in ("job_id", "results", "test", "outcome", "junit")
    }
    after = -(1 << 63)  # before every job
    while True:
        batch = store.frame(_TESTS_SQL, {"repo": repo_id, "after": after, "jobs": _JOBS_PER_READ})
        if batch.empty:
            break
        job_id = batch["job_id"].to_numpy(dtype=np.int64)
        parts["job_id"].append(job_id)
        parts["results"].append(batch["results"].to_numpy(dtype=np.int64))
        packed = unpack(batch["packed"].tolist())
        outcome = packed["outcome"]
        in_table = (outcome >= 0) & (outcome < len(known) - 1)
        parts["test"].append(packed["test"].copy())
        parts["outcome"].append(known[np.where(in_table, outcome, len(known) - 1)])
        parts["junit"].append(packed["source"] == JUNIT)
        after = int(job_id[-1])
        if len(batch) < _JOBS_PER_READ:
            break
    if not parts["job_id"]:
        return None
    stored = {}
    for name in list(parts):  # one column at a time: its batches let go once joined
        stored[name] = np.concatenate(parts.pop(name))
    if messages:
        job_id = np.repeat(stored["job_id"], stored["results"])
        stored["message"] = _messages(store, repo_id, job_id, stored["test"])
    return stored


def _messages(store: Store, repo_id: int, job_id: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per result (``job_id, test``, in the order of the primary key): its message, else None."""
    found = store.frame(_MESSAGES_SQL, {"repo": repo_id})
    message = np.full(len(job_id), None, dtype=object)
    if found.empty:
        return message
    key = pd.MultiIndex.from_arrays([job_id, test])
    at = key.get_indexer(pd.MultiIndex.from_arrays([found["job_id"], found["test"]]))
    message[at[at >= 0]] = found["message"].to_numpy(dtype=object)[at >= 0]
    return message


def _one_spelling(observed: _Results) -> None:
    """Console ids renamed to the report's id of the same test, where one is known."""
    console = ~observed.junit
    names = observed.names
    renamed = report_spellings(
        names[pd.unique(observed.test[console])], names[pd.unique(observed.test[~console])]
    )
    if not renamed:
        return
    position = {name: code for code, name in enumerate(names)}
    remap = np.arange(len(names))
    for old, new in renamed.items():
        remap[position[old]] = position[new]  # a report's id is a stored test name
    observed.test[console] = remap[observed.test[console]]


def _said(observed: _Results, unreported: pd.DataFrame) -> pd.DataFrame:
    """The executions without a report whose conclusion tells which tests passed: those that
    succeeded, and failed ones whose log names a failing test (column ``named``)."""
    failing = np.isin(observed.outcome, _FAILED) & ~observed.junit
    logged = pd.unique(observed.jobs["job_id"].to_numpy()[observed.at[failing]])
    named = unreported["job_id"].isin(logged).to_numpy()
    said = unreported.assign(named=named)
    return said[unreported["conclusion"].eq("success").to_numpy() | named].reset_index(drop=True)


def _implied_passes(observed: _Results, said: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The passes a job's conclusion tells, in its executions without a report (see the module
    docstring), for each test known in that job (it passed or failed there) up to its last
    result there (a test renamed or removed stops there): (row of ``said``, test code) each,
    in the order of ``said``, then of the test codes."""
    jobs, size = observed.jobs, len(observed.jobs)
    job, _ = pd.factorize(pd.concat([jobs["job"], said["job"]]), use_na_sentinel=True)
    stamp, _ = pd.factorize(pd.concat([jobs["created_at"], said["created_at"]]), sort=True)
    execution, _ = pd.factorize(pd.concat([jobs["job_id"], said["job_id"]]))
    job, stamp, execution = job + 1, stamp.astype(np.int64), execution.astype(np.int64)
    width = len(observed.names)
    s_job, s_at = job[size:], stamp[size:]
    s_named, s_execution = said["named"].to_numpy(dtype=bool), execution[size:]
    in_said = np.zeros(len(execution) + 1, dtype=bool)
    in_said[s_execution] = True
    # Per (job, test) known: its last result's time and whether it failed there; and what was
    # read in the executions without a report (it needs no pass). Read a slice of the results
    # at a time, so that the temporaries stay those of a slice however long the history.
    known_parts, seen_parts = [], []
    for lo in range(0, len(observed.at), _ROWS_PER_STEP):
        at = observed.at[lo : lo + _ROWS_PER_STEP]
        test = observed.test[lo : lo + _ROWS_PER_STEP]
        outcome = observed.outcome[lo : lo + _ROWS_PER_STEP]
        ran = np.isin(outcome, (_PASSED, *_FAILED))
        part = pd.DataFrame(
            {
                "job": job[at[ran]],
                "test": test[ran],
                "last": stamp[at[ran]],
                "failing": np.isin(outcome[ran], _FAILED),
            }
        )
        known_parts.append(part.groupby(["job", "test"], sort=False).agg(_KNOWN))
        ran_in = execution[at]
        read = in_said[ran_in]
        seen_parts.append(ran_in[read] * width + test[read])
    known = pd.concat(known_parts).groupby(level=["job", "test"], sort=True).agg(_KNOWN)
    known = known.reset_index()
    # sorted once: each step below looks its pairs up by binary search (np.isin sorted all of
    # them again at every step: 11 s of 40 at 100k runs)
    seen = np.sort(np.concatenate([np.zeros(0, dtype=np.int64), *seen_parts]))
    k_job, k_test = known["job"].to_numpy(), known["test"].to_numpy()
    k_last, k_failing = known["last"].to_numpy(), known["failing"].to_numpy()
    first = np.searchsorted(k_job, s_job, "left")
    count = np.searchsorted(k_job, s_job, "right") - first
    found_rows, found_tests = [], []
    for lo, hi in _steps(count, _PAIRS):
        n = count[lo:hi]
        row = np.repeat(np.arange(lo, hi), n)  # each execution with every test of its job
        start = np.cumsum(n) - n
        pair = np.arange(len(row)) - np.repeat(start - first[lo:hi], n)
        keep = (s_at[row] <= k_last[pair]) & (k_failing[pair] | s_named[row])
        row, tested = row[keep], k_test[pair[keep]]
        fresh = ~_sorted_contains(seen, s_execution[row] * width + tested)
        found_rows.append(row[fresh].astype(np.int32))  # said's rows and test codes: int32
        found_tests.append(tested[fresh].astype(np.int32))
    empty = np.zeros(0, dtype=np.int32)
    return np.concatenate([empty, *found_rows]), np.concatenate([empty, *found_tests])


def _sorted_contains(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per value: whether it is in ``sorted_values`` (sorted ascending)."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    place = np.searchsorted(sorted_values, values)
    return sorted_values[np.minimum(place, len(sorted_values) - 1)] == values


def _steps(count: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Consecutive ranges of ``count`` whose sums stay under ``limit`` (a range holds at least
    one item), so that expanding them never holds more than ``limit`` pairs at once."""
    ends = np.cumsum(count)
    steps, lo = [], 0
    while lo < len(count):
        base = ends[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(ends, base + limit, "right")), lo + 1)
        steps.append((lo, hi))
        lo = hi
    return steps


def _history(
    observed: _Results, said: pd.DataFrame, rows: np.ndarray, tests: np.ndarray
) -> pd.DataFrame:
    """The observed results then the implied passes, as categoricals (see
    :func:`test_history`), in time order: by ``created_at, run_id, attempt, job, test_id``,
    ties in the order above. The order is found on the executions (a few per run) and then on
    one number per row, and each column is built in that order: at most a few arrays of the
    history's length are alive at once."""
    jobs = observed.jobs
    executions = pd.concat(
        [jobs[["run_id", "attempt", *_WORDS]], said[["run_id", "attempt", *_WORDS]]],
        ignore_index=True,
    )
    words: dict[str, tuple[np.ndarray, pd.Index]] = {}
    for name in _WORDS:  # sorted words: a code's order is its word's
        per_execution, found = pd.factorize(executions[name], sort=True, use_na_sentinel=True)
        words[name] = (per_execution, _objects(found))
    run_id = executions["run_id"].to_numpy(dtype=np.int64)
    attempt = executions["attempt"].to_numpy(dtype=np.int64)
    keys = (words["job"][0], attempt, run_id, words["created_at"][0])
    place = _dense_rank(keys)  # per execution: its place in time (equal keys, equal places)
    test, test_words = _sorted_codes(_joined(observed.test, tests), observed.names)
    at = _joined(observed.at, rows, len(jobs))
    outcome = np.concatenate([observed.outcome, np.full(len(rows), _PASSED, dtype=np.int8)])
    message = None
    if observed.message is not None:
        message = np.concatenate([observed.message, np.full(len(rows), None, dtype=object)])
    # the parts are let go once joined (this reader's last step: nothing reads them after it)
    observed.at = observed.test = observed.outcome = observed.junit = _NONE
    observed.message = None
    del rows, tests
    per_place = _rows_per_place(place, at)
    order = _time_order(place, at, test, len(test_words), per_place)
    del at  # sorted by place, a row's execution words are its place's: repeated, not looked up
    frame = {"test_id": pd.Categorical.from_codes(_gather(test, order), categories=test_words)}
    del test
    spelled = decode(pd.Series(np.arange(max(OUTCOME_CODES.values()) + 1)), OUTCOME_CODES)
    codes, outcome_words = _sorted_codes(_gather(outcome, order), spelled)  # None: no word
    frame["outcome"] = pd.Categorical.from_codes(codes, categories=outcome_words)
    del outcome, codes
    said_message = None if message is None else pd.Series(message[order], dtype=object)
    del message, order
    # one execution of each place: the executions of a place share every word (the place is
    # their time, run, attempt and job; commit and branch are the run's)
    representative = np.empty(len(per_place), dtype=np.int64)
    representative[place] = np.arange(len(place))
    for name in _WORDS:
        per_execution, found = words[name]
        codes = np.repeat(per_execution[representative].astype(_small(len(found))), per_place)
        frame[name] = pd.Categorical.from_codes(codes, categories=found)
    del codes
    # attempts are small numbers: 1 or 2 bytes a row where they fit, not 8; the run ids are a
    # categorical too (4-byte codes where their 8-byte ids repeated ~400 times each)
    top = int(attempt.max(initial=0))
    small = np.int8 if top < 2**7 else np.int16 if top < 2**15 else np.int64
    numbers = {"attempt": np.repeat(attempt[representative].astype(small), per_place)}
    per_execution, found = pd.factorize(run_id, sort=True)
    numbers["run_id"] = pd.Categorical.from_codes(
        np.repeat(per_execution[representative].astype(_small(len(found))), per_place),
        categories=found,
    )
    del per_execution
    if said_message is not None:
        frame["message"] = said_message  # None: no message
    # the columns as built: no copies, and no block of both number columns (one more copy)
    history = pd.DataFrame(frame, copy=False)
    history.insert(2, "run_id", pd.Series(numbers.pop("run_id"), copy=False))
    history.insert(3, "attempt", pd.Series(numbers.pop("attempt"), copy=False))
    return history


def _time_order(
    place: np.ndarray,
    at: np.ndarray,
    test: np.ndarray,
    words: int,
    per_place: np.ndarray | None = None,
) -> np.ndarray:
    """The rows' order in time: by their execution's place, then by test (code -1 first), ties
    in row order (what a stable argsort of that key gives).

    Where key and row number fit in 4 bytes each, the rows are sorted a band of places at a
    time (:data:`_ROWS_PER_BAND` rows or so each, the bands in order): within a band, key and
    row are packed into one 8-byte number per row and sorted in place, and the band's order is
    written out as 4-byte row numbers. Sorted whole, the packed numbers were 8 bytes a row
    beside the order's 4 (at 100k runs, 41M rows: the largest moment of the read, 0.5 GB);
    an argsort would hold the keys, 8-byte positions and its merge buffer at once. Each row's
    band (1 byte) is found once; each band then picks its rows out of it. ``per_place``:
    :func:`_rows_per_place`, where the caller has it."""
    size, span = len(at), words + 1
    top = (int(place.max(initial=0)) + 1) * span
    if top >= 2**32 or size >= 2**31:
        key = np.empty(size, dtype=np.int64)
        for lo in range(0, size, _ROWS_PER_STEP):
            hi = lo + _ROWS_PER_STEP
            key[lo:hi] = place[at[lo:hi]].astype(np.int64) * span + test[lo:hi] + 1
        return np.argsort(key, kind="stable")
    if per_place is None:
        per_place = _rows_per_place(place, at)
    band_of_execution = _bands(place, per_place)
    band = _gather(band_of_execution, at)
    order = np.empty(size, dtype=np.int32)
    done = 0
    for number in range(int(band_of_execution.max(initial=0)) + 1):
        rows = np.flatnonzero(band == number)
        key = (place[at[rows]] * span + test[rows] + 1).astype(np.uint64)
        packed = (key << np.uint64(32)) | rows.astype(np.uint64)
        del key
        packed.sort()  # every number distinct (the row's own in the low half): no ties to keep
        order[done : done + len(rows)] = packed & np.uint64(0xFFFFFFFF)
        done += len(rows)
    return order


def _rows_per_place(place: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Per place in time (:func:`_dense_rank`): how many rows its executions hold."""
    per_execution = np.zeros(len(place), dtype=np.int64)
    for lo in range(0, len(at), _ROWS_PER_STEP):  # bincount reads 8-byte integers: a slice
        per_execution += np.bincount(at[lo : lo + _ROWS_PER_STEP], minlength=len(place))
    places = int(place.max(initial=-1)) + 1
    return np.bincount(place, weights=per_execution, minlength=places).astype(np.int64)


def _bands(place: np.ndarray, per_place: np.ndarray) -> np.ndarray:
    """Per execution: its band, consecutive places in time holding about
    :data:`_ROWS_PER_BAND` rows in all (the rows of one place are never split), as uint8 (at
    most 255 bands: wider ones past that)."""
    width = max(_ROWS_PER_BAND, int(per_place.sum()) // 255 + 1)
    before = np.cumsum(per_place) - per_place  # rows of the places before each one
    return (before // width).astype(np.uint8)[place]


def _gather(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``values[at]``, built a slice at a time: NumPy indexes with 8-byte integers, and ``at``
    (4 bytes a row) whole would be copied as such first (0.34 GB at 100k runs)."""
    out = np.empty(len(at), dtype=values.dtype)
    for lo in range(0, len(at), _ROWS_PER_STEP):
        out[lo : lo + _ROWS_PER_STEP] = values[at[lo : lo + _ROWS_PER_STEP]]
    return out


def _dense_rank(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per item: the place of its keys in ``np.lexsort`` order (the last key first), equal
    keys sharing a place."""
    order = np.lexsort(keys)
    changed = np.zeros(len(order), dtype=bool)
    for key in keys:
        ordered = key[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.cumsum(changed)
    return place


def _sorted_codes(code: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Codes into ``words`` (-1: none) renumbered into the used words, sorted; a word that is
    None is no category (its rows read as missing)."""
    seen = np.zeros(len(words) + 1, dtype=bool)  # the last: code -1
    seen[code] = True
    used = np.flatnonzero(seen[:-1])
    used = used[pd.notna(words[used])]
    order = np.argsort(words[used].astype(str), kind="stable")
    renumber = np.full(len(words) + 1, -1, dtype=_small(len(words)))  # -1 reads the last -1
    renumber[used[order]] = np.arange(len(used))
    return renumber[code], _objects(words[used][order])


def _joined(first: np.ndarray, then: np.ndarray, shift: int = 0) -> np.ndarray:
    """``first`` followed by ``then + shift``, as int32 where the values fit (codes of a
    history: every 8-byte array of its length would be 0.24 GB at 100k runs)."""
    top = max(int(first.max(initial=0)), int(then.max(initial=0)) + shift)
    joined = np.empty(len(first) + len(then), dtype=_small(top + 1))
    joined[: len(first)] = first
    joined[len(first) :] = then
    joined[len(first) :] += shift
    return joined


def _small(count: int) -> type[np.signedinteger]:
    """The integer type of codes below ``count`` (and -1): int16 or int32 when they fit (what
    a categorical keeps its codes as: built so, they are not copied again)."""
    return np.int16 if count < 2**15 else np.int32 if count < 2**31 else np.int64


def _objects(words: np.ndarray | pd.Index) -> pd.Index:
    """Categories as Python objects: a row's value is then the category's own object, where
    text categories would make a new string per row wherever a column becomes an array."""
    return pd.Index(np.asarray(words, dtype=object), dtype=object)


def job_history(store: Store, repo_id: int) -> pd.DataFrame:
    """Every decided job outcome, a job's name standing for the test: ``test_id, outcome,
    run_id, attempt, commit_sha, created_at, job`` (its workflow), ``branch`` and
    ``duration_s``."""
    return store.frame(_JOBS_SQL, (repo_id,))


def test_results_of(store: Store, repo_id: int, test_id: str, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` stored results of one test (as stored: reported or read from a log,
    not the passes :func:`test_history` infers), oldest first: ``run_id, attempt, job,
    created_at, outcome, message``."""
    columns = ["run_id", "attempt", "job", "created_at", "outcome", "message"]
    found = store.query(_TEST_ID_SQL, {"repo": repo_id, "test": test_id})
    if not found:
        return pd.DataFrame(columns=columns)
    test = int(found[0]["id"])
    jobs = _newest_jobs_with(store, repo_id, test, int(limit))
    params = {"repo": repo_id, "jobs": json.dumps(jobs), "test": test, "limit": int(limit)}
    frame = store.frame(_RESULTS_OF_JOBS_SQL, params)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return frame.iloc[::-1].reset_index(drop=True)


def _newest_jobs_with(store: Store, repo_id: int, test: int, limit: int) -> list[list[int]]:
    """``[job id, outcome code]`` of the jobs whose stored results hold ``test``, newest
    first, read from the digests a batch of jobs at a time until at least ``limit`` are found
    (or every job was read). A digest holds a test once."""
    jobs: list[list[int]] = []
    before = (1 << 63) - 1
    while len(jobs) < limit:
        batch = store.frame(
            _NEWEST_DIGESTS_SQL, {"repo": repo_id, "before": before, "jobs": _JOBS_PER_READ}
        )
        if batch.empty:
            break
        job_id = batch["job_id"].to_numpy(dtype=np.int64)
        per_job = np.repeat(job_id, batch["results"].to_numpy(dtype=np.int64))
        packed = unpack(batch["packed"].tolist())
        holds = packed["test"] == test
        jobs += np.column_stack([per_job[holds], packed["outcome"][holds]]).tolist()
        before = int(job_id[-1])
        if len(batch) < _JOBS_PER_READ:
            break
    return jobs


def rerun_job_attempts(store: Store, repo_id: int) -> pd.DataFrame:
    """The failed job attempts that the same job's next attempt in the same run followed (a
    re-run), with what they cost: ``run_id, attempt, job`` (its name), ``duration_s`` (None
    where unknown). Failures never re-run are not here: they cost no re-run."""
    return store.frame(_RERUN_SQL, {"repo": repo_id})
