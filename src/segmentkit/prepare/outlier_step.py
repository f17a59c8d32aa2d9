"""Outliers among the cleaned rows: the glue between ``prepare`` and :mod:`~.outliers`.

The rules themselves live in :mod:`segmentkit.prepare.outliers`; this step feeds them the
rows on the model's scale (the fitted feature space, or log-scaled columns for the IQR
fences), logs a widened factor and words what was flagged.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.config import Config
from segmentkit.prepare.feature_space import fit_transform_space
from segmentkit.prepare.outliers import NeighbourRule, iqr_outliers, neighbour_outliers
from segmentkit.resources import effective_jobs
from segmentkit.text import plural

__all__ = ["Flagged", "flag_outliers"]

logger = logging.getLogger(__name__)


def _ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ..., ``11th``, ``21st``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Flagged:
    """The outlier step's verdict on the cleaned rows.

    Attributes
    ----------
    mask : numpy.ndarray of bool
        Outlier rows of the data.
    bounds : dict
        Column to ``(low, high)`` fences in original units (method ``iqr``; else empty).
    rule : NeighbourRule or None
        The fitted neighbour rule with its transformer (method ``neighbours``; else None).
    detail : str
        What was flagged, in words, for the log and the cleaning steps.
    X : numpy.ndarray or None
        Every row in the rule's space (method ``neighbours``): the model's matrix when
        that transformer is kept, so it is not computed twice.
    """

    mask: np.ndarray
    bounds: dict[str, tuple[float, float]]
    rule: NeighbourRule | None
    detail: str
    X: np.ndarray | None = None


def flag_outliers(
    data: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    log_columns: list[str],
    features: list[str],
    config: Config,
) -> Flagged:
    """Judge the cleaned rows by ``cleaning.outliers.method``, on the scale the model sees."""
    settings = config.cleaning.outliers
    if settings.method == "neighbours":
        # Judged in the space the clustering sees, fitted on every row; the caller then
        # refits the transformer on the rows that are not outliers.
        space, X = fit_transform_space(numeric, categorical, log_columns, config, data[features])
        mask, rule = neighbour_outliers(
            X,
            n_neighbours=settings.n_neighbours,
            factor=settings.fence_factor,
            max_share=settings.max_share,
            max_rows=settings.max_rows,
            seed=config.seed,
            workers=effective_jobs(config.n_jobs),
        )
        rule = dataclasses.replace(rule, space=space)
        if rule.factor != settings.fence_factor:
            logger.warning(
                "More than %.0f%% of rows were far from their neighbours at factor %.2g; "
                "widened to %.2f",
                100 * settings.max_share,
                settings.fence_factor,
                rule.factor,
            )
        detail = (
            f"{plural(int(mask.sum()), 'row')} far from the customers near them (distance to the "
            f"{_ordinal(rule.n_neighbours)} nearest above {rule.threshold:.3g}, factor "
            f"{rule.factor:.2f}), policy {settings.policy}"
        )
        return Flagged(mask, {}, rule, detail, X)
    # IQR fences on the scale the model sees (log scale for log columns).
    judged = data[numeric].copy()
    for name in log_columns:
        judged[name] = np.log1p(judged[name])
    mask, bounds, used = iqr_outliers(
        judged, factor=settings.fence_factor, max_share=settings.max_share
    )
    bounds = {
        c: ((float(np.expm1(lo)), float(np.expm1(hi))) if c in log_columns else (lo, hi))
        for c, (lo, hi) in bounds.items()
    }
    if used != settings.fence_factor:
        logger.warning(
            "More than %.0f%% of rows were outside the IQR fences at factor %.2g; widened to %.2f",
            100 * settings.max_share,
            settings.fence_factor,
            used,
        )
    detail = (
        f"{plural(int(mask.sum()), 'row')} outside the IQR fences (factor {used:.2f}), "
        f"policy {settings.policy}"
    )
    return Flagged(mask, bounds, None, detail)
