"""The space the clustering sees: one scikit-learn ``ColumnTransformer`` over the features.

Numbers are imputed, optionally log-transformed and standardised; every categorical column
is imputed and one-hot encoded in its own part, weighted by ``cleaning.categorical_weight``
so a categorical column counts like one feature. The fitted transformer's feature names
reach every later stage, and a saved model applies it unchanged to new customers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from segmentkit.config import Config
from segmentkit.errors import ConfigError, DataError
from segmentkit.prepare.encoder import CategoryEncoder
from segmentkit.prepare.imputer import FrequentImputer, MedianImputer
from segmentkit.text import listing

__all__ = [
    "category_weight",
    "choose_log_columns",
    "feature_origin",
    "fit_transform_space",
]


def _skewness(values: pd.Series) -> float:
    present = values.dropna()
    if len(present) < 3:
        return 0.0
    return float(present.skew())  # type: ignore[arg-type]


def choose_log_columns(cleaned: pd.DataFrame, numeric: list[str], config: Config) -> list[str]:
    """Return the numeric columns to log-transform before scaling.

    The columns ``cleaning.log_transform.columns`` names (none may be negative), or under
    mode ``auto`` the non-negative ones with more than 10 distinct values whose skewness
    exceeds ``skew_threshold`` (mode ``always``: all such columns; ``never``: none).

    Raises
    ------
    DataError
        When a named column has negative values.
    """
    settings = config.cleaning.log_transform
    if settings.columns is not None:
        chosen = [c for c in numeric if c in settings.columns]
        negative = [c for c in chosen if (cleaned[c] < 0).any()]
        if negative:
            raise DataError(
                f"cleaning.log_transform.columns lists {negative} but they have negative values",
                hint="a log transform needs values >= 0",
            )
        return chosen
    if settings.mode == "never":
        return []
    chosen = []
    for name in numeric:
        values = cleaned[name]
        if values.min() < 0 or values.nunique() <= 10:
            continue
        if settings.mode == "always" or _skewness(values) > settings.skew_threshold:
            chosen.append(name)
    return chosen


def _numeric_fill(fill_value: Any, columns: list[str]) -> float:
    """Return the number the 'constant' strategy fills numeric ``columns`` with (default 0).

    One ``cleaning.missing.fill_value`` serves numeric and categorical columns: text that
    reads as a number ("5") fills numbers; other text is for categories only.
    """
    if fill_value is None:
        return 0.0
    try:
        number = float(fill_value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        named = listing(columns, 5, quote=True)
        raise ConfigError(
            f"cleaning.missing.fill_value: {fill_value!r} is not a finite number, but the "
            f"'constant' strategy fills numeric column(s) {named} with it; give a number, "
            "or another strategy for them (cleaning.missing.numeric or per_column)"
        )
    return number


def _numeric_pipeline(strategy: str, fill_value: Any, log: bool, columns: list[str]) -> Pipeline:
    steps: list[tuple[str, Any]] = []
    if strategy == "constant":
        fill = _numeric_fill(fill_value, columns)
        steps.append(("impute", SimpleImputer(strategy="constant", fill_value=fill)))
    else:
        # "drop" rows are gone already; median keeps scoring of new data well defined.
        if strategy in ("drop", "median"):
            steps.append(("impute", MedianImputer(strategy="median")))
        else:
            steps.append(("impute", SimpleImputer(strategy=strategy)))
    if log:
        steps.append(("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one")))
    steps.append(("scale", StandardScaler()))
    return Pipeline(steps)


def _categorical_pipeline(strategy: str, fill_value: Any) -> Pipeline:
    if strategy == "constant":
        imputer = SimpleImputer(strategy="constant", fill_value=str(fill_value or "missing"))
    else:
        imputer = FrequentImputer(strategy="most_frequent")
    encoder = CategoryEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)
    return Pipeline([("impute", imputer), ("onehot", encoder)])


def category_weight(setting: str | float, n_levels: int) -> float:
    """Factor every one-hot column of a categorical feature is multiplied by.

    Two customers in different categories are ``sqrt(2) * weight`` apart, next to
    standardised numeric columns; with ``"sqrt_levels"`` that is ``sqrt(2 / n_levels)``
    (0.82 for 3 levels), less than one standard deviation of a numeric feature, so a
    category unrelated to the real groups cannot split each of them in its levels.

    Parameters
    ----------
    setting : {"sqrt_levels", "unit"} or float
        ``cleaning.categorical_weight``.
    n_levels : int
        Categories the encoder learned for the column.

    Returns
    -------
    float

    Examples
    --------
    >>> round(category_weight("sqrt_levels", 4), 3), category_weight("unit", 4)
    (0.5, 1.0)
    """
    if setting == "unit":
        return 1.0
    if setting == "sqrt_levels":
        return 1.0 / float(np.sqrt(max(n_levels, 1)))
    return float(setting)


def _build_transformer(
    numeric: list[str], categorical: list[str], log_columns: list[str], config: Config
) -> ColumnTransformer:
    """One ColumnTransformer, each categorical column in its own ``cat_<i>`` part.

    The categorical weights become the transformer's own ``transformer_weights`` (set by
    :func:`fit_transform_space`): plain numbers that the saved model applies to new
    customers too, with no function to trust when loading.
    """
    missing = config.cleaning.missing
    groups: dict[tuple[str, str, bool], list[str]] = {}
    for name in numeric:
        strategy: str = missing.per_column.get(name, missing.numeric)
        groups.setdefault(("num", strategy, name in log_columns), []).append(name)
    transformers = []
    for (_, strategy, log), columns in groups.items():
        label = f"num_{strategy}{'_log' if log else ''}"
        pipeline = _numeric_pipeline(strategy, missing.fill_value, log, columns)
        transformers.append((label, pipeline, columns))
    # One pipeline per categorical column: its weight depends on its own number of levels.
    for position, name in enumerate(categorical):
        strategy = missing.per_column.get(name, missing.categorical)
        if strategy in {"median", "mean"}:
            strategy = "most_frequent"
        pipeline = _categorical_pipeline(strategy, missing.fill_value)
        transformers.append((f"cat_{position}", pipeline, [name]))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def feature_origin(transformer: ColumnTransformer) -> dict[str, str]:
    """Map every output feature name to the original column it came from, by position.

    One-hot columns of one categorical column share their origin.
    """
    origins: list[str] = []
    for _label, pipeline, columns in transformer.transformers_:
        if pipeline == "drop" or not len(columns):
            continue
        encoder = pipeline.named_steps.get("onehot")
        if encoder is None:
            origins += list(columns)
        else:
            for column, categories in zip(columns, encoder.categories_, strict=True):
                origins += [column] * len(categories)
    names = [str(n) for n in transformer.get_feature_names_out()]
    return dict(zip(names, origins, strict=True))


def fit_transform_space(
    numeric: list[str],
    categorical: list[str],
    log_columns: list[str],
    config: Config,
    data: pd.DataFrame,
) -> tuple[ColumnTransformer, np.ndarray]:
    """Fit the transformer on ``data`` and return it with ``data`` transformed by it.

    Categorical columns are weighted by their levels (``cleaning.categorical_weight``).

    One pass over the rows: the fit's own output, weighted as the fitted transformer
    weights its output, equals ``transformer.transform(data)`` bit for bit (every step
    treats each row on its own, and a weight multiplies the same numbers either way).
    """
    transformer = _build_transformer(numeric, categorical, log_columns, config)
    X = np.asarray(transformer.fit_transform(data), dtype=np.float64)
    setting = config.cleaning.categorical_weight
    if categorical and setting != "unit":
        # The weight may depend on the levels the encoder found in these rows. A
        # transformer weight only multiplies the output of its fitted part, so setting it
        # now is the same as fitting with it, without a second pass over the data.
        weights = {
            label: category_weight(setting, len(pipeline.named_steps["onehot"].categories_[0]))
            for label, pipeline, _ in transformer.transformers_
            if label.startswith("cat_")
        }
        weights = {label: weight for label, weight in weights.items() if weight != 1}
        transformer.set_params(transformer_weights=weights)
        for label, weight in weights.items():
            part = transformer.output_indices_[label]
            X[:, part] = X[:, part] * weight
    try:
        transformer.get_feature_names_out()
    except ValueError:
        # A one-hot name such as "region_north" clashes with a real column: prefix them all.
        # The names are made when asked for, so the fitted transformer needs no refit.
        transformer.set_params(verbose_feature_names_out=True)
    return transformer, X
