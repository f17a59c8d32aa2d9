"""Fitting the segment rules: a few thresholds per segment, on the customers' own columns.

Every segmentation gets a small rule set that a marketer can use anywhere: a spreadsheet
filter, a CRM audience, a database (:mod:`segmentkit.describe.rules.sql`). A shallow decision
tree (CART: scikit-learn's ``DecisionTreeClassifier``, grown best first to at most two leaves
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
them in. Decisions, documented in the manual (docs/read-the-report.md):

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

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from segmentkit.describe.rules.model import SegmentRules
from segmentkit.describe.rules.paths import RuleColumns, measured_rules
from segmentkit.describe.rules.tree import (
    ColumnValues,
    Leaf,
    Rounder,
    design_matrix,
    equal_means_same_text,
    grown,
    merge,
    tree_agreement,
    widen,
)
from segmentkit.prepare.transformer import PreparedData
from segmentkit.selection.criteria import stratified_sample

__all__ = [
    "MAX_FIT_ROWS",
    "TOLERANCE",
    "fit_rules",
    "input_spellings",
    "missing_fills",
    "rules_inputs",
    "segment_rules",
]

logger = logging.getLogger(__name__)

#: Customers the tree learns from at most (a stratified sample above); the agreement is
#: always measured on every customer.
MAX_FIT_ROWS = 100_000

#: Agreement a smaller tree may give up for fewer paths (one percentage point).
TOLERANCE = 0.01


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
    # Every customer's category codes, made once for the categories and every measure.
    values = ColumnValues(data)
    categories = {
        name: set(values.codes(name, fills.get(name))[1]) for name in categorical if name in data
    }
    # A missing value is code -1 (without a fill): the codes say which columns have none.
    complete = {c for c in categories if c in fills or not (values.codes(c)[0] < 0).any()}
    context = RuleColumns(columns, references, fills, categories, complete)
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
        return measured_rules(root, context, values, labels, empty)
    tree = DecisionTreeClassifier(
        max_leaf_nodes=max(2, max_leaves or 2 * len(classes)), random_state=seed
    ).fit(matrix[np.searchsorted(used, rows)], labels[rows])
    probe_matrix = np.asfortranarray(matrix[np.searchsorted(used, probe)])
    probe_labels = labels[probe]
    rounder = Rounder(values, fills, columns, references)
    n_splits = tree.get_n_leaves() - 1
    smallest = min(len(classes), n_splits + 1) - 1
    trees = [merge(rounder(grown(tree, n))) for n in range(smallest, n_splits + 1)]
    scores = [tree_agreement(t, probe_matrix, probe_labels, empty.default) for t in trees]
    chosen = next(t for t, s in zip(trees, scores, strict=True) if s >= max(scores) - TOLERANCE)
    chosen = widen(chosen, columns, references, probe_matrix, probe_labels, empty.default)
    rules = measured_rules(chosen, context, values, labels, empty)
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
        category = prepared.cleaned[column].astype("string")
        found: dict[str, list[object]] = {}
        for text, value in _distinct_pairs(category, prepared.raw[raw_names[column]]):
            found.setdefault(str(text), []).append(
                value.item() if isinstance(value, np.generic) else value
            )
        spellings[column] = {
            category: tuple(sorted(spelt, key=lambda v: (type(v).__name__, str(v))))
            for category, spelt in found.items()
        }
    return spellings


def _distinct_pairs(category: pd.Series, raw: pd.Series) -> list[tuple[object, object]]:
    """Return each distinct (category, input value) pair, neither missing, as first seen.

    Counted from the two columns' codes (a frame of every customer's pair cost 12 s at
    10,000,000 customers) where equal input values are one spelling: texts, integers.
    Elsewhere Python's equality joins spellings that differ (``True == 1``, ``-0.0 ==
    0.0``), so the pairs themselves are compared, as texts and values together.
    """
    if equal_means_same_text(raw):
        category_of, categories = pd.factorize(category)
        value_of, values = pd.factorize(raw)
        both = (category_of >= 0) & (value_of >= 0)
        pairs = pd.unique(category_of[both].astype(np.int64) * len(values) + value_of[both])
        codes = [divmod(int(pair), len(values)) for pair in pairs]
        return [(categories[c], values[v]) for c, v in codes]
    frame = pd.DataFrame(
        {"category": category.to_numpy(dtype=object), "value": raw.to_numpy(dtype=object)}
    )
    frame = frame[frame["category"].notna() & frame["value"].notna()].drop_duplicates()
    return list(zip(frame["category"], frame["value"], strict=True))


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
    return fit_rules(labels=labels, method=method, seed=seed, **rules_inputs(prepared, spellings))


def rules_inputs(
    prepared: PreparedData,
    spellings: Mapping[str, Mapping[str, Sequence[object]]] | None = None,
) -> dict[str, Any]:
    """Return :func:`fit_rules`' data and keyword arguments for any labelling of ``prepared``.

    The same for every method of a run: computed once, then passed with each labelling.
    """
    data = prepared.cleaned[prepared.features]
    # Category columns as pandas categoricals: coded once here, instead of every method
    # coding millions of texts, and a worker receives small codes instead of the texts
    # (at 10,000,000 customers 0.7 s to send instead of 4.9). The codes are the same.
    coded = {c: data[c].astype("category") for c in prepared.categorical_features if c in data}
    return {
        "data": data.assign(**coded) if coded else data,
        "categorical": prepared.categorical_features,
        "date_references": prepared.date_references,
        "fill_values": missing_fills(prepared),
        "fit_mask": prepared.fit_mask,
        "spellings": input_spellings(prepared) if spellings is None else spellings,
    }
