"""K-Means: k-means++ with at least 10 starts, k chosen by elbow and consensus rank."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.cluster import KMeans

from segmentkit.methods.search import (
    Search,
    SearchContext,
    search_k,
    search_sample,
    seeded_rows,
    within_cluster_ss,
)

__all__ = ["fit_kmeans", "search_kmeans"]

logger = logging.getLogger(__name__)


def _kmeans(k: int, context: SearchContext, **options: Any) -> KMeans:
    settings = context.clustering.kmeans
    return KMeans(n_clusters=k, max_iter=settings.max_iter, random_state=context.seed, **options)


def fit_kmeans(
    X: np.ndarray, params: dict[str, Any], context: SearchContext
) -> tuple[np.ndarray, KMeans]:
    """Fit K-Means with ``n_init`` k-means++ starts (at least 10) and the run's seed.

    Above ``kmeans.max_rows`` rows the starts run on a seeded sample, and the best
    sample centres initialise one fit on every row: the same optimum for a fraction of
    the cost of ten full starts.
    """
    k = int(params["k"])
    settings = context.clustering.kmeans
    rows = seeded_rows(len(X), settings.max_rows, context.seed)
    if rows is None:
        estimator = _kmeans(k, context, n_init=settings.n_init).fit(X)
    else:
        start = _kmeans(k, context, n_init=settings.n_init).fit(X[rows])
        estimator = _kmeans(k, context, init=start.cluster_centers_, n_init=1).fit(X)
    return np.asarray(estimator.labels_, dtype=int), estimator


def search_kmeans(X: np.ndarray, context: SearchContext) -> Search:
    """Fit K-Means for every candidate k and choose one (elbow + consensus rank)."""
    X, note = search_sample(
        X, context.clustering.kmeans.max_rows, context, method="kmeans", setting="max_rows"
    )

    def partition(k: int) -> np.ndarray:
        return fit_kmeans(X, {"k": k}, context)[0]

    # Recomputed from the labels: scikit-learn's inertia_ sums in thread-dependent order,
    # and the same run must give the same bytes on any number of threads.
    return search_k(
        X,
        context,
        partition,
        extra=lambda _k, labels: {"inertia": within_cluster_ss(X, labels)},
        rule="consensus",
        notes=(note,) if note else (),
    )
