"""High-level functions: one call from a file to a finished output folder."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from segmentkit.config import Config
from segmentkit.errors import DataError
from segmentkit.export import save_run
from segmentkit.identity import load_previous
from segmentkit.io import read_table
from segmentkit.model import SegmentationModel
from segmentkit.output import atomic_file, write_csv
from segmentkit.pipeline import SegmentationRun, run_segmentation

__all__ = ["score_file", "segment_file"]

logger = logging.getLogger(__name__)


class _LogSource(Protocol):
    def text(self) -> str: ...


def segment_file(
    path: str | Path,
    config: Config | None = None,
    out_dir: str | Path = "segmentation-output",
    *,
    log_handler: _LogSource | None = None,
    previous: str | Path | None = None,
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
    previous : str or Path, optional
        An earlier output folder: matching segments keep its numbers and names, and
        ``segment_migration.csv`` counts the customers who moved.

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
    earlier = load_previous(previous) if previous is not None else None
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
    run = run_segmentation(table.frame, config, source=source, previous=earlier)
    out = save_run(run, out_dir, log_text=log_handler.text() if log_handler else None)
    return run, out


def score_file(
    model_path: str | Path,
    input_path: str | Path,
    out_path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> tuple[pd.DataFrame, SegmentationModel]:
    """Score the customers in a file with a saved model and write the scored CSV.

    Parameters
    ----------
    model_path : str or Path
        A ``model.skops`` written by a run.
    input_path : str or Path
        CSV, TSV, Parquet or Excel file of new customers.
    out_path : str or Path
        The scored CSV, written atomically.
    encoding, sheet : optional
        As for :func:`segmentkit.io.read_table`.

    Returns
    -------
    scored : pandas.DataFrame
    model : SegmentationModel
    """
    out = Path(out_path)
    if out.is_dir():
        raise DataError(f"--out {out} is a folder; give a file name such as scored.csv")
    model = SegmentationModel.load(model_path)
    table = read_table(input_path, encoding=encoding, sheet=sheet)
    scored = model.score(table.frame)
    with atomic_file(out) as tmp:
        write_csv(scored, tmp)
    return scored, model
