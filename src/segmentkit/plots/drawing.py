"""Drawing a run's PNGs in the run's worker processes, on every core.

Drawing is pure Python in matplotlib, so threads cannot share it between cores; processes
can. :class:`FigureWorkers` are the run's :class:`~segmentkit.workers.RunWorkers`,
forked once the run has imported the figure modules; when the run is written, the
figures are drawn in them side by side. The same functions draw
the same figure in a worker as in the run's own process, so the bytes are identical
either way.

A figure is a :class:`FigureJob`: a figure function of :mod:`segmentkit.plots.static` or
:mod:`segmentkit.plots.named`, its plain-data arguments and the file to write. Without
workers (one core, a platform without ``fork``, a process limit, ``processes=0``) the
figures are drawn one after the other in the run's process.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from segmentkit.methods.parallel import PRELOAD as METHOD_MODULES
from segmentkit.workers import MAX_PROCESSES, RunWorkers, replay, worker_processes

__all__ = [
    "MAX_PROCESSES",
    "FigureJob",
    "FigureWorkers",
    "PendingFigures",
    "figure_processes",
]

#: The figure modules, imported by the run before its workers fork (they share them).
PRELOAD = ("segmentkit.plots.static", "segmentkit.plots.named")
#: Fewer figures than this are drawn in the run's process: workers would not pay.
MIN_PARALLEL_FIGURES = 4
#: Kept for callers of the figure-only name: the run's worker processes.
figure_processes = worker_processes


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


def _draw(job: FigureJob) -> None:
    from segmentkit.plots._style import save_figure

    save_figure(job.build(*job.args, **job.kwargs), job.path)


class FigureWorkers(RunWorkers):
    """The run's worker processes, ready to draw figures; a context manager around a run.

    Parameters
    ----------
    processes : int, optional
        Worker processes (default :func:`~segmentkit.workers.worker_processes`; ``0`` or
        ``1``: none, the figures are drawn in the run's process).
    figures : bool, default True
        Whether the figure modules are imported, in the run's process before the workers
        fork, so that the workers share matplotlib's modules instead of importing them
        again while the run segments (a run without figures uses its workers for its
        methods only, and never loads matplotlib there: 0.5 s).
    """

    def __init__(self, processes: int | None = None, *, figures: bool = True) -> None:
        super().__init__(processes, preload=METHOD_MODULES)
        self.figures = figures

    def __enter__(self) -> Self:
        if self.figures:
            for module in PRELOAD:
                importlib.import_module(module)
        return super().__enter__()

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
        if not self.running or len(jobs) < MIN_PARALLEL_FIGURES:
            for job in jobs:
                _draw(job)
            return PendingFigures([job.path for job in jobs], [], self)
        pending = [self.submit(_draw, job) for job in jobs]
        return PendingFigures([job.path for job in jobs], pending, self)


class PendingFigures:
    """Figures being drawn by :class:`FigureWorkers`; :meth:`wait` for their files."""

    def __init__(
        self,
        paths: list[Path],
        pending: list[Future[tuple[None, list[logging.LogRecord], float]]],
        workers: FigureWorkers,
    ) -> None:
        self.paths = paths
        self._pending = pending
        self._workers = workers

    def unfinished(self) -> int:
        """How many figures are still queued or being drawn."""
        return sum(not result.done() for result in self._pending)

    def stop(self) -> None:
        """Stop drawing (after a failure elsewhere): no worker writes a file after this."""
        if self._pending:
            self._pending = []
            self._workers.stop()

    def wait_for(self, wanted: Callable[[Path], bool]) -> None:
        """Wait until the figures whose file is ``wanted`` are drawn (or failed).

        Their log records and errors come with :meth:`wait`, in job order.
        """
        for path, result in zip(self.paths, self._pending, strict=False):
            if wanted(path):
                self._workers.wait(result)

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
            self._workers.wait(result)
        for result in pending:
            replay(result.result()[1])
        return self.paths
