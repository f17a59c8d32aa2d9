"""The Dask backend: segment every customer of files larger than memory, on a cluster.

:func:`segment_with_dask` reads a folder, a glob or a file of CSV or Parquet as a Dask
DataFrame and:

1. counts rows and missing values over every row (one pass);
2. draws a seeded sample (``sample_size`` customers, all of them when fewer) and runs the
   usual pipeline on it (:func:`~segmentkit.pipeline.run_segmentation`): every method,
   the choice of k, stability, importance and profiles;
3. computes the cleaning statistics of every column over all rows, on the values as the
   saved model cleans them;
4. fits K-Means on every row with dask-ml's k-means|| (k and the fitted preprocessing
   from the sample run), numbering its segments like the sample's K-Means segments they
   match;
5. places every customer in a segment of every method, partition by partition, with the
   saved model's own rules (:meth:`~segmentkit.scoring.model.SegmentationModel.score`);
6. writes ``segments/`` (Parquet, one file per partition) and the usual summaries, model,
   figures and report, all or nothing.

Everything approximate is logged and listed in ``run.json`` → ``dask.notes``, and what
concerns one method also in that method's notes (shown in the report).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from segmentkit.api import LogSource
from segmentkit.backends.dask.assign import (
    clean_partitions,
    refit_kmeans,
    segment_sizes,
    with_population_sizes,
    write_segments,
)
from segmentkit.backends.dask.read import (
    column_statistics,
    draw_sample,
    find_input,
    input_facts,
    read_input,
)
from segmentkit.config import Config
from segmentkit.errors import ConfigError, SegmentkitError
from segmentkit.output.atomic import atomic_output_dir, check_output_dir
from segmentkit.output.export import save_run
from segmentkit.output.write import write_json
from segmentkit.pipeline import SegmentationRun, effective_jobs, run_segmentation
from segmentkit.progress import RunProgress, run_stages
from segmentkit.report import write_report
from segmentkit.scoring.model import SegmentationModel

__all__ = ["SEGMENTS_DIR", "DaskRun", "segment_with_dask"]

logger = logging.getLogger(__name__)

#: The partitioned Parquet output, one row per input customer.
SEGMENTS_DIR = "segments"
#: Files of the sample run that the partitioned output replaces.
_SAMPLE_ONLY = ("segments.csv", "dropped_rows.csv")
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
    stages = [
        "read",
        *run_stages(config.clustering.methods, read=False, write=False),
        "statistics",
        *(["kmeans on every customer"] if "kmeans" in config.clustering.methods else []),
        "write",
    ]
    with (
        RunProgress(stages, bar=progress_bar) as progress,
        _cluster(scheduler, effective_jobs(config.n_jobs), connect_timeout) as cluster,
    ):
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
        run = run_segmentation(sample, config, source=facts, progress=progress)
        head = sample.head(50)
        # Only this model's cleaning is used, so it needs no assigners.
        cleaner = SegmentationModel.from_run(dataclasses.replace(run, results={}))
        cleaned = clean_partitions(scanned.frame, cleaner, head)
        with progress.stage("statistics"):
            statistics = column_statistics(
                scanned,
                cleaned,
                roles={name: role.role for name, role in run.prepared.roles.items()},
                id_column=cleaner.schema.id_column,
            )
        kmeans: dict[str, Any] | None = None
        if "kmeans" in run.results:
            with progress.stage("kmeans on every customer"):
                run, kmeans = refit_kmeans(run, cleaned, scanned.lengths)
        notes = _notes(run, n_rows, n_sample, statistics)
        run = _with_notes(run, n_rows, n_sample)
        model = SegmentationModel.from_run(run)
        with progress.stage("write"), atomic_output_dir(out_path) as tmp:
            counts = write_segments(scanned, model, head, tmp / SEGMENTS_DIR)
            policy = config.cleaning.outliers.policy
            sizes = {m: segment_sizes(counts, m, policy) for m in run.results}
            by_segment = {m: s[0] for m, s in sizes.items()}
            by_profile = {m: s[1] for m, s in sizes.items()}
            run = with_population_sizes(run, by_profile, n_rows)
            summary = {
                "cluster": cluster,
                "sample": {"size": n_sample, "of": n_rows, "seed": config.seed},
                "sample_rows": run.prepared.row_counts,
                "statistics": statistics,
                "kmeans": kmeans,
                "segments": {"folder": SEGMENTS_DIR, "partitions": len(scanned.lengths)},
                "profile_sizes": by_profile,
                "notes": notes,
            }
            _save(
                run,
                tmp,
                summary,
                by_segment,
                counts,
                dict(progress.timings),
                shown_as=out_path,
                figures=figures,
            )
            (tmp / "run.log").write_text(log_handler.text() if log_handler else "", "utf-8")
    return DaskRun(
        run=run,
        out_dir=out_path,
        n_customers=n_rows,
        n_sample=n_sample,
        segment_sizes=by_segment,
        statistics=statistics,
        notes=tuple(notes),
    )


def _notes(
    run: SegmentationRun, n_rows: int, n_sample: int, statistics: dict[str, Any]
) -> list[str]:
    """Return every approximation of the run, logging each one."""
    sample = (
        f"a seeded sample of {n_sample:,} of {n_rows:,} customers (seed {run.config.seed})"
        if n_sample < n_rows
        else f"every one of the {n_rows:,} customers (the sample holds them all)"
    )
    notes = [
        f"The segmentation (methods, parameters, criteria, stability, importance) was "
        f"chosen on {sample}; every customer was then placed by the saved model's rules",
        "Quartiles in dask.statistics are approximate (dask.dataframe quantile); counts, "
        "means, standard deviations, minima and maxima are exact",
    ]
    if n_sample < n_rows:
        notes.insert(
            1,
            "Segment profiles (size, share and every figure) describe the sample; "
            "population_size and population_share in segment_profiles.csv count every "
            "customer",
        )
    dropped = run.prepared.row_counts.get("dropped", {})
    if dropped:
        notes.append(
            "The sample run left rows out of the fit ("
            + ", ".join(f"{reason}: {count:,}" for reason, count in dropped.items())
            + "); in segments/ every input row has a segment"
        )
    if statistics.get("duplicate_id_rows"):
        notes.append(
            f"{statistics['duplicate_id_rows']:,} row(s) repeat an id "
            f"({statistics['repeated_ids']:,} id(s)); each keeps its own row in segments/"
        )
    if run.prepared.date_references:
        notes.append("Dates count back from the latest date in the sample")
    for note in notes:
        logger.info("Dask: %s", note)
    return notes


def _with_notes(run: SegmentationRun, n_rows: int, n_sample: int) -> SegmentationRun:
    """Say in every method's notes (shown in the report) what comes from the sample."""
    if n_sample >= n_rows:
        return run
    fitted = (
        f"fitted on a seeded sample of {n_sample:,} of {n_rows:,} customers (Dask backend); "
        "the others are placed by the saved model's rule, as `segmentkit score` does"
    )
    profiles = (
        "its profiles describe the sample: population_size and population_share in "
        f"segment_profiles.csv count all {n_rows:,} customers"
    )
    results = {
        method: dataclasses.replace(
            result, notes=(*result.notes, *([] if method == "kmeans" else [fitted]), profiles)
        )
        for method, result in run.results.items()
    }
    return dataclasses.replace(run, results=results)


def _save(
    run: SegmentationRun,
    tmp: Path,
    dask_summary: dict[str, Any],
    segment_sizes: dict[str, dict[int, int]],
    counts: pd.DataFrame,
    timings: dict[str, float],
    *,
    shown_as: Path,
    figures: bool = True,
) -> None:
    """Write the usual files of the run into ``tmp`` and complete ``run.json``.

    ``shown_as`` is the output folder log lines name (``tmp`` is renamed to it).
    """
    # The report is rendered once, below, when run.json is complete.
    staged = save_run(run, tmp / ".sample-run", shown_as=shown_as, figures=figures, report=False)
    for item in sorted(staged.iterdir()):
        if item.name in _SAMPLE_ONLY:
            item.unlink()
        else:
            item.replace(tmp / item.name)
    staged.rmdir()
    summary = json.loads((tmp / "run.json").read_text(encoding="utf-8"))
    n_rows = dask_summary["sample"]["of"]
    # The outlier flag is the same for every method: count it in the first one's rows.
    first = counts["method"] == counts["method"].iloc[0]
    # Every input row is in the output: none is dropped, each has a segment.
    summary["rows"] = {
        "read": n_rows,
        "kept": n_rows,
        "dropped": {},
        "outliers": int(counts.loc[first & counts["outlier"], "customers"].sum()),
        "fit": run.prepared.row_counts["fit"],
    }
    for method, sizes in segment_sizes.items():
        entry = summary["methods"][method]
        entry["sample_segment_sizes"] = entry["segment_sizes"]
        entry["segment_sizes"] = {str(s): n for s, n in sizes.items()}
    summary["timings_seconds"] = timings
    summary["dask"] = dask_summary
    write_json(summary, tmp / "run.json")
    if figures:
        write_report(tmp, shown_as=shown_as)
