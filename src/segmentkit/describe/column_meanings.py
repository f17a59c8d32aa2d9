"""What the columns mean to the action rules: semantic names, the customer value, the data kind.

``@income``, ``@spending``, ``@recency`` and the other semantic names are resolved from the
column names (or ``profiles.columns`` in the config), the columns summed into a customer's
value from the money columns (or ``profiles.value_columns``), and the kind of data (retail,
banking, usage, general) from the words the column names use.
"""

from __future__ import annotations

import re

from segmentkit.text import snake_case, without_units

__all__ = ["KIND_PATTERNS", "SEMANTIC_PATTERNS", "data_kind", "semantic_columns", "value_columns"]

#: Semantic name to the pattern a normalised column name matches, checked in this order.
SEMANTIC_PATTERNS: dict[str, str] = {
    "recency": r"recen|days_since|since_last|last_purchase|last_order",
    "frequency": r"freq|n_orders|num_orders|order_count|orders|visits|transactions",
    "income": r"income|salary|earning|wage",
    "spending": r"spend|spent|purchase|monetary|amount|sales|revenue|mnt",
    "age": r"(^|_)age($|_)",
    "balance": r"^balance$|(^|_)balance($|_)(?!freq)",
    "cash_advance": r"cash_advance$|cash_adv$",
    "usage": r"usage|minutes|(^|_)calls($|_)|data_gb|sessions|logins",
}

#: Words that say what kind of customers a table describes; the kind with most columns
#: wins (banking and usage before retail on a tie: their advice is the more specific).
KIND_PATTERNS: dict[str, str] = {
    "banking": r"balance|credit|(^|_)limit|loan|cash_advance|installment|instalment|payment"
    r"|deposit|overdraft|mortgage|interest|card",
    "usage": r"usage|minutes|(^|_)calls($|_)|data_gb|sessions|logins|subscription|plan|contract",
    "retail": r"spend|spent|purchase|order|basket|(^|_)mnt|visit|sales|monetary|revenue|recency"
    r"|frequency|product|store|catalog|web",
}


def data_kind(columns: list[str]) -> str:
    """Say what kind of customers the columns describe: retail, banking, usage or general.

    Examples
    --------
    >>> data_kind(["BALANCE", "PURCHASES", "CASH_ADVANCE", "CREDIT_LIMIT", "PAYMENTS"])
    'banking'
    >>> data_kind(["recency_days", "frequency", "monetary"])
    'retail'
    >>> data_kind(["Age", "Annual Income (k$)", "Spending Score (1-100)"])
    'retail'
    >>> data_kind(["Fresh", "Milk"])
    'general'
    """
    counts = {
        kind: sum(bool(re.search(pattern, _normalise(c))) for c in columns)
        for kind, pattern in KIND_PATTERNS.items()
    }
    best = max(counts, key=lambda kind: counts[kind])
    return best if counts[best] >= 2 or (counts[best] == 1 and best == "retail") else "general"


_VALUE_NAME = re.compile(
    r"^(total_)?(monetary(_value)?|spend(ing)?|spent|revenue|sales|amount|purchases|value"
    r"|clv|ltv|customer_value)(_total)?$"
)
#: Money spent on something: "MntWines", "spend_online", "grocery_amount", "web_sales".
_MONEY_PART = re.compile(r"^mnt_|(^|_)(spend|spent|amount|revenue|sales)($|_)")
#: ... but not a score, rate, share or count of it ("Spending Score (1-100)", "num_sales").
_NOT_MONEY = re.compile(
    r"(^|_)(score|rate|ratio|share|pct|percent|count|num|number|freq\w*|n|avg|average|mean"
    r"|per)($|_)"
)


def _normalise(name: str) -> str:
    return snake_case(without_units(name))


def semantic_columns(numeric: list[str], overrides: dict[str, str]) -> dict[str, str]:
    """Map semantic names (income, spending, recency, frequency, age) to columns.

    A column whose normalised name equals the semantic name wins, then the first column
    whose name matches the pattern; one column serves one meaning.

    Examples
    --------
    >>> semantic_columns(["Age", "Annual Income (k$)", "Spending Score (1-100)"], {})
    {'income': 'Annual Income (k$)', 'spending': 'Spending Score (1-100)', 'age': 'Age'}
    >>> semantic_columns(["recency", "frequency", "monetary"], {"spending": "monetary"})
    {'spending': 'monetary', 'recency': 'recency', 'frequency': 'frequency'}
    """
    mapping = {k: v for k, v in overrides.items() if v in numeric}
    taken = set(mapping.values())
    for meaning, pattern in SEMANTIC_PATTERNS.items():
        if meaning in mapping:
            continue
        free = [c for c in numeric if c not in taken]
        exact = [c for c in free if _normalise(c) == meaning]
        matches = exact or [c for c in free if re.search(pattern, _normalise(c))]
        if matches:
            mapping[meaning] = matches[0]
            taken.add(matches[0])
    order = [
        "income",
        "spending",
        "recency",
        "frequency",
        "age",
        "balance",
        "cash_advance",
        "usage",
    ]
    return {k: mapping[k] for k in order if k in mapping}


def value_columns(numeric: list[str], configured: list[str] | None) -> list[str]:
    """Return the columns summed into a customer's value.

    A column named as the total ("monetary", "total_spend", "revenue") is the value on its
    own; otherwise every money column ("MntWines", "MntFruits", ...; names with spend,
    amount, revenue or sales that are not a score, rate or count) is summed.

    Examples
    --------
    >>> value_columns(["Age", "total_spend", "visits"], None)
    ['total_spend']
    >>> value_columns(["Age", "Spending Score (1-100)"], None)
    []
    >>> value_columns(["Income", "MntWines", "MntMeatProducts", "NumWebPurchases"], None)
    ['MntWines', 'MntMeatProducts']
    """
    if configured is not None:
        return [c for c in configured if c in numeric]
    found = [c for c in numeric if _VALUE_NAME.match(_normalise(c))]
    if found:
        return found[:1]
    return [
        c
        for c in numeric
        if _MONEY_PART.search(_normalise(c)) and not _NOT_MONEY.search(_normalise(c))
    ]
