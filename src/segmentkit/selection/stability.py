"""Bootstrap stability of a segmentation (after Hennig's clusterboot).

Each resample draws customers with replacement (seeded), refits the method with its
chosen parameters, and compares the new segments with the original ones on the distinct
customers drawn: the adjusted Rand index for the whole segmentation, and for every
original segment the best Jaccard overlap with a new segment. A segment whose mean
Jaccard stays below ``jaccard_threshold`` (0.6 by default; Hennig reads < 0.6 as "should
not be trusted", >= 0.75 as "stable") is flagged as not surviving resampling. Above
``max_rows`` rows, resamples are drawn from a seeded subset of that size.

Resampling stops early once more resamples could not change what the run says: after
at least ``MIN_RESAMPLES``, when the 95% Student-t interval of the mean ARI and of every
segment's mean Jaccard is narrower than ``± tolerance`` and holds none of the thresholds
the run decides by (the stability gates, the Jaccard threshold). A clearly stable (or
clearly unstable) segmentation then costs four refits instead of ten; the resamples
drawn are the first ones of the full sequence, so the numbers are those the full run
would show after as many resamples.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import t as student_t
from sklearn.metrics import adjusted_rand_score

from segmentkit.progress import advance

__all__ = [
    "FINE_STABILITY",
    "MIN_RESAMPLES",
    "MIN_STABILITY",
    "Stability",
    "bootstrap_stability",
    "settled",
]

logger = logging.getLogger(__name__)

#: Default stability gate (Hennig's clusterboot reads values below 0.6 as not trustworthy).
MIN_STABILITY = 0.6
#: The stability a finer segmentation needs to replace the best separated one
#: (:mod:`segmentkit.selection.method_choice`, step 4).
FINE_STABILITY = 0.8
#: Fewest resamples before resampling may stop early: the spread of fewer says little.
MIN_RESAMPLES = 4


@dataclass(frozen=True)
class Stability:
    """Bootstrap stability of one segmentation.

    Attributes
    ----------
    mean_ari : float
        Mean adjusted Rand index between the original and resampled segmentations.
    segment_jaccard : dict
        Segment to its mean best Jaccard overlap across resamples.
    unstable_segments : tuple of int
        Segments whose mean Jaccard is below the threshold.
    n_resamples : int
        Resamples drawn (fewer than asked when the numbers settled early).
    sample_size : int
        Customers each resample is drawn from.
    """

    mean_ari: float
    segment_jaccard: dict[int, float]
    unstable_segments: tuple[int, ...]
    n_resamples: int
    sample_size: int


def _best_jaccard(original: np.ndarray, new: np.ndarray, segment: int) -> float:
    members = original == segment
    if not members.any():
        return float("nan")
    best = 0.0
    for candidate in np.unique(new[members]):
        if candidate < 0:
            continue
        other = new == candidate
        union = np.count_nonzero(members | other)
        best = max(best, np.count_nonzero(members & other) / union)
    return best


def settled(values: list[float], tolerance: float, thresholds: tuple[float, ...]) -> bool:
    """Whether the mean of ``values`` is known to ``± tolerance`` on one side of every threshold.

    The 95% Student-t interval of the mean must be at most ``tolerance`` wide on each
    side and hold none of ``thresholds``; never before ``MIN_RESAMPLES`` values.

    Examples
    --------
    >>> settled([0.97, 0.98, 0.99, 0.98], 0.02, (0.6, 0.8))
    True
    >>> settled([0.97, 0.98, 0.99], 0.02, (0.6, 0.8))
    False
    >>> settled([0.5, 0.9, 0.7, 0.8], 0.02, (0.6, 0.8))
    False
    >>> settled([0.805, 0.8, 0.81, 0.8], 0.02, (0.6, 0.8))
    False
    """
    if len(values) < MIN_RESAMPLES or tolerance <= 0:
        return False
    mean = float(np.mean(values))
    half_width = float(
        student_t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values))
    )
    return half_width <= tolerance and not any(
        mean - half_width <= threshold <= mean + half_width for threshold in thresholds
    )


def bootstrap_stability(
    X: np.ndarray,
    assign: Callable[[np.ndarray], np.ndarray],
    refit: Callable[[np.ndarray], np.ndarray],
    *,
    n_resamples: int,
    seed: int,
    max_rows: int,
    jaccard_threshold: float,
    tolerance: float = 0.0,
    ari_thresholds: tuple[float, ...] = (),
) -> Stability:
    """Measure how well a segmentation survives bootstrap resampling.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        The rows the segmentation was fitted on.
    assign : callable
        ``assign(X_rows) -> labels``: the segments of the original segmentation (``-1``
        noise is ignored as a segment). Only the rows resampled from are assigned, so a
        large ``X`` costs no more than ``max_rows`` rows.
    refit : callable
        ``refit(X_resample) -> labels`` with the method's chosen parameters.
    n_resamples : int
        Most bootstrap resamples.
    seed : int
        Seed of the resampling.
    max_rows : int
        Resample from a seeded subset of this many rows when ``n`` is larger.
    jaccard_threshold : float
        Segments below this mean Jaccard are flagged.
    tolerance : float, default 0
        Stop early once the mean ARI and every segment's mean Jaccard are :func:`settled`
        to this precision (``0``: draw every resample).
    ari_thresholds : tuple of float, default ()
        Stabilities the caller decides by; the mean ARI is settled only clear of them.

    Returns
    -------
    Stability
    """
    rng = np.random.default_rng(seed)
    pool = np.arange(len(X))
    if len(X) > max_rows:
        pool = np.sort(rng.choice(len(X), size=max_rows, replace=False))
    labels = np.full(len(X), -1, dtype=int)
    labels[pool] = np.asarray(assign(X[pool]), dtype=int)
    segments = [int(s) for s in np.unique(labels[pool][labels[pool] >= 0])]
    aris: list[float] = []
    jaccards: dict[int, list[float]] = {s: [] for s in segments}
    for _ in range(n_resamples):
        drawn = rng.choice(pool, size=len(pool), replace=True)
        new = np.asarray(refit(X[drawn]), dtype=int)
        # Compare on distinct customers: duplicates would count one customer twice.
        distinct, first = np.unique(drawn, return_index=True)
        original, resampled = labels[distinct], new[first]
        aris.append(float(adjusted_rand_score(original, resampled)))
        for segment in segments:
            value = _best_jaccard(original, resampled, segment)
            if not np.isnan(value):
                jaccards[segment].append(value)
        advance()
        if settled(aris, tolerance, ari_thresholds) and all(
            settled(values, tolerance, (jaccard_threshold,)) for values in jaccards.values()
        ):
            advance(n_resamples - len(aris))  # the progress bar's steps not needed
            break
    segment_jaccard = {s: float(np.mean(v)) if v else float("nan") for s, v in jaccards.items()}
    unstable = tuple(s for s, v in segment_jaccard.items() if not v >= jaccard_threshold)
    return Stability(
        mean_ari=float(np.mean(aris)) if aris else float("nan"),
        segment_jaccard=segment_jaccard,
        unstable_segments=unstable,
        n_resamples=len(aris),
        sample_size=len(pool),
    )


def describe(stability: Stability | None) -> dict[str, Any]:
    """Return stability as plain JSON data."""
    if stability is None:
        return {}
    return {
        "mean_ari": stability.mean_ari,
        "segment_jaccard": {str(k): v for k, v in stability.segment_jaccard.items()},
        "unstable_segments": list(stability.unstable_segments),
        "n_resamples": stability.n_resamples,
        "sample_size": stability.sample_size,
    }
