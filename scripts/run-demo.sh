#!/usr/bin/env bash
# Same as: python3 scripts/run_demo.py (kept for muscle memory).
exec python3 "$(dirname "$0")/run_demo.py" "$@"
