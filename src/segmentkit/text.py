"""Words and numbers for people: column names in segment names, figures in profiles."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "axis_label",
    "display_name",
    "format_figure",
    "format_number",
    "is_year_column",
    "listing",
    "name_words",
    "plural",
    "snake_case",
    "unit_of",
    "without_units",
]


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

#: Abbreviations that open a column name in customer exports, and what they stand for.
#: Only at the start of a name ("MntWines", "NUM_ORDERS", "Dt_Customer"): elsewhere the
#: same letters may be a word of their own.
NAME_PREFIXES = {
    "mnt": "spend on",
    "amt": "amount of",
    "num": "number of",
    "nb": "number of",
    "nbr": "number of",
    "cnt": "count of",
    "qty": "quantity of",
    "avg": "average",
    "tot": "total",
    "prc": "share of",
    "pct": "share of",
    "perc": "share of",
    "dt": "date",
}

#: Abbreviated or glued words anywhere in a name.
NAME_WORDS = {
    "prods": "products",
    "prod": "product",
    "cmp": "campaign",
    "kidhome": "children at home",
    "teenhome": "teenagers at home",
    "trx": "transactions",
    "txn": "transactions",
    "txns": "transactions",
    "oneoff": "one-off",
    "freq": "frequency",
    "qty": "quantity",
    "amt": "amount",
    "avg": "average",
    "cust": "customer",
    "acct": "account",
    "bal": "balance",
    "yrs": "years",
    "yr": "year",
}

#: Whole names whose words alone read badly.
WHOLE_NAMES = {
    "year_birth": "Year of birth",
    "birth_year": "Year of birth",
    "dt_customer": "Customer since",
    # Mall Customers' "Genre" is the French / Portuguese word for gender.
    "genre": "Gender",
}

#: A count "per" a period when the name ends in one ("NumWebVisitsMonth").
_PERIODS = {"day", "week", "month", "year"}


def name_words(name: str) -> list[str]:
    """Split a column name into lower-case words: snake_case, camelCase, spaces.

    Examples
    --------
    >>> name_words("NumWebVisitsMonth")
    ['num', 'web', 'visits', 'month']
    >>> name_words("CASH_ADVANCE_TRX")
    ['cash', 'advance', 'trx']
    """
    text = without_units(str(name)) or str(name)
    if text.isupper():
        text = text.lower()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return [w.lower() for w in re.split(r"[\s_\-.]+", text) if w]


def display_name(column: str) -> str:
    """Return a column name as people say it: words split, abbreviations spelled out.

    Units in brackets are left out (see :func:`unit_of`); common export prefixes are
    expanded (``Mnt`` spend on, ``Num`` number of, ``Dt`` date, ``Prc`` share of).

    Examples
    --------
    >>> display_name("Annual Income (k$)")
    'Annual Income'
    >>> [display_name(c) for c in ["spending_score", "CASH_ADVANCE", "MntMeatProducts"]]
    ['Spending score', 'Cash advance', 'Spend on meat products']
    >>> [display_name(c) for c in ["NumWebVisitsMonth", "PRC_FULL_PAYMENT", "MntGoldProds"]]
    ['Number of web visits per month', 'Share of full payment', 'Spend on gold products']
    >>> display_name("recency_days")
    'Days since last purchase'
    """
    if column in RFM_WORDS:
        return RFM_WORDS[column]
    text = without_units(column) or column
    if " " in text and not text.isupper():
        return text
    words = name_words(column)
    if not words:
        return str(column)
    if "_".join(words) in WHOLE_NAMES:
        return WHOLE_NAMES["_".join(words)]
    expanded = []
    if len(words) > 1 and words[0] in NAME_PREFIXES:
        expanded.append(NAME_PREFIXES[words[0]])
        words = words[1:]
        if expanded[0] in {"number of", "count of"} and len(words) > 1 and words[-1] in _PERIODS:
            words = [*words[:-1], "per", words[-1]]
    expanded += [NAME_WORDS.get(w, w) for w in words]
    sentence = " ".join(expanded)
    return sentence[:1].upper() + sentence[1:]


def axis_label(column: str) -> str:
    """Return a column's label on a chart axis: a name already in words keeps its units.

    Examples
    --------
    >>> axis_label("Annual Income (k$)"), axis_label("MntWines"), axis_label("recency_days")
    ('Annual Income (k$)', 'Spend on wines', 'Days since last purchase')
    """
    text = str(column)
    if " " in text.strip() and not text.isupper():
        return text
    return display_name(text)


#: Bracketed text that is a scale ("(1-100)"), not a unit.
_SCALE = re.compile(r"^\s*-?\d+(\.\d+)?\s*[-–to ]+\s*-?\d+(\.\d+)?\s*$")


def unit_of(column: str) -> str:
    """Return the unit a column name gives in brackets, or ``""``.

    Examples
    --------
    >>> [unit_of(c) for c in ["Annual Income (k$)", "Spending Score (1-100)", "Age"]]
    ['k$', '', '']
    """
    found = re.search(r"[\(\[]\s*([^\)\]]+?)\s*[\)\]]", str(column))
    if not found or _SCALE.match(found.group(1)):
        return ""
    return found.group(1)


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


def plural(count: int, word: str, many: str | None = None) -> str:
    """Return ``count`` and ``word``, in the plural unless the count is one.

    Examples
    --------
    >>> plural(1, "segment"), plural(3, "segment"), plural(1200, "customer")
    ('1 segment', '3 segments', '1,200 customers')
    >>> plural(2, "category", "categories")
    '2 categories'
    """
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def listing(items: Sequence[object], limit: int, *, quote: bool = False) -> str:
    """Return the first ``limit`` items joined by commas, and "..." when there are more.

    Examples
    --------
    >>> listing([3, 8, 12], 2), listing(["age", "spend"], 5, quote=True)
    ('3, 8, ...', "'age', 'spend'")
    """
    shown = [repr(item) if quote else str(item) for item in items[:limit]]
    return ", ".join(shown) + (", ..." if len(items) > limit else "")


#: Words that make a column a calendar year ("Year_Birth", "birth_year", "YearOfBirth").
_YEAR_WORDS = {"year", "yr", "birth", "born", "yob"}


def is_year_column(name: str, values: ArrayLike | None = None) -> bool:
    """Return whether a column holds calendar years, which print without a separator.

    A column is a year when its name has a year word in it, or when every value given
    is a whole number from 1900 to 2100.

    Examples
    --------
    >>> [is_year_column(c) for c in ["Year_Birth", "YearOfBirth", "years_active", "Income"]]
    [True, True, False, False]
    >>> is_year_column("Since", [1998, 2004, 2021]), is_year_column("Spend", [1950.5, 2000])
    (True, False)
    """
    words = set(re.split(r"[^a-z]+", snake_case(str(name))))
    if words & _YEAR_WORDS:
        return True
    if values is None:
        return False
    numbers = np.asarray(values, dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    whole_years = (numbers == np.round(numbers)) & (numbers >= 1900) & (numbers <= 2100)
    return bool(numbers.size) and bool(whole_years.all())


def format_figure(value: float, *, year: bool = False) -> str:
    """Format a figure as :func:`format_number` does, but a year as a plain whole number.

    Examples
    --------
    >>> format_figure(1970.4), format_figure(1970.4, year=True), format_figure(3.5, year=True)
    ('1,970', '1970', '3.50')
    >>> format_figure(3.0), format_figure(12000.0)
    ('3', '12,000')
    """
    if year and value is not None and value == value and 1000 <= abs(value) < 10000:
        return f"{value:.0f}"
    if value is not None and value == value and float(value).is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"  # a median count of 3 reads "3", not "3.00"
    return format_number(value)
