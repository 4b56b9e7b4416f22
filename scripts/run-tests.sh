#!/usr/bin/env bash
# Install what the tests need (Python packages; Debian's chromium for the browser test where apt
# is available) and run the whole suite: lint, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --disable-pip-version-check -q -r requirements-dev.txt
python3 -m pip install --disable-pip-version-check -q --no-deps -e .  # the ci-medic command
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null; } \
    || echo "chromium could not be installed; the browser test will skip and say why"
fi
python3 -m ruff check --no-cache .
exec python3 -m pytest "$@"
