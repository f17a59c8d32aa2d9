"""The Dask backend's two steps of the one pipeline: fit on all rows, assign all rows.

The pipeline runs on a seeded sample (:func:`segmentkit.api.segment_frame`);
:class:`DaskRows` plugs in where the sample is not every customer
(:class:`~segmentkit.backends.base.RowBackend`):

- **fit on all rows**, once every method has segmented the sample: the cleaning
  statistics of every column over all rows, then K-Means fitted on every row with
  dask-ml's k-means|| (:func:`~segmentkit.backends.dask.assign.refit_kmeans`); the
  pipeline then chooses the method, explains and profiles, once;
- **assign all rows**, the first file of the output folder: every customer placed by the
  saved model's rules, partition by partition, into ``segments/`` (Parquet); the profiles
  gain ``population_size`` and ``population_share``, and ``run.json`` counts every row
  and records the ``dask`` section.

Everything approximate is logged and listed in ``run.json`` → ``dask.notes``, and what
concerns one method also in that method's notes (shown in the report).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segmentkit.backends.base import AssignedRows
from segmentkit.backends.dask.assign import (
    clean_partitions,
    refit_kmeans,
    segment_sizes,
    with_population_sizes,
    write_segments,
)
from segmentkit.backends.dask.read import ScannedInput, column_statistics
from segmentkit.output.folder import SEGMENTS_DIR
from segmentkit.pipeline import SegmentationRun
from segmentkit.progress import RunProgress
from segmentkit.scoring.model import SegmentationModel

if TYPE_CHECKING:
    import pandas as pd

    from segmentkit.config import Config
    from segmentkit.methods import MethodResult
    from segmentkit.prepare.transformer import PreparedData

__all__ = ["KMEANS_STAGE", "STATISTICS_STAGE", "DaskRows"]

logger = logging.getLogger(__name__)

#: The stages this backend adds to the pipeline's, between segmenting and explaining.
STATISTICS_STAGE = "statistics"
KMEANS_STAGE = "kmeans on every customer"


@dataclass
class DaskRows:
    """Fit and assign every row of a Dask input; what it measured, for ``run.json``.

    Parameters
    ----------
    scanned : ScannedInput
        The whole input, as read.
    head : pandas.DataFrame
        A few raw rows of the sample: the column types of every partition's results.
    n_sample : int
        Customers in the sample the pipeline runs on.
    cluster : dict
        The cluster the run used (``run.json`` → ``dask.cluster``).
    progress : RunProgress
        Times the :data:`STATISTICS_STAGE` and :data:`KMEANS_STAGE` stages.

    Attributes
    ----------
    statistics : dict
        The cleaning statistics over every row (``run.json`` → ``dask.statistics``).
    kmeans : dict or None
        The k-means|| fit on every row (``dask.kmeans``); ``None`` without K-Means.
    notes : list of str
        Every approximation made, as logged.
    assigned : AssignedRows or None
        Every row's segment, once :meth:`assign_all_rows` has run.
    sizes : dict
        Method to ``{segment: customers}`` over every row (outliers in their segment).
    """

    scanned: ScannedInput
    head: pd.DataFrame
    n_sample: int
    cluster: dict[str, Any]
    progress: RunProgress
    statistics: dict[str, Any] = field(default_factory=dict)
    kmeans: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    assigned: AssignedRows | None = None
    sizes: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Rows of the whole input."""
        return self.scanned.n_rows

    def fit_all_rows(
        self, prepared: PreparedData, results: dict[str, MethodResult], config: Config
    ) -> dict[str, MethodResult]:
        """Measure every column over all rows and fit K-Means on every row.

        Returns ``results`` with K-Means refitted on every row, and every method's notes
        saying what comes from the sample.
        """
        # Only the saved model's cleaning is used, so it needs no segmentation yet.
        cleaner = SegmentationModel.from_run(
            SegmentationRun(
                config=config,
                prepared=prepared,
                results={},
                profiles={},
                importance={},
                recommended="",
                recommendation_reason="",
            )
        )
        cleaned = clean_partitions(self.scanned.frame, cleaner, self.head)
        with self.progress.stage(STATISTICS_STAGE):
            self.statistics = column_statistics(
                self.scanned,
                cleaned,
                roles={name: role.role for name, role in prepared.roles.items()},
                id_column=cleaner.schema.id_column,
            )
        if "kmeans" in results:
            with self.progress.stage(KMEANS_STAGE):
                refitted, self.kmeans = refit_kmeans(
                    prepared, results["kmeans"], config, cleaned, self.scanned.lengths
                )
            results = {**results, "kmeans": refitted}
        self.notes = _notes(prepared, config.seed, self.n_rows, self.n_sample, self.statistics)
        return _with_notes(results, self.n_rows, self.n_sample)

    def assign_all_rows(self, run: SegmentationRun, folder: Path) -> AssignedRows:
        """Place every customer with the saved model's rules into ``folder/segments/``."""
        model = SegmentationModel.from_run(run)
        counts = write_segments(self.scanned, model, self.head, folder / SEGMENTS_DIR)
        policy = run.config.cleaning.outliers.policy
        by_method = {m: segment_sizes(counts, m, policy) for m in run.results}
        self.sizes = {m: sizes[0] for m, sizes in by_method.items()}
        by_profile = {m: sizes[1] for m, sizes in by_method.items()}
        # The outlier flag is the same for every method: count it in the first one's rows.
        first = counts["method"] == counts["method"].iloc[0]
        self.assigned = AssignedRows(
            run=with_population_sizes(run, by_profile, self.n_rows),
            # Every input row is in the output: none is dropped, each has a segment.
            rows={
                "read": self.n_rows,
                "kept": self.n_rows,
                "dropped": {},
                "outliers": int(counts.loc[first & counts["outlier"], "customers"].sum()),
                "fit": run.prepared.row_counts["fit"],
            },
            segment_sizes=self.sizes,
            sections={
                "dask": {
                    "cluster": self.cluster,
                    "sample": {"size": self.n_sample, "of": self.n_rows, "seed": run.config.seed},
                    "sample_rows": run.prepared.row_counts,
                    "statistics": self.statistics,
                    "kmeans": self.kmeans,
                    "segments": {"folder": SEGMENTS_DIR, "partitions": len(self.scanned.lengths)},
                    "profile_sizes": by_profile,
                    "notes": self.notes,
                }
            },
        )
        return self.assigned


def _notes(
    prepared: PreparedData, seed: int, n_rows: int, n_sample: int, statistics: dict[str, Any]
) -> list[str]:
    """Return every approximation of the run, logging each one."""
    sample = (
        f"a seeded sample of {n_sample:,} of {n_rows:,} customers (seed {seed})"
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
    dropped = prepared.row_counts.get("dropped", {})
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
    if prepared.date_references:
        notes.append("Dates count back from the latest date in the sample")
    for note in notes:
        logger.info("Dask: %s", note)
    return notes


def _with_notes(
    results: dict[str, MethodResult], n_rows: int, n_sample: int
) -> dict[str, MethodResult]:
    """Say in every method's notes (shown in the report) what comes from the sample."""
    if n_sample >= n_rows:
        return results
    fitted = (
        f"fitted on a seeded sample of {n_sample:,} of {n_rows:,} customers (Dask backend); "
        "the others are placed by the saved model's rule, as `segmentkit score` does"
    )
    profiles = (
        "its profiles describe the sample: population_size and population_share in "
        f"segment_profiles.csv count all {n_rows:,} customers"
    )
    return {
        method: dataclasses.replace(
            result, notes=(*result.notes, *([] if method == "kmeans" else [fitted]), profiles)
        )
        for method, result in results.items()
    }
