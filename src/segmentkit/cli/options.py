"""Options and argument types several commands share, and how their values are read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

__all__ = [
    "COLUMN_FLAGS",
    "DELIMITER_HELP",
    "PATH_TYPE",
    "SHEET_HELP",
    "column_options",
    "database_options",
    "refuse_lonely_if_exists",
    "split_list",
    "transaction_overrides",
]

PATH_TYPE = click.Path(path_type=Path, dir_okay=True)
DELIMITER_HELP = (
    'Field delimiter of a CSV/text file: ",", ";", "|", "\\t" (or tab) or whitespace '
    "(default: detected)."
)
SHEET_HELP = (
    "Excel sheet: its name or 0-based position (default: the first, or the only sheet with data)."
)
#: The transaction-log column flags of `rfm` and `run --transactions`: the
#: ``transactions.<key>`` they set, and their help.
COLUMN_FLAGS = {
    "customer_column": ("--customer-column", "customer id column (default: inferred)."),
    "date_column": ("--date-column", "date/time column (default: inferred)."),
    "amount_column": ("--amount-column", "line amount column (default: inferred)."),
    "quantity_column": ("--quantity-column", "quantity column, with --price-column."),
    "price_column": ("--price-column", "unit price column, with --quantity-column."),
    "order_column": ("--order-column", "order/invoice id column (default: inferred)."),
    "category_column": ("--category-column", "product category column (default: inferred)."),
}


def column_options(prefix: str = "") -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the transaction-log column flags (``COLUMN_FLAGS``) to a command."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for key, (flag, text) in reversed(COLUMN_FLAGS.items()):
            help_text = prefix + text if prefix else text[0].upper() + text[1:]
            command = click.option(flag, key, metavar="NAME", help=help_text)(command)
        return command

    return decorate


def transaction_overrides(columns: dict[str, str | None]) -> dict[str, str | None]:
    """Return the ``transactions.*`` config overrides of the column flags given."""
    return {f"transactions.{key}": value for key, value in columns.items()}


def split_list(value: str | None) -> list[str] | None:
    """Read a comma-separated flag value: ``"a, b,"`` gives ``["a", "b"]``, ``""`` gives ``[]``."""
    if value is None:
        return None
    items = [item.strip() for item in value.split(",")]
    return [item for item in items if item]


def database_options(rows: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add ``--table``, ``--query``, ``--to-table``, ``--to-db`` and ``--if-exists``.

    ``rows`` says what ``--to-table`` writes ("one row per customer (...)").
    """
    options = [
        click.option(
            "--table", metavar="NAME", help="With a database URL as INPUT: the customers' table."
        ),
        click.option(
            "--query", metavar="SQL", help="With a database URL as INPUT: a SELECT of them."
        ),
        click.option(
            "--to-table",
            metavar="NAME",
            help=f"Also write {rows} to this table of the input database (or --to-db), "
            "in one transaction.",
        ),
        click.option("--to-db", metavar="URL", help="With --to-table: the database written to."),
        click.option(
            "--if-exists",
            type=click.Choice(["fail", "replace", "append"]),
            help="With --to-table, when the table exists: fail (default), replace or append.",
        ),
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def refuse_lonely_if_exists(if_exists: str | None, to_table: str | None) -> None:
    """Refuse ``--if-exists`` without a table to write (it would be silently ignored)."""
    if if_exists is not None and to_table is None:
        from segmentkit.errors import ConfigError

        raise ConfigError("--if-exists needs --to-table NAME", hint="add --to-table NAME")
