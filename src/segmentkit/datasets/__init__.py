"""Datasets for trying segmentkit: a bundled real dataset and a synthetic generator.

- :func:`load_wholesale` / :func:`sample_data_path`: the UCI Wholesale customers data
  (real, CC BY 4.0) shipped with the package.
- :func:`load_online_retail`: a real transaction log (UCI Online Retail subset, CC BY 4.0)
  for the transactions → RFM → segments path.
- :func:`make_customers`: synthetic customers with planted segments and known
  missing cells and outliers, for tests, demos and benchmarks up to millions of rows.
"""

from __future__ import annotations

from segmentkit.datasets._bundled import (
    WHOLESALE_SPEND_COLUMNS,
    load_online_retail,
    load_wholesale,
    sample_data_path,
)
from segmentkit.datasets._synthetic import SyntheticCustomers, make_customers

__all__ = [
    "WHOLESALE_SPEND_COLUMNS",
    "SyntheticCustomers",
    "load_online_retail",
    "load_wholesale",
    "make_customers",
    "sample_data_path",
]
