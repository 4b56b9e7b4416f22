"""Pure log handling: bytes in, normalised lines out; no store, no network.

``normalise`` (encoding, ANSI, timestamps, head+tail keeping), ``markers`` (CI systems' group
and error markers), ``steps`` (lines to steps), ``safe_archive`` (zip/gzip with limits) and
``reports`` (per-test outcomes from JUnit XML and from test runners' console output).
"""
