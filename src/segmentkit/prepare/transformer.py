"""From a raw customer table to the numeric matrix the clustering methods see.

``prepare`` runs every cleaning rule in a fixed order, decides which rows shape the
segments, and fits one scikit-learn ``ColumnTransformer`` (imputation, log transform,
scaling, one-hot encoding weighted so a categorical column counts like one feature)
whose feature names reach every later stage. Outliers are judged in that space by
:mod:`segmentkit.prepare.outliers`. The fitted transformer is kept so new customers can be
scored with exactly the same cleaning.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from segmentkit.config import Config
from segmentkit.describe.outcomes import outcome_frame
from segmentkit.errors import DataError
from segmentkit.prepare.cleaning import (
    CleaningStep,
    convert_numeric_text,
    dates_to_days,
    log_step,
    normalise_categories,
    out_of_range,
    parse_dates,
)
from segmentkit.prepare.outliers import NeighbourRule, iqr_outliers, neighbour_outliers
from segmentkit.prepare.roles import ColumnRole, infer_roles

__all__ = ["PreparedData", "category_weight", "iqr_outliers", "prepare"]

logger = logging.getLogger(__name__)

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


def _check_named_columns(frame: pd.DataFrame, config: Config) -> None:
    wanted: list[tuple[str, str]] = []
    inp = config.input
    if inp.id_column is not None:
        wanted.append(("input.id_column (--id-column)", inp.id_column))
    wanted += [("input.features (--features)", c) for c in inp.features or []]
    wanted += [("input.exclude (--exclude)", c) for c in inp.exclude]
    wanted += [("input.outcomes (--outcomes)", c) for c in inp.outcomes or []]
    wanted += [("input.roles", c) for c in inp.roles]
    wanted += [("cleaning.missing.per_column", c) for c in config.cleaning.missing.per_column]
    wanted += [
        ("cleaning.log_transform.columns", c) for c in config.cleaning.log_transform.columns or []
    ]
    wanted += [
        ("profiles.value_columns (--value-columns)", c) for c in config.profiles.value_columns or []
    ]
    missing = [(where, name) for where, name in wanted if name not in frame.columns]
    if missing:
        available = ", ".join(repr(c) for c in frame.columns[:30])
        problems = "; ".join(f"{where} names {name!r}" for where, name in missing)
        raise DataError(
            f"column(s) not in the data: {problems}",
            hint=f"available columns: {available}",
        )


def _check_rows_differ(frame: pd.DataFrame) -> None:
    """Raise when every row repeats the first: nothing tells the customers apart.

    Only called once no feature is left, where every column would otherwise be reported
    as "constant" with a hint about --features that cannot help.
    """
    first = frame.iloc[[0]].astype(str).to_numpy()
    if len(frame) > 1 and bool((frame.astype(str).to_numpy() == first).all()):
        raise DataError(
            f"all {len(frame)} rows are identical: nothing tells the customers apart",
            hint="check that the export finished and did not repeat one row",
        )


def _skewness(values: pd.Series) -> float:
    present = values.dropna()
    if len(present) < 3:
        return 0.0
    return float(present.skew())  # type: ignore[arg-type]


def _choose_log_columns(cleaned: pd.DataFrame, numeric: list[str], config: Config) -> list[str]:
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


def _numeric_pipeline(strategy: str, fill_value: Any, log: bool) -> Pipeline:
    steps: list[tuple[str, Any]] = []
    if strategy == "constant":
        steps.append(("impute", SimpleImputer(strategy="constant", fill_value=fill_value or 0)))
    else:
        # "drop" rows are gone already; median keeps scoring of new data well defined.
        steps.append(
            ("impute", SimpleImputer(strategy="median" if strategy == "drop" else strategy))
        )
    if log:
        steps.append(("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one")))
    steps.append(("scale", StandardScaler()))
    return Pipeline(steps)


def _categorical_pipeline(strategy: str, fill_value: Any) -> Pipeline:
    if strategy == "constant":
        imputer = SimpleImputer(strategy="constant", fill_value=str(fill_value or "missing"))
    else:
        imputer = SimpleImputer(strategy="most_frequent")
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)
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
    :func:`_fit_transformer`): plain numbers that the saved model applies to new
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
        transformers.append((label, _numeric_pipeline(strategy, missing.fill_value, log), columns))
    # One pipeline per categorical column: its weight depends on its own number of levels.
    for position, name in enumerate(categorical):
        strategy = missing.per_column.get(name, missing.categorical)
        if strategy in {"median", "mean"}:
            strategy = "most_frequent"
        pipeline = _categorical_pipeline(strategy, missing.fill_value)
        transformers.append((f"cat_{position}", pipeline, [name]))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def _feature_origin(transformer: ColumnTransformer) -> dict[str, str]:
    """Map every output feature name to the original column it came from, by position."""
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


def _fit_transformer(
    numeric: list[str],
    categorical: list[str],
    log_columns: list[str],
    config: Config,
    data: pd.DataFrame,
) -> ColumnTransformer:
    """Build and fit the transformer on ``data``, categorical columns weighted by their levels."""
    transformer = _build_transformer(numeric, categorical, log_columns, config)
    transformer.fit(data)
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
        transformer.set_params(transformer_weights={k: w for k, w in weights.items() if w != 1})
    try:
        transformer.get_feature_names_out()
    except ValueError:
        # A one-hot name such as "region_north" clashes with a real column: prefix them all.
        transformer.set_params(verbose_feature_names_out=True)
        transformer.fit(data)
    return transformer


def _ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ..., ``11th``, ``21st``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _flag_outliers(
    data: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    log_columns: list[str],
    features: list[str],
    config: Config,
) -> tuple[np.ndarray, dict[str, tuple[float, float]], NeighbourRule | None, str]:
    """Outlier mask, IQR fences (iqr only), the neighbour rule (neighbours only), detail."""
    settings = config.cleaning.outliers
    if settings.method == "neighbours":
        # Judged in the space the clustering sees, fitted on every row; the caller then
        # refits the transformer on the rows that are not outliers.
        space = _fit_transformer(numeric, categorical, log_columns, config, data[features])
        mask, rule = neighbour_outliers(
            np.asarray(space.transform(data[features]), dtype=np.float64),
            n_neighbours=settings.n_neighbours,
            factor=settings.fence_factor,
            max_share=settings.max_share,
            max_rows=settings.max_rows,
            seed=config.seed,
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
            f"{int(mask.sum())} row(s) far from the customers near them (distance to the "
            f"{_ordinal(rule.n_neighbours)} nearest above {rule.threshold:.3g}, factor "
            f"{rule.factor:.2f}), policy {settings.policy}"
        )
        return mask, {}, rule, detail
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
        f"{int(mask.sum())} row(s) outside the IQR fences (factor {used:.2f}), "
        f"policy {settings.policy}"
    )
    return mask, bounds, None, detail


def _drop_rows(
    frame: pd.DataFrame, mask: pd.Series, reason: str, dropped: list[tuple[int, str]]
) -> pd.DataFrame:
    dropped.extend((int(pos), reason) for pos in frame.index[mask])
    count = int(mask.sum())
    if count:
        logger.warning("Dropped %d row(s): %s", count, reason)
    return frame.loc[~mask]


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
    n_read = len(frame)
    steps: list[CleaningStep] = []
    data = frame.copy()
    data.index = pd.RangeIndex(n_read)
    renamed = {c: str(c).strip() for c in data.columns if str(c) != str(c).strip()}
    if renamed:
        data = data.rename(columns=renamed)
        steps.append(
            CleaningStep("headers", None, f"trimmed whitespace in {len(renamed)} header(s)")
        )
    data.columns = [str(c) for c in data.columns]
    if data.columns.duplicated().any():
        duplicated = sorted(set(data.columns[data.columns.duplicated()]))
        raise DataError(f"duplicate column name(s) after trimming headers: {duplicated}")
    if n_read == 0:
        raise DataError("the table has a header but no data rows")
    if n_read == 1:
        # Said plainly: otherwise every column is "constant" and the error would send the
        # user to --features/--exclude.
        raise DataError(
            "the table has only one data row; segmentation needs at least 2 customers",
            hint="check that the export finished and that you picked the right file",
        )
    _check_named_columns(data, config)

    as_read = data
    data, converted = convert_numeric_text(
        data, min_share=config.cleaning.numeric_text_share, log=False
    )
    steps += converted
    roles = infer_roles(data, config.input, config.cleaning)
    for role in roles.values():
        log = logger.warning if role.role in {"text", "constant"} else logger.info
        log("Column %r: %s (%s)", role.column, role.role, role.reason)
        if role.role in {"text", "constant"}:
            steps.append(CleaningStep("dropped_column", role.column, f"{role.role}: {role.reason}"))

    categorical = [c for c, r in roles.items() if r.role == "categorical"]
    dates = [c for c, r in roles.items() if r.role == "date"]
    data, new_steps = normalise_categories(data, categorical)
    steps += new_steps
    date_references = {}
    for name in dates:
        series = data[name]
        parsed = series if pd.api.types.is_datetime64_any_dtype(series) else parse_dates(series)
        latest = parsed.max()
        if pd.notna(latest):
            date_references[name] = pd.Timestamp(latest).isoformat()
    data, new_steps = dates_to_days(data, dates)
    steps += new_steps
    numeric = [c for c, r in roles.items() if r.role in {"numeric", "date"}]
    for name in numeric:
        data[name] = pd.to_numeric(data[name], errors="coerce").astype(float)
        values = data[name].to_numpy()
        unusable = int(out_of_range(values).sum())
        if unusable:
            infinite = int(np.isinf(values).sum())
            what = (
                f"{infinite} infinite value(s)"
                if infinite == unusable
                else f"{unusable} infinite or impossibly large value(s) (beyond ±3.4e38)"
            )
            raise DataError(
                f"column {name!r} has {what}",
                hint="replace them with real numbers or empty cells, or exclude the column",
            )

    dropped: list[tuple[int, str]] = []
    id_column = next((c for c, r in roles.items() if r.role == "id"), None)
    if id_column is not None and not pd.api.types.is_numeric_dtype(as_read[id_column]):
        # Ids are text, as read: 0001 stays 0001. Digits in a text id were converted
        # above only to judge the column's role.
        data[id_column] = as_read[id_column]
        steps = [s for s in steps if not (s.rule == "numeric_text" and s.column == id_column)]
    # Logged only now: the id's digits were converted to judge its role, not to use them.
    for step in converted:
        if step in steps:
            log_step(step)
    all_ids = data[id_column].copy() if id_column is not None else None
    if id_column is not None:
        missing_id = data[id_column].isna()
        data = _drop_rows(data, missing_id, "missing_id", dropped)
        ids_read = data[id_column]
        if pd.api.types.is_float_dtype(ids_read) and bool(
            np.all(np.mod(ids_read.to_numpy(), 1) == 0)
        ):
            # Whole-number ids read as floats because of a blank cell: 1001, not 1001.0.
            data[id_column] = ids_read.astype("int64")
        duplicated_any = data[id_column].duplicated(keep=False)
        if duplicated_any.any():
            policy = config.cleaning.duplicate_ids
            n_ids = int(data.loc[duplicated_any, id_column].nunique())
            if policy == "error":
                raise DataError(
                    f"{n_ids} customer id(s) in {id_column!r} appear more than once "
                    f"(e.g. {data.loc[duplicated_any, id_column].iloc[0]!r})",
                    hint="fix the file or set cleaning.duplicate_ids to "
                    "keep_first, keep_last or drop_all",
                )
            keep = {"keep_first": "first", "keep_last": "last", "drop_all": False}[policy]
            mask = data[id_column].duplicated(keep=keep)  # type: ignore[arg-type]
            data = _drop_rows(data, mask, "duplicate_id", dropped)
            steps.append(
                CleaningStep(
                    "duplicate_ids",
                    id_column,
                    f"{n_ids} repeated id(s), policy {policy}",
                    int(mask.sum()),
                )
            )

    # Missing values: drop hopeless columns, then rows the strategy drops.
    missing_cfg = config.cleaning.missing
    for name in [*numeric, *categorical]:
        share = float(data[name].isna().mean()) if len(data) else 0.0
        if share > missing_cfg.max_missing_share:
            logger.warning(
                "Column %r dropped: %.0f%% missing "
                "(more than cleaning.missing.max_missing_share = %.0f%%)",
                name,
                100 * share,
                100 * missing_cfg.max_missing_share,
            )
            roles[name] = ColumnRole(name, "constant", f"{share:.0%} of values missing")
            steps.append(CleaningStep("dropped_column", name, f"{share:.0%} of values missing"))
    numeric = [c for c in numeric if roles[c].is_feature]
    categorical = [c for c in categorical if roles[c].is_feature]
    features = [c for c in data.columns if c in set(numeric) | set(categorical)]
    if not features:
        _check_rows_differ(frame)
        raise DataError(
            "no usable feature column: every column is an id, constant, free text, "
            "excluded or mostly missing",
            hint="check --features/--exclude, or set column roles in the config",
        )
    if not numeric:
        raise DataError(
            "no usable numeric column: segmentation needs at least one numeric feature",
            hint="check --features, or set a column's role to numeric in the config",
        )
    for name in features:
        default = missing_cfg.numeric if name in numeric else missing_cfg.categorical
        strategy = missing_cfg.per_column.get(name, default)
        n_missing = int(data[name].isna().sum())
        if strategy == "drop":
            data = _drop_rows(data, data[name].isna(), f"missing:{name}", dropped)
        elif n_missing:
            steps.append(
                CleaningStep(
                    "missing", name, f"{n_missing} missing value(s) filled ({strategy})", n_missing
                )
            )
            logger.info("Column %r: %d missing value(s) filled (%s)", name, n_missing, strategy)
    empty = data[features].isna().all(axis=1)
    data = _drop_rows(data, empty, "no_feature_values", dropped)
    if len(data) == 0:
        raise DataError("no rows left after cleaning", hint="see the log for what was dropped")

    log_columns = _choose_log_columns(data, numeric, config)
    if log_columns:
        steps.append(
            CleaningStep(
                "log_transform", None, "log(1 + x) before scaling: " + ", ".join(log_columns)
            )
        )
        logger.info("Log-transformed (skewed, non-negative): %s", ", ".join(log_columns))

    is_outlier, bounds, rule, detail = _flag_outliers(
        data, numeric, categorical, log_columns, features, config
    )
    outlier_cfg = config.cleaning.outliers
    n_outliers = int(is_outlier.sum())
    steps.append(CleaningStep("outliers", None, detail, n_outliers))
    logger.info("Outliers: %s", detail)
    if outlier_cfg.policy == "drop":
        data = _drop_rows(data, pd.Series(is_outlier, index=data.index), "outlier", dropped)
        is_outlier = np.zeros(len(data), dtype=bool)
    fit_mask = ~is_outlier if outlier_cfg.policy == "flag" else np.ones(len(data), dtype=bool)
    if not fit_mask.any():
        fit_mask = np.ones(len(data), dtype=bool)

    if rule is not None and fit_mask.all() and not (outlier_cfg.policy == "drop" and n_outliers):
        # Every row shapes the segments: the transformer the outliers were judged in,
        # fitted on these same rows, is the one to keep.
        transformer = rule.space
    else:
        transformer = _fit_transformer(
            numeric, categorical, log_columns, config, data.loc[fit_mask, features]
        )
    X = np.asarray(transformer.transform(data[features]), dtype=np.float64)
    model_names = [str(n) for n in transformer.get_feature_names_out()]

    kept_rows = data.index.to_numpy()
    ids = data[id_column] if id_column is not None else pd.Series(kept_rows + 1, name=ROW_COLUMN)
    reasons = Counter(reason for _, reason in dropped)
    dropped_frame = pd.DataFrame(
        {
            ROW_COLUMN: [pos + 1 for pos, _ in dropped],
            **(
                {id_column: [all_ids.iloc[pos] for pos, _ in dropped]}
                if id_column is not None and all_ids is not None
                else {}
            ),
            "reason": [reason for _, reason in dropped],
        }
    )
    row_counts: dict[str, Any] = {
        "read": n_read,
        "dropped": dict(sorted(reasons.items())),
        "kept": len(data),
        "outliers": n_outliers,
        "fit": int(fit_mask.sum()),
    }
    logger.info(
        "Rows: %d read, %d kept, %d dropped, %d outliers; %d shape the segments",
        n_read,
        len(data),
        len(dropped),
        n_outliers,
        row_counts["fit"],
    )
    return PreparedData(
        X=X,
        model_feature_names=model_names,
        feature_origin=_feature_origin(transformer),
        features=features,
        numeric_features=[c for c in features if c in numeric],
        categorical_features=[c for c in features if c in categorical],
        cleaned=data.reset_index(drop=True),
        raw=frame.iloc[kept_rows].reset_index(drop=True),
        ids=ids.reset_index(drop=True).rename(id_column or ROW_COLUMN),
        id_column=id_column or ROW_COLUMN,
        kept_rows=kept_rows,
        is_outlier=np.asarray(is_outlier, dtype=bool),
        fit_mask=np.asarray(fit_mask, dtype=bool),
        preprocessor=transformer,
        roles=roles,
        steps=tuple(steps),
        dropped=dropped_frame,
        row_counts=row_counts,
        log_columns=log_columns,
        outlier_bounds=bounds,
        date_references={c: r for c, r in date_references.items() if c in features},
        outlier_rule=rule,
        outcomes=outcome_frame(data, roles),
    )
