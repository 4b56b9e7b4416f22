"""Infrastructure shared by every agent and page; knows nothing of agents or pages.

Top-level modules: ``config`` (settings, once), ``errors`` (sentences users read), ``progress``
(the progress callback type) and ``workspace`` (demo or live: settings + store + repository).
"""
