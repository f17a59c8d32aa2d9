"""Explaining every segmentation of a run: its surrogate forest and its rules.

Each method's explanation is independent of the others', and the rules are Python on
every customer (5 s of a 1,000,000-customer run), so with the run's worker processes the
methods are explained side by side, each worker with its share of the thread budget;
without them, one after the other in the run's process. The forest grows the same trees
on any number of threads, and a worker logs through the run, in the methods' order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from segmentkit.config import ExplainConfig
from segmentkit.describe.importance import Importance, explain_segments
from segmentkit.describe.rules import SegmentRules, fit_rules
from segmentkit.describe.rules.fit import rules_inputs
from segmentkit.prepare.transformer import PreparedData
from segmentkit.progress import advance, computed_elsewhere
from segmentkit.workers import PendingJobs, RunWorkers

__all__ = ["ExplainInputs", "Explainer", "explain_all", "explain_one"]


@dataclass(frozen=True)
class ExplainInputs:
    """What explaining a segmentation needs besides its labels, as plain data for a worker.

    Attributes
    ----------
    X : numpy.ndarray of shape (n, d)
        The prepared matrix the methods segmented.
    feature_names, feature_origin
        The model's columns and the input column each comes from.
    config : ExplainConfig
    seed : int
    rules : dict
        :func:`~segmentkit.describe.rules.fit_rules`' data and keyword arguments.
    """

    X: np.ndarray
    feature_names: list[str]
    feature_origin: dict[str, str]
    config: ExplainConfig
    seed: int
    rules: dict[str, Any]

    @classmethod
    def of(cls, prepared: PreparedData, config: ExplainConfig, seed: int) -> ExplainInputs:
        """Collect the inputs of every method's explanation from prepared data."""
        return cls(
            X=prepared.X,
            feature_names=list(prepared.model_feature_names),
            feature_origin=dict(prepared.feature_origin),
            config=config,
            seed=seed,
            rules=rules_inputs(prepared),
        )


def explain_one(
    inputs: ExplainInputs, labels: np.ndarray, method: str, n_jobs: int
) -> tuple[Importance, SegmentRules]:
    """Return the surrogate forest's importance and the rules of one segmentation."""
    importance = explain_segments(
        inputs.X,
        labels,
        method=method,
        feature_names=inputs.feature_names,
        feature_origin=inputs.feature_origin,
        config=inputs.config,
        seed=inputs.seed,
        n_jobs=n_jobs,
    )
    rules = fit_rules(labels=labels, method=method, seed=inputs.seed, **inputs.rules)
    return importance, rules


def _explain_in_worker(
    inputs: ExplainInputs, labels: np.ndarray, method: str, threads: int
) -> tuple[Importance, SegmentRules]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        return explain_one(inputs, labels, method, threads)


class Explainer:
    """Explains a run's segmentations, each in the run's workers as soon as it exists.

    A run calls :meth:`start` as each method's segments come in, so that a worker that
    has finished its methods explains the first ones while the other still segments,
    instead of waiting for the slowest method; :meth:`collect` then gathers them all in
    the methods' order (and explains in the run's process what was not started).

    Parameters
    ----------
    inputs : ExplainInputs or callable
        The inputs, or what makes them when the first segmentation is explained: a run
        makes them while its workers segment (5 s at 10,000,000 customers) instead of
        before (the workers would wait).
    jobs : int
        The run's thread budget, shared among the workers.
    workers : RunWorkers, optional
        The run's worker processes; without running ones everything is explained by
        :meth:`collect`, one method after the other.
    """

    def __init__(
        self,
        inputs: ExplainInputs | Callable[[], ExplainInputs],
        *,
        jobs: int,
        workers: RunWorkers | None = None,
    ) -> None:
        self._inputs, self.jobs = inputs, jobs
        self._workers = workers if workers is not None and workers.running else None
        self._started: dict[str, np.ndarray] = {}
        self._pending = PendingJobs(workers=self._workers)

    @property
    def inputs(self) -> ExplainInputs:
        """The inputs of every explanation, made on first use."""
        if not isinstance(self._inputs, ExplainInputs):
            self._inputs = self._inputs()
        return self._inputs

    def start(self, name: str, labels: np.ndarray) -> None:
        """Start explaining ``labels`` (method ``name``) in a worker, if there are any."""
        workers = self._workers
        if workers is None or not workers.running:
            return
        shared = dataclasses.replace(self.inputs, X=workers.share(self.inputs.X))
        threads = max(1, self.jobs // workers.processes)
        self._pending.add(name, workers.submit(_explain_in_worker, shared, labels, name, threads))
        self._started[name] = labels

    def start_all(self, labels: Mapping[str, np.ndarray]) -> None:
        """Start every segmentation of ``labels`` not started yet, in workers if any.

        One started with other segments (renumbered since) starts again. A single method
        is explained in the run's process (by :meth:`collect`): a worker would not pay.
        """
        if len(labels) < 2:
            return
        for name, values in labels.items():
            started = self._started.get(name)
            if started is None or not np.array_equal(started, values):
                self.start(name, values)

    def collect(
        self, labels: Mapping[str, np.ndarray]
    ) -> tuple[dict[str, Importance], dict[str, SegmentRules]]:
        """Return every method's importance and rules, in the order of ``labels``."""
        self.start_all(labels)
        importance: dict[str, Importance] = {}
        rules: dict[str, SegmentRules] = {}
        for name, values in labels.items():
            if name in self._pending:
                importance[name], rules[name] = self._pending.result(name)
                computed_elsewhere(self._pending.seconds[name])
            else:
                importance[name], rules[name] = explain_one(self.inputs, values, name, self.jobs)
            advance()
        if self._workers is not None:
            # The last jobs that map the model's matrix are done (1.3 GB at 10,000,000).
            self._workers.unshare(self.inputs.X)
        return importance, rules


def explain_all(
    labels: Mapping[str, np.ndarray],
    inputs: ExplainInputs,
    *,
    jobs: int,
    workers: RunWorkers | None = None,
) -> tuple[dict[str, Importance], dict[str, SegmentRules]]:
    """Explain every method's segmentation, side by side in ``workers`` when running.

    Parameters
    ----------
    labels : mapping
        Method to its segments (``-1`` noise), in the order wanted.
    inputs : ExplainInputs
    jobs : int
        The run's thread budget, shared among the workers.
    workers : RunWorkers, optional
        The run's worker processes.

    Returns
    -------
    importance, rules : dict
        Method to its :class:`Importance` and :class:`SegmentRules`.
    """
    return Explainer(inputs, jobs=jobs, workers=workers).collect(labels)
