"""Genie: hierarchical clustering that keeps segments from getting too uneven.

Genie (Gagolewski, Bartoszuk & Cena 2016; the ``genieclust`` package) merges the two
nearest segments of a minimum spanning tree, as single linkage does, except that while
the Gini index of the segment sizes is above ``genie.gini_threshold`` it merges the
smallest segment instead. It follows elongated, curved and nested shapes that K-Means and
Ward cut across, without single linkage's habit of leaving one giant segment and a few
stragglers; in the benchmark that motivated it, it had the best mean and median adjusted
Rand index of the methods given the true number of groups.

One fit gives every coarser partition (``coarser=True``), so each candidate k costs a cut,
not a fit. Genie has no random start: the same rows give the same tree for any seed.

Up to ``genie.max_rows`` rows the tree is grown on the customers themselves, and a new
customer joins the segment of the nearest fitted customer. Above it, as for
Agglomerative, the tree grows from K-Means micro-clusters (their centres; Genie has no
weights) and every customer takes the segment of its micro-cluster; the notes say so.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from segmentkit.methods.agglomerative import MicroClusterAssigner, micro_clusters
from segmentkit.methods.k_range import n_distinct
from segmentkit.methods.search import (
    Search,
    SearchContext,
    search_k,
    search_sample,
    within_cluster_ss,
)

__all__ = ["fit_genie", "search_genie"]

logger = logging.getLogger(__name__)


def _genie(n_clusters: int, context: SearchContext) -> Any:
    # Imported here: genieclust pulls in its compiled extensions, and importing segmentkit
    # must stay light.
    import genieclust

    return genieclust.Genie(
        n_clusters=n_clusters,
        gini_threshold=context.clustering.genie.gini_threshold,
        coarser=True,
    )


def _micro_points(
    X: np.ndarray, context: SearchContext
) -> tuple[np.ndarray, np.ndarray | None, str]:
    settings = context.clustering.genie
    if len(X) <= settings.max_rows:
        return X, None, ""
    centres, members = micro_clusters(X, settings.micro_clusters, context)
    note = (
        f"genie: the tree was grown from {len(centres):,} K-Means micro-clusters of the "
        f"{len(X):,} customers; each customer takes the segment of its micro-cluster"
    )
    return centres, members, note


class _Cuts:
    """Genie's partitions of ``points`` for any k, from one minimum spanning tree.

    The Genie model is kept with the points it was fitted on: asked for more segments
    than it holds, it is refitted on the same array, and genieclust then reuses its
    minimum spanning tree (the costly part) instead of growing it again.
    """

    def __init__(self, points: np.ndarray, context: SearchContext) -> None:
        self.points = np.ascontiguousarray(points, dtype=float)
        self._fitted = self.points
        if self.points.shape[1] == 1:
            # genieclust's spanning tree (quitefastmst) refuses a single column ("X is
            # ill-shaped"); a constant second column changes no distance, so neither the
            # tree nor its cuts.
            self._fitted = np.column_stack([self.points, np.zeros(len(self.points))])
        self.context = context
        self.matrix = np.zeros((0, len(points)), dtype=int)
        self.model: Any = None

    def __call__(self, k: int) -> np.ndarray:
        if k > len(self.matrix):
            # Fit for a few more than asked, so a widened search refits rarely.
            n_clusters = min(len(self.points) - 1, k + 10)
            if self.model is None:
                self.model = _genie(n_clusters, self.context)
            self.model.set_params(n_clusters=n_clusters).fit(self._fitted)
            # labels_matrix_[j] holds the partition into j + 1 segments.
            self.matrix = np.asarray(self.model.labels_matrix_, dtype=int)
        return np.unique(self.matrix[k - 1], return_inverse=True)[1].astype(int)


def _tree(X: np.ndarray, context: SearchContext) -> tuple[np.ndarray | None, str, _Cuts]:
    """Return each row's micro-cluster (``None``: the rows themselves), the note, the cuts.

    Grown once per rows and settings; a search and a fit of the same rows share it.
    """
    settings = context.clustering.genie
    key = (settings.gini_threshold, settings.max_rows, settings.micro_clusters, context.seed)

    def grow() -> tuple[np.ndarray | None, str, _Cuts]:
        points, members, note = _micro_points(X, context)
        return members, note, _Cuts(points, context)

    # The final fit cuts the tree the k search grew on the same rows.
    members, note, cuts = context.shared.trees("genie").get(X, key, grow)
    if note:
        # Said by every search and fit that uses the tree, grown now or before.
        logger.info("%s", note)
    return members, note, cuts


def search_genie(X: np.ndarray, context: SearchContext) -> Search:
    """Grow one Genie tree, cut it at every candidate k and choose one."""
    X, sample_note = search_sample(
        X,
        context.clustering.genie.search_max_rows,
        context,
        method="genie",
        setting="search_max_rows",
    )
    members, tree_note, cuts = _tree(X, context)
    points = cuts.points
    notes = [note for note in (sample_note, tree_note) if note]

    def partition(k: int) -> np.ndarray:
        labels = cuts(k)
        return labels if members is None else labels[members]

    return search_k(
        X,
        context,
        partition,
        n_points=len(points),
        n_unique=n_distinct(points),
        extra=lambda _k, labels: {"inertia": within_cluster_ss(X, labels)},
        notes=tuple(notes),
    )


def fit_genie(
    X: np.ndarray, params: dict[str, Any], context: SearchContext
) -> tuple[np.ndarray, MicroClusterAssigner]:
    """Grow the tree (from micro-clusters when large) and cut it at ``k``.

    The returned assigner places a row in the segment of the nearest point the tree grew
    on: a fitted customer, or a micro-cluster centre.
    """
    k = int(params["k"])
    members, _, cuts = _tree(X, context)
    labels = cuts(k)
    assigner = MicroClusterAssigner(cuts.points, labels)
    return (labels if members is None else labels[members]), assigner
