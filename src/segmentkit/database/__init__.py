"""Databases: read the customers from a table or a query, write the segments back.

SQLAlchemy names and connects to every database (:mod:`.connection`); pandas fetches and
inserts the rows (:mod:`.read`, :mod:`.write`). PostgreSQL and DuckDB are first-class
(``pip install 'segmentkit[postgres]'`` / ``'segmentkit[duckdb]'``); SQLite needs nothing
more; any other SQLAlchemy dialect should work.
"""

from segmentkit.database.connection import URL_ENV, is_database_url, shown_url
from segmentkit.database.read import DatabaseTable, read_database
from segmentkit.database.write import segment_rows, write_segments_table

__all__ = [
    "URL_ENV",
    "DatabaseTable",
    "is_database_url",
    "read_database",
    "segment_rows",
    "shown_url",
    "write_segments_table",
]
