"""The demo's raw job logs: ``builder`` (timestamps, cause-line marks), one renderer per kind of
step (setup, build, test-suite output, Maven) and of failure, assembled by ``job_log``.
"""
