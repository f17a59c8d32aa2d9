"""Read the customers from a database table or query, in chunks.

The rows are fetched with a server-side cursor where the driver has one
(``stream_results``), :data:`FETCH_ROWS` at a time, so the rows are never held both as
driver tuples and as a frame. The table is named through SQLAlchemy (``schema.table``
reflected and quoted by the dialect), never pasted into SQL text; a query is the user's
own SQL, sent as it is.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from segmentkit.database.connection import connect, database_errors, shown_url
from segmentkit.errors import ConfigError, DataError

if TYPE_CHECKING:
    from sqlalchemy import Select, TextClause
    from sqlalchemy.engine import Connection

__all__ = ["FETCH_ROWS", "DatabaseTable", "describe_source", "read_database", "split_name"]

logger = logging.getLogger(__name__)

#: Rows fetched at a time: 100,000 rows of 12 columns are about 10 MB as a frame.
FETCH_ROWS = 100_000


@dataclass(frozen=True)
class DatabaseTable:
    """Customers read from a database.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per customer, columns as the database named them.
    source : str
        What was read, as it may be shown: the URL with its password masked, and the
        table or ``(query)``.
    sha256 : str
        Hex SHA-256 of the rows as read (values and column names), so that ``run.json``
        tells whether two runs read the same data.
    """

    frame: pd.DataFrame
    source: str
    sha256: str


def split_name(name: str) -> tuple[str | None, str]:
    """Split ``schema.table`` into its parts (a name without a dot has no schema).

    Examples
    --------
    >>> split_name("crm.customers"), split_name("customers")
    (('crm', 'customers'), (None, 'customers'))
    """
    schema, dot, table = name.rpartition(".")
    if not table:
        raise ConfigError(f"table name {name!r} is empty" + (" after the dot" if dot else ""))
    return (schema if dot else None), table


def _selectable(
    connection: Connection, url: str, table: str | None, query: str | None
) -> TextClause | Select[Any]:
    from sqlalchemy import inspect, literal_column, select, text
    from sqlalchemy import table as table_clause

    if table is None:
        return text(query or "")
    schema, name = split_name(table)
    if "." in table and inspect(connection).has_table(table):
        schema, name = None, table  # a table whose own name has a dot: "sales.2024"
    elif not inspect(connection).has_table(name, schema=schema):
        raise DataError(
            f"table {table!r} not found in {shown_url(url)}",
            hint="check the name (and schema: schema.table) or give --query",
        )
    # SELECT * FROM the table as the dialect quotes its name: no reflection of the
    # columns (not every dialect reflects), and nothing of the name pasted into SQL.
    return select(literal_column("*")).select_from(table_clause(name, schema=schema))


def _rows_digest(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def read_database(url: str, *, table: str | None = None, query: str | None = None) -> DatabaseTable:
    """Read the customers of a table or a query.

    Parameters
    ----------
    url : str
        SQLAlchemy database URL.
    table : str, optional
        ``table`` or ``schema.table``.
    query : str, optional
        A ``SELECT`` whose rows are the customers (instead of ``table``).

    Returns
    -------
    DatabaseTable

    Raises
    ------
    ConfigError
        When neither or both of ``table`` and ``query`` are given, or the driver is
        missing.
    DataError
        When the server cannot be reached, the table does not exist, the query fails,
        or there are no rows.
    """
    if (table is None) == (query is None):
        raise ConfigError(
            "a database INPUT needs --table NAME or --query 'SELECT ...' (exactly one)",
            hint="or set input.table / input.query in the configuration",
        )
    shown = f"{shown_url(url)} " + (f"table {table}" if table is not None else "(query)")
    engine = connect(url)
    database = engine.url.database
    local_file = engine.dialect.name in ("sqlite", "duckdb") and database not in (
        None,
        "",
        ":memory:",
    )
    # Opening a missing file would create an empty database and report no table.
    if local_file and not Path(str(database)).is_file():
        engine.dispose()
        raise DataError(
            f"database file not found: {database}",
            hint="check the path (sqlite:////absolute/path.db has four slashes)",
        )
    chunks: list[pd.DataFrame] = []
    try:
        with database_errors(url, "reading the customers"), engine.connect() as connection:
            streaming = connection.execution_options(stream_results=True)
            statement = _selectable(connection, url, table, query)
            for chunk in pd.read_sql(statement, streaming, chunksize=FETCH_ROWS):
                chunks.append(chunk)
    finally:
        engine.dispose()
    if not chunks or not sum(len(c) for c in chunks):
        raise DataError(f"{shown} has no rows", hint="check the table or the query's WHERE")
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    # A chunk whose column was all NULL came back as objects: let the whole column decide.
    frame = frame.infer_objects()
    frame.columns = [str(c) for c in frame.columns]
    logger.info("Read %s rows × %d columns from %s", f"{len(frame):,}", frame.shape[1], shown)
    return DatabaseTable(frame, shown, _rows_digest(frame))


def describe_source(
    url: str, read: DatabaseTable, table: str | None, query: str | None
) -> dict[str, Any]:
    """Return ``run.json``'s ``input`` for a database: never the password."""
    return {
        "path": shown_url(url),
        "format": "database",
        "table": table,
        "query": query,
        "sha256": read.sha256,
        "rows": len(read.frame),
        "columns": len(read.frame.columns),
    }
