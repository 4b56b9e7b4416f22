"""Worker bench: messages per second through the worker to a local SQS server, and what the
outbox costs a sync per stored run.

Usage::

    python bench/worker_bench.py [--runs 25] [--jobs 6] [--rounds 5] [--batch-size 10]
                                 [--in-process] [--volume RUNS]

1. **Outbox overhead per run**: the same synthetic run bundles (one run, ``--jobs`` jobs of 12
   steps, a commit — GitHub's payload shapes) are stored with ``core.store.runs.save_run_bundle``
   twice, once as is and once with ``enqueue`` replaced by a no-op; the difference per run is the
   cost of writing the messages in the same transaction, printed in ms and bytes of outbox.
2. **Throughput**: each round fills a fresh store, then times ``Worker.run(burst=True)`` against
   moto's server on 127.0.0.1, wall clock from first claim to last mark. The server runs in its
   own process (``python -m core.queue.local_server``), as a sidecar would; ``--in-process`` runs
   it in a
   thread of this process instead (the embedded demo's set-up, sharing one GIL with the worker).
   Between rounds the server is reset, so a queue holds one round at most: moto's sends slow
   from ~450/s on an empty queue to ~60/s at 800 messages, so the default round is 200 messages
   (``--runs 25``); larger rounds measure moto, not the worker.
3. **Worker ceiling**: the same rounds with a transport that accepts everything at once, i.e.
   what claiming, validating, scanning for secrets, packing and marking cost by themselves.
4. **Volume** (``--volume RUNS``, off by default): one long drain of RUNS runs' messages to a
   fresh server, the way the app's embedded worker publishes a large history: each local queue
   kept under ``LOCAL_BOUND`` by purging (see core/queue/local_server.py), so the rate is the
   sustained one rather than an empty queue's. Prints messages/s and the time the same rate
   would take for 100,000 runs of this shape.

It measures and prints; it never asserts and always exits 0. moto is CPU-bound and slower than
real SQS per request; against AWS the worker is network-bound instead.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import Settings  # noqa: E402
from core.queue.local_server import LOCAL_BOUND, start_local_sqs, stop_local_sqs  # noqa: E402
from core.queue.sqs import BatchResult  # noqa: E402
from core.queue.worker import Worker, WorkerOptions  # noqa: E402
from core.store import runs as persist  # noqa: E402
from core.store.db import Store  # noqa: E402
from core.store.runs import RunBundle, save_repository, save_run_bundle  # noqa: E402

REPO = "bench-org/bench-repo"


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_767_225_600 + seconds))


def _bundle(index: int, jobs: int) -> RunBundle:
    """A GitHub-shaped completed run with ``jobs`` jobs of 12 steps and its head commit."""
    start, sha = index * 3600, f"{index:040x}"
    run = {
        "id": 7_000_000 + index,
        "run_attempt": 1,
        "name": "CI",
        "workflow_id": 1,
        "run_number": index,
        "event": "push",
        "status": "completed",
        "conclusion": "failure" if index % 5 == 0 else "success",
        "head_branch": "main",
        "head_sha": sha,
        "actor": {"login": "mona"},
        "created_at": _iso(start),
        "run_started_at": _iso(start),
        "updated_at": _iso(start + 900),
        "html_url": f"https://github.com/{REPO}/actions/runs/{7_000_000 + index}",
    }
    job_list = []
    for j in range(jobs):
        steps = [
            {
                "number": s + 1,
                "name": f"step {s + 1}",
                "status": "completed",
                "conclusion": "success",
                "started_at": _iso(start + 60 * s),
                "completed_at": _iso(start + 60 * s + 50),
            }
            for s in range(12)
        ]
        job_list.append(
            {
                "id": 90_000_000 + index * 100 + j,
                "run_id": run["id"],
                "name": f"test ({j})",
                "status": "completed",
                "conclusion": "success",
                "created_at": _iso(start),
                "started_at": _iso(start + 5),
                "completed_at": _iso(start + 800),
                "labels": ["ubuntu-latest"],
                "runner_name": "GitHub Actions 2",
                "steps": steps,
            }
        )
    commit = {
        "sha": sha,
        "author": {"login": "mona"},
        "stats": {"additions": 10, "deletions": 2},
        "files": [{"filename": "src/app.py"}],
        "commit": {"message": f"change {index}", "author": {"name": "Mona", "date": _iso(start)}},
    }
    return RunBundle(run=run, jobs={1: job_list}, commit=commit)


def _store_runs(folder: Path, runs: int, jobs: int, with_messages: bool) -> tuple[Store, float]:
    store = Store(folder / f"bench-{with_messages}-{time.monotonic_ns()}.db")
    repo_id = save_repository(store, {"id": 1, "full_name": REPO})
    bundles = [_bundle(i, jobs) for i in range(runs)]
    originals = persist.enqueue, persist.make_message
    if not with_messages:  # neither build nor write messages
        persist.enqueue = lambda _conn, _messages: 0  # type: ignore[assignment]
        persist.make_message = lambda *_args, **_kw: None  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        for bundle in bundles:
            save_run_bundle(store, repo_id, REPO, bundle)
        elapsed = time.perf_counter() - started
    finally:
        persist.enqueue, persist.make_message = originals
    return store, elapsed


def overhead(folder: Path, runs: int, jobs: int) -> dict[str, Any]:
    """ms and bytes the outbox adds per stored run (median of three trials)."""
    plain = statistics.median(_store_runs(folder, runs, jobs, False)[1] for _ in range(3))
    trials = [_store_runs(folder, runs, jobs, True) for _ in range(3)]
    with_msgs = statistics.median(t for _, t in trials)
    store = trials[0][0]
    rows = int(store.scalar("SELECT COUNT(*) FROM outbox"))
    size = int(store.scalar("SELECT SUM(LENGTH(body)) FROM outbox"))
    return {
        "plain_ms": 1000 * plain / runs,
        "with_ms": 1000 * with_msgs / runs,
        "messages_per_run": rows / runs,
        "bytes_per_run": size / runs,
    }


class _AcceptAll:
    """A transport that accepts every entry at once (for the worker's own ceiling)."""

    def send_batch(self, _name: str, entries: list) -> BatchResult:
        return BatchResult(ok=[e.id for e in entries])


def ceiling(folder: Path, runs: int, jobs: int, rounds: int, batch: int) -> list[float]:
    rates = []
    options = WorkerOptions(batch_size=batch, idle_s=0.01, heartbeat_s=1, sample_s=5)
    for _ in range(rounds):
        store, _ = _store_runs(folder, runs, jobs, True)
        settings = Settings().with_(db_path=str(store.path))
        worker = Worker(store, settings, options=options, sqs=_AcceptAll())  # type: ignore[arg-type]
        started = time.perf_counter()
        rates.append(worker.run(burst=True) / (time.perf_counter() - started))
    return rates


@contextlib.contextmanager
def _server(in_process: bool) -> Iterator[str]:
    """The URL of a moto server on 127.0.0.1, in a thread here or in its own process."""
    if in_process:
        local = start_local_sqs()
        try:
            yield local.url
        finally:
            stop_local_sqs(local)
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.queue.local_server", "--port", "0"],
        cwd=Path(__file__).resolve().parents[1],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        yield line.split(" on ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.wait(10)


def throughput(
    folder: Path, runs: int, jobs: int, rounds: int, batch: int, in_process: bool
) -> list[float]:
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    rates = []
    options = WorkerOptions(batch_size=batch, idle_s=0.01, heartbeat_s=1, sample_s=5)
    with _server(in_process) as url:
        for _ in range(rounds):
            urllib.request.urlopen(
                urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b""), timeout=5
            ).close()
            store, _ = _store_runs(folder, runs, jobs, True)
            settings = Settings().with_(db_path=str(store.path), sqs_endpoint_url=url)
            worker = Worker(store, settings, options=options)
            started = time.perf_counter()
            sent = worker.run(burst=True)
            rates.append(sent / (time.perf_counter() - started))
    return rates


def volume(
    folder: Path, runs: int, jobs: int, batch: int, in_process: bool, bound: int
) -> tuple[int, float, float]:
    """(messages sent, seconds, seconds to fill the store) of one bounded drain of ``runs``."""
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    options = WorkerOptions(
        batch_size=batch, idle_s=0.01, heartbeat_s=1, sample_s=5, local_bound=bound
    )
    with _server(in_process) as url:
        store, filled = _store_runs(folder, runs, jobs, True)
        settings = Settings().with_(db_path=str(store.path), sqs_endpoint_url=url)
        worker = Worker(store, settings, options=options)
        started = time.perf_counter()
        sent = worker.run(burst=True)
        return sent, time.perf_counter() - started, filled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run moto in a thread of this process (the embedded demo's set-up)",
    )
    parser.add_argument(
        "--volume",
        type=int,
        default=0,
        metavar="RUNS",
        help="also drain RUNS runs in one go to a bounded server (the sustained rate)",
    )
    parser.add_argument(
        "--bound",
        type=int,
        default=LOCAL_BOUND,
        help=f"the volume drain's queue bound (default LOCAL_BOUND, {LOCAL_BOUND})",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cost = overhead(Path(tmp), args.runs, args.jobs)
        rates = throughput(
            Path(tmp), args.runs, args.jobs, args.rounds, args.batch_size, args.in_process
        )
        ceil = ceiling(Path(tmp), args.runs, args.jobs, args.rounds, args.batch_size)
        if args.volume:
            big = volume(
                Path(tmp), args.volume, args.jobs, args.batch_size, args.in_process, args.bound
            )
    per_round = round(cost["messages_per_run"] * args.runs)
    print(f"Outbox overhead per stored run ({args.runs} runs x {args.jobs} jobs x 12 steps):")
    print(f"  store without messages   {cost['plain_ms']:.2f} ms/run")
    print(
        f"  store with messages      {cost['with_ms']:.2f} ms/run "
        f"(+{cost['with_ms'] - cost['plain_ms']:.2f} ms, "
        f"{cost['messages_per_run']:.1f} messages, {cost['bytes_per_run'] / 1024:.1f} KiB)"
    )
    where = "in this process" if args.in_process else "in its own process"
    print(
        f"Worker throughput to moto on 127.0.0.1, {where} ({args.rounds} rounds x "
        f"{per_round} messages, batch {args.batch_size}):"
    )
    print(
        f"  {statistics.median(rates):.0f} messages/s median "
        f"(min {min(rates):.0f}, max {max(rates):.0f})"
    )
    print(
        f"Worker ceiling (transport that accepts at once): {statistics.median(ceil):.0f} "
        "messages/s median"
    )
    if args.volume:
        sent, seconds, filled = big
        rate = sent / seconds
        print(
            f"Volume: {args.volume} runs, {sent} messages in {seconds:.1f} s to moto bounded at "
            f"{args.bound}: {rate:.0f} messages/s (stored in {filled:.1f} s, "
            f"{1000 * filled / args.volume:.2f} ms/run)"
        )
        print(
            f"  at this rate 100,000 runs of this shape ({100_000 * sent / args.volume:,.0f} "
            f"messages) take {100_000 * sent / args.volume / rate / 60:.1f} min"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
