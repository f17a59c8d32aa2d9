"""``rfm_table``: a transaction log in, one row per customer out, in one call."""

from __future__ import annotations

import pandas as pd

from segmentkit.config import TransactionsConfig, parse_config
from segmentkit.transactions.rfm import customers_from_transactions

__all__ = ["rfm_table"]


def rfm_table(
    transactions: pd.DataFrame,
    *,
    customer_column: str | None = None,
    date_column: str | None = None,
    amount_column: str | None = None,
    quantity_column: str | None = None,
    price_column: str | None = None,
    order_column: str | None = None,
    category_column: str | None = None,
    snapshot_date: str | None = None,
    config: TransactionsConfig | None = None,
) -> pd.DataFrame:
    """Turn a transaction log into a customer table: recency, frequency, monetary value.

    The table ``segmentkit rfm`` writes, ready for :class:`~segmentkit.Segmenter` (give it
    ``id_column=`` the customer column). The definitions are in
    :mod:`segmentkit.transactions.rfm`; for the counts of what was cleaned and the snapshot
    date, call :func:`~segmentkit.transactions.rfm.customers_from_transactions`.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase line: a customer id, a date, and an amount or a quantity and a
        unit price; optionally an order (invoice) id and a product category. Not modified.
    customer_column, date_column, amount_column, quantity_column, price_column, \
order_column, category_column : str, optional
        The columns playing each part; inferred from their names when not given.
    snapshot_date : str, optional
        ``YYYY-MM-DD``: the date recency is measured at (default: the day after the last
        transaction).
    config : TransactionsConfig, optional
        Every other ``transactions`` setting (purchase unit, cancellation mark ...); the
        arguments above override it.

    Returns
    -------
    pandas.DataFrame
        One row per customer, in customer-id order: the customer column (named as in the
        log), ``recency_days``, ``frequency``, ``monetary``, ``avg_order_value``, further
        measures (``repeat_purchases``, ``tenure_days`` ...), ``share_<category>`` columns
        when there is a category, the scores ``r_score``, ``f_score``, ``m_score``,
        ``rfm_score`` and ``rfm_group``.

    Raises
    ------
    DataError
        When the columns cannot be found, or no purchase is left after cleaning.
    ConfigError
        When a setting is invalid (a snapshot date not written ``YYYY-MM-DD``).

    Examples
    --------
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "date": ["2024-01-01", "2024-01-20", "2024-01-10"],
    ...     "amount": [10.0, 30.0, 5.0],
    ... })
    >>> table = rfm_table(log)
    >>> print(table[["customer_id", "recency_days", "frequency", "monetary"]].to_string())
      customer_id  recency_days  frequency  monetary
    0           a           1.0          2      40.0
    1           b          11.0          1       5.0
    """
    settings = (config or TransactionsConfig()).model_dump(mode="json")
    given = {
        "customer_column": customer_column,
        "date_column": date_column,
        "amount_column": amount_column,
        "quantity_column": quantity_column,
        "price_column": price_column,
        "order_column": order_column,
        "category_column": category_column,
        "snapshot_date": snapshot_date,
    }
    settings.update({key: value for key, value in given.items() if value is not None})
    # Validated as the configuration file is, so a bad value is named the same way.
    checked = parse_config({"transactions": settings}, source="rfm_table").transactions
    return customers_from_transactions(transactions, checked).table
