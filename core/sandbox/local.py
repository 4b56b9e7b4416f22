"""The embedded demo: generate the demo dump once, serve it with the emulator, sync it.

Demo and production share every line after the base URL: the demo only decides *which* GitHub
to talk to (a loopback emulator serving a generated repository) and keeps its own store file,
so demo data never mixes with a real repository's.

The demo's emulator runs in a process of its own (:class:`EmulatorProcess`): in the app's
process, every request had the client and the server take turns on one interpreter lock
(~7 ms a request on loopback, most of a first start's log and report fetch), and the app could
not use a second core while the emulator answered. It still starts with the app, needs no
network but loopback, and ends with the app: it stops when its standard input closes.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings

__all__ = ["DemoEnvironment", "EmulatorProcess", "demo_home", "ensure_demo_dump", "start_demo"]

DEMO_FORMAT = "3"  # bump when the generator changes shape, to regenerate cached dumps
# The demo emulator is generous: a user clicking around for hours never meets a limit (GitHub's
# real 5,000/hour stays the emulator's default, which the rate-limit tests use).
DEMO_RATE_LIMIT = 10_000_000
EMULATOR_START_S = 300.0  # loading a large demo dump takes a while; a hang must not last
_lock = threading.Lock()
_log = logging.getLogger(__name__)
_running: dict[str, DemoEnvironment] = {}


@dataclass(frozen=True)
class DemoEnvironment:
    dump: Path
    base_url: str
    repo: str
    settings: Settings


def demo_home() -> Path:
    return Path(os.environ.get("CI_MEDIC_HOME", Path.home() / ".ci-medic")).expanduser()


def ensure_demo_dump(home: Path | None = None, seed: int = 7) -> Path:
    """Generate the demo dump unless a complete one is already cached.

    Several processes may start at once (app servers, tests): a file lock makes one generate
    while the others wait, and the dump is written to a private folder renamed when complete,
    so a generation killed half-way is never mistaken for a finished dump.
    """
    from core.sandbox.demo.generator import generate_demo

    home = home or demo_home()
    folder = home / f"demo-dump-v{DEMO_FORMAT}-seed{seed}"
    if (folder / ".complete").exists():
        return folder
    home.mkdir(parents=True, exist_ok=True)
    with _file_lock(home / ".demo.lock"):
        if (folder / ".complete").exists():
            return folder
        partial = home / f".{folder.name}.{os.getpid()}.partial"
        for stale in (partial, folder):
            if stale.exists():
                shutil.rmtree(stale)
        generate_demo(partial, seed=seed)
        (partial / ".complete").write_text("ok\n")
        partial.rename(folder)
    return folder


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (POSIX flock; a no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: one process at a time is the user's job there
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_demo(
    base: Settings | None = None, home: Path | None = None, *, own_process: bool = True
) -> DemoEnvironment:
    """Start (once per process) the emulator on the demo dump; settings point at it.

    ``own_process`` (the app's way) serves it from a child process (:class:`EmulatorProcess`);
    should that fail to start, the emulator is served from a thread of this process instead,
    as it is with ``own_process=False``.
    """
    from core.sandbox.demo.generator import DEMO_REPO

    home = home or demo_home()
    key = str(home)
    with _lock:
        if key not in _running:
            dump = ensure_demo_dump(home)
            base_url = _serve(dump, own_process)
            settings = (base or Settings()).with_(
                github_base_url=base_url,
                github_token="demo-token",
                repo=DEMO_REPO,
                db_path=str(home / "demo.db"),
                request_budget=1_000_000,
            )
            _running[key] = DemoEnvironment(dump, base_url, DEMO_REPO, settings)
        return _running[key]


def _serve(dump: Path, own_process: bool) -> str:
    """The base URL of an emulator serving ``dump`` (stopped when this process ends)."""
    if own_process:
        try:
            return EmulatorProcess(dump, rate_limit=DEMO_RATE_LIMIT).start().base_url
        except (OSError, RuntimeError) as exc:
            _log.warning(
                "The demo emulator's own process did not start (%s); serving it here.", exc
            )
    from core.sandbox.emulator.server import Emulator

    return Emulator(dump, rate_limit=DEMO_RATE_LIMIT).start().base_url


class EmulatorProcess:
    """``python -m core.sandbox.emulator.server DUMP --exit-with-stdin`` as a child process.

    This process holds the child's standard input: when it ends, however it ends, the pipe
    closes and the child stops. :meth:`stop` (also run at exit) closes it on purpose.
    """

    def __init__(self, dump: Path, *, rate_limit: int, start_timeout_s: float = EMULATOR_START_S):
        self.dump, self.rate_limit, self.start_timeout_s = dump, rate_limit, start_timeout_s
        self.base_url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> EmulatorProcess:
        """Start the child and wait for the base URL it prints once it listens."""
        root = str(Path(__file__).resolve().parents[2])  # the folder that holds ``core``
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "core.sandbox.emulator.server", str(self.dump.resolve())]
        command += ["--rate-limit", str(self.rate_limit), "--exit-with-stdin"]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=root
        )
        line = self._first_line()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the emulator printed {line[:200]!r} instead of its address")
        self.base_url = line
        atexit.register(self.stop)
        return self

    def _first_line(self) -> str:
        """The child's first line of output ('' if it ended first), waited for at most
        ``start_timeout_s`` (a thread reads it: a pipe read cannot time out portably)."""
        assert self._process is not None and self._process.stdout is not None
        stdout, found = self._process.stdout, []
        reader = threading.Thread(target=lambda: found.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout_s)
        if not found:
            self.stop()
            raise RuntimeError(f"no address within {self.start_timeout_s:.0f} s")
        return found[0].decode("utf-8", "replace").strip()

    def stop(self) -> None:
        """Close the child's standard input (it stops serving and exits), then wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:  # after the exit: a reader still waiting sees the end
            process.stdout.close()
