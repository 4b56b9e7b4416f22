"""The RCA bench runs on a slice of the shared dev data and prints every figure (no accuracy floor
here: floors are measured and printed by ``bench/rca_bench.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
RCA = SHARED / "data" / "dev" / "rca"


@pytest.mark.skipif(not RCA.is_dir(), reason="shared/data/dev/rca is not present")
def test_given_the_shared_data_when_the_bench_runs_on_a_slice_then_it_prints_all_figures(capsys):
    spec = importlib.util.spec_from_file_location("rca_bench", ROOT / "bench" / "rca_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--shared", str(SHARED), "--limit", "3", "--no-memory"]) == 0
    out = capsys.readouterr().out
    for figure in (
        "accuracy=",
        "macro-F1=",
        "hit@1=",
        "hit@5=",
        "F1=",
        "share of lines returned=",
        "recall@10=",
        "MB/s",
        "peak RSS=",
    ):
        assert figure in out, figure
