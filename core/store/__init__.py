"""The SQLite store: every SQL statement of the project lives in this package.

``db`` (connection, transactions, migrations), ``schema``, then one module per concern (runs,
jobs, logs, test results via ``ingest``, findings, outbox, sync state, agent runs, dashboards'
aggregates, queue health). May import core.config/errors/progress, core.logs and core.messages.
"""
