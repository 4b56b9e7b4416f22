"""An offline GitHub for the demo and the tests: ``emulator`` serves a dump through the REST
endpoints PyGithub calls, ``demo`` generates a realistic repository with planted truth and
``local`` starts both for the app. Only the demo path (core.workspace, ``ci-medic demo``),
tests and benches import this package; no agent does.
"""
