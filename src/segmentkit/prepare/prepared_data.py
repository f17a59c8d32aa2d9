"""The result of :func:`~segmentkit.prepare.transformer.prepare`: what every later stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from segmentkit.prepare.cleaning import CleaningStep
from segmentkit.prepare.outliers import NeighbourRule
from segmentkit.prepare.roles import ColumnRole

__all__ = ["ROW_COLUMN", "PreparedData"]

#: The id column's name when the table has none: customers are their 1-based row numbers.
ROW_COLUMN = "row"


@dataclass(frozen=True)
class PreparedData:
    """Everything later stages need to know about the cleaned data.

    Attributes
    ----------
    X : numpy.ndarray of shape (n_kept, n_model_features)
        Transformed matrix (scaled numbers, one-hot categories) for every kept row.
    model_feature_names : list of str
        Column names of ``X``, from ``ColumnTransformer.get_feature_names_out``.
    feature_origin : dict
        Model feature name to the original column it came from (one-hot columns of one
        categorical column share an origin).
    features : list of str
        Original columns used as features, in input order.
    numeric_features, categorical_features : list of str
        The same, split by kind (date columns count as numeric: days before the latest).
    cleaned : pandas.DataFrame
        Kept rows, every original column after cleaning, in original units.
    raw : pandas.DataFrame
        Kept rows exactly as read.
    ids : pandas.Series
        Customer id of each kept row (or the 1-based row number, named ``row``).
    id_column : str
        Name of the id column in the outputs.
    kept_rows : numpy.ndarray of int
        0-based positions of the kept rows in the input table.
    is_outlier : numpy.ndarray of bool
        Outliers among the kept rows (``cleaning.outliers.method``).
    fit_mask : numpy.ndarray of bool
        Rows that shape the segments (all but flagged outliers under policy ``flag``).
    preprocessor : sklearn.compose.ColumnTransformer
        The fitted transformer; ``preprocessor.transform(cleaned)`` gives ``X``.
    roles : dict
        Column name to :class:`~segmentkit.prepare.roles.ColumnRole`.
    steps : tuple of CleaningStep
        Everything cleaning changed.
    dropped : pandas.DataFrame
        One row per dropped input row: ``row`` (1-based), id, ``reason``.
    row_counts : dict
        ``read``, ``kept``, ``dropped`` (by reason), ``outliers``, ``fit``.
    log_columns : list of str
        Columns that were log-transformed before scaling.
    outlier_bounds : dict
        Column to ``(low, high)`` fences in original units (method ``iqr``; empty for
        ``neighbours``).
    date_references : dict
        Date column to the ISO date its days are counted back from (the latest date).
    outlier_rule : NeighbourRule or None
        The fitted neighbour rule (method ``neighbours``), with the transformer fitted on
        every kept row that it judges customers in.
    outcomes : pandas.DataFrame
        Kept rows, one float column per profiled outcome column (role ``outcome``; yes/no
        and true/false as 1/0), see :mod:`segmentkit.describe.outcomes`. Never features.
    index : pandas.Index or None
        The caller's index labels of the kept rows (``frame.index[kept_rows]``): tables of
        kept rows go back on it. ``None`` where the data was not prepared from a frame.
    """

    X: np.ndarray
    model_feature_names: list[str]
    feature_origin: dict[str, str]
    features: list[str]
    numeric_features: list[str]
    categorical_features: list[str]
    cleaned: pd.DataFrame
    raw: pd.DataFrame
    ids: pd.Series
    id_column: str
    kept_rows: np.ndarray
    is_outlier: np.ndarray
    fit_mask: np.ndarray
    preprocessor: ColumnTransformer
    roles: dict[str, ColumnRole]
    steps: tuple[CleaningStep, ...]
    dropped: pd.DataFrame
    row_counts: dict[str, Any]
    log_columns: list[str]
    outlier_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    date_references: dict[str, str] = field(default_factory=dict)
    outlier_rule: NeighbourRule | None = None
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    index: pd.Index | None = None

    @property
    def X_fit(self) -> np.ndarray:
        """Rows of ``X`` that shape the segments."""
        return self.X[self.fit_mask]

    @property
    def numeric_model_columns(self) -> dict[str, int]:
        """Numeric feature to the position of its one model column (scaled, maybe logged)."""
        numeric = set(self.numeric_features)
        return {
            self.feature_origin[name]: i
            for i, name in enumerate(self.model_feature_names)
            if self.feature_origin[name] in numeric
        }
