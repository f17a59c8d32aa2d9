"""Reading customer tables: encodings, dialects, header repair, CSV, Parquet and Excel.

:func:`read_table` is the entry point (:mod:`segmentkit.sources.read`); the steps it takes
live in :mod:`~segmentkit.sources.decode`, :mod:`~segmentkit.sources.dialect`,
:mod:`~segmentkit.sources.table_layout`, :mod:`~segmentkit.sources.text_table`,
:mod:`~segmentkit.sources.repair` and :mod:`~segmentkit.sources.formats`.
"""

from __future__ import annotations

from segmentkit.sources.read import (
    TableRead,
    atomic_output_dir,
    file_sha256,
    read_table,
    write_csv,
    write_json,
)

__all__ = [
    "TableRead",
    "atomic_output_dir",
    "file_sha256",
    "read_table",
    "write_csv",
    "write_json",
]
