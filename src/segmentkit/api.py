"""High-level functions: one call from a file to a finished output folder."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from segmentkit.atomic import atomic_file, check_output_dir, clean_leftovers
from segmentkit.config import Config
from segmentkit.errors import DataError
from segmentkit.export import save_run
from segmentkit.features.rfm import RFM_FEATURES, CustomerTable, customers_from_transactions
from segmentkit.identity import load_previous
from segmentkit.io import read_table
from segmentkit.model import SegmentationModel
from segmentkit.output import write_csv
from segmentkit.pipeline import SegmentationRun, run_segmentation
from segmentkit.progress import RunProgress, run_stages

__all__ = ["LogSource", "rfm_file", "score_file", "segment_file", "transaction_config"]

logger = logging.getLogger(__name__)


class LogSource(Protocol):
    """Where a run's log comes from (the CLI's buffering handler)."""

    def text(self) -> str:
        """Return the whole log so far, written as ``run.log``."""
        ...


def segment_file(
    path: str | Path,
    config: Config | None = None,
    out_dir: str | Path = "segmentation-output",
    *,
    log_handler: LogSource | None = None,
    previous: str | Path | None = None,
    transactions: bool = False,
    progress_bar: bool = False,
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
    transactions : bool
        ``path`` is a transaction log: build the customer table first (RFM features, see
        :func:`segmentkit.features.rfm.customers_from_transactions`).
    progress_bar : bool
        Draw a progress bar per stage on stderr (for terminals); otherwise each stage
        ends with one log line (elapsed time and an estimate of what remains).

    Returns
    -------
    run : SegmentationRun
    out_dir : Path
    """
    config = config or Config()
    out_path = Path(out_dir)
    check_output_dir(out_path)  # before the work, not after it
    # Before the work: put back an output an interrupted run left moved aside, so that it
    # is in place even if this run fails too, and drop that run's half-written files.
    clean_leftovers(out_path.resolve())
    earlier = load_previous(previous) if previous is not None else None
    stages = run_stages(config.clustering.methods)
    if transactions:
        stages.insert(1, "transactions")
    with RunProgress(stages, bar=progress_bar) as progress:
        with progress.stage("read"):
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
        frame = table.frame
        if transactions:
            with progress.stage("transactions"):
                customers = customers_from_transactions(frame, config.transactions)
            frame = customers.table
            source["transactions"] = customers.describe()
            config = transaction_config(config, customers)
        run = run_segmentation(frame, config, source=source, previous=earlier, progress=progress)
        with progress.stage("write"):
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


def transaction_config(config: Config, customers: CustomerTable) -> Config:
    """Point the segmentation at a customer table built from transactions.

    The id is the log's customer column; unless the configuration names features, the
    segments are built on recency, frequency, monetary value and average order value.
    """
    overrides: dict[str, Any] = {"input.id_column": customers.columns.customer}
    if config.input.features is None:
        overrides["input.features"] = list(RFM_FEATURES)
    return config.with_overrides(overrides)


def rfm_file(
    input_path: str | Path,
    out_path: str | Path,
    config: Config | None = None,
) -> CustomerTable:
    """Read a transaction log and write one row per customer (RFM features) as CSV.

    Parameters
    ----------
    input_path : str or Path
        The transaction log (CSV, TSV, Parquet or Excel).
    out_path : str or Path
        The customer table, written atomically.
    config : Config, optional
        ``transactions`` settings (columns, snapshot date ...) and the input encoding.

    Returns
    -------
    CustomerTable
    """
    config = config or Config()
    out = Path(out_path)
    if out.is_dir():
        raise DataError(f"--out {out} is a folder; give a file name such as customers.csv")
    table = read_table(input_path, encoding=config.input.encoding, sheet=config.input.sheet)
    customers = customers_from_transactions(table.frame, config.transactions)
    with atomic_file(out) as tmp:
        write_csv(customers.table, tmp)
    return customers
