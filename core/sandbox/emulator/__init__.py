"""A loopback GitHub REST API over a dump: ``server`` (start/stop, ``python -m
core.sandbox.emulator.server``), ``routes`` (one handler per endpoint), ``shapes`` (payloads),
``paging``, ``downloads`` (log and artifact redirects), ``faults`` (injected failures),
``site_state`` (per-server caches) and ``http_io`` (responses, rate-limit answers).
"""
