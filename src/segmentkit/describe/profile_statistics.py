"""A segment's statistics against all customers: profile groups, drivers, differences.

The standardised difference ``z`` of a numeric feature is ``(segment mean - mean of all
customers) / standard deviation of all customers`` on the scale the model saw (after any log
transform); flagged outliers and DBSCAN noise are profiled apart (:func:`profile_groups`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.describe.segment_counts import distinct_segments
from segmentkit.prepare.transformer import PreparedData
from segmentkit.text import axis_label

__all__ = [
    "MISSING",
    "UNUSUAL_SEGMENT",
    "Driver",
    "Standardiser",
    "numeric_stats",
    "percent",
    "profile_groups",
    "standardised_differences",
    "typical_statistic",
]

#: Profile number of flagged outliers (``-1`` is DBSCAN noise).
UNUSUAL_SEGMENT = -2
MISSING = "(missing)"


@dataclass(frozen=True)
class Driver:
    """One feature that sets a segment apart from all customers.

    Attributes
    ----------
    feature : str
        The original column.
    z : float
        Standardised difference from all customers.
    value : str or None
        For a categorical feature, the value whose share differs most.
    """

    feature: str
    z: float
    value: str | None = None

    def describe(self) -> str:
        """Return a compact label such as ``Annual Income (k$) +1.9 sd``.

        Examples
        --------
        >>> Driver("Channel", -1.234, "Retail").describe()
        'Channel = Retail -1.2 sd'
        >>> Driver("MntMeatProducts", 0.91).describe()
        'Spend on meat products +0.9 sd'
        """
        name = axis_label(self.feature)  # in words; a name with spaces keeps its units
        label = name if self.value is None else f"{name} = {self.value}"
        return f"{label} {self.z:+.1f} sd"


def profile_groups(labels: np.ndarray, fit_mask: np.ndarray) -> np.ndarray:
    """Return the profile each row is described in: its segment, ``-1`` or ``-2``.

    Flagged outliers (``fit_mask`` false) go to ``-2``, except in a segment made only of
    outliers, which is described as it is.

    Examples
    --------
    >>> profile_groups(np.array([0, 1, -1, 1, 2]), np.array([True, False, False, True, False]))
    array([ 0, -2, -1,  1,  2])
    """
    labels = np.asarray(labels)
    outlier = ~np.asarray(fit_mask) & (labels >= 0)
    groups = labels.copy()
    typical = distinct_segments(labels[~outlier & (labels >= 0)])
    groups[outlier & np.isin(labels, typical)] = UNUSUAL_SEGMENT
    return groups


def typical_statistic(column: str, log_columns: list[str]) -> str:
    """Return the figure that says whether a segment is higher or lower on a feature.

    The median for a column the model saw on a log scale (skewed money: the mean is
    pulled by a few whales, and the model compares logs), else the mean.

    Examples
    --------
    >>> typical_statistic("Fresh", ["Fresh"]), typical_statistic("Age", ["Fresh"])
    ('median', 'mean')
    """
    return "median" if column in log_columns else "mean"


def percent(share: float) -> str:
    """Return a share as a whole percentage; ``<1%`` for a few (``0%`` would read as none)."""
    if 0 < share < 0.005:
        return "<1%"  # "0%" would read as none
    return f"{100 * share:.0f}%"


class Standardiser:
    """Standardised differences from all customers on the scale the model saw."""

    def __init__(self, prepared: PreparedData) -> None:
        # Numeric columns map one-to-one to a model feature (possibly prefixed).
        index = prepared.numeric_model_columns
        self.columns = [c for c in prepared.numeric_features if c in index]
        self.values = prepared.X[:, [index[c] for c in self.columns]]
        self.mean = self.values.mean(axis=0)
        std = self.values.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)

    def z(self, members: np.ndarray) -> np.ndarray:
        """Return the members' standardised difference on every column."""
        return np.asarray((self.values[members].mean(axis=0) - self.mean) / self.std)


def standardised_differences(prepared: PreparedData, labels: np.ndarray) -> pd.DataFrame:
    """Return segment × numeric feature standardised differences, the profiles' ``_z``.

    Rows are the segments (``>= 0``) as :func:`profile_groups` describes them: flagged
    outliers are left out of their segment.
    """
    standardiser = Standardiser(prepared)
    groups = profile_groups(labels, prepared.fit_mask)
    rows = {int(g): standardiser.z(groups == g) for g in distinct_segments(groups) if g >= 0}
    return pd.DataFrame.from_dict(rows, orient="index", columns=standardiser.columns).sort_index()


def numeric_stats(row: dict[str, object], part: pd.DataFrame, columns: list[str]) -> None:
    """Put a segment's mean, median, min and max of each numeric column into ``row``."""
    for column in columns:
        values = part[column].dropna()
        present = len(values) > 0
        row[f"{column}_mean"] = float(values.mean()) if present else np.nan
        row[f"{column}_median"] = float(values.median()) if present else np.nan
        row[f"{column}_min"] = float(values.min()) if present else np.nan
        row[f"{column}_max"] = float(values.max()) if present else np.nan
        row[f"{column}_z"] = np.nan  # filled once the typical figures are known
