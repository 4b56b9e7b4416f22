"""The quarantine list as a contract: which flaky tests are quarantined, why, whose they are,
until when, and which left and why.

Pure: :func:`update_quarantine` takes the verdict table (:func:`agents.flaky_tests.judge`, with
``clean_runs`` from :func:`clean_runs`), the previous list and each test's owners, and returns
the new list; :func:`dump_quarantine` writes it as stable JSON (sorted, two-space indented, one
trailing newline), so a list committed to a repository changes only where something changed;
:func:`parse_quarantine` reads one back and checks it against :data:`SCHEMA`.

The rules (settings: :class:`agents.flaky_tests.config.QuarantineRule`):

- **only flaky tests enter**: a test judged ``flaky`` that failed within its last
  ``min_clean_runs`` runs. A ``broken`` test (it fails since a culprit commit) never enters,
  nor does one with ``insufficient_data``;
- an entry keeps its ``created`` date across re-runs; its evidence and owners are refreshed;
- it **expires** ``expiry_days`` after it was made or renewed, and is then re-evaluated, never
  silently kept: still flaky and not clean (fewer than ``min_clean_runs`` runs since its last
  failure) renews it (``renewed``, ``renewals``); otherwise it is released;
- **release by evidence** before the expiry: at least ``min_clean_runs`` clean runs, and the
  posterior of its flake rate since its last failure (the engine's prior updated with those
  clean runs) has its upper bound below ``release_below`` and below the lower bound of the
  rate its whole history shows;
- a test that turns ``broken`` leaves at once (a regression is fixed, not quarantined), and so
  does one that is no longer in the history (renamed or removed);
- every release is recorded in ``released`` with its date and reason, for
  ``keep_released_days``; a test that enters again leaves ``released``.

The document (``version`` 1)::

    {"version": 1, "repository": "owner/name", "updated": "YYYY-MM-DD",
     "codeowners": ".github/CODEOWNERS" or null,
     "policy": {"expiry_days", "min_clean_runs", "release_below", "keep_released_days"},
     "quarantined": [{"test_id", "reason", "owners": [...],
                      "ownership": {"file", "located", "rule"},
                      "created", "expires", "renewed", "renewals",
                      "evidence": {"verdict", "score", "score_low", "score_high", "runs",
                                   "failures", "same_sha_flips", "intermittent_failures",
                                   "clean_runs", "first_flake", "last_flake", "jobs",
                                   "evidence_runs"}}],
     "released": [{"test_id", "owners", "created", "released", "reason", "last_flake"}]}

``updated`` is the date the list last changed (a re-run that changes nothing keeps it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
from scipy.stats import beta

from agents.flaky_tests.config import Prior, QuarantineRule
from agents.flaky_tests.history import (
    FAIL,
    SKIP,
    integer_cells,
    normalise_outcomes,
    table_fits,
)
from agents.flaky_tests.owners import Ownership
from agents.flaky_tests.verdict import BROKEN, FLAKY
from core.presentation.exports import json_value

__all__ = [
    "SCHEMA",
    "VERSION",
    "QuarantineError",
    "clean_runs",
    "dump_quarantine",
    "empty_quarantine",
    "parse_quarantine",
    "rate_bound",
    "update_quarantine",
]

VERSION = 1
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_TEXTS = {"type": "array", "items": {"type": "string"}}
_ENTRY = {
    "type": "object",
    "required": ["test_id", "reason", "owners", "created", "expires", "evidence"],
    "properties": {
        "test_id": {"type": "string", "minLength": 1},
        "reason": {"type": "string"},
        "owners": _TEXTS,
        "ownership": {"type": "object"},
        "created": _DATE,
        "expires": _DATE,
        "renewed": {"anyOf": [_DATE, {"type": "null"}]},
        "renewals": {"type": "integer", "minimum": 0},
        "evidence": {"type": "object"},
    },
}
_RELEASED = {
    "type": "object",
    "required": ["test_id", "released", "reason"],
    "properties": {
        "test_id": {"type": "string", "minLength": 1},
        "owners": _TEXTS,
        "created": {"anyOf": [_DATE, {"type": "null"}]},
        "released": _DATE,
        "reason": {"type": "string"},
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CI Medic quarantine list",
    "type": "object",
    "required": ["version", "repository", "updated", "policy", "quarantined", "released"],
    "properties": {
        "version": {"const": VERSION},
        "repository": {"type": "string"},
        "updated": _DATE,
        "codeowners": {"type": ["string", "null"]},
        "policy": {"type": "object"},
        "quarantined": {"type": "array", "items": _ENTRY},
        "released": {"type": "array", "items": _RELEASED},
    },
}


class QuarantineError(ValueError):
    """A quarantine list that cannot be read: the sentence says where and why."""


def empty_quarantine(repo: str, today: date, rule: QuarantineRule) -> dict[str, Any]:
    """A list with nothing in it (what a repository starts from)."""
    return {
        "version": VERSION,
        "repository": repo,
        "updated": today.isoformat(),
        "codeowners": None,
        "policy": _policy(rule),
        "quarantined": [],
        "released": [],
    }


def _policy(rule: QuarantineRule) -> dict[str, Any]:
    return {
        "expiry_days": rule.expiry_days,
        "min_clean_runs": rule.min_clean_runs,
        "release_below": rule.release_below,
        "keep_released_days": rule.keep_released_days,
    }


# -- evidence per test ------------------------------------------------------------------------


def clean_runs(history: pd.DataFrame) -> pd.Series:
    """Per ``test_id``: its runs since its last failure (in any job and attempt; every run
    when it never failed), skipped results left out. ``history`` is the engine's input, oldest
    first; a row without a ``run_id`` is a run of its own. Tests and runs are compared as
    text (``1`` and ``"1"`` are one), the counting done on their codes: a history has millions
    of rows and only thousands of tests and runs."""
    if history.empty:
        return pd.Series(dtype=np.int64)
    code, _ = normalise_outcomes(history["outcome"])
    test, names = _text_codes(history["test_id"])
    run, _ = _text_codes(history.get("run_id"), len(history))
    kept = (code != SKIP) & (test >= 0)  # a result without a test id names no test
    n_tests = int(test.max(initial=-1)) + 1
    span = int(run.max()) + 1
    # each (test, run) once, with the row it first appears on; a test's clean runs are its
    # runs that first appear after the last of its runs with a failure
    key = test[kept].astype(np.int64) * span + run[kept]
    pair, first = _first_rows(key)
    failed = np.isin(pair, key[code[kept] == FAIL])
    owner = pair // span
    last_fail = np.full(n_tests, -1, dtype=np.int64)
    np.maximum.at(last_fail, owner[failed], first[failed])
    clean = np.bincount(owner, weights=first > last_fail[owner], minlength=n_tests)
    seen_at = np.full(n_tests, len(key), dtype=np.int64)  # where each test first appears
    np.minimum.at(seen_at, owner, first)
    tests = np.flatnonzero(seen_at < len(key))
    tests = tests[np.argsort(seen_at[tests], kind="stable")]  # in order of first appearance
    index = pd.Index(names[tests], name="test")
    return pd.Series(clean[tests].astype(np.int64), index=index, dtype=np.int64)


def _first_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each distinct key, the position where it first appears). Non-negative keys: one table
    of their range where it fits (at 100k runs a chunk's (test, run) pairs are nearly all
    distinct, and hashing them cost 6 of 16 s); else sorted."""
    if not len(keys):
        return keys, np.zeros(0, dtype=np.int64)
    if table_fits(keys):
        first = np.full(int(keys.max()) + 1, len(keys), dtype=np.int64)
        np.minimum.at(first, keys, np.arange(len(keys), dtype=np.int64))
        distinct = np.flatnonzero(first < len(keys))
        return distinct, first[distinct]
    distinct, first = np.unique(keys, return_index=True)
    return distinct, first.astype(np.int64)


def _text_codes(
    values: pd.Series | None, own_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the values compared as text, and the texts. A missing value is -1, or with
    ``own_rows`` (the number of rows) a value of its own per row (``row:<position>``), as a run
    without an id is; no column at all is then all missing."""
    if values is None:
        values = pd.Series(np.nan, index=range(own_rows or 0))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if integer_cells(values) and not (codes < 0).any():
        # distinct numbers are distinct texts, and none is missing
        return codes.astype(np.int64, copy=False), np.asarray(uniques.astype(str), dtype=object)
    missing = np.flatnonzero(codes < 0) if own_rows is not None else np.zeros(0, dtype=np.int64)
    texts = [*(str(value) for value in uniques), *(f"row:{i}" for i in missing)]
    codes[missing] = len(uniques) + np.arange(len(missing))
    merged, labels = pd.factorize(np.asarray(texts, dtype=object))  # "1" and 1 are one
    return np.append(merged, -1)[codes], np.asarray(labels, dtype=object)  # -1 reads the -1


def rate_bound(clean: int, prior: Prior) -> float:
    """The upper end of the credible interval of a test's flake rate after ``clean`` runs
    without a failure: the engine's prior Beta(a, b) updated with them."""
    return float(beta.ppf(1.0 - (1.0 - prior.level) / 2, prior.a, prior.b + max(clean, 0)))


def _clean(row: Mapping[str, Any]) -> int:
    return int(_number(row.get("clean_runs")))


def _released_by_evidence(row: Mapping[str, Any], rule: QuarantineRule, prior: Prior) -> str | None:
    """The reason a quarantined test may leave before its expiry, or None."""
    clean = _clean(row)
    if clean < rule.min_clean_runs:
        return None
    bound = rate_bound(clean, prior)
    earlier = _number(row.get("score_low"))
    if bound >= rule.release_below or bound >= earlier:
        return None
    return (
        f"released by evidence: {clean:,} clean runs since its last failure"
        f"{_on(row.get('last_flake'))}; its flake rate since then is below {bound:.1%} "
        f"({prior.level:.0%} posterior bound), under the {rule.release_below:.0%} threshold "
        f"and under the at least {earlier:.1%} its history showed"
    )


def _number(value: Any) -> float:
    """A cell as a number: None, NaN and text that is no number are 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else number


def _on(stamp: Any) -> str:
    text = _text(stamp)
    return f" (last flake {text[:10]})" if text else ""


# -- the update -------------------------------------------------------------------------------


def update_quarantine(
    verdicts: pd.DataFrame,
    previous: Mapping[str, Any] | None,
    *,
    repo: str,
    today: date,
    rule: QuarantineRule,
    prior: Prior,
    owner_of: Callable[[str], Ownership] | None = None,
    codeowners: str | None = None,
) -> dict[str, Any]:
    """The new list from the verdict table (one row per test, with ``clean_runs``) and the
    previous list (None: none yet), following the rules of the module docstring.
    ``owner_of`` gives a test's owners (none when not given), ``codeowners`` names the
    CODEOWNERS file they come from."""
    owner_of = owner_of or _no_owner
    rows = _rows_by_test(verdicts)
    before = previous or empty_quarantine(repo, today, rule)
    kept: dict[str, dict[str, Any]] = {}
    released = {r["test_id"]: dict(r) for r in before.get("released", [])}
    for entry in before.get("quarantined", []):
        test_id = entry["test_id"]
        row = rows.get(test_id)
        reason = _release_reason(entry, row, today, rule, prior)
        if reason is None:
            kept[test_id] = _refreshed(entry, row, today, rule, owner_of(test_id))
        else:
            released[test_id] = _release(entry, row, today, reason, owner_of(test_id))
    for test_id, row in rows.items():
        if test_id in kept or test_id in released and released[test_id]["released"] == str(today):
            continue
        if row.get("verdict") == FLAKY and _clean(row) < rule.min_clean_runs:
            kept[test_id] = _entry(row, today, rule, owner_of(test_id))
            released.pop(test_id, None)
    oldest = (today - timedelta(days=rule.keep_released_days)).isoformat()
    document = {
        "version": VERSION,
        "repository": repo,
        "updated": today.isoformat(),
        "codeowners": codeowners,
        "policy": _policy(rule),
        "quarantined": [kept[t] for t in sorted(kept)],
        "released": [released[t] for t in sorted(released) if released[t]["released"] >= oldest],
    }
    if previous is not None and _same(document, previous):
        document["updated"] = previous["updated"]
    return document


def _no_owner(_test_id: str) -> Ownership:
    return Ownership((), None, "", "no owners were looked up")


def _rows_by_test(verdicts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    if verdicts.empty or "test_id" not in verdicts:
        return {}
    return {str(row["test_id"]): row for row in verdicts.to_dict("records")}


def _same(document: Mapping[str, Any], previous: Mapping[str, Any]) -> bool:
    """Whether the two lists differ only in ``updated``."""
    strip = {**document, "updated": None}
    return json.loads(json.dumps(strip)) == json.loads(json.dumps({**previous, "updated": None}))


def _release_reason(
    entry: Mapping[str, Any],
    row: Mapping[str, Any] | None,
    today: date,
    rule: QuarantineRule,
    prior: Prior,
) -> str | None:
    """Why a quarantined test leaves now, or None when it stays."""
    if row is None:
        return "no longer in the test history (renamed or removed)"
    if row.get("verdict") == BROKEN:
        culprit = _text(row.get("culprit_sha"))[:7] or _text(row.get("culprit_run"))
        since = f" since {culprit}" if culprit else ""
        return f"broken{since}: a regression is fixed, not quarantined"
    early = _released_by_evidence(row, rule, prior)
    if early is not None:
        return early
    if today.isoformat() < entry["expires"]:
        return None
    verdict = str(row.get("verdict") or "stable").replace("_", " ")
    if row.get("verdict") != FLAKY:
        return f"expired on {entry['expires']} and no longer judged flaky ({verdict})"
    if _clean(row) >= rule.min_clean_runs:
        return (
            f"expired on {entry['expires']} after {_clean(row):,} clean runs since its last "
            f"failure{_on(row.get('last_flake'))}"
        )
    return None  # expired and still flaky: renewed by _refreshed


def _entry(
    row: Mapping[str, Any], today: date, rule: QuarantineRule, owner: Ownership
) -> dict[str, Any]:
    """A new entry for a test judged flaky today."""
    return {
        "test_id": str(row["test_id"]),
        "reason": _reason(row),
        "owners": list(owner.owners),
        "ownership": {"file": owner.file, "located": owner.located, "rule": owner.rule},
        "created": today.isoformat(),
        "expires": (today + timedelta(days=rule.expiry_days)).isoformat(),
        "renewed": None,
        "renewals": 0,
        "evidence": _evidence(row),
    }


def _refreshed(
    entry: Mapping[str, Any],
    row: Mapping[str, Any],
    today: date,
    rule: QuarantineRule,
    owner: Ownership,
) -> dict[str, Any]:
    """A kept entry: its dates as they were (renewed when it expired), evidence and owners as
    they are now."""
    kept = {
        **_entry(row, today, rule, owner),
        "reason": entry["reason"],
        "created": entry["created"],
        "expires": entry["expires"],
        "renewed": entry.get("renewed"),
        "renewals": int(entry.get("renewals") or 0),
    }
    if today.isoformat() >= entry["expires"]:
        kept["expires"] = (today + timedelta(days=rule.expiry_days)).isoformat()
        kept["renewed"] = today.isoformat()
        kept["renewals"] += 1
    return kept


def _release(
    entry: Mapping[str, Any],
    row: Mapping[str, Any] | None,
    today: date,
    reason: str,
    owner: Ownership,
) -> dict[str, Any]:
    last = row.get("last_flake") if row is not None else entry.get("evidence", {}).get("last_flake")
    return {
        "test_id": entry["test_id"],
        "owners": list(owner.owners) if row is not None else list(entry.get("owners", [])),
        "created": entry.get("created"),
        "released": today.isoformat(),
        "reason": reason,
        "last_flake": json_value(last, 4),
    }


def _reason(row: Mapping[str, Any]) -> str:
    """Why a test entered, in one sentence of its evidence."""
    jobs = ", ".join(str(j) for j in (row.get("jobs") or []))
    flips = int(_number(row.get("same_sha_flips")))
    parts = [f"flaky{' in ' + jobs if jobs else ''}"]
    if flips:
        parts.append(f"failed and passed on the same commit {flips:,} time{'s' * (flips != 1)}")
    parts.append(
        f"{int(_number(row.get('intermittent_failures'))):,} intermittent failures in "
        f"{int(_number(row.get('runs'))):,} runs{_on(row.get('last_flake'))}"
    )
    parts.append(
        f"flake rate {_number(row.get('score')):.1%} ({_number(row.get('score_low')):.1%} to "
        f"{_number(row.get('score_high')):.1%})"
    )
    return "; ".join(parts)


_EVIDENCE = (
    "verdict",
    "score",
    "score_low",
    "score_high",
    "runs",
    "failures",
    "same_sha_flips",
    "intermittent_failures",
    "clean_runs",
    "first_flake",
    "last_flake",
    "jobs",
    "evidence_runs",
)


def _evidence(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: json_value(row.get(name), 4) for name in _EVIDENCE}


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


# -- reading and writing ----------------------------------------------------------------------


def dump_quarantine(document: Mapping[str, Any]) -> str:
    """The list as stable JSON text: keys in their order, two-space indent, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def parse_quarantine(text: str, where: str = "the quarantine list") -> dict[str, Any]:
    """A list read back (checked against :data:`SCHEMA`); QuarantineError says what is wrong."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise QuarantineError(f"{where} is no JSON ({exc}).") from None
    if not isinstance(document, dict):
        raise QuarantineError(f"{where} is no JSON object.")
    version = document.get("version")
    if isinstance(version, int) and version > VERSION:
        raise QuarantineError(
            f"{where} has version {version}, written by a newer CI Medic (this one reads "
            f"version {VERSION})."
        )
    try:
        jsonschema.validate(document, SCHEMA)
    except jsonschema.ValidationError as exc:
        place = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise QuarantineError(f"{where}, at {place}: {exc.message}.") from None
    return document
