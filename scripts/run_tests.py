"""Run the whole test suite: lint, then pytest (arguments go to pytest).

    python3 scripts/run_tests.py [pytest options]

Makes (or reuses) the virtual environment, installs the test requirements, and where
``apt-get`` is available installs Debian's ``chromium`` for the real-browser tests (without it
they skip and say why).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from bootstrap import ROOT, environment, install, path_with, say


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
    return subprocess.call([str(python), "-m", "pytest", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
