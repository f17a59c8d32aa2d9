"""High-level functions: one call from a file to a finished output folder."""

from __future__ import annotations

import datetime as dt
import logging
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from segmentkit.config import Config, TransactionsConfig
from segmentkit.describe.identity import PreviousRun, load_previous
from segmentkit.errors import ConfigError, DataError
from segmentkit.output.atomic import atomic_file, check_output_dir, clean_leftovers
from segmentkit.output.write import write_csv
from segmentkit.pipeline import SegmentationRun, run_segmentation
from segmentkit.progress import RunProgress, run_stages
from segmentkit.resources import effective_jobs
from segmentkit.sources.read import read_table
from segmentkit.transactions.rfm import (
    RFM_EXTRAS,
    RFM_FEATURES,
    RFM_SCORES,
    CustomerTable,
    customers_from_transactions,
    infer_transaction_columns,
    transaction_log_reason,
)
from segmentkit.workers import worker_processes

if TYPE_CHECKING:
    from segmentkit.backends.base import RowBackend
    from segmentkit.database.write import IfExists
    from segmentkit.scoring.model import SegmentationModel

__all__ = [
    "LogSource",
    "rfm_file",
    "score_file",
    "segment_file",
    "segment_frame",
    "transaction_config",
]

logger = logging.getLogger(__name__)


class LogSource(Protocol):
    """Where a run's log comes from (the CLI's buffering handler)."""

    def text(self) -> str:
        """Return the whole log so far, written as ``run.log``."""
        ...


def segment_file(
    path: str | Path | None,
    config: Config | None = None,
    out_dir: str | Path = "segmentation-output",
    *,
    log_handler: LogSource | None = None,
    previous: str | Path | None = None,
    transactions: bool = False,
    progress_bar: bool = False,
    figures: bool = True,
    to_db: str | None = None,
) -> tuple[SegmentationRun, Path]:
    """Read a customer table, segment it and write every output file.

    Parameters
    ----------
    path : str or Path or None
        CSV, TSV, Parquet or Excel file with one row per customer, or a database URL
        (``postgresql://user@host/db``, ``sqlite:///shop.db``, ``duckdb:///shop.duckdb``)
        with ``config.input.table`` or ``config.input.query``; ``None`` reads the URL
        from the environment (``SEGMENTKIT_DATABASE_URL`` or ``input.url_env``).
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
        :func:`segmentkit.transactions.rfm.customers_from_transactions`). Without it, a file
        that reads as a log (:func:`segmentkit.transactions.rfm.transaction_log_reason`) is
        refused unless the id column is named.
    progress_bar : bool
        Draw a progress bar per stage on stderr (for terminals); otherwise each stage
        ends with one log line (elapsed time and an estimate of what remains).
    figures : bool
        Draw the PNGs and ``report.html``; false skips them for quick iterations (see
        :func:`segmentkit.output.export.save_run`).
    to_db : str, optional
        With ``config.output.table``: the database URL the segments are written to
        (default: the input database).

    Returns
    -------
    run : SegmentationRun
    out_dir : Path
    """
    config = config or Config()
    out_path = Path(out_dir)
    check_output_dir(out_path)  # before the work, not after it
    from segmentkit.database.run_io import plan_write_back, resolve_input, write_run_rows

    source_url, name = resolve_input(
        path, config.input.table, config.input.query, config.input.url_env
    )
    # Before the work: a table the run may not replace, or a server that does not answer.
    target = plan_write_back(
        config.output.table,
        config.output.if_exists,
        source_url,
        to_db,
        view=config.output.rules_view,
        source_table=config.input.table,
        methods=list(config.clustering.methods),
    )
    # Before the work: put back an output an interrupted run left moved aside, so that it
    # is in place even if this run fails too, and drop that run's half-written files.
    clean_leftovers(out_path.resolve())
    earlier = load_previous(previous) if previous is not None else None
    stages = run_stages(config.clustering.methods)
    if transactions:
        stages.insert(1, "transactions")
    with RunProgress(stages, bar=progress_bar) as progress:
        progress.plan(processes=worker_processes(effective_jobs(config.n_jobs)), figures=figures)
        with progress.stage("read"):
            frame, source = _read_input(name, source_url, config)
            # Known before the stage's line: its estimate of what is left depends on it.
            progress.rows = len(frame)
        if config.output.rules_view is not None:
            from segmentkit.database.run_io import refuse_clashing_columns

            refuse_clashing_columns(frame)
        if not transactions:
            _refuse_a_transaction_log(frame, config, name)
        if transactions:
            with progress.stage("transactions"):
                customers = customers_from_transactions(frame, config.transactions)
                # From here on the stages work on customers, not on lines of the log.
                progress.rows = len(customers.table)
            frame = customers.table
            source["transactions"] = customers.describe()
            config = transaction_config(config, customers)
        run, out = segment_frame(
            frame,
            config,
            out_dir,
            source=source,
            progress=progress,
            previous=earlier,
            log_handler=log_handler,
            figures=figures,
            # The table is written from the complete folder before it is swapped in: a
            # failure leaves neither (the previous folder and table stay).
            before_swap=None
            if target is None
            else lambda run, folder: write_run_rows(run, folder, *target, config=config),
        )
    return run, out


def _read_input(
    path: str | Path, url: str | None, config: Config
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read the customers from the file or the database; return them and run.json's input."""
    if url is not None:
        from segmentkit.database.read import describe_source, read_database

        read = read_database(url, table=config.input.table, query=config.input.query)
        return read.frame, describe_source(url, read, config.input.table, config.input.query)
    table = read_table(
        path,
        encoding=config.input.encoding,
        sheet=config.input.sheet,
        delimiter=config.input.delimiter,
    )
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
    return table.frame, source


def segment_frame(
    frame: pd.DataFrame,
    config: Config,
    out_dir: str | Path,
    *,
    source: dict[str, Any],
    progress: RunProgress,
    previous: PreviousRun | None = None,
    rows: RowBackend | None = None,
    log_handler: LogSource | None = None,
    figures: bool = True,
    before_swap: Callable[[SegmentationRun, Path], None] | None = None,
) -> tuple[SegmentationRun, Path]:
    """Segment a customer table already read and write its output folder: the one orchestration.

    Both backends end here once they have read their input: every stage runs once
    (:func:`~segmentkit.pipeline.run_segmentation`), then every file is written once
    (:func:`~segmentkit.output.export.save_run`), ``run.json`` and the report included.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer: every input row (local backend) or a sample of them.
    config : Config
        The configuration.
    out_dir : str or Path
        Output folder, replaced atomically.
    source : dict
        Facts about the input, recorded in ``run.json`` → ``input``.
    progress : RunProgress
        Times the stages; the ``write`` stage is timed here.
    previous : PreviousRun, optional
        An earlier run whose segment numbers and names carry over.
    rows : RowBackend, optional
        How a backend fits and assigns the input rows beyond ``frame`` (the Dask
        backend); default: ``frame`` holds every row.
    log_handler : object with ``text()``, optional
        Source of the run's log, written as ``run.log``.
    figures : bool
        Draw the PNGs and ``report.html``.
    before_swap : callable, optional
        Called with the run and the complete temporary folder before it replaces
        ``out_dir`` (see :func:`~segmentkit.output.export.save_run`).

    Returns
    -------
    run : SegmentationRun
    out_dir : Path
    """
    # Imported here: the writer brings the figure and report modules, which `score` and
    # `rfm` never use.
    from segmentkit.output.export import save_run
    from segmentkit.plots.drawing import FigureWorkers, figure_processes

    # Started before segmenting, within the run's n_jobs budget: the methods run side by
    # side in them, then the figures are drawn in them.
    processes = figure_processes(effective_jobs(config.n_jobs))
    with FigureWorkers(processes, figures=figures) as workers:
        run = run_segmentation(
            frame,
            config,
            source=source,
            previous=previous,
            progress=progress,
            rows=rows,
            workers=workers,
        )
        with progress.stage("write"):
            out = save_run(
                run,
                out_dir,
                log_text=log_handler.text if log_handler else None,
                figures=figures,
                rows=rows,
                figure_workers=workers,
                before_swap=before_swap,
            )
    return run, out


def _refuse_a_transaction_log(frame: pd.DataFrame, config: Config, path: str | Path) -> None:
    """Stop before segmenting the lines of a transaction log as if they were customers.

    Naming the id column (``input.id_column``, ``--id-column``, or an ``id`` in
    ``input.roles``) says what a row is, and turns the check off.
    """
    if config.input.id_column is not None or "id" in config.input.roles.values():
        return
    reason = transaction_log_reason(frame, config.transactions)
    if reason is None:
        return
    quoted = shlex.quote(str(path))
    raise ConfigError(
        f"{path} looks like a transaction log, not a customer table: {reason}",
        hint=f"segment its customers with `segmentkit run {quoted} --transactions`, or build "
        f"the customer table first with `segmentkit rfm {quoted} --out customers.csv`; if "
        "each row really is one customer, name the id column with --id-column",
    )


def score_file(
    model_path: str | Path,
    input_path: str | Path | None,
    out_path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    delimiter: str | None = None,
    snapshot_date: str | None = None,
    table: str | None = None,
    query: str | None = None,
    to_table: str | None = None,
    to_db: str | None = None,
    if_exists: IfExists = "fail",
) -> tuple[pd.DataFrame, SegmentationModel]:
    """Score the customers in a file with a saved model and write the scored CSV.

    A model trained on a transaction log (``run --transactions``) also scores a raw log:
    when the file lacks the model's features but has the log columns the training run
    used, it goes through the same RFM step first (one scored row per customer, in
    customer-id order). Recency is measured at the training run's
    ``transactions.snapshot_date`` when it set one, else on the day after the last
    transaction of this log — or at ``snapshot_date``.

    Parameters
    ----------
    model_path : str or Path
        A ``model.skops`` written by a run.
    input_path : str or Path
        CSV, TSV, Parquet or Excel file of new customers (or, see above, a transaction log).
    out_path : str or Path
        The scored CSV, written atomically.
    encoding, sheet, delimiter : optional
        As for :func:`segmentkit.sources.read.read_table`.
    snapshot_date : str, optional
        ``YYYY-MM-DD``: the date recency is measured at when the input is a transaction log.
    table, query : str, optional
        With a database URL as ``input_path`` (or ``None``: ``SEGMENTKIT_DATABASE_URL``):
        the new customers' table or ``SELECT``.
    to_table, to_db, if_exists : optional
        Also write the scored rows to this table of the input database (or ``to_db``), in
        one transaction (see :func:`segment_file`); ``run_id`` is the first 16 hex of the
        scored CSV's SHA-256.

    Returns
    -------
    scored : pandas.DataFrame
    model : SegmentationModel

    Raises
    ------
    DataError
        When the file lacks columns the model needs; for a transaction log and a model
        trained on a customer table, the message says to run ``segmentkit rfm`` first.
    """
    from segmentkit.scoring.model import SegmentationModel

    out = Path(out_path)
    if out.is_dir():
        raise DataError(f"--out {out} is a folder; give a file name such as scored.csv")
    if snapshot_date is not None:
        try:
            dt.date.fromisoformat(snapshot_date)
        except ValueError:
            raise ConfigError(
                f"--snapshot-date must be a date written YYYY-MM-DD, got {snapshot_date!r}"
            ) from None
    from segmentkit.database.run_io import plan_write_back, resolve_input, write_rows

    source_url, name = resolve_input(input_path, table, query)
    target = plan_write_back(to_table, if_exists, source_url, to_db, source_table=table)
    model = SegmentationModel.load(model_path)
    if source_url is not None:
        from segmentkit.database import read_database

        given = read_database(source_url, table=table, query=query).frame
    else:
        given = read_table(name, encoding=encoding, sheet=sheet, delimiter=delimiter).frame
    frame = _customers_to_score(model, given, name, snapshot_date)
    scored = model.score(frame)
    with atomic_file(out) as tmp:
        write_csv(scored, tmp)
    if target is not None:
        write_rows(scored, out, *target, if_exists=if_exists)
    return scored, model


def _customers_to_score(
    model: SegmentationModel, frame: pd.DataFrame, path: str | Path, snapshot_date: str | None
) -> pd.DataFrame:
    """Return the customer table to score: ``frame``, or the customers of a transaction log."""
    missing = model.missing_features(frame)
    log_columns = [
        str(v) for k, v in (model.transactions or {}).items() if k.endswith("_column") and v
    ]
    present = {str(c).strip() for c in frame.columns}
    if missing and model.transactions is not None and set(log_columns) <= present:
        settings = model.transaction_settings(snapshot_date)
        stripped = frame.rename(columns=lambda c: str(c).strip())
        customers = customers_from_transactions(stripped, settings)
        rule = (
            "as set"
            if snapshot_date is not None or settings.snapshot_date is not None
            else "the day after the log's last transaction"
        )
        logger.info(
            "%s is a transaction log: scoring its %s customers on their RFM features "
            "(snapshot %s, %s, as in the training run)",
            path,
            f"{len(customers.table):,}",
            customers.snapshot.date(),
            rule,
        )
        return customers.table
    if snapshot_date is not None:
        logger.warning("--snapshot-date ignored: %s is a customer table, not a log", path)
    if missing and _looks_like_a_log(frame, missing):
        raise DataError(
            f"{path} looks like a transaction log, but the model was trained on a customer "
            f"table and needs {', '.join(repr(c) for c in missing)}",
            hint=f"turn the log into customers first, with the training run's settings: "
            f"segmentkit rfm {path} --out customers.csv, then score customers.csv",
        )
    return frame


def _looks_like_a_log(frame: pd.DataFrame, missing: list[str]) -> bool:
    """Whether the missing columns are RFM ones and ``frame`` has a log's columns."""
    rfm_columns = {*RFM_FEATURES, *RFM_EXTRAS, *RFM_SCORES}
    if not all(c in rfm_columns or c.startswith("share_") for c in missing):
        return False
    try:
        infer_transaction_columns(frame, TransactionsConfig())
    except DataError:
        return False
    return True


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
    table = read_table(
        input_path,
        encoding=config.input.encoding,
        sheet=config.input.sheet,
        delimiter=config.input.delimiter,
    )
    customers = customers_from_transactions(table.frame, config.transactions)
    with atomic_file(out) as tmp:
        write_csv(customers.table, tmp)
    return customers
