"""From a transaction log to one row per customer: recency, frequency and monetary value (RFM)."""

from __future__ import annotations

from segmentkit.transactions.rfm import (
    RFM_EXTRAS,
    RFM_FEATURES,
    RFM_SCORES,
    CustomerTable,
    TransactionColumns,
    customers_from_transactions,
    infer_transaction_columns,
    is_rfm_column,
    is_rfm_table,
    rfm_derived_columns,
    rfm_group,
    transaction_log_reason,
)

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
