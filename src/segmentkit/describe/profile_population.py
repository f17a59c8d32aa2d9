"""Whole-population statistics every segment profile is compared with.

:class:`Population` holds what all customers look like (typical figures, category shares, the
customer value, who the top and the negligible customers are); :func:`categorical_stats`
compares one segment's categories with it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from segmentkit.config import ProfilesConfig
from segmentkit.describe.actions import VALUE_FEATURE
from segmentkit.describe.column_meanings import data_kind, semantic_columns, value_columns
from segmentkit.describe.labels import FeatureLabel, feature_label
from segmentkit.describe.profile_statistics import (
    MISSING,
    Driver,
    Standardiser,
    percent,
    typical_statistic,
)
from segmentkit.describe.rules.tree import equal_means_same_text
from segmentkit.prepare.transformer import PreparedData
from segmentkit.text import display_name, snake_case

__all__ = [
    "AGE_FEATURE",
    "TOP_QUANTILE",
    "Population",
    "categorical_stats",
    "category_shares",
    "category_text_codes",
    "feature_labels",
]

logger = logging.getLogger(__name__)


def feature_labels(prepared: PreparedData) -> dict[str, FeatureLabel]:
    """How each numeric feature reads: words, unit, birth years as ages, dates as days."""
    years = [
        int(str(day)[:4]) for day in prepared.date_references.values() if str(day)[:4].isdigit()
    ]
    reference_year = max(years) if years else None
    return {
        column: feature_label(
            column, is_date=column in prepared.date_references, reference_year=reference_year
        )
        for column in prepared.numeric_features
    }


#: A customer whose value is at least this quantile of all customers' is a top customer.
TOP_QUANTILE = 0.9
#: Where a birth year reaches the rules as an age.
AGE_FEATURE = "@age_years"
_NON_NEGATIVE = re.compile(
    r"spend|spent|amount|sales|revenue|monetary|purchase|(^|_)mnt|income|salary|price|balance"
    r"|(^|_)(num|count|cnt|qty|quantity|frequency|visits|orders)($|_)"
)


def _implausible(
    cleaned: pd.DataFrame, labels: dict[str, FeatureLabel], value_columns: list[str]
) -> np.ndarray:
    """Flag customers with a figure that cannot be true.

    A negative amount or count (returns larger than purchases), an age below 0 or above 110.
    """
    bad = np.zeros(len(cleaned), dtype=bool)
    for column, label in labels.items():
        values = cleaned[column].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if label.words == "age":
                shown = label.shown(values)
                bad |= (shown < 0) | (shown > 110)
            elif column in value_columns or _NON_NEGATIVE.search(snake_case(column)):
                bad |= values < 0
    return bad


class Population:
    """Whole-population statistics every segment is compared with."""

    def __init__(self, prepared: PreparedData, config: ProfilesConfig) -> None:
        cleaned = prepared.cleaned
        self.numeric = list(prepared.numeric_features)
        self.categorical = list(prepared.categorical_features)
        self.standardiser = Standardiser(prepared)
        self.z_columns = self.standardiser.columns
        self.mean = {c: float(cleaned[c].mean()) for c in self.numeric}
        # One figure per feature says "higher" or "lower": the median of a column the
        # model saw on a log scale (its z is a difference of logs), else the mean.
        self.typical_stat = {c: typical_statistic(c, prepared.log_columns) for c in self.numeric}
        self.typical = {
            c: float(cleaned[c].median() if self.typical_stat[c] == "median" else self.mean[c])
            for c in self.numeric
        }
        self.labels = feature_labels(prepared)
        # Each category column as codes into its values as text, once: a segment's shares
        # are then counts of small integers, not a pass over the text of every customer.
        self.category_codes: dict[str, np.ndarray] = {}
        self.category_values: dict[str, pd.Index] = {}
        for column in self.categorical:
            codes, values = category_text_codes(cleaned[column])
            self.category_codes[column], self.category_values[column] = codes, values
        everyone = np.arange(len(cleaned))
        self.category_shares = {c: self.shares(c, everyone) for c in self.categorical}
        self.value_columns = value_columns(self.numeric, config.value_columns)
        self.value: pd.Series | None = None
        if self.value_columns:
            value = cleaned[self.value_columns].sum(axis=1, min_count=1).fillna(0.0)
            if float(value.sum()) > 0:
                self.value = value
            else:
                logger.warning(
                    "Value columns %s sum to zero or less; share of value not reported",
                    ", ".join(self.value_columns),
                )
        self.semantic = semantic_columns(
            self.numeric, {str(k): v for k, v in config.columns.items()}
        )
        self.value_log: np.ndarray | None = None
        if self.value is not None:
            # Value is money: compare segments on a log scale so a few whales do not
            # make every other segment look "low".
            self.value_log = np.log1p(self.value.clip(lower=0).to_numpy())
            self.semantic.setdefault("spending", VALUE_FEATURE)
        # A birth year is an age to the rules too ("@age mean_below 30").
        self.age_from = next(
            (c for c, label in self.labels.items() if label.offset is not None), None
        )
        if self.age_from is not None and "age" not in self.semantic:
            self.semantic["age"] = AGE_FEATURE
        self.kind = data_kind(self.numeric + self.categorical)
        self.implausible = _implausible(cleaned, self.labels, self.value_columns)
        # Who the unusual customers are, one by one: the best tenth by value, or none.
        self.negligible = np.zeros(len(cleaned), dtype=bool)
        self.top_value = np.zeros(len(cleaned), dtype=bool)
        if self.value is not None:
            amounts = self.value.to_numpy(dtype=float)
            self.negligible = amounts <= 0
            self.top_value = (amounts >= np.quantile(amounts, TOP_QUANTILE)) & (amounts > 0)

    def z(self, members: np.ndarray, row: dict[str, object]) -> dict[str, float]:
        """Standardised differences that agree with the figures shown beside them.

        A difference whose sign disagrees with the typical figure's (a segment of a
        few whales and many small customers: higher mean, lower median) is no clear
        difference, and counts as 0.
        """
        z = self.standardiser.z(members)
        effects = {}
        for column, value in zip(self.z_columns, z, strict=True):
            typical = row.get(f"{column}_{self.typical_stat[column]}")
            gap = float(typical) - self.typical[column] if typical is not None else np.nan  # type: ignore[arg-type]
            effects[column] = float(value) if np.sign(gap) == np.sign(value) else 0.0
        return effects

    def figure(self, column: str, row: dict[str, object]) -> tuple[str, str]:
        """Return the segment's and everyone's typical figure of a feature, for people."""
        label = self.labels[column]
        segment = float(row[f"{column}_{self.typical_stat[column]}"])  # type: ignore[arg-type]
        return label.figure(segment), label.figure(self.typical[column])

    def value_facts(self, members: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
        """Standardised difference and mean of the customer value, for the rules."""
        if self.value is None or self.value_log is None:
            return {}, {}
        std = float(self.value_log.std()) or 1.0
        z = (float(self.value_log[members].mean()) - float(self.value_log.mean())) / std
        return {VALUE_FEATURE: z}, {VALUE_FEATURE: float(self.value.iloc[members].mean())}

    def shares(self, column: str, members: np.ndarray) -> pd.Series:
        """Return each value's share of ``members`` in a category column, as pandas does.

        Equal to ``values[members].value_counts(normalize=True)`` on the column as text,
        missing as ``(missing)``: the most common value first, values equally common in
        the order they first appear among ``members`` (rows in ascending order).
        """
        return category_shares(self.category_codes[column][members], self.category_values[column])

    def value_label(self) -> str:
        """Return what the value columns measure, in words ("total spend")."""
        if len(self.value_columns) == 1:
            return display_name(self.value_columns[0]).lower()
        if all(display_name(c).lower().startswith("spend") for c in self.value_columns):
            return "total spend"  # MntWines, MntFruits, ...: "spend on wines", ...
        return "total value"


def category_text_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Return a category column as codes into its distinct values as text.

    A value is its text (``str``), a missing one :data:`MISSING`; values that read the same
    (``1`` and ``"1"``) share one code.

    Examples
    --------
    >>> codes, values = category_text_codes(pd.Series(["b", None, "a", 1, "1", True], dtype=object))
    >>> codes.tolist(), list(values)
    ([0, 1, 2, 3, 3, 4], ['b', '(missing)', 'a', '1', 'True'])
    """
    if not equal_means_same_text(values):
        # Counting by value would join values whose texts differ: text first.
        values = values.astype(object).where(values.notna(), MISSING).astype(str)
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    texts = [MISSING if pd.isna(value) else str(value) for value in distinct]
    # Distinct values whose texts are equal become one (factorize keeps first appearance).
    merged, unique_texts = pd.factorize(pd.Index(texts, dtype=object))
    as_text = pd.Series(list(unique_texts), dtype=object).astype(str)
    index = pd.Index(as_text, dtype=as_text.dtype, name=values.name)
    return merged[codes].astype(np.intp, copy=False), index


def category_shares(codes: np.ndarray, values: pd.Index) -> pd.Series:
    """Return each value's share of ``codes``, as ``value_counts(normalize=True)`` does.

    The most common value first; values equally common in the order they first appear
    in ``codes`` (pandas sorts its counts stably, from a table in order of appearance).

    Examples
    --------
    >>> category_shares(np.array([2, 0, 0, 2, 1]), pd.Index(["a", "b", "c"])).to_dict()
    {'c': 0.4, 'a': 0.4, 'b': 0.2}
    """
    counts = np.bincount(codes, minlength=len(values))
    present = np.flatnonzero(counts)
    present_counts = counts[present]
    if len(np.unique(present_counts)) < len(present):
        # Ties: in the order of first appearance, as the counting table holds them.
        present = pd.unique(codes)
        present_counts = counts[present]
    order = np.argsort(-present_counts, kind="stable")
    chosen = present[order]
    shares = present_counts[order] / present_counts.sum()
    return pd.Series(shares, index=values[chosen], name="proportion")


def categorical_stats(
    row: dict[str, object],
    population: Population,
    segment_shares: Mapping[str, pd.Series],
    top_n: int,
) -> tuple[list[Driver], dict[str, tuple[str, float]]]:
    """Put a segment's most common value, its share, lift and mix per category into ``row``.

    ``segment_shares`` holds the segment's :meth:`Population.shares` of every category
    column. Returns each categorical column's driver (its most over-represented value)
    and, per column, the most common value with its lift.
    """
    drivers, tops = [], {}
    for column in population.categorical:
        overall = population.category_shares[column]
        shares = segment_shares[column]
        lift = shares / overall.reindex(shares.index)
        top = str(shares.index[0])
        row[f"{column}_top"] = top
        row[f"{column}_top_share"] = float(shares.iloc[0])
        row[f"{column}_top_lift"] = float(lift.iloc[0])
        row[f"{column}_mix"] = "; ".join(
            f"{value} {percent(share)} (x{lift_of:.2f})"
            for (value, share), lift_of in zip(
                shares.head(top_n).items(), lift.head(top_n), strict=True
            )
        )
        tops[column] = (top, float(lift.iloc[0]))
        # Standardised difference of each value's 0/1 indicator. The most over-represented
        # value describes the segment ("more Online"); some value is always at or above
        # its overall share, since shares sum to one.
        full = shares.reindex(overall.index, fill_value=0.0)
        spread = (overall * (1 - overall)) ** 0.5
        z = ((full - overall) / spread.where(spread > 0)).dropna()
        if len(z):
            strongest = int(np.argmax(z.to_numpy()))
            drivers.append(Driver(column, float(z.iloc[strongest]), str(z.index[strongest])))
    return drivers, tops
