"""Shared pieces of the method registry: a registry entry, its result, the fitted assigner.

A method entry (:class:`MethodSpec`) knows how to try its candidate parameters on the rows
that shape the segments (:mod:`segmentkit.methods.search`), choose one with
:func:`segmentkit.selection.candidates.choose_candidate`, and return a fitted
:class:`SegmentAssigner` that places any customer (including flagged outliers and, later, new
customers) in one of its segments. The bounds on k the data can hold are in
:mod:`segmentkit.methods.k_range`.

``SegmentAssigner`` must stay defined here: saved model files name it
``segmentkit.methods.base.SegmentAssigner``. The other names this module used to hold are
still importable from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segmentkit.describe.segment_counts import distinct_segments
from segmentkit.methods.k_range import OWN_K_METHODS, candidate_ks, check_fixed_k, n_distinct
from segmentkit.methods.search import (
    Search,
    SearchContext,
    choose,
    criteria_row,
    k_bound,
    search_k,
    search_sample,
    seeded_rows,
    within_cluster_ss,
)
from segmentkit.selection.criteria import ClusterMetrics

__all__ = [
    "OWN_K_METHODS",
    "MethodResult",
    "MethodSpec",
    "Search",
    "SearchContext",
    "SegmentAssigner",
    "candidate_ks",
    "check_fixed_k",
    "choose",
    "criteria_row",
    "k_bound",
    "n_distinct",
    "search_k",
    "search_sample",
    "seeded_rows",
    "size_order",
    "within_cluster_ss",
]


def size_order(labels: np.ndarray) -> np.ndarray:
    """Return a mapping that renumbers segments by size, largest first (noise stays -1).

    Ties go to the segment that appears first, so the numbering is deterministic.

    Parameters
    ----------
    labels : numpy.ndarray of int
        Raw labels ``0..m-1`` (and ``-1``).

    Returns
    -------
    numpy.ndarray
        ``mapping[raw] = new`` for raw labels ``0..m-1``; ``-1`` for a label no row has.

    Examples
    --------
    >>> size_order(np.array([0, 1, 1, 2, 2, 2])).tolist()
    [2, 1, 0]
    >>> size_order(np.array([0, 2, 2])).tolist()
    [1, -1, 0]
    """
    raw = labels[labels >= 0]
    n_labels = int(raw.max()) + 1 if raw.size else 0
    counts = np.bincount(raw, minlength=n_labels)
    first_seen = np.full(n_labels, len(labels))
    values, positions = np.unique(raw, return_index=True)
    first_seen[values] = positions
    order = np.lexsort((first_seen, -counts))
    mapping = np.empty(n_labels, dtype=int)
    mapping[order] = np.arange(n_labels)
    # A label between the used ones that no row has stands for no segment.
    mapping[counts == 0] = -1
    return mapping


@dataclass
class SegmentAssigner:
    """A fitted clustering estimator with segments renumbered by size.

    Parameters
    ----------
    estimator : object
        A fitted estimator with ``predict``.
    mapping : numpy.ndarray
        ``mapping[raw_label] = segment``.
    """

    estimator: Any
    mapping: np.ndarray

    def relabel(self, raw: np.ndarray) -> np.ndarray:
        """Map the estimator's own labels to segments (``-1`` noise stays ``-1``).

        A label no fitted customer had (a cluster the estimator left empty) has no
        segment to stand for, so it maps to ``-1`` too rather than to a segment number
        without a profile.
        """
        raw = np.asarray(raw, dtype=int)
        out = np.full(raw.shape, -1, dtype=int)
        known = (raw >= 0) & (raw < len(self.mapping))
        out[known] = self.mapping[raw[known]]
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return the segment of each row of ``X``."""
        return self.relabel(self.estimator.predict(X))


@dataclass(frozen=True)
class MethodResult:
    """One method's chosen segmentation.

    Attributes
    ----------
    method : str
        Registry name.
    labels : numpy.ndarray of shape (n_kept,)
        Segment of every kept row, ``0`` the largest, ``-1`` noise.
    params : dict
        The chosen parameters (``k``, ``eps``, ...).
    criteria : pandas.DataFrame
        One row per candidate with every criterion and a boolean ``chosen``.
    choice_summary : str
        How the candidate was chosen, and whether the criteria disagreed.
    criteria_agree : bool
        Whether every criterion favoured the chosen candidate.
    metrics : ClusterMetrics
        Criteria of the chosen segmentation on the rows that shaped it.
    assigner : SegmentAssigner
        Places any prepared row in a segment.
    notes : tuple of str
        Anything the user should know (degenerate candidates, fixed parameters ...).
    curves : dict
        Diagnostic curves (k-distance, dendrogram linkage) for plots and ``run.json``.
    stability : Stability or None
        Bootstrap stability of the chosen segmentation.
    """

    method: str
    labels: np.ndarray
    params: dict[str, Any]
    criteria: pd.DataFrame
    choice_summary: str
    criteria_agree: bool
    metrics: ClusterMetrics
    assigner: SegmentAssigner
    notes: tuple[str, ...] = field(default_factory=tuple)
    curves: dict[str, Any] = field(default_factory=dict)
    stability: Any = None

    @property
    def n_segments(self) -> int:
        """Number of segments, noise excluded."""
        return int(np.count_nonzero(distinct_segments(self.labels) >= 0))


@dataclass(frozen=True)
class MethodSpec:
    """A registry entry: how to search a method's parameters and fit the chosen ones.

    Attributes
    ----------
    name : str
        Name used in configs, flags and output columns.
    title : str
        Name shown to people.
    search : callable
        ``search(X, context) -> Search``: try the candidates on ``X``, choose one.
    fit : callable
        ``fit(X, params, context) -> (raw_labels, estimator)``: fit the chosen parameters.
    """

    name: str
    title: str
    search: Callable[[np.ndarray, SearchContext], Search]
    fit: Callable[[np.ndarray, dict[str, Any], SearchContext], Any]
