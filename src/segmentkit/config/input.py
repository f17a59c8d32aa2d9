"""What to read: the input and transactions sections.

``input`` names the columns and their roles and how the file is read (encoding,
delimiter, sheet); ``transactions`` how a transaction log becomes one row per customer.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from segmentkit.config.section import Section

__all__ = ["DELIMITER_NAMES", "InputConfig", "TransactionsConfig", "normalise_delimiter"]

Role = Literal["id", "numeric", "categorical", "date", "ignore"]


class InputConfig(Section):
    """Which columns to read and what they mean."""

    id_column: str | None = Field(
        None, description="Column that identifies a customer; inferred when not set."
    )
    features: list[str] | None = Field(
        None, description="Use only these columns as segmentation features (default: all usable)."
    )
    exclude: list[str] = Field(default_factory=list, description="Columns never used as features.")
    outcomes: list[str] | None = Field(
        None,
        description=(
            "Outcome columns (campaign results such as Response, churned, y): profiled per "
            "segment as <column>_mean, never used to segment (default: detected by name; "
            "[] for none)."
        ),
    )
    roles: dict[str, Role] = Field(
        default_factory=dict,
        description=(
            "Override the inferred role of a column: id, numeric, categorical, date, ignore."
        ),
    )
    encoding: str | None = Field(
        None, description="Text encoding of CSV input (default: detected)."
    )
    delimiter: str | None = Field(
        None,
        description=(
            "Field delimiter of CSV/text input: ',', ';', tab ('\\t' or 'tab'), '|' or "
            "'whitespace' (runs of spaces, or aligned columns); default: detected."
        ),
    )
    sheet: str | int | None = Field(
        None,
        description=(
            "Excel sheet name or 0-based position (default: the first sheet, or the only "
            "sheet with data when the first has none)."
        ),
    )

    table: str | None = Field(
        None,
        description=(
            "With a database URL as INPUT: the table (or schema.table) whose rows are the "
            "customers (--table)."
        ),
    )
    query: str | None = Field(
        None,
        description=(
            "With a database URL as INPUT: a SELECT whose rows are the customers, instead "
            "of a table (--query)."
        ),
    )
    url_env: str | None = Field(
        None,
        description=(
            "Environment variable holding the database URL when INPUT is not given "
            "(default SEGMENTKIT_DATABASE_URL); keeps a password out of files and commands."
        ),
    )

    @model_validator(mode="after")
    def _table_or_query(self) -> InputConfig:
        if self.table is not None and self.query is not None:
            raise ValueError("give table or query, not both")
        return self

    @field_validator("delimiter")
    @classmethod
    def _known_delimiter(cls, value: str | None) -> str | None:
        return None if value is None else normalise_delimiter(value)

    @model_validator(mode="after")
    def _outcomes_are_not_features(self) -> InputConfig:
        # An outcome is profiled, never used to segment: a column cannot be both.
        for name in self.outcomes or []:
            if name in (self.features or []):
                where = "features"
            elif name == self.id_column:
                where = "id_column"
            elif name in self.roles:
                where = "roles"
            else:
                continue
            raise ValueError(
                f"outcomes and {where} both name {name!r}: an outcome is profiled per "
                "segment and never used to segment; keep it in one of them"
            )
        return self


#: Spellings ``input.delimiter`` and ``--delimiter`` accept, to the delimiter they mean.
DELIMITER_NAMES: dict[str, str] = {
    ",": ",",
    "comma": ",",
    ";": ";",
    "semicolon": ";",
    "\t": "\t",
    "\\t": "\t",
    "tab": "\t",
    "|": "|",
    "pipe": "|",
    "whitespace": "whitespace",
    "space": "whitespace",
    " ": "whitespace",
}


def normalise_delimiter(value: str) -> str:
    r"""Return the delimiter a spelling means: one character, or ``"whitespace"``.

    Examples
    --------
    >>> [normalise_delimiter(v) for v in [",", "tab", "\\t", "Space", "|"]]
    [',', '\t', '\t', 'whitespace', '|']

    Raises
    ------
    ValueError
        For any other value.
    """
    key = value if value.strip() == "" else value.strip().lower()
    if key not in DELIMITER_NAMES:
        raise ValueError(
            "must be one of ',', ';', '|', tab ('\\t' or 'tab') or 'whitespace' "
            f"('space'), got {value!r}"
        )
    return DELIMITER_NAMES[key]


class TransactionsConfig(Section):
    """Reading a transaction log into one row per customer (``segmentkit rfm``)."""

    customer_column: str | None = Field(None, description="Customer id column (inferred).")
    date_column: str | None = Field(None, description="Date/time column (inferred).")
    amount_column: str | None = Field(
        None, description="Line amount; else quantity x unit price (inferred)."
    )
    quantity_column: str | None = Field(None, description="Quantity column (inferred).")
    price_column: str | None = Field(None, description="Unit price column (inferred).")
    order_column: str | None = Field(None, description="Order/invoice id column (inferred).")
    category_column: str | None = Field(
        None, description="Product category column, for spend shares (inferred)."
    )
    snapshot_date: str | None = Field(
        None,
        description=(
            "Date recency and tenure are measured at, YYYY-MM-DD (default: the day after "
            "the last transaction); later transactions are left out."
        ),
    )
    frequency_unit: Literal["order", "day"] = Field(
        "order",
        description=(
            "A purchase is one order (needs an order column; else days are used) or one "
            "day with a purchase (lifetimes' convention)."
        ),
    )
    cancelled_prefix: str | None = Field(
        "C", description="Order ids starting with this mark cancellations (Online Retail: C)."
    )
    drop_duplicate_rows: bool = Field(True, description="Drop exact duplicate lines (counted).")
    max_categories: int = Field(
        8, ge=1, le=50, description="Categories with their own spend-share column."
    )

    @field_validator("snapshot_date")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"must be a date written YYYY-MM-DD, got {value!r}") from None
        return value
