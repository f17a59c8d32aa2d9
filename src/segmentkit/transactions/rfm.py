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
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from segmentkit.config import TransactionsConfig
from segmentkit.errors import DataError
from segmentkit.prepare.cleaning import holds_whole_numbers
from segmentkit.text import snake_case
from segmentkit.transactions.log_columns import (
    TransactionColumns,
    infer_transaction_columns,
    log_dates,
    log_numbers,
    transaction_log_reason,
)
from segmentkit.transactions.rfm_columns import (
    RFM_EXTRAS,
    RFM_FEATURES,
    RFM_SCORES,
    is_rfm_column,
    is_rfm_table,
    rfm_derived_columns,
)
from segmentkit.transactions.scores import RFM_GROUPS, add_rfm_scores, rfm_group

# The column inference (log_columns), the RFM table's column names (rfm_columns) and the scores
# (scores) have their own modules; their names stay importable from here, as before.
__all__ = [
    "RFM_EXTRAS",
    "RFM_FEATURES",
    "RFM_GROUPS",
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
    if holds_whole_numbers(ids):
        ids = ids.astype("int64")  # 12346.0 read as float because of missing ids
    out["customer"] = ids
    out["date"] = log_dates(data[columns.date])
    # Negative unit prices are accounting adjustments, not sales: left out and counted.
    negative_price = pd.Series(False, index=out.index)
    if columns.amount is not None:
        out["amount"] = log_numbers(data[columns.amount])
        quantity = log_numbers(data[columns.quantity]) if columns.quantity else None
    else:
        quantity = log_numbers(data[str(columns.quantity)])
        price = log_numbers(data[str(columns.price)])
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
    table = add_rfm_scores(table)
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
