"""The registry of clustering methods and the one function that runs an entry.

Adding a method is one entry in :data:`METHODS`: a search that chooses parameters on the
rows that decide the segmentation, and a fit that applies them to every row and returns
an estimator whose ``predict`` places any prepared row in a segment.
"""

from __future__ import annotations

import logging

import numpy as np

from segmentkit.evaluation import cluster_metrics
from segmentkit.methods.agglomerative import fit_agglomerative, search_agglomerative
from segmentkit.methods.base import (
    MethodResult,
    MethodSpec,
    Search,
    SearchContext,
    SegmentAssigner,
    candidate_ks,
    size_order,
)
from segmentkit.methods.dbscan import fit_dbscan, search_dbscan
from segmentkit.methods.gmm import fit_gmm, search_gmm
from segmentkit.methods.kmeans import fit_kmeans, search_kmeans
from segmentkit.progress import add_steps, advance
from segmentkit.stability import bootstrap_stability

__all__ = [
    "METHODS",
    "MethodResult",
    "MethodSpec",
    "Search",
    "SearchContext",
    "SegmentAssigner",
    "candidate_ks",
    "run_method",
    "size_order",
]

logger = logging.getLogger(__name__)

#: Every method segmentkit can run, in reporting order.
METHODS: dict[str, MethodSpec] = {
    "kmeans": MethodSpec("kmeans", "K-Means", search_kmeans, fit_kmeans),
    "agglomerative": MethodSpec(
        "agglomerative", "Agglomerative (hierarchical)", search_agglomerative, fit_agglomerative
    ),
    "gmm": MethodSpec("gmm", "Gaussian Mixture", search_gmm, fit_gmm),
    "dbscan": MethodSpec("dbscan", "DBSCAN", search_dbscan, fit_dbscan),
}


def run_method(
    spec: MethodSpec, X_search: np.ndarray, X_all: np.ndarray, context: SearchContext
) -> MethodResult:
    """Search a method's parameters on ``X_search``, then fit the chosen ones on ``X_all``.

    Segments are renumbered by size (``0`` the largest), the criteria of the final
    segmentation are computed on ``X_all``, and its bootstrap stability is measured on
    ``X_search`` with the chosen parameters.

    Parameters
    ----------
    spec : MethodSpec
        The registry entry.
    X_search : numpy.ndarray
        Rows that decide the parameters (flagged outliers left out).
    X_all : numpy.ndarray
        Every row to segment.
    context : SearchContext
        Seed and settings.

    Returns
    -------
    MethodResult
    """
    search = spec.search(X_search, context)
    logger.info("%s: %s", spec.name, search.summary)
    settings = context.clustering.stability
    add_steps(1 + settings.n_resamples)
    raw, estimator = spec.fit(X_all, search.params, context)
    advance()
    assigner = SegmentAssigner(estimator, size_order(raw))
    labels = assigner.relabel(raw)
    metrics = cluster_metrics(
        X_all, labels, sample_size=context.clustering.silhouette_sample_size, seed=context.seed
    )
    stability = None
    if settings.n_resamples > 0 and metrics.n_segments >= 2:
        stability = bootstrap_stability(
            X_search,
            assigner.predict,
            lambda X: spec.fit(X, search.params, context)[0],
            n_resamples=settings.n_resamples,
            seed=context.seed,
            max_rows=settings.max_rows,
            jaccard_threshold=settings.jaccard_threshold,
        )
        logger.info(
            "%s: stability mean ARI %.3f over %d resamples%s",
            spec.name,
            stability.mean_ari,
            stability.n_resamples,
            f"; segments not surviving resampling: {list(stability.unstable_segments)}"
            if stability.unstable_segments
            else "",
        )
    return MethodResult(
        method=spec.name,
        labels=labels,
        params=search.params,
        criteria=search.criteria,
        choice_summary=search.summary,
        criteria_agree=search.agree,
        metrics=metrics,
        assigner=assigner,
        notes=search.notes,
        curves=search.curves,
        stability=stability,
    )
