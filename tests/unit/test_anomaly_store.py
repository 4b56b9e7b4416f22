"""The series Anomaly Detection reads from the store: the whole repository's watched steps are
the rows the per-series read finds, whichever way round SQLite walks them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.dump.importer import import_path
from core.store import anomalies
from core.store.db import Store
from tests.integration.dump_factory import FULL_NAME, make_dump


def test_the_whole_repositorys_steps_are_the_rows_the_jobs_first_read_finds(tmp_path: Path):
    store = Store(tmp_path / "s.db")
    import_path(store, make_dump(tmp_path / "d", runs=14, jobs_per_run=3, workflows=2))
    repo_id = store.repo_id(FULL_NAME)
    assert repo_id is not None

    whole = anomalies.step_series(store, repo_id, min_step_s=0.0)
    sql = anomalies._STEPS_SQL.format(where="", usual="")
    rows = store.frame(sql, {"repo": repo_id, "min_step_s": 0.0})
    jobs_first = anomalies._with_run_words(store, repo_id, rows, None, anomalies._STEP_COLUMNS)

    assert len(whole) > 40 and whole["step"].nunique() > 1
    pd.testing.assert_frame_equal(whole, jobs_first)
