"""From a transaction log to one row per customer: recency, frequency, monetary value.

Data contract (in the spirit of lifetimes' ``summary_data_from_transaction_data``): the
log has one row per purchase line with a customer id, a date and either an amount or a
quantity and a unit price; optionally an order (invoice) id and a product category.
Column names are inferred when obvious and can always be given.

Definitions (``snapshot`` = ``transactions.snapshot_date``, default the day after the
last transaction; purchases after it are left out and counted). A *purchase* is one
order, or one day with a purchase when there is no order id or ``frequency_unit`` is
``day``:

- ``recency_days``: days from the last purchase to the snapshot;
- ``frequency``: number of purchases;
- ``repeat_purchases``: ``frequency - 1`` — lifetimes' ``frequency``;
- ``monetary``: total net spend (returns subtracted); ``avg_order_value`` = monetary /
  frequency;
- ``tenure_days``: days from the first purchase to the snapshot — lifetimes' ``T``;
- ``first_to_last_days``: days from the first to the last purchase — lifetimes' ``recency``;
- ``mean_interpurchase_days``: ``first_to_last_days / repeat_purchases`` (empty for
  one-time buyers);
- ``share_<category>``: the share of the customer's spend per category, when a
  category column exists (the most common categories; the rest as
  ``share_other_categories``).

With ``frequency_unit`` ``day`` and the snapshot set to lifetimes' observation end, the
three lifetimes quantities equal ``summary_data_from_transaction_data(..., freq="D")``
in days (divide by 7 for weeks).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from segmentkit.config import TransactionsConfig
from segmentkit.errors import DataError
from segmentkit.prepare.cleaning import parse_dates, parse_number
from segmentkit.text import snake_case

__all__ = [
    "RFM_EXTRAS",
    "RFM_FEATURES",
    "RFM_SCORES",
    "CustomerTable",
    "TransactionColumns",
    "customers_from_transactions",
    "infer_transaction_columns",
    "is_rfm_column",
    "is_rfm_table",
    "rfm_derived_columns",
    "rfm_group",
    "transaction_log_reason",
]

logger = logging.getLogger(__name__)

#: The customer-table columns segmentation uses by default.
RFM_FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value")
#: Scores and group derived from the RFM features: labels of them, never features.
RFM_SCORES = ("r_score", "f_score", "m_score", "rfm_score", "rfm_group")
#: Further measures of the customer table, not segmented on unless asked for.
RFM_EXTRAS = ("repeat_purchases", "tenure_days", "first_to_last_days", "mean_interpurchase_days")

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
    listing = ", ".join(repr(c) for c in columns[:30]) + (", ..." if len(columns) > 30 else "")
    pronoun = "it" if len(missing) == 1 else "them"
    return f"name {pronoun} with {'; '.join(ways)}; the log's columns: {listing}"


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


def _numbers(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    return series.map(lambda v: parse_number(v) if isinstance(v, str) else v).astype(float)


def _dates(series: pd.Series) -> pd.Series:
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
    if float(_dates(sample[columns.date]).notna().mean()) < _LOG_MIN_PARSED:
        return None
    if columns.amount is not None:
        money = _numbers(sample[columns.amount])
        amounts = f"amounts in {columns.amount!r}"
    else:
        money = _numbers(sample[str(columns.quantity)]) * _numbers(sample[str(columns.price)])
        amounts = f"amounts from {columns.quantity!r} x {columns.price!r}"
    if float(money.notna().mean()) < _LOG_MIN_PARSED:
        return None
    return (
        f"{columns.customer!r} repeats ({n_customers:,} customers on {len(ids):,} rows), "
        f"with dates in {columns.date!r} and {amounts}"
    )


@dataclass(frozen=True)
class CustomerTable:
    """One row per customer, and an account of what was cleaned on the way.

    Attributes
    ----------
    table : pandas.DataFrame
        The customer id column (named as in the log), then the RFM features, the RFM
        scores (``r_score``, ``f_score``, ``m_score``, ``rfm_score``) and ``rfm_group``.
    columns : TransactionColumns
        Which column played which part.
    snapshot : pandas.Timestamp
        The date recency and tenure are measured at.
    counts : dict
        Rows read, used, and excluded or netted by reason.
    """

    table: pd.DataFrame
    columns: TransactionColumns
    snapshot: pd.Timestamp
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Return the facts for ``run.json``."""
        return {
            "columns": self.columns.describe(),
            "snapshot_date": self.snapshot.date().isoformat(),
            "customers": len(self.table),
            "rows": self.counts,
        }


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


def _clean(
    frame: pd.DataFrame, columns: TransactionColumns, config: TransactionsConfig
) -> tuple[pd.DataFrame, dict[str, int]]:
    counts: dict[str, int] = {"read": len(frame)}
    data = frame.copy()
    if config.drop_duplicate_rows:
        duplicated = data.duplicated()
        counts["duplicate_rows"] = int(duplicated.sum())
        data = data.loc[~duplicated]
    customer = data[columns.customer]
    text_id = customer.astype("string").str.strip()
    missing_id = customer.isna() | (text_id == "")
    counts["missing_customer"] = int(missing_id.sum())
    data = data.loc[~missing_id]
    out = pd.DataFrame(index=data.index)
    ids = data[columns.customer]
    if pd.api.types.is_float_dtype(ids) and bool(np.all(np.mod(ids.to_numpy(), 1) == 0)):
        ids = ids.astype("int64")  # 12346.0 read as float because of missing ids
    out["customer"] = ids
    out["date"] = _dates(data[columns.date])
    # Negative unit prices are accounting adjustments, not sales: left out and counted.
    negative_price = pd.Series(False, index=out.index)
    if columns.amount is not None:
        out["amount"] = _numbers(data[columns.amount])
        quantity = _numbers(data[columns.quantity]) if columns.quantity else None
    else:
        quantity = _numbers(data[str(columns.quantity)])
        price = _numbers(data[str(columns.price)])
        out["amount"] = quantity * price
        negative_price = (price < 0).fillna(False)
    out["order"] = data[columns.order].astype("string") if columns.order else pd.NA
    if columns.category:
        out["category"] = data[columns.category].astype("string").str.strip().fillna("(missing)")
    # Each excluded line is counted under one reason, in this order.
    unparsed = out["date"].isna()
    negative_price &= ~unparsed
    no_amount = out["amount"].isna() & ~unparsed & ~negative_price
    counts["unparsed_date"] = int(unparsed.sum())
    counts["negative_price"] = int(negative_price.sum())
    counts["missing_amount"] = int(no_amount.sum())
    out = out.loc[~unparsed & ~no_amount & ~negative_price]
    # A return: negative amount or quantity, or an order id marked as cancelled.
    is_return = out["amount"] < 0
    if quantity is not None:
        is_return |= quantity.reindex(out.index) < 0
    if columns.order and config.cancelled_prefix:
        is_return |= out["order"].str.startswith(config.cancelled_prefix).fillna(False)
    out["is_return"] = is_return.to_numpy(dtype=bool)
    out.loc[out["is_return"], "amount"] = -out.loc[out["is_return"], "amount"].abs()
    return out, counts


def customers_from_transactions(
    frame: pd.DataFrame, config: TransactionsConfig | None = None
) -> CustomerTable:
    """Turn a transaction log into one row per customer (see the module's definitions).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per transaction line. Not modified.
    config : TransactionsConfig, optional
        Column names, snapshot date, purchase unit, cancellation marker.

    Returns
    -------
    CustomerTable

    Raises
    ------
    DataError
        When the columns cannot be found, or no purchase is left after cleaning.
    """
    config = config or TransactionsConfig()
    if len(frame) == 0:
        raise DataError("the transaction log has no rows")
    columns = infer_transaction_columns(frame, config)
    logger.info(
        "Transaction columns: %s", ", ".join(f"{k}={v}" for k, v in columns.describe().items() if v)
    )
    lines, counts = _clean(frame, columns, config)
    if not len(lines):
        raise DataError(
            "no usable transaction in the log: every row lacks a customer, a date or an amount",
            hint="see the log for the counts by reason",
        )
    latest = pd.Timestamp(lines["date"].max())
    snapshot = (
        pd.Timestamp(config.snapshot_date)
        if config.snapshot_date is not None
        else latest.normalize() + pd.Timedelta(days=1)
    )
    after = lines["date"].dt.normalize() > snapshot
    counts["after_snapshot"] = int(after.sum())
    lines = lines.loc[~after]
    # A zero-amount line (free item, 0.00 price) is still a purchase: it counts for
    # recency and frequency, as in lifetimes, and adds nothing to the monetary value.
    counts["zero_amount"] = int(((lines["amount"] == 0) & ~lines["is_return"]).sum())
    counts["returns_netted"] = int(lines["is_return"].sum())
    purchases = lines.loc[~lines["is_return"]]
    if purchases.empty:
        raise DataError(
            "no purchase is left in the transaction log after cleaning",
            hint="check the snapshot date and the amount/quantity columns; see the log",
        )
    by_day = config.frequency_unit == "day" or columns.order is None
    day_key = "day " + purchases["date"].dt.strftime("%Y-%m-%d")
    # A line without an order id still is a purchase: it counts as its day's purchase.
    unit = day_key if by_day else purchases["order"].fillna(day_key)
    purchases = purchases.assign(unit=unit.to_numpy(), day=purchases["date"].dt.normalize())
    grouped = purchases.groupby("customer", sort=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    frequency = grouped["unit"].nunique()
    spend = grouped["amount"].sum()
    returns = lines.loc[lines["is_return"]].groupby("customer")["amount"].sum()
    monetary = (spend + returns.reindex(spend.index, fill_value=0.0)).clip(lower=0.0)
    counts["customers_returns_exceed_purchases"] = int(
        ((spend + returns.reindex(spend.index, fill_value=0.0)) < 0).sum()
    )
    repeat = frequency - 1
    first_to_last = (last - first).dt.days.astype(float)
    table = pd.DataFrame(
        {
            "recency_days": (snapshot - last).dt.days.astype(float),
            "frequency": frequency.astype(int),
            "repeat_purchases": repeat.astype(int),
            "monetary": monetary.round(2),
            "avg_order_value": (monetary / frequency).round(2),
            "tenure_days": (snapshot - first).dt.days.astype(float),
            "first_to_last_days": first_to_last,
            "mean_interpurchase_days": (first_to_last / repeat.where(repeat > 0)).round(2),
        }
    )
    if columns.category:
        table = table.join(_category_shares(purchases, config.max_categories))
    table["r_score"] = _quintile_scores(table["recency_days"], higher_is_better=False)
    table["f_score"] = _quintile_scores(table["frequency"].astype(float), higher_is_better=True)
    table["m_score"] = _quintile_scores(table["monetary"], higher_is_better=True)
    table["rfm_score"] = (
        table["r_score"].astype(str) + table["f_score"].astype(str) + table["m_score"].astype(str)
    )
    table["rfm_group"] = [
        rfm_group(r, f) for r, f in zip(table["r_score"], table["f_score"], strict=True)
    ]
    table.index.name = columns.customer
    table = table.reset_index()
    counts["customers"] = len(table)
    counts["used"] = len(lines)
    logger.info(
        "Transactions: %d read, %d used, %d returns netted, %d without customer id; %d customers",
        counts["read"],
        counts["used"],
        counts["returns_netted"],
        counts["missing_customer"],
        len(table),
    )
    return CustomerTable(table, columns, snapshot, counts)


#: The bucket for categories beyond ``max_categories`` (column ``share_other_categories``).
_OTHER = "other categories"


def _category_shares(purchases: pd.DataFrame, max_categories: int) -> pd.DataFrame:
    totals = (
        purchases.groupby("category")["amount"].sum().sort_values(ascending=False, kind="stable")
    )
    top = list(totals.index[:max_categories])
    category = purchases["category"].where(purchases["category"].isin(top), _OTHER)
    spend = purchases.assign(category=category).pivot_table(
        index="customer", columns="category", values="amount", aggfunc="sum", fill_value=0.0
    )
    shares = spend.div(spend.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0.0).round(4)
    ordered = [c for c in [*top, _OTHER] if c in shares.columns]
    shares = shares[ordered]
    names: list[str] = []
    for category_name in shares.columns:
        base = f"share_{snake_case(category_name) or 'blank'}"
        name, suffix = base, 2
        while name in names:  # "Home & Garden" and "home garden" both normalise alike
            name, suffix = f"{base}_{suffix}", suffix + 1
        names.append(name)
    shares.columns = names
    return shares
