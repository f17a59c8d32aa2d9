"""Progress of a run: a bar per stage on a terminal, one log line per stage elsewhere.

Stages are timed and logged whether or not anyone watches; code deep inside a stage (a
method trying its candidates) reports its steps through :func:`add_steps` and
:func:`advance`, which act on the stage running now and do nothing outside one, so no
progress object has to be passed down through every function.

What remains of the whole run is estimated from the stages still to come, weighted by
their typical time in a run of that many customers (:data:`SMALL_RUN_WEIGHTS` measured
at 10,000, :data:`STAGE_WEIGHTS` at 1,000,000, each stage's time a straight line in the
number of customers in between), and scaled by how long the stages so far actually took
on this machine and this data.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = [
    "HUGE_RUN_WEIGHTS",
    "SMALL_RUN_WEIGHTS",
    "STAGE_WEIGHTS",
    "RunProgress",
    "add_steps",
    "advance",
    "run_stages",
    "stage_weight",
]

logger = logging.getLogger(__name__)

#: Seconds per stage of a default run of 1,000,000 customers on this project's machine
#: kind (one run, five methods, 2 threads): only their proportions matter, to turn
#: elapsed time into an estimate of what remains. The methods run side by side in the
#: workers, longest first (``methods.parallel.START_ORDER``), and the run reads their
#: results in the configured order: it waits for K-Means while the workers also finish
#: Agglomerative and DBSCAN, then for GMM, and hardly for the others.
STAGE_WEIGHTS: dict[str, float] = {
    "read": 0.44,
    "prepare": 8.78,
    "segment:kmeans": 10.34,
    "segment:agglomerative": 0.0,
    "segment:gmm": 4.29,
    "segment:dbscan": 0.0,
    "segment:genie": 0.0,
    "profile": 2.27,
    "explain": 6.94,
    "write": 6.6,
}

#: The same at 10,000 customers, where the fixed cost of choosing k dominates and reading
#: and cleaning are almost free. Between the two sizes a stage's weight is a straight line
#: in the number of customers (:func:`stage_weight`). The explanations run in the workers
#: while the run computes the profiles; they weigh what the run waits for them.
SMALL_RUN_WEIGHTS: dict[str, float] = {
    "read": 0.02,
    "prepare": 0.59,
    "segment:kmeans": 6.02,
    "segment:agglomerative": 0.0,
    "segment:gmm": 2.12,
    "segment:dbscan": 0.0,
    "segment:genie": 0.38,
    "profile": 0.22,
    "explain": 2.93,
    "write": 3.2,
}

#: The same at 10,000,000 customers (one run on this machine kind, five methods): cleaning
#: (the neighbour outliers above all), the profiles and writing grow with the customers,
#: the k search on its samples does not. The profiles take about as long as what is left
#: of the explanations, which the workers run meanwhile, so the run hardly waits for those.
HUGE_RUN_WEIGHTS: dict[str, float] = {
    "read": 4.2,
    "prepare": 99.1,
    "segment:kmeans": 49.5,
    "segment:agglomerative": 0.5,
    "segment:gmm": 0.0,
    "segment:dbscan": 0.0,
    "segment:genie": 5.3,
    "profile": 29.0,
    "explain": 0.6,
    "write": 27.8,
}

#: The method stages the tables measured, in the order the run read their results.
MEASURED_METHODS = [
    "segment:kmeans",
    "segment:agglomerative",
    "segment:gmm",
    "segment:dbscan",
    "segment:genie",
]
#: Seconds of work of the five methods in the same runs, by size (one after the other).
METHODS_WORK: dict[int, float] = {10_000: 16.7, 1_000_000: 28.7, 10_000_000: 128.8}

#: The sizes the tables were measured at, smallest first.
_MEASURED: tuple[tuple[int, dict[str, float]], ...] = (
    (10_000, SMALL_RUN_WEIGHTS),
    (1_000_000, STAGE_WEIGHTS),
    (10_000_000, HUGE_RUN_WEIGHTS),
)


def stage_weight(stage: str, rows: int | None) -> float:
    """Return a stage's typical seconds in a run of ``rows`` customers (unknown: a large run's).

    Only the proportions between stages matter. Between two measured sizes a stage's time
    is a fixed cost plus a cost per customer (a straight line through both measurements):
    cleaning and writing grow with the rows, the k search on its samples hardly does, so a
    cheap stage at 10,000 that grows with the rows stays cheap at 40,000. Below and above
    the measured sizes, the nearest one. A stage no table knows weighs an average stage.

    Examples
    --------
    >>> round(stage_weight("read", 10_000), 2), round(stage_weight("read", 1_000_000), 2)
    (0.02, 0.44)
    >>> round(stage_weight("read", 100_000), 3), round(stage_weight("read", 5_500_000), 1)
    (0.058, 2.3)
    """

    def seconds(size: int, table: dict[str, float]) -> float:
        return table.get(stage, sum(table.values()) / len(table))

    return _between_sizes(seconds, rows)


def methods_weight(rows: int | None, *, side_by_side: bool) -> float:
    """Return one method's share of the five methods' typical seconds.

    For a run whose methods are not the measured five in their order, or that runs them
    one after the other (one core, ``--n-jobs 1``, no ``fork``): an equal share of what
    the run waits for the five side by side, or of their work one after the other.

    Examples
    --------
    >>> round(methods_weight(10_000, side_by_side=True), 2)
    1.7
    >>> round(methods_weight(10_000, side_by_side=False), 2)
    3.34
    """

    def seconds(size: int, table: dict[str, float]) -> float:
        if not side_by_side:
            return METHODS_WORK[size] / 5
        return sum(v for k, v in table.items() if k.startswith("segment:")) / 5

    return _between_sizes(seconds, rows)


def _between_sizes(seconds: Callable[[int, dict[str, float]], float], rows: int | None) -> float:
    """``seconds`` of the measured sizes, on a straight line between the two around ``rows``."""
    if rows is None:
        return seconds(1_000_000, STAGE_WEIGHTS)
    spans = list(itertools.pairwise(_MEASURED))
    # The span the size falls in; above the largest size, the last span's end.
    (low, below), (high, above) = next((s for s in spans if rows <= s[1][0]), spans[-1])
    position = min(1.0, max(0.0, (rows - low) / (high - low)))
    low_seconds, high_seconds = seconds(low, below), seconds(high, above)
    return float(low_seconds + (high_seconds - low_seconds) * position)


_current: ContextVar[_Stage | None] = ContextVar("segmentkit_stage", default=None)


def run_stages(methods: Sequence[str], *, read: bool = True, write: bool = True) -> list[str]:
    """Return the stages of a default run over ``methods``, in order.

    Examples
    --------
    >>> run_stages(["kmeans"], write=False)
    ['read', 'prepare', 'segment:kmeans', 'profile', 'explain']
    """
    return [
        *(["read"] if read else []),
        "prepare",
        *(f"segment:{name}" for name in methods),
        "profile",
        "explain",
        *(["write"] if write else []),
    ]


class _Stage:
    def __init__(self, bar: Any, task: Any) -> None:
        self.bar, self.task = bar, task
        self.total = 0
        self.done = 0
        self.elsewhere: float | None = None

    def add_steps(self, n: int) -> None:
        self.total += n
        if self.bar is not None:
            self.bar.update(self.task, total=self.total)

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(self.task, completed=min(self.done, self.total or self.done))


def add_steps(n: int) -> None:
    """Announce ``n`` more steps in the running stage (no-op outside a stage)."""
    stage = _current.get()
    if stage is not None:
        stage.add_steps(n)


def computed_elsewhere(seconds: float) -> None:
    """Add ``seconds`` of the running stage's work done in a worker process.

    Its line then gives that work's time beside the wait: a method that finished in a
    worker while the run waited for another one was waited for 0.0 s, not done in it.
    """
    stage = _current.get()
    if stage is not None:
        stage.elsewhere = (stage.elsewhere or 0.0) + seconds


def advance(n: int = 1) -> None:
    """Mark ``n`` steps of the running stage done (no-op outside a stage)."""
    stage = _current.get()
    if stage is not None:
        stage.advance(n)


class RunProgress:
    """Times the stages of one run and reports them.

    Parameters
    ----------
    stages : sequence of str
        Every stage the run will go through, in order (see :func:`run_stages`).
    bar : bool
        Draw a rich progress bar per stage on stderr (a terminal); otherwise one log line
        when each stage ends.

    Attributes
    ----------
    timings : dict
        Stage name to seconds, filled as stages end.
    """

    def __init__(self, stages: Sequence[str], *, bar: bool = False) -> None:
        self.stages = list(stages)
        self.timings: dict[str, float] = {}
        #: The stage running now (read by the benchmark's memory sampler).
        self.current: str | None = None
        #: Customers in the run, once read: the stages' shares depend on it.
        self.rows: int | None = None
        #: Whether the methods run side by side in worker processes (the run says so).
        self.side_by_side = True
        self._started = time.perf_counter()
        self._bar: Any = None
        if bar:
            self._bar = _rich_progress()

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def remaining_seconds(self) -> float | None:
        """Estimated seconds left: the remaining stages' weights at the pace so far."""
        done = sum(self._weight(s) for s in self.timings)
        if not done:
            return None
        left = sum(self._weight(s) for s in self.stages if s not in self.timings)
        return sum(self.timings.values()) * left / done

    def _weight(self, stage: str) -> float:
        if stage.startswith("segment:"):
            methods = [s for s in self.stages if s.startswith("segment:")]
            if not self.side_by_side or methods != MEASURED_METHODS:
                # Waits measured for five methods side by side, in their order, do not
                # fit: an equal share of the methods' time.
                return methods_weight(self.rows, side_by_side=self.side_by_side)
        return stage_weight(stage, self.rows)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time and report one stage; :func:`advance` inside it moves its bar."""
        if name not in self.stages:
            self.stages.append(name)
        task = None
        if self._bar is not None:
            task = self._bar.add_task(name, total=None)
        stage = _Stage(self._bar, task)
        token = _current.set(stage)
        self.current = name
        start = time.perf_counter()
        logger.debug("Stage %s: started", name)
        try:
            yield
        finally:
            _current.reset(token)
            self.current = None
        seconds = time.perf_counter() - start
        self.timings[name] = round(seconds, 3)
        if self._bar is not None:
            self._bar.update(task, total=stage.total or 1, completed=stage.total or 1)
        logger.info("%s", self._summary(name, seconds, stage.elsewhere))

    def _summary(self, name: str, seconds: float, elsewhere: float | None = None) -> str:
        position = self.stages.index(name) + 1
        elapsed = time.perf_counter() - self._started
        if elsewhere is None:
            text = f"Stage {name} done in {seconds:.1f} s ("
        else:
            # The work ran side by side with other work: what it took there, and how long
            # the run still had to wait for it once the earlier stages were done.
            text = (
                f"Stage {name} done: {elsewhere:.1f} s of work side by side in worker "
                f"processes, {seconds:.1f} s waited for ("
            )
        text += f"{position} of {len(self.stages)}, {elapsed:.0f} s elapsed"
        remaining = self.remaining_seconds()
        if remaining is not None and position < len(self.stages):
            text += f", about {remaining:.0f} s left"
        return text + ")"


def _rich_progress() -> Any:
    from rich.console import Console
    from rich.logging import RichHandler
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    # Share the console of the terminal log handler, so log lines print above the bars.
    console = next(
        (
            handler.console
            for handler in logging.getLogger("segmentkit").handlers
            if isinstance(handler, RichHandler)
        ),
        Console(stderr=True),
    )
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    )
