"""How each feature is named and shown to people: its words, unit and everyday quantity.

A column is described in the quantity people think in: a birth year as an age, a
registration date as days as a customer, other dates as days since. The words come from
:func:`segmentkit.text.display_name` (``MntWines`` reads "spend on wines"), the unit from
the column's brackets (``Annual Income (k$)``). A category value is described in words
("households with one child at home") or not at all when it is a bare code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from segmentkit.text import display_name, format_figure, snake_case, unit_of, without_units

__all__ = ["FeatureLabel", "category_name", "category_words", "feature_label"]

_BIRTH_YEAR = re.compile(r"(^|_)(year_?(of_)?birth|birth_?year|yob|born)($|_)")
_AGE = re.compile(r"(^|_)age($|_)")
# A date that starts the relationship: counted back from the latest date it is tenure.
_TENURE_DATE = re.compile(
    r"customer|client|member|join|signup|sign_up|regist|enrol|since|first|created|opened|start"
)
_DATE_WORD = re.compile(r"\b(date|dt|time|timestamp|day)\b")
_DATE_PARTS = {"month", "day", "weekday", "day_of_week", "dow", "quarter", "year", "hour", "week"}
_UNKNOWN_VALUES = {"unknown", "(missing)", "missing", "other", "none", "nan", "n/a", "na", "?"}
_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}
#: Columns that count people at home, with the singular and plural of what they count.
_HOUSEHOLD_COUNTS = {
    "kidhome": ("child at home", "children at home"),
    "teenhome": ("teenager at home", "teenagers at home"),
    "children": ("child", "children"),
    "kids": ("child", "children"),
    "dependents": ("dependent", "dependents"),
    "dependants": ("dependant", "dependants"),
}
_NUMBER_WORDS = {1: "one", 2: "two", 3: "three"}


@dataclass(frozen=True)
class FeatureLabel:
    """How one numeric feature reads in names, descriptions and key figures.

    Attributes
    ----------
    column : str
        The original column.
    words : str
        Lower-case words for sentences ("spend on meat products", "age").
    unit : str
        Unit written after figures ("k$"), or ``""``.
    offset : float or None
        When set, people see ``offset - value`` (a birth year shown as an age), so a
        higher column value reads as a *lower* figure.
    high, low : str or None
        Segment-name words for a high / low level ("Older customers"), instead of
        "High <words>".
    year : bool
        Figures are calendar years: no thousands separator.
    """

    column: str
    words: str
    unit: str = ""
    offset: float | None = None
    high: str | None = None
    low: str | None = None
    year: bool = False

    @property
    def title(self) -> str:
        """The words with a capital letter, for table headers."""
        return self.words[:1].upper() + self.words[1:]

    def shown(self, value: Any) -> Any:
        """Return the figure people see for a value of the column."""
        return self.offset - value if self.offset is not None else value

    def direction(self, effect: float) -> float:
        """Return a difference with the sign people see (flipped for birth years)."""
        return -effect if self.offset is not None else effect

    def figure(self, value: float) -> str:
        """Format a value of the column as people read it, with its unit.

        Examples
        --------
        >>> FeatureLabel("Annual Income (k$)", "annual income", "k$").figure(86.54)
        '86.5 k$'
        >>> FeatureLabel("Year_Birth", "year of birth", year=True).figure(1970.2)
        '1970'
        >>> FeatureLabel("NumDealsPurchases", "number of deals purchases").figure(3.0)
        '3'
        """
        text = format_figure(self.shown(value), year=self.year)
        return f"{text} {self.unit}" if self.unit and text != "n/a" else text

    def level_name(self, level: str) -> str:
        """Words for a segment name at a level ("High", "Very low", ...).

        Examples
        --------
        >>> FeatureLabel("Age", "age", high="Older customers").level_name("Very high")
        'Older customers'
        >>> FeatureLabel("MntWines", "spend on wines").level_name("Low")
        'Low spend on wines'
        """
        high = level.lower().endswith("high")
        special = self.high if high else self.low
        return special if special is not None else f"{level} {self.words}"


def feature_label(
    column: str, *, is_date: bool = False, reference_year: int | None = None
) -> FeatureLabel:
    """Return how a numeric feature is shown.

    Parameters
    ----------
    column : str
        The original column.
    is_date : bool
        The column held dates, now days before the latest date.
    reference_year : int, optional
        The year of the data's latest date: a birth year is then shown as an age.

    Examples
    --------
    >>> feature_label("Dt_Customer", is_date=True).words
    'days as a customer'
    >>> feature_label("last_login", is_date=True).words
    'days since last login'
    >>> label = feature_label("Year_Birth", reference_year=2014)
    >>> label.words, label.figure(1970), label.level_name("High")
    ('age', '44 years', 'Older customers')
    >>> feature_label("Year_Birth").level_name("High")
    'Younger customers'
    >>> feature_label("Annual Income (k$)").figure(60.56)
    '60.6 k$'
    """
    key = snake_case(without_units(column))
    words = display_name(column).lower()
    if is_date:
        if _TENURE_DATE.search(key):
            return FeatureLabel(
                column, "days as a customer", "days", high="Long-standing customers",
                low="Newer customers",
            )  # fmt: skip
        subject = _DATE_WORD.sub(" ", words).strip() or words
        return FeatureLabel(column, f"days since {' '.join(subject.split())}", "days")
    if _BIRTH_YEAR.search(key):
        if reference_year is not None:
            return FeatureLabel(
                column, "age", "years", offset=float(reference_year),
                high="Older customers", low="Younger customers",
            )  # fmt: skip
        # Without a date to count from, the year stays a year; a later one is younger.
        return FeatureLabel(
            column, "year of birth", year=True, high="Younger customers", low="Older customers"
        )
    if _AGE.search(key):
        return FeatureLabel(
            column, "age", unit_of(column), high="Older customers", low="Younger customers"
        )
    return FeatureLabel(column, words, unit_of(column))


def category_words(column: str, value: str) -> str | None:
    """Describe the customers who have one value of a category, or ``None`` for a bare code.

    Examples
    --------
    >>> category_words("Kidhome", "1")
    'households with one child at home'
    >>> category_words("Teenhome", "0")
    'households with no teenagers at home'
    >>> category_words("Marital_Status", "Married")
    'customers whose marital status is Married'
    >>> category_words("housing", "yes")
    'customers with housing'
    >>> [category_words("Channel", "2"), category_words("month", "nov")]
    [None, None]
    """
    key = snake_case(without_units(column))
    text = str(value).strip()
    if key in _DATE_PARTS or text.casefold() in _UNKNOWN_VALUES or not text:
        return None
    if key in _HOUSEHOLD_COUNTS:
        try:
            count = int(float(text))
        except ValueError:
            return None
        one, many = _HOUSEHOLD_COUNTS[key]
        if count == 0:
            return f"households with no {many}"
        if count == 1:
            return f"households with one {one}"
        return f"households with {_NUMBER_WORDS.get(count, str(count))} {many}"
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None  # a code such as Channel 2 means nothing to a reader
    words = display_name(column).lower()
    if text.casefold() in _YES:
        return f"customers with {words}"
    if text.casefold() in _NO:
        return f"customers without {words}"
    return f"customers whose {words} is {text}"


def category_name(column: str, value: str) -> str | None:
    """Name customers by one value of a category, short enough for a segment name.

    Examples
    --------
    >>> category_name("Kidhome", "1"), category_name("Education", "PhD")
    ('households with one child at home', 'PhD (education)')
    >>> category_name("Channel", "2") is None
    True
    """
    words = category_words(column, value)
    if words is None or not words.startswith("customers whose "):
        return words
    return f"{str(value).strip()} ({display_name(column).lower()})"
