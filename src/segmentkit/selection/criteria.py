"""Internal quality criteria of a segmentation, with silhouette sampled on large data.

Silhouette costs O(n²); above ``sample_size`` rows it is computed on a seeded sample
stratified by segment (measured within 0.002 of the full value at 10,000 rows), and the
sample size is returned with the number so it can be shown wherever the number is.

:func:`silhouette` gives scikit-learn's ``silhouette_score`` (equal to rounding) two to
four times faster: with the rows sorted by segment, each block of rows sums its distances
to every segment with one ``np.add.reduceat`` instead of a per-row reduction. A run scores
about sixty candidates, so at a million customers this was a fifth of the run. Where a
search scores its candidates on the same rows, their distances are computed once and
shared (:func:`silhouette_from_distances`, :mod:`segmentkit.selection.shared`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from sklearn.metrics.pairwise import euclidean_distances

__all__ = [
    "ClusterMetrics",
    "cluster_metrics",
    "seeded_rows",
    "silhouette",
    "silhouette_from_distances",
    "stratified_sample",
]

#: Distances held at once while computing a silhouette (4M doubles: 32 MiB; measured
#: fastest of 4M-100M at 10,000 rows).
_BLOCK_CELLS = 4_000_000

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
    nn_separation : float or None
        Near-neighbour separation (:mod:`segmentkit.selection.validity`), where measured.
    """

    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None
    silhouette_sample: int
    n_segments: int
    noise_share: float
    reason: str | None = None
    nn_separation: float | None = None


def seeded_rows(n_rows: int, limit: int, seed: int) -> np.ndarray | None:
    """Return sorted positions of a seeded sample of ``limit`` rows (``None`` if it all fits).

    Examples
    --------
    >>> seeded_rows(5, 10, seed=0) is None
    True
    >>> len(seeded_rows(100, 10, seed=0))
    10
    """
    if n_rows <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=limit, replace=False))


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


def silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    """Return the mean silhouette coefficient, as :func:`sklearn.metrics.silhouette_score`.

    A row alone in its segment scores 0, as in scikit-learn.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    labels : numpy.ndarray of shape (n,)
        At least two segments, fewer than ``n``.

    Examples
    --------
    >>> round(silhouette(np.array([[0.0], [0.1], [5.0], [5.1]]), np.array([0, 0, 1, 1])), 4)
    0.98
    """
    X = np.asarray(X, dtype=float)
    _, codes = np.unique(labels, return_inverse=True)
    # Rows sorted by segment, so each segment's distances are one run of columns, summed
    # by numpy in a fixed order: a matrix product would round differently with the
    # number of BLAS threads, and the outputs must not depend on it.
    order = np.argsort(codes, kind="stable")
    X, codes = X[order], codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(X)]).astype(float)
    # sums[i, s]: total distance from row i to the rows of segment s.
    sums = np.empty((len(X), len(starts)))
    block = max(1, _BLOCK_CELLS // len(X))
    for start in range(0, len(X), block):
        rows = np.arange(start, min(start + block, len(X)))
        distances = euclidean_distances(X[rows], X)
        distances[np.arange(len(rows)), rows] = 0.0  # exactly, not rounding noise
        sums[rows] = np.add.reduceat(distances, starts, axis=1)
    return _mean_silhouette(sums, codes, sizes)


def silhouette_from_distances(distances: np.ndarray, labels: np.ndarray) -> float:
    """Return the mean silhouette of ``labels`` from the rows' precomputed distances.

    A search scores many candidates on the same rows, so their distances are computed
    once (:mod:`segmentkit.selection.shared`) and each candidate costs one product of
    the distances with its segment indicator. That product runs on one BLAS thread: a
    product's rounding may change with the number of threads, and the outputs must not.
    Equal to :func:`silhouette` up to rounding (the sums are taken in another order).

    Parameters
    ----------
    distances : numpy.ndarray of shape (n, n)
        Euclidean distances between the rows, 0 on the diagonal.
    labels : numpy.ndarray of shape (n,)
        At least two segments, fewer than ``n``.

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> round(silhouette_from_distances(np.abs(X - X.T), np.array([0, 0, 1, 1])), 4)
    0.98
    """
    from threadpoolctl import threadpool_limits

    _, codes = np.unique(labels, return_inverse=True)
    sizes = np.bincount(codes).astype(float)
    indicator = np.zeros((len(codes), len(sizes)))
    indicator[np.arange(len(codes)), codes] = 1.0
    with threadpool_limits(limits=1, user_api="blas"):
        sums = distances @ indicator
    return _mean_silhouette(sums, codes, sizes)


def _mean_silhouette(sums: np.ndarray, codes: np.ndarray, sizes: np.ndarray) -> float:
    """Mean silhouette from each row's total distance to every segment (``sums[i, s]``)."""
    n_rows = len(codes)
    own_size = sizes[codes]
    within = sums[np.arange(n_rows), codes] / np.maximum(own_size - 1, 1)
    means = sums / sizes
    means[np.arange(n_rows), codes] = np.inf
    nearest_other = means.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = (nearest_other - within) / np.maximum(within, nearest_other)
    # Singletons score 0, and so do rows whose distances are all 0 (0/0).
    scores = np.where(own_size > 1, np.nan_to_num(scores), 0.0)
    return float(scores.mean())


def cluster_metrics(
    X: np.ndarray,
    labels: np.ndarray,
    *,
    sample_size: int = 10_000,
    seed: int = 0,
    distances: np.ndarray | None = None,
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
    distances : numpy.ndarray of shape (n, n), optional
        The distances between the rows of ``X``, when a search shares them: the
        silhouette is then read off them where it is computed on every clustered row.

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
    # Every row clustered (no noise): X itself, not a copy of it.
    X_c, labels_c = (X, labels) if clustered.all() else (X[clustered], labels[clustered])
    n_segments = len(np.unique(labels_c))
    if n_segments < 2:
        reason = "all rows are noise" if n_segments == 0 else "only one segment"
        return ClusterMetrics(None, None, None, 0, n_segments, noise_share, reason)
    if n_segments >= len(labels_c):
        return ClusterMetrics(
            None, None, None, 0, n_segments, noise_share, "every row is its own segment"
        )
    sample = stratified_sample(labels_c, sample_size, seed)
    if distances is not None and len(sample) == len(labels_c):
        within = distances if clustered.all() else distances[np.ix_(clustered, clustered)]
        score = silhouette_from_distances(within, labels_c)
    else:
        score = silhouette(X_c[sample], labels_c[sample])
    return ClusterMetrics(
        silhouette=score,
        calinski_harabasz=float(calinski_harabasz_score(X_c, labels_c)),
        davies_bouldin=float(davies_bouldin_score(X_c, labels_c)),
        silhouette_sample=len(sample),
        n_segments=n_segments,
        noise_share=noise_share,
    )
