"""The methods of a run side by side, one per worker process.

Each method's search, final fit and stability are independent of the others', and much
of them holds the GIL (SciPy's Ward trees, the criteria in Python), so on two cores two
methods at once take about the time of the longer one instead of the sum. Each worker
gets an equal share of the run's thread budget (``n_jobs``; one thread each on two cores)
and a :class:`~segmentkit.methods.search.SearchContext` whose shared neighbour graphs
and micro-clusters serve every method that worker runs (the micro-clusters the other
worker's methods too, through the run's folder); a method's pairwise distances serve
that method only. What a method's search grows for its final fit stays with the method.
A method's segments are the same in a worker as in the run's process; as for any change
of thread count, K-Means' centres may differ in their last bits (no customer is placed
differently).

What a method logs in its worker is logged by the run when its turn comes, in the
configured order of the methods, so ``run.log`` reads as if they had run one by one.
"""

from __future__ import annotations

import logging

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits

from segmentkit.config import ClusteringConfig
from segmentkit.errors import DataError
from segmentkit.methods import METHODS, MethodResult, SearchContext, SplitRows, run_split
from segmentkit.resources import WORKING_MEMORY_MIB
from segmentkit.selection.shared import SharedStructures
from segmentkit.text import plural
from segmentkit.workers import PendingJobs, RunWorkers

__all__ = ["PRELOAD", "START_ORDER", "start_methods", "start_order"]

logger = logging.getLogger(__name__)

#: What the methods import on first use, imported by each worker when it starts, while
#: the run reads and cleans the data (genieclust and kneed import matplotlib: 0.7 s).
PRELOAD = ("kneed", "genieclust")

#: The order the methods start in the workers (their results are still read, and logged,
#: in the configured order). The longest first, so that the workers finish about
#: together: seconds of work at 10,000 / 1,000,000 / 10,000,000 customers, Agglomerative
#: 4.8 / 8.3 / 39, DBSCAN 3.5 / 6.5 / 43, K-Means 2.8 / 4.3 / 15, GMM 3.1 / 7.9 / 22,
#: Genie 2.2 / 5.8 / 15. Genie last: above ``genie.max_rows`` its tree grows from the
#: micro-clusters Agglomerative has made by then. In the configured order the worker
#: that had run K-Means and GMM ran DBSCAN alone at the end: at 10,000,000 customers the
#: methods took 81 s instead of about 70.
START_ORDER = ("agglomerative", "dbscan", "kmeans", "gmm", "genie")

#: The neighbour graphs of this worker's jobs: the methods search on the same seeded
#: sample, so a worker computes them once for all its methods. Workers live for one run,
#: so nothing outlives the run that computed it.
_worker_shared: SharedStructures | None = None


def _run_in_worker(
    name: str,
    rows: SplitRows,
    seed: int,
    threads: int,
    clustering: ClusteringConfig,
    continuous: tuple[int, ...] | None,
) -> MethodResult | DataError:
    global _worker_shared
    if _worker_shared is None:
        _worker_shared = SharedStructures()
    context = SearchContext(
        seed=seed,
        n_jobs=threads,
        clustering=clustering,
        continuous=continuous,
        shared=_worker_shared,
    )
    with (
        threadpool_limits(limits=threads),
        sklearn.config_context(working_memory=WORKING_MEMORY_MIB),
    ):
        try:
            return run_split(METHODS[name], rows, context)
        except DataError as error:
            # Returned, not raised: what the method logged before it comes back too.
            return error
        finally:
            # The neighbour graphs serve the next method (and the micro-clusters, from the
            # run's folder); the distances kept added 0.3 GiB to a 10,000-customer run.
            _worker_shared.between_methods()


def start_methods(
    names: list[str],
    X: np.ndarray,
    context: SearchContext,
    *,
    fit_mask: np.ndarray | None,
    workers: RunWorkers | None,
) -> PendingJobs:
    """Start every method of ``names`` in the run's workers, in order.

    Nothing is started without running workers or for a single method: the caller
    runs them in its own process (:func:`~segmentkit.methods.run_method`).

    Parameters
    ----------
    names : list of str
        The methods, in the order their results are wanted.
    X : numpy.ndarray of shape (n, d)
        Every row to segment.
    context : SearchContext
        Seed, settings and the run's thread budget (``n_jobs``), shared among workers.
    fit_mask : numpy.ndarray of bool, optional
        Rows that shape the segments.
    workers : RunWorkers, optional
        The run's worker processes.

    Returns
    -------
    PendingJobs
        Each method's :class:`~segmentkit.methods.MethodResult` by name; a method that
        cannot run on this data raises its ``DataError`` there.
    """
    if workers is None or not workers.running or len(names) < 2:
        return PendingJobs()
    threads = max(1, (context.n_jobs or 1) // workers.processes)
    logger.info(
        "The methods run side by side in %d worker processes, %s each",
        workers.processes,
        plural(threads, "thread"),
    )
    rows = SplitRows.of(X, fit_mask)
    if rows.fit is X:
        # Every row shapes the segments: the explanations share the same X later.
        shared = SplitRows(workers.share(X), rows.other, rows.mask)
        release = None
    else:
        # The workers map the rows that shape segments instead of each copying them out
        # of X (1.3 GB per worker at 10,000,000 customers); the run keeps no copy either.
        # The other rows (up to cleaning.outliers.max_share of them) are mapped too.
        fit, release_fit = workers.share_once(rows.fit)
        other, release_other = workers.share_once(rows.other)
        shared = SplitRows(fit, other, rows.mask)

        def release() -> None:
            release_fit()
            release_other()

    del rows
    started = {
        name: workers.submit(
            _run_in_worker,
            name,
            shared,
            context.seed,
            threads,
            context.clustering,
            context.continuous,
        )
        for name in start_order(names)
    }
    return PendingJobs({name: started[name] for name in names}, workers, when_done=release)


def start_order(names: list[str]) -> list[str]:
    """Return ``names`` in the order their workers start them (:data:`START_ORDER`).

    Examples
    --------
    >>> start_order(["kmeans", "gmm", "dbscan", "genie", "agglomerative"])
    ['agglomerative', 'dbscan', 'kmeans', 'gmm', 'genie']
    """
    last = len(START_ORDER)  # a method not listed starts after them, in its own order
    return sorted(names, key=lambda n: START_ORDER.index(n) if n in START_ORDER else last)
