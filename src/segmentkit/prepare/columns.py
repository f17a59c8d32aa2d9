"""Which columns are features, and in what form: roles, conversions and the feature choice.

:func:`type_columns` turns every column into the form its role asks for (numbers stored
as text into numbers, category spellings merged, dates into days before the latest);
:func:`drop_mostly_missing` and :func:`choose_features` then settle the features once the
rows without an id are gone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.config import Config
from segmentkit.errors import DataError
from segmentkit.prepare.cleaning import (
    CleaningStep,
    as_dates,
    convert_numeric_text,
    dates_to_days,
    normalise_categories,
    out_of_range,
)
from segmentkit.prepare.roles import ColumnRole, infer_roles
from segmentkit.prepare.table_checks import check_rows_differ

__all__ = [
    "TypedColumns",
    "choose_features",
    "drop_mostly_missing",
    "keep_text_ids",
    "type_columns",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TypedColumns:
    """The table with every column in the form its role asks for.

    Attributes
    ----------
    data : pandas.DataFrame
        Numbers as floats, dates as days before their column's latest date, categories
        with merged spellings; other columns as read.
    as_read : pandas.DataFrame
        The same rows before any conversion (headers trimmed).
    roles : dict
        Column name to :class:`~segmentkit.prepare.roles.ColumnRole`.
    numeric, categorical : list of str
        Columns by role, in role order (date columns count as numeric).
    date_references : dict
        Date column to the ISO date its days are counted back from.
    converted : list of CleaningStep
        The numeric-text conversions, not yet logged: a text id's is undone.
    steps : list of CleaningStep
        Everything this step did, in order (the conversions included).
    """

    data: pd.DataFrame
    as_read: pd.DataFrame
    roles: dict[str, ColumnRole]
    numeric: list[str]
    categorical: list[str]
    date_references: dict[str, str]
    converted: list[CleaningStep]
    steps: list[CleaningStep]


def type_columns(data: pd.DataFrame, config: Config) -> TypedColumns:
    """Convert numbers stored as text, infer roles, merge category spellings, turn dates to days.

    Parameters
    ----------
    data : pandas.DataFrame
        The table with trimmed headers. Not modified.
    config : Config
        The run configuration.

    Returns
    -------
    TypedColumns

    Raises
    ------
    DataError
        When a numeric or date column holds infinite or impossibly large values.
    """
    as_read = data
    data, converted = convert_numeric_text(
        data, min_share=config.cleaning.numeric_text_share, log=False
    )
    steps = list(converted)
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
    date_references = _date_references(data, dates)
    data, new_steps = dates_to_days(data, dates)
    steps += new_steps
    numeric = [c for c, r in roles.items() if r.role in {"numeric", "date"}]
    for name in numeric:
        data[name] = pd.to_numeric(data[name], errors="coerce").astype(float)
        _reject_unusable_numbers(name, data[name].to_numpy())
    return TypedColumns(
        data=data,
        as_read=as_read,
        roles=roles,
        numeric=numeric,
        categorical=categorical,
        date_references=date_references,
        converted=converted,
        steps=steps,
    )


def _date_references(data: pd.DataFrame, dates: list[str]) -> dict[str, str]:
    """Return the latest date of each date column (ISO): its days are counted back from it."""
    references = {}
    for name in dates:
        latest = as_dates(data[name]).max()
        if pd.notna(latest):
            references[name] = pd.Timestamp(latest).isoformat()
    return references


def _reject_unusable_numbers(name: str, values: np.ndarray) -> None:
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


def keep_text_ids(
    typed: TypedColumns, id_column: str | None, steps: list[CleaningStep]
) -> tuple[pd.DataFrame, list[CleaningStep]]:
    """Put a text id column back as read, and forget its numeric-text conversion.

    Ids are text, as read: 0001 stays 0001. Digits in a text id were converted only to
    judge the column's role.

    Returns
    -------
    data : pandas.DataFrame
        ``typed.data`` (the same frame), its id column as read when that is text.
    steps : list of CleaningStep
        ``steps`` without the id column's numeric-text conversion.
    """
    data = typed.data
    if id_column is not None and not pd.api.types.is_numeric_dtype(typed.as_read[id_column]):
        data[id_column] = typed.as_read[id_column]
        steps = [s for s in steps if not (s.rule == "numeric_text" and s.column == id_column)]
    return data, steps


def drop_mostly_missing(
    data: pd.DataFrame,
    roles: dict[str, ColumnRole],
    columns: list[str],
    config: Config,
) -> tuple[dict[str, ColumnRole], list[CleaningStep]]:
    """Turn the ``columns`` missing in more than ``cleaning.missing.max_missing_share`` constant.

    Returns
    -------
    roles : dict
        A copy of ``roles``, those columns now ``constant`` (no longer features).
    steps : list of CleaningStep
        One ``dropped_column`` step per such column.
    """
    missing_cfg = config.cleaning.missing
    roles = dict(roles)
    steps = []
    for name in columns:
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
    return roles, steps


def choose_features(
    data: pd.DataFrame,
    roles: dict[str, ColumnRole],
    numeric: list[str],
    categorical: list[str],
    frame: pd.DataFrame,
) -> tuple[list[str], list[str], list[str]]:
    """Return the features in table order, and the numeric and categorical ones still features.

    Parameters
    ----------
    data : pandas.DataFrame
        The cleaned table (its column order is the features' order).
    roles : dict
        The final roles.
    numeric, categorical : list of str
        The candidates by kind.
    frame : pandas.DataFrame
        The table as read, to tell identical rows from a poor choice of columns.

    Returns
    -------
    features, numeric, categorical : list of str

    Raises
    ------
    DataError
        When no feature, or no numeric feature, is left.
    """
    numeric = [c for c in numeric if roles[c].is_feature]
    categorical = [c for c in categorical if roles[c].is_feature]
    features = [c for c in data.columns if c in set(numeric) | set(categorical)]
    if not features:
        check_rows_differ(frame)
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
    return features, numeric, categorical
