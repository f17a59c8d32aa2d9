"""Reading a transaction log: which column plays which part, and whether a table is a log.

Column names are inferred when obvious (:func:`infer_transaction_columns`) and can always
be given; :func:`transaction_log_reason` tells a log from a customer table on the values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.config import TransactionsConfig
from segmentkit.errors import DataError
from segmentkit.prepare.cleaning import parse_dates, parse_numbers
from segmentkit.text import listing, snake_case

__all__ = [
    "TransactionColumns",
    "infer_transaction_columns",
    "log_dates",
    "log_numbers",
    "transaction_log_reason",
]

_PATTERNS = {
    "customer": (
        r"(^|_)(customer|client|cust|member|user|account|shopper|buyer)"
        r"(_?id|_?no|_?number|_?code)?($|_)"
    ),
    "date": r"date|time|timestamp|(^|_)day($|_)|datetime|(^|_)ts($|_)",
    "amount": r"amount|revenue|sales|total|spend|dollar|value|turnover|(^|_)net($|_)",
    "quantity": r"(^|_)(qty|quantity|units|number_of|n_items|items|item_count|count)($|_)",
    "price": r"price|unit_?cost|(^|_)rate($|_)",
    "order": r"invoice|order|transaction|receipt|basket|ticket|(^|_)bill",
    "category": (
        r"categor|department|(^|_)family($|_)|product_?type|product_?group|(^|_)segment($|_)"
    ),
}


#: The flag of ``segmentkit rfm`` and ``run --transactions`` and the config key naming
#: each part, for the messages that ask for a column.
_FLAG = {
    "customer": ("--customer-column", "transactions.customer_column"),
    "date": ("--date-column", "transactions.date_column"),
    "amount": ("--amount-column", "transactions.amount_column"),
    "quantity": ("--quantity-column", "transactions.quantity_column"),
    "price": ("--price-column", "transactions.price_column"),
    "order": ("--order-column", "transactions.order_column"),
    "category": ("--category-column", "transactions.category_column"),
}
#: Years a date written as 8 digits (19970101, as in CDNOW's log) may fall in: 8-digit
#: codes outside them (10234567, 99991231) are not taken for dates.
_EIGHT_DIGIT_YEARS = (1900, 2100)


def _eight_digit_dates(series: pd.Series) -> bool:
    """Whether ``series`` holds dates written as 8 digits, ``YYYYMMDD`` (numbers or text).

    Examples
    --------
    >>> [_eight_digit_dates(pd.Series(v)) for v in ([19970101, 19980630], ["10234567"])]
    [True, False]
    """
    sample = series.dropna().head(1000)
    if sample.empty or pd.api.types.is_bool_dtype(sample):
        return False
    if pd.api.types.is_numeric_dtype(sample):
        values = sample.to_numpy(dtype=float)
        whole = np.all(np.isfinite(values)) and np.all(np.mod(values, 1) == 0)
        # Only 8-digit magnitudes can be dates; larger ones would not fit an int64 cast.
        if not bool(whole and np.all((values >= 1e7) & (values < 1e8))):
            return False
        text = pd.Series(values.astype("int64").astype(str))
    elif pd.api.types.is_object_dtype(sample) or pd.api.types.is_string_dtype(sample):
        text = sample.astype("string").str.strip()
    else:
        return False
    if not bool(text.str.fullmatch(r"\d{8}").all()):
        return False
    parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    low, high = _EIGHT_DIGIT_YEARS
    return bool(parsed.notna().all() and parsed.dt.year.between(low, high).all())


@dataclass(frozen=True)
class TransactionColumns:
    """Which column of the log plays which part (``None``: absent)."""

    customer: str
    date: str
    amount: str | None = None
    quantity: str | None = None
    price: str | None = None
    order: str | None = None
    category: str | None = None

    def describe(self) -> dict[str, str | None]:
        """Return the mapping as JSON data."""
        return {
            "customer": self.customer,
            "date": self.date,
            "amount": self.amount,
            "quantity": self.quantity,
            "price": self.price,
            "order": self.order,
            "category": self.category,
        }


def infer_transaction_columns(
    frame: pd.DataFrame, config: TransactionsConfig
) -> TransactionColumns:
    """Find the customer, date, amount (or quantity × price), order and category columns.

    A column named in ``config`` wins; otherwise the first column whose name matches the
    part's pattern. Date and order patterns overlap ("InvoiceDate"), so a column taken by
    one part is not offered to the next. When no name says "date", the first column of
    dates written as 8 digits (``19970101``, years 1900–2100, as in CDNOW's header-less
    log) is the date.

    Raises
    ------
    DataError
        When a named column is absent, or no customer, date or amount can be found.
    """
    columns = [str(c) for c in frame.columns]
    given = {
        "customer": config.customer_column,
        "date": config.date_column,
        "amount": config.amount_column,
        "quantity": config.quantity_column,
        "price": config.price_column,
        "order": config.order_column,
        "category": config.category_column,
    }
    absent = [
        f"{_FLAG[part][1]} = {name!r} ({_FLAG[part][0]})"
        for part, name in given.items()
        if name and name not in columns
    ]
    if absent:
        raise DataError(
            "column(s) not in the transaction log: " + "; ".join(absent),
            hint=f"available columns: {', '.join(repr(c) for c in columns[:30])}",
        )
    found: dict[str, str | None] = {p: n for p, n in given.items() if n}
    taken = set(found.values())
    for part in ("customer", "date", "order", "amount", "quantity", "price", "category"):
        if part in found:
            continue
        if part == "amount" and (found.get("quantity") or found.get("price")):
            continue
        matches = [
            c for c in columns if c not in taken and re.search(_PATTERNS[part], snake_case(c))
        ]
        if part == "date":
            # Prefer a name that says "date" over "time" alone.
            matches.sort(key=lambda c: "date" not in snake_case(c))
            if not matches:
                matches = [c for c in columns if c not in taken and _eight_digit_dates(frame[c])]
        found[part] = matches[0] if matches else None
        if found[part]:
            taken.add(found[part])
    # An amount column wins; otherwise amount = quantity × unit price.
    has_amount = bool(found.get("amount"))
    missing = [p for p in ("customer", "date") if not found.get(p)]
    if not has_amount and not (found.get("quantity") and found.get("price")):
        missing.append("amount (or quantity and unit price)")
    if missing:
        raise DataError(
            f"cannot tell which column is the {', '.join(missing)} of the transaction log",
            hint=_name_them(missing, columns),
        )
    return TransactionColumns(
        customer=str(found["customer"]),
        date=str(found["date"]),
        amount=found.get("amount"),
        quantity=found.get("quantity"),
        price=None if has_amount else found.get("price"),
        order=found.get("order"),
        category=found.get("category"),
    )


def _name_them(missing: list[str], columns: list[str]) -> str:
    """Say how to name the ``missing`` parts: the flags (rfm, run --transactions), the keys."""
    ways = []
    for part in missing:
        if part == "customer" or part == "date":
            flag, key = _FLAG[part]
            ways.append(f"{flag} ({key})")
        else:
            ways.append(
                "--amount-column, or --quantity-column and --price-column "
                "(transactions.amount_column, or quantity_column and price_column)"
            )
    pronoun = "it" if len(missing) == 1 else "them"
    shown = listing(columns, 30, quote=True)
    return f"name {pronoun} with {'; '.join(ways)}; the log's columns: {shown}"


def log_numbers(series: pd.Series) -> pd.Series:
    """Read a log column as floats: numbers as they are, text as written for people."""
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    return parse_numbers(series).astype(float)


def log_dates(series: pd.Series) -> pd.Series:
    """Read a log column as dates: dates as they are, ``19970101``-style integers, or text."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    if pd.api.types.is_integer_dtype(series):
        # 19970101-style integers.
        return pd.to_datetime(series.astype("string"), format="%Y%m%d", errors="coerce")
    return parse_dates(series)


#: A log repeats its customers: each on at least this many rows on average ...
_LOG_ROWS_PER_CUSTOMER = 2.0
#: ... and there are more of them than a category has levels (``cleaning.max_categories``'
#: default), so that "member_tier" with five tiers is not taken for customers.
_LOG_MIN_CUSTOMERS = 20
#: Share of the sampled lines whose date and amount must read as such.
_LOG_MIN_PARSED = 0.9


def transaction_log_reason(
    frame: pd.DataFrame, config: TransactionsConfig | None = None
) -> str | None:
    """Say why ``frame`` reads as a transaction log rather than a customer table, or None.

    A log has a customer column whose values repeat (at least 20 customers, on two rows
    each on average), a column of dates and an amount (or quantity and unit price) —
    found as :func:`infer_transaction_columns` finds them, and checked on the values.
    ``segmentkit run`` stops on such a table unless ``--transactions`` is given (or the
    id column is named): segmenting its lines as customers is never what was meant.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    config : TransactionsConfig, optional
        Column names, when the configuration gives them.

    Returns
    -------
    str or None
        The evidence, e.g. ``'CustomerID' repeats (1,234 customers on 49,999 rows), with
        dates in 'InvoiceDate' and amounts from 'Quantity' x 'UnitPrice'``.
    """
    try:
        columns = infer_transaction_columns(frame, config or TransactionsConfig())
    except DataError:
        return None
    ids = frame[columns.customer]
    ids = ids.loc[ids.notna() & (ids.astype("string").str.strip() != "")]
    n_customers = int(ids.nunique())
    if n_customers < _LOG_MIN_CUSTOMERS or len(ids) < _LOG_ROWS_PER_CUSTOMER * n_customers:
        return None
    sample = frame.loc[ids.index[:1000]]
    if float(log_dates(sample[columns.date]).notna().mean()) < _LOG_MIN_PARSED:
        return None
    if columns.amount is not None:
        money = log_numbers(sample[columns.amount])
        amounts = f"amounts in {columns.amount!r}"
    else:
        money = log_numbers(sample[str(columns.quantity)]) * log_numbers(sample[str(columns.price)])
        amounts = f"amounts from {columns.quantity!r} x {columns.price!r}"
    if float(money.notna().mean()) < _LOG_MIN_PARSED:
        return None
    return (
        f"{columns.customer!r} repeats ({n_customers:,} customers on {len(ids):,} rows), "
        f"with dates in {columns.date!r} and {amounts}"
    )
