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
    seeded_rows,
    within_cluster_ss,
)
from segmentkit.progress import add_steps, advance

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
    settings = context.clustering.kmeans
    rows = seeded_rows(len(X), settings.max_rows, context.seed)
    notes: list[str] = []
    if rows is not None:
        notes.append(
            f"k chosen on a seeded sample of {len(rows):,} of {len(X):,} customers "
            "(clustering.kmeans.max_rows)"
        )
        logger.info("kmeans: %s", notes[-1])
        X = X[rows]
    rows_out = []
    ks = candidate_ks(len(X), n_distinct(X), context.clustering)
    add_steps(len(ks))
    for k in ks:
        labels, _ = fit_kmeans(X, {"k": k}, context)
        # Recomputed from the labels: scikit-learn's inertia_ sums in thread-dependent
        # order, and the same run must give the same bytes on any number of threads.
        inertia = within_cluster_ss(X, labels)
        rows_out.append({"k": k, "inertia": inertia, **criteria_row(X, labels, context)})
        logger.debug("kmeans k=%d inertia=%.4g", k, inertia)
        advance()
    return choose(pd.DataFrame(rows_out), "k", elbow_column="inertia", notes=tuple(notes))
