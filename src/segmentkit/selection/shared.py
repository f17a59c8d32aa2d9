"""What every candidate of every method's search shares: distances and the neighbour graph.

A run scores some sixty candidates (every k of every method), most of them on the same
rows: the methods choose k on one seeded sample (``clustering.search_max_rows``), so the
pairwise distances the silhouette needs and the M-nearest-neighbour graph the
near-neighbour separation needs are the same for all of them. :class:`SharedStructures`
computes each once per matrix and hands it to every candidate; it is held by the
search context, so it lives for one run's segmentation and is then freed.

Matrices are recognised by their content (shape and a hash of the bytes), not by the
object: a method may hold the same rows in another array (a sample drawn again, a map
of a shared file).

Memory is bounded: the distances are kept only for matrices of at most
:data:`MAX_DISTANCE_ROWS` rows (200 MiB of float64 at 5,000 rows), at most
:data:`DISTANCE_BUDGET` bytes at once (older ones are dropped); larger matrices are
scored block by block as before. A neighbour graph takes 16 bytes per row and neighbour
(2 MiB for 5,000 rows and 25 neighbours).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances

from segmentkit.selection.criteria import seeded_rows
from segmentkit.selection.tree_memo import TreeMemo, rows_digest
from segmentkit.selection.validity import (
    neighbour_count,
    neighbour_graph,
    nn_separation,
    separation_from_graph,
)
from segmentkit.workers import run_folder

__all__ = ["DISTANCE_BUDGET", "MAX_DISTANCE_ROWS", "SUMMARIES_KEPT", "SharedStructures"]

logger = logging.getLogger(__name__)

#: Largest matrix whose pairwise distances are kept (float64: 200 MiB at 5,000 rows).
MAX_DISTANCE_ROWS = 5_000
#: Most bytes of distances kept at once (the shared search sample and GMM's own).
DISTANCE_BUDGET = 300 * 2**20
#: Summaries of rows kept at once (:meth:`SharedStructures.summary`).
SUMMARIES_KEPT = 2
#: Rows of distances computed at once (about 4M doubles, as the silhouette's blocks).
_BLOCK_CELLS = 4_000_000


class SharedStructures:
    """Per-run cache of the distances and neighbour graphs of the matrices searched on.

    Examples
    --------
    >>> shared = SharedStructures()
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> shared.distances(X)[0].round(1).tolist()
    [0.0, 0.1, 5.0, 5.1]
    >>> shared.distances(X.copy()) is shared.distances(X)
    True
    """

    def __init__(self) -> None:
        self._distances: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._graphs: dict[tuple, tuple[np.ndarray, np.ndarray, int]] = {}
        self._last: tuple[np.ndarray, tuple] | None = None
        self._trees: dict[str, TreeMemo[Any]] = {}
        self._summaries: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()

    def trees(self, method: str) -> TreeMemo[Any]:
        """Return the memo of the last tree ``method`` grew in this run.

        A method's k search grows its tree on the rows that shape the segments and the
        final fit cuts the same tree (:mod:`segmentkit.selection.tree_memo`); kept per run,
        not per process, so nothing outlives the run that grew it.
        """
        return self._trees.setdefault(method, TreeMemo())

    def summary(
        self,
        X: np.ndarray,
        settings: tuple[Hashable, ...],
        compute: Callable[[], tuple[np.ndarray, ...]],
    ) -> tuple[np.ndarray, ...]:
        """Return the arrays ``compute()`` makes of ``X`` under ``settings``, made once per run.

        For a summary of the rows that several methods make alike: Agglomerative and
        Genie grow their trees above ``max_rows`` from the same K-Means micro-clusters of
        the same rows (at 10,000,000 customers about 20 s each, placing every customer).
        The last :data:`SUMMARIES_KEPT` are kept (the search sample's and every row's). In
        a run's worker process the arrays are also saved in the run's folder, where the
        other workers read them instead of making them again (two workers that need them
        at the same moment both make them: the same arrays). The arrays are read-only:
        no method may change what another reads.
        """
        key = (self._matrix_key(X), settings)
        if key in self._summaries:
            self._summaries.move_to_end(key)
            return self._summaries[key]
        result = _made_once_per_run(key, compute)
        for array in result:
            array.setflags(write=False)
        self._summaries[key] = result
        while len(self._summaries) > SUMMARIES_KEPT:
            self._summaries.popitem(last=False)
        return result

    def _matrix_key(self, X: np.ndarray) -> tuple:
        # The same object comes back for every candidate of a search: hash it once.
        if self._last is not None and self._last[0] is X:
            return self._last[1]
        key = rows_digest(X)
        self._last = (X, key)
        return key

    def distances(self, X: np.ndarray) -> np.ndarray | None:
        """Return the pairwise Euclidean distances of the rows of ``X`` (``None`` if too many).

        Computed once per matrix, block by block on one BLAS thread (the same numbers
        on any number of threads), with exact zeros on the diagonal.
        """
        if len(X) > MAX_DISTANCE_ROWS:
            return None
        key = self._matrix_key(X)
        cached = self._distances.get(key)
        if cached is not None:
            self._distances.move_to_end(key)
            return cached
        from threadpoolctl import threadpool_limits

        data = np.asarray(X, dtype=float)
        result = np.empty((len(data), len(data)))
        block = max(1, _BLOCK_CELLS // max(len(data), 1))
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, len(data), block):
                rows = slice(start, min(start + block, len(data)))
                result[rows] = euclidean_distances(data[rows], data)
        np.fill_diagonal(result, 0.0)
        self._distances[key] = result
        while sum(d.nbytes for d in self._distances.values()) > DISTANCE_BUDGET:
            self._distances.popitem(last=False)
        return result

    def between_methods(self) -> None:
        """Keep only what the next method reuses: the neighbour graphs.

        A run's worker keeps its structures from one method to the next. The pairwise
        distances (quick to compute again, 200 MiB at 5,000 rows), the trees (each
        method's own), the summaries (in a worker also in the run's folder) and the
        last matrix recognised (a map of the rows that shape segments, whose file the
        run removes once the methods are done: 1.3 GB at 10,000,000 customers) are let go.
        """
        self._distances.clear()
        self._trees.clear()
        self._summaries.clear()
        self._last = None

    def separation(
        self, X: np.ndarray, labels: np.ndarray, *, sample_size: int, seed: int
    ) -> float | None:
        """Return :func:`~segmentkit.selection.validity.nn_separation` of ``labels``.

        Without noise every labelling of ``X`` is judged on the same seeded sample, so
        its neighbour graph is built once and each labelling read off it: the same
        number as ``nn_separation``. A labelling with noise leaves out its own rows and
        is computed on its own.

        The graph is kept for the rows judged, not for the matrix they come from: when a
        method's search sample is as large as the judging sample (both 5,000 by default;
        not GMM's 3,000), it judges its segments of every customer on the very rows its
        search ran on (the same seed), and the search's graph serves the judging too.
        """
        labels = np.asarray(labels)
        if (labels < 0).any():
            return nn_separation(X, labels, sample_size=sample_size, seed=seed)
        rows = seeded_rows(len(labels), sample_size, seed)
        if rows is None:
            sample, key = X, self._matrix_key(X)
        else:
            # The sample is hashed, not the matrix (1.3 GB at 10,000,000 customers).
            sample = np.asarray(X)[rows]
            key = rows_digest(sample)
        graph = self._graphs.get(key)
        if graph is None:
            sample = np.asarray(sample, dtype=float)
            M = neighbour_count(len(sample))
            if len(sample) <= M:
                # genieclust lowers M to n - 1, and then no segment has more than M rows.
                return None
            graph = (*neighbour_graph(sample, M), M)
            self._graphs[key] = graph
        distances, neighbours, M = graph
        return separation_from_graph(
            distances, neighbours, labels if rows is None else labels[rows], M
        )


def _made_once_per_run(
    key: tuple, compute: Callable[[], tuple[np.ndarray, ...]]
) -> tuple[np.ndarray, ...]:
    """``compute()``, or what another worker of the run saved for ``key``."""
    folder = run_folder()
    if folder is None:
        return compute()
    name = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    path = folder / f"summary-{name}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as saved:
            return tuple(saved[f"arr_{i}"] for i in range(len(saved.files)))
    arrays = compute()
    # Written whole under another name, then renamed: a reader never sees half a file.
    partial = folder / f"summary-{name}.{os.getpid()}.partial"
    try:
        with partial.open("wb") as out:
            np.savez(out, *arrays)
        partial.replace(path)
    except OSError as error:  # only a saving for the other worker: never a failed run
        partial.unlink(missing_ok=True)
        logger.debug("summary not shared with the other workers: %s", error)
    return arrays
