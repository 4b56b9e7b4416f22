"""Specification of the demo dump generator (``core.sandbox.demo.generator``).

Given a seed and a fixed end time, When the demo is generated, Then it is a valid GitHub dump
(read back through ``core.dump.files.Dump``) whose logs, JUnit reports and planted truth agree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.dump.files import Dump
from core.sandbox.demo.catalog import JOBS
from core.sandbox.demo.generator import DEMO_REPO, generate_demo, main

END = datetime(2026, 1, 1, tzinfo=UTC)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z ")
# What a line that states a failure looks like in any of the simulated tools' output.
ERROR_TEXT = re.compile(
    r"error|fail|exceeded|killed|fatal|denied|cancel|ERR!|conflict|depends on|dirty|✖|crash|"
    r"exit code|503|ECONNRESET|timed out|timeout|Unable|^E |●|expected|want|Received|"
    r"Exception|reformat|Found \d+|^\s+\d+:\d+\s+error|symbol:|location:|^\?\? |Mark-Compact|"
    r"Aborted|Rule \d|The user requested|Dependency convergence|peer |unreachable|Printf|"
    r"Type '|vet:|go: |^\s*expect\(|unused|\b[A-Z]\d{3}\b|could not|reset|no matching",
    re.IGNORECASE,
)
ARTIFACT_JOB = {j.artifact: j.name for j in JOBS if j.artifact}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dump:
    """A smaller demo (45 days, ~600 runs) shared by most tests."""
    out = tmp_path_factory.mktemp("demo-small")
    generate_demo(out, seed=11, days=45, end=END, runs_target=600)
    return Dump(out)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Dump:
    """The default demo (90 days, runs_target 2200)."""
    out = tmp_path_factory.mktemp("demo-full")
    generate_demo(out, end=END)
    return Dump(out)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _all_jobs(dump: Dump) -> list[dict]:
    jobs = []
    for run in dump.runs():
        jobs += dump.jobs(run["id"]) or []
    for att in dump.attempts():
        jobs += dump.jobs(att["id"], att["run_attempt"]) or []
    return jobs


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate_demo(tmp_path / name, seed=seed, days=10, end=END, runs_target=150)
    a, b, c = (_files(tmp_path / n) for n in "abc")
    assert a == b
    assert a != c
    assert a["runs.jsonl.gz"] != c["runs.jsonl.gz"]


def test_default_demo_has_the_promised_size_and_shape(full: Dump) -> None:
    runs = list(full.runs())
    assert len(runs) >= 2000
    assert full.repo()["full_name"] == DEMO_REPO == "acme-labs/shopfront"
    workflows = {w["name"] for w in full.workflows()}
    assert len(workflows) >= 3 and {"CI", "Nightly", "Release"} <= workflows
    jobs = _all_jobs(full)
    names = {j["name"] for j in jobs}
    assert 8 <= len(names) <= 15
    assert {lab for j in jobs for lab in j["labels"]} >= {
        "ubuntu-latest",
        "windows-latest",
        "macos-14",
    }
    assert len({r["actor"]["login"] for r in runs}) >= 6
    assert {r["event"] for r in runs} >= {"push", "pull_request", "schedule", "workflow_dispatch"}
    done = [r for r in runs if r["status"] == "completed"]
    rate = sum(r["conclusion"] == "failure" for r in done) / len(done)
    assert 0.08 <= rate <= 0.25
    size = sum(p.stat().st_size for p in full.root.rglob("*") if p.is_file())
    assert size < 70e6


def test_reruns_are_consistent_attempts(full: Dump) -> None:
    latest = {r["id"]: r for r in full.runs()}
    attempts = list(full.attempts())
    assert attempts, "the default demo must contain re-runs"
    ids = set()
    for att in attempts:
        run = latest[att["id"]]
        assert att["run_attempt"] < run["run_attempt"]
        assert att["head_sha"] == run["head_sha"]
        assert att["run_started_at"] < run["run_started_at"]
        jobs = full.jobs(att["id"], att["run_attempt"])
        assert jobs and all(j["run_attempt"] == att["run_attempt"] for j in jobs)
        ids |= {j["id"] for j in jobs}
    later = {j["id"] for rid in {a["id"] for a in attempts} for j in full.jobs(rid) or []}
    assert not ids & later, "a re-run gets new job ids"
    flips = [r for r in full.truth()["reruns"] if r["conclusions"][-1] == "success"]
    assert flips, "some failures pass on re-run (flaky)"


def test_times_are_iso_utc_and_ordered(small: Dump) -> None:
    for run in small.runs():
        for key in ("created_at", "updated_at", "run_started_at"):
            assert ISO.match(run[key])
        assert run["created_at"] <= run["run_started_at"] <= run["updated_at"]
        assert "url" not in run and run["html_url"].endswith(f"/actions/runs/{run['id']}")
    for job in _all_jobs(small):
        if job["status"] != "completed" or job["conclusion"] == "skipped":
            continue
        assert ISO.match(job["created_at"]) and ISO.match(job["completed_at"])
        assert job["created_at"] <= job["started_at"] <= job["completed_at"]
        for step in job["steps"]:
            if step["started_at"]:
                assert job["started_at"] <= step["started_at"] <= step["completed_at"]


def test_every_head_sha_has_a_commit(small: Dump) -> None:
    for run in small.runs():
        commit = small.commit(run["head_sha"])
        assert commit is not None and commit["sha"] == run["head_sha"]
        assert commit["files"] and commit["stats"]["total"] >= 0


def test_logs_are_utf8_with_timestamp_on_every_line(small: Dump) -> None:
    logs = sorted((small.root / "logs").iterdir())
    assert logs
    for path in logs:
        text = small.log(int(path.name.split(".")[0])).decode("utf-8")
        assert all(STAMP.match(line) for line in text.split("\n") if line)


def test_root_causes_point_at_error_lines(small: Dump) -> None:
    truth = small.truth()
    failed = [j for j in _all_jobs(small) if j["conclusion"] == "failure"]
    logged = [j for j in failed if small.log(j["id"]) is not None]
    assert logged
    categories = Counter()
    for job in logged:
        cause = truth["root_causes"][str(job["id"])]
        categories[cause["category"]] += 1
        lines = small.log(job["id"]).decode("utf-8").split("\n")
        assert cause["lines"]
        for start, end in cause["lines"]:
            texts = [lines[i - 1][29:] for i in range(start, end + 1)]
            assert all(t.strip() for t in texts)
            # A range is error text or continues one (a diff under "Expected/Received").
            near = [lines[i - 1][29:] for i in range(max(1, start - 2), end + 1)]
            assert any(ERROR_TEXT.search(t) for t in near), (job["id"], texts)
    assert len(categories) >= 5


def _junit(data: bytes) -> tuple[dict[str, int], set[str]]:
    counts, failed = Counter(), set()
    for case in ET.fromstring(data).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            counts["failed"] += 1
            failed.add(f"{case.get('classname')}::{case.get('name')}")
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return {k: counts[k] for k in ("passed", "failed", "skipped")}, failed


def _console(text: str) -> dict[str, int] | None:
    """Test counts as the tool's own summary line states them."""
    body = [line[29:] for line in text.split("\n")]
    for line in reversed(body):
        m = re.match(r"^=+ (.*) in [\d.]+s =+$", line)
        if m:
            got = dict((k, int(v)) for v, k in re.findall(r"(\d+) (\w+)", m.group(1)))
            return {k: got.get(k, 0) for k in ("passed", "failed", "skipped")}
        if line.startswith("Tests:"):
            got = dict((k, int(v)) for v, k in re.findall(r"(\d+) (\w+)", line))
            return {k: got.get(k, 0) for k in ("passed", "failed", "skipped")}
        m = re.match(
            r"^\[\w+\] Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)$", line
        )
        if m:
            run, fail, err, skip = map(int, m.groups())
            return {"passed": run - fail - err - skip, "failed": fail + err, "skipped": skip}
    if any(b.startswith("=== RUN") for b in body):
        return {
            "passed": sum(bool(re.match(r"^\s*--- PASS", b)) for b in body),
            "failed": sum(bool(re.match(r"^\s*--- FAIL", b)) for b in body),
            "skipped": 0,
        }
    return None


def test_junit_console_and_truth_agree(small: Dump) -> None:
    truth = small.truth()
    counts = truth["test_counts"]
    checked = 0
    for run in small.runs():
        jobs = {j["name"]: j for j in small.jobs(run["id"]) or []}
        for name in small.artifact_names(run["id"]):
            job = jobs[ARTIFACT_JOB[name]]
            (data,) = small.artifact_files(run["id"], name).values()
            got, failed = _junit(data)
            assert got == counts[str(job["id"])]
            cause = truth["root_causes"].get(str(job["id"]))
            assert failed == set(cause["tests"] if cause else [])
            log = small.log(job["id"])
            if log is not None:
                assert _console(log.decode("utf-8")) == got
                checked += 1
    assert checked > 50


def test_truth_lists_the_planted_problems(full: Dump) -> None:
    truth = full.truth()
    flaky = truth["flaky_tests"]
    assert 8 <= len({f["test_id"] for f in flaky}) <= 12
    assert all(0.02 <= f["rate"] <= 0.3 and "::" in f["test_id"] for f in flaky)
    assert 3 <= len(truth["regressions"]) <= 5
    for reg in truth["regressions"]:
        assert reg["tests"] and reg["jobs"] and reg["introduced_at"] < reg["fixed_at"]
        assert full.commit(reg["fixed_sha"]) is not None or reg["branch"] != "main"
    assert truth["outage"]["start"] < truth["outage"]["end"] and truth["outage"]["kind"]
    assert len(truth["dependency_breakages"]) >= 3
    assert truth["timeouts"] and truth["oom_kills"] and truth["duration_spikes"]
    assert set(truth["duration_spikes"]) <= set(truth["anomalous_runs"])
    assert truth["slowdown"]["factor"] > 1
    jobs = {j["id"]: j for j in _all_jobs(full)}
    assert all(jobs[i]["conclusion"] == "cancelled" for i in truth["timeouts"])
    categories = {c["category"] for c in truth["root_causes"].values()}
    assert categories >= {
        "test_failure",
        "compilation",
        "dependency_resolution",
        "lint",
        "infrastructure",
        "timeout",
        "resource_exhaustion",
    }


def test_newest_runs_may_still_be_running(full: Dump) -> None:
    runs = sorted(full.runs(), key=lambda r: r["created_at"])
    unfinished = [r for r in runs[-6:] if r["status"] != "completed"]
    assert unfinished and all(r["conclusion"] is None for r in unfinished)


def test_workflow_files_are_served(small: Dump) -> None:
    ci = (small.root / "files" / ".github" / "workflows" / "ci.yml").read_text()
    assert "pull_request" in ci and "backend-tests" in ci


def test_command_line_writes_a_dump(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                str(tmp_path / "cli"),
                "--seed",
                "3",
                "--days",
                "10",
                "--runs",
                "120",
                "--end",
                "2026-01-01T00:00:00Z",
            ]
        )
        == 0
    )
    assert "Wrote demo dump" in capsys.readouterr().out
    assert len(list(Dump(tmp_path / "cli").runs())) >= 100
