"""Clusters of flaky tests that flake together.

Most flaky tests fail together with others (75% in clusters, in published studies): a shared
fixture, a shared service, one slow machine. Two flaky tests are linked when their intermittent
failures share at least ``min_shared`` runs and the Jaccard index of their failing runs is at
least ``min_jaccard``; a cluster is a connected group of linked tests. Fixing the shared cause
fixes the whole cluster, so the page shows them together.

A cluster is named by its position among the clusters ordered by their first test_id (then, for
two clusters of one test's series in different jobs, by their members), so the names do not
depend on the order of the input, nor on how the tests were numbered (in chunks, :mod:`.chunks`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from agents.flaky_tests.config import ClusterRule

__all__ = ["cluster_names"]


def cluster_names(
    test: np.ndarray,
    run: np.ndarray,
    names: np.ndarray,
    rule: ClusterRule,
    jobs: np.ndarray | None = None,
) -> np.ndarray:
    """Per test code (``len(names)`` of them): its cluster's name, or None when it flakes
    alone. ``test`` and ``run`` are the codes of the intermittent failures of flaky tests;
    ``jobs``, the job of each test code (a series), tells apart clusters of the same tests."""
    labels = np.full(len(names), None, dtype=object)
    if len(test) == 0:
        return labels
    members, row = np.unique(test, return_inverse=True)
    _, col = np.unique(run, return_inverse=True)
    incidence = coo_matrix(
        (np.ones(len(row)), (row, col)), shape=(len(members), int(col.max()) + 1)
    ).tocsr()
    incidence.data[:] = 1.0  # duplicates summed by tocsr: a run counts once per test
    shared = (incidence @ incidence.T).tocoo()
    sizes = np.asarray(incidence.sum(axis=1)).ravel()
    union = sizes[shared.row] + sizes[shared.col] - shared.data
    linked = (
        (shared.row != shared.col)
        & (shared.data >= rule.min_shared)
        & (shared.data >= rule.min_jaccard * union)
    )
    graph = csr_matrix(
        (np.ones(int(linked.sum())), (shared.row[linked], shared.col[linked])),
        shape=(len(members), len(members)),
    )
    _, component = connected_components(graph, directed=False)
    size = np.bincount(component)
    grouped = size[component] > 1
    if not grouped.any():
        return labels
    found = pd.DataFrame({"comp": component[grouped], "name": names[members[grouped]].astype(str)})
    found["member"] = found["name"]
    if jobs is not None:
        found["member"] += [f"\x00{job}" for job in jobs[members[grouped]]]
    per = found.sort_values("member", kind="stable").groupby("comp")
    order = pd.DataFrame({"first": per["name"].min(), "members": per["member"].agg("\x01".join)})
    first = order.sort_values(["first", "members"], kind="stable")
    rank = pd.Series(np.arange(1, len(first) + 1), index=first.index)
    labels[members[grouped]] = ("cluster-" + rank[found["comp"]].astype(str)).to_numpy()
    return labels
