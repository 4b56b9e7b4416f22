"""The embedded demo: generate the demo dump once, serve it with the emulator, sync it.

Demo and production share every line after the base URL: the demo only decides *which* GitHub
to talk to (a loopback emulator serving a generated repository) and keeps its own store file,
so demo data never mixes with a real repository's.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings

__all__ = ["DemoEnvironment", "demo_home", "ensure_demo_dump", "start_demo"]

DEMO_FORMAT = "3"  # bump when the generator changes shape, to regenerate cached dumps
# The demo emulator is generous: a user clicking around for hours never meets a limit (GitHub's
# real 5,000/hour stays the emulator's default, which the rate-limit tests use).
DEMO_RATE_LIMIT = 10_000_000
_lock = threading.Lock()
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


def start_demo(base: Settings | None = None, home: Path | None = None) -> DemoEnvironment:
    """Start (once per process) the emulator on the demo dump; settings point at it."""
    from core.sandbox.demo.generator import DEMO_REPO
    from core.sandbox.emulator.server import Emulator

    home = home or demo_home()
    key = str(home)
    with _lock:
        if key not in _running:
            dump = ensure_demo_dump(home)
            emulator = Emulator(dump, rate_limit=DEMO_RATE_LIMIT).start()
            settings = (base or Settings()).with_(
                github_base_url=emulator.base_url,
                github_token="demo-token",
                repo=DEMO_REPO,
                db_path=str(home / "demo.db"),
                request_budget=1_000_000,
            )
            _running[key] = DemoEnvironment(dump, emulator.base_url, DEMO_REPO, settings)
        return _running[key]
