"""How many segments the data can hold: the candidate k of a search and a fixed k's check."""

from __future__ import annotations

import logging

import numpy as np

from segmentkit.config import ClusteringConfig
from segmentkit.errors import ConfigError, DataError
from segmentkit.text import plural

__all__ = ["OWN_K_METHODS", "candidate_ks", "check_fixed_k", "n_distinct"]

logger = logging.getLogger(__name__)


def candidate_ks(n_rows: int, n_distinct: int, clustering: ClusteringConfig) -> list[int]:
    """Return the numbers of segments to try for ``n_rows`` rows.

    Raises
    ------
    DataError
        When the data cannot hold the requested number of segments.
    """
    if n_distinct < 2:
        raise DataError(
            "every customer has the same feature values: there is nothing to segment",
            hint="check the chosen features",
        )
    if clustering.k is not None:
        if clustering.k > n_distinct - 1 or clustering.k >= n_rows:
            raise DataError(
                f"asked for {clustering.k} segments but only {n_rows} customers "
                f"({n_distinct} distinct) shape the segments",
                hint=f"use --k {max(2, min(n_rows, n_distinct) - 1)} or less",
            )
        return [clustering.k]
    upper = min(clustering.k_max, n_rows - 1, n_distinct - 1)
    if upper < clustering.k_min:
        raise DataError(
            f"too few customers to segment: {n_rows} rows ({n_distinct} distinct) "
            f"cannot hold clustering.k_min = {clustering.k_min} segments and still be judged",
            hint="provide more customers or lower clustering.k_min",
        )
    return list(range(clustering.k_min, upper + 1))


#: Methods that choose their own number of segments: ``clustering.k`` does not apply.
OWN_K_METHODS: tuple[str, ...] = ("dbscan",)


def _distinct_at_least(X: np.ndarray, needed: int) -> int:
    """Return the number of distinct rows of ``X``, or a count >= ``needed`` (cheaper).

    The distinct rows of a prefix are a lower bound: when a short prefix already holds
    enough, the whole table (millions of rows) is never sorted.
    """
    prefix = n_distinct(X[: 4 * needed + 1_000])
    return prefix if prefix >= needed else n_distinct(X)


def check_fixed_k(X: np.ndarray, fit_mask: np.ndarray, clustering: ClusteringConfig) -> None:
    """Refuse a fixed k the customers cannot hold, before any method runs.

    A fixed k is a request about the whole run, so a k no method can give is an error
    of the request (exit code 2), not a reason to skip the methods one by one and carry
    on with whatever is left. The methods that take k fit on the customers that shape
    the segments (flagged outliers set aside), so those bound k: at most one fewer than
    them, and than their distinct rows. Methods that choose their own number of
    segments (DBSCAN) ignore k, which a warning says.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        Every kept customer, prepared.
    fit_mask : numpy.ndarray of bool
        The customers that shape the segments.
    clustering : ClusteringConfig
        ``k`` and ``methods``.

    Raises
    ------
    ConfigError
        When k is not smaller than the number of customers, or than the number of
        (distinct) customers that shape the segments, for a method that takes k.
    """
    k = clustering.k
    if k is None:
        return
    own = [m for m in clustering.methods if m in OWN_K_METHODS]
    takes_k = [m for m in clustering.methods if m not in OWN_K_METHODS]
    fit_rows = np.asarray(fit_mask, dtype=bool)
    n_fit = int(fit_rows.sum())
    distinct = _distinct_at_least(X[fit_rows], k + 1)
    limit = min(n_fit, distinct) - 1
    hint = f"use --k {limit} or less" if limit >= 2 else "provide more customers"
    if k >= len(X):
        raise ConfigError(
            f"asked for {k} segments but only {len(X)} customers are in the data: "
            "there must be fewer segments than customers",
            hint=hint,
        )
    if takes_k and k > limit:
        reasons = []
        if n_fit < len(X):
            reasons.append(f"{plural(len(X) - n_fit, 'outlier')} set aside")
        if distinct < n_fit:
            reasons.append(f"{distinct} distinct")
        raise ConfigError(
            f"asked for {k} segments but only {n_fit} customers "
            + (f"({', '.join(reasons)}) " if reasons else "")
            + "shape the segments",
            hint=hint,
        )
    if own:
        # Only once every check passed: a refused run ends with its one error line.
        logger.warning(
            "dbscan chooses its own number of segments; "
            "--k applies to kmeans, gmm, agglomerative, genie"
        )


def n_distinct(X: np.ndarray) -> int:
    """Return the number of distinct rows of ``X`` (k cannot exceed it)."""
    return len(np.unique(X, axis=0))
