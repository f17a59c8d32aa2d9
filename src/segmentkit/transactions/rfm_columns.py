"""The customer table ``segmentkit rfm`` writes: its column names, and how a run recognises it.

Kept apart from the computation so that role inference (:mod:`segmentkit.prepare.roles`)
can ask "is this an RFM table?" without importing the transaction-log machinery.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "RFM_EXTRAS",
    "RFM_FEATURES",
    "RFM_SCORES",
    "is_rfm_column",
    "is_rfm_table",
    "rfm_derived_columns",
]

#: The customer-table columns segmentation uses by default.
RFM_FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value")
#: Scores and group derived from the RFM features: labels of them, never features.
RFM_SCORES = ("r_score", "f_score", "m_score", "rfm_score", "rfm_group")
#: Further measures of the customer table, not segmented on unless asked for.
RFM_EXTRAS = ("repeat_purchases", "tenure_days", "first_to_last_days", "mean_interpurchase_days")


def is_rfm_table(columns: Iterable[object]) -> bool:
    """Return whether a table's columns are those ``segmentkit rfm`` writes.

    The signature is the :data:`RFM_FEATURES` and all :data:`RFM_SCORES`; such a table
    has the customer id as its first column, whatever its name (``rfm`` keeps the log's).

    Examples
    --------
    >>> is_rfm_table(["column_2", *RFM_FEATURES, *RFM_SCORES]), is_rfm_table(RFM_FEATURES)
    (True, False)
    """
    return {*RFM_FEATURES, *RFM_SCORES} <= {str(c) for c in columns}


def is_rfm_column(name: object) -> bool:
    """Return whether ``name`` is a column ``segmentkit rfm`` computes (not the id)."""
    text = str(name)
    return text in {*RFM_FEATURES, *RFM_SCORES, *RFM_EXTRAS} or text.startswith("share_")


def rfm_derived_columns(columns: Iterable[object]) -> dict[str, str]:
    """Return the columns of a ``segmentkit rfm`` table that a run leaves out, with reasons.

    A customer table written by ``segmentkit rfm`` and segmented with ``segmentkit run``
    must give the segments ``run --transactions`` gives: only the :data:`RFM_FEATURES`.
    The table is recognised by its signature (the RFM features and all
    :data:`RFM_SCORES`); its scores, group, :data:`RFM_EXTRAS` and ``share_*`` columns are
    then left out. Other columns (joined from elsewhere) are untouched, and a column
    named in ``input.features`` is always used.

    Parameters
    ----------
    columns : iterable
        The table's column names.

    Returns
    -------
    dict
        Column to the reason it is not a feature; empty for any other table.

    Examples
    --------
    >>> table = ["id", *RFM_FEATURES, "tenure_days", *RFM_SCORES, "age"]
    >>> sorted(rfm_derived_columns(table))[:3]
    ['f_score', 'm_score', 'r_score']
    >>> "age" in rfm_derived_columns(table), rfm_derived_columns(["id", "recency_days"])
    (False, {})
    """
    names = [str(c) for c in columns]
    if not is_rfm_table(names):
        return {}
    asked = "name it in input.features to segment on it"
    reasons = {}
    for name in names:
        if name in RFM_SCORES:
            reasons[name] = f"derived RFM score, not a feature; {asked}"
        elif name in RFM_EXTRAS or name.startswith("share_"):
            reasons[name] = (
                f"RFM measure not segmented on by default (as in --transactions); {asked}"
            )
    return reasons
