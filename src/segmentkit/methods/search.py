"""What every method's parameter search shares: its context, its outcome, the k search.

A method tries its candidate parameters on the rows that shape the segments (a seeded sample
of them on large data), measures every criterion of each candidate (:func:`criteria_row`) and
chooses one with :func:`segmentkit.selection.candidates.choose_candidate` (:func:`choose`);
methods that take a number of segments share the whole loop over k (:func:`search_k`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segmentkit.config import ClusteringConfig
from segmentkit.methods.k_range import candidate_ks, n_distinct
from segmentkit.progress import add_steps, advance
from segmentkit.selection.candidates import choose_candidate, separation_drop_choice
from segmentkit.selection.criteria import ClusterMetrics, cluster_metrics, seeded_rows
from segmentkit.selection.shared import SharedStructures

__all__ = [
    "Search",
    "SearchContext",
    "choose",
    "criteria_row",
    "k_bound",
    "measure",
    "search_k",
    "search_sample",
    "seeded_rows",
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
    #: Distances and neighbour graphs every candidate of every method shares.
    shared: SharedStructures = field(default_factory=SharedStructures, compare=False, repr=False)


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


def search_sample(
    X: np.ndarray, limit: int, context: SearchContext, *, method: str, setting: str
) -> tuple[np.ndarray, str | None]:
    """Return the rows k is chosen on: a seeded sample above the smaller of two limits.

    The limit is ``clustering.search_max_rows`` or the method's own key, whichever is
    smaller. With the same limit, every method gets the same sample (the same seed), so
    their candidates share distances and neighbour graphs (:class:`SharedStructures`).

    Parameters
    ----------
    X : numpy.ndarray
        The rows that shape the segments.
    limit : int
        The method's ``clustering.<method>.<setting>``.
    context : SearchContext
        Holds the seed and ``clustering.search_max_rows``.
    method, setting : str
        Name the method and its config key in the note.

    Returns
    -------
    X : numpy.ndarray
        The sample (or every row).
    note : str or None
        What was sampled, logged and for the method's notes; ``None`` when all fit.
    """
    shared_limit = context.clustering.search_max_rows
    if shared_limit < limit:
        limit, key = shared_limit, "clustering.search_max_rows"
    else:
        key = f"clustering.{method}.{setting}"
    rows = seeded_rows(len(X), limit, context.seed)
    if rows is None:
        return X, None
    note = f"{method}: k chosen on a seeded sample of {len(rows):,} of {len(X):,} customers ({key})"
    logger.info("%s", note)
    return X[rows], note


def measure(X: np.ndarray, labels: np.ndarray, context: SearchContext) -> ClusterMetrics:
    """Return the criteria of a labelling of ``X``, near-neighbour separation included.

    Distances and the neighbour graph come from ``context.shared``: computed once for
    every labelling of the same rows, with the numbers of computing them each time
    (the silhouette up to rounding).
    """
    clustering = context.clustering
    shared = context.shared
    distances = shared.distances(X) if len(X) <= clustering.silhouette_sample_size else None
    metrics = cluster_metrics(
        X,
        labels,
        sample_size=clustering.silhouette_sample_size,
        seed=context.seed,
        distances=distances,
    )
    if metrics.n_segments < 2:
        return metrics
    separation = shared.separation(
        X, labels, sample_size=clustering.validity_sample_size, seed=context.seed
    )
    return dataclasses.replace(metrics, nn_separation=separation)


def criteria_row(X: np.ndarray, labels: np.ndarray, context: SearchContext) -> dict[str, Any]:
    """Return the near-neighbour separation, silhouette, Calinski–Harabasz, Davies–Bouldin."""
    metrics = measure(X, labels, context)
    return {
        "nn_separation": metrics.nn_separation,
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
