#!/usr/bin/env bash
# Install the runtime and serve the app on the embedded demo (no token, no AWS, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --disable-pip-version-check -q -r requirements.txt
python3 -m pip install --disable-pip-version-check -q --no-deps -e .  # the ci-medic command
exec python3 -m streamlit run app.py --server.address 127.0.0.1 --server.headless true \
  --browser.gatherUsageStats false "$@"
