"""Choose among candidate segmentations by documented rules.

The number of segments of Genie is chosen by the **separation drop**
(:func:`separation_drop_choice`): each candidate k is scored by how much near-neighbour
separation (:mod:`segmentkit.selection.validity`) is lost when its segments are split once more,
``D(k) / D(k + 1)``; the k with the largest drop wins. A segmentation into k real groups
is well separated, and splitting one of those groups puts near neighbours on both sides
of a new boundary, so D falls sharply right after the right k; before it, merged groups
keep D low and splitting them does not make it fall. Measured on the labelled benchmark
this finds the reference k far more often than silhouette, whose maximum favours round
segments and small k.

The "consensus rank" (:func:`choose_candidate`) chooses k for K-Means and Agglomerative
(their own model is the compact round segment these criteria reward), decides for Genie
where the separation cannot be measured, and Gaussian Mixture uses its BIC vote: every criterion
ranks the candidates — silhouette (higher is better), Calinski–Harabasz (higher),
Davies–Bouldin (lower) and, where the method has one, its own curve criterion (the knee
of the inertia curve, the lowest BIC for Gaussian Mixture). A candidate a criterion cannot score
ranks last for it. The chosen candidate has the best mean rank; ties go to the higher
silhouette. Each criterion's own favourite is recorded, and when they differ the
disagreement is stated rather than hidden.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.errors import DataError
from segmentkit.selection.knee import find_knee

__all__ = ["Choice", "choose_candidate", "elbow_knee", "separation_drop_choice"]

logger = logging.getLogger(__name__)

#: Criterion column to (direction, label).
CRITERIA: dict[str, tuple[str, str]] = {
    "silhouette": ("max", "silhouette"),
    "calinski_harabasz": ("max", "Calinski–Harabasz"),
    "davies_bouldin": ("min", "Davies–Bouldin"),
    "bic": ("min", "BIC"),
}


@dataclass(frozen=True)
class Choice:
    """The outcome of :func:`choose_candidate`.

    Attributes
    ----------
    index : int
        Position of the chosen candidate in the table.
    mean_rank : numpy.ndarray
        Mean rank of every candidate (lower is better).
    favourites : dict
        Criterion label to the candidate label it favours on its own.
    agree : bool
        Whether every criterion favours the chosen candidate.
    summary : str
        One sentence for the log, the CSVs and the report.
    """

    index: int
    mean_rank: np.ndarray
    favourites: dict[str, str]
    agree: bool
    summary: str


def elbow_knee(ks: list[int], values: list[float]) -> int | None:
    """Find the elbow of a decreasing, convex curve such as inertia against k.

    Uses kneed's Kneedle with ``curve="convex"`` and ``direction="decreasing"`` (the
    defaults describe a concave increasing curve and return the wrong point here).

    Parameters
    ----------
    ks : list of int
        Candidate numbers of segments, increasing.
    values : list of float
        Curve value at each candidate.

    Returns
    -------
    int or None
        The k at the knee, or ``None`` when the curve has none (or too few points).

    Examples
    --------
    >>> elbow_knee([2, 3, 4, 5, 6, 7], [100.0, 40.0, 15.0, 12.0, 10.5, 9.5])
    4
    """
    if len(ks) < 3:
        return None
    found = find_knee(ks, values, curve="convex", direction="decreasing")
    return None if found is None else int(found)


def choose_candidate(
    table: pd.DataFrame,
    *,
    label: str = "k",
    elbow_column: str | None = None,
    votes: tuple[str, ...] | None = None,
) -> Choice:
    """Choose a candidate by the consensus-rank rule (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per candidate, with ``label`` and any of the criterion columns
        ``silhouette``, ``calinski_harabasz``, ``davies_bouldin``, ``bic``.
    label : str
        Column naming the candidate (``k``, ``eps``, ...).
    elbow_column : str, optional
        A decreasing curve column (``inertia``) whose knee votes by distance in ``k``
        (the candidates must then have an integer ``k`` column).
    votes : tuple of str, optional
        Criterion columns that vote (default: every criterion present, and the elbow).
        The others still name their favourite, so disagreement is reported.

    Returns
    -------
    Choice
    """
    if table.empty:
        raise ValueError("no candidates to choose from")
    ranks = {}
    favourites: dict[str, str] = {}
    names = table[label].astype(str).tolist()
    for column, (direction, title) in CRITERIA.items():
        if column not in table or table[column].isna().all():
            continue
        values = table[column].astype(float)
        if votes is None or column in votes:
            ranks[title] = values.rank(ascending=direction == "min", na_option="bottom")
        array = values.to_numpy()
        best = np.nanargmax(array) if direction == "max" else np.nanargmin(array)
        favourites[title] = names[int(best)]
    if elbow_column is not None and elbow_column in table:
        ks = table["k"].astype(int).tolist()
        knee = elbow_knee(ks, table[elbow_column].astype(float).tolist())
        if knee is not None:
            if votes is None or "elbow" in votes:
                ranks["elbow"] = (table["k"].astype(int) - knee).abs().rank()
            favourites["elbow"] = str(knee)
    if not ranks:
        raise DataError(
            "no criterion could score any candidate segmentation",
            hint="the features barely vary or are dominated by a few extreme values; "
            "check them, or fix k in the config",
        )
    rank_frame = pd.DataFrame(ranks)
    mean_rank = rank_frame.mean(axis=1).to_numpy()
    silhouette = (
        table["silhouette"].astype(float).fillna(-np.inf).to_numpy()
        if "silhouette" in table
        else np.zeros(len(table))
    )
    # Lowest mean rank, then highest silhouette, then the earlier (simpler) candidate.
    order = np.lexsort((np.arange(len(table)), -silhouette, mean_rank))
    index = int(order[0])
    chosen = names[index]
    agree = all(value == chosen for value in favourites.values())
    listing = ", ".join(f"{title} {value}" for title, value in favourites.items())
    rule = "consensus rank" if len(ranks) > 1 else f"best {next(iter(ranks))}"
    if agree:
        summary = f"{label} = {chosen}: every criterion agrees ({listing})"
    else:
        summary = f"{label} = {chosen} by {rule}; criteria disagree ({listing})"
    return Choice(index, mean_rank, favourites, agree, summary)


def _finite_scale(values: np.ndarray) -> np.ndarray:
    """Replace ``inf`` (no near neighbour crosses a boundary) by a value above every finite one."""
    finite = values[np.isfinite(values)]
    top = 10.0 * float(np.max(np.abs(finite))) + 1.0 if finite.size else 1.0
    return np.where(np.isposinf(values), top, values)


def separation_drop_choice(table: pd.DataFrame, *, column: str = "nn_separation") -> Choice | None:
    """Choose k by the separation drop ``D(k) / D(k + 1)`` (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per candidate, ``k`` increasing by one, with the near-neighbour
        separation ``column`` (missing where it cannot be computed). The last row only
        serves as the comparison for the one before it.
    column : str
        The separation column.

    Returns
    -------
    Choice or None
        ``None`` when no candidate has a defined drop (too few scorable candidates).

    Examples
    --------
    >>> table = pd.DataFrame({"k": [2, 3, 4, 5], "nn_separation": [0.5, 0.6, 0.1, 0.09]})
    >>> separation_drop_choice(table).index
    1
    >>> table = pd.DataFrame({"k": [2, 3, 4], "nn_separation": [np.inf, np.inf, None]})
    >>> separation_drop_choice(table).index
    1
    """
    raw = table[column].astype(float).to_numpy()
    if np.all(np.isnan(raw)):
        return None
    values = _finite_scale(raw)
    # A split whose separation cannot be measured made a segment too small to judge (fewer
    # customers than near neighbours): count it as bad as the worst split measured (a
    # tenth of the top when every measured one is perfectly separated).
    finite = raw[np.isfinite(raw) & (raw > 0)]
    floor = float(finite.min()) if finite.size else float(np.nanmax(values)) / 10
    following = np.r_[np.nan_to_num(values[1:], nan=floor), np.nan]
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = values / np.maximum(following, np.finfo(float).tiny)
    drop[np.isnan(values)] = np.nan
    drop[-1] = np.nan  # the last candidate only serves as the comparison
    # A split that stays perfectly separated loses nothing: k + 1 is at least as good.
    drop[:-1][np.isposinf(raw[1:])] = np.nan
    if np.all(np.isnan(drop)):
        if len(raw) > 1 and np.all(np.isposinf(raw[:-1])):
            # Every split so far kept the segments apart: the answer is further up.
            drop[-2] = 1.0
        else:
            return None
    index = int(np.nanargmax(drop))  # the first maximum: the smaller k on a tie
    names = table["k"].astype(str).tolist()
    order = np.argsort(-np.nan_to_num(drop, nan=-np.inf), kind="stable")
    runner_up = (
        f"; next best k = {names[int(order[1])]} (drop {drop[int(order[1])]:.2f})"
        if len(order) > 1 and not np.isnan(drop[int(order[1])])
        else ""
    )
    summary = (
        f"k = {names[index]}: near-neighbour separation falls most when its segments are "
        f"split once more (drop {drop[index]:.2f}{runner_up})"
    )
    # Lower is better in Choice.mean_rank: rank the candidates by their drop.
    ranks = pd.Series(drop).rank(ascending=False, na_option="bottom").to_numpy()
    return Choice(index, ranks, {"separation drop": names[index]}, True, summary)
