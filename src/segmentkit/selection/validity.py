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

A search scores many candidates on the same rows, so the M-nearest-neighbour graph of the
sample is built once (:func:`neighbour_graph`) and each candidate's index read off it
(:func:`separation_from_graph`, vectorised): the same number genieclust gives, because
the graph is built as genieclust builds it (distances summed column by column, ties
broken by the lower row position).
"""

from __future__ import annotations

import math

import numpy as np

from segmentkit.selection.criteria import seeded_rows

__all__ = [
    "NEIGHBOURS",
    "neighbour_count",
    "neighbour_graph",
    "nn_separation",
    "separation_from_graph",
]

#: Near neighbours per customer, as in Gagolewski et al. (2021).
NEIGHBOURS = 25
#: Distances screened at once while building the neighbour graph (4M doubles: 32 MiB).
_BLOCK_CELLS = 4_000_000


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
    rows = seeded_rows(len(labels), sample_size, seed)
    if rows is not None:
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


def neighbour_graph(X: np.ndarray, M: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``M`` nearest neighbours of every row (the row itself excluded).

    Built as ``genieclust.cluster_validity.dunnowa_index`` builds its graph, so
    :func:`separation_from_graph` gives its number to the last bit: each distance is the
    square root of the squared differences summed column by column in order, and of
    equally distant rows the one at the lower position is the nearer. Step 1: a matrix
    product screens the candidates (fast, but its rounding differs), keeping every row
    within a proven bound of its M-th nearest. Step 2: the candidates' distances are
    summed exactly as genieclust does and the ``M`` nearest kept, ties by position.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    M : int
        Neighbours per row, ``1 <= M < n``.

    Returns
    -------
    distances : numpy.ndarray of shape (n, M)
        Distance from each row to each of its neighbours, nearest first.
    neighbours : numpy.ndarray of int, shape (n, M)
        Their row positions.

    Examples
    --------
    >>> distances, neighbours = neighbour_graph(np.array([[0.0], [1.0], [3.0]]), 1)
    >>> distances.ravel().tolist(), neighbours.ravel().tolist()
    ([1.0, 1.0, 2.0], [1, 0, 1])
    """
    from sklearn.metrics.pairwise import euclidean_distances

    X = np.ascontiguousarray(X, dtype=float)
    n_rows, n_columns = X.shape
    squares = np.einsum("ij,ij->i", X, X)
    # |product formula - sequential sum| <= ~4 (d + 1) eps (|x|^2 + |y|^2); twice that for
    # the M-th nearest's own error, and twice again to spare.
    slack = 16 * (n_columns + 4) * np.finfo(float).eps * (squares + squares.max())
    distances = np.empty((n_rows, M))
    neighbours = np.empty((n_rows, M), dtype=np.intp)
    block = max(1, _BLOCK_CELLS // max(n_rows, 1))
    for start in range(0, n_rows, block):
        rows = np.arange(start, min(start + block, n_rows))
        screen = euclidean_distances(X[rows], X, squared=True)
        screen[np.arange(len(rows)), rows] = np.inf  # never its own neighbour
        kth = np.partition(screen, M - 1, axis=1)[:, M - 1]
        pair_row, pair_col = np.nonzero(screen <= (kth + slack[rows])[:, None])
        pair_row += start
        exact = _sequential_distances(X, pair_row, pair_col)
        # Nearest first, ties to the lower position; then the first M of every row.
        order = np.lexsort((pair_col, exact, pair_row))
        first = np.searchsorted(pair_row[order], rows)
        keep = order[(first[:, None] + np.arange(M)).ravel()]
        neighbours[rows] = pair_col[keep].reshape(len(rows), M)
        distances[rows] = exact[keep].reshape(len(rows), M)
    return distances, neighbours


def _sequential_distances(X: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Distances between row pairs, the squares summed column by column as genieclust does."""
    total = np.zeros(len(rows))
    for column in X.T:
        difference = column[rows] - column[cols]
        total += difference * difference
    return np.sqrt(total)


def separation_from_graph(
    distances: np.ndarray, neighbours: np.ndarray, labels: np.ndarray, M: int
) -> float | None:
    """Return DuNN_M_Min_Max of ``labels`` from a graph of :func:`neighbour_graph`.

    The rules of ``dunnowa_index(..., owa_numerator="Min", owa_denominator="Max")``:
    undefined (``None``) when fewer than two segments or a segment has at most ``M``
    rows; ``math.inf`` when no row has a neighbour in another segment; otherwise the
    smallest distance to a neighbour in another segment over the largest distance to a
    neighbour in the same segment (``None`` when that is 0/0).

    Examples
    --------
    >>> X = np.r_[np.zeros((30, 1)), np.ones((30, 1))] + np.arange(60)[:, None] * 1e-3
    >>> graph = neighbour_graph(X, 5)
    >>> separation_from_graph(*graph, np.repeat([0, 1], 30), 5)
    inf
    """
    codes = np.unique(np.asarray(labels), return_inverse=True)[1]
    counts = np.bincount(codes)
    if len(counts) < 2 or counts.min() <= M:
        return None
    same = codes[:, None] == codes[neighbours]
    if same.all():
        return math.inf
    if not same.any():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(np.float64(distances[~same].min()) / np.float64(distances[same].max()))
    return None if math.isnan(value) else value
