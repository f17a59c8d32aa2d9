"""Drawing a run's PNGs in worker processes, on every core.

Drawing is pure Python in matplotlib, so threads cannot share it between cores; processes
can. :class:`FigureWorkers` forks its workers when a run starts, before the segmentation
starts any OpenMP threads, and each worker imports the figure modules while the run is
still segmenting; when the run is written, the figures are drawn in them side by side.
The same functions draw the same figure in a worker as in the run's own process, so the
bytes are identical either way.

A figure is a :class:`FigureJob`: a figure function of :mod:`segmentkit.plots.static` or
:mod:`segmentkit.plots.named`, its plain-data arguments and the file to write. Without
workers (one core, a platform without ``fork``, a process limit, ``processes=0``) the
figures are drawn one after the other in the run's process.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["FigureJob", "FigureWorkers", "PendingFigures", "figure_processes"]

logger = logging.getLogger(__name__)

#: What each worker imports when it starts, while the run segments.
PRELOAD = ("segmentkit.plots.static", "segmentkit.plots.named")
#: More workers than this do not pay: a run has about 30 figures of 0.1-0.5 s each.
MAX_PROCESSES = 4
#: Fewer figures than this are drawn in the run's process: workers would not pay.
MIN_PARALLEL_FIGURES = 4
_LOGGER_NAME = "segmentkit"


@dataclass(frozen=True)
class FigureJob:
    """One PNG to draw: ``build(*args, **kwargs)`` saved to ``path``.

    ``build`` is a module-level figure function (workers receive it by name), and the
    arguments are plain data (frames, arrays, dicts, strings).
    """

    path: Path
    build: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def figure_processes(jobs: int | None = None) -> int:
    """Return the worker processes figures are drawn with (``0``: in the run's process).

    One per available core, at most :data:`MAX_PROCESSES` and at most ``jobs`` (the run's
    ``n_jobs`` budget), on Linux (where ``fork`` is safe for this use); none with a
    single core or a budget of one.
    """
    if not sys.platform.startswith("linux"):
        return 0
    cores = min(len(os.sched_getaffinity(0)), jobs or MAX_PROCESSES, MAX_PROCESSES)
    return 0 if cores < 2 else cores


def _start_worker() -> None:
    # Ctrl-C reaches the whole process group: the run stops its workers itself, and a
    # worker's own KeyboardInterrupt would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The run's log handlers came with the fork: a worker's records go back to the run.
    for name in ("", _LOGGER_NAME):
        for handler in logging.getLogger(name).handlers[:]:
            logging.getLogger(name).removeHandler(handler)
    for module in PRELOAD:
        importlib.import_module(module)


def _draw(job: FigureJob) -> None:
    from segmentkit.plots._style import save_figure

    save_figure(job.build(*job.args, **job.kwargs), job.path)


class _Records(logging.Handler):
    """Collects a worker's log records, made picklable, for the run's own loggers."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = record.stack_info = None
        self.records.append(record)


def _draw_in_worker(job: FigureJob, level: int) -> list[logging.LogRecord]:
    """Draw one figure; return what it logged (a worker's log is the run's log)."""
    package = logging.getLogger(_LOGGER_NAME)
    package.setLevel(level)
    collect = _Records()
    package.addHandler(collect)
    package.propagate = False
    try:
        _draw(job)
    finally:
        package.removeHandler(collect)
    return collect.records


class FigureWorkers:
    """Worker processes that draw figures; a context manager around a run.

    Enter it before segmenting, so that the workers fork from a process with no OpenMP
    threads yet and import matplotlib while the run computes; leave it when the run is
    written. On an exception (Ctrl-C included) the workers are stopped at once.

    Parameters
    ----------
    processes : int, optional
        Worker processes (default :func:`figure_processes`; ``0`` or ``1``: none, the
        figures are drawn in the run's process).
    """

    def __init__(self, processes: int | None = None) -> None:
        self.processes = figure_processes() if processes is None else processes
        self._pool: Pool | None = None

    def __enter__(self) -> FigureWorkers:
        if self.processes >= 2:
            try:
                context = multiprocessing.get_context("fork")
                self._pool = context.Pool(self.processes, initializer=_start_worker)
            except (OSError, ValueError) as error:  # drawn in the run's process instead
                logger.debug("figure workers not started: %s", error)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self._close()
        else:
            self.stop()

    def _close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            pool.join()

    def stop(self) -> None:
        """Stop the workers now, figures half drawn or not; later figures are drawn here."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
            pool.join()

    def start(self, jobs: Iterable[FigureJob]) -> PendingFigures:
        """Start drawing every job's figure into its file; wait for them with the result.

        Without workers (or for a handful of figures) they are drawn here and now.

        Parameters
        ----------
        jobs : iterable of FigureJob
            The figures, submitted in order.

        Returns
        -------
        PendingFigures
        """
        jobs = list(jobs)
        if self._pool is None or len(jobs) < MIN_PARALLEL_FIGURES:
            for job in jobs:
                _draw(job)
            return PendingFigures([job.path for job in jobs], [], self)
        level = logging.getLogger(_LOGGER_NAME).getEffectiveLevel()
        pending = [self._pool.apply_async(_draw_in_worker, (job, level)) for job in jobs]
        return PendingFigures([job.path for job in jobs], pending, self)


class PendingFigures:
    """Figures being drawn by :class:`FigureWorkers`; :meth:`wait` for their files."""

    def __init__(
        self,
        paths: list[Path],
        pending: list[AsyncResult[list[logging.LogRecord]]],
        workers: FigureWorkers,
    ) -> None:
        self.paths = paths
        self._pending = pending
        self._workers = workers

    def stop(self) -> None:
        """Stop drawing (after a failure elsewhere): no worker writes a file after this."""
        if self._pending:
            self._pending = []
            self._workers.stop()

    def wait(self) -> list[Path]:
        """Wait for every figure; return the files written, in job order.

        What the figures logged is logged here, in job order.

        Raises
        ------
        Exception
            The first exception a figure raised (an ``OSError`` for a file that could
            not be written), once every figure has finished.
        """
        pending, self._pending = self._pending, []
        for result in pending:
            result.wait()
        for result in pending:
            for record in result.get():
                logging.getLogger(record.name).handle(record)
        return self.paths
