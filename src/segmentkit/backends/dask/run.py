"""The Dask backend: segment every customer of files larger than memory, on a cluster.

:func:`segment_with_dask` reads a folder, a glob or a file of CSV or Parquet as a Dask
DataFrame and:

1. counts rows and missing values over every row (one pass);
2. draws a seeded sample (``sample_size`` customers, all of them when fewer);
3. runs the one pipeline on the sample (:func:`~segmentkit.api.segment_frame`, as the
   local backend does), with this backend's work on every row plugged in
   (:class:`~segmentkit.backends.dask.rows.DaskRows`): once every method has segmented
   the sample, the cleaning statistics of every column over all rows and K-Means fitted
   on every row with dask-ml's k-means||; then the choice of method, importance and
   profiles, once;
4. writes, all or nothing: first every customer placed in a segment of every method,
   partition by partition, with the saved model's own rules
   (:meth:`~segmentkit.scoring.model.SegmentationModel.score`), into ``segments/``
   (Parquet, one file per partition); then the usual summaries, model, ``run.json``,
   figures and report, each written once.

Everything approximate is logged and listed in ``run.json`` → ``dask.notes``, and what
concerns one method also in that method's notes (shown in the report).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segmentkit.api import LogSource, segment_frame
from segmentkit.backends.dask.read import draw_sample, find_input, input_facts, read_input
from segmentkit.backends.dask.rows import KMEANS_STAGE, STATISTICS_STAGE, DaskRows
from segmentkit.config import Config
from segmentkit.errors import ConfigError, SegmentkitError
from segmentkit.output.atomic import check_output_dir
from segmentkit.output.folder import SEGMENTS_DIR
from segmentkit.pipeline import SegmentationRun, effective_jobs
from segmentkit.progress import RunProgress, run_stages
from segmentkit.workers import worker_processes

__all__ = ["SEGMENTS_DIR", "DaskRun", "segment_with_dask"]

logger = logging.getLogger(__name__)

_INSTALL = "pip install 'segmentkit[dask]'"


@dataclass(frozen=True)
class DaskRun:
    """A finished Dask-backend segmentation.

    Attributes
    ----------
    run : SegmentationRun
        The segmentation chosen on the sample, K-Means refitted on every row; its
        profiles carry ``population_size`` and ``population_share`` (every customer).
    out_dir : Path
        The output folder.
    n_customers : int
        Input rows, each with one row in ``segments/``.
    n_sample : int
        Customers in the sample the segmentation was chosen on.
    segment_sizes : dict
        Method to ``{segment: customers}`` over every row (outliers in their segment).
    statistics : dict
        The cleaning statistics over every row (``run.json`` → ``dask.statistics``).
    notes : tuple of str
        Every approximation made, as logged.
    """

    run: SegmentationRun
    out_dir: Path
    n_customers: int
    n_sample: int
    segment_sizes: dict[str, dict[int, int]]
    statistics: dict[str, Any]
    notes: tuple[str, ...]


def _require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import dask_ml.cluster  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as error:
        raise ConfigError(
            f"the Dask backend needs dask, distributed and dask-ml ({error.name} is missing)",
            hint=_INSTALL,
        ) from None


def _check_reachable(address: str, timeout: float) -> None:
    """Fail fast, in one line, on a malformed or unreachable scheduler address."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            raise ValueError(f"unknown scheme {scheme!r}")
        if scheme not in {"tcp", "tls"}:
            return  # in-process and other transports have no port to probe
        host, port = parse_host_port(location)
    except ValueError as error:
        raise ConfigError(
            f"--scheduler {address!r} is not a Dask scheduler address: {error}",
            hint="use tcp://HOST:PORT, for example tcp://10.0.0.5:8786",
        ) from None
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise SegmentkitError(
            f"cannot reach the Dask scheduler at {address}: {error.strerror or error}",
            hint="check the address and that `dask scheduler` runs there",
        ) from None


@contextmanager
def _cluster(scheduler: str | None, jobs: int, timeout: float) -> Iterator[dict[str, Any]]:
    """Connect to ``scheduler`` or start a local cluster; always close what was opened."""
    import dask
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if scheduler is None:
            # Processes, not threads: scoring a partition is mostly pandas work holding
            # the GIL (two threads scored two partitions no faster than one, measured).
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # never clash with a running dashboard
                    silence_logs=logging.ERROR,
                )
            )
            address = cluster.scheduler_address
        else:
            _check_reachable(scheduler, timeout)
            address = scheduler
        try:
            # Not the process-wide default client: only this run's computations use it.
            client = stack.enter_context(Client(address, timeout=timeout, set_as_default=False))
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as error:
            raise SegmentkitError(
                f"cannot use the Dask scheduler at {address}: {error}",
                hint="check that it runs and has workers (`dask worker ADDRESS`)",
            ) from None
        threads = client.nthreads()
        facts = {
            "scheduler": scheduler or "local cluster of worker processes",
            "workers": len(threads),
            "threads": sum(threads.values()),
        }
        logger.info("Dask: %(scheduler)s, %(workers)d worker(s), %(threads)d thread(s)", facts)
        with dask.config.set(scheduler=client):
            yield facts


# ---------------------------------------------------------------- the whole run


def segment_with_dask(
    source: str | Path,
    config: Config | None = None,
    out_dir: str | Path = "segmentation-output",
    *,
    scheduler: str | None = None,
    sample_size: int | None = None,
    log_handler: LogSource | None = None,
    connect_timeout: float = 5.0,
    progress_bar: bool = False,
    figures: bool = True,
) -> DaskRun:
    """Segment every customer of a folder, glob or file of CSV/Parquet with Dask.

    Parameters
    ----------
    source : str or Path
        A folder (searched recursively), a glob such as ``"exports/*.csv"`` or one file;
        CSV/TSV (optionally gzip/bz2/xz) or Parquet, one format, the same columns in
        every file, one row per customer.
    config : Config, optional
        The configuration (defaults when omitted); ``n_jobs`` sizes the local cluster.
    out_dir : str or Path
        Output folder, replaced atomically. With ``scheduler``, every worker must be able
        to write to it under the same path (shared storage).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); by default a local
        cluster of ``n_jobs`` single-threaded worker processes is started and closed.
    sample_size : int, optional
        Customers the segmentation is chosen on (seeded; all of them when fewer);
        default ``config.dask.sample_size`` (100,000).
    log_handler : object with ``text()``, optional
        Source of the run's log, written as ``run.log``.
    connect_timeout : float
        Seconds to wait for the scheduler and its first worker.
    progress_bar : bool
        Draw a progress bar per stage (terminals); otherwise one log line per stage.
    figures : bool
        Draw the PNGs and ``report.html`` (``--no-figures`` skips them, as
        :func:`segmentkit.output.export.save_run` does).

    Returns
    -------
    DaskRun

    Raises
    ------
    ConfigError
        When dask, distributed or dask-ml is not installed, or the scheduler address or
        ``sample_size`` is invalid.
    SegmentkitError
        When the scheduler cannot be reached or has no workers.
    DataError
        When the input cannot be read or segmented.
    """
    config = config or Config()
    if sample_size is None:
        sample_size = config.dask.sample_size
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 100:
        raise ConfigError(f"sample_size must be an integer >= 100, got {sample_size!r}")
    out_path = Path(out_dir)
    check_output_dir(out_path)  # before any cluster starts
    _require_dask()
    files = find_input(source)  # before any cluster starts: a wrong path fails at once
    stages = run_stages(config.clustering.methods)
    # The steps on every row come between segmenting the sample and describing it.
    stages[stages.index("profile") : stages.index("profile")] = [
        STATISTICS_STAGE,
        *([KMEANS_STAGE] if "kmeans" in config.clustering.methods else []),
    ]
    with (
        RunProgress(stages, bar=progress_bar) as progress,
        _cluster(scheduler, effective_jobs(config.n_jobs), connect_timeout) as cluster,
    ):
        progress.plan(processes=worker_processes(effective_jobs(config.n_jobs)), figures=figures)
        with progress.stage("read"):
            scanned = read_input(files, encoding=config.input.encoding)
            facts = input_facts(files, scanned)
            sample = draw_sample(scanned, sample_size, config.seed)
        n_rows, n_sample = scanned.n_rows, len(sample)
        logger.info(
            "Dask: %d customers in %d partition(s) of %d file(s); the segmentation is "
            "chosen on a seeded sample of %d (seed %d)",
            n_rows,
            len(scanned.lengths),
            len(files.files),
            n_sample,
            config.seed,
        )
        rows = DaskRows(scanned, sample.head(50), n_sample, cluster, progress)
        segment_frame(
            sample,
            config,
            out_path,
            source=facts,
            progress=progress,
            rows=rows,
            log_handler=log_handler,
            figures=figures,
        )
    assert rows.assigned is not None  # noqa: S101 - segment_frame wrote every row
    return DaskRun(
        run=rows.assigned.run,
        out_dir=out_path,
        n_customers=n_rows,
        n_sample=n_sample,
        segment_sizes=rows.sizes,
        statistics=rows.statistics,
        notes=tuple(rows.notes),
    )
