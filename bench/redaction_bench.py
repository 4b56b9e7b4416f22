"""How fast the secret redactor is: a 20 MiB GitHub-like log, and inputs built to be slow.

    python bench/redaction_bench.py

Every log passes through the redactor before it is stored (the ingester and ``import``), and
every message before it is published, so it must be linear and well under a second for the
largest log we keep (``max_log_bytes``, 20 MiB). Prints seconds; asserts nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
ADVERSARIAL = (
    "password=",
    "://a:",
    "://" + "a" * 300,
    "-----BEGIN PRIVATE KEY-----A",
    "eyJ" + "a" * 20 + ".",
    "aws_secret_access_key ",
    "Authorization: Bearer ",
    "a" * 1000,
    "token: " + "x" * 600,
)


def _best(function, data: bytes, repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    from core.messages.redact import Redactor
    from tests.unit.test_redaction import synthetic_log

    engine = Redactor(["configured-secret-123"])
    for every in (2000, 50, 1):
        data = synthetic_log(20 * MIB, secret_every=every)
        print(
            f"20 MiB log, a secret every {every:>4} lines: {_best(engine.redact_bytes, data):.2f} s"
        )
    for unit in ADVERSARIAL:
        data = (unit * (2 * MIB // len(unit) + 1)).encode()
        print(f"2 MiB of {unit[:24]!r:<28} {_best(engine.redact_bytes, data):.2f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
