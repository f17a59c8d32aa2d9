"""Progress of a run: a bar per stage on a terminal, one log line per stage elsewhere.

Stages are timed and logged whether or not anyone watches; code deep inside a stage (a
method trying its candidates) reports its steps through :func:`add_steps` and
:func:`advance`, which act on the stage running now and do nothing outside one, so no
progress object has to be passed down through every function.

What remains of the whole run is estimated from the stages still to come, weighted by
their typical time in a run of that many customers (measured at 200, 10,000, 40,000,
1,000,000 and 10,000,000 customers, each stage's time a line between them: straight in
the logarithm of the customers up to 10,000, in the customers above), for the methods
asked for and with or without figures, and scaled by how long the run has taken so far
on this machine and this data.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = [
    "EXPLAIN_WORK",
    "HUGE_RUN_WEIGHTS",
    "LOG_SCALE_ROWS",
    "MEDIUM_RUN_WEIGHTS",
    "METHOD_WORK",
    "PRIOR_SECONDS",
    "SMALL_RUN_WEIGHTS",
    "STAGE_WEIGHTS",
    "TINY_RUN_WEIGHTS",
    "WRITE_WITHOUT_FIGURES",
    "RunProgress",
    "add_steps",
    "advance",
    "explain_work",
    "method_waits",
    "method_work",
    "run_stages",
    "stage_weight",
]

logger = logging.getLogger(__name__)

# Every table holds, per stage, the wall seconds from the end of the stage before it to
# its own end in one default run on this project's machine kind (five methods, 2 cores,
# figures drawn), so that what the run does between its stages (starting the workers,
# the finer alternative) is counted too. The methods run side by side in the workers,
# longest first (``methods.parallel.START_ORDER``), and the run reads their results in
# the configured order: it waits for K-Means while the workers also finish Agglomerative
# and DBSCAN, then for GMM, and hardly for the others. The explanations run in the
# workers while the run computes the profiles; they weigh what the run waits for them.

#: The Mall's 200 customers: the imports that reading and cleaning set off, the finer
#: alternative after the methods, and writing (the model's library, the report) are most
#: of the run.
TINY_RUN_WEIGHTS: dict[str, float] = {
    "read": 0.01,
    "prepare": 0.5,
    "segment:kmeans": 0.39,
    "segment:agglomerative": 0.01,
    "segment:gmm": 0.32,
    "segment:dbscan": 0.0,
    "segment:genie": 0.0,
    "profile": 0.61,
    "explain": 0.0,
    "write": 1.4,
}

#: 10,000 customers, where the fixed cost of choosing k dominates and reading and
#: cleaning are almost free.
SMALL_RUN_WEIGHTS: dict[str, float] = {
    "read": 0.02,
    "prepare": 0.89,
    "segment:kmeans": 4.4,
    "segment:agglomerative": 0.02,
    "segment:gmm": 2.34,
    "segment:dbscan": 0.0,
    "segment:genie": 0.0,
    "profile": 0.21,
    "explain": 2.9,
    "write": 2.5,
}

#: 40,000 customers: the explanations train on twice as many customers as at 10,000, up
#: to ``explain.max_rows``, and weigh twice as much; from here on they hardly grow.
MEDIUM_RUN_WEIGHTS: dict[str, float] = {
    "read": 0.05,
    "prepare": 1.74,
    "segment:kmeans": 5.9,
    "segment:agglomerative": 0.07,
    "segment:gmm": 3.46,
    "segment:dbscan": 0.0,
    "segment:genie": 0.01,
    "profile": 0.3,
    "explain": 5.87,
    "write": 3.2,
}

#: 1,000,000 customers (also a run of unknown size): cleaning weighs a quarter.
STAGE_WEIGHTS: dict[str, float] = {
    "read": 0.45,
    "prepare": 9.56,
    "segment:kmeans": 8.19,
    "segment:agglomerative": 0.87,
    "segment:gmm": 5.14,
    "segment:dbscan": 0.0,
    "segment:genie": 0.08,
    "profile": 2.31,
    "explain": 5.82,
    "write": 5.3,
}

#: 10,000,000 customers: cleaning (the neighbour outliers above all), the profiles and
#: writing grow with the customers, the k search on its samples does not. The profiles
#: take about as long as what is left of the explanations, which the workers run
#: meanwhile, so the run hardly waits for those. (One run without figures; the write
#: stage with them from the run before, in the same code but for the report's plots.)
HUGE_RUN_WEIGHTS: dict[str, float] = {
    "read": 6.19,
    "prepare": 105.18,
    "segment:kmeans": 49.55,
    "segment:agglomerative": 11.72,
    "segment:gmm": 2.74,
    "segment:dbscan": 0.0,
    "segment:genie": 3.04,
    "profile": 30.77,
    "explain": 0.32,
    "write": 27.8,
}

#: The same runs' write stage without figures (``--no-figures``: no PNGs, no report).
WRITE_WITHOUT_FIGURES: dict[int, float] = {
    200: 0.6,
    10_000: 1.1,
    40_000: 1.4,
    1_000_000: 4.3,
    10_000_000: 22.4,
}

#: The method stages the tables measured, in the order the run read their results.
MEASURED_METHODS = [
    "segment:kmeans",
    "segment:agglomerative",
    "segment:gmm",
    "segment:dbscan",
    "segment:genie",
]
#: Seconds of work of each method in the same runs, by size, in a worker (one thread):
#: what it weighs alone, one after the other, or in a round of workers.
METHOD_WORK: dict[int, dict[str, float]] = {
    200: {"kmeans": 0.2, "agglomerative": 0.2, "gmm": 0.5, "dbscan": 0.2, "genie": 0.1},
    10_000: {"kmeans": 1.8, "agglomerative": 4.0, "gmm": 2.8, "dbscan": 2.7, "genie": 1.9},
    40_000: {"kmeans": 1.2, "agglomerative": 4.7, "gmm": 4.5, "dbscan": 5.0, "genie": 1.5},
    1_000_000: {"kmeans": 2.6, "agglomerative": 6.8, "gmm": 7.2, "dbscan": 5.4, "genie": 2.5},
    10_000_000: {
        "kmeans": 12.4,
        "agglomerative": 35.3,
        "gmm": 18.5,
        "dbscan": 42.0,
        "genie": 17.1,
    },
}
#: Seconds of work of the five methods' explanations in the same runs, by size.
EXPLAIN_WORK: dict[int, float] = {
    200: 0.8,
    10_000: 6.2,
    40_000: 12.9,
    1_000_000: 17.3,
    10_000_000: 45.4,
}

#: The sizes the tables were measured at, smallest first.
_MEASURED: tuple[tuple[int, dict[str, float]], ...] = (
    (200, TINY_RUN_WEIGHTS),
    (10_000, SMALL_RUN_WEIGHTS),
    (40_000, MEDIUM_RUN_WEIGHTS),
    (1_000_000, STAGE_WEIGHTS),
    (10_000_000, HUGE_RUN_WEIGHTS),
)

#: Up to this many customers a stage's time grows fast at first and then slowly: the
#: fixed costs (imports, each fit's overheads) dominate, and the k search's samples grow
#: with the customers up to ``clustering.search_max_rows``. So between the sizes measured
#: below it a stage's time is a straight line in the logarithm of the customers; above
#: it, where the work per customer dominates, in the customers. (Linear below it too,
#: the 2,240 customers of marketing_campaign heard "about 5 s left" after reading where
#: 14 were: 21% of the way from the Mall's times to 10,000's; now 9.)
LOG_SCALE_ROWS = 10_000

#: Seconds of the measured runs the pace of this run is weighed against: until the stages
#: done were expected to take about that long, the run's own pace counts for less than the
#: measured machine's. The first stages of a small run are too short to say how fast the
#: machine is, and mostly imports that depend on what the run will draw (Mall's cleaning
#: took 0.2 s without figures and 0.5 s with them).
PRIOR_SECONDS = 2.0


def stage_weight(stage: str, rows: int | None, *, figures: bool = True) -> float:
    """Return a stage's typical seconds in a run of ``rows`` customers (unknown: a large run's).

    Between two measured sizes above :data:`LOG_SCALE_ROWS` a stage's time is a fixed cost
    plus a cost per customer (a straight line through both measurements): cleaning and
    writing grow with the rows, the k search on its samples hardly does, so a cheap stage
    at 10,000 that grows with the rows stays cheap at 40,000; below it, a straight line in
    the logarithm of the customers. Below and above the measured sizes, the nearest one. A
    stage no table knows weighs an average stage. Without ``figures`` the write stage
    draws no PNGs and no report (:data:`WRITE_WITHOUT_FIGURES`).

    Examples
    --------
    >>> round(stage_weight("read", 10_000), 2), round(stage_weight("read", 1_000_000), 2)
    (0.02, 0.45)
    >>> round(stage_weight("read", 100_000), 3), round(stage_weight("read", 5_500_000), 1)
    (0.075, 3.3)
    >>> stage_weight("write", 10_000), stage_weight("write", 10_000, figures=False)
    (2.5, 1.1)
    """

    def seconds(size: int, table: dict[str, float]) -> float:
        if stage == "write" and not figures:
            return WRITE_WITHOUT_FIGURES[size]
        return table.get(stage, sum(table.values()) / len(table))

    return _between_sizes(seconds, rows)


def method_work(method: str, rows: int | None) -> float:
    """Return a method's typical seconds of work in a run of ``rows`` customers.

    A method the tables do not know weighs an average one.

    Examples
    --------
    >>> method_work("agglomerative", 10_000), method_work("agglomerative", 1_000_000)
    (4.0, 6.8)
    >>> round(method_work("hdbscan", 10_000), 2)
    2.64
    """

    def seconds(size: int, table: dict[str, float]) -> float:
        work = METHOD_WORK[size]
        return work.get(method, sum(work.values()) / len(work))

    return _between_sizes(seconds, rows)


def explain_work(rows: int | None) -> float:
    """Return the typical seconds of work of explaining the five methods' segments.

    Examples
    --------
    >>> explain_work(10_000), explain_work(10_000_000)
    (6.2, 45.4)
    """
    return _between_sizes(lambda size, _: EXPLAIN_WORK[size], rows)


def method_waits(methods: Sequence[str], rows: int | None, processes: int) -> dict[str, float]:
    """Return how long a run waits for each method's result, the methods side by side.

    The workers start the methods longest first (``methods.parallel.start_order``), each
    the next one as it becomes free; the run reads the results in the configured order,
    and waits for each only as long as it finishes after the ones read before it.

    Examples
    --------
    Two workers: Agglomerative and K-Means start first; GMM, read first, starts when
    K-Means is done and ends last, so the run waits for it and not for the others.

    >>> method_waits(["gmm", "kmeans", "agglomerative"], 10_000, 2)
    {'gmm': 4.6, 'kmeans': 0.0, 'agglomerative': 0.0}
    """
    # Imported here: the methods import this module to report their steps.
    from segmentkit.methods.parallel import start_order

    free = [0.0] * max(1, processes)
    finish: dict[str, float] = {}
    for method in start_order(list(methods)):
        worker = free.index(min(free))
        free[worker] += method_work(method, rows)
        finish[method] = free[worker]
    waits, read_until = {}, 0.0
    for method in methods:
        waits[method] = round(max(0.0, finish[method] - read_until), 6)
        read_until = max(read_until, finish[method])
    return waits


def _between_sizes(seconds: Callable[[int, dict[str, float]], float], rows: int | None) -> float:
    """``seconds`` of the measured sizes, on a line between the two around ``rows``.

    Up to :data:`LOG_SCALE_ROWS` customers the line is straight in the logarithm of the
    customers, above it in the customers themselves.
    """
    if rows is None:
        return seconds(1_000_000, STAGE_WEIGHTS)
    spans = list(itertools.pairwise(_MEASURED))
    # The span the size falls in; above the largest size, the last span's end.
    (low, below), (high, above) = next((s for s in spans if rows <= s[1][0]), spans[-1])
    if high <= LOG_SCALE_ROWS:
        position = math.log(max(rows, 1) / low) / math.log(high / low)
    else:
        position = (rows - low) / (high - low)
    position = min(1.0, max(0.0, position))
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
        #: The worker processes they run in, side by side.
        self.processes = 2
        #: Whether the explanations run in worker processes while the run computes the
        #: profiles (otherwise the run does their work after the profiles).
        self.explain_in_workers = True
        #: Whether the run draws its figures and report (``--no-figures``: not).
        self.figures = True
        self._started = time.perf_counter()
        #: Seconds from the start to the end of the last stage done.
        self._elapsed_at_last_end = 0.0
        self._bar: Any = None
        if bar:
            self._bar = _rich_progress()

    def plan(self, *, processes: int, figures: bool) -> None:
        """Say how the run will work: its estimates depend on it.

        ``processes``: the worker processes the run starts, or will (0: none); ``figures``:
        whether it draws its figures and report. Said before the first stage, and again
        once the workers have started; the methods correct ``side_by_side`` when memory
        makes them run one by one.
        """
        methods = [s for s in self.stages if s.startswith("segment:")]
        self.processes = max(1, processes)
        self.side_by_side = processes >= 2 and len(methods) > 1
        self.explain_in_workers = processes >= 2
        self.figures = figures

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def remaining_seconds(self) -> float | None:
        """Estimated seconds left: the remaining stages' typical times at this run's pace.

        The pace is the time the run has taken so far (between its stages too) against
        the stages' typical times, both with :data:`PRIOR_SECONDS` of the measured
        machine's pace added, so that the first, short stages of a small run cannot
        double or halve the estimate on their own.
        """
        if not self.timings:
            return None
        done = sum(self._weight(s) for s in self.timings)
        left = sum(self._weight(s) for s in self.stages if s not in self.timings)
        pace = (self._elapsed_at_last_end + PRIOR_SECONDS) / max(done + PRIOR_SECONDS, 1e-9)
        return left * pace

    def _weight(self, stage: str) -> float:
        methods = [s for s in self.stages if s.startswith("segment:")]
        if stage.startswith("segment:"):
            method = stage.removeprefix("segment:")
            if not self.side_by_side:
                return method_work(method, self.rows)
            if methods != MEASURED_METHODS:
                # The waits measured for the five in their order do not fit.
                names = [m.removeprefix("segment:") for m in methods]
                return method_waits(names, self.rows, self.processes)[method]
        if stage == "explain":
            # One explanation per method, where the tables explained five. In workers,
            # the run waits for what they have left of the work once the profiles are
            # done; otherwise it does all the work itself.
            if self.explain_in_workers:
                weight = stage_weight(stage, self.rows)
            else:
                weight = explain_work(self.rows)
            return weight * len(methods) / len(MEASURED_METHODS)
        return stage_weight(stage, self.rows, figures=self.figures)

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
        end = time.perf_counter()
        seconds = end - start
        self.timings[name] = round(seconds, 3)
        self._elapsed_at_last_end = end - self._started
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
