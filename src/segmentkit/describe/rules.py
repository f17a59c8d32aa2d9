"""Segment rules: a few thresholds per segment, on the customers' own columns.

Every segmentation gets a small rule set that a marketer can use anywhere: a spreadsheet
filter, a CRM audience, a database (:mod:`segmentkit.describe.rules_sql`). A shallow decision tree
(CART: scikit-learn's ``DecisionTreeClassifier``, grown best first to at most two leaves
per segment) learns the method's segments from the original columns, not from the
scaled model space: numbers and dates in their own units, categories as "X is A or B".
Then:

1. Step 1: the smallest tree on the way to 2k leaves that agrees within
   :data:`TOLERANCE` of the largest is kept (fewer paths that each fix one customer).
2. Step 2: each threshold moves to the roundest value in the gap between the customers
   on either side of it, so no customer changes side (``> 69.5`` becomes ``>= 70``);
   then up to three steps rounder still (``> 52`` to ``> 50``) where that does not
   lower the agreement.
3. Step 3: sibling leaves that name the same segment merge into their parent.
4. Step 4: each segment becomes the OR of its leaves' paths, each path the AND of its
   conditions; several conditions on one column fold into the tightest.

``agreement`` is the share of customers the rules put in the segment the method put
them in. Decisions, documented in the README:

- Outliers (outside ``fit_mask``) shaped no segment, so they do not shape the rules
  either; they count in the agreement like every customer in ``segments.csv``.
- Customers a method left unassigned (noise, ``-1``) are a class of their own: the
  rules may send a customer to ``-1``.
- A missing value counts as the value the segmentation filled in for it (``fill``, the
  median by default: SQL ``COALESCE``) in the columns that had missing values; elsewhere
  a condition on a missing value is not true, and a customer no path matches falls to
  the default segment (the method's largest), in :meth:`SegmentRules.predict` exactly as
  in the SQL ``ELSE``.

Why CART (measured for issue 16 on Mall, Wholesale, marketing_campaign and planted
synthetic data, 16 segmentations): with 2k leaves it agreed with the segments at least as
well as IMM (Dasgupta et al. 2020, k leaves) and as IMM expanded to 2k leaves in the
spirit of ExKMC on 12 of them and within half a point on the other four, while IMM lost
up to 8 points; CART also needs no centres (DBSCAN's noise has none) and splits
categories as they are. The ``ExKMC`` package itself does not build on Python 3.11.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from segmentkit.describe.rule_tree import (
    Column,
    Leaf,
    Node,
    Rounder,
    Step,
    category_codes,
    design_matrix,
    grown,
    leaf_steps,
    merge,
    numeric_values,
    tree_agreement,
    widen,
)
from segmentkit.prepare.transformer import PreparedData
from segmentkit.selection.criteria import stratified_sample
from segmentkit.text import display_name, unit_of

__all__ = [
    "MAX_FIT_ROWS",
    "TOLERANCE",
    "Condition",
    "RulePath",
    "SegmentRules",
    "fit_rules",
    "input_spellings",
    "missing_fills",
    "segment_rules",
]

logger = logging.getLogger(__name__)

#: Customers the tree learns from at most (a stratified sample above); the agreement is
#: always measured on every customer.
MAX_FIT_ROWS = 100_000

#: Agreement a smaller tree may give up for fewer paths (one percentage point).
TOLERANCE = 0.01

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

    def holds(self, data: pd.DataFrame) -> np.ndarray:
        """Return where the condition is true, as :mod:`segmentkit.describe.rules_sql` tests it."""
        column = data[self.column]
        if self.is_category:
            codes, texts = category_codes(column, self.fill)
            if not len(texts):
                return np.zeros(len(column), dtype=bool)
            listed = np.isin(texts, self.categories)
            found = (listed if self.op == "in" else ~listed)[codes]
            return found & (codes >= 0)
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        if self.fill is not None:
            values = np.where(np.isnan(values), float(self.fill), values)
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

    def holds(self, data: pd.DataFrame) -> np.ndarray:
        """Return where every condition holds."""
        mask = np.ones(len(data), dtype=bool)
        for condition in self.conditions:
            mask &= condition.holds(data)
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

    def predict(self, data: pd.DataFrame) -> np.ndarray:
        """Return the segment the rules give each row, exactly as the SQL does.

        Parameters
        ----------
        data : pandas.DataFrame
            The columns the conditions name, cleaned (dates as days before the reference).

        Returns
        -------
        numpy.ndarray of int, shape (len(data),)
        """
        labels = np.full(len(data), self.default, dtype=int)
        unset = np.ones(len(data), dtype=bool)
        # The CASE order: the first true WHEN wins.
        for segment in self.segments:
            mask = np.zeros(len(data), dtype=bool)
            for path in self.segment_paths(segment):
                mask |= path.holds(data)
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


@dataclass(frozen=True)
class _Context:
    columns: list[Column]
    references: Mapping[str, str]
    fills: Mapping[str, float | str]
    categories: Mapping[str, set[str]]  # every category of every categorical column
    complete: set[str]  # categorical columns never missing (or filled)

    def levels(self, name: str) -> set[str]:
        return set(self.categories.get(name, ()))


def _categories(name: str, allowed: set[str], levels: set[str], fill: Any) -> Condition:
    """Return "is A or B" for the allowed categories, or "is not C" when that is shorter.

    Every category allowed lists them all (true unless missing, as the tree meant); none
    allowed (a path only missing values reach) is "is" nothing, never true, and
    :func:`_measured` drops the path.
    """
    barred = levels - allowed
    if not barred or len(allowed) <= len(barred):  # "in" on a tie: it reads plainer
        return Condition(name, "in", categories=tuple(sorted(allowed)), fill=fill)
    return Condition(name, "not in", categories=tuple(sorted(barred)), fill=fill)


def _allowed(condition: Condition, levels: set[str]) -> set[str]:
    if condition.op == "in":
        return set(condition.categories)
    return levels - set(condition.categories)


def _join_categories(
    paths: list[tuple[int, tuple[Condition, ...]]], context: _Context
) -> list[tuple[int, tuple[Condition, ...]]]:
    """Join paths of one segment alike but for the categories of one column.

    The tree tests one category at a time, so "North" and "South" reach a segment by
    two paths; joined they read "region is North or South".
    """
    paths = list(paths)
    joined = True
    while joined:
        joined = False
        for i, (segment, first) in enumerate(paths):
            for j in range(i + 1, len(paths)):
                other, second = paths[j]
                if other != segment or len(first) != len(second):
                    continue
                differ = [k for k, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
                if len(differ) != 1:
                    continue
                a, b = first[differ[0]], second[differ[0]]
                if not (a.is_category and b.is_category and a.column == b.column):
                    continue
                levels = context.levels(a.column)
                allowed = _allowed(a, levels) | _allowed(b, levels)
                rest = [*first[: differ[0]], *first[differ[0] + 1 :]]
                if allowed != levels or a.column not in context.complete:
                    rest.insert(differ[0], _categories(a.column, allowed, levels, a.fill))
                paths[i] = (segment, tuple(rest))
                del paths[j]
                joined = True
                break
            if joined:
                break
    return paths


def _conditions(steps: tuple[Step, ...], context: _Context) -> tuple[Condition, ...]:
    """Step 4: a path's tests, the tightest per column, in the order first tested."""
    order: list[str] = []
    upper: dict[str, tuple[float, bool]] = {}  # threshold, strict ("<" rather than "<=")
    lower: dict[str, tuple[float, bool]] = {}  # threshold, strict (">" rather than ">=")
    chosen: dict[str, set[str]] = {}
    excluded: dict[str, set[str]] = {}
    for index, threshold, strict, went_left in steps:
        column = context.columns[index]
        if column.name not in order:
            order.append(column.name)
        if column.category is not None:
            # One-hot columns split at 0.5: left is "not this category".
            (excluded if went_left else chosen).setdefault(column.name, set()).add(column.category)
        elif went_left:
            bound = upper.get(column.name)
            if bound is None or (threshold, not strict) < (bound[0], not bound[1]):
                upper[column.name] = (threshold, strict)
        else:
            bound = lower.get(column.name)
            if bound is None or (threshold, not strict) > bound:
                lower[column.name] = (threshold, not strict)
    conditions: list[Condition] = []
    for name in order:
        reference, fill = context.references.get(name), context.fills.get(name)
        if name in chosen or name in excluded:
            levels = context.levels(name)
            allowed = chosen.get(name, levels) - excluded.get(name, set())
            if allowed != levels or name not in context.complete:
                conditions.append(_categories(name, allowed, levels, fill))
        # Dates read earliest first: a lower bound in days is an upper bound in dates.
        bounds: list[tuple[dict[str, tuple[float, bool]], Op, Op]] = [
            (lower, ">", ">="),
            (upper, "<", "<="),
        ]
        if reference is not None:
            bounds.reverse()
        for found, strict_op, loose_op in bounds:
            if name in found:
                threshold, strict = found[name]
                op = strict_op if strict else loose_op
                conditions.append(Condition(name, op, threshold, reference=reference, fill=fill))
    return tuple(conditions)


def _measured(
    root: Node, context: _Context, data: pd.DataFrame, labels: np.ndarray, rules: SegmentRules
) -> SegmentRules:
    """Return ``rules`` with the paths of ``root``, counted and measured on ``data``."""
    paths = []
    leaves = [(segment, _conditions(steps, context)) for segment, steps in leaf_steps(root)]
    for segment, conditions in _join_categories(leaves, context):
        if any(c.op == "in" and not c.categories for c in conditions):
            continue  # reached by missing categories only: no customer, and no valid SQL
        probe = RulePath(segment, conditions)
        covered = probe.holds(data)
        in_segment = int((labels[covered] == segment).sum())
        paths.append(
            dataclasses.replace(probe, customers=int(covered.sum()), in_segment=in_segment)
        )
    paths.sort(key=lambda p: (p.segment, -p.customers))
    found = dataclasses.replace(rules, paths=tuple(paths), n_customers=len(labels))
    agreement = float(np.mean(found.predict(data) == labels)) if len(labels) else 1.0
    return dataclasses.replace(found, agreement=agreement)


def fit_rules(
    data: pd.DataFrame,
    labels: np.ndarray,
    *,
    method: str = "",
    categorical: Sequence[str] = (),
    date_references: Mapping[str, str] | None = None,
    fill_values: Mapping[str, float | str] | None = None,
    fit_mask: np.ndarray | None = None,
    spellings: Mapping[str, Mapping[str, Sequence[object]]] | None = None,
    seed: int = 0,
    max_leaves: int | None = None,
) -> SegmentRules:
    """Learn readable rules that reproduce a segmentation.

    Parameters
    ----------
    data : pandas.DataFrame of shape (n, p)
        The columns the rules may use, cleaned, in original units (date columns as days
        before their reference). Not modified.
    labels : numpy.ndarray of shape (n,)
        The method's segment of every row (``-1``: noise, a class of its own).
    method : str
        The method's name, copied into the result.
    categorical : sequence of str
        Columns of ``data`` compared as categories ("is A or B").
    date_references : mapping, optional
        Date column to the ISO timestamp its days count back from.
    fill_values : mapping, optional
        Column to the value a missing one counts as (the segmentation's imputation).
    fit_mask : numpy.ndarray of bool, optional
        Rows the tree learns from (default all); the agreement counts every row.
    spellings : mapping, optional
        Categorical column to category to the values the input holds for it (for SQL).
    seed : int
        Seed of the tree's tie-breaking and of the sample above :data:`MAX_FIT_ROWS`.
    max_leaves : int, optional
        Most leaves; default two per segment (noise counts as one).

    Returns
    -------
    SegmentRules

    Examples
    --------
    >>> data = pd.DataFrame({"income": [20, 30, 80, 90], "region": ["N", "S", "N", "S"]})
    >>> rules = fit_rules(data, np.array([1, 1, 0, 0]), categorical=["region"])
    >>> [(p.segment, p.text()) for p in rules.paths], rules.agreement
    ([(0, 'income > 50'), (1, 'income <= 50')], 1.0)
    """
    labels = np.asarray(labels, dtype=int)
    if len(labels) != len(data):
        raise ValueError(f"labels has {len(labels)} rows but data has {len(data)}")
    references, fills = dict(date_references or {}), dict(fill_values or {})
    rows = np.flatnonzero(np.ones(len(data), dtype=bool) if fit_mask is None else fit_mask)
    rows = rows if len(rows) else np.arange(len(data))
    note = ""
    if len(rows) > MAX_FIT_ROWS:
        rows = rows[stratified_sample(labels[rows], MAX_FIT_ROWS, seed)]
        note = f"learnt from a stratified sample of {len(rows):,} customers"
    # Steps 1 and 2 are judged on a sample of every customer (all up to twice the fit rows).
    probe = np.arange(len(data))
    if len(probe) > 2 * MAX_FIT_ROWS:
        probe = stratified_sample(labels, MAX_FIT_ROWS, seed + 1)
    used = np.union1d(rows, probe)
    matrix, columns = design_matrix(data.iloc[used], categorical, fills)
    categories = {
        name: set(category_codes(data[name], fills.get(name))[1])
        for name in categorical
        if name in data
    }
    complete = {c for c in categories if c in fills or not data[c].isna().any()}
    context = _Context(columns, references, fills, categories, complete)
    segments, counts = np.unique(labels, return_counts=True)
    assigned = segments >= 0
    pool = (segments[assigned], counts[assigned]) if assigned.any() else (segments, counts)
    empty = SegmentRules(
        method=method,
        paths=(),
        segments=tuple(int(s) for s in segments),
        default=int(pool[0][np.argmax(pool[1])]) if len(segments) else 0,
        agreement=1.0,
        n_customers=len(labels),
        spellings={c: {k: tuple(v) for k, v in m.items()} for c, m in (spellings or {}).items()},
        note=note,
    )
    classes = np.unique(labels[rows])
    if len(classes) < 2:
        root = Leaf(int(classes[0]) if len(classes) else empty.default)
        return _measured(root, context, data, labels, empty)
    tree = DecisionTreeClassifier(
        max_leaf_nodes=max(2, max_leaves or 2 * len(classes)), random_state=seed
    ).fit(matrix[np.searchsorted(used, rows)], labels[rows])
    probe_matrix = np.asfortranarray(matrix[np.searchsorted(used, probe)])
    probe_labels = labels[probe]
    rounder = Rounder(lambda name: numeric_values(data[name], fills.get(name)), columns, references)
    n_splits = tree.get_n_leaves() - 1
    smallest = min(len(classes), n_splits + 1) - 1
    trees = [merge(rounder(grown(tree, n))) for n in range(smallest, n_splits + 1)]
    scores = [tree_agreement(t, probe_matrix, probe_labels, empty.default) for t in trees]
    chosen = next(t for t, s in zip(trees, scores, strict=True) if s >= max(scores) - TOLERANCE)
    chosen = widen(chosen, columns, references, probe_matrix, probe_labels, empty.default)
    rules = _measured(chosen, context, data, labels, empty)
    logger.info(
        "%s: %d rule path(s) agree with the segments for %.1f%% of customers",
        method,
        len(rules.paths),
        100 * rules.agreement,
    )
    return rules


def missing_fills(prepared: PreparedData) -> dict[str, float | str]:
    """Return the value the segmentation filled in for each feature with missing values.

    Read from the fitted transformer's imputers (median, mean, most frequent or constant).
    """
    missing = {c for c in prepared.features if prepared.cleaned[c].isna().any()}
    fills: dict[str, float | str] = {}
    for _label, pipeline, columns in getattr(prepared.preprocessor, "transformers_", []):
        imputer = getattr(pipeline, "named_steps", {}).get("impute")
        for column, value in zip(columns, getattr(imputer, "statistics_", ()), strict=False):
            if column in missing and not pd.isna(value):
                fills[column] = value if isinstance(value, str) else float(value)
    return fills


def input_spellings(prepared: PreparedData) -> dict[str, dict[str, tuple[object, ...]]]:
    """Return, per categorical feature, each category's values as the input holds them.

    Cleaning merged spellings (``" male"``, ``"MALE"``) and read integer codes as text
    (``1`` as ``"1"``); SQL on the input must name what the input holds.
    """
    raw_names = {str(c).strip(): c for c in prepared.raw.columns}
    spellings: dict[str, dict[str, tuple[object, ...]]] = {}
    for column in prepared.categorical_features:
        pairs = pd.DataFrame(
            {
                "category": prepared.cleaned[column].astype("string").to_numpy(dtype=object),
                "value": prepared.raw[raw_names[column]].to_numpy(dtype=object),
            }
        )
        pairs = pairs[pairs["category"].notna() & pairs["value"].notna()].drop_duplicates()
        found: dict[str, list[object]] = {}
        for category, value in zip(pairs["category"], pairs["value"], strict=True):
            found.setdefault(str(category), []).append(
                value.item() if isinstance(value, np.generic) else value
            )
        spellings[column] = {
            category: tuple(sorted(values, key=lambda v: (type(v).__name__, str(v))))
            for category, values in found.items()
        }
    return spellings


def segment_rules(
    prepared: PreparedData,
    labels: np.ndarray,
    *,
    method: str,
    seed: int,
    spellings: Mapping[str, Mapping[str, Sequence[object]]] | None = None,
) -> SegmentRules:
    """Learn the rules of one segmentation of prepared data (see :func:`fit_rules`).

    Parameters
    ----------
    prepared : PreparedData
        The cleaned data: every feature, in original units.
    labels : numpy.ndarray of shape (n_kept,)
        The method's segments.
    method : str
        The method's name.
    seed : int
        The run's seed.
    spellings : mapping, optional
        :func:`input_spellings` of ``prepared`` (computed when omitted).

    Returns
    -------
    SegmentRules
    """
    return fit_rules(
        prepared.cleaned[prepared.features],
        labels,
        method=method,
        categorical=prepared.categorical_features,
        date_references=prepared.date_references,
        fill_values=missing_fills(prepared),
        fit_mask=prepared.fit_mask,
        spellings=input_spellings(prepared) if spellings is None else spellings,
        seed=seed,
    )
