"""The one orchestration: a customer table and a config in, a finished run out."""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sklearn
from threadpoolctl import threadpool_limits

from segmentkit import __version__
from segmentkit.config import Config
from segmentkit.describe.actions import unknown_rule_features
from segmentkit.describe.explanation import Explainer, ExplainInputs
from segmentkit.describe.identity import (
    Identity,
    PreviousRun,
    carried_choices,
    carry_identities,
    check_comparable,
    migration_table,
)
from segmentkit.describe.importance import Importance
from segmentkit.describe.profile_population import Population
from segmentkit.describe.profiles import SegmentProfiles, profile_groups, profile_segments
from segmentkit.describe.rules import SegmentRules
from segmentkit.describe.run_summary import run_html, run_text
from segmentkit.describe.segment_counts import distinct_segments
from segmentkit.describe.segment_names import apply_names, unknown_segments
from segmentkit.errors import ConfigError, DataError
from segmentkit.methods import METHODS, MethodResult, SearchContext, run_method
from segmentkit.methods.base import check_fixed_k
from segmentkit.methods.parallel import start_methods
from segmentkit.prepare.transformer import PreparedData, prepare
from segmentkit.progress import RunProgress, add_steps, computed_elsewhere, run_stages
from segmentkit.resources import (
    WORKING_MEMORY_MIB,
    available_memory,
    check_memory,
    effective_jobs,
    stage_memory,
)
from segmentkit.selection.alternative import Alternative, finer_alternative
from segmentkit.selection.method_choice import recommend_method

if TYPE_CHECKING:
    from segmentkit.backends.base import RowBackend
    from segmentkit.workers import RunWorkers

__all__ = [
    "SegmentationRun",
    "effective_jobs",
    "library_versions",
    "run_segmentation",
    "search_context",
    "segment_prepared",
]

logger = logging.getLogger(__name__)


_LIBRARIES = (
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "kneed",
    "pydantic",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "plotly",
    "jinja2",
    "skops",
)


def library_versions() -> dict[str, str]:
    """Return the versions of Python and the libraries that shape the results."""
    versions = {"python": platform.python_version(), "segmentkit": __version__}
    for name in _LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True)
class SegmentationRun:
    """A finished segmentation: everything the exports and the report read.

    Attributes
    ----------
    config : Config
        The resolved configuration.
    prepared : PreparedData
        The cleaned data and fitted transformer.
    results : dict
        Method name to :class:`~segmentkit.methods.MethodResult`, in registry order.
    profiles : dict
        Method name to :class:`~segmentkit.describe.profiles.SegmentProfiles`.
    importance : dict
        Method name to :class:`~segmentkit.describe.importance.Importance`.
    recommended : str
        The method whose segments become ``segment`` in the outputs.
    recommendation_reason : str
        Why that method was recommended.
    recommendation_stable : bool
        Whether it passed the stability gate (if not, no stable segmentation was found).
    alternative : Alternative or None
        When the recommendation has two segments: the most stable finer segmentation.
    timings : dict
        Stage name to seconds.
    source : dict
        What is known about the input (path, format, sha256 ...).
    skipped : dict
        Methods that could not run on this data, with the reason.
    identities : dict
        With ``--previous``: method to how its segments match the previous run's.
    migration : pandas.DataFrame or None
        With ``--previous``: customers in both runs by old and new segment.
    previous : str or None
        The previous output folder.
    chosen_names : dict
        Method to segment number to the names people chose (``profiles.names``, or
        carried from ``--previous``), already in ``profiles``; the automatic names are
        the others.
    rules : dict
        Method name to :class:`~segmentkit.describe.rules.SegmentRules`: thresholds on the input
        columns that reproduce its segments, with their agreement.
    """

    config: Config
    prepared: PreparedData
    results: dict[str, MethodResult]
    profiles: dict[str, SegmentProfiles]
    importance: dict[str, Importance]
    recommended: str
    recommendation_reason: str
    recommendation_stable: bool = True
    alternative: Alternative | None = None
    timings: dict[str, float] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    identities: dict[str, Identity] = field(default_factory=dict)
    migration: pd.DataFrame | None = None
    previous: str | None = None
    chosen_names: dict[str, dict[int, str]] = field(default_factory=dict)
    rules: dict[str, SegmentRules] = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        """Segments of the recommended method for every kept row."""
        return self.results[self.recommended].labels

    # Shown in terminals and notebooks: the recommendation and its segments, not the arrays.
    __repr__ = run_text
    _repr_html_ = run_html


def run_segmentation(
    frame: pd.DataFrame,
    config: Config | None = None,
    *,
    source: dict[str, Any] | None = None,
    previous: PreviousRun | None = None,
    progress: RunProgress | None = None,
    rows: RowBackend | None = None,
    workers: RunWorkers | None = None,
) -> SegmentationRun:
    """Clean, segment, compare and profile a customer table.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer. Not modified.
    config : Config, optional
        The configuration (defaults when omitted).
    source : dict, optional
        Facts about the input to record in ``run.json`` (path, sha256 ...).
    previous : PreviousRun, optional
        An earlier run whose segment numbers and names carry over where segments match.
    progress : RunProgress, optional
        Times and reports the stages (default: one log line per stage).
    rows : RowBackend, optional
        A backend whose input holds more rows than ``frame`` (the Dask backend's
        sample): its :meth:`~segmentkit.backends.base.RowBackend.fit_all_rows` runs once
        every method has segmented ``frame``, before the choice of method (default: the
        local backend, ``frame`` is every row).
    workers : RunWorkers, optional
        Worker processes started with the run: its methods run side by side in them
        (default: one after the other in this process).

    Returns
    -------
    SegmentationRun

    Raises
    ------
    DataError
        When the data cannot be cleaned or segmented as configured, or ``previous``
        segmented other data (no feature in common).
    ConfigError
        When a fixed ``clustering.k`` asks for more segments than the customers hold.
    """
    config = config or Config()
    jobs = effective_jobs(config.n_jobs)
    if progress is None:
        progress = RunProgress(run_stages(config.clustering.methods, read=False, write=False))
    # One limit for every BLAS/OpenMP pool (scikit-learn's K-Means, numpy): n_jobs is the
    # whole budget, never n_jobs per library. scikit-learn's chunked pairwise work
    # (silhouette, neighbours) may use 1 GiB per chunk by default; a quarter of that
    # keeps the peak lower at the same speed (measured: +0.75 GiB per stage at 1 GiB).
    with threadpool_limits(limits=jobs), sklearn.config_context(working_memory=WORKING_MEMORY_MIB):
        return _run_segmentation(frame, config, source, jobs, previous, progress, rows, workers)


def _run_segmentation(
    frame: pd.DataFrame,
    config: Config,
    source: dict[str, Any] | None,
    jobs: int,
    previous: PreviousRun | None,
    progress: RunProgress,
    rows: RowBackend | None,
    workers: RunWorkers | None,
) -> SegmentationRun:
    # Until the methods start (when memory may still make them run one by one).
    running = workers.processes if workers is not None and workers.running else 0
    progress.plan(processes=running, figures=progress.figures)
    check_memory(
        "prepare",
        stage_memory("prepare", len(frame), frame.shape[1], config),
        hint="choose fewer columns with --features, or use --backend dask",
    )
    with progress.stage("prepare"):
        prepared = prepare(frame, config)
    if previous is not None:
        check_comparable(previous, prepared.features)  # before the work, not after it
    n_rows, n_features = prepared.X.shape
    explainer = Explainer(
        lambda: ExplainInputs.of(prepared, config.explain, config.seed),
        jobs=jobs,
        workers=workers,
    )
    # A method's segments are final as it returns them, unless a backend refits them on
    # all its rows or a previous run's identities renumber them: then each is explained
    # from then on, in a worker that has finished its methods while another still works.
    explain_early = rows is None and previous is None and len(config.clustering.methods) > 1
    results, skipped = segment_prepared(
        prepared,
        config,
        jobs=jobs,
        progress=progress,
        workers=workers,
        on_result=(lambda name, result: explainer.start(name, result.labels))
        if explain_early
        else None,
    )
    if rows is not None:
        # Before anything describes the segments, so that every later stage runs once,
        # on what the backend fitted on all its rows.
        results = rows.fit_all_rows(prepared, results, config)
    identities: dict[str, Identity] = {}
    if previous is not None:
        results, identities = carry_identities(
            results, prepared, previous, max_distance=config.identity.max_distance
        )
    chosen = _chosen_names(config, prepared, results, skipped, previous, identities)
    recommendation = recommend_method(
        results, min_stability=config.clustering.stability.min_stability
    )
    recommended, reason = recommendation.method, recommendation.reason
    log = logger.info if recommendation.stable else logger.warning
    log("Recommended method: %s (%s)", recommended, reason)
    # The workers may be explaining already: this process takes what they leave of the
    # thread budget. OpenMP threads that compete with busy workers for the same cores
    # wait for each other instead of working (Mall's alternative: 0.6 s alone, 7-10 s).
    own_jobs = jobs
    if explain_early and workers is not None and workers.running:
        own_jobs = max(1, jobs - workers.processes)
    with threadpool_limits(limits=own_jobs):
        alternative = finer_alternative(
            results[recommended],
            prepared.X,
            prepared.fit_mask,
            search_context(prepared, config, own_jobs),
        )
    check_memory(
        "explain",
        stage_memory("explain", n_rows, n_features, config),
        hint="lower explain.max_rows",
    )
    labels = {name: result.labels for name, result in results.items()}
    # The profiles are computed here while the workers explain the segmentations.
    explainer.start_all(labels)
    with progress.stage("profile"):
        rule_columns = [*prepared.features, *prepared.outcomes.columns]
        for problem in unknown_rule_features(config.profiles, rule_columns):
            logger.warning("Recommendation %s; the rule never fires on this data", problem)
        named = [*(config.profiles.value_columns or []), *config.profiles.columns.values()]
        for column in named:
            if column not in prepared.numeric_features:
                logger.warning(
                    "profiles: %r is not a numeric feature of this data; it is ignored", column
                )
        # The same whole-population figures for every method (0.4 s each at 1,000,000).
        population = Population(prepared, config.profiles)
        profiles = {
            name: profile_segments(
                prepared,
                name,
                result.labels,
                config.profiles,
                carried_names=identities[name].names if name in identities else None,
                population=population,
            )
            for name, result in results.items()
        }
        # The names people chose replace the automatic ones, after those are made.
        profiles = {name: apply_names(p, chosen.get(name, {})) for name, p in profiles.items()}
    with progress.stage("explain"):
        add_steps(len(results))
        importance, rules = explainer.collect(labels)
    migration = None
    if previous is not None:
        migration = migration_table(
            previous,
            prepared.ids,
            labels,
            {name: profile.names for name, profile in profiles.items()},
        )
    return SegmentationRun(
        config=config,
        prepared=prepared,
        results=results,
        profiles=profiles,
        importance=importance,
        recommended=recommended,
        recommendation_reason=reason,
        recommendation_stable=recommendation.stable,
        alternative=alternative,
        timings=dict(progress.timings),
        source=dict(source or {}),
        skipped=skipped,
        identities=identities,
        migration=migration,
        previous=str(previous.folder) if previous is not None else None,
        chosen_names=chosen,
        rules=rules,
    )


def _chosen_names(
    config: Config,
    prepared: PreparedData,
    results: dict[str, MethodResult],
    skipped: dict[str, str],
    previous: PreviousRun | None,
    identities: dict[str, Identity],
) -> dict[str, dict[int, str]]:
    """Return the names people chose, by method and segment, checked against the segments.

    Names carried from ``--previous`` come first; ``profiles.names`` overrides them.
    Checked as soon as the segments exist, before the longer explain stage.

    Raises
    ------
    ConfigError
        When ``profiles.names`` names a segment (or method) this run does not have.
    """
    segments = {
        method: set(distinct_segments(profile_groups(result.labels, prepared.fit_mask)).tolist())
        for method, result in results.items()
    }
    chosen = carried_choices(previous, identities, segments) if previous is not None else {}
    configured = {}
    for method, names in config.profiles.names.items():
        if method in skipped:
            logger.warning(
                "profiles.names.%s: %s was skipped on this data; its names are not used",
                method,
                method,
            )
            continue
        configured[method] = names
    problems = unknown_segments(configured, segments)
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(
            f"profiles.names: {len(problems)} segments this run does not have", problems=problems
        )
    for method, names in configured.items():
        chosen[method] = {**chosen.get(method, {}), **names}
    return {method: dict(sorted(names.items())) for method, names in chosen.items() if names}


def search_context(prepared: PreparedData, config: Config, jobs: int) -> SearchContext:
    """Return what every method search needs besides the data."""
    continuous = tuple(sorted(prepared.numeric_model_columns.values()))
    return SearchContext(
        seed=config.seed, n_jobs=jobs, clustering=config.clustering, continuous=continuous
    )


def segment_prepared(
    prepared: PreparedData,
    config: Config,
    *,
    jobs: int = 1,
    progress: RunProgress | None = None,
    workers: RunWorkers | None = None,
    on_result: Callable[[str, MethodResult], None] | None = None,
) -> tuple[dict[str, MethodResult], dict[str, str]]:
    """Run every configured method on prepared data: the segmentations, before describing them.

    Parameters
    ----------
    prepared : PreparedData
        The output of :func:`~segmentkit.prepare.transformer.prepare`.
    config : Config
        The configuration.
    jobs : int
        Threads (the caller limits the thread pools).
    progress : RunProgress, optional
        Times the ``segment:<method>`` stages: the time the run waited for each.
    workers : RunWorkers, optional
        The run's worker processes: the methods run side by side in them
        (:mod:`segmentkit.methods.parallel`) when the largest of them fit in memory
        together; otherwise, or without workers, one after the other here.
    on_result : callable, optional
        Called with each method's name and result as soon as the run has it, in the
        methods' order (the run starts that segmentation's explanation).

    Returns
    -------
    results : dict
        Method to :class:`~segmentkit.methods.MethodResult`, in registry order.
    skipped : dict
        Methods that could not run on this data, with the reason.

    Raises
    ------
    DataError
        When no method can run.
    ConfigError
        When a fixed ``clustering.k`` asks for more segments than the customers hold.
    """
    progress = progress or RunProgress([f"segment:{m}" for m in config.clustering.methods])
    check_fixed_k(prepared.X, prepared.fit_mask, config.clustering)
    context = search_context(prepared, config, jobs)
    n_rows, n_features = prepared.X.shape
    names = list(config.clustering.methods)
    needs = {name: stage_memory(f"segment:{name}", n_rows, n_features, config) for name in names}
    # Side by side only while the largest methods fit in memory together.
    together = sum(sorted(needs.values())[-workers.processes :]) if workers else 0
    pending = start_methods(
        names,
        prepared.X,
        context,
        fit_mask=prepared.fit_mask,
        workers=workers if workers and together <= available_memory() else None,
    )
    # Side by side or one after the other: the estimate of what remains weighs them so.
    progress.side_by_side = any(name in pending for name in names)
    progress.processes = workers.processes if workers is not None else 1
    results: dict[str, MethodResult] = {}
    skipped: dict[str, str] = {}
    first_error: DataError | None = None
    for name in names:
        check_memory(
            f"segment:{name}",
            needs[name],
            hint=f"leave {name} out with --methods, or use --backend dask",
        )
        with progress.stage(f"segment:{name}"):
            try:
                if name in pending:
                    results[name] = pending.result(name)
                    computed_elsewhere(pending.seconds[name])
                else:
                    results[name] = run_method(
                        METHODS[name], prepared.X, context, fit_mask=prepared.fit_mask
                    )
            except DataError as error:
                # One method that cannot run on this data must not sink the others.
                first_error = first_error or error
                skipped[name] = str(error)
                logger.warning("%s skipped: %s", name, error)
                continue
        if on_result is not None:
            on_result(name, results[name])
    if not results:
        assert first_error is not None  # noqa: S101 - at least one method was asked for
        raise first_error
    return results, skipped
