"""Run the whole test suite: lint, then pytest (arguments go to pytest).

    python3 scripts/run_tests.py [pytest options]

Makes (or reuses) the virtual environment, installs the test requirements, and where
``apt-get`` is available installs Debian's ``chromium`` for the real-browser tests (without it
they skip and say why).

Tests run in one worker process per CPU this process may use, plus one, at most
:data:`MAX_WORKERS` (pytest-xdist; ``-n N`` among the options chooses, ``-n 0`` runs them in
this process). Why more workers than CPUs: a test often waits on its own servers, browser or
emulator (other processes), and a worker waiting leaves its core idle. Measured from fresh
clones on this 2-core machine, idle (seconds of pytest): one worker 31 minutes, two 1,063 and
1,097 s, three 907, 924 and 1,105 s (a small gain, within this machine's spread). Every test
owns its ports, temp folders and HOME, so which worker runs it does not matter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from bootstrap import ROOT, environment, install, path_with, say

MAX_WORKERS = 4  # each worker copies the demo stores and starts its own servers: more cost more


def workers() -> int:
    """How many test workers: one more than the CPUs this process may use (see the module's
    docstring), at most :data:`MAX_WORKERS`."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return max(1, min(MAX_WORKERS, (len(usable) if usable else os.cpu_count() or 1) + 1))


def _chose_workers(args: list[str]) -> bool:
    return any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args)


def ensure_chromium() -> None:
    if shutil.which("chromium") or not shutil.which("apt-get"):
        return
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        say("chromium is missing and apt-get needs root; the browser tests will skip.")
        return
    say("Installing Debian's chromium for the browser tests…")
    quiet = {"stdout": subprocess.DEVNULL}
    if subprocess.call([*sudo, "apt-get", "update", "-qq"], **quiet) or subprocess.call(
        [*sudo, "apt-get", "install", "-y", "-qq", "chromium"], **quiet
    ):
        say("chromium could not be installed; the browser tests will skip and say why.")


def main() -> int:
    python = environment()
    install(python, "requirements-dev.txt")
    if os.name != "nt":
        ensure_chromium()
    os.chdir(ROOT)
    os.environ["PATH"] = path_with(python)  # the ci-medic command, as after activating
    lint = subprocess.call([str(python), "-m", "ruff", "check", "--no-cache", "."])
    if lint:
        return lint
    args = sys.argv[1:]
    if not _chose_workers(args):
        args = ["-n", str(workers()), *args]
    return subprocess.call([str(python), "-m", "pytest", *args])


if __name__ == "__main__":
    sys.exit(main())
