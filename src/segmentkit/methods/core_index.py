"""Exact nearest-core-point search within ``eps``, pruned by groups of core points.

Placing a million customers on DBSCAN's core points by brute force compares every
customer with every core point (about 30 s per million customers against 10,000 core
points). This index returns the same answer for a fraction of the work.

The core points are split into about ``sqrt(m)`` compact groups (Lloyd's K-Means from
evenly spaced starting points: deterministic, and only the speed depends on it). A
group's centre ``c`` and radius ``r`` bound the distance from a row ``x`` to any of its
points from below by ``|x - c| - r`` (triangle inequality), so a group whose bound
exceeds the best distance found so far, or ``eps``, cannot hold the answer.

Each row first visits its nearest group, which usually yields a core point within
``eps``. For the segment alone, groups whose core points all carry that same segment
cannot change it and are skipped; they are visited only when a nearer core point of
another segment turns up (it might then be beaten by one of theirs), and always when
exact distances are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

__all__ = ["CoreIndex", "build_core_index", "nearest_core"]

#: Rows handled at once: bounds the (rows x groups) arrays to a few MiB.
CHUNK_ROWS = 20_000

#: A group mixing segments, in :attr:`CoreIndex.group_segment`.
MIXED = -2


@dataclass(frozen=True)
class CoreIndex:
    """Core points grouped for pruning (see the module docstring).

    Attributes
    ----------
    points, segments : numpy.ndarray
        The core points and their segments.
    members : list of numpy.ndarray
        Positions (into ``points``) of each group's points, ascending.
    centres, radii : numpy.ndarray
        Each group's centre, and its largest distance to one of its points.
    group_segment : numpy.ndarray of int
        The segment every point of a group carries, or ``MIXED``.
    point_squares, centre_squares : numpy.ndarray
        Squared norms of the points and of the centres, for the distances.
    """

    points: np.ndarray
    segments: np.ndarray
    members: list[np.ndarray]
    centres: np.ndarray
    radii: np.ndarray
    group_segment: np.ndarray
    point_squares: np.ndarray
    centre_squares: np.ndarray


def build_core_index(points: np.ndarray, segments: np.ndarray) -> CoreIndex:
    """Group ``points`` (at least one) into about ``sqrt(len(points))`` compact groups."""
    points = np.asarray(points, dtype=float)
    segments = np.asarray(segments, dtype=int)
    n_groups = min(len(points), int(np.ceil(np.sqrt(len(points)))))
    starts = points[np.linspace(0, len(points) - 1, n_groups).astype(int)]
    kmeans = KMeans(n_clusters=n_groups, init=starts, n_init=1, max_iter=20)
    group = kmeans.fit_predict(points)
    members, centres, radii, group_segment = [], [], [], []
    for g in np.unique(group):
        positions = np.flatnonzero(group == g)
        centre = points[positions].mean(axis=0)
        members.append(positions)
        centres.append(centre)
        radii.append(float(np.sqrt(((points[positions] - centre) ** 2).sum(axis=1)).max()))
        kinds = np.unique(segments[positions])
        group_segment.append(int(kinds[0]) if len(kinds) == 1 else MIXED)
    centres_array = np.array(centres)
    return CoreIndex(
        points,
        segments,
        members,
        centres_array,
        np.array(radii),
        np.array(group_segment),
        _squares(points),
        _squares(centres_array),
    )


def _squares(rows: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", rows, rows)


def nearest_core(
    index: CoreIndex, X: np.ndarray, eps: float, *, exact_distance: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's segment and distance to its nearest core point within ``eps``.

    Parameters
    ----------
    index : CoreIndex
    X : numpy.ndarray of shape (n, d)
    eps : float
    exact_distance : bool
        When false (labels only), the distance returned for a row with a segment is an
        upper bound of the nearest distance (at most ``eps``), since groups that cannot
        change the segment are skipped.

    Returns
    -------
    segment : numpy.ndarray of int
        The segment of the nearest core point, ``-1`` when none is within ``eps``. Ties
        go to the core point listed first, as a brute-force search would.
    distance : numpy.ndarray of float
        The distance to that core point, ``inf`` when none is within ``eps``.
    """
    X = np.asarray(X, dtype=float)
    segment = np.full(len(X), -1, dtype=int)
    distance = np.full(len(X), np.inf)
    for start in range(0, len(X), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        segment[part], distance[part] = _nearest_chunk(index, X[part], eps, exact_distance)
    return segment, distance


class _Search:
    """The best core point found so far for each row of one chunk."""

    def __init__(self, index: CoreIndex, X: np.ndarray) -> None:
        self.index = index
        self.X = X
        self.squares = _squares(X)
        self.distance = np.full(len(X), np.inf)
        self.point = np.full(len(X), len(index.points))  # past the end: none yet

    def visit(self, group: int, rows: np.ndarray) -> None:
        """Compare ``rows`` with every point of ``group``; keep the nearer ones."""
        if not len(rows):
            return
        members = self.index.members[group]
        squared = (
            self.squares[rows, None]
            - 2.0 * self.X[rows] @ self.index.points[members].T
            + self.index.point_squares[members]
        )
        nearest = np.argmin(squared, axis=1)  # first of equals: members are ascending
        found = np.sqrt(np.maximum(squared[np.arange(len(rows)), nearest], 0.0))
        point = members[nearest]
        better = (found < self.distance[rows]) | (
            (found == self.distance[rows]) & (point < self.point[rows])
        )
        self.distance[rows[better]] = found[better]
        self.point[rows[better]] = point[better]

    def settled(self, eps: float) -> np.ndarray:
        """Return each row's segment so far if its point is within ``eps``, else ``-1``."""
        within = self.distance <= eps  # never true for a row without a point yet
        out = np.full(len(self.X), -1, dtype=int)
        out[within] = self.index.segments[self.point[within]]
        return out


def _nearest_chunk(
    index: CoreIndex, X: np.ndarray, eps: float, exact_distance: bool
) -> tuple[np.ndarray, np.ndarray]:
    search = _Search(index, X)
    centre_distance = np.sqrt(
        np.maximum(
            search.squares[:, None] - 2.0 * X @ index.centres.T + index.centre_squares,
            0.0,
        )
    )
    # One row per group (contiguous), as the searches below read a group at a time.
    lower = np.ascontiguousarray((centre_distance - index.radii).T)
    home = np.argmin(centre_distance, axis=1)
    by_home = np.argsort(home, kind="stable")
    groups, starts = np.unique(home[by_home], return_index=True)
    for group, rows in zip(groups, np.split(by_home, starts[1:]), strict=True):
        search.visit(int(group), rows[lower[group, rows] <= eps])
    lower[home, np.arange(len(X))] = np.inf  # visited
    # The segment already settled by the nearest group (-1, matching no group: none yet).
    home_segment = search.settled(eps)

    def remaining(skip_home_segment: bool) -> None:
        for group in range(len(index.members)):
            limit = np.minimum(search.distance, eps)
            wanted = lower[group] <= limit
            if skip_home_segment:
                wanted &= home_segment != index.group_segment[group]
            rows = np.flatnonzero(wanted)
            search.visit(group, rows)
            lower[group, rows] = np.inf

    # Groups that could change the segment (or the distance, when asked for) ...
    remaining(skip_home_segment=not exact_distance)
    if not exact_distance:
        # ... and, where another segment's point came nearer, the skipped ones too:
        # one of them may hold a point nearer still.
        changed = search.settled(eps) != home_segment
        lower[:, ~changed] = np.inf
        remaining(skip_home_segment=False)
    return search.settled(eps), np.where(search.distance <= eps, search.distance, np.inf)
