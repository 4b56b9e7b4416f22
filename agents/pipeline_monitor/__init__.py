"""Layer 1 · Pipeline Monitor: incremental sync of runs, attempts, jobs, steps and commits
(``agent``), and the Overview/Pipelines read models (``view``, ``kpis``, ``drilldown``,
``log_viewer``, ``charts``).
"""
