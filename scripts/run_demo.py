"""Start CI Medic on the embedded demo: no token, no AWS, no network.

    python3 scripts/run_demo.py [streamlit options, e.g. --server.port 8600]

Makes (or reuses) a virtual environment, installs the runtime with visible progress the first
time, then serves the app on http://127.0.0.1:8501. The first page draws at once; the demo's
sync, logs and root causes arrive in the background within a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys

from bootstrap import ROOT, bin_dir, environment, install, path_with, say


def _port(options: list[str]) -> str:
    """The port Streamlit will use: ``--server.port N`` or ``--server.port=N``, else 8501."""
    for index, option in enumerate(options):
        if option == "--server.port" and index + 1 < len(options):
            return options[index + 1]
        if option.startswith("--server.port="):
            return option.split("=", 1)[1]
    return "8501"


def main() -> int:
    python = environment()
    install(python, "requirements.txt")
    say(f"The ci-medic command is in {bin_dir(python)}; activate the environment to use it.")
    say(f"Serving the app on http://127.0.0.1:{_port(sys.argv[1:])} (Ctrl+C stops it)…")
    command = [
        str(python),
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *sys.argv[1:],
    ]
    os.chdir(ROOT)
    os.environ["PATH"] = path_with(python)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
