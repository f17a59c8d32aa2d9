"""The registry of clustering methods and the one function that runs an entry.

Adding a method is one entry in :data:`METHODS`: a search that chooses parameters on the
rows that decide the segmentation, and a fit that applies them to every row and returns
an estimator whose ``predict`` places any prepared row in a segment.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from segmentkit.methods.agglomerative import fit_agglomerative, search_agglomerative
from segmentkit.methods.base import MethodResult, MethodSpec, SegmentAssigner, size_order
from segmentkit.methods.dbscan import fit_dbscan, search_dbscan
from segmentkit.methods.genie import fit_genie, search_genie
from segmentkit.methods.gmm import fit_gmm, search_gmm
from segmentkit.methods.k_range import candidate_ks
from segmentkit.methods.kmeans import fit_kmeans, search_kmeans
from segmentkit.methods.search import Search, SearchContext, measure
from segmentkit.progress import add_steps, advance
from segmentkit.selection.criteria import ClusterMetrics
from segmentkit.selection.stability import FINE_STABILITY, bootstrap_stability

__all__ = [
    "METHODS",
    "MethodResult",
    "MethodSpec",
    "Search",
    "SearchContext",
    "SegmentAssigner",
    "candidate_ks",
    "fit_and_place",
    "judge",
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
    "genie": MethodSpec("genie", "Genie", search_genie, fit_genie),
}


def fit_and_place(
    spec: MethodSpec,
    X: np.ndarray,
    fit_rows: np.ndarray,
    params: dict[str, Any],
    context: SearchContext,
) -> tuple[np.ndarray, SegmentAssigner]:
    """Fit ``params`` on the rows that shape segments and place the others with that model.

    Segments are numbered by their sizes among the fitted rows (``0`` the largest).

    Returns
    -------
    labels : numpy.ndarray of shape (n,)
        Segment of every row (``-1`` noise).
    assigner : SegmentAssigner
        Places any prepared row, as for new customers.
    """
    fitted, estimator = spec.fit(X[fit_rows], params, context)
    raw = np.empty(len(X), dtype=int)
    raw[fit_rows] = fitted
    if not fit_rows.all():
        raw[~fit_rows] = np.asarray(estimator.predict(X[~fit_rows]), dtype=int)
    assigner = SegmentAssigner(estimator, size_order(np.asarray(fitted, dtype=int)))
    return assigner.relabel(raw), assigner


def judge(
    X: np.ndarray, labels: np.ndarray, fit_rows: np.ndarray, context: SearchContext
) -> ClusterMetrics:
    """Return the criteria of a segmentation, measured on the rows that shaped it.

    The noise share counts every customer, outliers the fitted model left as noise
    included; the near-neighbour separation is added where there are two segments.
    """
    # The rows the search scored its candidates on, when it used them all: their
    # distances and neighbour graph are shared (``context.shared``).
    metrics = measure(X[fit_rows], labels[fit_rows], context)
    return dataclasses.replace(metrics, noise_share=float(np.mean(labels < 0)))


def run_method(
    spec: MethodSpec,
    X: np.ndarray,
    context: SearchContext,
    *,
    fit_mask: np.ndarray | None = None,
) -> MethodResult:
    """Search a method's parameters and fit the chosen ones on the rows that shape segments.

    One population chooses and fits: the rows of ``fit_mask`` (every row when omitted;
    flagged outliers are left out) choose the parameters, fit the final model, and are
    the rows its criteria and stability are measured on. The other rows never form or
    define a segment: each joins the segment the fitted model places it in, as a new
    customer would. Segments are renumbered by size (``0`` the largest).

    Parameters
    ----------
    spec : MethodSpec
        The registry entry.
    X : numpy.ndarray of shape (n, d)
        Every row to segment.
    context : SearchContext
        Seed and settings.
    fit_mask : numpy.ndarray of bool, optional
        Rows that shape the segments.

    Returns
    -------
    MethodResult
    """
    fit_rows = np.ones(len(X), dtype=bool) if fit_mask is None else np.asarray(fit_mask, bool)
    X_fit = X[fit_rows]
    search = spec.search(X_fit, context)
    usable = "not a usable segmentation" not in search.summary
    (logger.info if usable else logger.warning)("%s: %s", spec.name, search.summary)
    settings = context.clustering.stability
    add_steps(1 + settings.n_resamples)
    labels, assigner = fit_and_place(spec, X, fit_rows, search.params, context)
    advance()
    metrics = judge(X, labels, fit_rows, context)
    stability = None
    if settings.n_resamples > 0 and metrics.n_segments >= 2:
        stability = bootstrap_stability(
            X_fit,
            assigner.predict,
            lambda X: spec.fit(X, search.params, context)[0],
            n_resamples=settings.n_resamples,
            seed=context.seed,
            max_rows=settings.max_rows,
            jaccard_threshold=settings.jaccard_threshold,
            tolerance=settings.tolerance,
            # What the recommendation decides by: the gate and a finer segmentation's bar.
            ari_thresholds=(settings.min_stability, FINE_STABILITY),
        )
        logger.info(
            "%s: stability mean ARI %.3f over %d resamples%s%s",
            spec.name,
            stability.mean_ari,
            stability.n_resamples,
            " (settled: more could not change the decision)"
            if stability.n_resamples < settings.n_resamples
            else "",
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
