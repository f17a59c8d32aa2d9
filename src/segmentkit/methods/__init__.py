"""The registry of clustering methods and the one function that runs an entry.

Adding a method is one entry in :data:`METHODS`: a search that chooses parameters on the
rows that decide the segmentation, and a fit that applies them to every row and returns
an estimator whose ``predict`` places any prepared row in a segment.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
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
    "SplitRows",
    "candidate_ks",
    "fit_and_place",
    "judge",
    "run_method",
    "run_split",
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


@dataclass(frozen=True)
class SplitRows:
    """The rows to segment: those that shape the segments, and the others, apart.

    The methods fit, judge and resample the first and only place the second, so a worker
    receives the two parts instead of the whole matrix and copying the first part out of
    it (1.3 GB at 10,000,000 customers, in each worker).

    Attributes
    ----------
    fit : numpy.ndarray of shape (n_fit, d)
        The rows that shape the segments, in order.
    other : numpy.ndarray of shape (n - n_fit, d)
        The other rows (flagged outliers), in order.
    mask : numpy.ndarray of bool, shape (n,)
        Which rows are in ``fit``.
    """

    fit: np.ndarray
    other: np.ndarray
    mask: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray, fit_mask: np.ndarray | None = None) -> SplitRows:
        """Split ``X`` by ``fit_mask`` (every row shapes the segments when omitted).

        When every row does, ``fit`` is ``X`` itself, not a copy.
        """
        mask = np.ones(len(X), dtype=bool) if fit_mask is None else np.asarray(fit_mask, bool)
        if mask.all():
            return cls(X, X[:0], mask)
        return cls(X[mask], X[~mask], mask)


def fit_and_place(
    spec: MethodSpec,
    rows: SplitRows,
    params: dict[str, Any],
    context: SearchContext,
) -> tuple[np.ndarray, SegmentAssigner]:
    """Fit ``params`` on the rows that shape segments and place the others with that model.

    Segments are numbered by their sizes among the fitted rows (``0`` the largest).

    Returns
    -------
    labels : numpy.ndarray of shape (n,)
        Segment of every row (``-1`` noise), in the order of the rows before the split.
    assigner : SegmentAssigner
        Places any prepared row, as for new customers.
    """
    fitted, estimator = spec.fit(rows.fit, params, context)
    raw = np.empty(len(rows.mask), dtype=int)
    raw[rows.mask] = fitted
    if len(rows.other):
        raw[~rows.mask] = np.asarray(estimator.predict(rows.other), dtype=int)
    assigner = SegmentAssigner(estimator, size_order(np.asarray(fitted, dtype=int)))
    return assigner.relabel(raw), assigner


def judge(rows: SplitRows, labels: np.ndarray, context: SearchContext) -> ClusterMetrics:
    """Return the criteria of a segmentation, measured on the rows that shaped it.

    The noise share counts every customer, outliers the fitted model left as noise
    included; the near-neighbour separation is added where there are two segments.
    """
    # The rows the search scored its candidates on, when it used them all: their
    # distances and neighbour graph are shared (``context.shared``).
    metrics = measure(rows.fit, labels[rows.mask], context)
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
    return run_split(spec, SplitRows.of(X, fit_mask), context)


def run_split(spec: MethodSpec, rows: SplitRows, context: SearchContext) -> MethodResult:
    """:func:`run_method` on rows already split into those that shape segments and the others."""
    X_fit = rows.fit
    search = spec.search(X_fit, context)
    usable = "not a usable segmentation" not in search.summary
    (logger.info if usable else logger.warning)("%s: %s", spec.name, search.summary)
    settings = context.clustering.stability
    add_steps(1 + settings.n_resamples)
    labels, assigner = fit_and_place(spec, rows, search.params, context)
    advance()
    metrics = judge(rows, labels, context)
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
