"""Outcome columns: campaign results, profiled per segment and never used to segment.

Segmenting on the result you want to explain (``Response``, ``AcceptedCmp1``, ``churned``,
bank marketing's ``y``) gives segments that restate it: "the responders" is not a
finding. A column with the role ``outcome`` (:mod:`segmentkit.prepare.roles` detects them by name;
``input.outcomes`` / ``--outcomes`` lists them) is left out of the features and becomes
``<column>_mean`` in ``segment_profiles.csv``: for a 0/1 column, the segment's rate.

Values become numbers once, when the data is prepared:

- numbers stay as they are (a 0/1 column gives a rate, any other a mean);
- true/false become 1/0;
- text gives a rate when every value, trimmed and case-folded, is one of ``yes``, ``y``,
  ``true``, ``t``, ``1`` (1) or ``no``, ``n``, ``false``, ``f``, ``0`` (0).

Missing values are left out of every mean. Other text cannot give a rate: such a column
is still never a feature, but it is not profiled and a warning says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from segmentkit.text import format_number, snake_case, without_units

if TYPE_CHECKING:
    from segmentkit.prepare.roles import ColumnRole

__all__ = [
    "HEADLINE_OUTCOMES",
    "NEGATIVE_VALUES",
    "POSITIVE_VALUES",
    "describe_outcome",
    "format_outcome",
    "headline_first",
    "is_headline_outcome",
    "outcome_facts",
    "outcome_frame",
    "outcome_lift",
    "outcome_means",
    "outcome_population",
    "outcome_values",
]

logger = logging.getLogger(__name__)

#: Text values (trimmed, case-folded) counted as 1 in an outcome's rate.
POSITIVE_VALUES = frozenset({"yes", "y", "true", "t", "1"})
#: Text values counted as 0.
NEGATIVE_VALUES = frozenset({"no", "n", "false", "f", "0"})


def outcome_values(series: pd.Series) -> pd.Series | None:
    """Return an outcome column as floats (1/0 for true/false and yes/no), else None.

    Parameters
    ----------
    series : pandas.Series
        One column as read (numbers stored as text already converted). Not modified.

    Returns
    -------
    pandas.Series of float or None
        Same index; missing values stay NaN. None when text holds anything but yes/no
        values.

    Examples
    --------
    >>> outcome_values(pd.Series(["yes", "No ", None, "TRUE"])).tolist()
    [1.0, 0.0, nan, 1.0]
    >>> outcome_values(pd.Series([True, False])).tolist()
    [1.0, 0.0]
    >>> outcome_values(pd.Series(["gold", "silver"])) is None
    True
    """
    if pd.api.types.is_bool_dtype(series):
        # Nullable booleans keep their missing values as NaN.
        return series.map({True: 1.0, False: 0.0}).astype(float)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    present = series.notna()
    text = series[present].astype(str).str.strip().str.casefold()
    if not set(text.unique()) <= POSITIVE_VALUES | NEGATIVE_VALUES:
        return None
    values = pd.Series(np.nan, index=series.index, dtype=float, name=series.name)
    values[present] = text.isin(POSITIVE_VALUES).astype(float)
    return values


def outcome_frame(data: pd.DataFrame, roles: Mapping[str, ColumnRole]) -> pd.DataFrame:
    """Return the profiled outcomes of ``data``: one float column per outcome column.

    Parameters
    ----------
    data : pandas.DataFrame
        The kept rows. Not modified.
    roles : dict
        Column to :class:`~segmentkit.prepare.roles.ColumnRole`; those with role ``outcome`` are
        taken, in column order.

    Returns
    -------
    pandas.DataFrame of shape (len(data), n_outcomes)
        A fresh ``RangeIndex``. An outcome whose text is not yes/no is left out, with a
        warning.
    """
    columns: dict[str, pd.Series] = {}
    for name, role in roles.items():
        if role.role != "outcome":
            continue
        values = outcome_values(data[name])
        if values is None:
            logger.warning(
                "Outcome %r is not profiled: its values are not numbers, true/false or "
                "yes/no; it is not used to segment either",
                name,
            )
            continue
        columns[name] = values.reset_index(drop=True)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(data)))


def outcome_means(outcomes: pd.DataFrame, members: np.ndarray) -> dict[str, float]:
    """Return ``{"<outcome>_mean": mean over members}`` for every outcome column.

    Examples
    --------
    >>> frame = pd.DataFrame({"Response": [1.0, 0.0, 1.0, 1.0]})
    >>> outcome_means(frame, np.array([True, True, False, False]))
    {'Response_mean': 0.5}
    """
    return {f"{c}_mean": float(outcomes[c].iloc[members].mean()) for c in outcomes.columns}


def outcome_lift(segment_mean: float, overall_mean: float) -> float:
    """Return a segment's outcome mean over everyone's: 1.5 = half as much again.

    NaN when the overall mean is not positive (no lift can be read from it).

    Examples
    --------
    >>> outcome_lift(0.3, 0.15), outcome_lift(0.1, 0.0)
    (2.0, nan)
    """
    if not overall_mean > 0 or segment_mean != segment_mean:
        return float("nan")
    return segment_mean / overall_mean


def outcome_facts(outcomes: pd.DataFrame, members: np.ndarray) -> dict[str, tuple[float, float]]:
    """Return outcome column to ``(segment mean, lift over all rows)`` for the rules.

    Examples
    --------
    >>> frame = pd.DataFrame({"Response": [1.0, 0.0, 0.0, 0.0]})
    >>> outcome_facts(frame, np.array([True, True, False, False]))
    {'Response': (0.5, 2.0)}
    """
    facts = {}
    for column in outcomes.columns:
        mean = float(outcomes[column].iloc[members].mean())
        facts[column] = (mean, outcome_lift(mean, float(outcomes[column].mean())))
    return facts


def outcome_population(outcomes: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Return outcome column to ``{"mean", "std", "rate"}`` over all rows.

    ``std`` is the population standard deviation (``sqrt(p (1 - p))`` for a rate ``p``);
    ``rate`` says whether every value is 0 or 1.

    This is what ``run.json`` records under ``population.outcomes``: the baseline every
    segment's ``<outcome>_mean`` is compared with.

    Examples
    --------
    >>> frame = pd.DataFrame({"Response": [1.0, 0.0, 1.0, 0.0], "spend": [1.0, 3.0, 1.0, 3.0]})
    >>> population = outcome_population(frame)
    >>> population["Response"]
    {'mean': 0.5, 'std': 0.5, 'rate': True}
    >>> population["spend"]
    {'mean': 2.0, 'std': 1.0, 'rate': False}
    """
    population = {}
    for column in outcomes.columns:
        values = outcomes[column]
        mean, std = float(values.mean()), float(values.std(ddof=0))
        population[str(column)] = {
            "mean": None if mean != mean else mean,
            "std": None if std != std else std,
            "rate": bool(values.dropna().isin([0.0, 1.0]).all()),
        }
    return population


def format_outcome(value: float | None, rate: bool) -> str:
    """Return an outcome's mean for people: a percentage for a rate, else the number.

    Examples
    --------
    >>> format_outcome(0.231, True), format_outcome(0.004, True), format_outcome(3.5, False)
    ('23%', '0.4%', '3.50')
    >>> format_outcome(None, True), format_outcome(0.0, True)
    ('', '0%')
    """
    if value is None or value != value:
        return ""
    if not rate:
        return format_number(value)
    if value == 0:
        return "0%"
    # Rare results (complaints: 1%) need a decimal to tell segments apart.
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


#: The results a campaign is judged on; shown before the others.
HEADLINE_OUTCOMES = frozenset(
    {"response", "responded", "y", "target", "label", "churn", "churned", "converted",
     "conversion", "subscribed", "outcome"}
)  # fmt: skip


def headline_first(columns: list[str]) -> list[str]:
    """Order outcome columns with the headline result (Response, y, churn ...) first.

    Examples
    --------
    >>> headline_first(["AcceptedCmp1", "Complain", "Response"])
    ['Response', 'AcceptedCmp1', 'Complain']
    """
    return sorted(columns, key=lambda c: not is_headline_outcome(c))


def is_headline_outcome(column: str) -> bool:
    """Whether a column is the result a campaign is judged on (Response, y, churn ...)."""
    return snake_case(without_units(column)) in HEADLINE_OUTCOMES


def describe_outcome(column: str, mean: float, overall: float | None, rate: bool) -> str:
    """Return one segment's outcome against all customers, for people.

    Examples
    --------
    >>> describe_outcome("Response", 0.231, 0.149, True)
    'Response 23% vs 15% overall, ×1.6'
    >>> describe_outcome("Complain", 0.004, 0.009, True)
    'Complain 0.4% vs 0.9% overall, ×0.4'
    >>> describe_outcome("orders", 3.5, None, False)
    'orders 3.50'
    """
    if mean != mean:
        return f"{column}: no values"
    text = f"{column} {format_outcome(mean, rate)}"
    if overall is None or overall != overall:
        return text
    text += f" vs {format_outcome(overall, rate)} overall"
    lift = outcome_lift(mean, overall)
    return text if lift != lift else f"{text}, ×{lift:.1f}"
