"""The segment rules as data: conditions, paths and one segmentation's rules.

A :class:`Condition` tests one column in its own units, a :class:`RulePath` is the AND of
its conditions, and :class:`SegmentRules` holds every path of one segmentation with how
well they agree with it. Each reads as a filter (``text``), in words (``words``), as the
``segment_rules.csv`` table (:meth:`SegmentRules.table`) and as segments
(:meth:`SegmentRules.predict`, exactly as :mod:`segmentkit.describe.rules.sql` does).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from segmentkit.describe.rules.tree import ColumnValues, column_values
from segmentkit.text import display_name, unit_of

__all__ = [
    "DATE_OPS",
    "Condition",
    "Op",
    "RulePath",
    "SegmentRules",
    "plain_number",
    "share_text",
]


Op = Literal["<", "<=", ">", ">=", "in", "not in"]

_WORDS = {"<": "below", "<=": "at most", ">": "above", ">=": "at least"}
#: Days before the reference date compared one way are dates compared the other way.
DATE_OPS = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_DATE_WORDS = {"<": "before", "<=": "on or before", ">": "after", ">=": "on or after"}


def plain_number(number: float) -> str:
    """Return the shortest text that reads back as exactly ``number``.

    Examples
    --------
    >>> plain_number(70.0), plain_number(0.35), plain_number(-1e-07)
    ('70', '0.35', '-1e-07')
    """
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


@dataclass(frozen=True)
class Condition:
    """One test on one column, in the column's own units.

    Attributes
    ----------
    column : str
        The input column.
    op : {"<", "<=", ">", ">=", "in", "not in"}
        How the column is compared with ``threshold`` or ``categories``.
    threshold : float
        Numbers and dates; for a date column in days before ``reference``, as cleaned.
    categories : tuple of str
        ``in`` / ``not in``: the categories (cleaned spellings).
    reference : str or None
        Date columns only: the ISO timestamp the days count back from.
    fill : float or str or None
        The value a missing one counts as (in the same units); ``None``: a missing value
        never satisfies the condition.
    """

    column: str
    op: Op
    threshold: float = math.nan
    categories: tuple[str, ...] = ()
    reference: str | None = None
    fill: float | str | None = None

    @property
    def is_category(self) -> bool:
        """Whether the condition tests categories."""
        return self.op in ("in", "not in")

    def date_text(self, days: float | None = None) -> str:
        """Return ``days`` (default the threshold) before the reference as an ISO date."""
        assert self.reference is not None  # noqa: S101 - only called for date columns
        back = pd.Timedelta(days=self.threshold if days is None else days)
        date = (pd.Timestamp(self.reference) - back).round("s")
        return str(date.date()) if date == date.normalize() else date.isoformat(sep=" ")

    def holds(self, data: pd.DataFrame | ColumnValues) -> np.ndarray:
        """Return where the condition is true, as :mod:`segmentkit.describe.rules.sql` tests it."""
        columns = column_values(data)
        if self.is_category:
            codes, texts = columns.codes(self.column, self.fill)
            if not len(texts):
                return np.zeros(len(columns), dtype=bool)
            listed = np.isin(texts, self.categories)
            found = (listed if self.op == "in" else ~listed)[codes]
            return found & (codes >= 0)
        found = self._compare(columns.numbers(self.column))
        if self.fill is not None:
            # A missing value counts as the fill (SQL COALESCE); NaN compared false above.
            found[columns.missing(self.column)] = self._compare(np.float64(self.fill))
        return found

    def _compare(self, values: Any) -> Any:
        """``values <op> threshold`` (an array or a number); NaN is never true."""
        with np.errstate(invalid="ignore"):
            if self.op == "<":
                return values < self.threshold
            if self.op == "<=":
                return values <= self.threshold
            if self.op == ">":
                return values > self.threshold
            return values >= self.threshold

    def text(self) -> str:
        """Return the condition as filters read: ``Age >= 40``, ``Genre is Female``."""
        if self.is_category:
            verb = "is" if self.op == "in" else "is not"
            return f"{self.column} {verb} {' or '.join(self.categories)}"
        if self.reference is not None:
            return f"{self.column} {DATE_OPS[self.op]} {self.date_text()}"
        return f"{self.column} {self.op} {plain_number(self.threshold)}"

    def words(self, *, name: bool = True) -> str:
        """Return the condition in words: ``Annual Income at least 70 k$``.

        Parameters
        ----------
        name : bool
            Start with the column's name (off for a second condition on one column).
        """
        label = f"{display_name(self.column)} " if name else ""
        if self.is_category:
            return f"{label}{self.text().removeprefix(self.column).lstrip()}"
        if self.reference is not None:
            return f"{label}{_DATE_WORDS[DATE_OPS[self.op]]} {self.date_text()}"
        number = self.threshold
        figure = f"{int(number):,}" if number.is_integer() and abs(number) < 1e15 else repr(number)
        unit = unit_of(self.column)
        return f"{label}{_WORDS[self.op]} {figure}{f' {unit}' if unit else ''}"


@dataclass(frozen=True)
class RulePath:
    """One path of a segment's rules: the customers meeting every condition.

    Attributes
    ----------
    segment : int
        The segment the path sends customers to.
    conditions : tuple of Condition
        All must hold (none: every customer).
    customers : int
        Customers the path covers.
    in_segment : int
        Of those, how many the method put in ``segment``.
    """

    segment: int
    conditions: tuple[Condition, ...]
    customers: int = 0
    in_segment: int = 0

    @property
    def precision(self) -> float:
        """Share of the path's customers in its segment (1 when it covers none)."""
        return self.in_segment / self.customers if self.customers else 1.0

    def holds(self, data: pd.DataFrame | ColumnValues) -> np.ndarray:
        """Return where every condition holds."""
        columns = column_values(data)
        mask = np.ones(len(columns), dtype=bool)
        for condition in self.conditions:
            mask &= condition.holds(columns)
        return mask

    def text(self) -> str:
        """Return ``Annual Income (k$) >= 70 and Spending Score (1-100) > 60``."""
        return " and ".join(c.text() for c in self.conditions) or "all customers"

    def words(self) -> str:
        """Return the path in words, a column named once for a range on it."""
        parts: list[str] = []
        previous = None
        for condition in self.conditions:
            parts.append(condition.words(name=condition.column != previous))
            previous = condition.column
        return " and ".join(parts) or "all customers"


@dataclass(frozen=True)
class SegmentRules:
    """The rules of one segmentation.

    Attributes
    ----------
    method : str
        The segmentation described.
    paths : tuple of RulePath
        Every path, by segment then largest first; at most two per segment in all.
    segments : tuple of int
        Every segment of the method (``-1``: noise), including those no path names.
    default : int
        The segment of a customer no path matches (a missing value): the largest.
    agreement : float
        Share of customers the rules put in the method's segment.
    n_customers : int
        Customers the agreement is measured on.
    spellings : dict
        Categorical column to category to the values the input holds for it.
    note : str
        How the rules were fitted (a sample on large data).
    """

    method: str
    paths: tuple[RulePath, ...]
    segments: tuple[int, ...]
    default: int
    agreement: float
    n_customers: int
    spellings: dict[str, dict[str, tuple[object, ...]]] = field(default_factory=dict)
    note: str = ""

    @property
    def n_agree(self) -> int:
        """Customers the rules put in the method's segment."""
        return round(self.agreement * self.n_customers)

    def segment_paths(self, segment: int) -> list[RulePath]:
        """Return the paths that send customers to ``segment``."""
        return [p for p in self.paths if p.segment == segment]

    def predict(self, data: pd.DataFrame | ColumnValues) -> np.ndarray:
        """Return the segment the rules give each row, exactly as the SQL does.

        Parameters
        ----------
        data : pandas.DataFrame or ColumnValues
            The columns the conditions name, cleaned (dates as days before the reference).

        Returns
        -------
        numpy.ndarray of int, shape (len(data),)
        """
        columns = column_values(data)
        labels = np.full(len(columns), self.default, dtype=int)
        unset = np.ones(len(columns), dtype=bool)
        # The CASE order: the first true WHEN wins.
        for segment in self.segments:
            mask = np.zeros(len(columns), dtype=bool)
            for path in self.segment_paths(segment):
                mask |= path.holds(columns)
            labels[mask & unset] = segment
            unset &= ~mask
        return labels

    def agreement_text(self) -> str:
        """Return "these rules agree with the segments for 97.5% of customers (...)"."""
        return (
            f"these rules agree with the segments for {share_text(self.agreement)} of "
            f"customers ({self.n_agree:,} of {self.n_customers:,})"
        )

    def segment_words(self, segment: int) -> str:
        """Return a segment's rule in words: its paths joined by "or"."""
        return "; or ".join(p.words() for p in self.segment_paths(segment))

    def table(self, names: Mapping[int, str] | None = None) -> pd.DataFrame:
        """Return one row per segment × path (path 0, no rule: a segment no path names).

        Columns: ``method, segment, name, path, rule, description, customers,
        in_segment, precision, method_agreement, method_paths``.
        """
        rows = []
        for segment in self.segments:
            paths = self.segment_paths(segment)
            base = {"method": self.method, "segment": segment, "name": (names or {}).get(segment)}
            for number, path in enumerate(paths, start=1):
                rows.append(
                    {
                        **base,
                        "path": number,
                        "rule": path.text(),
                        "description": path.words(),
                        "customers": path.customers,
                        "in_segment": path.in_segment,
                        "precision": path.precision,
                    }
                )
            if not paths:
                rows.append(
                    {**base, "path": 0, "rule": "", "description": "", "customers": 0,
                     "in_segment": 0, "precision": np.nan}
                )  # fmt: skip
        table = pd.DataFrame(rows)
        table["method_agreement"] = self.agreement
        table["method_paths"] = len(self.paths)
        return table

    def describe(self) -> dict[str, Any]:
        """Return what ``run.json`` records about the rules."""
        return {
            "agreement": self.agreement,
            "customers": self.n_customers,
            "paths": len(self.paths),
            "default_segment": self.default,
            "note": self.note,
        }


def share_text(share: float) -> str:
    """Return a share as a percentage with one decimal, rounded down.

    Rounded down, so 100% means every customer.

    Examples
    --------
    >>> share_text(0.975), share_text(0.99999), share_text(1.0)
    ('97.5%', '99.9%', '100%')
    """
    tenths = math.floor(share * 1000 + 1e-9) / 10
    return f"{tenths:g}%"
