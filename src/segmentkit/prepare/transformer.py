"""From a raw customer table to the numeric matrix the clustering methods see.

``prepare`` runs every cleaning rule in a fixed order, decides which rows shape the
segments, and fits one scikit-learn ``ColumnTransformer`` (imputation, log transform,
scaling, one-hot encoding weighted so a categorical column counts like one feature)
whose feature names reach every later stage. Outliers are judged in that space by
:mod:`segmentkit.prepare.outliers`. The fitted transformer is kept so new customers can be
scored with exactly the same cleaning.

Each step has its own module: :mod:`~segmentkit.prepare.table_checks` (headers, size,
named columns), :mod:`~segmentkit.prepare.columns` (roles and conversions, the feature
choice), :mod:`~segmentkit.prepare.rows` (ids, missing values, the record of drops),
:mod:`~segmentkit.prepare.outlier_step` and :mod:`~segmentkit.prepare.feature_space` (the
``ColumnTransformer``); :class:`~segmentkit.prepare.prepared_data.PreparedData` is the result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from segmentkit.config import Config
from segmentkit.describe.outcomes import outcome_frame
from segmentkit.prepare.cleaning import CleaningStep, log_step
from segmentkit.prepare.columns import (
    choose_features,
    drop_mostly_missing,
    keep_text_ids,
    type_columns,
)
from segmentkit.prepare.feature_space import (
    category_weight,
    choose_log_columns,
    feature_origin,
    fit_transform_space,
)
from segmentkit.prepare.outlier_step import flag_outliers
from segmentkit.prepare.outliers import NeighbourRule, iqr_outliers
from segmentkit.prepare.prepared_data import ROW_COLUMN, PreparedData
from segmentkit.prepare.rows import (
    apply_id_rules,
    count_rows,
    drop_missing_rows,
    drop_rows,
    dropped_table,
)
from segmentkit.prepare.table_checks import check_named_columns, trim_headers

# category_weight, iqr_outliers and PreparedData live in their own modules now; they stay
# importable from here, where callers and the package found them first.
__all__ = ["PreparedData", "category_weight", "iqr_outliers", "prepare"]

logger = logging.getLogger(__name__)


def prepare(frame: pd.DataFrame, config: Config) -> PreparedData:
    """Clean a customer table and fit the feature transformer.

    The steps, in order: trim headers; convert numbers stored as text; infer column roles;
    normalise category spellings; turn dates into days; reject infinite values; apply the
    duplicate-id policy; drop columns mostly missing and rows the missing-value strategy
    drops; choose log-transformed columns; flag outliers (far from their neighbours in
    the model's space, or beyond IQR fences; policy ``flag``/``drop``/``keep``); fit the
    ``ColumnTransformer`` (categorical columns weighted by ``cleaning.categorical_weight``)
    on the rows that shape the segments.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer, as read. Not modified.
    config : Config
        The run configuration.

    Returns
    -------
    PreparedData

    Raises
    ------
    DataError
        When columns named in the config are absent, the table has a single row or only
        identical rows, has no usable feature, contains infinite values, has duplicate
        ids under policy ``error``, or has no row left after cleaning.
    """
    data, steps = trim_headers(frame)
    check_named_columns(data, config)
    typed = type_columns(data, config)
    steps += typed.steps
    id_column = next((c for c, r in typed.roles.items() if r.role == "id"), None)
    data, steps = keep_text_ids(typed, id_column, steps)
    # Logged only now: the id's digits were converted to judge its role, not to use them.
    for step in typed.converted:
        if step in steps:
            log_step(step)

    dropped: list[tuple[int, str]] = []
    all_ids = data[id_column].copy() if id_column is not None else None
    if id_column is not None:
        data, new_steps = apply_id_rules(data, id_column, config, dropped)
        steps += new_steps
    # Missing values: drop hopeless columns, then rows the strategy drops.
    roles, new_steps = drop_mostly_missing(
        data, typed.roles, [*typed.numeric, *typed.categorical], config
    )
    steps += new_steps
    features, numeric, categorical = choose_features(
        data, roles, typed.numeric, typed.categorical, frame
    )
    data, new_steps = drop_missing_rows(data, features, numeric, config, dropped)
    steps += new_steps

    log_columns = choose_log_columns(data, numeric, config)
    if log_columns:
        steps.append(
            CleaningStep(
                "log_transform", None, "log(1 + x) before scaling: " + ", ".join(log_columns)
            )
        )
        logger.info("Log-transformed (skewed, non-negative): %s", ", ".join(log_columns))
    outliers, space_X = _judge_outliers(
        data, numeric, categorical, log_columns, features, config, dropped
    )
    steps.append(outliers.step)
    data = outliers.data
    if space_X is not None and _space_is_model(outliers):
        # Every row shapes the segments: the transformer the outliers were judged in,
        # fitted on these same rows, is the one to keep, with the matrix it gave them.
        transformer, X = outliers.rule.space, space_X  # type: ignore[union-attr]
    else:
        # Let go of the outlier space's matrix (1.3 GB at 10,000,000 customers) before
        # the model's is made.
        space_X = None
        transformer, X = _fit_model_space(
            outliers, numeric, categorical, log_columns, features, config
        )

    kept_rows = data.index.to_numpy()
    ids = data[id_column] if id_column is not None else pd.Series(kept_rows + 1, name=ROW_COLUMN)
    dropped_frame = dropped_table(dropped, id_column, all_ids)
    row_counts = count_rows(
        len(frame), len(data), dropped, outliers.step.rows, int(outliers.fit_mask.sum())
    )
    return PreparedData(
        X=X,
        model_feature_names=[str(n) for n in transformer.get_feature_names_out()],
        feature_origin=feature_origin(transformer),
        features=features,
        numeric_features=[c for c in features if c in numeric],
        categorical_features=[c for c in features if c in categorical],
        cleaned=data.reset_index(drop=True),
        raw=_kept(frame, kept_rows),
        ids=ids.reset_index(drop=True).rename(id_column or ROW_COLUMN),
        id_column=id_column or ROW_COLUMN,
        kept_rows=kept_rows,
        is_outlier=np.asarray(outliers.is_outlier, dtype=bool),
        fit_mask=np.asarray(outliers.fit_mask, dtype=bool),
        preprocessor=transformer,
        roles=roles,
        steps=tuple(steps),
        dropped=dropped_frame,
        row_counts=row_counts,
        log_columns=log_columns,
        outlier_bounds=outliers.bounds,
        date_references={c: r for c, r in typed.date_references.items() if c in features},
        outlier_rule=outliers.rule,
        outcomes=outcome_frame(data, roles),
        index=frame.index[kept_rows],
    )


@dataclass(frozen=True)
class _Outliers:
    """The outlier step's outcome: the rows left, which are outliers, which shape segments."""

    data: pd.DataFrame
    is_outlier: np.ndarray
    fit_mask: np.ndarray
    bounds: dict[str, tuple[float, float]]
    rule: NeighbourRule | None
    step: CleaningStep
    policy: str


def _judge_outliers(
    data: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    log_columns: list[str],
    features: list[str],
    config: Config,
    dropped: list[tuple[int, str]],
) -> tuple[_Outliers, np.ndarray | None]:
    """Flag outliers and apply ``cleaning.outliers.policy``: flag, drop or keep them.

    Also returns every row in the outlier space (method ``neighbours``; else None).
    """
    flagged = flag_outliers(data, numeric, categorical, log_columns, features, config)
    is_outlier, bounds, rule, detail = flagged.mask, flagged.bounds, flagged.rule, flagged.detail
    policy = config.cleaning.outliers.policy
    step = CleaningStep("outliers", None, detail, int(is_outlier.sum()))
    logger.info("Outliers: %s", detail)
    if policy == "drop":
        data = drop_rows(data, pd.Series(is_outlier, index=data.index), "outlier", dropped)
        is_outlier = np.zeros(len(data), dtype=bool)
    fit_mask = ~is_outlier if policy == "flag" else np.ones(len(data), dtype=bool)
    if not fit_mask.any():
        fit_mask = np.ones(len(data), dtype=bool)
    return _Outliers(data, is_outlier, fit_mask, bounds, rule, step, policy), flagged.X


def _space_is_model(outliers: _Outliers) -> bool:
    """Whether the outlier space, fitted on every row, is the model's: every row shapes it."""
    return (
        outliers.rule is not None
        and outliers.rule.space is not None
        and bool(outliers.fit_mask.all())
        and not (outliers.policy == "drop" and outliers.step.rows)
    )


def _fit_model_space(
    outliers: _Outliers,
    numeric: list[str],
    categorical: list[str],
    log_columns: list[str],
    features: list[str],
    config: Config,
) -> tuple[ColumnTransformer, np.ndarray]:
    """Return the transformer fitted on the rows that shape the segments, and every row in it."""
    data, fit_mask = outliers.data, outliers.fit_mask
    transformer, fitted = fit_transform_space(
        numeric, categorical, log_columns, config, data.loc[fit_mask, features]
    )
    if fit_mask.all():
        return transformer, fitted
    # Each row is transformed on its own, so the fit's output stands for its rows and
    # only the others (the outliers) need a pass of their own.
    X = np.empty((len(data), fitted.shape[1]))
    X[fit_mask] = fitted
    del fitted
    X[~fit_mask] = np.asarray(
        transformer.transform(data.loc[~fit_mask, features]), dtype=np.float64
    )
    return transformer, X


def _kept(frame: pd.DataFrame, kept_rows: np.ndarray) -> pd.DataFrame:
    """Return the input rows kept, renumbered from 0: the input itself when all are kept.

    With pandas 3, which copies on write, the input is shared, not copied (1 GB at
    10,000,000 customers), and neither can change the other; pandas 2 copies it here.
    """
    if len(kept_rows) == len(frame) and np.array_equal(kept_rows, np.arange(len(frame))):
        return frame.reset_index(drop=True)
    return frame.iloc[kept_rows].reset_index(drop=True)
