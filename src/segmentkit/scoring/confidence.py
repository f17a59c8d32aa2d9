"""How clearly each new customer belongs to its segment: ``confidence_<method>`` in [0, 1]."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import euclidean_distances

from segmentkit.methods.agglomerative import MicroClusterAssigner
from segmentkit.methods.dbscan import CorePointAssigner
from segmentkit.methods.gmm import ColumnSubsetMixture

__all__ = ["confidence"]


def confidence(estimator: Any, X: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """How clearly each row belongs to its segment, in [0, 1].

    Posterior probability for a mixture (chunks side by side on ``threads``, the same
    numbers); ``1 - d/eps`` for DBSCAN (0 for noise); for centroid methods ``1 - d1/d2``,
    the relative margin between the nearest and the second-nearest centre (0: halfway
    between two segments, 1: on the centre).
    """
    if isinstance(estimator, ColumnSubsetMixture):
        # Chunk by chunk: no (rows x k) array at once.
        return estimator.confidence(X, threads=threads)
    if isinstance(estimator, CorePointAssigner):
        distance = estimator.distance(X)
        return np.where(distance <= estimator.eps, 1 - distance / estimator.eps, 0.0)
    if isinstance(estimator, MicroClusterAssigner):
        # Many centres per segment: the margin is between the nearest centre of the row's
        # own segment and the nearest of any other, in chunks (n × centres distances).
        # Chunks of at most _CHUNK_CELLS distances: Genie keeps up to 10,000 points.
        rows = max(1, min(_CHUNK_ROWS, _CHUNK_CELLS // max(1, len(estimator.centres))))
        chunks = [
            _margin(_segment_distances(X[start : start + rows], estimator))
            for start in range(0, len(X), rows)
        ]
        return np.concatenate(chunks) if chunks else np.zeros(0)
    # K-Means and NearestCentroid (Agglomerative) both have centres: the same margin for
    # both, even though NearestCentroid also offers predict_proba.
    centres = getattr(estimator, "cluster_centers_", getattr(estimator, "centroids_", None))
    if centres is None:
        return np.asarray(estimator.predict_proba(X)).max(axis=1)
    return _margin(euclidean_distances(X, centres))


#: Rows scored at once where every row's distance to every micro-cluster is needed, and
#: the distances held at once (160 MB).
_CHUNK_ROWS = 20_000
_CHUNK_CELLS = 20_000_000


def _segment_distances(X: np.ndarray, assigner: MicroClusterAssigner) -> np.ndarray:
    """Distance of each row to the nearest micro-cluster of every segment."""
    distances = euclidean_distances(X, assigner.centres)
    segments = np.unique(assigner.segments)
    return np.column_stack([distances[:, assigner.segments == s].min(axis=1) for s in segments])


def _margin(distances: np.ndarray) -> np.ndarray:
    """``1 - d1/d2`` from each row's distances to the segments (0 halfway, 1 on a centre)."""
    if distances.shape[1] < 2:
        return np.ones(len(distances))
    distances = np.sort(distances, axis=1)
    nearest, second = distances[:, 0], distances[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.where(second > 0, 1 - nearest / second, 0.0)
    return np.clip(margin, 0.0, 1.0)
