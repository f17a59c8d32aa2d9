"""The output folder of a finished run: its file names, defined once, and one typed reader.

Every module that reads a finished run back (the report, ``segmentkit profile``,
``--previous``, ``segmentkit rename``) names its files through :class:`OutputFolder` and
the constants below, so a file is never spelled twice. The writer
(:func:`segmentkit.output.export.save_run`) uses the same names.

Examples
--------
>>> folder = OutputFolder(Path("segmentation-output"))
>>> folder.profiles.as_posix()
'segmentation-output/segment_profiles.csv'
>>> folder.plot("drivers_kmeans.png").as_posix()
'segmentation-output/plots/drivers_kmeans.png'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from segmentkit.output.atomic import OUTPUT_MARKER
from segmentkit.output.write import read_output_csv, read_run_summary

__all__ = [
    "COMPARISON_FILE",
    "DROPPED_FILE",
    "IMPORTANCE_FILE",
    "K_SELECTION_FILE",
    "MIGRATION_FILE",
    "PLOTS_DIR",
    "PROFILES_FILE",
    "REPORT_FILE",
    "RULES_FILE",
    "RULES_SQL_FILE",
    "RUN_LOG_FILE",
    "SCATTER_POINTS_FILE",
    "SEGMENTS_DIR",
    "SEGMENTS_FILE",
    "SEGMENTS_PARQUET_FILE",
    "SUMMARY_FILE",
    "OutputFolder",
]

#: Everything needed to understand and repeat the run (``run.json``, the folder's marker).
SUMMARY_FILE = OUTPUT_MARKER
#: One row per kept input customer (the local backend).
SEGMENTS_FILE = "segments.csv"
#: The same table as Parquet, instead of ``segments.csv`` (``output.format: "parquet"``).
SEGMENTS_PARQUET_FILE = "segments.parquet"
#: One Parquet file per input partition, one row per input customer (the Dask backend).
SEGMENTS_DIR = "segments"
PROFILES_FILE = "segment_profiles.csv"
COMPARISON_FILE = "method_comparison.csv"
K_SELECTION_FILE = "k_selection.csv"
IMPORTANCE_FILE = "feature_importance.csv"
RULES_FILE = "segment_rules.csv"
RULES_SQL_FILE = "segment_rules.sql"
#: With ``--previous``: customers in both runs by old and new segment.
MIGRATION_FILE = "segment_migration.csv"
#: Rows left out of the fit, with the reason.
DROPPED_FILE = "dropped_rows.csv"
RUN_LOG_FILE = "run.log"
REPORT_FILE = "report.html"
PLOTS_DIR = "plots"
#: The points of the scatter plots, inside :data:`PLOTS_DIR`.
SCATTER_POINTS_FILE = "scatter_points.csv"


@dataclass(frozen=True)
class OutputFolder:
    """A finished run's output folder: where each file is, and how to read it back.

    Paths are plain attributes (nothing is read until a loader is called); the loaders
    read CSVs with :func:`~segmentkit.output.write.read_output_csv`, so names and values
    come back exactly as they were written. Optional files (rules, migration, scatter
    points) load as ``None`` when absent.

    Attributes
    ----------
    root : Path
        The folder.
    """

    root: Path

    # ------------------------------------------------------------------ paths

    @property
    def summary_path(self) -> Path:
        """``run.json``."""
        return self.root / SUMMARY_FILE

    @property
    def segments(self) -> Path:
        """``segments.csv`` (the local backend)."""
        return self.root / SEGMENTS_FILE

    @property
    def segments_parquet(self) -> Path:
        """``segments.parquet`` (``output.format: "parquet"``)."""
        return self.root / SEGMENTS_PARQUET_FILE

    @property
    def segments_file(self) -> Path:
        """The segments table the folder holds: ``segments.csv``, else ``segments.parquet``.

        ``segments.csv`` when neither exists, so that messages name the usual file.
        """
        if not self.segments.is_file() and self.segments_parquet.is_file():
            return self.segments_parquet
        return self.segments

    @property
    def segments_dir(self) -> Path:
        """``segments/`` (the Dask backend's Parquet files)."""
        return self.root / SEGMENTS_DIR

    @property
    def profiles(self) -> Path:
        """``segment_profiles.csv``."""
        return self.root / PROFILES_FILE

    @property
    def comparison(self) -> Path:
        """``method_comparison.csv``."""
        return self.root / COMPARISON_FILE

    @property
    def k_selection(self) -> Path:
        """``k_selection.csv``."""
        return self.root / K_SELECTION_FILE

    @property
    def importance(self) -> Path:
        """``feature_importance.csv``."""
        return self.root / IMPORTANCE_FILE

    @property
    def rules(self) -> Path:
        """``segment_rules.csv``."""
        return self.root / RULES_FILE

    @property
    def migration(self) -> Path:
        """``segment_migration.csv``."""
        return self.root / MIGRATION_FILE

    @property
    def plots(self) -> Path:
        """``plots/``."""
        return self.root / PLOTS_DIR

    @property
    def scatter_points(self) -> Path:
        """``plots/scatter_points.csv``."""
        return self.plots / SCATTER_POINTS_FILE

    def plot(self, name: str) -> Path:
        """Return the path of one figure (or table) in ``plots/``."""
        return self.plots / name

    # ------------------------------------------------------------------ loaders

    def read_summary(
        self, needed: Iterable[str] = (), *, hint: str, absent_hint: str | None = None
    ) -> dict[str, Any]:
        """Return ``run.json``, checked: the folder holds every ``needed`` file.

        See :func:`~segmentkit.output.write.read_run_summary` (one-line ``DataError``
        when the folder is absent or incomplete, or ``run.json`` unreadable).
        """
        return read_run_summary(self.root, needed, hint=hint, absent_hint=absent_hint)

    def load_summary(self) -> dict[str, Any]:
        """Return ``run.json`` as it is; the caller handles ``OSError``/``ValueError``."""
        summary: dict[str, Any] = json.loads(self.summary_path.read_text(encoding="utf-8"))
        return summary

    def read_profiles(self) -> pd.DataFrame:
        """Return ``segment_profiles.csv``: one row per method × segment."""
        return read_output_csv(self.profiles)

    def read_comparison(self) -> pd.DataFrame:
        """Return ``method_comparison.csv``: one row per method."""
        return read_output_csv(self.comparison)

    def read_k_selection(self) -> pd.DataFrame:
        """Return ``k_selection.csv``: one row per method × candidate."""
        return read_output_csv(self.k_selection)

    def read_importance(self) -> pd.DataFrame:
        """Return ``feature_importance.csv``: one row per method × feature."""
        return read_output_csv(self.importance)

    def read_segments(self, *, text: bool = False) -> pd.DataFrame:
        """Return ``segments.csv`` or ``segments.parquet`` (:attr:`segments_file`).

        ``text``: every cell as text, ids included (as written in the CSV; from Parquet,
        each value's ``str``, missing values empty).
        """
        path = self.segments_file
        if path == self.segments_parquet:
            frame = pd.read_parquet(path)
            return _as_text(frame) if text else frame
        return read_output_csv(path, text=text)

    def segment_columns(self) -> list[str] | None:
        """Return the columns of the segments table, or ``None`` when there is none."""
        path = self.segments_file
        if path == self.segments_parquet:
            import pyarrow.parquet as pq

            return [str(c) for c in pq.read_schema(path).names]
        if not path.is_file():
            return None
        return [str(c) for c in pd.read_csv(path, nrows=0).columns]

    def read_segment_columns(self, columns: list[str]) -> pd.DataFrame:
        """Return some columns of the segments table, every cell as text (nothing missing)."""
        path = self.segments_file
        if path == self.segments_parquet:
            return _as_text(pd.read_parquet(path, columns=columns))
        return pd.read_csv(path, usecols=columns, keep_default_na=False)

    def read_rules(self) -> pd.DataFrame | None:
        """Return ``segment_rules.csv``, or ``None`` (folders written before rules existed)."""
        return read_output_csv(self.rules) if self.rules.is_file() else None

    def read_migration(self) -> pd.DataFrame | None:
        """Return ``segment_migration.csv``, or ``None`` (runs without ``--previous``)."""
        return read_output_csv(self.migration) if self.migration.is_file() else None

    def read_scatter_points(self) -> pd.DataFrame | None:
        """Return ``plots/scatter_points.csv``, or ``None`` when it was not written."""
        path = self.scatter_points
        return read_output_csv(path) if path.is_file() else None


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a Parquet table as text: ``str`` of the value, missing values empty."""
    return pd.DataFrame({name: frame[name].astype("str").fillna("") for name in frame.columns})
