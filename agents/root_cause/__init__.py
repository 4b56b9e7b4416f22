"""Layer 2 · Root Cause Analysis: the failing lines, error class, suggestion and fingerprint of
each failed job.

``analysis`` is the pure engine (``analyse_log``, the ``ci-medic rca`` body) over ``lines``,
``blocks`` and ``log_view`` (localisation), ``patterns``/``cues``/``rules``/``tool_rules``
(what tools print), ``classify`` + ``corpus`` (error class), ``suggest``, ``versions`` and
``templates``; ``agent`` runs it over the store; ``view`` and ``charts`` feed its page section.
"""
