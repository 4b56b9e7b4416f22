"""The streaming anomaly detector for one numeric series (``ci-medic anomalies``).

It flags three kinds of points in a series read oldest first:

- ``spike``: one point far outside the band the recent points set (a run that took 4x as
  long, a latency peak);
- ``level_shift``: the series moved to a new level and stayed there (a job that got 40%
  slower after a dependency bump);
- ``trend``: the series drifts away slowly (a test suite that grows run after run).

**Streaming.** The decision at a point uses only the points up to and including it, so the
flags of a prefix are exactly the flags of the whole series cut to that prefix, and running it
again after new points only adds flags at the end. The statistics and the three tests are
vectorised (:mod:`.rolling`, :mod:`.candidates`); the sequential part that keeps the alerts
clean (:mod:`.decide`) visits only candidate points and the few points after a change; a
20,000-point series takes a fraction of a second.

**Why robust statistics.** Run durations have a heavy right tail and infrastructure metrics
have bursts, so every baseline is a median and every scale a quantile spread of residuals;
a Gaussian mean + 3 sigma is both too blind (one outlier inflates sigma) and too noisy (a
skewed series crosses it all the time).

**Alert hygiene.** A user reads every alert, so: one alert per event (the points after a
spike's first point, or after a shift, are its continuation, not new alerts); after a change
the baseline restarts from the new level, so the points after a shift are not flagged one by
one; an alert needs a minimum effect size relative to the level (a 3% change is not worth
anyone's time however regular the series is); an excursion the series has made lately (a
nightly batch, a daily peak, bursts) is usual, and so is a move to a level it stayed at lately
(autoscaling between two sizes, a regression that was fixed): neither is news.

``DetectorConfig`` holds every setting; ``sensitivity`` scales all thresholds at once (2.0
flags more, 0.5 fewer). The defaults were tuned on half of the development data (NAB
infrastructure metrics and semi-synthetic CI durations, see ``bench/anomaly_bench.py``) and
checked on the other half.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from agents.anomaly_detection.decide import flags_of
from agents.anomaly_detection.model import DetectorConfig, Flag, Kind

__all__ = ["DetectorConfig", "Flag", "Kind", "detect"]


def detect(values: np.ndarray | list[float], config: DetectorConfig | None = None) -> list[Flag]:
    """Every flagged point of ``values`` (oldest first), in order. NaN and infinite values are
    skipped: they neither count as points nor break the windows, and a flag's ``index`` is its
    position in ``values`` as given."""
    config = config or DetectorConfig()
    data = np.asarray(values, dtype=float)
    finite = np.flatnonzero(np.isfinite(data))
    if len(finite) <= config.first_spike:
        return []
    return [replace(flag, index=int(finite[flag.index])) for flag in flags_of(data[finite], config)]
