"""The feature catalogue: what each feature of a run means (Feature Engineering computes them,
Failure Prediction reads the ones known before a run)."""
