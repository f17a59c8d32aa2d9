"""The output folder: spreadsheet-safe writers, atomic writes and one reader of a finished run."""

from __future__ import annotations

from segmentkit.output.folder import OutputFolder
from segmentkit.output.write import (
    read_output_csv,
    read_run_summary,
    replace_csv_cells,
    write_csv,
    write_json,
)

__all__ = [
    "OutputFolder",
    "read_output_csv",
    "read_run_summary",
    "replace_csv_cells",
    "write_csv",
    "write_json",
]
