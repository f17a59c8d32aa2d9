"""The tree behind the segment rules: grown best first, cut back, rounded, merged.

:mod:`segmentkit.describe.rules.fit` describes the steps; this module holds the tree they work
on, as small immutable nodes, so a threshold can move without refitting anything.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

__all__ = [
    "Column",
    "ColumnValues",
    "Leaf",
    "Node",
    "Rounder",
    "Split",
    "Step",
    "category_codes",
    "column_values",
    "design_matrix",
    "equal_means_same_text",
    "grown",
    "leaf_steps",
    "merge",
    "numeric_values",
    "tree_agreement",
    "widen",
]


@dataclass(frozen=True)
class Column:
    """A column of the tree's matrix: a number or date, or one category of a column."""

    name: str
    category: str | None = None


@dataclass(frozen=True)
class Leaf:
    """A leaf: the segment its customers go to."""

    segment: int


@dataclass(frozen=True)
class Split:
    """A split on one matrix column; the left branch is "below" the threshold."""

    column: int
    threshold: float
    strict: bool  # left: "< threshold" if strict, else "<= threshold"
    left: Leaf | Split
    right: Leaf | Split
    node: int = -1  # the tree's node number


Node = Leaf | Split


def equal_means_same_text(values: pd.Series) -> bool:
    """Whether values that compare equal always read the same (texts, integers, booleans).

    Elsewhere Python's equality joins values whose texts differ (``True == 1 == 1.0``,
    ``-0.0 == 0.0``), so counting them by value would merge what reads differently.

    Examples
    --------
    >>> equal_means_same_text(pd.Series(["a", None])), equal_means_same_text(pd.Series([1, 2]))
    (True, True)
    >>> equal_means_same_text(pd.Series([True, 1], dtype=object))
    False
    """
    if isinstance(values.dtype, pd.StringDtype):
        return True
    if values.dtype == object:
        return bool(pd.api.types.infer_dtype(values, skipna=True) == "string")
    return values.dtype.kind in "iub"


def category_codes(column: pd.Series, fill: object = None) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's code and the text of every code (a missing value: ``fill`` or -1).

    Text as ``str`` gives it (``1`` is ``"1"``); computed on the distinct values, so a
    million rows cost one hashing pass, not a million strings.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = [str(u) for u in uniques]
    if fill is not None and (codes < 0).any():
        fill_text = str(fill)
        if fill_text not in texts:
            texts.append(fill_text)
        codes = np.where(codes < 0, texts.index(fill_text), codes)
    return codes, np.asarray(texts, dtype=object)


class ColumnValues:
    """A frame's columns as the rules compare them, each made once and kept.

    Measuring rules tests the same few columns again and again (every path, then the
    agreement); coding millions of texts, or filling a column's gaps, is what costs,
    not the comparisons. A float column is kept as a view of itself, not a copy.

    Parameters
    ----------
    data : pandas.DataFrame
        The columns the rules name, cleaned (not modified).
    """

    def __init__(self, data: pd.DataFrame) -> None:
        self.data = data
        self._codes: dict[tuple[str, object], tuple[np.ndarray, np.ndarray]] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self._missing: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.data)

    def codes(self, column: str, fill: object = None) -> tuple[np.ndarray, np.ndarray]:
        """:func:`category_codes` of ``column``."""
        key = (column, fill)
        if key not in self._codes:
            self._codes[key] = category_codes(self.data[column], fill)
        return self._codes[key]

    def numbers(self, column: str) -> np.ndarray:
        """:func:`numeric_values` of ``column`` without a fill: missing is NaN."""
        if column not in self._numbers:
            self._numbers[column] = numeric_values(self.data[column])
        return self._numbers[column]

    def missing(self, column: str) -> np.ndarray:
        """Positions where :meth:`numbers` of ``column`` is NaN."""
        if column not in self._missing:
            self._missing[column] = np.flatnonzero(np.isnan(self.numbers(column)))
        return self._missing[column]


def column_values(data: pd.DataFrame | ColumnValues) -> ColumnValues:
    """Return ``data`` as :class:`ColumnValues` (itself when it is one)."""
    return data if isinstance(data, ColumnValues) else ColumnValues(data)


def numeric_values(column: pd.Series, fill: object = None) -> np.ndarray:
    """Return a column as floats, a missing value as ``fill`` (or NaN).

    Without a fill, a float column's values themselves (not a copy): do not write to them.
    """
    if column.dtype == np.float64:
        values = column.to_numpy()
    else:
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    if fill is not None:
        values = np.where(np.isnan(values), float(fill), values)  # type: ignore[arg-type]
    return values


def design_matrix(
    data: pd.DataFrame, categorical: Sequence[str], fills: Mapping[str, float | str]
) -> tuple[np.ndarray, list[Column]]:
    """Return the tree's matrix: numbers as they are, categories one-hot, fills applied.

    Column-major, so the tree's tests read one contiguous column at a time.
    """
    parts, columns = [], []
    for name in data.columns:
        if name in categorical:
            codes, texts = category_codes(data[name], fills.get(name))
            for code in sorted(range(len(texts)), key=lambda c: texts[c]):
                parts.append((codes == code).astype(float))
                columns.append(Column(name, str(texts[code])))
        else:
            parts.append(numeric_values(data[name], fills.get(name)))
            columns.append(Column(name))
    matrix = np.empty((len(data), len(parts)), dtype=float, order="F")
    for position, part in enumerate(parts):
        matrix[:, position] = part
    return matrix, columns


def grown(tree: DecisionTreeClassifier, n_splits: int) -> Node:
    """Return the tree after its first ``n_splits`` best-first splits.

    scikit-learn numbers nodes as it creates them, and grows a tree with
    ``max_leaf_nodes`` best first, both children of a node at once: ordered by their
    children's numbers, the split nodes are in the order they were split, so a smaller
    ``max_leaf_nodes`` would have stopped at a prefix of this order.
    """
    nodes = tree.tree_
    split = [i for i in range(nodes.node_count) if nodes.children_left[i] != -1]
    kept = set(sorted(split, key=lambda i: nodes.children_left[i])[:n_splits])

    def build(node: int) -> Node:
        if node not in kept:
            # Ties go to the lowest segment number (the classes are sorted).
            return Leaf(int(tree.classes_[int(np.argmax(nodes.value[node][0]))]))
        left, right = int(nodes.children_left[node]), int(nodes.children_right[node])
        threshold = float(nodes.threshold[node])
        column = int(nodes.feature[node])
        return Split(column, threshold, False, build(left), build(right), node)

    return build(0)


def _nice_steps(top: float) -> list[float]:
    """Return steps from coarse to fine: ..., 100, 50, 10, 5, 1, 0.5, 0.1, ..."""
    power = math.floor(math.log10(top)) + 1 if top > 0 else 0
    return [s for p in range(power, -13, -1) for s in (10.0**p, 5 * 10.0 ** (p - 1))]


def _round_between(low: float, high: float, target: float) -> tuple[float, bool]:
    """Return the roundest number in ``[low, high]`` near ``target``, and if to cut strictly.

    ``low`` and ``high`` are the customers' values either side of the tree's threshold:
    cutting at ``c`` with ``<= c`` (``< c`` when ``c == high``) keeps both sides.

    Examples
    --------
    >>> _round_between(69.0, 70.0, 69.5)
    (70.0, True)
    >>> _round_between(56.0, 62.0, 59.0)
    (60.0, False)
    >>> _round_between(0.312, 0.318, 0.315)
    (0.315, False)
    """
    for step in _nice_steps(max(abs(low), abs(high))):
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            continue
        multiple = min(max(round(target / step), first), last)
        digits = max(0, -math.floor(math.log10(step)) + 1)
        value = round(multiple * step, digits)
        if low <= value <= high:
            return value, value == high and value > low
    return low, False


def _round_date(low: float, high: float, target: float, reference: str) -> tuple[float, bool]:
    """Return the same for days before ``reference``: a year's, a month's or a day's start."""
    latest = pd.Timestamp(reference)
    # More days back is an earlier date: the gap in dates is [latest - high, latest - low].
    earliest, last = latest - pd.Timedelta(days=high), latest - pd.Timedelta(days=low)
    wanted = latest - pd.Timedelta(days=target)
    candidates: list[pd.Timestamp] = []
    for frequency in ("YS", "MS", "D"):
        candidates = list(pd.date_range(earliest.ceil("D"), last, freq=frequency))[:400]
        if candidates:
            break
    if not candidates:
        return target, False
    # On a tie the later date: its cut reads "before D" / "on or after D".
    date = min(candidates, key=lambda d: (abs((d - wanted).total_seconds()), -d.value))
    # The arithmetic of cleaning, so a customer on that date compares equal.
    days = (latest - date).total_seconds() / 86_400.0
    if not low <= days <= high:
        return target, False
    return days, days == high and days > low


class Rounder:
    """Step 2: move numeric thresholds to round values that no customer crosses.

    Every customer's values count (not only the tree's sample), so none crosses a cut; a
    missing value counts as its column's fill, as everywhere in the rules.
    """

    def __init__(
        self,
        values: ColumnValues,
        fills: Mapping[str, float | str],
        columns: list[Column],
        references: Mapping[str, str],
    ):
        self.data, self.fills, self.columns, self.references = values, fills, columns, references
        self.done: dict[tuple[int, float], tuple[float, bool]] = {}

    def __call__(self, node: Node) -> Node:
        """Return ``node`` with every threshold under it rounded."""
        if isinstance(node, Leaf):
            return node
        left, right = self(node.left), self(node.right)
        column = self.columns[node.column]
        threshold, strict = node.threshold, node.strict
        if column.category is None:
            key = (node.column, node.threshold)
            if key not in self.done:
                self.done[key] = self._round(node.column, node.threshold)
            threshold, strict = self.done[key]
        return dataclasses.replace(node, threshold=threshold, strict=strict, left=left, right=right)

    def _neighbours(self, name: str, threshold: float) -> tuple[float, float]:
        """Return the largest value at or below ``threshold`` and the smallest above (or ±inf).

        Two passes over the values, where sorting them cost seconds per column at
        10,000,000 customers.
        """
        values = self.data.numbers(name)
        with np.errstate(invalid="ignore"):  # NaN is neither below nor above
            below = values <= threshold
            above = values > threshold
        low = float(np.max(values, where=below, initial=-np.inf)) if below.any() else -np.inf
        high = float(np.min(values, where=above, initial=np.inf)) if above.any() else np.inf
        fill = self.fills.get(name)
        if fill is not None and len(self.data.missing(name)):
            if float(fill) <= threshold:
                low = max(low, float(fill))
            else:
                high = min(high, float(fill))
        return low, high

    def _round(self, index: int, threshold: float) -> tuple[float, bool]:
        name = self.columns[index].name
        low, high = self._neighbours(name, threshold)
        if math.isinf(low) or math.isinf(high):
            return threshold, False
        if name in self.references:
            return _round_date(low, high, threshold, self.references[name])
        return _round_between(low, high, threshold)


def _splits(node: Node) -> list[Split]:
    if isinstance(node, Leaf):
        return []
    return [node, *_splits(node.left), *_splits(node.right)]


def _moved(node: Node, number: int, threshold: float, strict: bool) -> Node:
    if isinstance(node, Leaf):
        return node
    if node.node == number:
        return dataclasses.replace(node, threshold=threshold, strict=strict)
    left = _moved(node.left, number, threshold, strict)
    right = _moved(node.right, number, threshold, strict)
    return dataclasses.replace(node, left=left, right=right)


def _rounder_values(threshold: float) -> list[tuple[float, bool]]:
    """Return rounder cuts near ``threshold``: up to three steps coarser, roundest first."""
    steps = _nice_steps(abs(threshold) or 1.0)
    finest = next((i for i, s in enumerate(steps) if _multiple(threshold, s)), len(steps))
    values: list[tuple[float, bool]] = []
    for step in steps[max(0, finest - 3) : finest]:
        digits = max(0, -math.floor(math.log10(step)) + 1)
        near = {round(math.floor(threshold / step) * step, digits)}
        near.add(round(math.ceil(threshold / step) * step, digits))
        for value in sorted(near, key=lambda v: (abs(v - threshold), v)):
            # Above the threshold, "< value" keeps the customers at it where they were.
            values += [(value, value > threshold), (value, value <= threshold)]
    return values


def tree_agreement(root: Node, matrix: np.ndarray, labels: np.ndarray, default: int) -> float:
    """Return the share of rows the tree's paths put in their segment, on the matrix.

    A fast stand-in for :meth:`SegmentRules.predict` while choosing: a step on a missing
    value is false either way, so a row matches at most one path, as in SQL.
    """
    predicted = np.full(len(labels), default)
    for segment, steps in leaf_steps(root):
        mask = np.ones(len(labels), dtype=bool)
        for index, threshold, strict, went_left in steps:
            values = matrix[:, index]
            with np.errstate(invalid="ignore"):
                if went_left:
                    mask &= values < threshold if strict else values <= threshold
                else:
                    mask &= values >= threshold if strict else values > threshold
        predicted[mask] = segment
    return float(np.mean(predicted == labels)) if len(labels) else 1.0


def widen(
    root: Node,
    columns: list[Column],
    references: Mapping[str, str],
    matrix: np.ndarray,
    labels: np.ndarray,
    default: int,
) -> Node:
    """Step 2, again: rounder thresholds past the gap, where the agreement does not drop."""
    best = tree_agreement(root, matrix, labels, default)
    for split in _splits(root):
        column = columns[split.column]
        if column.category is not None or column.name in references:
            continue
        for value, strict in _rounder_values(split.threshold):
            trial = _moved(root, split.node, value, strict)
            score = tree_agreement(trial, matrix, labels, default)
            if score >= best:
                root, best = trial, score
                break
    return root


def _multiple(value: float, step: float) -> bool:
    return math.isclose(value / step, round(value / step), rel_tol=0, abs_tol=1e-9)


def merge(node: Node) -> Node:
    """Step 3: siblings that name the same segment become one leaf."""
    if isinstance(node, Leaf):
        return node
    left, right = merge(node.left), merge(node.right)
    if isinstance(left, Leaf) and isinstance(right, Leaf) and left.segment == right.segment:
        return left
    return dataclasses.replace(node, left=left, right=right)


Step = tuple[int, float, bool, bool]  # column, threshold, strict, went left


def leaf_steps(node: Node, steps: tuple[Step, ...] = ()) -> list[tuple[int, tuple[Step, ...]]]:
    """Return every leaf's segment with the steps from the root to it, left first."""
    if isinstance(node, Leaf):
        return [(node.segment, steps)]
    return [
        *leaf_steps(node.left, (*steps, (node.column, node.threshold, node.strict, True))),
        *leaf_steps(node.right, (*steps, (node.column, node.threshold, node.strict, False))),
    ]
