"""Requests and wall time of a cold sync of the demo through the emulator, and of a re-sync.

    python bench/sync_bench.py [--runs 2200] [--seed 7]

Prints, for the cold sync, the requests used next to the issue's bound
(ceil(N/100) run-list pages + one jobs request per attempt + one commit request per new SHA,
+2%), and for the re-sync of the unchanged repository the requests (the bound is 2).
It measures; it does not assert.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.pipeline_monitor.agent import sync_repository  # noqa: E402
from core.config import Settings  # noqa: E402
from core.dump.files import Dump  # noqa: E402
from core.github.source import GitHubSource  # noqa: E402
from core.sandbox.demo.generator import DEMO_REPO, generate_demo  # noqa: E402
from core.sandbox.emulator.server import Emulator  # noqa: E402
from core.store.db import Store  # noqa: E402


def issue_bound(dump: Dump) -> tuple[int, int]:
    """(runs N, the issue's request bound for a cold sync before the 2% allowance)."""
    runs = list(dump.runs())
    attempts = len(runs) + sum(1 for _ in dump.attempts())
    shas = len({r["head_sha"] for r in runs if r.get("head_sha")})
    return len(runs), math.ceil(len(runs) / 100) + attempts + shas


def timed_sync(emulator: Emulator, db: Path) -> tuple[int, float, str]:
    settings = Settings().with_(
        github_base_url=emulator.base_url, github_token="bench", db_path=str(db)
    )
    started = time.perf_counter()
    report = sync_repository(
        Store(db), GitHubSource(settings), DEMO_REPO, history=timedelta(days=3650)
    )
    return report.requests, time.perf_counter() - started, report.sentence()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        dump_path = generate_demo(Path(tmp) / "dump", seed=args.seed, runs_target=args.runs)
        generated = time.perf_counter() - started
        n_runs, bound = issue_bound(Dump(dump_path))
        with Emulator(dump_path) as emulator:
            cold_requests, cold_s, cold_sentence = timed_sync(emulator, Path(tmp) / "s.db")
            served = len(emulator.requests)
            warm_requests, warm_s, _ = timed_sync(emulator, Path(tmp) / "s.db")
    print(f"demo: {n_runs} runs generated in {generated:.1f} s")
    print(
        f"cold sync : {cold_requests} requests (server saw {served}), bound "
        f"{bound} +2% = {math.floor(bound * 1.02)}, {cold_s:.1f} s "
        f"({n_runs / cold_s:.0f} runs/s)"
    )
    print(f"            {cold_sentence}")
    print(f"re-sync   : {warm_requests} requests (bound 2), {warm_s * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
