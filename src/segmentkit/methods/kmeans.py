"""K-Means: k-means++ with at least 10 starts, k chosen by elbow and consensus rank."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from segmentkit.methods.base import (
    Search,
    SearchContext,
    candidate_ks,
    choose,
    criteria_row,
    n_distinct,
    within_cluster_ss,
)

__all__ = ["fit_kmeans", "search_kmeans"]

logger = logging.getLogger(__name__)


def fit_kmeans(
    X: np.ndarray, params: dict[str, Any], context: SearchContext
) -> tuple[np.ndarray, KMeans]:
    """Fit K-Means with ``n_init`` k-means++ starts (at least 10) and the run's seed."""
    settings = context.clustering.kmeans
    estimator = KMeans(
        n_clusters=int(params["k"]),
        n_init=settings.n_init,
        max_iter=settings.max_iter,
        random_state=context.seed,
    ).fit(X)
    return np.asarray(estimator.labels_, dtype=int), estimator


def search_kmeans(X: np.ndarray, context: SearchContext) -> Search:
    """Fit K-Means for every candidate k and choose one (elbow + consensus rank)."""
    rows = []
    for k in candidate_ks(len(X), n_distinct(X), context.clustering):
        labels, _ = fit_kmeans(X, {"k": k}, context)
        # Recomputed from the labels: scikit-learn's inertia_ sums in thread-dependent
        # order, and the same run must give the same bytes on any number of threads.
        inertia = within_cluster_ss(X, labels)
        rows.append({"k": k, "inertia": inertia, **criteria_row(X, labels, context)})
        logger.debug("kmeans k=%d inertia=%.4g", k, inertia)
    return choose(pd.DataFrame(rows), "k", elbow_column="inertia")
