"""Write the segments back into a database table, in one transaction.

One row per customer: the id, ``segment``, ``segment_name``, every method's segment,
the confidences, ``is_outlier``, then ``run_id`` and ``segmented_at`` (UTC). With
``replace`` the old rows are deleted and the new ones inserted when the table has the
same columns (its views, grants and indexes stay), and otherwise the rows go into a
staging table that replaces the old one (drop, rename, index); either way inside one
transaction, so a failure, or a kill at any moment, leaves the previous contents exactly
as they were; ``append`` inserts into the existing table in one
transaction; ``fail`` (the default) refuses to touch an existing table. Every table and
column name is quoted by the dialect: a hostile column name is data, not SQL.

PostgreSQL receives the rows with ``COPY`` (psycopg) and DuckDB reads them from the
frame itself (``INSERT ... SELECT``), both many times faster than row-by-row ``INSERT``;
other databases through pandas' ``to_sql``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from segmentkit.database.connection import connect, database_errors, shown_url
from segmentkit.database.read import split_name
from segmentkit.errors import DataError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, CursorResult

__all__ = ["IfExists", "RulesView", "check_target", "segment_rows", "write_segments_table"]

logger = logging.getLogger(__name__)

IfExists = Literal["fail", "replace", "append"]
#: Prefix of the staging table a replace writes first; with a digest of the target's name
#: it stays within every database's identifier length (PostgreSQL: 63).
STAGING_PREFIX = "segmentkit_staging_"
_INSERT_ROWS = 10_000


def segment_rows(table: pd.DataFrame, *, run_id: str, segmented_at: pd.Timestamp) -> pd.DataFrame:
    """Return the rows written to the database from a segments or scored table.

    The id (first column) and every column from ``segment`` on (the method columns,
    confidences, ``is_outlier``), then ``run_id`` and ``segmented_at``.
    """
    columns = list(table.columns)
    start = columns.index("segment")
    rows = table[[columns[0], *columns[start:]]].copy()
    rows[columns[0]] = rows[columns[0]].astype("string").astype(object)
    rows["run_id"] = run_id
    rows["segmented_at"] = segmented_at
    return rows


@dataclass(frozen=True)
class RulesView:
    """A view applying ``segment_rules.sql`` to the source table, created with the table.

    Attributes
    ----------
    name : str
        The view (or ``schema.view``).
    rules_sql : str
        The contents of ``segment_rules.sql``.
    table, query : str or None
        The customers the view reads: the input table, or the input query.
    """

    name: str
    rules_sql: str
    table: str | None
    query: str | None

    def select(self, connection: Connection) -> str:
        """Return the view's ``SELECT``: the rules over the source, quoted by the dialect."""
        from segmentkit.describe.rules.sql import TABLE

        body = self.rules_sql[self.rules_sql.index("\nSELECT\n") + 1 :]
        head, _ = body.rsplit(f"FROM {TABLE};", 1)
        if self.table is not None:
            source = _quoted(connection, *split_name(self.table))
        else:
            # On lines of its own: a query may end in a -- comment.
            source = f"(\n{(self.query or '').strip().rstrip(';')}\n)"
        return f"{head}FROM {source} AS {TABLE}"


def _view_exists(connection: Connection, schema: str | None, name: str) -> bool:
    from sqlalchemy import inspect

    return name in inspect(connection).get_view_names(schema=schema)


def _create_view(connection: Connection, view: RulesView, if_exists: IfExists) -> None:
    from sqlalchemy import text

    schema, name = split_name(view.name)
    quoted = _quoted(connection, schema, name)
    if _view_exists(connection, schema, name):
        if if_exists == "fail":
            raise _exists_error(str(connection.engine.url), view.name, "view")
        connection.execute(text(f"DROP VIEW {quoted}"))
    connection.execute(text(f"CREATE VIEW {quoted} AS {view.select(connection)}"))


def _columns(connection: Connection, schema: str | None, name: str) -> list[str]:
    from sqlalchemy import literal_column, select
    from sqlalchemy import table as table_clause

    result: CursorResult[Any] = connection.execute(
        select(literal_column("*")).select_from(table_clause(name, schema=schema)).limit(0)
    )
    return [str(key) for key in result.keys()]  # noqa: SIM118 - a Result, not a dict


def _check_same_columns(url: str, name: str, existing: list[str], rows: pd.DataFrame) -> None:
    """Refuse to append rows whose columns are not the table's (other methods, another id)."""
    new = [str(c) for c in rows.columns]
    if set(existing) == set(new):
        return
    missing = [c for c in new if c not in existing]
    extra = [c for c in existing if c not in new]
    differences = [
        f"the table lacks {', '.join(missing)}" if missing else "",
        f"these segments lack {', '.join(extra)}" if extra else "",
    ]
    raise DataError(
        f"cannot append to table {name} in {shown_url(url)}: "
        + "; ".join(d for d in differences if d),
        hint="append runs with the same id column and methods, or use --if-exists replace",
    )


def _empty(connection: Connection, schema: str | None, name: str) -> None:
    from sqlalchemy import text

    # TRUNCATE is transactional in PostgreSQL and much quicker than DELETE there.
    verb = "TRUNCATE TABLE" if connection.dialect.name == "postgresql" else "DELETE FROM"
    connection.execute(text(f"{verb} {_quoted(connection, schema, name)}"))


def _exists(connection: Connection, schema: str | None, name: str) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(connection).has_table(name, schema=schema))


def check_target(
    url: str,
    name: str,
    if_exists: IfExists,
    view: str | None = None,
    methods: list[str] | None = None,
) -> None:
    """Fail before the work, not after it: the server answers, and ``fail`` has no table.

    Raises
    ------
    DataError
        When the database cannot be reached, or the table (or the view) exists and
        ``if_exists`` is ``"fail"``.
    """
    schema, table = split_name(name)
    engine = connect(url)
    try:
        with database_errors(url, f"checking table {name}"), engine.connect() as connection:
            table_is_view = _view_exists(connection, schema, table)
            exists = _exists(connection, schema, table)
            appending = exists and if_exists == "append" and not table_is_view
            columns = _columns(connection, schema, table) if appending else []
            view_exists = view is not None and _view_exists(connection, *split_name(view))
            view_is_table = (
                view is not None and not view_exists and _exists(connection, *split_name(view))
            )
    finally:
        engine.dispose()
    if table_is_view:
        raise DataError(f"--to-table {name} is a view in {shown_url(url)}; name a table")
    if view_is_table:
        raise DataError(f"--rules-view {view} is a table in {shown_url(url)}; name a view")
    if exists and if_exists == "fail":
        raise _exists_error(url, name)
    lacking = [f"segment_{m}" for m in methods or [] if f"segment_{m}" not in columns]
    if exists and if_exists == "append" and lacking:
        raise DataError(
            f"cannot append to table {name} in {shown_url(url)}: it lacks {', '.join(lacking)}",
            hint="append runs with the same methods, or use --if-exists replace",
        )
    if view_exists and if_exists == "fail":
        raise _exists_error(url, str(view), "view")


def _exists_error(url: str, name: str, kind: str = "table") -> DataError:
    if kind == "view":
        return DataError(
            f"view {name} already exists in {shown_url(url)}",
            hint="add --if-exists replace (or append) to replace it",
        )
    return DataError(
        f"table {name} already exists in {shown_url(url)}",
        hint="add --if-exists replace (swap in the new rows) or --if-exists append",
    )


def _quoted(connection: Connection, schema: str | None, name: str) -> str:
    prepare = connection.dialect.identifier_preparer
    return (prepare.quote_schema(schema) + "." if schema else "") + prepare.quote(name)


def _copy_rows(table: Any, connection: Any, keys: list[str], rows: Iterable[Any]) -> int:
    """Pandas ``to_sql`` method: PostgreSQL's ``COPY ... FROM STDIN`` through psycopg."""
    prepare = connection.dialect.identifier_preparer
    target = _quoted(connection, table.schema, table.name)
    columns = ", ".join(prepare.quote(k) for k in keys)
    count = 0
    cursor = connection.connection.cursor()
    with cursor, cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _insert_duckdb(rows: pd.DataFrame, connection: Connection, target: str) -> None:
    """DuckDB reads the frame itself (one ``INSERT ... SELECT``): 20 times faster than rows."""
    from sqlalchemy import text

    raw = connection.connection.driver_connection
    # DuckDB refuses to register while an earlier result (a catalog lookup) is unread.
    connection.execute(text("SELECT 1")).fetchall()
    view = "segmentkit_rows_" + hashlib.sha256(target.encode()).hexdigest()[:12]
    raw.register(view, rows)  # type: ignore[union-attr]
    try:
        # The target is quoted by the dialect; the view name is hex digits.
        connection.execute(text(f"INSERT INTO {target} SELECT * FROM {view}"))  # noqa: S608
    finally:
        raw.unregister(view)  # type: ignore[union-attr]


def _insert(
    rows: pd.DataFrame, connection: Connection, schema: str | None, name: str, mode: str
) -> None:
    if connection.dialect.name == "duckdb":
        # The new table (and its types) from pandas, the rows straight from the frame.
        if mode != "append":
            rows.head(0).to_sql(name, connection, schema=schema, index=False)
        _insert_duckdb(rows, connection, _quoted(connection, schema, name))
        return
    copy = connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"
    rows.to_sql(
        name,
        connection,
        schema=schema,
        if_exists=mode,  # type: ignore[arg-type]
        index=False,
        chunksize=None if copy else _INSERT_ROWS,
        method=_copy_rows if copy else None,
    )


def _index_name(table: str, column: str) -> str:
    name = f"ix_{table}_{column}"
    if len(name) <= 60 and name.isidentifier():
        return name
    # Long or unusual names: short, stable and unique to the table and column.
    return "ix_segmentkit_" + hashlib.sha256(f"{table}\0{column}".encode()).hexdigest()[:16]


def _create_index(connection: Connection, schema: str | None, name: str, column: str) -> None:
    from sqlalchemy import Column, Index, MetaData, Table, Text

    table = Table(name, MetaData(), Column(column, Text), schema=schema)
    Index(_index_name(name, column), table.c[column]).create(connection)


def write_segments_table(
    url: str,
    name: str,
    rows: pd.DataFrame,
    *,
    if_exists: IfExists = "fail",
    view: RulesView | None = None,
) -> int:
    """Write ``rows`` (from :func:`segment_rows`) to table ``name``, all or nothing.

    Parameters
    ----------
    url : str
        SQLAlchemy database URL.
    name : str
        ``table`` or ``schema.table``.
    rows : pandas.DataFrame
        The rows; the first column is the customer id, indexed in a new table.
    if_exists : {"fail", "replace", "append"}
        What to do when the table exists (and the view, which is replaced unless
        ``"fail"``).
    view : RulesView, optional
        Also create a view applying the segment rules to the source table, in the same
        transaction.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    DataError
        When the table exists under ``"fail"``, the server cannot be reached or the
        database refuses the rows (an appended table with other columns); the table is
        then as it was.
    """
    from sqlalchemy import text

    schema, table = split_name(name)
    staging = STAGING_PREFIX + hashlib.sha256(name.encode()).hexdigest()[:16]
    engine = connect(url)
    try:
        with database_errors(url, f"writing table {name}"), engine.begin() as connection:
            exists = _exists(connection, schema, table)
            if exists and if_exists == "fail":
                raise _exists_error(url, name)
            if exists and if_exists == "append":
                _check_same_columns(url, name, _columns(connection, schema, table), rows)
                _insert(rows, connection, schema, table, "append")
            elif exists and _columns(connection, schema, table) == [str(c) for c in rows.columns]:
                # Same columns: the rows are swapped inside the table, so its views, grants
                # and indexes stay; readers still see the old rows until the commit.
                _empty(connection, schema, table)
                _insert(rows, connection, schema, table, "append")
            else:
                # Built aside and swapped in by the same transaction: readers see the old
                # rows until the commit, the new ones after it, never a half-written table.
                if _exists(connection, schema, staging):
                    connection.execute(text(f"DROP TABLE {_quoted(connection, schema, staging)}"))
                _insert(rows, connection, schema, staging, "fail")
                if exists:
                    connection.execute(text(f"DROP TABLE {_quoted(connection, schema, table)}"))
                prepare = connection.dialect.identifier_preparer
                connection.execute(
                    text(
                        f"ALTER TABLE {_quoted(connection, schema, staging)} "
                        f"RENAME TO {prepare.quote(table)}"
                    )
                )
                _create_index(connection, schema, table, str(rows.columns[0]))
            if view is not None:
                _create_view(connection, view, if_exists)
    finally:
        engine.dispose()
    logger.info(
        "Wrote %s rows to table %s in %s (%s)",
        f"{len(rows):,}",
        name,
        shown_url(url),
        "appended" if exists and if_exists == "append" else "replaced" if exists else "created",
    )
    return len(rows)
