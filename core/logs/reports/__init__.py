"""Per-test outcomes: ``junit`` (JUnit XML, the public entry) and one console parser per
test runner (``pytest_console``, ``jest_console``, ``surefire_console``, ``go_console``) over
the shared ``records``; ``console`` dispatches among them.
"""
