"""High-level functions: one call from a file to a finished output folder."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from segmentkit.config import Config
from segmentkit.errors import DataError
from segmentkit.export import save_run
from segmentkit.io import read_table
from segmentkit.pipeline import SegmentationRun, run_segmentation

__all__ = ["segment_file"]

logger = logging.getLogger(__name__)


class _LogSource(Protocol):
    def text(self) -> str: ...


def segment_file(
    path: str | Path,
    config: Config | None = None,
    out_dir: str | Path = "segmentation-output",
    *,
    log_handler: _LogSource | None = None,
) -> tuple[SegmentationRun, Path]:
    """Read a customer table, segment it and write every output file.

    Parameters
    ----------
    path : str or Path
        CSV, TSV, Parquet or Excel file with one row per customer.
    config : Config, optional
        The configuration (defaults when omitted).
    out_dir : str or Path
        Output folder, replaced atomically.
    log_handler : object with ``text()``, optional
        Source of the run's log, written as ``run.log``.

    Returns
    -------
    run : SegmentationRun
    out_dir : Path
    """
    config = config or Config()
    out_path = Path(out_dir)
    if out_path.exists() and not out_path.is_dir():
        # Fail before the work, not after it.
        raise DataError(f"--out {out_path} is an existing file; choose a folder path")
    table = read_table(path, encoding=config.input.encoding, sheet=config.input.sheet)
    source: dict[str, Any] = {
        "path": str(path),
        "format": table.format,
        "sha256": table.sha256,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "decimal": table.decimal,
        "rows": len(table.frame),
        "columns": len(table.frame.columns),
        "read_notes": list(table.warnings),
    }
    run = run_segmentation(table.frame, config, source=source)
    out = save_run(run, out_dir, log_text=log_handler.text() if log_handler else None)
    return run, out
