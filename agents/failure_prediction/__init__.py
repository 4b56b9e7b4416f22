"""Failure Prediction (Layer 2): the probability that a run fails, known before it runs."""
