"""Flaky Tests as agents: every test's and every job's verdict from the store's history.

Two agents over one engine (:func:`agents.flaky_tests.judge.judge`): ``flaky_tests`` judges test
results (``flaky_tests.csv``), ``flaky_jobs`` judges job outcomes, a job's name standing for the
test (``flaky_jobs.csv``). Both recompute the whole history on every run (the engine scores
10,000 tests x 1,000 runs in seconds) and store it as their whole answer; a verdict that did not
change keeps its message id, so a re-run with nothing new queues nothing. Each verdict carries the
CI minutes its item's failures made re-runs throw away (``minutes_wasted``, defined and shared out
in :mod:`agents.flaky_tests.waste`), read from the failed job attempts a re-run followed. A job
whose latest attempt failed also gets the probability that a re-run passes
(``rerun_pass_probability``, :mod:`agents.flaky_tests.rerun`).

``flaky_tests`` also keeps the quarantine list (:mod:`agents.flaky_tests.quarantine`): it
continues the previous list (the one ``ctx.options["quarantine"]`` hands over, e.g. the
``quarantine.json`` a user committed, else the store's), with owners from the repository's
CODEOWNERS, and stores it with the verdicts in one transaction; each flaky finding's message
carries its test's place in it (``quarantine``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from agents.base import AgentContext, AgentResult, nothing_yet, with_columns
from agents.flaky_tests.config import FlakyConfig, QuarantineRule
from agents.flaky_tests.judge import COLUMNS, judge
from agents.flaky_tests.owners import Ownership, ownership
from agents.flaky_tests.quarantine import VERSION, clean_runs, update_quarantine
from agents.flaky_tests.rerun import rerun_chances
from agents.flaky_tests.verdict import FLAKY
from agents.flaky_tests.waste import failed_results, wasted_minutes
from core.store.artifacts import load_artifact, save_artifact
from core.store.db import Store
from core.store.findings import load_findings, save_findings
from core.store.flaky import job_history, rerun_job_attempts, test_history
from core.store.repo_files import known_paths, load_codeowners
from core.store.repositories import default_branch

__all__ = [
    "CI_CONFIG",
    "JOBS_CONFIG",
    "FlakyTests",
    "FlakyJobs",
    "FLAKY_COLUMNS",
    "JOB_COLUMNS",
    "QUARANTINE",
    "RERUNS",
    "load_quarantine",
]

FLAKY_COLUMNS: tuple[str, ...] = (*COLUMNS, "minutes_wasted")
# A job whose latest attempt failed also gets the probability that re-running it passes
# (agents.flaky_tests.rerun): the question a guarded re-run asks before spending the minutes.
JOB_COLUMNS: tuple[str, ...] = (*FLAKY_COLUMNS, "rerun_pass_probability")
# In a repository's own history (branches known) a failure whose commit never passed tells
# little on its own. On a topic branch that moved on after it, the next push explains it (a push
# that broke a test and the next one that fixed it: pull requests do that all the time), so it
# is no evidence at all (agents.flaky_tests.signals). On the trunk (the repository's default
# branch as the sync stored it), whose commits were tested before they landed, a later
# commit's pass counts a half: two recent ones make a test flaky. Elsewhere (a topic branch's
# last push) it counts a quarter. A failure on a commit that also passed (a re-run, or another
# job of the same code: the code is not what failed) is the textbook flaky test, and one
# recent one is enough.
CI_CONFIG = FlakyConfig(later_pass_weight=0.25, trunk_pass_weight=0.5)
# A job is flaky only when it flakes in 1% of its runs or more (the score; FlakyConfig.min_score):
# a job is exposed to every runner, network and registry hiccup, and a run holds too few jobs
# for the infrastructure guard to tell an outage, so a job that a re-run rescued once, in an
# outage, would otherwise be flaky. A test is judged without a floor.
JOBS_CONFIG = replace(CI_CONFIG, min_score=0.01)
QUARANTINE_RULE = QuarantineRule()
QUARANTINE = "quarantine"  # the name of the list among the agent's stored artifacts
RERUNS = "reruns"  # flaky_jobs' artifact: the jobs whose latest attempt failed, their chances


class _Judged:
    """The shared run: read a history, judge it, store the verdicts."""

    name: str
    finding_columns: tuple[str, ...]
    what: str  # "tests" or "jobs", for the sentences
    nothing_stored: str  # what to do when the store holds no result to judge
    read: Callable[[Store, int], pd.DataFrame]
    job: str  # the history's column that names each result's job (agents.flaky_tests.waste)
    config: FlakyConfig = CI_CONFIG  # how the engine judges this agent's items
    keeps_quarantine = False  # whether it keeps a quarantine list (reads the clean runs)

    def run(self, ctx: AgentContext) -> AgentResult:
        repo_id = ctx.store.repo_id(ctx.repo)
        history = self.read(ctx.store, repo_id) if repo_id is not None else pd.DataFrame()
        if history.empty:
            message = f"No {self.what[:-1]} results of {ctx.repo} are stored yet: " + (
                self.nothing_stored
            )
            return nothing_yet(self, message, judged=0)
        ctx.progress(0.2, f"Judging {history['test_id'].nunique():,} {self.what}…")
        chances = self._rerun_chances(history)
        per_test = _PerTest(self.job, clean=self.keeps_quarantine)
        judged = judge(
            history.drop(columns=["message", "duration_s"], errors="ignore"),
            self.config,
            visit=per_test.read,
            trunk=default_branch(ctx.store, ctx.repo),
        )
        failures = (
            pd.concat(per_test.failures) if len(per_test.failures) > 1 else per_test.failures[0]
        )
        del history
        wasted = wasted_minutes(failures, rerun_job_attempts(ctx.store, repo_id), self.job)
        judged["minutes_wasted"] = judged["test_id"].map(wasted).fillna(0.0).round(2)
        if chances is not None:
            answers = chances["rerun_pass_probability"].round(3)
            judged["rerun_pass_probability"] = judged["test_id"].astype(str).map(answers)
        judged["subject"] = f"{self.what[:-1]}:" + judged["test_id"].astype(str)
        judged["flake_rate"] = judged["score"].clip(0, 1)
        kept = judged[judged["verdict"].ne("stable")].copy()  # stable ones are not findings
        extra = self._extra(ctx, repo_id, per_test.clean_runs(), judged)
        if extra is not None:
            kept["quarantine"] = kept["test_id"].astype(str).map(extra.places).astype(object)
        before = load_findings(ctx.store, ctx.repo, self.name)
        known = set(before["test_id"]) if "test_id" in before else set()
        with ctx.store.transaction():
            saved = save_findings(
                ctx.store,
                ctx.repo,
                self.name,
                "flaky_test",
                kept,
                key="test_id",
                subject="subject",
                summary="verdict",
                kind="verdict",
                replace_all=True,
            )
            if extra is not None:
                save_artifact(
                    ctx.store, repo_id, self.name, QUARANTINE, str(VERSION), extra.document
                )
            if chances is not None:
                records = json.loads(chances.reset_index().to_json(orient="records"))
                save_artifact(ctx.store, repo_id, self.name, RERUNS, "1", {"failed": records})
        messages = [m for m, t in zip(saved, kept["test_id"], strict=True) if t not in known]
        counts = judged["verdict"].value_counts().to_dict()
        summary = (
            f"{len(judged):,} {self.what} of {ctx.repo} judged: "
            + ", ".join(
                f"{counts.get(v, 0):,} {v.replace('_', ' ')}"
                for v in ("flaky", "broken", "insufficient_data", "stable")
            )
            + "."
        )
        metrics = {"judged": len(judged), **{k: int(v) for k, v in counts.items()}}
        if extra is not None:
            quarantined = len(extra.document["quarantined"])
            metrics["quarantined"] = quarantined
            summary += f" Quarantine list: {quarantined:,} test{'s' * (quarantined != 1)}."
        findings = with_columns(
            judged.drop(columns=["subject", "flake_rate"]), self.finding_columns
        )
        return AgentResult(self.name, findings, metrics, summary, messages)

    def _rerun_chances(self, history: pd.DataFrame) -> pd.DataFrame | None:
        """Each item's chance that a re-run of its latest failure passes, read from the history
        before it is judged (and let go): jobs only
        (:func:`agents.flaky_tests.rerun.rerun_chances`); None here."""
        return None

    def _extra(
        self, ctx: AgentContext, repo_id: int, clean: pd.Series, judged: pd.DataFrame
    ) -> _Quarantine | None:
        """What an agent keeps besides its verdicts (the tests' quarantine list); None here.
        ``clean``: each test's clean runs (:func:`agents.flaky_tests.quarantine.clean_runs`),
        read when the agent ``keeps_quarantine``."""
        return None


class _PerTest:
    """What the agent reads per test besides the verdicts, from each chunk of tests that the
    engine judges (:func:`agents.flaky_tests.judge.judge`), so that the history is never read
    whole a second time: the failures whose re-runs' minutes are shared out at once over all
    of them (:mod:`agents.flaky_tests.waste`), and each test's clean runs (with ``clean``)."""

    def __init__(self, job: str, *, clean: bool) -> None:
        self.job = job
        self.clean = clean
        self.failures: list[pd.DataFrame] = []
        self._clean: list[pd.Series] = []

    def read(self, chunk: pd.DataFrame) -> None:
        self.failures.append(failed_results(chunk, self.job))
        if self.clean:
            self._clean.append(clean_runs(chunk))

    def clean_runs(self) -> pd.Series:
        """Clean runs per test_id, over every chunk (each holds whole tests)."""
        if not self._clean:
            return pd.Series(dtype="int64")
        return self._clean[0] if len(self._clean) == 1 else pd.concat(self._clean)


class _Quarantine:
    """The new quarantine list and, per test in it, its place for the finding's message."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.places: dict[str, dict[str, Any]] = {}
        for entry in document["released"]:
            self.places[entry["test_id"]] = {
                "status": "released",
                "released": entry["released"],
                "reason": entry["reason"],
            }
        for entry in document["quarantined"]:
            self.places[entry["test_id"]] = {
                "status": "quarantined",
                "created": entry["created"],
                "expires": entry["expires"],
                "owners": entry["owners"],
            }


def _test_history(store: Store, repo_id: int) -> pd.DataFrame:
    """The tests' history as :func:`core.store.flaky.test_history` reads it (categoricals: a
    small code per row), without the messages, which no verdict reads."""
    return test_history(store, repo_id, messages=False)


class FlakyTests(_Judged):
    """Agent: flaky, broken and stable tests, with evidence (``flaky_tests.csv``)."""

    name = "flaky_tests"
    layer = 2
    title = "Flaky Tests"
    needs_source = False
    csv_name = "flaky_tests.csv"
    finding_columns = FLAKY_COLUMNS
    what = "tests"
    nothing_stored = (
        "fetch test reports first (or import a dump that holds JUnit reports as artifacts)."
    )
    read = staticmethod(_test_history)
    job = "job"
    keeps_quarantine = True

    def _extra(
        self, ctx: AgentContext, repo_id: int, clean: pd.Series, judged: pd.DataFrame
    ) -> _Quarantine:
        """The quarantine list, continued from the previous one (see the module docstring)."""
        # a test the engine did not visit never failed (agents.flaky_tests.quiet): every run
        clean = judged["test_id"].astype(str).map(clean).fillna(judged["runs"])
        judged = judged.assign(clean_runs=clean.astype("int64"))
        previous = ctx.options.get("quarantine") or load_quarantine(ctx.store, repo_id)
        codeowners = load_codeowners(ctx.store, repo_id)
        candidates = [
            *judged.loc[judged["verdict"].eq(FLAKY), "test_id"].astype(str),
            *(entry["test_id"] for entry in (previous or {}).get("quarantined", [])),
        ]
        owners = ownership(
            candidates,
            codeowners.text if codeowners is not None else None,
            known_paths(ctx.store, repo_id),
        )
        document = update_quarantine(
            judged,
            previous,
            repo=ctx.repo,
            today=_today(ctx),
            rule=QUARANTINE_RULE,
            prior=CI_CONFIG.prior,
            owner_of=lambda test_id: owners.get(test_id) or _NO_OWNER,
            codeowners=codeowners.path if codeowners is not None else None,
        )
        return _Quarantine(document)


class FlakyJobs(_Judged):
    """Agent: flaky, broken and stable jobs (``flaky_jobs.csv``), and for each job whose
    latest attempt failed, the probability that a re-run passes."""

    name = "flaky_jobs"
    layer = 2
    title = "Flaky Jobs"
    needs_source = False
    csv_name = "flaky_jobs.csv"
    finding_columns = JOB_COLUMNS
    what = "jobs"
    nothing_stored = "sync the repository's runs first (or import a dump of them)."
    read = staticmethod(job_history)
    job = "test_id"  # a job's name is the item
    config = JOBS_CONFIG

    def _rerun_chances(self, history: pd.DataFrame) -> pd.DataFrame:
        """Will a re-run of each job's latest failure pass (:mod:`agents.flaky_tests.rerun`)?
        Kept as the artifact :data:`RERUNS` too: a job that just failed is usually stable,
        and stable jobs are not stored as findings."""
        return rerun_chances(history, item="test_id", series="job", sets="run_id")


_NO_OWNER = Ownership((), None, "", "no owners were looked up")


def load_quarantine(store: Store, repo_id: int) -> dict[str, Any] | None:
    """The stored quarantine list of the repository (None before the first judgement)."""
    stored = load_artifact(store, repo_id, FlakyTests.name, QUARANTINE)
    return None if stored is None else stored[1]


def _today(ctx: AgentContext) -> date:
    """The day the list is made on: ``ctx.options["today"]`` when given (tests), else today
    in UTC."""
    given = ctx.options.get("today")
    return given if isinstance(given, date) else datetime.now(UTC).date()
