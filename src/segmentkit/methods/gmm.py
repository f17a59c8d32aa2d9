"""Gaussian Mixture: number of components and covariance type chosen by BIC.

Every candidate (k × covariance type) records BIC, AIC, silhouette, Calinski–Harabasz and
Davies–Bouldin; the lowest BIC wins and the other criteria's favourites are reported when
they disagree. Each customer's membership probability becomes ``confidence_gmm``.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from segmentkit.methods.base import (
    Search,
    SearchContext,
    candidate_ks,
    choose,
    criteria_row,
    n_distinct,
)

__all__ = ["fit_gmm", "search_gmm"]

logger = logging.getLogger(__name__)


def _model(k: int, covariance: str, context: SearchContext) -> GaussianMixture:
    settings = context.clustering.gmm
    return GaussianMixture(
        n_components=k,
        covariance_type=covariance,
        n_init=settings.n_init,
        reg_covar=settings.reg_covar,
        max_iter=settings.max_iter,
        random_state=context.seed,
    )


def fit_gmm(
    X: np.ndarray, params: dict[str, Any], context: SearchContext
) -> tuple[np.ndarray, GaussianMixture]:
    """Fit a Gaussian mixture with the chosen ``k`` and ``covariance_type``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = _model(int(params["k"]), str(params["covariance_type"]), context).fit(X)
    if not model.converged_:
        logger.warning("gmm: EM did not converge in %d iterations", model.max_iter)
    return np.asarray(model.predict(X), dtype=int), model


def search_gmm(X: np.ndarray, context: SearchContext) -> Search:
    """Fit every k × covariance type and choose the lowest BIC."""
    rows = []
    for k in candidate_ks(len(X), n_distinct(X), context.clustering):
        for covariance in context.clustering.gmm.covariance_types:
            labels, model = fit_gmm(X, {"k": k, "covariance_type": covariance}, context)
            rows.append(
                {
                    "k": k,
                    "covariance_type": covariance,
                    "candidate": f"{k} {covariance}",
                    "bic": float(model.bic(X)),
                    "aic": float(model.aic(X)),
                    "n_segments_found": len(np.unique(labels)),
                    "converged": bool(model.converged_),
                    **criteria_row(X, labels, context),
                }
            )
    table = pd.DataFrame(rows)
    search = choose(table, "candidate", params=["k", "covariance_type"], votes=("bic",))
    criteria = search.criteria.drop(columns="candidate")
    return Search(criteria, search.params, search.summary, search.agree, search.notes)
