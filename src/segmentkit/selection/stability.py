"""Bootstrap stability of a segmentation (after Hennig's clusterboot).

Each resample draws customers with replacement (seeded), refits the method with its
chosen parameters, and compares the new segments with the original ones on the distinct
customers drawn: the adjusted Rand index for the whole segmentation, and for every
original segment the best Jaccard overlap with a new segment. A segment whose mean
Jaccard stays below ``jaccard_threshold`` (0.6 by default; Hennig reads < 0.6 as "should
not be trusted", >= 0.75 as "stable") is flagged as not surviving resampling. Above
``max_rows`` rows, resamples are drawn from a seeded subset of that size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score

from segmentkit.progress import advance

__all__ = ["Stability", "bootstrap_stability"]

logger = logging.getLogger(__name__)


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
        Resamples drawn.
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


def bootstrap_stability(
    X: np.ndarray,
    assign: Callable[[np.ndarray], np.ndarray],
    refit: Callable[[np.ndarray], np.ndarray],
    *,
    n_resamples: int,
    seed: int,
    max_rows: int,
    jaccard_threshold: float,
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
        Number of bootstrap resamples.
    seed : int
        Seed of the resampling.
    max_rows : int
        Resample from a seeded subset of this many rows when ``n`` is larger.
    jaccard_threshold : float
        Segments below this mean Jaccard are flagged.

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
    segment_jaccard = {s: float(np.mean(v)) if v else float("nan") for s, v in jaccards.items()}
    unstable = tuple(s for s, v in segment_jaccard.items() if not v >= jaccard_threshold)
    return Stability(
        mean_ari=float(np.mean(aris)) if aris else float("nan"),
        segment_jaccard=segment_jaccard,
        unstable_segments=unstable,
        n_resamples=n_resamples,
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
