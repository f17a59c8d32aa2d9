"""Explaining every segmentation of a run: its surrogate forest and its rules.

Each method's explanation is independent of the others', and the rules are Python on
every customer (5 s of a 1,000,000-customer run), so with the run's worker processes the
methods are explained side by side, each worker with its share of the thread budget;
without them, one after the other in the run's process. The forest grows the same trees
on any number of threads, and a worker logs through the run, in the methods' order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from segmentkit.config import ExplainConfig
from segmentkit.describe.importance import Importance, explain_segments
from segmentkit.describe.rules import SegmentRules, fit_rules
from segmentkit.describe.rules.fit import rules_inputs
from segmentkit.prepare.transformer import PreparedData
from segmentkit.progress import advance
from segmentkit.workers import PendingJobs, RunWorkers

__all__ = ["ExplainInputs", "explain_all", "explain_one"]


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
    pending = PendingJobs()
    if workers is not None and workers.running and len(labels) > 1:
        threads = max(1, jobs // workers.processes)
        inputs = dataclasses.replace(inputs, X=workers.share(inputs.X))
        pending = PendingJobs(
            {
                name: workers.submit(_explain_in_worker, inputs, values, name, threads)
                for name, values in labels.items()
            },
            workers,
        )
    importance: dict[str, Importance] = {}
    rules: dict[str, SegmentRules] = {}
    for name, values in labels.items():
        importance[name], rules[name] = (
            pending.result(name) if name in pending else explain_one(inputs, values, name, jobs)
        )
        advance()
    return importance, rules
