"""Find or make the Python environment CI Medic runs in, and install into it with visible progress.

Why a virtual environment: Debian/Ubuntu's system Python refuses ``pip install`` (PEP 668,
"externally-managed-environment"), and installing into a system interpreter is a bad habit
anyway. Already inside a virtual environment (venv, conda, uv, pipx): use it. Otherwise make
``.venv`` next to this checkout and use that. Requirements are installed again only when the
requirements file changed (a hash is kept in the environment), so the second start is instant.

Standard library only: this runs before anything is installed, on Linux, macOS and Windows.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"


def in_virtualenv() -> bool:
    return sys.prefix != sys.base_prefix or bool(os.environ.get("CONDA_PREFIX"))


def venv_python(folder: Path = VENV) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def say(message: str) -> None:
    print(f"[ci-medic] {message}", flush=True)


def environment() -> Path:
    """The interpreter to install into and run with (created on first use)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before anything checks it
        sys.exit(f"CI Medic needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if in_virtualenv():
        return Path(sys.executable)
    python = venv_python()
    if not python.exists():
        say(f"Creating a virtual environment in {VENV} (once)…")
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(
                f"Could not create {VENV} ({exc}). On Debian/Ubuntu install the venv module "
                "first: sudo apt install python3-venv (or python3.11-venv), then run this again."
            )
    return python


def install(python: Path, requirements: str) -> None:
    """Install ``requirements`` (and the project, for the ci-medic command) unless unchanged."""
    files = [ROOT / requirements, ROOT / "requirements.txt", ROOT / "pyproject.toml"]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files if f.exists())).hexdigest()
    stamp = (
        Path(
            subprocess.run(
                [str(python), "-c", "import sys; print(sys.prefix)"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        / f".ci-medic-{Path(requirements).stem}.sha256"
    )
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    say(f"Installing {requirements} (first time: 1-3 minutes, about 1.1 GB)…")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--progress-bar", "on", "-r", str(ROOT / requirements)], check=True)
    say("Installing the ci-medic command…")
    subprocess.run([*pip, "-q", "--no-deps", "-e", str(ROOT)], check=True)
    stamp.write_text(digest + "\n")


def bin_dir(python: Path) -> Path:
    """Where the environment's commands (ci-medic, streamlit) live."""
    return python.parent


def path_with(python: Path) -> str:
    """PATH with the environment's commands first (what activating the environment does)."""
    return os.pathsep.join([str(bin_dir(python)), os.environ.get("PATH", "")])
