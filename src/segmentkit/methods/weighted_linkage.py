"""Hierarchical clustering of weighted points (micro-clusters), as a SciPy linkage matrix.

SciPy and scikit-learn build trees from single observations only. A micro-cluster of
``w`` customers is not one observation: Ward's cost of merging two groups grows with
their sizes, so treating a summary as one customer distorts the tree. This module starts
the agglomeration from weighted points instead, with the Lance–Williams updates, which
for Ward are exact for groups of any size: the tree over micro-clusters is the tree the
customers would grow once each micro-cluster had been merged. ``average`` uses the
size-weighted update (micro-cluster centres standing in for their members); ``complete``
and ``single`` ignore the weights by definition.

The merges come from the nearest-neighbour chain algorithm (Murtagh 1983; Müllner 2011),
O(m²) time and memory for ``m`` points, and are returned sorted by height in SciPy's
format, so :func:`scipy.cluster.hierarchy.fcluster` and ``dendrogram`` work unchanged.
"""

from __future__ import annotations

import numpy as np

__all__ = ["weighted_linkage"]


def _initial_dissimilarity(points: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    squared = np.einsum("ij,ij->i", points, points)
    distance2 = np.maximum(squared[:, None] + squared[None, :] - 2 * points @ points.T, 0.0)
    if method == "ward":
        # 2·Δ, twice the rise in within-group sum of squares (SciPy's Ward height, squared).
        return (
            2
            * (weights[:, None] * weights[None, :])
            / (weights[:, None] + weights[None, :])
            * distance2
        )
    return np.sqrt(distance2)


def _merged_row(D: np.ndarray, a: int, b: int, sizes: np.ndarray, method: str) -> np.ndarray:
    if method == "ward":
        total = sizes[a] + sizes[b] + sizes
        return ((sizes[a] + sizes) * D[a] + (sizes[b] + sizes) * D[b] - sizes * D[a, b]) / total
    if method == "average":
        return (sizes[a] * D[a] + sizes[b] * D[b]) / (sizes[a] + sizes[b])
    if method == "complete":
        return np.maximum(D[a], D[b])
    return np.minimum(D[a], D[b])


def weighted_linkage(points: np.ndarray, weights: np.ndarray, method: str = "ward") -> np.ndarray:
    """Return the linkage matrix of weighted points, in SciPy's format.

    Parameters
    ----------
    points : numpy.ndarray of shape (m, d)
        Group centres (micro-cluster means).
    weights : numpy.ndarray of shape (m,)
        Customers in each group (positive).
    method : {"ward", "average", "complete", "single"}
        Linkage criterion.

    Returns
    -------
    numpy.ndarray of shape (m - 1, 4)
        ``[left, right, height, size]`` per merge, heights non-decreasing; ``size`` counts
        points (micro-clusters), as SciPy's validity checks require.

    Examples
    --------
    With unit weights the result is SciPy's own Ward tree:

    >>> from scipy.cluster.hierarchy import linkage
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 2.0]])
    >>> np.allclose(weighted_linkage(X, np.ones(4)), linkage(X, "ward"))
    True
    """
    points = np.asarray(points, dtype=float)
    weights = np.asarray(weights, dtype=float)
    m = len(points)
    if m < 2:
        return np.empty((0, 4))
    D = _initial_dissimilarity(points, weights, method)
    np.fill_diagonal(D, np.inf)
    sizes = weights.copy()
    merges: list[tuple[int, int, float]] = []
    chain: list[int] = []
    remaining = set(range(m))
    for _ in range(m - 1):
        if not chain:
            chain.append(min(remaining))
        while True:
            a = chain[-1]
            b = int(np.argmin(D[a]))
            # Prefer the chain's previous element on ties, or the chain could cycle.
            if len(chain) > 1 and D[a, chain[-2]] <= D[a, b]:
                b = chain[-2]
            if len(chain) > 1 and b == chain[-2]:
                break
            chain.append(b)
        a, b = chain.pop(), chain.pop()
        keep, gone = min(a, b), max(a, b)
        merges.append((keep, gone, float(D[a, b])))
        row = _merged_row(D, keep, gone, sizes, method)
        sizes[keep] += sizes[gone]
        row[keep] = np.inf
        D[keep, :] = row
        D[:, keep] = row
        D[gone, :] = np.inf
        D[:, gone] = np.inf
        remaining.discard(gone)
    return _scipy_format(merges, m, method)


def _scipy_format(merges: list[tuple[int, int, float]], m: int, method: str) -> np.ndarray:
    """Sort merges by height and number the groups as SciPy does (``m + step``)."""
    order = sorted(range(len(merges)), key=lambda i: merges[i][2])  # stable on ties
    # Union–find from a slot (the point a group is stored under) to its current group id.
    group_of_slot = np.arange(m)
    size_of_group = np.concatenate([np.ones(m), np.zeros(m - 1)])
    tree = np.empty((m - 1, 4))
    for step, index in enumerate(order):
        keep, gone, height = merges[index]
        left, right = sorted((int(group_of_slot[keep]), int(group_of_slot[gone])))
        new = m + step
        size_of_group[new] = size_of_group[left] + size_of_group[right]
        tree[step] = (
            left,
            right,
            np.sqrt(height) if method == "ward" else height,
            size_of_group[new],
        )
        group_of_slot[keep] = new
    return tree
