"""The GitHub emulator, driven by the real PyGithub client (and by requests where PyGithub hides
the HTTP details): shapes, paging, filters, logs, artifacts, conditional requests, rate limits,
auth errors, faults and time travel.
"""

from __future__ import annotations

import http.client
import io
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)

from core.dump.files import Dump
from core.sandbox.emulator.server import Emulator
from core.sandbox.emulator.shapes import artifact_id
from tests.integration.dump_factory import (
    FULL_NAME,
    START,
    WORKFLOW_IDS,
    attempt_window,
    job_id,
    job_log,
    make_dump,
    run_id,
    sha_of,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
TRAVIS = SHARED / "data" / "dev" / "dumps" / "travis-Ory__fosite"
RUNS = 8  # index 2 has 2 attempts, 6 has 3; 7 is still running; 1 has expired logs


@pytest.fixture(scope="module")
def dump_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dump") / "demo"
    return make_dump(
        root, RUNS, attempts={2: 2, 6: 3}, in_progress=[7], expired_logs=[1], workflows=2
    )


@pytest.fixture
def emu(dump_dir: Path) -> Iterator[Emulator]:
    with Emulator(dump_dir) as emulator:
        yield emulator


def client(emu: Emulator, token: str | None = "t", **kwargs: object) -> Github:
    options: dict[str, object] = {
        "per_page": 100,
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
        "retry": None,
    }
    options.update(kwargs)
    auth = Auth.Token(token) if token else None
    return Github(base_url=emu.base_url, auth=auth, **options)  # type: ignore[arg-type]


def api(emu: Emulator, path: str, token: str | None = "t", **headers: str) -> requests.Response:
    if token:
        headers["Authorization"] = f"token {token}"
    return requests.get(emu.base_url + path, headers=headers, allow_redirects=False, timeout=5)


def repo_path(rest: str = "") -> str:
    return f"/repos/{FULL_NAME}{rest}"


# --- repository, workflows, runs --------------------------------------------------------------


def test_repo_and_workflows_carry_this_servers_urls(emu: Emulator) -> None:
    repo = client(emu).get_repo("OCTO-ORG/Demo")  # owner/repo match is case-insensitive

    assert repo.full_name == FULL_NAME and repo.default_branch == "main"
    assert repo.url == emu.base_url + repo_path()
    assert [wf.name for wf in repo.get_workflows()] == ["CI", "Lint"]
    assert repo.get_workflow("lint.yml").id == WORKFLOW_IDS[1]
    assert repo.get_workflow(WORKFLOW_IDS[0]).url.startswith(emu.base_url)


def test_runs_come_newest_first_with_github_link_headers(emu: Emulator) -> None:
    runs = list(client(emu, per_page=3).get_repo(FULL_NAME).get_workflow_runs())

    assert [r.id for r in runs] == [run_id(i) for i in reversed(range(RUNS))]
    assert sum("/actions/runs?" in r.path for r in emu.requests) == 3  # 3 pages of 3
    link = api(emu, repo_path("/actions/runs?per_page=3&page=2")).headers["Link"]
    base = f"{emu.base_url}{repo_path('/actions/runs')}?per_page=3"
    assert link == (
        f'<{base}&page=1>; rel="prev", <{base}&page=3>; rel="next", '
        f'<{base}&page=3>; rel="last", <{base}&page=1>; rel="first"'
    )


def test_run_objects_have_every_api_url_pygithub_follows(emu: Emulator) -> None:
    run = client(emu).get_repo(FULL_NAME).get_workflow_run(run_id(2))
    raw = api(emu, repo_path(f"/actions/runs/{run_id(2)}")).json()

    for name in (
        "url",
        "jobs_url",
        "logs_url",
        "artifacts_url",
        "cancel_url",
        "rerun_url",
        "check_suite_url",
        "workflow_url",
        "previous_attempt_url",
    ):
        assert raw[name].startswith(emu.base_url + repo_path()), name
    assert raw["repository"]["url"] == emu.base_url + repo_path()
    assert "api.github.com" not in str(raw)
    assert raw["html_url"].startswith("https://github.com/")
    assert run.run_attempt == 2 and run.previous_attempt_url.endswith("/attempts/1")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"branch": "feature/x"}, [6, 3, 0]),
        ({"event": "pull_request"}, [7, 5, 3, 1]),
        ({"status": "failure"}, [5, 2]),
        ({"status": "in_progress"}, [7]),
        ({"status": "completed"}, [6, 5, 4, 3, 2, 1, 0]),
        ({"created": ">=2024-05-01T17:00:00Z"}, [7, 6, 5]),
        ({"created": "2024-05-01T13:00:00Z..2024-05-01T14:00:00Z"}, [2, 1]),
        ({"created": "<2024-05-01T13:00:00Z"}, [0]),
        ({"created": "2024-05-01"}, list(reversed(range(RUNS)))),
        ({"created": ">2024-05-01"}, []),
        ({"head_sha": sha_of(4)}, [4]),
        ({"actor": "bob", "event": "pull_request"}, [7, 5, 3, 1]),
    ],
)
def test_run_filters_follow_github_semantics(emu: Emulator, filters: dict, expected: list) -> None:
    runs = client(emu).get_repo(FULL_NAME).get_workflow_runs(**filters)

    assert [r.id for r in runs] == [run_id(i) for i in expected]


def test_workflow_runs_by_file_name_and_the_search_cap(dump_dir: Path) -> None:
    with Emulator(dump_dir, search_cap=2) as emu:
        repo = client(emu).get_repo(FULL_NAME)
        lint = repo.get_workflow("lint.yml").get_runs()
        lint_prs = repo.get_workflow("lint.yml").get_runs(event="pull_request")
        capped = api(emu, repo_path("/actions/runs?status=completed")).json()

        assert [r.id for r in lint] == [run_id(i) for i in (7, 5, 3, 1)]  # no search filter
        assert [r.id for r in lint_prs] == [run_id(i) for i in (7, 5)]  # capped at 2
        assert capped["total_count"] == 7 and len(capped["workflow_runs"]) == 2
        assert len(list(repo.get_workflow_runs())) == RUNS  # no filter, no cap


# --- attempts, jobs, logs -----------------------------------------------------------------------


def test_attempts_and_jobs_of_every_attempt(emu: Emulator) -> None:
    run = client(emu).get_repo(FULL_NAME).get_workflow_run(run_id(6))
    first = run.get_attempt(1)

    assert (first.run_attempt, first.conclusion) == (1, "failure")
    assert first.jobs_url.endswith(f"/runs/{run_id(6)}/attempts/1/jobs")
    assert [j.id for j in run.jobs()] == [job_id(6, 3, 0), job_id(6, 3, 1)]
    assert [j.run_attempt for j in run.jobs("all")] == [1, 1, 2, 2, 3, 3]
    assert (
        api(emu, repo_path(f"/actions/runs/{run_id(6)}/attempts/2/jobs")).json()["total_count"] == 2
    )
    with pytest.raises(UnknownObjectException):
        _ = run.get_attempt(4).status


def test_job_logs_redirect_to_the_stored_bytes(emu: Emulator, dump_dir: Path) -> None:
    repo = client(emu).get_repo(FULL_NAME)
    job = repo.get_workflow_job(job_id(5, 1, 1))

    location = job.logs_url()
    download = requests.get(location, timeout=5)

    assert location.startswith(emu.base_url + "/_downloads/") and "expires=" in location
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/plain")
    assert download.content == Dump(dump_dir).log(job_id(5, 1, 1))
    assert download.text == job_log(api(emu, repo_path(f"/actions/jobs/{job_id(5, 1, 1)}")).json())


def test_expired_and_unfinished_logs(emu: Emulator) -> None:
    repo = client(emu).get_repo(FULL_NAME)

    with pytest.raises(GithubException) as expired:
        repo.get_workflow_job(job_id(1, 1, 0)).logs_url()
    with pytest.raises(UnknownObjectException):
        repo.get_workflow_job(job_id(7, 1, 1)).logs_url()  # still running in the dump

    assert expired.value.status == 410


def test_run_log_archive_has_job_files_and_step_files(emu: Emulator) -> None:
    run = client(emu).get_repo(FULL_NAME).get_workflow_run(run_id(5))
    headers, _ = run._requester.requestBlobAndCheck("GET", run.logs_url)
    archive = zipfile.ZipFile(io.BytesIO(requests.get(headers["location"], timeout=5).content))

    names = archive.namelist()
    assert names[:4] == [
        "0_test (py3.10).txt",
        "test (py3.10)/1_Set up job.txt",
        "test (py3.10)/2_Run actionscheckout@v4.txt",
        "test (py3.10)/3_Run pytest -q.txt",
    ]
    step = archive.read("test (py3.11)/3_Run pytest -q.txt").decode()
    assert "##[group]Run pytest -q" in step and "##[error]Process completed" in step


# --- artifacts, commits, contents ------------------------------------------------------------


def test_artifacts_have_stable_ids_and_download_as_zip(emu: Emulator) -> None:
    repo = client(emu).get_repo(FULL_NAME)
    (artifact,) = repo.get_workflow_run(run_id(5)).get_artifacts()

    assert artifact.id == artifact_id(run_id(5), "test-results")
    assert repo.get_artifact(artifact.id).name == "test-results"
    assert artifact.workflow_run.id == run_id(5) and not artifact.expired
    status, headers, _ = repo._requester.requestBlob("GET", artifact.archive_download_url)
    archive = zipfile.ZipFile(io.BytesIO(requests.get(headers["location"], timeout=5).content))
    assert status == 302 and archive.namelist() == ["junit.xml"]
    assert b'failures="1"' in archive.read("junit.xml")


def test_repository_artifacts_are_every_finished_runs_newest_first(emu: Emulator) -> None:
    repo = client(emu).get_repo(FULL_NAME)

    listed = list(repo.get_artifacts())

    per_run = [a for i in range(RUNS) for a in repo.get_workflow_run(run_id(i)).get_artifacts()]
    assert sorted(a.id for a in listed) == sorted(a.id for a in per_run)
    assert len(listed) == RUNS - 1  # run 7 is still running: nothing uploaded yet
    created = [a.created_at for a in listed]
    assert created == sorted(created, reverse=True)
    assert [a.id for a in repo.get_artifacts(name="test-results")] == [a.id for a in listed]
    assert repo.get_artifacts(name="coverage").totalCount == 0
    page = api(emu, repo_path("/actions/artifacts?per_page=2&page=2")).json()
    assert page["total_count"] == RUNS - 1
    assert [a["id"] for a in page["artifacts"]] == [a.id for a in listed[2:4]]


def test_commit_stats_files_and_contents(emu: Emulator) -> None:
    repo = client(emu).get_repo(FULL_NAME)
    commit = repo.get_commit(sha_of(2))

    assert (commit.stats.additions, commit.stats.deletions, commit.stats.total) == (12, 3, 15)
    assert [f.filename for f in commit.files] == [
        "src/module_0.py",
        "src/module_1.py",
        "src/module_2.py",
    ]
    assert repo.get_contents(".github/workflows/ci.yml").decoded_content.startswith(b"name: CI")
    assert {c.name for c in repo.get_contents(".github/workflows")} == {"ci.yml"}
    with pytest.raises(GithubException) as missing:
        repo.get_commit("0" * 40)
    assert missing.value.status == 422  # GitHub: "No commit found for SHA"
    with pytest.raises(UnknownObjectException):
        repo.get_contents("nope.txt")


# --- conditional requests, rate limits, auth --------------------------------------------------


def test_if_none_match_gives_304_without_spending_rate_limit(emu: Emulator) -> None:
    first = api(emu, repo_path("/actions/runs"))
    again = api(emu, repo_path("/actions/runs"), **{"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and first.headers["ETag"].startswith('"')
    assert again.status_code == 304 and again.content == b""
    assert again.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]


def test_rate_limit_headers_then_403_when_exhausted(dump_dir: Path) -> None:
    with Emulator(dump_dir, rate_limit=3) as emu:
        before = time.time()  # the hourly window opens with the first request, not earlier
        first = api(emu, repo_path())
        api(emu, repo_path()), api(emu, repo_path())
        with pytest.raises(RateLimitExceededException) as exhausted:
            client(emu).get_repo(FULL_NAME)
        free = api(emu, "/rate_limit").json()

    assert first.headers["X-RateLimit-Limit"] == "3"
    assert first.headers["X-RateLimit-Remaining"] == "2"
    assert first.headers["X-RateLimit-Resource"] == "core"
    assert int(first.headers["X-RateLimit-Reset"]) >= int(before) + 3600
    assert exhausted.value.status == 403
    assert exhausted.value.headers["x-ratelimit-remaining"] == "0"
    assert exhausted.value.data["message"].startswith("API rate limit exceeded for user ID")
    assert free["resources"]["core"]["remaining"] == 0


def test_anonymous_bucket_is_60(emu: Emulator) -> None:
    assert api(emu, repo_path(), token=None).headers["X-RateLimit-Limit"] == "60"


def test_auth_errors_map_to_pygithub_exceptions(dump_dir: Path) -> None:
    with Emulator(dump_dir, valid_tokens={"good", "app"}, denied_tokens={"app"}) as emu:
        with pytest.raises(BadCredentialsException):
            client(emu, "wrong").get_repo(FULL_NAME)
        with pytest.raises(UnknownObjectException):
            client(emu, "good").get_repo("octo-org/missing")
        app_repo = client(emu, "app").get_repo(FULL_NAME)  # metadata stays readable
        with pytest.raises(GithubException) as denied:
            list(app_repo.get_workflow_runs())
        records = emu.requests

    assert denied.value.status == 403
    assert not isinstance(denied.value, RateLimitExceededException)
    assert denied.value.data["message"] == "Resource not accessible by integration"
    assert all(r.token_hash is None or len(r.token_hash) == 12 for r in records)
    assert "wrong" not in repr(records) and "good" not in repr(records)


# --- faults ---------------------------------------------------------------------------------


def test_primary_rate_limit_fault(emu: Emulator) -> None:
    emu.faults.add("rate_limit", path=r"/actions/runs", reset_in_s=2)

    before = time.time()
    with pytest.raises(RateLimitExceededException) as limited:
        list(client(emu).get_repo(FULL_NAME).get_workflow_runs())
    after = time.time()

    # 2 s after the answer was made, whole seconds: bounded by clock readings around the
    # request, so a slow machine cannot push "now" past it before the check.
    reset = int(limited.value.headers["x-ratelimit-reset"])
    assert limited.value.headers["x-ratelimit-remaining"] == "0"
    assert int(before) + 2 <= reset <= after + 2


def test_secondary_and_429_faults_are_retried_by_github_retry(emu: Emulator) -> None:
    emu.faults.add("secondary_rate_limit", path=r"/actions/workflows$", retry_after=0)
    emu.faults.add("retry_after", path=r"/actions/runs", seconds=0)
    gh = client(emu, retry=GithubRetry(total=3, backoff_factor=0, secondary_rate_wait=0))

    repo = gh.get_repo(FULL_NAME)
    assert len(list(repo.get_workflows())) == 2
    assert len(list(repo.get_workflow_runs())) == RUNS
    statuses = [r.status for r in emu.requests]
    assert statuses.count(403) == 1 and statuses.count(429) == 1 and emu.faults.pending() == 0


def test_server_error_fault_after_and_times(emu: Emulator) -> None:
    emu.faults.add("server_error", path=r"^/repos/[^/]+/[^/]+$", after=1, times=2, status=502)
    gh = client(emu)

    gh.get_repo(FULL_NAME)
    with pytest.raises(GithubException) as failed:
        gh.get_repo(FULL_NAME)
    retried = client(emu, retry=GithubRetry(total=2, backoff_factor=0)).get_repo(FULL_NAME)

    assert failed.value.status == 502 and retried.full_name == FULL_NAME
    assert [r.status for r in emu.requests] == [200, 502, 502, 200]


def test_slow_malformed_and_reset_faults(emu: Emulator) -> None:
    emu.faults.add("slow", path=r"^/repos/[^/]+/[^/]+$", delay_s=0.2)
    emu.faults.add("malformed_json", path=r"/actions/runs\?")
    emu.faults.add("reset", path=r"/actions/workflows")
    gh = client(emu)

    began = time.perf_counter()
    repo = gh.get_repo(FULL_NAME)
    assert time.perf_counter() - began >= 0.2
    with pytest.raises(ValueError):
        list(repo.get_workflow_runs())
    with pytest.raises(requests.exceptions.ConnectionError):
        list(repo.get_workflows())
    assert emu.requests[-1].status == 0
    emu.faults.clear()
    assert len(list(repo.get_workflows())) == 2


def test_reruns_are_recorded(emu: Emulator) -> None:
    run = client(emu).get_repo(FULL_NAME).get_workflow_run(run_id(5))

    assert run.rerun_failed_jobs() and run.rerun()
    assert [(r.run_id, r.failed_only) for r in emu.reruns] == [
        (run_id(5), True),
        (run_id(5), False),
    ]


# --- time travel ------------------------------------------------------------------------------


def test_set_now_shows_a_run_in_progress_then_finished(emu: Emulator) -> None:
    start, end = attempt_window(3)
    emu.set_now(start + timedelta(minutes=6))  # job 0 ended at +5 min, job 1 ends at +10
    repo = client(emu).get_repo(FULL_NAME)

    runs = list(repo.get_workflow_runs())
    assert [r.id for r in runs] == [run_id(i) for i in (3, 2, 1, 0)]
    live = runs[0]
    assert (live.status, live.conclusion) == ("in_progress", None)
    assert live.updated_at == start + timedelta(minutes=6)
    jobs = list(live.jobs())
    assert [(j.status, j.conclusion) for j in jobs] == [
        ("completed", "success"),
        ("in_progress", None),
    ]
    assert {s.status for s in jobs[1].steps} == {"completed", "in_progress", "queued"}
    assert jobs[0].logs_url()
    with pytest.raises(UnknownObjectException):
        jobs[1].logs_url()
    assert live.get_artifacts().totalCount == 0

    emu.set_now(end)
    finished = repo.get_workflow_run(run_id(3))
    assert (finished.status, finished.conclusion) == ("completed", "success")
    assert finished.get_artifacts().totalCount == 1


def test_set_now_between_attempts_shows_the_earlier_attempt(emu: Emulator) -> None:
    _, first_end = attempt_window(2, 1)
    second_start, _ = attempt_window(2, 2)
    repo = client(emu).get_repo(FULL_NAME)

    emu.set_now(first_end + (second_start - first_end) / 2)
    before = repo.get_workflow_run(run_id(2))
    assert (before.run_attempt, before.conclusion) == (1, "failure")
    assert [j.run_attempt for j in before.jobs()] == [1, 1]
    assert api(emu, repo_path(f"/actions/runs/{run_id(2)}/attempts/2")).status_code == 404

    emu.set_now(second_start + timedelta(minutes=1))
    during = repo.get_workflow_run(run_id(2))
    assert (during.run_attempt, during.status) == (2, "in_progress")
    assert repo.get_workflow_run(run_id(2)).get_attempt(1).conclusion == "failure"


def test_set_now_supports_incremental_sync(emu: Emulator) -> None:
    repo = client(emu).get_repo(FULL_NAME)
    emu.set_now(START - timedelta(minutes=1))
    assert repo.get_workflow_runs().totalCount == 0

    emu.set_now(attempt_window(4)[1])
    seen = {r.id for r in repo.get_workflow_runs()}
    emu.set_now(None)
    since = attempt_window(4)[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    newer = repo.get_workflow_runs(created=f">={since}")

    assert seen == {run_id(i) for i in range(5)}
    assert [r.id for r in newer] == [run_id(i) for i in (7, 6, 5, 4)]


# --- plumbing -------------------------------------------------------------------------------------


def test_keep_alive_serves_many_requests_on_one_connection(emu: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    for _ in range(3):
        conn.request("GET", repo_path("/actions/runs?per_page=1"))
        response = conn.getresponse()
        response.read()
        assert response.status == 200 and not response.will_close
    conn.close()


def test_two_dumps_on_one_server_and_clean_stop(tmp_path: Path) -> None:
    other = make_dump(tmp_path / "other", 2, full_name="acme/tools", with_logs=False)
    demo = make_dump(tmp_path / "demo", 1)
    emu = Emulator([demo, other]).start()
    gh = client(emu)

    assert gh.get_repo("acme/tools").get_workflow_runs().totalCount == 2
    assert gh.get_repo(FULL_NAME).get_workflow_runs().totalCount == 1
    emu.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(emu.base_url + "/rate_limit", timeout=2)


def test_cli_prints_the_base_url_and_serves(dump_dir: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.sandbox.emulator.server", str(dump_dir), "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip() if proc.stdout else ""
        reply = requests.get(base_url + repo_path(), timeout=60)
        assert reply.json()["full_name"] == FULL_NAME
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.mark.skipif(not TRAVIS.is_dir(), reason="shared data not present")
def test_real_shaped_travis_dump() -> None:
    with Emulator(TRAVIS) as emu:
        repo = client(emu).get_repo("Ory/fosite")
        runs = list(repo.get_workflow_runs())
        newest = runs[0]
        jobs = list(newest.jobs())
        with pytest.raises(GithubException) as no_log:
            jobs[0].logs_url()
        (tests,) = newest.get_artifacts()
        total = repo.get_workflow_runs().totalCount

    assert len(runs) == 250 == total
    dated = [r.created_at for r in runs if r.created_at is not None]  # 2 Travis builds lack it
    assert dated == sorted(dated, reverse=True) and len(dated) == 248
    assert jobs and jobs[0].steps == [] and jobs[0].url.startswith(emu.base_url)
    assert no_log.value.status == 410
    assert tests.name == "travis-tests"
