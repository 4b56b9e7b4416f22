"""The demo's emulator in a process of its own: it answers, and it ends with the app.

The app talks to it over loopback as to GitHub; it must stop when the app stops on purpose
and also when the app dies without cleaning up (it watches its standard input, which only the
app holds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from core.sandbox.local import EmulatorProcess
from tests.integration.dump_factory import FULL_NAME, make_dump

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    return make_dump(tmp_path_factory.mktemp("process") / "dump", runs=3)


def _alive(pid: int) -> bool:
    """Running (an exited child not yet reaped by its new parent counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return not stat.parent.parent.exists()  # no /proc here: os.kill said it is there


def _wait_until(condition, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_given_the_demo_emulator_process_when_asked_then_it_answers_and_stops_on_request(dump):
    emulator = EmulatorProcess(dump, rate_limit=1000).start()
    pid = emulator._process.pid

    answer = requests.get(f"{emulator.base_url}/repos/{FULL_NAME}", timeout=10)
    emulator.stop()

    assert answer.status_code == 200 and answer.json()["full_name"] == FULL_NAME
    assert not _alive(pid)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.base_url}/repos/{FULL_NAME}", timeout=10)


def test_given_an_app_killed_without_cleaning_up_when_it_dies_then_its_emulator_stops(dump):
    script = (
        "import sys; from pathlib import Path; from core.sandbox.local import EmulatorProcess; "
        "e = EmulatorProcess(Path(sys.argv[1]), rate_limit=1000).start(); "
        "print(e._process.pid, e.base_url, flush=True); sys.stdin.read()"
    )
    app = subprocess.Popen(
        [sys.executable, "-c", script, str(dump)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    pid, base_url = app.stdout.readline().split()
    assert requests.get(f"{base_url}/repos/{FULL_NAME}", timeout=10).status_code == 200

    app.kill()  # SIGKILL: no atexit, no cleanup
    app.wait()

    assert _wait_until(lambda: not _alive(int(pid)))
