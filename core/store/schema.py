"""The store's schema as an ordered list of migrations; ``PRAGMA user_version`` says how many ran.

Never edit a released migration: append a new one. Times are ISO-8601 UTC strings as GitHub sends
them (sortable as text); durations are seconds. Natural keys are GitHub's ids, so every write is an
upsert and syncing the same data twice changes nothing.
"""

from __future__ import annotations

from core.store.packed_results import PACK_FUNCTION
from core.store.result_codes import FAILING_SQL, JUNIT

__all__ = ["COUNTED_FAILED_JOB", "FAILED_JOB", "JOB_TESTS", "MIGRATIONS", "RUN_TOTALS"]

# The conclusions of a failed job, as the partial index ``jobs_failed`` (V10) names them: a query
# reaches that index only when its WHERE says ``conclusion IN`` this list.
FAILED_JOB = "('failure', 'timed_out', 'cancelled', 'startup_failure')"

# The conclusions the features count as a failed job or run (a cancellation is not one): the run
# totals (V13) and Feature Engineering's own queries must agree on it.
COUNTED_FAILED_JOB = "('failure', 'timed_out', 'startup_failure')"

_V1 = """
CREATE TABLE repositories (
    id INTEGER PRIMARY KEY,
    full_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    default_branch TEXT,
    html_url TEXT,
    source TEXT NOT NULL DEFAULT 'github',
    synced_at TEXT
);
CREATE TABLE workflows (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    name TEXT, path TEXT, state TEXT
);
CREATE TABLE runs (
    run_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    is_latest INTEGER NOT NULL DEFAULT 1,
    workflow_id INTEGER, workflow_name TEXT, run_number INTEGER,
    event TEXT, status TEXT, conclusion TEXT,
    head_branch TEXT, head_sha TEXT, actor TEXT, pr_numbers TEXT,
    created_at TEXT, run_started_at TEXT, updated_at TEXT,
    duration_s REAL, html_url TEXT, display_title TEXT,
    PRIMARY KEY (run_id, attempt)
);
CREATE INDEX runs_repo_created ON runs(repo_id, created_at);
CREATE INDEX runs_sha ON runs(repo_id, head_sha);
CREATE TABLE jobs (
    job_id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL, attempt INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    name TEXT, status TEXT, conclusion TEXT,
    created_at TEXT, started_at TEXT, completed_at TEXT,
    queue_s REAL, duration_s REAL,
    runner_name TEXT, runner_os TEXT, labels TEXT, html_url TEXT
);
CREATE INDEX jobs_run ON jobs(run_id, attempt);
CREATE INDEX jobs_repo_name ON jobs(repo_id, name, started_at);
CREATE TABLE steps (
    job_id INTEGER NOT NULL REFERENCES jobs(job_id),
    number INTEGER NOT NULL,
    name TEXT, status TEXT, conclusion TEXT,
    started_at TEXT, completed_at TEXT, duration_s REAL,
    PRIMARY KEY (job_id, number)
);
CREATE TABLE commits (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    sha TEXT NOT NULL,
    author_login TEXT, author_name TEXT, committed_at TEXT, message TEXT,
    additions INTEGER, deletions INTEGER, files_changed INTEGER, files TEXT,
    PRIMARY KEY (repo_id, sha)
);
CREATE TABLE logs (
    job_id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    state TEXT NOT NULL,
    fetched_at TEXT,
    raw_bytes INTEGER, n_lines INTEGER, truncated INTEGER DEFAULT 0, is_binary INTEGER DEFAULT 0,
    head_bytes INTEGER, tail_first_line INTEGER DEFAULT 0,
    content BLOB,
    error TEXT
);
CREATE TABLE test_results (
    job_id INTEGER NOT NULL,
    test_id TEXT NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    run_id INTEGER, attempt INTEGER,
    outcome TEXT NOT NULL, duration_s REAL, message TEXT, source TEXT,
    PRIMARY KEY (job_id, test_id)
);
CREATE INDEX test_results_test ON test_results(repo_id, test_id);
CREATE TABLE run_reports (
    run_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    fetched_at TEXT, artifacts INTEGER, tests INTEGER, error TEXT,
    PRIMARY KEY (run_id, attempt)
);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repo_id INTEGER REFERENCES repositories(id),
    agent TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT, severity TEXT, subject TEXT, summary TEXT, data TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (repo_id, agent, key)
);
CREATE TABLE agent_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repo_id INTEGER, agent TEXT NOT NULL,
    started_at REAL NOT NULL, finished_at REAL, duration_s REAL,
    status TEXT NOT NULL, findings INTEGER DEFAULT 0, summary TEXT, error TEXT
);
CREATE INDEX agent_runs_agent ON agent_runs(agent, started_at);
CREATE TABLE sync_state (
    repo_id INTEGER PRIMARY KEY REFERENCES repositories(id),
    runs_etag TEXT,
    first_page_oldest TEXT,
    completed_at TEXT,
    newest_created_at TEXT,
    requests_last INTEGER,
    status TEXT, message TEXT
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at REAL
);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at, id);
CREATE TABLE worker_health (
    worker_id TEXT PRIMARY KEY,
    pid INTEGER, host TEXT,
    started_at REAL, heartbeat_at REAL,
    state TEXT, sent_total INTEGER DEFAULT 0, failed_total INTEGER DEFAULT 0,
    last_error TEXT
)
"""

# V2 (issue 4, the sidecar worker): row leases so two workers never send the same row at once,
# per-queue counters that survive pruning, samples for the Queues page's charts over time.
_V2_OUTBOX = """
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until REAL NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN dead_at REAL;
CREATE INDEX outbox_sent ON outbox(status, sent_at);
ALTER TABLE worker_health ADD COLUMN mode TEXT;
ALTER TABLE worker_health ADD COLUMN endpoint TEXT;
CREATE TABLE queue_stats (
    queue TEXT PRIMARY KEY,
    sent_total INTEGER NOT NULL DEFAULT 0,
    failed_total INTEGER NOT NULL DEFAULT 0,
    dead_total INTEGER NOT NULL DEFAULT 0,
    last_sent_at REAL,
    last_error TEXT,
    last_error_at REAL
);
CREATE TABLE queue_samples (
    ts REAL NOT NULL,
    queue TEXT NOT NULL,
    backlog INTEGER NOT NULL,
    sent_total INTEGER NOT NULL,
    failed_total INTEGER NOT NULL,
    dead INTEGER NOT NULL,
    PRIMARY KEY (ts, queue)
)
"""

# V3: a full re-check (``sync --full``) that did not finish is continued by the next sync.
_V3_FULL_PENDING = """
ALTER TABLE sync_state ADD COLUMN full_pending INTEGER NOT NULL DEFAULT 0;
"""

# V4 (issue 12): work runs in the background. One row per requested agent run (a page's button or
# the demo's first start), executed by a runner thread of the app server outside the page's
# script run, so a click or a reload never loses it; the pages poll these rows for progress.
_V4_TASKS = """
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repo TEXT NOT NULL,
    agent TEXT NOT NULL,
    action TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued',
    progress REAL NOT NULL DEFAULT 0,
    message TEXT,
    summary TEXT,
    error TEXT,
    owner TEXT,
    heartbeat_at REAL,
    not_before REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX tasks_state ON tasks(state, not_before, id);
CREATE INDEX tasks_repo ON tasks(repo, id);
"""

# V5 (issue 13): workflows, runs, jobs, steps, logs, test results and run reports are keyed by
# repository + GitHub's id. GitHub's ids are unique across repositories, but an imported history
# is not GitHub's (converted Travis/Jenkins histories number builds 1..N): keyed by id alone, a
# second repository's run 1 overwrote the first's. Steps gain the repository column the key
# needs. The old tables are copied row for row into the new shape, inside the migration's
# transaction; steps first, while the jobs table their old foreign key names still exists.
# ``checked_at``: when the sync last compared its stored run counts with GitHub's (the periodic
# consistency check).
_V5_KEYED_BY_REPOSITORY = """
CREATE TABLE workflows_v5 (
    id INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    name TEXT, path TEXT, state TEXT,
    PRIMARY KEY (repo_id, id)
);
INSERT INTO workflows_v5 SELECT * FROM workflows;
DROP TABLE workflows;
ALTER TABLE workflows_v5 RENAME TO workflows;
CREATE TABLE runs_v5 (
    run_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    is_latest INTEGER NOT NULL DEFAULT 1,
    workflow_id INTEGER, workflow_name TEXT, run_number INTEGER,
    event TEXT, status TEXT, conclusion TEXT,
    head_branch TEXT, head_sha TEXT, actor TEXT, pr_numbers TEXT,
    created_at TEXT, run_started_at TEXT, updated_at TEXT,
    duration_s REAL, html_url TEXT, display_title TEXT,
    PRIMARY KEY (repo_id, run_id, attempt)
);
INSERT INTO runs_v5 SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v5 RENAME TO runs;
CREATE INDEX runs_repo_created ON runs(repo_id, created_at);
CREATE INDEX runs_sha ON runs(repo_id, head_sha);
CREATE TABLE steps_v5 (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    job_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    name TEXT, status TEXT, conclusion TEXT,
    started_at TEXT, completed_at TEXT, duration_s REAL,
    PRIMARY KEY (repo_id, job_id, number)
);
INSERT INTO steps_v5 SELECT j.repo_id, s.job_id, s.number, s.name, s.status, s.conclusion,
    s.started_at, s.completed_at, s.duration_s FROM steps s JOIN jobs j ON j.job_id = s.job_id;
DROP TABLE steps;
ALTER TABLE steps_v5 RENAME TO steps;
CREATE TABLE jobs_v5 (
    job_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL, attempt INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    name TEXT, status TEXT, conclusion TEXT,
    created_at TEXT, started_at TEXT, completed_at TEXT,
    queue_s REAL, duration_s REAL,
    runner_name TEXT, runner_os TEXT, labels TEXT, html_url TEXT,
    PRIMARY KEY (repo_id, job_id)
);
INSERT INTO jobs_v5 SELECT * FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v5 RENAME TO jobs;
CREATE INDEX jobs_run ON jobs(repo_id, run_id, attempt);
CREATE INDEX jobs_repo_name ON jobs(repo_id, name, started_at);
CREATE TABLE logs_v5 (
    job_id INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    state TEXT NOT NULL,
    fetched_at TEXT,
    raw_bytes INTEGER, n_lines INTEGER, truncated INTEGER DEFAULT 0, is_binary INTEGER DEFAULT 0,
    head_bytes INTEGER, tail_first_line INTEGER DEFAULT 0,
    content BLOB,
    error TEXT,
    PRIMARY KEY (repo_id, job_id)
);
INSERT INTO logs_v5 SELECT * FROM logs;
DROP TABLE logs;
ALTER TABLE logs_v5 RENAME TO logs;
CREATE TABLE test_results_v5 (
    job_id INTEGER NOT NULL,
    test_id TEXT NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    run_id INTEGER, attempt INTEGER,
    outcome TEXT NOT NULL, duration_s REAL, message TEXT, source TEXT,
    PRIMARY KEY (repo_id, job_id, test_id)
);
INSERT INTO test_results_v5 SELECT * FROM test_results;
DROP TABLE test_results;
ALTER TABLE test_results_v5 RENAME TO test_results;
CREATE INDEX test_results_test ON test_results(repo_id, test_id);
CREATE TABLE run_reports_v5 (
    run_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    fetched_at TEXT, artifacts INTEGER, tests INTEGER, error TEXT,
    PRIMARY KEY (repo_id, run_id, attempt)
);
INSERT INTO run_reports_v5 SELECT * FROM run_reports;
DROP TABLE run_reports;
ALTER TABLE run_reports_v5 RENAME TO run_reports;
ALTER TABLE sync_state ADD COLUMN checked_at TEXT
"""

# V6 (issue 14, Feature Engineering): how many error lines each stored log holds (counted once
# when it is stored; NULL for logs stored before), and one feature row per run, as JSON with the
# catalogue version that made it, so a re-run computes only runs it has not seen (or a changed
# catalogue) and the Failure Prediction reads the same rows the features queue received.
_V6_FEATURES = """
ALTER TABLE logs ADD COLUMN error_lines INTEGER;
CREATE TABLE run_features (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    run_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    created_at TEXT,
    catalogue TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (repo_id, run_id, attempt)
);
CREATE INDEX run_features_created ON run_features(repo_id, created_at)
"""

# V7 (issue 17): what an agent computed for the pages to read as it is, instead of every first
# render recomputing it (the Failure Prediction's SHAP explanation took seconds per render):
# one JSON document per repository, agent and name, with the version of the result it explains.
_V7_ARTIFACTS = """
CREATE TABLE agent_artifacts (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    agent TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (repo_id, agent, name)
)
"""

# V8 (issue 17): test results stored compactly; they were 58% of the store. A test's id (a long
# path-like text repeated in every row of every job) is interned once per repository in
# ``tests``; a result keeps the integer. Outcome and source are small integers
# (core.store.result_codes: passed 0, failed 1, error 2, skipped 3; junit 0, console 1; never
# renumbered). The run and attempt are the job's (jobs holds them; every writer takes them from
# there), so they are not stored twice. A duration is whole milliseconds (an integer of a few
# bytes, not an 8-byte float). Messages stay as they were: a passing test has none (costing
# nothing) but pytest's XPASS reason, which the drill-down shows. Keyed (repo_id, job_id, test)
# WITHOUT ROWID: the key is the row, so no rowid and no second copy of the key in an automatic
# index; one index more, by test, for one test's results (the page's drill-down). Test ids are
# interned in name order so a job's migrated results keep the order they had.
_V8_COMPACT_TEST_RESULTS = """
CREATE TABLE tests (
    id INTEGER PRIMARY KEY,
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    name TEXT NOT NULL,
    UNIQUE (repo_id, name)
);
INSERT INTO tests (repo_id, name)
    SELECT DISTINCT repo_id, test_id FROM test_results ORDER BY repo_id, test_id;
CREATE TABLE test_results_v8 (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    job_id INTEGER NOT NULL,
    test INTEGER NOT NULL REFERENCES tests(id),
    outcome INTEGER NOT NULL,
    source INTEGER,
    duration_ms INTEGER,
    message TEXT,
    PRIMARY KEY (repo_id, job_id, test)
) WITHOUT ROWID;
INSERT INTO test_results_v8 (repo_id, job_id, test, outcome, source, duration_ms, message)
    SELECT r.repo_id, r.job_id, n.id,
        CASE r.outcome WHEN 'passed' THEN 0 WHEN 'failed' THEN 1 WHEN 'error' THEN 2
            WHEN 'skipped' THEN 3 END,
        CASE r.source WHEN 'junit' THEN 0 WHEN 'console' THEN 1 END,
        CAST(round(r.duration_s * 1000) AS INTEGER), r.message
    FROM test_results r JOIN tests n ON n.repo_id = r.repo_id AND n.name = r.test_id
    ORDER BY r.repo_id, r.job_id, n.id;
DROP TABLE test_results;
ALTER TABLE test_results_v8 RENAME TO test_results;
CREATE INDEX test_results_test ON test_results(test)
"""

# V9 (issue 17): the Overview and Pipelines pages read per-day summaries of jobs and steps
# instead of every job of a 90-day window (770k jobs, 5M steps at 100k runs). A day is the first
# ten characters of its run's ``created_at`` (ISO UTC, as the windows compare it). Jobs are kept
# as value counts (how many jobs of a day, workflow, job name and runner had each duration; how
# many of a day and runner waited each queue time), so medians and p95s over any set of days
# stay exact; steps as count, total and maximum per day, workflow, job and step. Names and
# runners GitHub left empty are '' (a key cannot be NULL); ``skipped``: the job's conclusion was
# skipped; ``timed``: it has a duration (else duration_s is 0). Maintained per run by
# core.store.rollups in the transaction that writes the run; filled here from what is stored.
_V9_DAILY_ROLLUPS = """
CREATE TABLE job_daily (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    day TEXT NOT NULL,
    workflow TEXT NOT NULL,
    job TEXT NOT NULL,
    runner_os TEXT NOT NULL,
    skipped INTEGER NOT NULL,
    timed INTEGER NOT NULL,
    duration_s REAL NOT NULL,
    jobs INTEGER NOT NULL,
    PRIMARY KEY (repo_id, day, workflow, job, runner_os, skipped, timed, duration_s)
) WITHOUT ROWID;
CREATE TABLE queue_daily (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    day TEXT NOT NULL,
    runner_os TEXT NOT NULL,
    skipped INTEGER NOT NULL,
    queue_s REAL NOT NULL,
    jobs INTEGER NOT NULL,
    PRIMARY KEY (repo_id, day, runner_os, skipped, queue_s)
) WITHOUT ROWID;
CREATE TABLE step_daily (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    day TEXT NOT NULL,
    workflow TEXT NOT NULL,
    job TEXT NOT NULL,
    step TEXT NOT NULL,
    steps INTEGER NOT NULL,
    total_s REAL NOT NULL,
    max_s REAL NOT NULL,
    PRIMARY KEY (repo_id, day, workflow, job, step)
) WITHOUT ROWID;
INSERT INTO job_daily
    SELECT r.repo_id, substr(r.created_at, 1, 10), COALESCE(r.workflow_name, ''),
        COALESCE(j.name, ''), COALESCE(j.runner_os, ''), j.conclusion IS 'skipped',
        j.duration_s IS NOT NULL, COALESCE(j.duration_s, 0), COUNT(*)
    FROM runs r JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id
        AND j.attempt = r.attempt
    WHERE r.created_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO queue_daily
    SELECT r.repo_id, substr(r.created_at, 1, 10), COALESCE(j.runner_os, ''),
        j.conclusion IS 'skipped', j.queue_s, COUNT(*)
    FROM runs r JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id
        AND j.attempt = r.attempt
    WHERE r.created_at IS NOT NULL AND j.queue_s IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
INSERT INTO step_daily
    SELECT r.repo_id, substr(r.created_at, 1, 10), COALESCE(r.workflow_name, ''),
        COALESCE(j.name, ''), COALESCE(s.name, ''), COUNT(*), SUM(s.duration_s),
        MAX(s.duration_s)
    FROM runs r JOIN jobs j ON j.repo_id = r.repo_id AND j.run_id = r.run_id
        AND j.attempt = r.attempt
    JOIN steps s ON s.repo_id = j.repo_id AND s.job_id = j.job_id
    WHERE r.created_at IS NOT NULL AND s.duration_s IS NOT NULL GROUP BY 1, 2, 3, 4, 5
"""

# V10 (issue 17): the failed jobs of a repository in start order, for the log ingester (each
# failure's log and its last green one) and root-cause analysis. Both found them by reading
# every job of the repository (770k at 100k runs: ~800 MB of table pages, 11 s of CPU per
# call); partial, the index holds the ~4% of jobs that failed, so the sync barely maintains it.
# Queries use it only when their WHERE repeats ``conclusion IN FAILED_JOB``.
_V10_FAILED_JOBS = f"""
CREATE INDEX jobs_failed ON jobs(repo_id, started_at)
    WHERE conclusion IN {FAILED_JOB}
"""

# V11 (issue 17): the Queues page's counts per queue and state (backlog, in flight, retrying,
# sent, dead, oldest pending) from a covering index instead of the outbox's rows, which hold
# every message's body: 348k pending messages at 100k runs are 2 GB of bodies, read whole on
# every render (3.8 s of CPU, 9 s of wall). A message's entry is ~40 bytes, added at the end of
# its queue's pending range (created_at grows), so the sync's writes barely notice it.
_V11_OUTBOX_BY_QUEUE = """
CREATE INDEX outbox_by_queue ON outbox(queue, status, attempts, lease_until, created_at)
"""

# V12 (issue 14): a digest of each feature row's values, so a re-run rewrites (and sends again)
# exactly the rows whose features changed: a run's test counts and log errors arrive after the
# run (reports and logs are fetched later) without changing its updated_at, which was the key.
_V12_FEATURE_DIGESTS = """
ALTER TABLE run_features ADD COLUMN digest TEXT
"""

# V13 (issue 17): each run attempt's job and step totals, kept as runs are written
# (core.store.rollups), for Feature Engineering and Anomaly Detection, which read them for every
# run: summed from the rows, they cost a search per step (4.9M at 100k runs, ~9 s) on every
# analysis. A run is summed again from its own rows whenever it is written, so the totals are
# exact under any re-sync. A failed job here is what the features count as one: a failure, a
# timeout or a start-up failure (not a cancellation). ``steps`` is 0 where the jobs have none.
RUN_TOTALS = f"""
INSERT INTO run_totals
SELECT j.repo_id, j.run_id, j.attempt, COUNT(*),
       SUM(j.conclusion IN {COUNTED_FAILED_JOB}),
       MAX(j.queue_s), SUM(j.queue_s), SUM(j.duration_s), MAX(j.duration_s),
       GROUP_CONCAT(DISTINCT j.runner_os), GROUP_CONCAT(DISTINCT j.labels),
       SUM((SELECT COUNT(*) FROM steps s WHERE s.repo_id = j.repo_id AND s.job_id = j.job_id)),
       MAX((SELECT MAX(s.duration_s) FROM steps s
            WHERE s.repo_id = j.repo_id AND s.job_id = j.job_id))
FROM jobs j INDEXED BY jobs_run
WHERE {{where}}
GROUP BY j.repo_id, j.run_id, j.attempt
"""

_V13_RUN_TOTALS = f"""
CREATE TABLE run_totals (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    run_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    jobs INTEGER NOT NULL,
    failed_jobs INTEGER,
    queue_s_max REAL, queue_s_total REAL, job_seconds REAL, job_s_max REAL,
    runner_os TEXT, labels TEXT,
    steps INTEGER NOT NULL,
    step_s_max REAL,
    PRIMARY KEY (repo_id, run_id, attempt)
) WITHOUT ROWID;
{RUN_TOTALS.format(where="j.repo_id IS NOT NULL")}
"""

# V14 (issue 17): each job's test results packed into one value (core.store.packed_results),
# with its counts: how many results, how many failed (failed or error), how many a JUnit report
# gave. Flaky Tests reads every result of a repository on every analysis and Feature Engineering
# counts them per run: from ``test_results``, ~20M rows at 100k runs, stepped one at a time by
# SQLite (~40 s of CPU per read, three reads per Flaky Tests analysis). The statement is the
# migration's (and was the write's until V18: since then test_results keeps only the results
# with a message, and core.store.ingest keeps each job's digest itself).
JOB_TESTS = f"""
INSERT OR REPLACE INTO job_tests
SELECT repo_id, job_id, COUNT(*), SUM(outcome IN {FAILING_SQL}), SUM(source IS {JUNIT}),
       {PACK_FUNCTION}(test, outcome, source)
FROM test_results
WHERE {{where}}
GROUP BY repo_id, job_id
"""

_V14_JOB_TESTS = f"""
CREATE TABLE job_tests (
    repo_id INTEGER NOT NULL REFERENCES repositories(id),
    job_id INTEGER NOT NULL,
    results INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    reported INTEGER NOT NULL,
    packed BLOB NOT NULL,
    PRIMARY KEY (repo_id, job_id)
) WITHOUT ROWID;
{JOB_TESTS.format(where="repo_id IS NOT NULL")}
"""

# V15 (issue 17): no index of test_results by test. Its one reader was the drill-down into one
# test's latest results, which now finds the test's jobs in the packed digests (job_tests, newest
# first) and reads their rows by key; keeping it cost more than half of writing a report (its
# entries of one job's 200 tests land on 200 pages: 1.80 -> 0.85 ms CPU per report, batches of
# 100 reports a transaction) and ~20 bytes a result of store (18.7M results at 100k runs).
_V15_NO_TEST_INDEX = """
DROP INDEX IF EXISTS test_results_test
"""

# V16 (issue 14): the log error counts in an index of their own. A log's row holds its kept
# text before the count, so summing the counts (Feature Engineering's per-run errors, the
# fingerprint of what it reads) walked every log's text, page after page: at 100k runs, 49k logs
# took 0.8 s each time; from this index, the counts alone.
_V16_LOG_ERRORS = """
CREATE INDEX IF NOT EXISTS logs_errors ON logs(repo_id, state, job_id, error_lines)
"""

# V17 (issue 17): the latest attempts counted from an index. Every page's sidebar says how many
# runs are stored (``COUNT(*) ... AND is_latest = 1``); with only (repo_id, created_at) and
# (repo_id, head_sha) to choose from, SQLite looked up each run's row to read ``is_latest``: at
# 100k runs 0.13-0.24 s per render of every page, 4 ms from this index. Counting a period's
# latest runs (``created_at`` range) reads it alone too.
_V17_LATEST_RUNS = """
CREATE INDEX IF NOT EXISTS runs_latest ON runs(repo_id, is_latest, created_at)
"""

# V18 (issue 17): a row of test_results only for a result that carries a message. Each job's
# packed digest (job_tests, V14) holds every result (test, outcome, source), and the analyses
# and the drill-down read results there; the rows added only a duration, which nothing reads.
# Writing a row per result was most of storing a report (17.6M rows at 100k runs, inserted by
# the thread that makes the fetch's API calls one at a time), and 97k of them had a message:
# the migration deletes the rest (27 s on that store). From here a job's digest is kept
# from the digest and the new results (core.store.ingest), no longer re-counted from rows.
_V18_MESSAGES_ONLY = """
DELETE FROM test_results WHERE message IS NULL
"""

MIGRATIONS: list[str] = [
    _V1,
    _V2_OUTBOX,
    _V3_FULL_PENDING,
    _V4_TASKS,
    _V5_KEYED_BY_REPOSITORY,
    _V6_FEATURES,
    _V7_ARTIFACTS,
    _V8_COMPACT_TEST_RESULTS,
    _V9_DAILY_ROLLUPS,
    _V10_FAILED_JOBS,
    _V11_OUTBOX_BY_QUEUE,
    _V12_FEATURE_DIGESTS,
    _V13_RUN_TOTALS,
    _V14_JOB_TESTS,
    _V15_NO_TEST_INDEX,
    _V16_LOG_ERRORS,
    _V17_LATEST_RUNS,
    _V18_MESSAGES_ONLY,
]
