"""The demo repository generator (``generator.generate_demo``): catalogue, commits, timeline,
scenarios and faults, the simulation of runs, workflow files, JUnit reports, the job logs
(``logs/``) and the planted truth (``truth``), all seeded and deterministic.
"""
