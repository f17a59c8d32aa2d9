"""A finer alternative when the recommended segmentation has only two segments.

Two segments is an honest answer when the criteria say so, but it leaves a marketer
little to act on and nothing to compare. The run then also fits the recommended method
(K-Means when it has no number of segments, as DBSCAN) at every k from 3 to 8, measures
the bootstrap stability of each (``stability.n_resamples`` resamples of a seeded sample
of 2,000 customers), and keeps the most stable one
(stabilities equal to two decimals are a tie, which goes to the larger k: as stable, and more to
act on). It is shown next to the recommendation, clearly labelled as an alternative,
never in its place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from segmentkit.methods import (
    METHODS,
    MethodResult,
    SearchContext,
    SegmentAssigner,
    SplitRows,
    fit_and_place,
    judge,
)
from segmentkit.methods.k_range import n_distinct
from segmentkit.selection.stability import Stability, bootstrap_stability

__all__ = ["ALTERNATIVE_KS", "Alternative", "finer_alternative"]

logger = logging.getLogger(__name__)

#: Numbers of segments an alternative may have.
ALTERNATIVE_KS = range(3, 9)
#: Rows each candidate's resamples are drawn from (its resamples: stability.n_resamples).
_ROWS = 2_000


@dataclass(frozen=True)
class Alternative:
    """The most stable finer segmentation.

    Attributes
    ----------
    result : MethodResult
        The alternative segmentation of every customer, with its criteria and stability.
    tried : dict
        k to the stability measured for it.
    """

    result: MethodResult
    tried: dict[int, float]

    @property
    def method(self) -> str:
        """The method that produced it."""
        return self.result.method

    def summary(self) -> str:
        """One sentence for the terminal, the report and ``run.json``."""
        result = self.result
        stability = result.stability.mean_ari if result.stability is not None else float("nan")
        silhouette = result.metrics.silhouette
        return (
            f"finer alternative: {result.method} with {result.n_segments} segments "
            f"(stability {stability:.2f}"
            + (f", silhouette {silhouette:.2f}" if silhouette is not None else "")
            + f"; the most stable of k = {ALTERNATIVE_KS.start}-{ALTERNATIVE_KS.stop - 1}) "
            "in segments.csv column segment_alternative"
        )


def finer_alternative(
    recommended: MethodResult,
    X: np.ndarray,
    fit_mask: np.ndarray,
    context: SearchContext,
) -> Alternative | None:
    """Return the most stable finer segmentation when ``recommended`` has two segments.

    Parameters
    ----------
    recommended : MethodResult
        The recommended segmentation.
    X : numpy.ndarray of shape (n, d)
        Every row, as the methods saw them.
    fit_mask : numpy.ndarray of bool
        Rows that shape the segments.
    context : SearchContext
        Seed and settings (the user's fixed k turns this off).

    Returns
    -------
    Alternative or None
        ``None`` when the recommendation has more than two segments, k was fixed by the
        user, stability is turned off, or no finer candidate can be fitted.
    """
    n_resamples = context.clustering.stability.n_resamples
    if recommended.n_segments != 2 or context.clustering.k is not None or n_resamples == 0:
        return None
    name = recommended.method if "k" in recommended.params else "kmeans"
    spec = METHODS[name]
    same = name == recommended.method
    base = {p: v for p, v in recommended.params.items() if p != "k"} if same else {}
    rows = SplitRows.of(X, fit_mask)
    X_fit = rows.fit
    # K-Means only warns when asked for more segments than distinct customers.
    ks = [k for k in ALTERNATIVE_KS if k < n_distinct(X_fit)]
    tried: dict[int, float] = {}
    best: tuple[tuple[float, float], int, Stability, np.ndarray, SegmentAssigner] | None = None
    for k in ks:
        params = {**base, "k": k}
        try:
            # Fitted like the methods: on the rows that shape segments, the others placed.
            labels, assigner = fit_and_place(spec, rows, params, context)
        except ValueError:  # too few distinct customers for k segments
            break

        def refit(rows: np.ndarray, params: dict[str, Any] = params) -> np.ndarray:
            return np.asarray(spec.fit(rows, params, context)[0])

        stability = bootstrap_stability(
            X_fit,
            assigner.predict,
            refit,
            n_resamples=n_resamples,
            seed=context.seed,
            max_rows=_ROWS,
            jaccard_threshold=context.clustering.stability.jaccard_threshold,
        )
        tried[k] = stability.mean_ari
        # Stabilities equal to two decimals are a tie, which goes to the finer candidate:
        # as stable, and more to act on.
        key = (round(stability.mean_ari, 2), float(k))
        if best is None or key > best[0]:
            best = (key, k, stability, labels, assigner)
    if best is None:
        return None
    _, k, stability, labels, assigner = best
    params = {**base, "k": k}
    metrics = judge(rows, labels, context)
    if metrics.n_segments <= recommended.n_segments:
        return None  # the data did not hold a finer segmentation after all
    result = MethodResult(
        method=name,
        labels=labels,
        params=params,
        criteria=recommended.criteria.iloc[0:0],
        choice_summary=f"most stable of k = {', '.join(map(str, tried))}",
        criteria_agree=True,
        metrics=metrics,
        assigner=assigner,
        notes=(),
        stability=stability,
    )
    alternative = Alternative(result, tried)
    logger.info("%s", alternative.summary())
    return alternative
