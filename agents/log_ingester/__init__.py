"""Layer 1 · Log Ingester: fetches the logs and test reports the analysis agents need."""
