"""Shared pieces of the method registry: contexts, results, candidate rules.

A method entry knows how to try its candidate parameters on the rows that shape the
segments, choose one with :func:`segmentkit.selection.candidates.choose_candidate`, and return a
fitted :class:`SegmentAssigner` that places any customer (including flagged outliers and,
later, new customers) in one of its segments.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segmentkit.config import ClusteringConfig
from segmentkit.errors import ConfigError, DataError
from segmentkit.progress import add_steps, advance
from segmentkit.selection.candidates import choose_candidate, separation_drop_choice
from segmentkit.selection.criteria import ClusterMetrics, cluster_metrics
from segmentkit.selection.validity import nn_separation
from segmentkit.text import plural

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

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchContext:
    """What every method search needs besides the data."""

    seed: int
    n_jobs: int | None
    clustering: ClusteringConfig
    #: Positions of the continuous (scaled numeric) model features; ``None`` means all.
    continuous: tuple[int, ...] | None = None


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
        return len(np.unique(self.labels[self.labels >= 0]))


@dataclass(frozen=True)
class Search:
    """The outcome of a method's parameter search.

    Attributes
    ----------
    criteria : pandas.DataFrame
        One row per candidate with every criterion and a boolean ``chosen``.
    params : dict
        The chosen parameters.
    summary : str
        How the candidate was chosen, and whether the criteria disagreed.
    agree : bool
        Whether every criterion favoured the chosen candidate.
    notes : tuple of str
        Anything the user should know.
    curves : dict
        Diagnostic curves worth plotting (e.g. the sorted k-distance curve), as lists.
    """

    criteria: pd.DataFrame
    params: dict[str, Any]
    summary: str
    agree: bool
    notes: tuple[str, ...] = ()
    curves: dict[str, Any] = field(default_factory=dict)


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


def candidate_ks(n_rows: int, n_distinct: int, clustering: ClusteringConfig) -> list[int]:
    """Return the numbers of segments to try for ``n_rows`` rows.

    Raises
    ------
    DataError
        When the data cannot hold the requested number of segments.
    """
    if n_distinct < 2:
        raise DataError(
            "every customer has the same feature values: there is nothing to segment",
            hint="check the chosen features",
        )
    if clustering.k is not None:
        if clustering.k > n_distinct - 1 or clustering.k >= n_rows:
            raise DataError(
                f"asked for {clustering.k} segments but only {n_rows} customers "
                f"({n_distinct} distinct) shape the segments",
                hint=f"use --k {max(2, min(n_rows, n_distinct) - 1)} or less",
            )
        return [clustering.k]
    upper = min(clustering.k_max, n_rows - 1, n_distinct - 1)
    if upper < clustering.k_min:
        raise DataError(
            f"too few customers to segment: {n_rows} rows ({n_distinct} distinct) "
            f"cannot hold clustering.k_min = {clustering.k_min} segments and still be judged",
            hint="provide more customers or lower clustering.k_min",
        )
    return list(range(clustering.k_min, upper + 1))


#: Methods that choose their own number of segments: ``clustering.k`` does not apply.
OWN_K_METHODS: tuple[str, ...] = ("dbscan",)


def _distinct_at_least(X: np.ndarray, needed: int) -> int:
    """Return the number of distinct rows of ``X``, or a count >= ``needed`` (cheaper).

    The distinct rows of a prefix are a lower bound: when a short prefix already holds
    enough, the whole table (millions of rows) is never sorted.
    """
    prefix = n_distinct(X[: 4 * needed + 1_000])
    return prefix if prefix >= needed else n_distinct(X)


def check_fixed_k(X: np.ndarray, fit_mask: np.ndarray, clustering: ClusteringConfig) -> None:
    """Refuse a fixed k the customers cannot hold, before any method runs.

    A fixed k is a request about the whole run, so a k no method can give is an error
    of the request (exit code 2), not a reason to skip the methods one by one and carry
    on with whatever is left. The methods that take k fit on the customers that shape
    the segments (flagged outliers set aside), so those bound k: at most one fewer than
    them, and than their distinct rows. Methods that choose their own number of
    segments (DBSCAN) ignore k, which a warning says.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        Every kept customer, prepared.
    fit_mask : numpy.ndarray of bool
        The customers that shape the segments.
    clustering : ClusteringConfig
        ``k`` and ``methods``.

    Raises
    ------
    ConfigError
        When k is not smaller than the number of customers, or than the number of
        (distinct) customers that shape the segments, for a method that takes k.
    """
    k = clustering.k
    if k is None:
        return
    own = [m for m in clustering.methods if m in OWN_K_METHODS]
    takes_k = [m for m in clustering.methods if m not in OWN_K_METHODS]
    fit_rows = np.asarray(fit_mask, dtype=bool)
    n_fit = int(fit_rows.sum())
    distinct = _distinct_at_least(X[fit_rows], k + 1)
    limit = min(n_fit, distinct) - 1
    hint = f"use --k {limit} or less" if limit >= 2 else "provide more customers"
    if k >= len(X):
        raise ConfigError(
            f"asked for {k} segments but only {len(X)} customers are in the data: "
            "there must be fewer segments than customers",
            hint=hint,
        )
    if takes_k and k > limit:
        reasons = []
        if n_fit < len(X):
            reasons.append(f"{plural(len(X) - n_fit, 'outlier')} set aside")
        if distinct < n_fit:
            reasons.append(f"{distinct} distinct")
        raise ConfigError(
            f"asked for {k} segments but only {n_fit} customers "
            + (f"({', '.join(reasons)}) " if reasons else "")
            + "shape the segments",
            hint=hint,
        )
    if own:
        # Only once every check passed: a refused run ends with its one error line.
        logger.warning(
            "dbscan chooses its own number of segments; "
            "--k applies to kmeans, gmm, agglomerative, genie"
        )


def seeded_rows(n_rows: int, limit: int, seed: int) -> np.ndarray | None:
    """Return sorted positions of a seeded sample of ``limit`` rows (``None`` if it all fits).

    Examples
    --------
    >>> seeded_rows(5, 10, seed=0) is None
    True
    >>> len(seeded_rows(100, 10, seed=0))
    10
    """
    if n_rows <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=limit, replace=False))


def search_sample(
    X: np.ndarray, limit: int, context: SearchContext, *, method: str, setting: str
) -> tuple[np.ndarray, str | None]:
    """Return the rows k is chosen on: a seeded sample of ``limit`` rows above it.

    Parameters
    ----------
    X : numpy.ndarray
        The rows that shape the segments.
    limit : int
        The method's ``clustering.<method>.<setting>``.
    context : SearchContext
        Holds the seed.
    method, setting : str
        Name the method and its config key in the note.

    Returns
    -------
    X : numpy.ndarray
        The sample (or every row).
    note : str or None
        What was sampled, logged and for the method's notes; ``None`` when all fit.
    """
    rows = seeded_rows(len(X), limit, context.seed)
    if rows is None:
        return X, None
    note = (
        f"{method}: k chosen on a seeded sample of {len(rows):,} of {len(X):,} customers "
        f"(clustering.{method}.{setting})"
    )
    logger.info("%s", note)
    return X[rows], note


def n_distinct(X: np.ndarray) -> int:
    """Return the number of distinct rows of ``X`` (k cannot exceed it)."""
    return len(np.unique(X, axis=0))


def criteria_row(X: np.ndarray, labels: np.ndarray, context: SearchContext) -> dict[str, Any]:
    """Return the near-neighbour separation, silhouette, Calinski–Harabasz, Davies–Bouldin."""
    metrics = cluster_metrics(
        X, labels, sample_size=context.clustering.silhouette_sample_size, seed=context.seed
    )
    return {
        "nn_separation": nn_separation(
            X, labels, sample_size=context.clustering.validity_sample_size, seed=context.seed
        ),
        "silhouette": metrics.silhouette,
        "calinski_harabasz": metrics.calinski_harabasz,
        "davies_bouldin": metrics.davies_bouldin,
        "silhouette_sample": metrics.silhouette_sample,
    }


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def choose(
    table: pd.DataFrame,
    label: str,
    *,
    params: list[str] | None = None,
    elbow_column: str | None = None,
    votes: tuple[str, ...] | None = None,
    notes: tuple[str, ...] = (),
    curves: dict[str, Any] | None = None,
) -> Search:
    """Apply the consensus-rank rule to a candidate table (a single row was fixed by the user).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per candidate.
    label : str
        Column naming a candidate in messages.
    params : list of str, optional
        Columns that make up the chosen parameters (default ``[label]``).
    elbow_column, votes
        Passed to :func:`~segmentkit.selection.candidates.choose_candidate`.
    notes, curves
        Copied into the :class:`Search`.
    """
    if len(table) == 1:
        index, summary, agree = 0, f"{label} = {table[label].iloc[0]} was fixed by the user", True
    else:
        choice = choose_candidate(table, label=label, elbow_column=elbow_column, votes=votes)
        index, summary, agree = choice.index, choice.summary, choice.agree
    chosen = {name: _plain(table[name].iloc[index]) for name in params or [label]}
    return Search(
        table.assign(chosen=np.arange(len(table)) == index),
        chosen,
        summary,
        agree,
        notes,
        dict(curves or {}),
    )


def within_cluster_ss(X: np.ndarray, labels: np.ndarray) -> float:
    """Return the within-segment sum of squared distances to the segment means (inertia).

    Computed in a fixed order, so it does not depend on the number of threads.

    Examples
    --------
    >>> within_cluster_ss(np.array([[0.0], [2.0], [10.0]]), np.array([0, 0, 1]))
    2.0
    """
    total = 0.0
    for value in np.unique(labels):
        members = X[labels == value]
        total += float(((members - members.mean(axis=0)) ** 2).sum())
    return total


def k_bound(n_rows: int, clustering: ClusteringConfig) -> int:
    """Largest k the search may widen to when the best k sits at ``k_max``.

    Grows with the data (about the square root of half the customers: 10 segments need
    200 customers, 50 need 5,000) and never exceeds ``clustering.k_limit``.

    Examples
    --------
    >>> from segmentkit.config import ClusteringConfig
    >>> k_bound(200, ClusteringConfig()), k_bound(5_000, ClusteringConfig())
    (10, 50)
    """
    grown = int(np.sqrt(n_rows / 2))
    return max(clustering.k_max, min(clustering.k_limit, grown))


def search_k(
    X: np.ndarray,
    context: SearchContext,
    partition: Callable[[int], np.ndarray],
    *,
    n_points: int | None = None,
    n_unique: int | None = None,
    extra: Callable[[int, np.ndarray], dict[str, Any]] | None = None,
    rule: str = "separation",
    notes: tuple[str, ...] = (),
    curves: dict[str, Any] | None = None,
) -> Search:
    """Try every candidate k of a method and choose one.

    Parameters
    ----------
    X : numpy.ndarray
        The rows the candidates are judged on.
    context : SearchContext
        Seed and settings.
    partition : callable
        ``partition(k) -> labels`` of the rows of ``X``.
    n_points, n_unique : int, optional
        Points the method actually clusters and how many are distinct (micro-cluster
        centres, say); default the rows of ``X``.
    extra : callable, optional
        ``extra(k, labels) -> dict`` of method-specific columns (``inertia``, ...).
    rule : {"separation", "consensus"}
        ``separation``: the separation drop (shape-following methods such as Genie);
        ``consensus``: the consensus rank of silhouette, Calinski–Harabasz,
        Davies–Bouldin and the inertia elbow (centroid methods, whose own model is the
        compact round segment those criteria reward).
    notes, curves
        Copied into the :class:`Search`.

    Returns
    -------
    Search
        The candidates (k_min up to one beyond the last that could be chosen) with every
        criterion and ``chosen``.

    Notes
    -----
    The drop at k needs the candidate k + 1, so under ``separation`` one candidate
    beyond ``k_max`` is tried (when the data can hold it). When the best k is the
    largest that could be chosen, the range is widened, ``k_max`` more candidates at a
    time, up to :func:`k_bound`; the notes say so. If no candidate's drop can be
    computed (segments too small for the separation to be measured), the consensus
    rank of the other criteria decides.
    """
    clustering = context.clustering
    n_points = len(X) if n_points is None else n_points
    n_unique = n_distinct(X) if n_unique is None else n_unique
    ks = candidate_ks(n_points, n_unique, clustering)
    ceiling = min(n_points - 1, n_unique - 1)
    rows: list[dict[str, Any]] = []

    def evaluate(candidates: list[int]) -> None:
        add_steps(len(candidates))
        for k in candidates:
            labels = partition(k)
            rows.append(
                {
                    "k": k,
                    "n_segments_found": len(np.unique(labels[labels >= 0])),
                    **(extra(k, labels) if extra is not None else {}),
                    **criteria_row(X, labels, context),
                }
            )
            advance()

    if clustering.k is not None:
        evaluate(ks)
        return choose(pd.DataFrame(rows), "k", notes=notes, curves=curves)
    lookahead = 1 if rule == "separation" else 0
    # The widened range grows with the customers judged, never past what the points hold.
    bound = min(k_bound(len(X), clustering), ceiling)
    choosable = ks[-1]
    evaluate(list(range(ks[0], min(choosable + lookahead, ceiling) + 1)))
    widened = []
    while True:
        table = pd.DataFrame(rows)
        if rule == "separation":
            choice = separation_drop_choice(table)
        else:
            elbow = "inertia" if "inertia" in table else None
            choice = choose_candidate(table, label="k", elbow_column=elbow)
        if choice is None or int(table["k"].iloc[choice.index]) < choosable:
            break
        evaluated = int(table["k"].iloc[-1])
        wider = min(bound, choosable + clustering.k_max)
        if wider <= choosable or min(wider + lookahead, ceiling) <= evaluated:
            break
        evaluate(list(range(evaluated + 1, min(wider + lookahead, ceiling) + 1)))
        choosable = wider
        widened.append(choosable)
    all_notes = list(notes)
    if widened:
        all_notes.append(
            f"the best k was at the top of the range k_max = {clustering.k_max}, so the search "
            f"was widened to k = {widened[-1]} (bound {bound} for {len(X):,} customers)"
        )
        logger.info("%s", all_notes[-1])
    if choice is None:
        logger.info("near-neighbour separation undefined for every candidate; consensus rank")
        # The lookahead candidate beyond the range is not a choice here.
        candidates = table[table["k"] <= choosable]
        if len(candidates) == 1:
            index, summary, agree = 0, f"k = {choosable}: the only candidate the data hold", True
        else:
            fallback = choose_candidate(
                candidates,
                label="k",
                elbow_column="inertia" if "inertia" in candidates else None,
            )
            index, summary, agree = fallback.index, fallback.summary, fallback.agree
        return Search(
            table.assign(chosen=np.arange(len(table)) == index),
            {"k": int(table["k"].iloc[index])},
            summary,
            agree,
            tuple(all_notes),
            dict(curves or {}),
        )
    return Search(
        table.assign(chosen=np.arange(len(table)) == choice.index),
        {"k": int(table["k"].iloc[choice.index])},
        choice.summary,
        choice.agree,
        tuple(all_notes),
        dict(curves or {}),
    )
