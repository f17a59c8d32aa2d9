"""Agglomerative (hierarchical) clustering: one tree, cut at every candidate k.

The tree is built once with SciPy (Ward linkage by default) and cut with ``maxclust`` at
each candidate, so the search costs one O(n²) build rather than one per k. Above
``agglomerative.max_rows`` rows the tree is built on a seeded sample (said in the log and
the result's notes) and every other customer joins the nearest segment centroid.
New customers are scored the same way (scikit-learn's ``NearestCentroid``).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.neighbors import NearestCentroid

from segmentkit.methods.base import (
    Search,
    SearchContext,
    candidate_ks,
    choose,
    criteria_row,
    n_distinct,
    seeded_rows,
    within_cluster_ss,
)

__all__ = ["fit_agglomerative", "search_agglomerative"]

logger = logging.getLogger(__name__)


def _rows(X: np.ndarray, context: SearchContext) -> np.ndarray | None:
    return seeded_rows(len(X), context.clustering.agglomerative.max_rows, context.seed)


def _tree(X: np.ndarray, context: SearchContext) -> np.ndarray:
    method = context.clustering.agglomerative.linkage
    return linkage(X, method=method, metric="euclidean")


def _cut(tree: np.ndarray, k: int) -> np.ndarray:
    labels = fcluster(tree, t=k, criterion="maxclust")
    # fcluster numbers from 1 and may merge ties into fewer clusters than asked.
    return np.unique(labels, return_inverse=True)[1].astype(int)


def search_agglomerative(X: np.ndarray, context: SearchContext) -> Search:
    """Cut one hierarchical tree at every candidate k and choose one (elbow + consensus)."""
    rows_used = _rows(X, context)
    X_tree = X if rows_used is None else X[rows_used]
    notes: tuple[str, ...] = ()
    if rows_used is not None:
        notes = (
            f"agglomerative: the tree was built on a seeded sample of {len(X_tree):,} of "
            f"{len(X):,} rows (its memory grows with the square of the rows); the rest "
            "joined the nearest centroid",
        )
        logger.warning("%s", notes[0])
    ks = candidate_ks(len(X_tree), n_distinct(X_tree), context.clustering)
    tree = _tree(X_tree, context)
    rows = []
    for k in ks:
        labels = _cut(tree, k)
        rows.append(
            {
                "k": k,
                "n_segments_found": len(np.unique(labels)),
                "inertia": within_cluster_ss(X_tree, labels),
                **criteria_row(X_tree, labels, context),
            }
        )
    curves = {"linkage": tree.tolist()} if len(X_tree) <= 5_000 else {}
    return choose(pd.DataFrame(rows), "k", elbow_column="inertia", notes=notes, curves=curves)


def fit_agglomerative(
    X: np.ndarray, params: dict[str, Any], context: SearchContext
) -> tuple[np.ndarray, NearestCentroid]:
    """Build the tree (on a sample when large), cut it at ``k``, assign the rest by centroid."""
    rows_used = _rows(X, context)
    X_tree = X if rows_used is None else X[rows_used]
    labels_sample = _cut(_tree(X_tree, context), int(params["k"]))
    with warnings.catch_warnings():
        # A one-hot column constant within a segment is expected, not a problem: the
        # centroid distance does not use the per-class spread this warning is about.
        warnings.filterwarnings("ignore", message=".*zero standard deviation", category=UserWarning)
        assigner = NearestCentroid().fit(X_tree, labels_sample)
    if rows_used is None:
        return labels_sample, assigner
    return np.asarray(assigner.predict(X), dtype=int), assigner
