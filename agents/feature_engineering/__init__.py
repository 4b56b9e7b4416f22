"""Feature Engineering (Layer 2): one feature row per run, each feature in the catalogue."""
