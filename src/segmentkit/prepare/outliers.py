"""Unusual customers: far from the customers near them, or beyond one feature's fences.

Two rules, chosen by ``cleaning.outliers.method``:

- :func:`neighbour_outliers` (default) works in the space the clustering sees (log
  transform, scaling, weighted categories). A customer is unusual when the distance to
  its ``m``-th nearest neighbour is extreme next to everyone else's: beyond Tukey's
  fence ``Q3 + factor * IQR`` of the log distances. A dense group at the edge of a
  feature has near neighbours and is not flagged; a customer alone far away is.
- :func:`iqr_outliers` flags a row when any one feature lies beyond that feature's own
  fences. It is kept by name, but it flags whole groups that sit at the edge of a
  feature: on 40,000 ``make_customers`` customers in six planted groups, nothing
  planted, it flagged 1,661 customers, 969 of them from one group of 7,007; the
  neighbour rule flags 18, at most 8 from any group.

Both widen their factor until at most ``max_share`` of the rows are flagged.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

__all__ = ["NeighbourRule", "iqr_outliers", "neighbour_outliers", "outside_fences"]

logger = logging.getLogger(__name__)

#: Neighbours counted by default (``cleaning.outliers.n_neighbours``).
N_NEIGHBOURS = 15
#: Above ``max_rows`` customers every one is first ranked against a sample this small
#: (the distance to its 2nd nearest of them, about 4 microseconds a customer with 13
#: model columns) and only the most isolated :data:`_SCREEN_SHARE` are measured against the
#: full reference (27 microseconds each). On 100,000 customers this kept 1,130 of the
#: 1,139 flags of measuring everyone, in 1.25 s instead of 3.2 s.
_SCREEN_ROWS = 2_000
_SCREEN_SHARE = 0.1
#: Rows queried at once: keeps the (rows x neighbours) distance arrays near 25 MB.
_CHUNK_ROWS = 100_000
#: Smallest IQR of the log distances: when half the customers or more sit at exactly the
#: same distance (evenly spaced or repeated values) the IQR is 0 and Tukey's fence would
#: flag anyone a hair further; distances within 10% of each other count as equal instead.
#: Real data never comes close (IQR 0.34-0.53 on five public customer tables).
_MIN_LOG_IQR = float(np.log(1.1))


@dataclass(frozen=True, eq=False)
class NeighbourRule:
    """A fitted neighbour rule: enough to judge any customer, new ones included.

    Attributes
    ----------
    reference : numpy.ndarray of shape (n_reference, n_model_features)
        The customers distances are measured to (a seeded sample above ``max_rows``).
    n_neighbours : int
        ``m``: the distance judged is the one to the m-th nearest reference customer.
    threshold : float
        Customers whose m-th neighbour distance is larger are outliers.
    factor : float
        IQR multiplier of the log-distance fence the threshold came from (``factor``,
        or the widened factor when ``max_share`` capped the flags).
    screen : numpy.ndarray of shape (n_screen, n_model_features) or None
        Above ``max_rows``: a small sample of ``reference`` that ranks customers
        cheaply; a customer whose ``screen_neighbours``-th nearest screen customer
        lies within ``screen_cutoff`` is never an outlier.
    screen_neighbours : int
    screen_cutoff : float
    space : sklearn.compose.ColumnTransformer or None
        Maps cleaned feature columns to the space of ``reference``; set by
        :func:`~segmentkit.prepare.transformer.prepare` so a saved model flags new customers too.
    """

    reference: np.ndarray
    n_neighbours: int
    threshold: float
    factor: float
    screen: np.ndarray | None = None
    screen_neighbours: int = 1
    screen_cutoff: float = np.inf
    space: Any = None

    def __eq__(self, other: object) -> bool:
        """Equal fitted numbers; ``space`` is left out (estimators compare by identity)."""
        if not isinstance(other, NeighbourRule):
            return NotImplemented
        screens = (self.screen is None and other.screen is None) or (
            self.screen is not None
            and other.screen is not None
            and np.array_equal(self.screen, other.screen)
        )
        return bool(
            screens
            and np.array_equal(self.reference, other.reference)
            and (self.n_neighbours, self.threshold, self.factor)
            == (other.n_neighbours, other.threshold, other.factor)
            and (self.screen_neighbours, self.screen_cutoff)
            == (other.screen_neighbours, other.screen_cutoff)
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays: not hashable

    def distances(self, X: np.ndarray, *, workers: int = 1) -> np.ndarray:
        """Distance of every row of ``X`` to its m-th nearest reference customer.

        A row does not count as its own neighbour: one reference customer at distance
        exactly 0 (the row itself, or an exact repeat, which cannot be told apart) is
        skipped. The same rule applies in training and to new customers, so scoring the
        training table again gives the training flags.

        Parameters
        ----------
        X : numpy.ndarray of shape (n_rows, n_model_features)
        workers : int, default 1
            Threads querying the neighbour tree (each row's answer is its own, so the
            result is the same for any number).

        Returns
        -------
        numpy.ndarray of shape (n_rows,)
        """
        return _mth_distances(
            np.asarray(X, dtype=np.float64), self.reference, self.n_neighbours, workers
        )

    def candidates(self, X: np.ndarray, *, workers: int = 1) -> np.ndarray:
        """Rows the screen leaves to be measured (every row when there is no screen)."""
        if self.screen is None:
            return np.ones(len(X), dtype=bool)
        screened = _mth_distances(
            np.asarray(X, dtype=np.float64), self.screen, self.screen_neighbours, workers
        )
        return np.asarray(screened > self.screen_cutoff)

    def flag(self, X: np.ndarray, *, workers: int = 1) -> np.ndarray:
        """Boolean mask of the rows of ``X`` that are outliers."""
        X = np.asarray(X, dtype=np.float64)
        flags = np.zeros(len(X), dtype=bool)
        rows = np.flatnonzero(self.candidates(X, workers=workers))
        flags[rows] = self.distances(X[rows], workers=workers) > self.threshold
        return flags

    def flag_table(self, table: pd.DataFrame, *, workers: int = 1) -> np.ndarray:
        """Flag cleaned customers (the feature columns) through :attr:`space`."""
        if self.space is None:
            raise ValueError("this NeighbourRule has no space to transform a table with")
        return self.flag(np.asarray(self.space.transform(table), dtype=np.float64), workers=workers)


# The name model.skops files give this class (see scoring.model.SAVED_MODULE_NAME).
NeighbourRule.__module__ = "segmentkit.outliers"


def _mth_distances(X: np.ndarray, reference: np.ndarray, m: int, workers: int) -> np.ndarray:
    out = np.empty(len(X))
    if len(X) == 0:
        return out
    tree = cKDTree(reference)
    for start in range(0, len(X), _CHUNK_ROWS):
        # m + 1 neighbours: the first is skipped when it is the row itself (distance 0).
        distance, _ = tree.query(X[start : start + _CHUNK_ROWS], k=m + 1, workers=workers)
        distance = distance.reshape(-1, m + 1)
        out[start : start + _CHUNK_ROWS] = np.where(
            distance[:, 0] == 0, distance[:, m], distance[:, m - 1]
        )
    return out


def neighbour_outliers(
    X: np.ndarray,
    *,
    n_neighbours: int = N_NEIGHBOURS,
    factor: float,
    max_share: float,
    max_rows: int,
    seed: int,
    workers: int = 1,
) -> tuple[np.ndarray, NeighbourRule]:
    """Flag customers far from the customers near them.

    Step 1: the reference is every row, or above ``max_rows`` a sample of that many
    drawn with ``numpy.random.default_rng(seed)``. Step 2: the distance ``d`` of every
    reference customer to its m-th nearest other reference customer, with ``m`` the
    smaller of ``n_neighbours`` and 5% of the reference (but at least 2), so that a
    group of more than 5% of the customers is not flagged for being far from the rest.
    Step 3: the threshold is Tukey's fence on the log distances,
    ``exp(Q3 + factor * IQR)`` (customers with m exact repeats left out; an IQR below
    ``log 1.1`` counts as ``log 1.1``).
    Step 4: every row whose own ``d`` (itself not counted) exceeds the threshold is an
    outlier; when more than ``max_share`` of the rows would be, the factor is widened
    until at most that share is.

    Above ``max_rows`` step 4 first ranks every row by its distance to a small sample
    (2,000 of the reference), and measures only the 10% most isolated (or
    ``max_share``, when larger) against the reference: a million customers with 13
    model columns take about 8 s instead of 30.

    ``m`` counts customers in the reference, so above ``max_rows`` a far group smaller
    than ``n_neighbours / max_rows`` of the customers (15 in 20,000: 0.075%) counts as
    unusual; below it, a far group of at most ``m`` customers.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_rows, n_model_features)
        Customers on the model's scale (no missing values). Not modified.
    n_neighbours : int, default 15
        ``m``, the neighbour whose distance is judged.
    factor : float
        IQR multiplier of the fence on the log distances (the configuration's default
        is 2: at 1.5, Tukey's rule, 1.3% of a 5-dimensional Gaussian is flagged, at 2
        0.2%).
    max_share : float
        Largest share of rows that may be flagged.
    max_rows : int
        Largest reference; above it a seeded sample of this size.
    seed : int
        Seed of the sample.
    workers : int, default 1
        Threads querying the neighbour trees; the flags are the same for any number.

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n_rows,)
        Outlier rows.
    rule : NeighbourRule
        The reference, ``m``, the threshold distance and the factor used.

    Examples
    --------
    300 customers in one blob and one far away (the last row):

    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (300, 4)), [[8.0, 8.0, 8.0, 8.0]]])
    >>> mask, rule = neighbour_outliers(X, factor=2.0, max_share=0.1, max_rows=20_000, seed=0)
    >>> np.flatnonzero(mask).tolist(), rule.n_neighbours, round(rule.threshold, 2)
    ([300], 15, 3.16)
    """
    X = np.asarray(X, dtype=np.float64)
    n_rows = len(X)
    if n_rows < 2 or X.shape[1] == 0:
        return np.zeros(n_rows, dtype=bool), NeighbourRule(X.copy(), 1, np.inf, factor)
    rng = np.random.default_rng(seed)
    sampled = n_rows > max_rows
    if sampled:
        reference = X[np.sort(rng.choice(n_rows, size=max_rows, replace=False))]
    else:
        reference = X.copy()
    # At least the 2nd neighbour where there are 3 customers: with the 1st, a customer
    # next to an outlier in evenly spaced data would stand out as much as the outlier.
    m = int(min(n_neighbours, max(2, len(reference) // 20), len(reference) - 1))
    # Steps 2-3 on the log scale: distances to the m-th neighbour are right-skewed, and
    # a ratio ("three times as far as usual") means the same in sparse and dense data.
    # Customers with m exact repeats (distance 0) are not outliers and say nothing
    # about the spread.
    reference_distance = _mth_distances(reference, reference, m, workers)
    positive = reference_distance[reference_distance > 0]
    if len(positive) < 2:
        return np.zeros(n_rows, dtype=bool), NeighbourRule(reference, m, np.inf, factor)
    q1, q3 = np.quantile(np.log(positive), [0.25, 0.75])
    iqr = max(float(q3 - q1), _MIN_LOG_IQR)
    rule = NeighbourRule(reference, m, float(np.exp(q3 + factor * iqr)), factor)
    if sampled and max_rows > 2 * _SCREEN_ROWS:
        screen = reference[np.sort(rng.choice(len(reference), _SCREEN_ROWS, replace=False))]
        screen_m = max(1, round(m * _SCREEN_ROWS / len(reference)))
        screened = _mth_distances(X, screen, screen_m, workers)
        share = max(_SCREEN_SHARE, max_share)
        cutoff = float(np.quantile(screened, 1 - share)) if share < 1 else -np.inf
        rule = dataclasses.replace(
            rule, screen=screen, screen_neighbours=screen_m, screen_cutoff=cutoff
        )
        rows = np.flatnonzero(screened > cutoff)
    else:
        rows = np.arange(n_rows)
    # Step 4: only the measured rows can be flagged.
    distance = rule.distances(X[rows], workers=workers)
    allowed = int(np.floor(max_share * n_rows))
    if np.count_nonzero(distance > rule.threshold) > allowed:
        # The (allowed + 1)-th largest distance: strictly beyond it lie at most `allowed` rows.
        widened = float(np.sort(distance)[::-1][allowed])
        rule = dataclasses.replace(
            rule, threshold=widened, factor=float((np.log(widened) - q3) / iqr)
        )
    mask = np.zeros(n_rows, dtype=bool)
    mask[rows] = distance > rule.threshold
    return mask, rule


def iqr_outliers(
    values: pd.DataFrame, *, factor: float, max_share: float
) -> tuple[np.ndarray, dict[str, tuple[float, float]], float]:
    """Flag rows outside the IQR fences of any column.

    A row is an outlier when some column lies more than ``factor`` interquartile ranges
    below the first or above the third quartile. Columns with an IQR of zero are skipped
    (any departure from the typical value would count). When more than ``max_share`` of
    the rows would be flagged, the factor is widened until at most that share is.

    Parameters
    ----------
    values : pandas.DataFrame
        Numeric columns; missing values are never outliers.
    factor : float
        IQR multiplier (1.5 is Tukey's rule).
    max_share : float
        Largest share of rows that may be flagged.

    Returns
    -------
    mask : numpy.ndarray of bool
        Outlier rows.
    bounds : dict
        Column to ``(low, high)`` fences at the factor used.
    factor_used : float
        ``factor``, or the widened factor.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8, 100]})
    >>> mask, bounds, used = iqr_outliers(frame, factor=1.5, max_share=0.5)
    >>> mask.tolist()
    [False, False, False, False, False, False, False, False, True]
    """
    n_rows = len(values)
    if n_rows == 0 or values.shape[1] == 0:
        return np.zeros(n_rows, dtype=bool), {}, factor
    q1 = values.quantile(0.25)
    q3 = values.quantile(0.75)
    iqr = q3 - q1
    usable = [c for c in values.columns if iqr[c] > 0]
    if not usable:
        return np.zeros(n_rows, dtype=bool), {}, factor
    # Distance outside the quartiles in IQR units; 0 inside the box.
    block = values[usable].to_numpy(dtype=float)
    below = (q1[usable].to_numpy() - block) / iqr[usable].to_numpy()
    above = (block - q3[usable].to_numpy()) / iqr[usable].to_numpy()
    distance = np.fmax(below, above)
    distance = np.where(np.isnan(distance), -np.inf, distance).max(axis=1)
    used = factor
    allowed = int(np.floor(max_share * n_rows))
    if np.count_nonzero(distance > factor) > allowed:
        # The (allowed + 1)-th largest distance: strictly beyond it lie at most `allowed` rows.
        used = float(np.sort(distance)[::-1][allowed])
    mask = distance > used
    bounds = {c: (float(q1[c] - used * iqr[c]), float(q3[c] + used * iqr[c])) for c in usable}
    return mask, bounds, used


def outside_fences(table: pd.DataFrame, bounds: Mapping[str, Sequence[float]]) -> np.ndarray:
    """Flag the rows with a value beyond its column's fences, as :func:`iqr_outliers` found them.

    This is how a saved model judges new customers under method ``iqr``; missing values
    are never outliers.

    Parameters
    ----------
    table : pandas.DataFrame
        Cleaned customers, in original units.
    bounds : mapping
        Column to its ``(low, high)`` fences in original units.

    Returns
    -------
    numpy.ndarray of bool, shape (n_rows,)

    Examples
    --------
    >>> outside_fences(pd.DataFrame({"x": [1.0, 50.0, np.nan]}), {"x": (0.0, 10.0)}).tolist()
    [False, True, False]
    """
    flags = np.zeros(len(table), dtype=bool)
    for column, (low, high) in bounds.items():
        values = table[column].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            flags |= (values < low) | (values > high)
    return flags
