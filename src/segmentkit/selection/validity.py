"""Near-neighbour separation of a segmentation: the criterion that chooses k and the method.

Silhouette, Calinski–Harabasz and Davies–Bouldin measure distances to segment centres or
averages over whole segments, so they reward compact, round segments and cannot see an
elongated or curved segment as one. Gagolewski, Bartoszuk & Cena ("Are cluster validity
measures (in)valid?", Information Sciences, 2021) found generalised Dunn indices built
on each customer's nearest neighbours far closer to reference partitions. We use the
one they call DuNN_M_Min_Max, computed by ``genieclust.cluster_validity.dunnowa_index``:

    separation  = the smallest distance between a customer and one of its M nearest
                  neighbours that sits in another segment ("Min" over those pairs),
    spread      = the largest distance between a customer and one of its M nearest
                  neighbours in its own segment ("Max"),
    index       = separation / spread (higher is better; infinite when no customer has a
                  near neighbour in another segment).

It is computed on a seeded sample of at most ``sample_size`` customers (its cost grows
with the sample times M; 5,000 customers take about half a second). M is 25 as in the
study, smaller for small data so that a segment of a few dozen customers can be scored
(a segment needs more than M customers in the sample, otherwise the index is undefined
and the candidate is left unscored).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["NEIGHBOURS", "neighbour_count", "nn_separation"]

#: Near neighbours per customer, as in Gagolewski et al. (2021).
NEIGHBOURS = 25


def neighbour_count(n_rows: int) -> int:
    """Return M for ``n_rows`` customers: 25, or n/20 (at least 5) for small data.

    Examples
    --------
    >>> neighbour_count(10_000), neighbour_count(200), neighbour_count(40)
    (25, 10, 5)
    """
    return int(min(NEIGHBOURS, max(5, n_rows // 20)))


def nn_separation(
    X: np.ndarray, labels: np.ndarray, *, sample_size: int = 5_000, seed: int = 0
) -> float | None:
    """Return the near-neighbour Dunn index DuNN_M_Min_Max of a labelling, or ``None``.

    Noise (``-1``) rows are left out. ``None`` when fewer than two segments remain or a
    segment has too few customers to be judged; ``math.inf`` when no customer's near
    neighbours cross into another segment.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    labels : numpy.ndarray of shape (n,)
    sample_size : int
        Customers the index is computed on (a seeded sample above it).
    seed : int
        Seed of the sample.

    Examples
    --------
    >>> X = np.r_[np.zeros((30, 1)), np.ones((30, 1))] + np.arange(60)[:, None] * 1e-3
    >>> nn_separation(X, np.repeat([0, 1], 30))
    inf
    """
    from genieclust.cluster_validity import dunnowa_index

    labels = np.asarray(labels)
    keep = labels >= 0
    X, labels = np.asarray(X, dtype=float)[keep], labels[keep]
    if len(labels) > sample_size:
        rows = np.sort(np.random.default_rng(seed).choice(len(labels), sample_size, replace=False))
        X, labels = X[rows], labels[rows]
    codes = np.unique(labels, return_inverse=True)[1].astype(np.intp)
    if codes.max(initial=-1) < 1:
        return None
    value = float(
        dunnowa_index(
            np.ascontiguousarray(X),
            codes,
            M=neighbour_count(len(codes)),
            owa_numerator="Min",
            owa_denominator="Max",
        )
    )
    if math.isnan(value) or value == -math.inf:
        return None
    return value
