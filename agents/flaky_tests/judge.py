"""The one entry point: :func:`judge` a history, one row per test out.

The steps run in an order that keeps each piece of evidence honest: the infrastructure guard
first (an outage is no flakiness evidence about anyone), then what each failure means on its commit,
then broken spans (so a regression's failures are not counted as flakiness), then what it means
on its branch (a topic branch's next push explains it), then the posterior and the verdict,
and last the clusters among the flaky tests. Every step is
vectorised over all results at once; the only loops are over the distinct values of a column,
and over chunks of tests when the history is long (:mod:`.chunks`: what looks across tests, the
guard's counts, the trunk, the clusters and the tests' order, is found over the whole history).

Each step judges a series (one test in one job, :mod:`.history`); the test's row then speaks
for its most telling series, named in ``jobs``: broken where it is broken (the earliest
culprit first), else flaky where it flakes (the highest score first), else stable where it has
enough runs. Its counts (runs, failures, flips, intermittent and infrastructure failures) add
up over its jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agents.flaky_tests.chunks import CHUNK_ROWS, Chunk, chunks_of
from agents.flaky_tests.clusters import cluster_names
from agents.flaky_tests.config import FlakyConfig
from agents.flaky_tests.history import History, commits_ran_together, distinct_per, read_history
from agents.flaky_tests.infra import infra_mask
from agents.flaky_tests.posterior import posterior
from agents.flaky_tests.quiet import NO_SPEAKER, judge_quiet
from agents.flaky_tests.regression import Spans, broken_spans
from agents.flaky_tests.signals import Groups, branch_signals, flip_rate, groups_of, result_signals
from agents.flaky_tests.verdict import BROKEN, FLAKY, SPEAKING_RANK, evidence, verdicts

__all__ = ["COLUMNS", "judge"]

COLUMNS = (
    "test_id",
    "verdict",
    "score",
    "score_low",
    "score_high",
    "runs",
    "failures",
    "same_sha_flips",
    "intermittent_failures",
    "infra_failures",
    "skipped",
    "flip_rate",
    "culprit_sha",
    "culprit_run",
    "fixed_sha",
    "first_flake",
    "last_flake",
    "evidence_runs",
    "cluster",
    "jobs",
)
_NEVER = np.iinfo(np.int64).max  # the culprit row of a series without a culprit


def judge(
    history: pd.DataFrame,
    config: FlakyConfig | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    visit: Callable[[pd.DataFrame], None] | None = None,
    trunk: Hashable | None = None,
) -> pd.DataFrame:
    """One row per test of ``history`` (in order of first appearance) with the columns of
    ``COLUMNS``: the verdict, the score (posterior mean of the intermittent-failure
    probability) and its credible interval, the counts behind them, the culprit commit of a
    ``broken`` test, the first and last flake (``created_at`` when given, else the run), the
    latest evidence runs, the cluster and the jobs the verdict was reached in. See the package
    docstring for the method.

    A history of more than ``chunk_rows`` results is judged in chunks of its tests, with the
    verdicts of the whole (:mod:`.chunks`), so that judging's temporaries are those of a chunk.
    ``visit`` is called with each chunk's rows (the whole history when it is one) before they
    are judged: a caller that reads more per test (the agent's clean runs and wasted minutes)
    reads it there, a chunk at a time too. The chunks of tests that never failed
    (:mod:`.quiet`) are not visited: they hold no failure, and every run of theirs is clean.
    ``trunk`` names the history's default branch when the caller knows it (a repository's
    stored ``default_branch``); without it the trunk is the branch with the most results
    (:func:`.signals.branch_signals`)."""
    config = config or FlakyConfig()
    parts, names, jobs, flaky_series, flaky_runs = [], [], [], [], []
    places: list[np.ndarray] = []  # each part's tests' places in the order of first appearance
    offset = 0  # series of the chunks before
    # a test that never failed cannot be flaky unless no evidence at all is needed
    quiet = config.flaky_weight > 0
    for chunk in chunks_of(history, config.infra, chunk_rows, trunk, quiet):
        if chunk.tests is not None:
            places.append(chunk.tests)
        if chunk.quiet:
            assert chunk.positions is not None
            parts.append(judge_quiet(chunk.frame, config, chunk.positions, chunk.trunk))
            continue
        if visit is not None:
            visit(chunk.frame)
        h = read_history(chunk.frame, chunk.positions)
        crowded = infra_mask(h, config.infra) if chunk.crowded is None else chunk.crowded[h.row]
        judged = _judge_series(h, config, crowded, _trunk(h, chunk))
        runs = _together(h, chunk.frame) if chunk.run_key is None else chunk.run_key[h.row]
        flaky_series.append(offset + h.test[judged.flaky])
        flaky_runs.append(runs[judged.flaky])
        names.append(h.tests)
        jobs.append(h.series_jobs)
        part = _by_test(judged, h, config.max_evidence)
        part["_speaker"] += offset
        parts.append(part)
        offset += h.n_tests
        del h, judged, crowded, runs
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    if len(parts) > 1:  # the chunks of quiet tests came after the others
        order = np.argsort(np.concatenate(places), kind="stable")
        frame = frame.take(order).reset_index(drop=True)
    empty = np.zeros(0, dtype=np.int64)
    clusters = cluster_names(
        np.concatenate([empty, *flaky_series]),
        np.concatenate([empty, *flaky_runs]),
        np.concatenate([np.zeros(0, dtype=object), *names]),
        config.clusters,
        np.concatenate([np.zeros(0, dtype=object), *jobs]),
    )
    speaker = frame["_speaker"].to_numpy()
    cluster = np.full(len(frame), None, dtype=object)
    spoken = speaker != NO_SPEAKER
    cluster[spoken] = clusters[speaker[spoken]]
    frame["cluster"] = _objects(cluster)
    return frame.loc[:, list(COLUMNS)]


def _trunk(h: History, chunk: Chunk) -> int | None:
    """The trunk's branch code in a chunk's history (-1: none of its results is on it); None
    when it is not known (the chunk's history then takes its branch with the most results)."""
    if chunk.trunk is None or h.branches is None:
        return None
    code = int(pd.Index(h.branches).get_indexer([chunk.trunk])[0])
    return code + 1 if code >= 0 else -1


@dataclass(frozen=True)
class _Series:
    """The judgement of every series: one row each in ``frame``; per result, ``resolved``
    (an intermittent failure) and ``flaky`` (one of a flaky series: what clusters are made
    of); per test, ``same_sha_flips`` (commits where it both passed and failed, in any of its
    jobs)."""

    frame: pd.DataFrame
    resolved: np.ndarray
    flaky: np.ndarray
    same_sha_flips: np.ndarray


def _judge_series(
    h: History, config: FlakyConfig, crowded: np.ndarray, trunk: int | None
) -> _Series:
    """Every step of the method, on each series; ``crowded``: the failures an outage explains
    (:mod:`.infra`), ``trunk``: see :func:`.signals.branch_signals`."""
    n_tests, test, fail = h.n_tests, h.test, h.fail
    counted = ~crowded  # results that are evidence about their own test
    groups = groups_of(test, n_tests)
    signals = result_signals(
        test, h.series_test[test], h.commit, ~fail, fail & counted, len(h.test_ids)
    )
    loose = fail & counted & ~signals.reproduced  # what no outage and no commit explains
    spans = broken_spans(
        test,
        h.commit,
        fail,
        signals.flip,
        loose,
        groups,
        config.regression,
        config.prior,
        h.lineage,
    )
    branches = branch_signals(test, h.commit, h.lineage, trunk)
    pushed = loose & ~signals.cleared & branches.moved_on  # the push after them explains them
    explained = signals.reproduced | pushed
    resolved, pending = evidence(
        test, fail & counted, signals.flip, explained, spans.inside, groups.pos, n_tests
    )
    weight = np.exp2(-groups.age / config.half_life)
    flake_weight = np.bincount(test, weights=weight * resolved, minlength=n_tests)
    later = np.where(branches.trunk, config.trunk_pass_weight, config.later_pass_weight)
    strength = np.where(signals.cleared, 1.0, later) * weight * resolved
    pending_weight = np.bincount(test, weights=weight * pending, minlength=n_tests)
    # a failure could be told intermittent: not where a push after it would have explained it
    telling = counted & ~(branches.moved_on & ~(fail & signals.cleared))
    observed = np.bincount(test, weights=weight * telling, minlength=n_tests)
    score = posterior(flake_weight + config.pending_weight * pending_weight, observed, config.prior)
    runs = distinct_per(test, h.run, n_tests)
    latest = _latest_span(spans, groups, n_tests)
    has_span = latest >= 0
    span_end = np.full(n_tests, -1, dtype=np.int64)  # position of the latest span's last result
    span_end[has_span] = groups.pos[spans.end[latest[has_span]]]
    open_span = np.zeros(n_tests, dtype=bool)
    open_span[has_span] = spans.open[latest[has_span]]
    recent = has_span & (groups.counts - 1 - span_end < config.broken_memory)
    since_fix = groups.pos > span_end[test]
    flake_evidence = np.bincount(test, weights=strength, minlength=n_tests)
    flake_since = np.bincount(test, weights=strength * since_fix, minlength=n_tests)
    verdict = verdicts(runs, flake_evidence, flake_since, open_span, recent, score.mean, config)
    flaky_rows = resolved & (verdict[test] == FLAKY)
    frame = pd.DataFrame(
        {
            "test_id": h.tests,
            "verdict": verdict,
            "score": score.mean,
            "score_low": score.low,
            "score_high": score.high,
            "intermittent_failures": np.bincount(test[resolved], minlength=n_tests),
            "infra_failures": np.bincount(test[crowded], minlength=n_tests),
            "skipped": h.skipped,
            "flip_rate": flip_rate(test[counted], fail[counted], config.flip_half_life, n_tests),
        }
    )
    _add_culprits(frame, h, spans, latest, verdict == BROKEN)
    return _Series(frame, resolved, flaky_rows, signals.same_sha_flips)


def _by_test(judged: _Series, h: History, max_evidence: int) -> pd.DataFrame:
    """One row per test: the verdict, score and culprit of the series that speaks for it
    (``_speaker``: its code, by which its cluster is found once every chunk is judged),
    counts added up over its series, runs and failures counted once per run."""
    series, owner = judged.frame, h.series_test
    ranked = series.assign(
        _series=np.arange(len(series)),
        _test=owner,
        _rank=series["verdict"].map(SPEAKING_RANK).to_numpy(),
        _neg_score=-series["score"].to_numpy(),
        _job=h.series_jobs,
    ).sort_values(["_test", "_rank", "culprit_row", "_neg_score"], kind="stable")
    speaking = ranked.drop_duplicates("_test").set_index("_test").sort_index()
    n = len(h.test_ids)
    frame = speaking.loc[:, ["verdict", "score", "score_low", "score_high", "flip_rate"]]
    frame.insert(0, "test_id", h.test_ids)
    tested = owner[h.test]  # the test of each result
    frame["runs"] = distinct_per(tested, h.run, n)
    frame["failures"] = distinct_per(tested[h.fail], h.run[h.fail], n)
    frame["same_sha_flips"] = judged.same_sha_flips
    for name in ("intermittent_failures", "infra_failures", "skipped"):
        frame[name] = np.bincount(owner, weights=series[name], minlength=n).astype(np.int64)
    for name in ("culprit_sha", "culprit_run", "fixed_sha"):
        frame[name] = _objects(speaking[name].to_numpy(dtype=object))
    frame["jobs"] = _jobs(ranked, speaking["verdict"])
    _add_flakes(frame, h, judged.resolved, max_evidence)
    frame["_speaker"] = speaking["_series"].to_numpy()
    return frame.reset_index(drop=True)


def _jobs(ranked: pd.DataFrame, verdict: pd.Series) -> pd.Series:
    """Per test: the jobs of its series with its verdict when it is broken or flaky (the one
    that speaks first), else none."""
    named = ranked[ranked["_job"].notna() & ranked["verdict"].isin([BROKEN, FLAKY])]
    named = named[named["verdict"].to_numpy() == verdict.loc[named["_test"]].to_numpy()]
    by_test = named.groupby("_test", sort=False)["_job"].agg(lambda jobs: [str(j) for j in jobs])
    jobs = np.empty(len(verdict), dtype=object)
    jobs[:] = [[] for _ in range(len(verdict))]
    jobs[by_test.index.to_numpy()] = by_test.to_numpy(dtype=object)
    return _objects(jobs)


def _latest_span(spans: Spans, groups: Groups, n_tests: int) -> np.ndarray:
    """Per series: the index in ``spans`` of its latest broken span (the one that ended last;
    of two, the one that began first), -1 when it has none."""
    latest = np.full(n_tests, -1, dtype=np.int64)
    if len(spans.test) == 0:
        return latest
    order = np.lexsort((-groups.pos[spans.start], groups.pos[spans.end], spans.test))
    owner = spans.test[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = owner[1:] != owner[:-1]
    latest[owner[last]] = order[last]
    return latest


def _add_culprits(
    frame: pd.DataFrame, h: History, spans: Spans, latest: np.ndarray, broken: np.ndarray
) -> None:
    """The culprit (first failing commit and its run) and the fix (the commit of the pass that
    ended the span) of each broken series' latest span; None elsewhere. ``culprit_row``: the
    input row of the culprit's result, which orders culprits in time across series."""
    commit, run = h.commit, h.run
    chosen = latest[broken]
    start, fixed = spans.start[chosen], spans.fixed[chosen]
    culprit_sha = np.full(h.n_tests, None, dtype=object)
    culprit_run = np.full(h.n_tests, None, dtype=object)
    fixed_sha = np.full(h.n_tests, None, dtype=object)
    culprit_row = np.full(h.n_tests, _NEVER, dtype=np.int64)
    culprit_sha[broken] = h.commit_labels[commit[start]]
    culprit_run[broken] = h.run_labels[run[start]]
    fixed_sha[broken] = np.where(fixed < 0, None, h.commit_labels[commit[np.maximum(fixed, 0)]])
    culprit_row[broken] = h.row[start]
    frame["culprit_sha"] = _objects(culprit_sha)
    frame["culprit_run"] = _objects(culprit_run)
    frame["fixed_sha"] = _objects(fixed_sha)
    frame["culprit_row"] = culprit_row


def _add_flakes(frame: pd.DataFrame, h: History, resolved: np.ndarray, max_evidence: int) -> None:
    """Per test, over all its series: first and last flake (``created_at`` when given, else the
    run) and the runs of the latest ``max_evidence`` flakes, newest last."""
    rows = np.flatnonzero(resolved)
    rows = rows[np.argsort(h.row[rows], kind="stable")]  # in time order across series
    marks = (h.stamps if h.stamps is not None else h.run_labels[h.run])[rows]
    flakes = pd.DataFrame(
        {"test": h.series_test[h.test[rows]], "mark": marks, "run": h.run_labels[h.run[rows]]}
    )
    by_test = flakes.groupby("test", sort=False)
    first = by_test["mark"].first()
    last = by_test["mark"].last()
    runs = flakes.groupby("test", sort=False).tail(max_evidence).groupby("test")["run"]
    evidence = runs.agg(lambda values: list(dict.fromkeys(values)))
    for name, values in (("first_flake", first), ("last_flake", last)):
        column = np.full(len(frame), None, dtype=object)
        column[values.index.to_numpy()] = values.to_numpy(dtype=object)
        frame[name] = _objects(column)
    runs_of = np.empty(len(frame), dtype=object)
    runs_of[:] = [[] for _ in range(len(frame))]
    runs_of[evidence.index.to_numpy()] = evidence.to_numpy(dtype=object)
    frame["evidence_runs"] = _objects(runs_of)


def _together(h: History, frame: pd.DataFrame) -> np.ndarray:
    """Per result: what it ran together with, for clusters (tests flaking in the same runs):
    its run, or without run ids its commit's execution (:mod:`.history`: each row is then a
    run of its own, and two tests could never flake together)."""
    return h.execution if commits_ran_together(frame.columns) else h.run


def _objects(values: np.ndarray) -> pd.Series:
    """A column that keeps None as None (pandas would infer a string column and read NaN)."""
    return pd.Series(values, dtype=object)
