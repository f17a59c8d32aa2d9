"""Gaussian Mixture: number of components and covariance type chosen by BIC.

Every candidate (k × covariance type) records BIC, AIC, silhouette, Calinski–Harabasz and
Davies–Bouldin; the lowest BIC wins and the other criteria's favourites are reported when
they disagree. Each customer's membership probability becomes ``confidence_gmm``.

The mixture models the continuous features only: a Gaussian density on 0/1 one-hot
columns collapses onto each category and rewards splitting by category alone, which
inflates the BIC's choice of k. Above ``gmm.search_max_rows`` rows the candidates are
compared on a seeded sample (logged); the chosen mixture is fitted on every row, or above
``gmm.max_rows`` on a larger seeded sample, and gives every customer its most probable
component.
"""

from __future__ import annotations

import logging
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from segmentkit.methods.k_range import candidate_ks, n_distinct
from segmentkit.methods.search import Search, SearchContext, choose, criteria_row, seeded_rows
from segmentkit.progress import add_steps, advance

__all__ = ["ColumnSubsetMixture", "fit_gmm", "search_gmm"]

logger = logging.getLogger(__name__)

#: Rows a fitted mixture places at once (2**16).
_CHUNK_ROWS = 65_536


class ColumnSubsetMixture:
    """A fitted ``GaussianMixture`` that reads only some columns of the model matrix.

    Parameters
    ----------
    mixture : GaussianMixture
        Fitted on ``X[:, columns]``.
    columns : tuple of int or None
        Column positions (``None``: all).
    """

    def __init__(self, mixture: GaussianMixture, columns: tuple[int, ...] | None) -> None:
        self.mixture = mixture
        self.columns = columns

    def _select(self, X: np.ndarray) -> np.ndarray:
        return X if self.columns is None else X[:, list(self.columns)]

    def _in_chunks(self, X: np.ndarray, answer: Any, threads: int = 1) -> np.ndarray:
        # A mixture's answer for 10,000,000 rows holds several (rows x k) arrays at once
        # (3 GB and more); chunk by chunk, only the answer is whole. Each row's answer is
        # its own, but BLAS may round a small matrix differently from a large one (another
        # routine for a few rows), so every chunk has _CHUNK_ROWS rows: the last one
        # overlaps the one before, and only its new rows are kept.
        starts = [*range(0, len(X) - _CHUNK_ROWS, _CHUNK_ROWS), len(X) - _CHUNK_ROWS]

        def chunk(start: int) -> np.ndarray:
            return np.asarray(answer(self._select(X[start : start + _CHUNK_ROWS])))

        if threads > 1 and len(starts) > 1:
            # NumPy releases the GIL in its array work: chunks side by side, each on one
            # BLAS thread (BLAS's own threads would oversubscribe the cores), the same
            # numbers (a chunk is computed alike whichever thread computes it).
            with (
                threadpool_limits(limits=1, user_api="blas"),
                ThreadPoolExecutor(threads) as pool,
            ):
                chunks = list(pool.map(chunk, starts))
        else:
            chunks = [chunk(start) for start in starts]
        parts = []
        done = 0
        for start, answered in zip(starts, chunks, strict=True):
            parts.append(answered[done - start :])
            done = start + _CHUNK_ROWS
        return np.concatenate(parts)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return the most probable component of each row."""
        if len(X) <= _CHUNK_ROWS:
            return np.asarray(self.mixture.predict(self._select(X)), dtype=int)
        return self._in_chunks(X, self.mixture.predict).astype(int)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Return the membership probabilities of each row."""
        if len(X) <= _CHUNK_ROWS:
            return np.asarray(self.mixture.predict_proba(self._select(X)))
        return self._in_chunks(X, self.mixture.predict_proba)

    def confidence(self, X: np.ndarray, *, threads: int = 1) -> np.ndarray:
        """Return each row's probability of its most probable component.

        ``predict_proba(X).max(axis=1)``, chunk by chunk: the (rows x k) probabilities of
        every row are never held at once (800 MB at 10,000,000 rows and k = 10); with
        ``threads``, chunks side by side (the same numbers).
        """
        if len(X) == 0:
            return np.zeros(0)
        if len(X) <= _CHUNK_ROWS:
            return self.predict_proba(X).max(axis=1)
        return self._in_chunks(
            X, lambda rows: self.mixture.predict_proba(rows).max(axis=1), threads
        )


def _columns(X: np.ndarray, context: SearchContext) -> tuple[int, ...] | None:
    if context.continuous is None or len(context.continuous) in (0, X.shape[1]):
        return None
    return context.continuous


def _model(k: int, covariance: str, n_init: int, context: SearchContext) -> GaussianMixture:
    settings = context.clustering.gmm
    return GaussianMixture(
        n_components=k,
        covariance_type=covariance,
        n_init=n_init,
        reg_covar=settings.reg_covar,
        max_iter=settings.max_iter,
        random_state=context.seed,
    )


def fit_gmm(
    X: np.ndarray, params: dict[str, Any], context: SearchContext
) -> tuple[np.ndarray, ColumnSubsetMixture]:
    """Fit a Gaussian mixture with the chosen ``k`` and ``covariance_type``."""
    columns = _columns(X, context)
    rows = seeded_rows(len(X), context.clustering.gmm.max_rows, context.seed)
    if rows is not None:
        logger.info(
            "gmm: the mixture is fitted on a seeded sample of %s of %s rows "
            "(clustering.gmm.max_rows) and applied to all",
            f"{len(rows):,}",
            f"{len(X):,}",
        )
    n_init = context.clustering.gmm.n_init
    fitted = _fit_mixture(X if rows is None else X[rows], columns, params, n_init, context)
    model = ColumnSubsetMixture(fitted, columns)
    return model.predict(X), model


def _fit_mixture(
    X: np.ndarray,
    columns: tuple[int, ...] | None,
    params: dict[str, Any],
    n_init: int,
    context: SearchContext,
) -> GaussianMixture:
    data = X if columns is None else X[:, list(columns)]
    k, covariance = int(params["k"]), str(params["covariance_type"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = _model(k, covariance, n_init, context).fit(data)
    if not model.converged_:
        logger.debug("gmm: EM did not converge in %d iterations", model.max_iter)
    return model


def search_gmm(X: np.ndarray, context: SearchContext) -> Search:
    """Fit every k × covariance type and choose the lowest BIC."""
    # The smaller of the shared search sample and GMM's own (EM fits cost most).
    limit = min(context.clustering.gmm.search_max_rows, context.clustering.search_max_rows)
    n_rows = len(X)
    notes: tuple[str, ...] = ()
    rows_used = seeded_rows(len(X), limit, context.seed)
    if rows_used is not None:
        X = X[rows_used]
        notes = (f"gmm: candidates compared on a seeded sample of {limit:,} rows",)
        logger.info("%s", notes[0])
    columns = _columns(X, context)
    data = X if columns is None else X[:, list(columns)]
    rows = []
    ks = candidate_ks(len(X), n_distinct(data), context.clustering)
    add_steps(len(ks) * len(context.clustering.gmm.covariance_types))
    # Candidates are compared with fewer EM starts than the chosen mixture is fitted with:
    # on the quality benchmark the choice was as good (gmm.search_n_init).
    n_init = context.clustering.gmm.search_n_init
    for k in ks:
        for covariance in context.clustering.gmm.covariance_types:
            params = {"k": k, "covariance_type": covariance}
            model = _fit_mixture(X, columns, params, n_init, context)
            labels = np.asarray(model.predict(data), dtype=int)
            rows.append(
                {
                    "k": k,
                    "covariance_type": covariance,
                    "candidate": f"{k} {covariance}",
                    "bic": float(model.bic(data)),
                    "aic": float(model.aic(data)),
                    "n_segments_found": len(np.unique(labels)),
                    "converged": bool(model.converged_),
                    **criteria_row(X, labels, context),
                }
            )
            advance()
    if n_rows > context.clustering.gmm.max_rows:
        notes = (
            *notes,
            f"gmm: the chosen mixture was fitted on a seeded sample of "
            f"{context.clustering.gmm.max_rows:,} rows and applied to every customer",
        )
    table = pd.DataFrame(rows)
    search = choose(
        table, "candidate", params=["k", "covariance_type"], votes=("bic",), notes=notes
    )
    criteria = search.criteria.drop(columns="candidate")
    return Search(criteria, search.params, search.summary, search.agree, search.notes)
