"""Layer 2 · Anomaly detection: points of one numeric series (a workflow's run durations, an
infrastructure metric) far from what the series usually does.

``series`` is the entry point (``detect``, the ``ci-medic anomalies`` engine): a pure,
streaming detector of spikes, level shifts and trends. Under it: ``model`` (settings, flags),
``rolling`` (causal rolling statistics), ``candidates`` (the three tests on every point at
once), ``shape`` (step or slope), ``decide`` (the pass that keeps alerts clean). ``csv_input``
reads a series from a CSV file for the command line.
"""
