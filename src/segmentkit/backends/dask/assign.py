"""The Dask backend's work on every row: K-Means fitted on all rows, every customer placed.

Each partition is cleaned and transformed by the sample run's saved model
(:class:`~segmentkit.scoring.model.SegmentationModel`) and placed by its assigners, so the
partitioned output and ``model.skops`` put every customer in the same segment. K-Means
is refitted on every row with dask-ml's k-means|| and its centres become a scikit-learn
``KMeans``, the type the saved model already holds for K-Means. These are the pieces of
:class:`~segmentkit.backends.dask.rows.DaskRows`. Dask is imported lazily: the backend's
entry point (:mod:`segmentkit.backends.dask.run`) checks the extra first.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, euclidean_distances
from threadpoolctl import threadpool_limits

from segmentkit.backends.dask.read import ScannedInput
from segmentkit.describe.profile_statistics import profile_groups
from segmentkit.errors import DataError
from segmentkit.methods import MethodResult, SplitRows, judge
from segmentkit.methods.base import SegmentAssigner
from segmentkit.pipeline import SegmentationRun, effective_jobs, search_context
from segmentkit.scoring.model import SegmentationModel

if TYPE_CHECKING:
    import dask.dataframe as dd

    from segmentkit.config import Config
    from segmentkit.prepare.transformer import PreparedData

__all__ = [
    "clean_partitions",
    "refit_kmeans",
    "segment_sizes",
    "with_population_sizes",
    "write_segments",
]

#: k-means|| draws about this many candidates per k in each of its rounds.
OVERSAMPLING = 2


def _clean_partition(part: pd.DataFrame, model: SegmentationModel) -> pd.DataFrame:
    cleaned, _ = model.clean(part)
    return cleaned


def clean_partitions(
    frame: dd.DataFrame, model: SegmentationModel, head: pd.DataFrame
) -> dd.DataFrame:
    """Return the feature columns of every partition as ``model`` cleans new customers.

    ``head`` (a few raw rows) gives the result's column types.
    """
    import dask

    meta = _clean_partition(head, model).iloc[:0]
    return frame.map_partitions(_clean_partition, dask.delayed(model, pure=True), meta=meta)


def _transform_partition(
    cleaned: pd.DataFrame, preprocessor: Any, names: list[str]
) -> pd.DataFrame:
    X = np.asarray(preprocessor.transform(cleaned), dtype=np.float64)
    return pd.DataFrame(X, columns=names)


def _centre_estimator(centres: np.ndarray, seed: int) -> KMeans:
    """Return a scikit-learn KMeans placing customers at ``centres``, for the saved model.

    Fitted on the centres themselves and started from them, each centre is its own
    cluster and stays in place; the model file then holds only types it already trusts.
    """
    estimator = KMeans(
        n_clusters=len(centres), init=centres, n_init=1, max_iter=1, random_state=seed
    ).fit(centres)
    if not np.array_equal(estimator.labels_, np.arange(len(centres))):
        raise DataError(
            "K-Means on every row ended with two identical centres", hint="choose a smaller --k"
        )
    return estimator


def _match_segments(centres: np.ndarray, sample: SegmentAssigner) -> np.ndarray:
    """Give each centre the number of the sample K-Means segment it matches best."""
    sample_centres = sample.estimator.cluster_centers_
    by_segment = np.empty_like(sample_centres)
    by_segment[sample.mapping] = sample_centres
    rows, segments = linear_sum_assignment(euclidean_distances(centres, by_segment, squared=True))
    mapping = np.empty(len(centres), dtype=int)
    mapping[rows] = segments
    return mapping


def refit_kmeans(
    prepared: PreparedData,
    sample: MethodResult,
    config: Config,
    cleaned: dd.DataFrame,
    lengths: tuple[int, ...],
) -> tuple[MethodResult, dict[str, Any]]:
    """Fit the sample's k on every row with k-means||: the run's new ``kmeans`` result.

    The rows are transformed partition by partition by the sample run's fitted
    preprocessor. The new segments take the numbers of the sample's K-Means segments
    they match (nearest centres, one to one), so the sample's stability refers to the
    same segments; the sample's labels and criteria are recomputed from the new centres.
    What describes the segments (importance, rules, profiles) and the choice of method
    come after, in the pipeline, once.

    Parameters
    ----------
    prepared : PreparedData
        The sample, prepared.
    sample : MethodResult
        K-Means fitted on the sample.
    config : Config
        The configuration (seed, ``clustering.kmeans`` settings, ``n_jobs``).
    cleaned : dask.dataframe.DataFrame
        Every row's features as :func:`clean_partitions` returns them.
    lengths : tuple of int
        Rows in each partition.

    Returns
    -------
    result : MethodResult
    facts : dict
        What ``run.json`` records: k, the k-means|| settings, iterations, inertia and the
        adjusted Rand index between the sample fit and the new one on the sample.
    """
    import dask
    from dask_ml.cluster import KMeans as DaskKMeans

    k = int(sample.params["k"])
    names = list(prepared.model_feature_names)
    meta = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in names})
    preprocessor = dask.delayed(prepared.preprocessor, pure=True)
    X = cleaned.map_partitions(_transform_partition, preprocessor, names, meta=meta)
    # Every Lloyd pass reads X again: keep it in the workers' memory (they spill to disk).
    X = X.to_dask_array(lengths=list(lengths)).persist()
    fitted = DaskKMeans(
        n_clusters=k,
        init="k-means||",
        oversampling_factor=OVERSAMPLING,
        max_iter=config.clustering.kmeans.max_iter,
        random_state=config.seed,
        n_init=config.clustering.kmeans.n_init,
    ).fit(X)
    del X
    jobs = effective_jobs(config.n_jobs)
    # The estimator records its thread count (saved in model.skops): the run's budget,
    # not whatever limit the stages before left in place (one was left at 1, measured).
    with threadpool_limits(limits=jobs, user_api="openmp"):
        centres = np.asarray(fitted.cluster_centers_, np.float64)
        estimator = _centre_estimator(centres, config.seed)
    assigner = SegmentAssigner(
        estimator, _match_segments(estimator.cluster_centers_, sample.assigner)
    )
    labels = assigner.predict(prepared.X)
    agreement = float(adjusted_rand_score(sample.labels, labels))
    facts = {
        "k": k,
        "init": "k-means||",
        "oversampling_factor": OVERSAMPLING,
        "random_state": config.seed,
        "lloyd_iterations": int(fitted.n_iter_),
        "inertia": float(fitted.inertia_),
        "sample_agreement_ari": round(agreement, 6),
    }
    note = (
        f"k = {k} chosen on the sample; centres fitted on all {sum(lengths):,} customers "
        f"with dask-ml k-means|| (seed {config.seed}, {facts['lloyd_iterations']} Lloyd "
        "iterations) and numbered like the sample's segments they match (adjusted Rand "
        f"index {agreement:.3f} with the sample's own fit, on the sample); criteria, "
        "stability, importance and profiles are measured on the sample"
    )
    # Judged like every other method: on the sample's customers that shape segments.
    context = search_context(prepared, config, jobs)
    metrics = judge(SplitRows.of(prepared.X, prepared.fit_mask), labels, context)
    result = dataclasses.replace(
        sample, labels=labels, assigner=assigner, metrics=metrics, notes=(*sample.notes, note)
    )
    return result, facts


def _score_partition(
    part: pd.DataFrame,
    model: SegmentationModel,
    offsets: np.ndarray,
    dtypes: dict[str, Any],
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    scored = model.score(part)
    if model.schema.id_column is None and partition_info is not None:
        # Row numbers restart in every partition: make them positions in the whole input.
        scored["row"] += int(offsets[partition_info["number"]])
    return scored.astype(dtypes)


def _count_partition(scored: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    frames = [
        scored.groupby([f"segment_{m}", "is_outlier"])
        .size()
        .reset_index()
        .set_axis(["segment", "outlier", "customers"], axis=1)
        .assign(method=m)
        for m in methods
    ]
    return pd.concat(frames, ignore_index=True)[["method", "segment", "outlier", "customers"]]


def write_segments(
    scanned: ScannedInput, model: SegmentationModel, head: pd.DataFrame, folder: Path
) -> pd.DataFrame:
    """Place every customer with ``model``, partition by partition, into Parquet files.

    ``folder`` gets one ``part.N.parquet`` per partition, in input order, with the
    columns of :meth:`SegmentationModel.score <segmentkit.scoring.model.SegmentationModel.score>`:
    the id (or ``row``, 1-based over all files), ``segment``, ``segment_name``,
    ``segment_<method>``, ``confidence_<method>`` and ``is_outlier``. Every partition is
    scored once, for the files and the counts together.

    Returns
    -------
    pandas.DataFrame
        Customers by ``method, segment, outlier`` (the flag as a bool).
    """
    import dask

    meta = model.score(head).iloc[:0]
    scored = scanned.frame.map_partitions(
        _score_partition,
        dask.delayed(model, pure=True),
        scanned.offsets,
        meta.dtypes.to_dict(),
        meta=meta,
    )
    count_meta = pd.DataFrame(
        {
            "method": pd.Series(dtype=object),
            "segment": pd.Series(dtype=np.int64),
            "outlier": pd.Series(dtype=bool),
            "customers": pd.Series(dtype=np.int64),
        }
    )
    counts = scored.map_partitions(_count_partition, list(model.assigners), meta=count_meta)
    write = scored.to_parquet(str(folder), write_index=False, compute=False)
    _, table = dask.compute(write, counts)
    return table.groupby(["method", "segment", "outlier"], as_index=False)["customers"].sum()


def segment_sizes(
    counts: pd.DataFrame, method: str, policy: str
) -> tuple[dict[int, int], dict[int, int]]:
    """Return customers per segment, and per profile (outliers apart as ``-2``).

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`write_segments`' counts.
    method : str
        The method.
    policy : str
        ``cleaning.outliers.policy``: only ``flag`` profiles outliers apart.
    """
    combos = counts[counts["method"] == method].reset_index(drop=True)
    segments = combos.groupby("segment")["customers"].sum()
    typical = ~combos["outlier"].to_numpy() if policy == "flag" else np.ones(len(combos), bool)
    # Each combination of segment and flag stands in for its customers: the rule of
    # profile_groups depends only on which combinations occur.
    groups = profile_groups(combos["segment"].to_numpy(), typical)
    profiles = combos["customers"].groupby(groups).sum()
    return (
        dict(zip(segments.index.astype(int).tolist(), segments.astype(int).tolist(), strict=True)),
        dict(zip(profiles.index.astype(int).tolist(), profiles.astype(int).tolist(), strict=True)),
    )


def with_population_sizes(
    run: SegmentationRun, sizes: dict[str, dict[int, int]], n_rows: int
) -> SegmentationRun:
    """Add ``population_size`` and ``population_share`` after ``share`` in every profile.

    ``sizes`` maps method to profile to customers over every row, as the second value of
    :func:`segment_sizes`.
    """
    profiles = {}
    for method, profile in run.profiles.items():
        table = profile.table.copy()
        counts = [sizes[method].get(int(s), 0) for s in table["segment"]]
        at = list(table.columns).index("share") + 1
        table.insert(at, "population_size", counts)
        table.insert(at + 1, "population_share", [c / n_rows for c in counts])
        profiles[method] = dataclasses.replace(profile, table=table)
    return dataclasses.replace(run, profiles=profiles)
