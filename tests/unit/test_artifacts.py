"""Agent artifacts: what an agent computed once, read back by the pages as it was stored."""

from __future__ import annotations

import math

from core.store.artifacts import load_artifact, save_artifact
from core.store.db import Store
from core.store.runs import save_repository


def _store(tmp_path) -> tuple[Store, int, int]:
    store = Store(tmp_path / "s.db")
    one = save_repository(store, {"id": 1, "full_name": "acme/app", "default_branch": "main"})
    two = save_repository(store, {"id": 2, "full_name": "acme/web", "default_branch": "main"})
    return store, one, two


def test_an_artifact_reads_back_as_stored_and_a_new_version_replaces_it(tmp_path):
    store, one, two = _store(tmp_path)
    assert load_artifact(store, one, "failure_prediction", "shap") is None
    save_artifact(store, one, "failure_prediction", "shap", "v1", {"values": [[0.5, -0.25]]})
    save_artifact(store, one, "failure_prediction", "shap", "v2", {"values": [[1.0, 2.0]]})
    stored = load_artifact(store, one, "failure_prediction", "shap")
    assert stored == ("v2", {"values": [[1.0, 2.0]]})
    assert load_artifact(store, two, "failure_prediction", "shap") is None


def test_numbers_json_cannot_hold_come_back_as_none_and_text_is_untouched(tmp_path):
    store, one, _two = _store(tmp_path)
    data = {"values": [math.nan, math.inf, 1.5], "names": ["NaN", "Infinity"]}
    save_artifact(store, one, "agent", "name", "v", data)
    _version, back = load_artifact(store, one, "agent", "name")
    assert back == {"values": [None, None, 1.5], "names": ["NaN", "Infinity"]}
