"""Words and numbers for people: column names in segment names, figures in profiles."""

from __future__ import annotations

import math
import re

__all__ = ["display_name", "format_number", "snake_case", "without_units"]


_UNITS = re.compile(r"\s*[\(\[].*?[\)\]]")


def without_units(name: str) -> str:
    """Return a column name without its bracketed units.

    Examples
    --------
    >>> without_units("Annual Income (k$)")
    'Annual Income'
    """
    return _UNITS.sub("", name).strip()


def snake_case(name: str) -> str:
    """Return a name as lower-case words joined by underscores (camelCase is split).

    Examples
    --------
    >>> [snake_case(n) for n in ["InvoiceDate", "Annual Income", "customer-id", "MntWines"]]
    ['invoice_date', 'annual_income', 'customer_id', 'mnt_wines']
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


#: Marketing words for the columns ``segmentkit rfm`` builds.
RFM_WORDS = {
    "recency_days": "Days since last purchase",
    "frequency": "Purchases",
    "monetary": "Spend",
    "avg_order_value": "Average order value",
    "tenure_days": "Days as a customer",
}


def display_name(column: str) -> str:
    """Return a column name fit for a segment name: words split, units in brackets removed.

    Examples
    --------
    >>> display_name("Annual Income (k$)")
    'Annual Income'
    >>> [display_name(c) for c in ["spending_score", "CASH_ADVANCE", "MntMeatProducts"]]
    ['Spending score', 'Cash advance', 'Mnt meat products']
    >>> display_name("recency_days")
    'Days since last purchase'
    """
    if column in RFM_WORDS:
        return RFM_WORDS[column]
    text = without_units(column) or column
    if " " in text and not text.isupper():
        return text
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    words = [w for w in re.split(r"[\s_\-.]+", text) if w]
    sentence = " ".join(w.lower() for w in words)
    return sentence[:1].upper() + sentence[1:]


def format_number(value: float) -> str:
    """Format a figure with about three significant digits and thousands separators.

    Examples
    --------
    >>> [format_number(v) for v in (12345.6, 612.4, 60.56, 0.4567, -3.0)]
    ['12,346', '612', '60.6', '0.457', '-3.00']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"
