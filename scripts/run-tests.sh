#!/usr/bin/env bash
# Same as: python3 scripts/run_tests.py (kept for muscle memory).
exec python3 "$(dirname "$0")/run_tests.py" "$@"
