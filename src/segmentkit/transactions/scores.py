"""RFM scores (quintiles 1–5) and the standard RFM groups named from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["RFM_GROUPS", "add_rfm_scores", "rfm_group"]


#: (R score pattern, F score pattern, group), checked in order; the standard RFM map.
RFM_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("1", "1", "Lost"),
    ("12", "12", "Hibernating"),
    ("12", "34", "At risk"),
    ("12", "5", "Can't lose them"),
    ("3", "12", "About to sleep"),
    ("3", "3", "Need attention"),
    ("34", "45", "Loyal"),
    ("4", "1", "Promising"),
    ("5", "1", "New customers"),
    ("45", "23", "Potential loyalists"),
    ("5", "45", "Champions"),
)


def rfm_group(r_score: int, f_score: int) -> str:
    """Name the standard RFM group of a recency and a frequency score (1–5, 5 best).

    Examples
    --------
    >>> [rfm_group(5, 5), rfm_group(5, 1), rfm_group(1, 5), rfm_group(1, 1), rfm_group(3, 3)]
    ['Champions', 'New customers', "Can't lose them", 'Lost', 'Need attention']
    """
    for r_pattern, f_pattern, name in RFM_GROUPS:
        if str(r_score) in r_pattern and str(f_score) in f_pattern:
            return name
    return "Other"


def _quintile_scores(values: pd.Series, *, higher_is_better: bool) -> pd.Series:
    """Scores 1–5 by quintile; ties broken by the table's (sorted id) order."""
    ranks = values.rank(method="first", ascending=higher_is_better)
    if len(values) < 5:
        return (
            pd.Series(np.ceil(ranks / len(values) * 5), index=values.index).astype(int).clip(1, 5)
        )
    return pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int)


def add_rfm_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``table`` with the RFM scores and group added.

    ``r_score``, ``f_score`` and ``m_score`` are quintile scores 1–5 (5 best: recent,
    frequent, high spend) of ``recency_days``, ``frequency`` and ``monetary``;
    ``rfm_score`` is the three digits as text and ``rfm_group`` the standard group of the
    recency and frequency scores (:func:`rfm_group`).
    """
    table = table.copy()
    table["r_score"] = _quintile_scores(table["recency_days"], higher_is_better=False)
    table["f_score"] = _quintile_scores(table["frequency"].astype(float), higher_is_better=True)
    table["m_score"] = _quintile_scores(table["monetary"], higher_is_better=True)
    table["rfm_score"] = (
        table["r_score"].astype(str) + table["f_score"].astype(str) + table["m_score"].astype(str)
    )
    table["rfm_group"] = [
        rfm_group(r, f) for r, f in zip(table["r_score"], table["f_score"], strict=True)
    ]
    return table
