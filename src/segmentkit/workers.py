"""Worker processes for a run: its methods and its figures, on every core.

Much of a run is Python, or libraries that hold the GIL (SciPy's hierarchical trees,
matplotlib), so threads cannot share it between cores; processes can.
:class:`RunWorkers` forks its workers when a run starts, before the run starts any OpenMP
or BLAS threads (forking a process whose OpenMP pool is running can hang the child), and
keeps them for the run: the methods search their segments in them side by side, and
later the figures are drawn in them (:class:`~segmentkit.plots.drawing.FigureWorkers`).

They are a :class:`concurrent.futures.ProcessPoolExecutor`, not a ``multiprocessing.Pool``:
when a worker dies (killed, most often out of memory) the executor fails every pending job
at once, where a ``Pool`` forks a replacement (a fork while BLAS threads run can hang) and
loses the job, and its ``terminate`` can block for ever on the dead worker's pipe.

A job is a module-level function and plain-data arguments. What it logs comes back with
its result and is logged by the run, in job order, so ``run.log`` reads as if the jobs
had run one after the other. Without workers (one core, a budget of one thread, a
platform without ``fork``, a process limit) the caller does the work itself.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import numpy as np

from segmentkit.errors import ResourceError

__all__ = [
    "MAX_PROCESSES",
    "PendingJobs",
    "RunWorkers",
    "replay",
    "run_folder",
    "worker_processes",
]

logger = logging.getLogger(__name__)

#: More workers than this do not pay: a run has five methods and about 30 figures.
MAX_PROCESSES = 4
#: Arrays at least this large go to the workers as a file they map, not as a copy in
#: every job: 1,000,000 customers' model matrix is 129 MB, about 0.5 s per job to pickle,
#: send and unpickle (joblib does the same above 1 MB).
SHARE_BYTES = 1 << 20


def _open_shared(path: str) -> np.ndarray:
    return np.load(path, mmap_mode="r")


class _SharedArray:
    """A large array saved once for the run; a worker unpickles it as a read-only map."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Callable[[str], np.ndarray], tuple[str]]:
        return _open_shared, (str(self.path),)


_LOGGER_NAME = "segmentkit"

Result = TypeVar("Result")


def worker_processes(jobs: int | None = None) -> int:
    """Return the worker processes a run uses (``0``: it works in its own process).

    One per available core, at most :data:`MAX_PROCESSES` and at most ``jobs`` (the run's
    ``n_jobs`` budget), on Linux (where ``fork`` is safe for this use); none with a
    single core or a budget of one.
    """
    if not sys.platform.startswith("linux"):
        return 0
    cores = min(len(os.sched_getaffinity(0)), jobs or MAX_PROCESSES, MAX_PROCESSES)
    return 0 if cores < 2 else cores


#: In a worker process: the run's private folder, through which its workers share files.
_run_folder: Path | None = None


def run_folder() -> Path | None:
    """Return the run's private folder in one of its worker processes (else ``None``).

    What one worker computed for the others (a summary of the rows two methods both
    need) is saved there; the folder is removed when the run's workers stop.
    """
    return _run_folder


def _start_worker(preload: tuple[str, ...], folder: str | None = None) -> None:
    global _run_folder
    _run_folder = Path(folder) if folder is not None else None
    # Ctrl-C reaches the whole process group: the run stops its workers itself, and a
    # worker's own KeyboardInterrupt would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The run's log handlers came with the fork: a worker's records go back to the run.
    for name in ("", _LOGGER_NAME):
        for handler in logging.getLogger(name).handlers[:]:
            logging.getLogger(name).removeHandler(handler)
    for module in preload:
        importlib.import_module(module)


def _nothing() -> None:
    """Do nothing: the first job, which makes the executor fork every worker."""


class _Records(logging.Handler):
    """Collects a worker's log records, made picklable, for the run's own loggers."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = record.stack_info = None
        self.records.append(record)


def call_logged(
    function: Callable[..., Result], args: tuple[Any, ...], level: int
) -> tuple[Result, list[logging.LogRecord], float]:
    """Run ``function(*args)`` in a worker; return its result, what it logged, its seconds."""
    package = logging.getLogger(_LOGGER_NAME)
    package.setLevel(level)
    collect = _Records()
    package.addHandler(collect)
    package.propagate = False
    started = time.perf_counter()
    try:
        return function(*args), collect.records, time.perf_counter() - started
    finally:
        package.removeHandler(collect)


def replay(records: Iterable[logging.LogRecord]) -> None:
    """Log, in the run's process, what a job logged in its worker."""
    for record in records:
        logging.getLogger(record.name).handle(record)


class RunWorkers:
    """Worker processes for one run; a context manager around it.

    Enter it before segmenting, so that the workers fork from a process with no OpenMP
    threads yet; leave it when the run is written. On an exception (Ctrl-C included) the
    workers are stopped at once.

    Parameters
    ----------
    processes : int, optional
        Worker processes (default :func:`worker_processes`; ``0`` or ``1``: none, the
        caller works in its own process).
    preload : tuple of str, default ()
        Modules each worker imports when it starts, while the run computes.
    """

    def __init__(self, processes: int | None = None, *, preload: tuple[str, ...] = ()) -> None:
        self.processes = worker_processes() if processes is None else processes
        self.preload = preload
        self._pool: ProcessPoolExecutor | None = None
        self._shared: dict[int, tuple[np.ndarray, _SharedArray]] = {}
        self._folder: Path | None = None
        self._saved = 0

    @property
    def running(self) -> bool:
        """Whether there are workers to submit jobs to."""
        return self._pool is not None

    def __enter__(self) -> Self:
        if self.processes >= 2:
            try:
                folder = self._run_folder()
                self._pool = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_start_worker,
                    initargs=(self.preload, str(folder)),
                )
                # With fork the executor starts every worker at its first job, and never
                # another: start them now, while the run has no OpenMP or BLAS threads.
                self._pool.submit(_nothing)
            except (OSError, ValueError, NotImplementedError) as error:
                # The run works in its own process; workers started before the error
                # (a process limit while forking) are stopped, and the folder removed.
                logger.debug("worker processes not started: %s", error)
                self.stop()
            except BaseException:  # Ctrl-C while forking: nothing may outlive the run
                self.stop()
                raise
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
            pool.shutdown(wait=True)
        self._forget_shared()

    def stop(self) -> None:
        """Stop the workers now, jobs half done or not; later jobs run in the caller."""
        pool, self._pool = self._pool, None
        if pool is not None:
            # The executor cannot stop a running job (Python 3.14's kill_workers can): its
            # workers are killed, the executor sees them die, fails the pending jobs and
            # closes its queues, and shutdown waits for that.
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()
            pool.shutdown(wait=True, cancel_futures=True)
        self._forget_shared()

    def _forget_shared(self) -> None:
        folder, self._folder = self._folder, None
        self._shared = {}
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def share(self, array: np.ndarray) -> np.ndarray:
        """Return what to pass to jobs for ``array``: itself, or a map of it when large.

        A large array is saved once, in memory-backed storage where there is some
        (``/dev/shm``), and every job of every worker maps the same pages read-only instead
        of receiving its own copy; the file is removed when the workers stop.
        """
        if not self.running or array.nbytes < SHARE_BYTES:
            return array
        kept = self._shared.get(id(array))
        if kept is None:
            # The array is kept with its file, so that its id is not reused meanwhile.
            kept = self._shared[id(array)] = (array, _SharedArray(self._save(array)))
        return kept[1]  # type: ignore[return-value]  # unpickled as an array

    def unshare(self, array: np.ndarray) -> None:
        """Remove the file :meth:`share` saved ``array`` in, once no job needs it any more.

        A worker still mapping it keeps its pages until it lets go; nothing happens for an
        array that was not shared.
        """
        kept = self._shared.pop(id(array), None)
        if kept is not None:
            kept[1].path.unlink(missing_ok=True)

    def share_once(self, array: np.ndarray) -> tuple[np.ndarray, Callable[[], None]]:
        """Share ``array`` like :meth:`share`, for a few jobs; the caller may then drop it.

        For a matrix made only to be shared (the rows that shape segments, 1.3 GB at
        10,000,000 customers): the run keeps no copy, and the second value removes the
        file once the jobs that map it are done (a worker still mapping it keeps its
        pages until it lets go).

        Returns
        -------
        shared : numpy.ndarray
            What to pass to the jobs (``array`` itself when it is small).
        release : callable
            Removes the file; calling it again does nothing.
        """
        if not self.running or array.nbytes < SHARE_BYTES:
            return array, lambda: None
        path = self._save(array)
        return _SharedArray(path), lambda: path.unlink(missing_ok=True)  # type: ignore[return-value]

    def _run_folder(self) -> Path:
        """Return the run's private folder, in memory-backed storage where there is some."""
        if self._folder is None:
            shm = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private (0700) folder there
            self._folder = Path(
                tempfile.mkdtemp(prefix="segmentkit-", dir=shm if shm.is_dir() else None)
            )
        return self._folder

    def _save(self, array: np.ndarray) -> Path:
        self._saved += 1
        path = self._run_folder() / f"{self._saved}.npy"
        np.save(path, np.ascontiguousarray(array), allow_pickle=False)
        return path

    def wait(self, result: Future[Any]) -> None:
        """Wait for a job to finish; stop the run if a worker died meanwhile.

        Raises
        ------
        ResourceError
            When a worker process was killed (the system out of memory, most often):
            the executor then fails every job, done or not.
        """
        if isinstance(result.exception(), BrokenProcessPool):
            raise self._worker_died()

    def _worker_died(self) -> ResourceError:
        self.stop()
        return ResourceError(
            "a worker process of the run stopped unexpectedly (killed, most often "
            "because the system ran out of memory)",
            hint="run again with --n-jobs 1, fewer methods (--methods) or --backend dask",
        )

    def submit(
        self, function: Callable[..., Result], *args: Any
    ) -> Future[tuple[Result, list[logging.LogRecord], float]]:
        """Start ``function(*args)`` in a worker; its future gives result, records, seconds.

        ``function`` must be a module-level function (workers receive it by name) and
        ``args`` plain data. Call only while :attr:`running`.

        Raises
        ------
        ResourceError
            When a worker has died since the last job (see :meth:`wait`).
        """
        if self._pool is None:
            raise RuntimeError("no worker processes are running")
        level = logging.getLogger(_LOGGER_NAME).getEffectiveLevel()
        try:
            return self._pool.submit(call_logged, function, args, level)
        except BrokenProcessPool:
            raise self._worker_died() from None


class PendingJobs:
    """Named jobs started in the run's workers; :meth:`result` waits for one of them.

    A job may return an exception instead of raising it (so that what it logged before
    comes back too): :meth:`result` raises it in the run, after logging those records.
    """

    def __init__(
        self,
        pending: dict[str, Future[Any]] | None = None,
        workers: RunWorkers | None = None,
        *,
        when_done: Callable[[], None] | None = None,
    ) -> None:
        self._pending = pending or {}
        self._workers = workers
        #: Called once the last job's result came (to remove what only the jobs needed).
        self._when_done = when_done
        #: Seconds each job whose result came took in its worker.
        self.seconds: dict[str, float] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._pending

    def add(self, name: str, job: Future[Any]) -> None:
        """Add job ``name``, started since (replacing an earlier job of that name)."""
        self._pending[name] = job

    def result(self, name: str) -> Any:
        """Wait for job ``name``; log what it logged; return (or raise) its outcome."""
        result = self._pending.pop(name)
        try:
            if self._workers is not None:
                self._workers.wait(result)
            outcome, records, self.seconds[name] = result.result()
        finally:
            if not self._pending and self._when_done is not None:
                self._when_done()
                self._when_done = None
        replay(records)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
