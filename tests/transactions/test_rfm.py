"""Tests for segmentkit.transactions.rfm: from a transaction log to one row per customer.

Golden data (CDNOW against the summary lifetimes ships), small hand-made logs with
every expected number worked out by hand, column inference, RFM scores and groups,
the bundled Online Retail subset and the ``rfm`` / ``run --transactions`` / ``demo``
commands.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import shared_dataset
from helpers import RunCli, error_lines, read_run_json
from segmentkit.cli import main
from segmentkit.config import TransactionsConfig
from segmentkit.datasets import load_online_retail, sample_data_path
from segmentkit.errors import DataError
from segmentkit.scoring.model import SegmentationModel
from segmentkit.transactions.rfm import (
    RFM_FEATURES,
    RFM_GROUPS,
    CustomerTable,
    customers_from_transactions,
    infer_transaction_columns,
    rfm_derived_columns,
    rfm_group,
)

#: The per-customer columns every customer table has, in order, after the id.
RFM_COLUMNS = [
    "recency_days",
    "frequency",
    "repeat_purchases",
    "monetary",
    "avg_order_value",
    "tenure_days",
    "first_to_last_days",
    "mean_interpurchase_days",
]
SCORE_COLUMNS = ["r_score", "f_score", "m_score", "rfm_score", "rfm_group"]

ONLINE_RETAIL_SAMPLE = "online_retail_sample.csv.gz"


def by_customer(result: CustomerTable) -> pd.DataFrame:
    """The customer table indexed by the customer id column."""
    return result.table.set_index(result.columns.customer)


def values(table: pd.DataFrame, customer: Any, columns: list[str] | None = None) -> list[Any]:
    """One customer's values (all columns, or ``columns``) as a list."""
    frame: Any = table  # pandas-stubs type .loc[label, list] too narrowly
    selected = frame.loc[customer] if columns is None else frame.loc[customer, columns]
    return list(selected.tolist())


def cell(table: pd.DataFrame, customer: Any, column: str) -> Any:
    frame: Any = table
    return frame.loc[customer, column]


def row(result: CustomerTable, customer: Any) -> dict[str, Any]:
    table = by_customer(result)
    return {str(c): v for c, v in zip(table.columns, values(table, customer), strict=True)}


# --------------------------------------------------------------------------- golden: CDNOW


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    path = shared_dataset("cdnow/CDNOW_sample.txt")
    return pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["customer_id_master", "customer_id", "date", "number_of_cds", "dollar_value"],
        dtype={"customer_id": str, "date": str},
    )


CDNOW_CONFIG = TransactionsConfig(
    customer_column="customer_id",
    date_column="date",
    amount_column="dollar_value",
    snapshot_date="1997-09-30",
    frequency_unit="day",
)


def test_cdnow_matches_the_lifetimes_summary(cdnow: pd.DataFrame) -> None:
    golden = pd.read_csv(shared_dataset("cdnow/cdnow_customers_summary.csv"))
    assert len(golden) == 2357
    result = customers_from_transactions(cdnow, CDNOW_CONFIG)
    table = result.table.assign(ID=result.table["customer_id"].astype(int))
    assert len(table) == 2357
    assert table["ID"].is_unique
    merged = golden.merge(table, on="ID", how="left", validate="one_to_one")
    assert merged["repeat_purchases"].notna().all(), "customers missing from the table"
    # lifetimes' frequency = repeat purchases, exactly.
    assert (merged["repeat_purchases"] == merged["frequency_x"]).all()
    assert (merged["frequency_y"] == merged["frequency_x"] + 1).all()
    # recency and T in weeks, rounded to 2 decimals in the golden file.
    assert (merged["first_to_last_days"] / 7 - merged["recency"]).abs().max() <= 0.005
    assert (merged["tenure_days"] / 7 - merged["T"]).abs().max() <= 0.005
    assert result.snapshot == pd.Timestamp("1997-09-30")


def test_cdnow_counts_transactions_after_the_snapshot(cdnow: pd.DataFrame) -> None:
    result = customers_from_transactions(cdnow, CDNOW_CONFIG)
    deduplicated = cdnow.loc[~cdnow.duplicated()]
    assert result.counts["duplicate_rows"] == int(cdnow.duplicated().sum())
    assert result.counts["after_snapshot"] == int((deduplicated["date"] > "19970930").sum())
    assert result.counts["read"] == len(cdnow)
    assert result.counts["used"] == len(deduplicated) - result.counts["after_snapshot"]


# --------------------------------------------------------------------------- hand-made logs

#: Three customers, explicit order ids; c1 buys twice on 2024-01-01 (orders O1 and O2).
ORDERS_LOG = pd.DataFrame(
    {
        "customer": ["c1", "c1", "c1", "c2", "c3", "c3"],
        "date": [
            "2024-01-01 09:00",
            "2024-01-01 17:45",
            "2024-01-11 18:30",
            "2024-01-05 12:00",
            "2024-01-02 08:15",
            "2024-01-20 23:59",
        ],
        "order": ["O1", "O2", "O3", "O4", "O5", "O6"],
        "amount": [10.0, 20.0, 30.0, 50.0, 5.0, 15.0],
    }
)


def test_definitions_per_order_with_an_explicit_snapshot() -> None:
    result = customers_from_transactions(ORDERS_LOG, TransactionsConfig(snapshot_date="2024-01-31"))
    assert result.snapshot == pd.Timestamp("2024-01-31")
    table = by_customer(result)
    assert list(result.table.columns) == ["customer", *RFM_COLUMNS, *SCORE_COLUMNS]
    assert list(table.index) == ["c1", "c2", "c3"]
    # c1: purchases 01-01 (O1, O2) and 01-11 (O3): 3 orders, 60 spent.
    assert values(table, "c1", RFM_COLUMNS) == [20.0, 3, 2, 60.0, 20.0, 30.0, 10.0, 5.0]
    # c3: 01-02 and 01-20.
    assert values(table, "c3", RFM_COLUMNS) == [11.0, 2, 1, 20.0, 10.0, 29.0, 18.0, 18.0]
    # c2: one-time buyer: no inter-purchase time.
    assert values(table, "c2", RFM_COLUMNS[:-1]) == [26.0, 1, 0, 50.0, 50.0, 26.0, 0.0]
    assert math.isnan(cell(table, "c2", "mean_interpurchase_days"))
    assert result.counts["customers"] == 3
    assert result.counts["used"] == 6
    assert result.counts["after_snapshot"] == 0


def test_frequency_per_day_counts_two_orders_on_one_day_once() -> None:
    config = TransactionsConfig(snapshot_date="2024-01-31", frequency_unit="day")
    table = by_customer(customers_from_transactions(ORDERS_LOG, config))
    assert values(table, "c1", RFM_COLUMNS) == [20.0, 2, 1, 60.0, 30.0, 30.0, 10.0, 10.0]
    assert cell(table, "c3", "frequency") == 2
    assert cell(table, "c2", "frequency") == 1


def test_without_an_order_column_a_purchase_is_a_day() -> None:
    log = ORDERS_LOG.drop(columns="order")
    result = customers_from_transactions(log, TransactionsConfig(snapshot_date="2024-01-31"))
    assert result.columns.order is None
    assert row(result, "c1")["frequency"] == 2
    assert row(result, "c1")["avg_order_value"] == 30.0


def test_default_snapshot_is_the_day_after_the_last_transaction() -> None:
    result = customers_from_transactions(ORDERS_LOG)
    # The last line of the whole log is 2024-01-20 23:59.
    assert result.snapshot == pd.Timestamp("2024-01-21")
    table = by_customer(result)
    assert table["recency_days"].to_dict() == {"c1": 10.0, "c2": 16.0, "c3": 1.0}
    assert table["tenure_days"].to_dict() == {"c1": 20.0, "c2": 16.0, "c3": 19.0}
    assert table["first_to_last_days"].to_dict() == {"c1": 10.0, "c2": 0.0, "c3": 18.0}
    assert result.describe()["snapshot_date"] == "2024-01-21"
    assert result.describe()["customers"] == 3


#: Online-Retail-style log with returns: a negative-quantity line inside an ordinary
#: invoice, a ``C`` invoice (positive quantity: the prefix alone marks it), a customer
#: who returns more than they bought, and one who only returns.
RETURNS_LOG = pd.DataFrame(
    {
        "InvoiceNo": ["100", "101", "101", "C102", "200", "C201", "C300"],
        "InvoiceDate": [
            "2024-03-01",
            "2024-03-05",
            "2024-03-05",
            "2024-03-06",
            "2024-03-02",
            "2024-03-04",
            "2024-03-03",
        ],
        "Quantity": [4, 2, -1, 1, 1, -3, -1],
        "UnitPrice": [2.5, 10.0, 10.0, 2.5, 5.0, 5.0, 7.0],
        "CustomerID": [1, 1, 1, 1, 2, 2, 3],
    }
)


def test_returns_are_netted_not_purchases() -> None:
    config = TransactionsConfig(snapshot_date="2024-03-10")
    result = customers_from_transactions(RETURNS_LOG, config)
    table = by_customer(result)
    # Customer 3 only returned: no purchase, no row.
    assert list(table.index) == [1, 2]
    # Customer 1: 10 + 20 - 10 (negative quantity) - 2.5 (C invoice) = 17.5, two orders
    # (100 and 101; C102 is not one), last purchase 03-05 (the return on 03-06 is not).
    assert values(table, 1, RFM_COLUMNS[:-1]) == [5.0, 2, 1, 17.5, 8.75, 9.0, 4.0]
    # Customer 2: 5 - 15 < 0, so monetary 0; still one purchase.
    assert values(table, 2, ["frequency", "monetary", "avg_order_value", "recency_days"]) == [
        1,
        0.0,
        0.0,
        8.0,
    ]
    assert result.counts["customers_returns_exceed_purchases"] == 1
    assert result.counts["returns_netted"] == 4
    assert result.counts["customers"] == 2
    assert result.counts["used"] == 7


def test_a_log_of_returns_only_is_an_error() -> None:
    returns = RETURNS_LOG.loc[RETURNS_LOG["InvoiceNo"].str.startswith("C")]
    with pytest.raises(DataError, match="no purchase is left"):
        customers_from_transactions(returns)


#: Quantity × unit price, no amount column; every cleaning reason once (snapshot 05-31).
CLEANING_LOG = pd.DataFrame(
    {
        "CustomerID": ["A", "A", np.nan, "  ", "", "A", "B", "B", "A", "A"],
        "InvoiceNo": ["1", "1", "2", "3", "3b", "4", "5", "6", "7", "8"],
        "InvoiceDate": [
            "2024-05-01",
            "2024-05-01",  # exact duplicate of the line above
            "2024-05-02",  # no customer
            "2024-05-02",  # blank customer
            "2024-05-02",  # empty customer
            "2024-05-03",  # negative unit price
            "2024-05-04",  # zero price: a purchase with no value
            "not a date",
            "2024-06-15",  # after the snapshot
            "2024-05-10",
        ],
        "Quantity": [2, 2, 1, 1, 1, 1, 3, 1, 1, 1],
        "UnitPrice": [3.0, 3.0, 4.0, 4.0, 4.0, -11.0, 0.0, 9.0, 100.0, 5.0],
    },
)
CLEANING_CONFIG = TransactionsConfig(snapshot_date="2024-05-31")


def test_cleaning_excludes_and_counts_by_reason() -> None:
    result = customers_from_transactions(CLEANING_LOG, CLEANING_CONFIG)
    assert result.columns.amount is None
    assert (result.columns.quantity, result.columns.price) == ("Quantity", "UnitPrice")
    counts = result.counts
    assert counts["read"] == 10
    assert counts["duplicate_rows"] == 1
    assert counts["missing_customer"] == 3
    assert counts["negative_price"] == 1
    assert counts["unparsed_date"] == 1
    assert counts["missing_amount"] == 0
    assert counts["after_snapshot"] == 1
    assert counts["zero_amount"] == 1
    assert counts["returns_netted"] == 0
    assert counts["used"] == 3
    excluded = sum(
        counts[reason]
        for reason in (
            "duplicate_rows",
            "missing_customer",
            "negative_price",
            "unparsed_date",
            "missing_amount",
            "after_snapshot",
        )
    )
    assert excluded + counts["used"] == counts["read"]
    table = by_customer(result)
    assert list(table.index) == ["A", "B"]
    # A: 2 × 3 on 05-01 and 1 × 5 on 05-10 (the duplicate, the -11 line and the
    # 06-15 line are out).
    assert values(table, "A", RFM_COLUMNS) == [21.0, 2, 1, 11.0, 5.5, 30.0, 9.0, 9.0]
    # B: a zero-price line is a purchase with no value; the undated line is out.
    assert values(table, "B", RFM_COLUMNS[:-1]) == [27.0, 1, 0, 0.0, 0.0, 27.0, 0.0]


def test_duplicate_rows_are_kept_when_asked() -> None:
    config = CLEANING_CONFIG.model_copy(update={"drop_duplicate_rows": False})
    result = customers_from_transactions(CLEANING_LOG, config)
    assert result.counts.get("duplicate_rows", 0) == 0
    assert result.counts["used"] == 4
    a = row(result, "A")
    # The duplicate adds 6 to the spend but not an order (same invoice 1).
    assert (a["monetary"], a["frequency"]) == (17.0, 2)


def test_amount_column_wins_over_quantity_times_price() -> None:
    log = pd.DataFrame(
        {
            "customer_id": [7, 7, 8],
            "order_date": ["2024-02-01", "2024-02-03", "2024-02-02"],
            "quantity": [2, 1, 4],
            "unit_price": [10.0, 10.0, 1.0],
            "amount": [15.0, 9.5, 3.0],  # discounted: not quantity × price
        }
    )
    result = customers_from_transactions(log)
    assert (result.columns.amount, result.columns.price) == ("amount", None)
    assert by_customer(result)["monetary"].to_dict() == {7: 24.5, 8: 3.0}
    # Without the amount column, quantity × unit price.
    result = customers_from_transactions(log.drop(columns="amount"))
    assert (result.columns.amount, result.columns.price) == (None, "unit_price")
    assert by_customer(result)["monetary"].to_dict() == {7: 30.0, 8: 4.0}


#: Spend per category: Books 30, Music 25, Toys 4, Games 3 in total.
CATEGORY_LOG = pd.DataFrame(
    {
        "customer": ["c1", "c1", "c2", "c2", "c2", "c3", "c4"],
        "date": ["2024-04-01"] * 7,
        "amount": [30.0, 10.0, 15.0, 4.0, 1.0, 2.0, 0.0],
        "category": ["Books", "Music", "Music", "Toys", "Games", "Games", "Toys"],
    }
)


def test_category_shares() -> None:
    result = customers_from_transactions(CATEGORY_LOG)
    assert result.columns.category == "category"
    shares = ["share_books", "share_music", "share_toys", "share_games"]
    assert [c for c in result.table.columns if c.startswith("share_")] == shares
    table = by_customer(result)[shares]
    assert values(table, "c1") == [0.75, 0.25, 0.0, 0.0]
    assert values(table, "c2") == [0.0, 0.75, 0.2, 0.05]
    assert values(table, "c3") == [0.0, 0.0, 0.0, 1.0]
    # c4 spent nothing: no shares.
    assert values(table, "c4") == [0.0, 0.0, 0.0, 0.0]
    sums = table.loc[["c1", "c2", "c3"]].sum(axis=1)
    assert np.allclose(sums, 1.0, atol=1e-9)


def test_category_shares_beyond_max_categories_are_other() -> None:
    result = customers_from_transactions(CATEGORY_LOG, TransactionsConfig(max_categories=2))
    shares = ["share_books", "share_music", "share_other_categories"]
    assert [c for c in result.table.columns if c.startswith("share_")] == shares
    table = by_customer(result)[shares]
    assert values(table, "c1") == [0.75, 0.25, 0.0]
    assert values(table, "c2") == [0.0, 0.75, 0.25]
    assert values(table, "c3") == [0.0, 0.0, 1.0]
    assert np.allclose(table.loc[["c1", "c2", "c3"]].sum(axis=1), 1.0)


def test_float_customer_ids_come_out_as_integers() -> None:
    log = pd.DataFrame(
        {
            "CustomerID": [12346.0, np.nan, 12347.0, 12346.0],
            "InvoiceDate": ["2011-01-18", "2011-01-18", "2011-01-19", "2011-01-20"],
            "Quantity": [1, 1, 2, 1],
            "UnitPrice": [1.0, 1.0, 2.0, 3.0],
        }
    )
    result = customers_from_transactions(log)
    assert pd.api.types.is_integer_dtype(result.table["CustomerID"])
    assert result.table["CustomerID"].tolist() == [12346, 12347]
    assert by_customer(result)["monetary"].to_dict() == {12346: 4.0, 12347: 4.0}
    assert result.counts["missing_customer"] == 1


@pytest.mark.parametrize(
    "log", [ORDERS_LOG, RETURNS_LOG, CLEANING_LOG, CATEGORY_LOG], ids=lambda _: ""
)
def test_input_frame_is_not_modified(log: pd.DataFrame) -> None:
    before = log.copy(deep=True)
    customers_from_transactions(log, TransactionsConfig(snapshot_date="2024-12-31"))
    pd.testing.assert_frame_equal(log, before)


def test_empty_log_is_an_error() -> None:
    with pytest.raises(DataError, match="no rows"):
        customers_from_transactions(ORDERS_LOG.iloc[:0])


# --------------------------------------------------------------------------- known bugs


def test_negative_price_line_with_a_bad_date_is_counted_once() -> None:
    log = pd.DataFrame(
        {
            "customer": [1, 1, 2],
            "date": ["2024-01-01", "garbage", "2024-01-02"],
            "quantity": [1, 1, 1],
            "price": [10.0, -5.0, 3.0],
        }
    )
    counts = customers_from_transactions(log).counts
    assert counts["missing_amount"] >= 0
    excluded = (
        counts["negative_price"]
        + counts["unparsed_date"]
        + counts["missing_amount"]
        + counts["after_snapshot"]
    )
    assert excluded + counts["used"] == counts["read"]


def test_purchase_without_an_order_id_still_counts() -> None:
    log = pd.DataFrame(
        {
            "customer": [1, 1, 2],
            "date": ["2024-01-01", "2024-01-02", "2024-01-02"],
            "order": ["A", None, None],
            "amount": [10.0, 5.0, 3.0],
        }
    )
    table = by_customer(customers_from_transactions(log))
    assert cell(table, 2, "frequency") >= 1
    assert cell(table, 2, "repeat_purchases") >= 0
    assert math.isfinite(cell(table, 2, "avg_order_value"))


def test_country_is_not_the_quantity() -> None:
    log = pd.DataFrame(
        {
            "CustomerID": [1, 2],
            "Country": ["United Kingdom", "France"],
            "InvoiceNo": ["1", "2"],
            "InvoiceDate": ["2024-01-01", "2024-01-02"],
            "Quantity": [2, 1],
            "UnitPrice": [3.0, 1.0],
        }
    )
    assert infer_transaction_columns(log, TransactionsConfig()).quantity == "Quantity"


@pytest.mark.parametrize("max_categories", [1, 8])
def test_share_columns_are_unique(max_categories: int) -> None:
    log = pd.DataFrame(
        {
            "customer": [1, 1, 1],
            "date": ["2024-01-01"] * 3,
            "amount": [1.0, 2.0, 3.0],
            "category": ["Home & Garden", "home garden", "Other"],
        }
    )
    config = TransactionsConfig(max_categories=max_categories)
    table = customers_from_transactions(log, config).table
    assert table.columns.is_unique, list(table.columns)


def test_return_after_the_snapshot_is_not_netted() -> None:
    log = pd.DataFrame(
        {
            "customer": [1, 1],
            "date": ["2024-01-01", "2024-02-01"],
            "amount": [10.0, -5.0],
        }
    )
    result = customers_from_transactions(log, TransactionsConfig(snapshot_date="2024-01-15"))
    assert row(result, 1)["monetary"] == 10.0
    assert result.counts["after_snapshot"] == 1
    assert result.counts["returns_netted"] == 0


# --------------------------------------------------------------------------- column inference


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def test_infers_online_retail_columns() -> None:
    frame = _empty(
        [
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ]
    )
    columns = infer_transaction_columns(frame, TransactionsConfig())
    assert columns.describe() == {
        "customer": "CustomerID",
        "date": "InvoiceDate",
        "amount": None,
        "quantity": "Quantity",
        "price": "UnitPrice",
        "order": "InvoiceNo",
        "category": None,
    }


def test_infers_snake_case_columns() -> None:
    frame = _empty(["customer_id", "order_date", "order_id", "amount", "product_category"])
    columns = infer_transaction_columns(frame, TransactionsConfig())
    assert columns.describe() == {
        "customer": "customer_id",
        "date": "order_date",
        "amount": "amount",
        "quantity": None,
        "price": None,
        "order": "order_id",
        "category": "product_category",
    }


def test_named_columns_win() -> None:
    frame = _empty(["customer_id", "buyer", "order_date", "shipped", "amount", "paid", "ref"])
    config = TransactionsConfig(
        customer_column="buyer", date_column="shipped", amount_column="paid", order_column="ref"
    )
    columns = infer_transaction_columns(frame, config)
    assert (columns.customer, columns.date, columns.amount, columns.order) == (
        "buyer",
        "shipped",
        "paid",
        "ref",
    )


def test_named_column_that_does_not_exist() -> None:
    frame = _empty(["customer_id", "order_date", "amount"])
    with pytest.raises(DataError, match=r"transactions\.customer_column = 'client'") as info:
        infer_transaction_columns(frame, TransactionsConfig(customer_column="client"))
    assert "'customer_id'" in str(info.value)  # the hint lists what is there


@pytest.mark.parametrize(
    ("columns", "missing"),
    [
        (["a", "b", "c"], "customer, date, amount (or quantity and unit price)"),
        (["order_date", "amount"], "customer"),
        (["customer_id", "amount"], "date"),
        (["customer_id", "order_date", "quantity"], "amount (or quantity and unit price)"),
    ],
)
def test_unrecognisable_log_is_an_error(columns: list[str], missing: str) -> None:
    message = re.escape(f"cannot tell which column is the {missing} of the transaction log")
    with pytest.raises(DataError, match=message):
        infer_transaction_columns(_empty(columns), TransactionsConfig())


# --------------------------------------------------------------------------- scores and groups


def _scored_log() -> tuple[pd.DataFrame, dict[int, tuple[int, int, int]]]:
    """100 customers with distinct recency, frequency and monetary; expected scores."""
    snapshot = pd.Timestamp("2024-12-31")
    rows: list[dict[str, object]] = []
    expected: dict[int, tuple[int, int, int]] = {}
    for i in range(1, 101):
        recency = (i * 37) % 100 + 1  # a permutation of 1..100
        monetary = ((i * 53) % 100 + 1) * 10  # a permutation of 10..1000
        last = snapshot - pd.Timedelta(days=recency)
        for k in range(i):  # i purchase days
            rows.append(
                {
                    "customer": i,
                    "date": (last - pd.Timedelta(days=k)).strftime("%Y-%m-%d"),
                    "amount": float(monetary) if k == 0 else 0.0,
                }
            )
        expected[i] = (5 - (recency - 1) // 20, 1 + (i - 1) // 20, 1 + (monetary // 10 - 1) // 20)
    return pd.DataFrame(rows), expected


def test_rfm_scores_are_quintiles_with_5_best() -> None:
    log, expected = _scored_log()
    result = customers_from_transactions(log, TransactionsConfig(snapshot_date="2024-12-31"))
    table = by_customer(result)
    assert len(table) == 100
    assert table["frequency"].tolist() == list(range(1, 101))
    for score in ("r_score", "f_score", "m_score"):
        assert table[score].value_counts().to_dict() == dict.fromkeys(range(1, 6), 20)
    got = {
        int(c): (r, f, m) for c, r, f, m in table[["r_score", "f_score", "m_score"]].itertuples()
    }
    assert got == expected
    # Best: most recent customer scores r 5, highest spender m 5, and the reverse.
    assert cell(table, table["recency_days"].idxmin(), "r_score") == 5
    assert cell(table, table["recency_days"].idxmax(), "r_score") == 1
    assert cell(table, table["monetary"].idxmax(), "m_score") == 5
    assert cell(table, table["monetary"].idxmin(), "m_score") == 1
    for customer, (r, f, m) in expected.items():
        assert cell(table, customer, "rfm_score") == f"{r}{f}{m}"
        assert cell(table, customer, "rfm_group") == rfm_group(r, f)


#: The README's map, written out for every (R score, F score).
README_GROUPS = {
    (1, 1): "Lost",
    (1, 2): "Hibernating",
    (1, 3): "At risk",
    (1, 4): "At risk",
    (1, 5): "Can't lose them",
    (2, 1): "Hibernating",
    (2, 2): "Hibernating",
    (2, 3): "At risk",
    (2, 4): "At risk",
    (2, 5): "Can't lose them",
    (3, 1): "About to sleep",
    (3, 2): "About to sleep",
    (3, 3): "Need attention",
    (3, 4): "Loyal",
    (3, 5): "Loyal",
    (4, 1): "Promising",
    (4, 2): "Potential loyalists",
    (4, 3): "Potential loyalists",
    (4, 4): "Loyal",
    (4, 5): "Loyal",
    (5, 1): "New customers",
    (5, 2): "Potential loyalists",
    (5, 3): "Potential loyalists",
    (5, 4): "Champions",
    (5, 5): "Champions",
}


def test_rfm_group_for_every_score_pair() -> None:
    assert len(README_GROUPS) == 25
    got = {(r, f): rfm_group(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert got == README_GROUPS
    assert {name for _, _, name in RFM_GROUPS} == set(README_GROUPS.values())


def test_scores_for_fewer_than_five_customers() -> None:
    result = customers_from_transactions(ORDERS_LOG, TransactionsConfig(snapshot_date="2024-01-31"))
    table = by_customer(result)
    # Recency c3 11 < c1 20 < c2 26; monetary c1 60 > c2 50 > c3 20.
    assert table["r_score"].to_dict() == {"c1": 4, "c2": 2, "c3": 5}
    assert table["m_score"].to_dict() == {"c1": 5, "c2": 4, "c3": 2}


# --------------------------------------------------------------------------- real log


@pytest.fixture(scope="module")
def retail() -> pd.DataFrame:
    return load_online_retail()


def _retail_by_hand(log: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """De-duplicated lines with a customer id, and which of them are returns."""
    lines = log.loc[~log.duplicated()]
    lines = lines.loc[lines["CustomerID"].notna()]
    returns = (lines["Quantity"] < 0) | lines["InvoiceNo"].str.startswith("C")
    return lines, returns


def _retail_customers(log: pd.DataFrame) -> int:
    lines, returns = _retail_by_hand(log)
    return int(lines.loc[~returns, "CustomerID"].nunique())


def test_online_retail_sample(retail: pd.DataFrame) -> None:
    assert retail.shape == (35_462, 8)
    before = retail.copy(deep=True)
    result = customers_from_transactions(retail)
    pd.testing.assert_frame_equal(retail, before)
    lines, returns = _retail_by_hand(retail)
    customers = _retail_customers(retail)
    assert customers in (399, 400)
    assert len(result.table) == customers
    assert result.counts["customers"] == customers
    assert result.counts["missing_customer"] == 800
    assert result.counts["duplicate_rows"] == int(retail.duplicated().sum())
    assert result.counts["returns_netted"] == int(returns.sum())
    assert result.snapshot == pd.Timestamp("2011-12-10")
    # Net spend per customer, returns included, never below 0.
    spend = (lines["Quantity"] * lines["UnitPrice"]).groupby(lines["CustomerID"]).sum()
    spend.index = spend.index.astype("int64")
    table = by_customer(result)
    assert cell(table, 12456, "monetary") == round(max(float(spend.loc[12456]), 0.0), 2)
    assert int(returns[lines["CustomerID"] == 12456].sum()) == 4  # a customer with returns
    expected = spend.clip(lower=0).round(2).reindex(table.index)
    assert np.allclose(table["monetary"], expected, atol=0.006)
    assert result.counts["customers_returns_exceed_purchases"] == int(
        (spend.reindex(table.index).round(2) < 0).sum()
    )
    # 18072 returned exactly what they bought: net 0 (not "exceeds"), whatever the
    # floating-point noise of the sum.
    assert cell(table, 18072, "monetary") == 0.0


@pytest.mark.slow
def test_full_online_retail_log() -> None:
    path = shared_dataset("online_retail/online_retail_from_rda.csv.gz")
    log = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    result = customers_from_transactions(log)
    assert len(log) == 541_909
    assert result.counts["duplicate_rows"] == 5_268
    assert result.counts["missing_customer"] == 135_037
    assert len(result.table) == 4_339
    assert pd.api.types.is_integer_dtype(result.table["CustomerID"])


# --------------------------------------------------------------------------- command line


def test_cli_rfm_writes_one_row_per_customer(
    tmp_path: Path, run_cli: RunCli, retail: pd.DataFrame
) -> None:
    out = tmp_path / "customers.csv"
    code, stdout, err = run_cli("rfm", sample_data_path(ONLINE_RETAIL_SAMPLE), "--out", out)
    assert code == 0, err
    table = pd.read_csv(out)
    customers = _retail_customers(retail)
    assert len(table) == customers
    assert list(table.columns) == ["CustomerID", *RFM_COLUMNS, *SCORE_COLUMNS]
    assert table["CustomerID"].is_unique
    assert pd.api.types.is_integer_dtype(table["CustomerID"])
    lines = stdout.splitlines()
    assert lines[0] == (
        f"{customers:,} customers from 34,295 of 35,462 transaction lines (snapshot 2011-12-10)"
    )
    assert "  missing customer: 800" in lines
    assert f"  duplicate rows: {int(retail.duplicated().sum()):,}" in lines
    assert f"  returns netted: {int(_retail_by_hand(retail)[1].sum()):,}" in lines
    assert any(line.startswith("RFM groups: ") for line in lines)
    assert lines[-1] == f"Customer table: {out.resolve()}"


def test_cli_rfm_flags_and_snapshot_date(
    tmp_path: Path, run_cli: RunCli, retail: pd.DataFrame
) -> None:
    out = tmp_path / "customers.csv"
    code, stdout, err = run_cli(
        "rfm",
        sample_data_path(ONLINE_RETAIL_SAMPLE),
        "--out",
        out,
        "--customer-column",
        "CustomerID",
        "--date-column",
        "InvoiceDate",
        "--quantity-column",
        "Quantity",
        "--price-column",
        "UnitPrice",
        "--order-column",
        "InvoiceNo",
        "--snapshot-date",
        "2011-06-30",
        "-q",
    )
    assert code == 0, err
    lines, returns = _retail_by_hand(retail)
    later = lines["InvoiceDate"].dt.normalize() > pd.Timestamp("2011-06-30")
    assert f"  after snapshot: {int(later.sum()):,}" in stdout.splitlines()
    assert "(snapshot 2011-06-30)" in stdout.splitlines()[0]
    table = pd.read_csv(out).set_index("CustomerID")
    purchases = lines.loc[~later & ~returns]
    assert len(table) == purchases["CustomerID"].nunique()
    last = purchases.groupby("CustomerID")["InvoiceDate"].max().dt.normalize()
    recency = (pd.Timestamp("2011-06-30") - last).dt.days
    recency.index = recency.index.astype("int64")
    assert table["recency_days"].to_dict() == recency.astype(float).to_dict()
    assert cell(table, 12347, "recency_days") == 21.0  # last purchase before: 2011-06-09


def test_cli_rfm_bad_snapshot_date(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "customers.csv"
    code, _, err = run_cli(
        "rfm",
        sample_data_path(ONLINE_RETAIL_SAMPLE),
        "--out",
        out,
        "--snapshot-date",
        "2011-13-45",
    )
    assert code == 2
    assert "Traceback" not in err
    assert any(line.startswith("error: transactions.snapshot_date:") for line in error_lines(err))
    assert "2011-13-45" in err
    assert not out.exists()


def test_cli_rfm_without_customer_column(tmp_path: Path, run_cli: RunCli) -> None:
    log = tmp_path / "log.csv"
    log.write_text("date,amount\n2024-01-01,3\n2024-01-02,4\n", encoding="utf-8")
    out = tmp_path / "customers.csv"
    code, _, err = run_cli("rfm", log, "--out", out)
    assert code == 1
    assert "Traceback" not in err
    assert len(error_lines(err)) == 1
    assert "cannot tell which column is the customer" in err
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"log.csv"}


LIFECYCLE_RULES = {"lapsed_high_spenders", "lapsed", "loyal", "new"}


def test_cli_run_transactions(tmp_path: Path, run_cli: RunCli, retail: pd.DataFrame) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(
        "run",
        sample_data_path(ONLINE_RETAIL_SAMPLE),
        "--transactions",
        "--methods",
        "kmeans",
        "--k",
        "4",
        "--out",
        out,
        "-q",
    )
    assert code == 0, err
    segments = pd.read_csv(out / "segments.csv")
    assert len(segments) == _retail_customers(retail)
    assert segments.columns[0] == "CustomerID"
    assert segments["CustomerID"].is_unique
    assert "rfm_group" in segments.columns
    assert set(segments["rfm_group"]) <= set(README_GROUPS.values())
    summary = read_run_json(out)
    transactions = summary["input"]["transactions"]
    assert transactions["rows"]["missing_customer"] == 800
    assert transactions["customers"] == len(segments)
    assert transactions["columns"]["customer"] == "CustomerID"
    assert summary["features"] == list(RFM_FEATURES)
    assert summary["features"] == ["recency_days", "frequency", "monetary", "avg_order_value"]
    profiles = pd.read_csv(out / "segment_profiles.csv")
    rules = {
        rule for text in profiles["recommendation_rules"].dropna() for rule in str(text).split()
    }
    assert rules & LIFECYCLE_RULES, rules


def test_cli_demo_runs_the_transaction_log(
    tmp_path: Path, run_cli: RunCli, retail: pd.DataFrame
) -> None:
    out = tmp_path / "demo"
    code, _, err = run_cli("demo", "-q", "--out", out)
    assert code == 0, err
    assert (out / "report.html").is_file()
    segments = pd.read_csv(out / "segments.csv")
    assert len(segments) == _retail_customers(retail)
    assert segments.columns[0] == "CustomerID"
    assert "rfm_group" in segments.columns


# --------------------------------------------------------------------------- issue 16


def test_cli_rfm_reads_the_headerless_whitespace_cdnow_sample(
    tmp_path: Path, run_cli: RunCli, cdnow: pd.DataFrame
) -> None:
    # Issue 16: the file was one column; now it is five, named column_1 ... column_5.
    out = tmp_path / "customers.csv"
    code, _, err = run_cli(
        "rfm",
        shared_dataset("cdnow/CDNOW_sample.txt"),
        "--out",
        out,
        "--customer-column",
        "column_2",
        "--date-column",
        "column_3",
        "--amount-column",
        "column_5",
        "--snapshot-date",
        "1997-09-30",
        "--frequency-unit",
        "day",
        "-q",
    )
    assert code == 0, err
    table = pd.read_csv(out, dtype={"column_2": str})
    expected = customers_from_transactions(cdnow, CDNOW_CONFIG).table
    assert table["column_2"].tolist() == expected["customer_id"].tolist()
    assert table["column_2"].iloc[0] == "0001"  # the ids keep their zeros
    assert table["repeat_purchases"].tolist() == expected["repeat_purchases"].tolist()
    assert np.allclose(table["monetary"], expected["monetary"])


def test_rfm_derived_columns() -> None:
    table = ["CustomerID", *RFM_COLUMNS, "share_toys", *SCORE_COLUMNS, "age"]
    derived = rfm_derived_columns(table)
    assert sorted(derived) == sorted(
        [c for c in table if c not in RFM_FEATURES and c not in ("CustomerID", "age")]
    )
    assert derived["rfm_score"].startswith("derived RFM score, not a feature")
    assert "input.features" in derived["tenure_days"]
    # Without the whole signature (a table that merely has a "frequency"), nothing.
    assert rfm_derived_columns(["id", "frequency", "monetary", "r_score"]) == {}


@dataclass(frozen=True)
class TwoPaths:
    """A transaction log segmented by ``run --transactions`` and by ``rfm`` + ``run``."""

    log: Path
    transactions_run: Path
    customers: Path
    table_run: Path


@pytest.fixture(scope="module")
def two_paths(tmp_path_factory: pytest.TempPathFactory, retail: pd.DataFrame) -> TwoPaths:
    folder = tmp_path_factory.mktemp("two_paths")
    # Every line of the first 150 customers (and of no customer): a small real log.
    kept = sorted(retail["CustomerID"].dropna().unique())[:150]
    log = folder / "log.csv"
    retail.loc[retail["CustomerID"].isin(kept) | retail["CustomerID"].isna()].to_csv(
        log, index=False
    )
    args = ("--methods", "kmeans", "-q")
    transactions_run, table_run = folder / "tx", folder / "table"
    customers = folder / "customers.csv"
    assert main(["run", str(log), "--transactions", "--out", str(transactions_run), *args]) == 0
    assert main(["rfm", str(log), "--out", str(customers), "-q"]) == 0
    assert main(["run", str(customers), "--out", str(table_run), *args]) == 0
    return TwoPaths(log, transactions_run, customers, table_run)


def test_rfm_then_run_segments_like_run_transactions(two_paths: TwoPaths) -> None:
    # Issue 16: run on the rfm table also segmented on rfm_score, the r/f/m scores,
    # repeat_purchases, tenure ...; now both paths use the same four features.
    runs = [two_paths.transactions_run, two_paths.table_run]
    summaries = [read_run_json(r) for r in runs]
    assert summaries[0]["features"] == summaries[1]["features"] == list(RFM_FEATURES)
    roles = summaries[1]["columns"]
    assert roles["rfm_score"]["role"] == "ignore"
    assert roles["rfm_score"]["reason"].startswith("derived RFM score, not a feature")
    via_log, via_table = (pd.read_csv(r / "segments.csv") for r in runs)
    assert via_log["CustomerID"].tolist() == via_table["CustomerID"].tolist()
    assert adjusted_rand_score(via_log["segment"], via_table["segment"]) >= 0.99


def test_score_a_transaction_log_with_a_transactions_model(
    two_paths: TwoPaths, tmp_path: Path, run_cli: RunCli
) -> None:
    # Issue 16: scoring the log said "the input lacks 'recency_days'".
    out = tmp_path / "scored.csv"
    model = two_paths.transactions_run / "model.skops"
    code, _, err = run_cli("score", model, two_paths.log, "--out", out)
    assert code == 0, err
    assert "is a transaction log" in err and "snapshot 2011-12-10" in err
    scored = pd.read_csv(out)
    segments = pd.read_csv(two_paths.transactions_run / "segments.csv")
    assert scored["CustomerID"].tolist() == segments["CustomerID"].tolist()
    assert scored["segment"].tolist() == segments["segment"].tolist()
    # The snapshot can be set, as in `segmentkit rfm`.
    code, _, err = run_cli(
        "score", model, two_paths.log, "--out", out, "--snapshot-date", "2012-06-30"
    )
    assert code == 0, err
    assert "snapshot 2012-06-30, as set" in err


def test_score_a_transaction_log_with_a_customer_table_model(
    two_paths: TwoPaths, tmp_path: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "scored.csv"
    model = two_paths.table_run / "model.skops"
    code, _, err = run_cli("score", model, two_paths.log, "--out", out, "-q")
    assert code == 1
    assert "Traceback" not in err
    (line,) = error_lines(err)
    assert "looks like a transaction log" in line
    assert f"segmentkit rfm {two_paths.log} --out customers.csv" in line
    assert not out.exists()
    # The customer table itself scores as trained.
    code, _, err = run_cli("score", model, two_paths.customers, "--out", out, "-q")
    assert code == 0, err
    segments = pd.read_csv(two_paths.table_run / "segments.csv")
    assert pd.read_csv(out)["segment"].tolist() == segments["segment"].tolist()


def test_model_keeps_the_transaction_settings(two_paths: TwoPaths) -> None:
    model = SegmentationModel.load(two_paths.transactions_run / "model.skops")
    settings = model.transaction_settings()
    assert (settings.customer_column, settings.date_column) == ("CustomerID", "InvoiceDate")
    assert (settings.quantity_column, settings.price_column) == ("Quantity", "UnitPrice")
    assert settings.order_column == "InvoiceNo"
    assert settings.snapshot_date is None  # the rule: the day after the log's last line
    assert model.transaction_settings("2011-01-31").snapshot_date == "2011-01-31"
    table_model = SegmentationModel.load(two_paths.table_run / "model.skops")
    assert table_model.transactions is None
    with pytest.raises(DataError, match="trained on a customer table"):
        table_model.transaction_settings()


# --------------------------------------------------------------------------- new-user issues

CDNOW_FLAGS = ("--customer-column", "column_2", "--date-column", "column_3")
CDNOW_AMOUNT = ("--amount-column", "column_5")
CUSTOMER_TABLES = [
    "mall_customers/Mall_Customers.csv",
    "wholesale_customers/Wholesale customers data.csv",
    "customer_personality/marketing_campaign.csv",
    "bank_marketing/bank.csv",
    "cc_general/CC GENERAL.csv",
    "cdnow/cdnow_customers_summary.csv",
]


def _rfm_table_named(first: str, ids: list[str]) -> pd.DataFrame:
    """A customer table as `segmentkit rfm` writes it, its id column called ``first``."""
    rng = np.random.default_rng(3)
    n = len(ids)
    recency = rng.integers(1, 300, n).astype(float)
    frequency = rng.integers(1, 30, n)
    monetary = rng.gamma(2, 300, n).round(2)
    return pd.DataFrame(
        {
            first: ids,
            "recency_days": recency,
            "frequency": frequency,
            "repeat_purchases": frequency - 1,
            "monetary": monetary,
            "avg_order_value": (monetary / frequency).round(2),
            "tenure_days": recency + 30,
            "first_to_last_days": np.full(n, 30.0),
            "mean_interpurchase_days": np.full(n, 5.0),
            "r_score": rng.integers(1, 6, n),
            "f_score": rng.integers(1, 6, n),
            "m_score": rng.integers(1, 6, n),
            "rfm_score": ["345"] * n,
            "rfm_group": ["Loyal"] * n,
        }
    )


@pytest.mark.parametrize(
    "ids",
    [
        [f"{i:04d}" for i in range(1, 41)],  # as read back: text with leading zeros
        list(range(1, 41)),  # or plain integers
    ],
)
def test_the_first_column_of_an_rfm_table_is_the_id_whatever_its_name(ids: list[Any]) -> None:
    # New user: `rfm` on the header-less CDNOW log wrote the id as `column_2`, and `run`
    # on that table segmented on column_2 ("Low column 2 · ...").
    from segmentkit.config import Config
    from segmentkit.prepare.roles import infer_roles

    config = Config()
    frame = _rfm_table_named("column_2", ids)
    roles = infer_roles(frame, config.input, config.cleaning)
    assert roles["column_2"].role == "id"
    assert "segmentkit rfm" in roles["column_2"].reason
    assert [c for c, r in roles.items() if r.is_feature] == list(RFM_FEATURES)
    # With features named, the id is still the id.
    asked = Config.model_validate({"input": {"features": ["recency_days", "frequency"]}})
    roles = infer_roles(frame, asked.input, asked.cleaning)
    assert roles["column_2"].role == "id"
    # A role set in the config wins; a first column the user excluded is left alone.
    named = Config.model_validate({"input": {"roles": {"column_2": "numeric"}}})
    assert infer_roles(frame, named.input, named.cleaning)["column_2"].role == "numeric"
    excluded = Config.model_validate({"input": {"exclude": ["column_2"]}})
    assert infer_roles(frame, excluded.input, excluded.cleaning)["column_2"].role == "ignore"


def test_cdnow_rfm_then_run_segments_like_run_transactions(tmp_path: Path, run_cli: RunCli) -> None:
    # New user: `rfm` (column flags) then `run` used the id column_2 as a feature and gave
    # other segments than `run --transactions` on the same log.
    log = shared_dataset("cdnow/CDNOW_sample.txt")
    customers = tmp_path / "cdnow_rfm.csv"
    code, _, err = run_cli("rfm", log, "--out", customers, *CDNOW_FLAGS, *CDNOW_AMOUNT, "-q")
    assert code == 0, err
    assert pd.read_csv(customers, dtype=str).columns[0] == "column_2"  # the name is kept
    args = ("--methods", "kmeans", "--no-figures", "-q")
    code, _, err = run_cli("run", customers, "--out", tmp_path / "table", *args)
    assert code == 0, err
    code, _, err = run_cli(
        "run",
        log,
        "--transactions",
        *CDNOW_FLAGS,
        *CDNOW_AMOUNT,
        "--out",
        tmp_path / "tx",
        *args,
    )
    assert code == 0, err
    summary = read_run_json(tmp_path / "table")
    assert summary["columns"]["column_2"]["role"] == "id"
    assert summary["features"] == list(RFM_FEATURES)
    via_table, via_log = (
        pd.read_csv(tmp_path / name / "segments.csv", dtype={"column_2": str})
        for name in ("table", "tx")
    )
    assert via_table.columns[0] == via_log.columns[0] == "column_2"
    assert via_table["column_2"].iloc[0] == "0001"
    assert via_table["column_2"].tolist() == via_log["column_2"].tolist()
    assert via_table["segment"].tolist() == via_log["segment"].tolist()


def _retail_lines(n: int) -> pd.DataFrame:
    """The first ``n`` lines of the full Online Retail log, as a user would cut them."""
    path = shared_dataset("online_retail/online_retail_from_rda.csv.gz")
    return pd.read_csv(path, nrows=n)


def test_run_refuses_a_transaction_log_without_transactions(
    tmp_path: Path, run_cli: RunCli
) -> None:
    # New user: `run retail50k.csv` segmented invoice lines ("Low invoice no · High
    # customer id").
    log = tmp_path / "retail50k.csv"
    _retail_lines(49_999).to_csv(log, index=False)
    out = tmp_path / "out"
    code, _, err = run_cli("run", log, "--out", out)
    assert code == 2, err
    assert "Traceback" not in err
    (line,) = error_lines(err)
    assert "looks like a transaction log" in line
    assert "'CustomerID'" in line and "'InvoiceDate'" in line
    assert f"segmentkit run {log} --transactions" in line
    assert "segmentkit rfm" in line and "--id-column" in line
    assert {p.name for p in tmp_path.iterdir()} == {"retail50k.csv"}


def test_a_named_id_column_overrides_the_transaction_log_check(
    tmp_path: Path, run_cli: RunCli
) -> None:
    log = tmp_path / "lines.csv"
    _retail_lines(3_000).to_csv(log, index=False)
    out = tmp_path / "out"
    code, _, err = run_cli("run", log, "--out", out, "--methods", "kmeans", "--k", "2")
    assert code == 2 and "looks like a transaction log" in err
    args = ("--out", out, "--methods", "kmeans", "--k", "2", "--no-figures", "-q")
    code, _, err = run_cli("run", log, "--id-column", "InvoiceNo", *args)
    assert code == 0, err
    assert pd.read_csv(out / "segments.csv").columns[0] == "InvoiceNo"


@pytest.mark.parametrize("relative", CUSTOMER_TABLES)
def test_customer_tables_do_not_look_like_transaction_logs(relative: str) -> None:
    from segmentkit.sources.read import read_table
    from segmentkit.transactions.rfm import transaction_log_reason

    frame = read_table(shared_dataset(relative)).frame
    assert transaction_log_reason(frame) is None


def test_customer_tables_that_resemble_a_log_do_not_trip_the_check(
    two_paths: TwoPaths,
) -> None:
    from segmentkit.sources.read import read_table
    from segmentkit.transactions.rfm import transaction_log_reason

    # The bundled customer table, and an rfm table (dates and money, unique customers).
    assert transaction_log_reason(read_table(sample_data_path()).frame) is None
    assert transaction_log_reason(read_table(two_paths.customers).frame) is None
    # A few tiers repeat, but they are categories, not customers.
    n = 300
    tiers = pd.DataFrame(
        {
            "member_tier": [f"tier {i % 5}" for i in range(n)],
            "signup_date": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
            "total_spend": np.arange(n, dtype=float),
        }
    )
    assert transaction_log_reason(tiers) is None
    # The same shape with many repeating customers is a log.
    log = tiers.assign(member_tier=[f"c{i % 60}" for i in range(n)])
    reason = transaction_log_reason(log)
    assert reason is not None and "'member_tier'" in reason and "60 customers" in reason


def test_eight_digit_integer_dates_are_inferred() -> None:
    # CDNOW's header-less log: column_3 holds 19970101-style integers.
    frame = pd.DataFrame(
        {
            "column_1": ["0001", "0001", "0002"],
            "column_3": [19970101, 19970118, 19980630],
            "column_4": [2, 1, 3],
            "amount": [29.33, 10.0, 5.5],
        }
    )
    columns = infer_transaction_columns(frame, TransactionsConfig(customer_column="column_1"))
    assert columns.date == "column_3"
    # As text too; but 8-digit codes that are no plausible dates are not taken.
    text = frame.assign(column_3=frame["column_3"].astype(str))
    assert infer_transaction_columns(text, TransactionsConfig(customer_column="column_1")).date == (
        "column_3"
    )
    codes = frame.assign(column_3=[10234567, 31129999, 99991231])
    with pytest.raises(DataError, match="cannot tell which column is the date"):
        infer_transaction_columns(codes, TransactionsConfig(customer_column="column_1"))
    result = customers_from_transactions(text, TransactionsConfig(customer_column="column_1"))
    assert result.snapshot == pd.Timestamp("1998-07-01")


def test_cdnow_needs_only_the_customer_and_amount_columns(
    tmp_path: Path, run_cli: RunCli, cdnow: pd.DataFrame
) -> None:
    out = tmp_path / "customers.csv"
    log = shared_dataset("cdnow/CDNOW_sample.txt")
    code, _, err = run_cli("rfm", log, "--out", out, "--customer-column", "column_2", *CDNOW_AMOUNT)
    assert code == 0, err
    assert "date=column_3" in err
    assert len(pd.read_csv(out)) == cdnow["customer_id"].nunique()


@pytest.mark.parametrize("command", ["rfm", "run"])
def test_missing_log_columns_name_the_flags_of_the_command(
    tmp_path: Path, run_cli: RunCli, command: str
) -> None:
    log = shared_dataset("cdnow/CDNOW_sample.txt")
    out = tmp_path / ("customers.csv" if command == "rfm" else "out")
    extra = ("--transactions",) if command == "run" else ()
    code, _, err = run_cli(command, log, *extra, "--out", out, "-q")
    assert code == 1
    assert "Traceback" not in err
    (line,) = error_lines(err)
    assert "cannot tell which column is the customer, amount" in line
    assert "--customer-column" in line and "transactions.customer_column" in line
    assert "--amount-column" in line and "--quantity-column" in line
    assert "rfm flags" not in line
    assert "'column_1'" in line  # the columns there are
    assert not out.exists()


def test_run_column_flags_need_transactions(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(
        "run", sample_data_path(), "--out", out, "--customer-column", "CustomerID"
    )
    assert code == 2
    (line,) = error_lines(err)
    assert line == "error: --customer-column needs --transactions (add --transactions)"
    assert not out.exists()


def test_run_column_flags_set_the_transaction_columns(tmp_path: Path, run_cli: RunCli) -> None:
    log = tmp_path / "log.csv"
    pd.DataFrame(
        {
            "who": [f"c{i % 12}" for i in range(60)],
            "when": pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d"),
            "paid": np.linspace(5, 100, 60),
        }
    ).to_csv(log, index=False)
    out = tmp_path / "out"
    args = ("--methods", "kmeans", "--k", "2", "--no-figures", "-q")
    flags = ("--customer-column", "who", "--date-column", "when", "--amount-column", "paid")
    code, _, err = run_cli("run", log, "--transactions", *flags, "--out", out, *args)
    assert code == 0, err
    summary = read_run_json(out)
    assert summary["input"]["transactions"]["columns"]["customer"] == "who"
    assert summary["input"]["transactions"]["customers"] == 12
