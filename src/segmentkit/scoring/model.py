"""A saved segmentation that scores new customers: ``model.skops``.

The model holds what scoring needs and nothing that must be refitted: the input schema
(columns, their kinds, category spellings, date references, the outlier rule), the fitted
``ColumnTransformer``, every method's fitted assigner, the segment names and the library
versions. It is written with skops and loaded only when every type in the file is on
:data:`TRUSTED_TYPES`, a fixed list reviewed with the code: a file that holds anything
else — or a pickle/joblib file — is refused before any of it is turned into objects, so
nothing in it runs.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from segmentkit.config import TransactionsConfig
from segmentkit.errors import DataError
from segmentkit.methods.base import SegmentAssigner
from segmentkit.methods.search import seeded_rows
from segmentkit.output.atomic import replaced_file
from segmentkit.prepare.cleaning import (
    as_dates,
    days_before,
    holds_whole_numbers,
    normalise_categories,
    out_of_range,
    parse_numbers,
)
from segmentkit.prepare.outliers import NeighbourRule, outside_fences
from segmentkit.resources import effective_jobs
from segmentkit.scoring.confidence import confidence as segment_confidence
from segmentkit.scoring.skops_file import dumps_reproducible, import_skops_io
from segmentkit.text import plural

if TYPE_CHECKING:
    from segmentkit.pipeline import SegmentationRun

__all__ = ["MODEL_NAME", "TRUSTED_TYPES", "InputSchema", "SegmentationModel", "scoring_agreement"]

logger = logging.getLogger(__name__)

MODEL_NAME = "model.skops"
#: Bumped when the saved layout changes; older files are refused with a clear message.
FORMAT_VERSION = 1

#: Every type a segmentkit model file may contain beyond skops' own defaults. A file with
#: any other type is refused; extend this list only for types that cannot run code.
TRUSTED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    "numpy.log1p",
    "segmentkit.methods.agglomerative.MicroClusterAssigner",
    "segmentkit.methods.base.SegmentAssigner",
    "segmentkit.methods.dbscan.CorePointAssigner",
    "segmentkit.methods.gmm.ColumnSubsetMixture",
    "segmentkit.model.InputSchema",
    "segmentkit.model.SegmentationModel",
    "segmentkit.outliers.NeighbourRule",
    "segmentkit.prepare.encoder.CategoryEncoder",
    "segmentkit.prepare.imputer.FrequentImputer",
    "segmentkit.prepare.imputer.MedianImputer",
)
#: The module name saved model files give this module's classes. A ``model.skops`` file names
#: each class by its module; these classes keep the name they were first saved under, so files
#: written before the move to ``segmentkit.scoring`` load, and new ones stay the same bytes.
#: :mod:`segmentkit._compat` maps the name back here.
SAVED_MODULE_NAME = "segmentkit.model"


@dataclass(frozen=True)
class InputSchema:
    """What a new customer table must look like, and how it was cleaned in training.

    Attributes
    ----------
    id_column : str or None
        The customer id column (``None``: row numbers).
    features : list of str
        Feature columns, in training order; all must be present.
    numeric : list of str
        Numeric features (dates included, as days before their reference).
    categorical : list of str
        Categorical features.
    date_references : dict
        Date column to the ISO date days are counted back from.
    categories : dict
        Categorical column to ``{casefolded value: training spelling}``.
    outlier_bounds : dict
        Column to ``[low, high]`` fences in original units (outlier method ``iqr``).
    outlier_rule : NeighbourRule or None
        The neighbour rule with the transformer it judges customers in (outlier method
        ``neighbours``); ``None`` in models that use the fences.
    """

    id_column: str | None
    features: list[str]
    numeric: list[str]
    categorical: list[str]
    date_references: dict[str, str] = field(default_factory=dict)
    categories: dict[str, dict[str, str]] = field(default_factory=dict)
    outlier_bounds: dict[str, list[float]] = field(default_factory=dict)
    outlier_rule: NeighbourRule | None = None


InputSchema.__module__ = SAVED_MODULE_NAME


def _schema(run: SegmentationRun) -> InputSchema:
    prepared = run.prepared
    categories = {}
    for column in prepared.categorical_features:
        values = prepared.cleaned[column].dropna().astype(str).unique()
        categories[column] = {str(v).casefold(): str(v) for v in sorted(values)}
    return InputSchema(
        id_column=None if prepared.id_column not in prepared.raw.columns else prepared.id_column,
        features=list(prepared.features),
        numeric=list(prepared.numeric_features),
        categorical=list(prepared.categorical_features),
        date_references=dict(prepared.date_references),
        categories=categories,
        outlier_bounds={
            c: [float(lo), float(hi)] for c, (lo, hi) in prepared.outlier_bounds.items()
        },
        outlier_rule=prepared.outlier_rule,
    )


def _transaction_settings(run: SegmentationRun) -> dict[str, Any] | None:
    """Return the run's ``transactions`` settings with the columns it found, or None."""
    described = run.source.get("transactions")
    if not described:
        return None
    settings: dict[str, Any] = run.config.transactions.model_dump(mode="json")
    for part, column in described["columns"].items():
        settings[f"{part}_column"] = column
    return settings


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Plain JSON-like rows (str/float/int/bool/None) a skops file stores as data, not code."""
    records: list[dict[str, Any]] = json.loads(table.to_json(orient="records"))
    return records


#: Training customers the scoring agreement is measured on (a seeded sample above it).
AGREEMENT_MAX_ROWS = 50_000


def scoring_agreement(run: SegmentationRun) -> dict[str, float]:
    """Share of training customers the saved assigners put back in their own segment.

    Above :data:`AGREEMENT_MAX_ROWS` customers it is measured on a seeded sample of that
    size: re-scoring millions of customers once per method would cost as much as the
    segmentation, and the share is known to within about half a percentage point.
    """
    X = run.prepared.X
    rows = seeded_rows(len(X), AGREEMENT_MAX_ROWS, run.config.seed)
    if rows is not None:
        logger.info(
            "Scoring agreement measured on a seeded sample of %s of %s customers",
            f"{len(rows):,}",
            f"{len(X):,}",
        )
    return {
        method: float(
            np.mean(
                result.assigner.predict(X if rows is None else X[rows])
                == (result.labels if rows is None else result.labels[rows])
            )
        )
        for method, result in run.results.items()
    }


def _naive_dates(values: pd.Series) -> pd.Series:
    """Parse dates; ones with a UTC offset are compared in UTC, like the naive training dates."""
    parsed = as_dates(values)
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        # Mixed offsets leave objects behind: read everything as UTC.
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed


def _customer_ids(data: pd.DataFrame, id_column: str | None) -> pd.Series:
    """Return the ids of new customers as read, or their row numbers without an id column."""
    if id_column is not None and id_column in data.columns:
        # Ids as read (0001 stays text); whole numbers read as floats because of a
        # blank id are written 1001, not 1001.0, as in segments.csv.
        ids = data[id_column].reset_index(drop=True)
        if holds_whole_numbers(ids):
            ids = ids.astype("Int64")
        return ids
    if id_column is not None:
        logger.warning(
            "The input has no %r column: customers are identified by row number", id_column
        )
    # Row numbers are never presented as customer ids.
    return pd.Series(np.arange(1, len(data) + 1), name="row")


def _read_numbers(column: str, values: pd.Series) -> pd.Series:
    """Numbers of a numeric feature; what is not a usable number becomes missing, with a warning.

    Unlike training, where such values stop the run, one bad cell must not stop scoring.
    """
    numbers = values if pd.api.types.is_numeric_dtype(values) else parse_numbers(values)
    numbers = pd.to_numeric(numbers, errors="coerce").astype(float)
    written = values.notna() & (values.astype("string").str.strip() != "")
    unreadable = int((numbers.isna() & written.fillna(False)).sum())
    if unreadable > 0:
        logger.warning(
            "Column %r: %d value(s) are not numbers; treated as missing", column, unreadable
        )
    infinite = out_of_range(numbers.to_numpy())
    if infinite.any():
        logger.warning(
            "Column %r: %d infinite or impossibly large value(s) treated as missing",
            column,
            int(infinite.sum()),
        )
        numbers[infinite] = np.nan
    return numbers


class SegmentationModel:
    """A finished segmentation that places new customers in its segments.

    Build one with :meth:`from_run`, write it with :meth:`save`, read it back with
    :meth:`load` and score a table with :meth:`score`.

    ``transactions`` is set when the training customers were built from a transaction
    log (``run --transactions``): the ``transactions`` settings of that run as plain data,
    with the columns it found filled in, so a raw log can be scored through the same
    RFM step (:meth:`transaction_settings`).
    """

    #: Models written before logs could be scored have no such attribute in their file.
    transactions: dict[str, Any] | None = None

    def __init__(
        self,
        *,
        schema: InputSchema,
        preprocessor: Any,
        assigners: dict[str, SegmentAssigner],
        names: dict[str, dict[int, str]],
        recommended: str,
        versions: dict[str, str],
        agreement: dict[str, float],
        seed: int,
        profiles: dict[str, list[dict[str, Any]]] | None = None,
        format_version: int = FORMAT_VERSION,
        transactions: dict[str, Any] | None = None,
    ) -> None:
        self.schema = schema
        self.preprocessor = preprocessor
        self.assigners = assigners
        self.names = names
        self.recommended = recommended
        self.versions = versions
        self.agreement = agreement
        self.seed = seed
        self.profiles = profiles or {}
        self.format_version = format_version
        self.transactions = transactions

    @classmethod
    def from_run(cls, run: SegmentationRun) -> SegmentationModel:
        """Collect what scoring needs from a finished run (nothing is refitted)."""
        from segmentkit.pipeline import library_versions

        return cls(
            schema=_schema(run),
            preprocessor=run.prepared.preprocessor,
            assigners={m: r.assigner for m, r in run.results.items()},
            names={
                m: {int(k): str(v) for k, v in p.names.items()} for m, p in run.profiles.items()
            },
            recommended=run.recommended,
            versions=library_versions(),
            agreement=scoring_agreement(run),
            seed=run.config.seed,
            profiles={m: _records(p.table) for m, p in run.profiles.items()},
            transactions=_transaction_settings(run),
        )

    def missing_features(self, frame: pd.DataFrame) -> list[str]:
        """Return the feature columns the model needs that ``frame`` lacks (headers stripped)."""
        present = {str(c).strip() for c in frame.columns}
        return [c for c in self.schema.features if c not in present]

    def transaction_settings(self, snapshot_date: str | None = None) -> TransactionsConfig:
        """Return the training run's ``transactions`` settings, to turn a log into customers.

        The columns are the ones the training run used. The snapshot follows the training
        run's rule: its ``transactions.snapshot_date`` when one was set, else the day after
        the last transaction of the log scored; ``snapshot_date`` overrides both.

        Raises
        ------
        DataError
            When the model was not built from a transaction log.
        """
        if self.transactions is None:
            raise DataError(
                "this model was trained on a customer table, not on a transaction log",
                hint="turn the log into a customer table first: segmentkit rfm LOG --out "
                "customers.csv, then score customers.csv",
            )
        settings = dict(self.transactions)
        if snapshot_date is not None:
            settings["snapshot_date"] = snapshot_date
        return TransactionsConfig.model_validate(settings)

    def with_names(self, method: str, names: dict[int, str]) -> SegmentationModel:
        """Return a copy whose segments of ``method`` carry ``names`` (``segmentkit rename``).

        Scoring (``segment_name``) and the profiles kept in the model both take the new
        names; nothing fitted changes. The model itself is not modified.

        Parameters
        ----------
        method : str
            One of the model's methods.
        names : dict
            Segment number to its new name; the other segments keep theirs.

        Raises
        ------
        KeyError
            When the model has no such method.
        """
        if method not in self.names:
            raise KeyError(method)
        renamed = copy.copy(self)
        renamed.names = {**self.names, method: {**self.names[method], **names}}
        renamed.profiles = dict(self.profiles)
        if method in self.profiles:
            rows = [
                {**row, "name": names.get(int(row["segment"]), row["name"])}
                for row in self.profiles[method]
            ]
            # Plain data of their own, as from_run makes them: the file is then the same
            # bytes as a run that had these names from the start.
            renamed.profiles[method] = json.loads(json.dumps(rows))
        return renamed

    @property
    def methods(self) -> list[str]:
        """The methods the model can score with, recommended first."""
        return [self.recommended, *(m for m in self.assigners if m != self.recommended)]

    # ------------------------------------------------------------------ cleaning new data

    def clean(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """Clean new customers exactly as the training data was cleaned.

        Returns the cleaned feature columns and the customer ids (row numbers when the
        model has no id column). Raises :class:`DataError` when a feature is missing. Both
        :meth:`score` and ``Segmenter.transform`` go through here, so a negative value of a
        log-transformed column counts as 0 in both.
        """
        schema = self.schema
        data = frame.copy()
        data.columns = [str(c).strip() for c in data.columns]
        missing = [c for c in schema.features if c not in data.columns]
        if missing:
            raise DataError(
                f"the input lacks {len(missing)} column(s) the model needs: "
                + ", ".join(repr(c) for c in missing),
                hint="score a table with the same columns as the training data",
            )
        ids = _customer_ids(data, schema.id_column)
        cleaned = pd.DataFrame(index=pd.RangeIndex(len(data)))
        normalised, _ = normalise_categories(data.reset_index(drop=True), schema.categorical)
        for column in schema.categorical:
            spellings = schema.categories.get(column, {})
            values = normalised[column]
            cleaned[column] = values.map(
                lambda v, s=spellings: v if v is None or v != v else s.get(str(v).casefold(), v)
            )
        for column in schema.numeric:
            values = data[column].reset_index(drop=True)
            if column in schema.date_references:
                # Days before the training run's latest date, as the training days were.
                reference = pd.Timestamp(schema.date_references[column])
                cleaned[column] = days_before(reference, _naive_dates(values))
            else:
                cleaned[column] = _read_numbers(column, values)
        return self._without_negative_logs(cleaned[schema.features]), ids

    def _without_negative_logs(self, cleaned: pd.DataFrame) -> pd.DataFrame:
        """Set negative values of log-transformed columns to 0, with a warning.

        Such a column had no negative value in training (that is why it is log-transformed);
        a negative one (a refund, a data error) has no logarithm, so it counts as none.
        """
        logged = [
            column
            for _, transformer, columns in self.preprocessor.transformers_
            if "log1p" in dict(getattr(transformer, "steps", []))
            for column in columns
        ]
        negative = {c: int((cleaned[c] < 0).sum()) for c in logged if c in cleaned}
        negative = {c: n for c, n in negative.items() if n}
        if not negative:
            return cleaned
        cleaned = cleaned.copy()
        for column, count in negative.items():
            cleaned[column] = cleaned[column].clip(lower=0)
            logger.warning(
                "Column %r: %d negative value(s) counted as 0 (training had none; the model "
                "takes its logarithm)",
                column,
                count,
            )
        return cleaned

    def _outliers(self, cleaned: pd.DataFrame) -> np.ndarray:
        if self.schema.outlier_rule is not None:
            return self.schema.outlier_rule.flag_table(
                cleaned[self.schema.features], workers=effective_jobs(None)
            )
        return outside_fences(cleaned, self.schema.outlier_bounds)

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Place every customer of ``frame`` in a segment of every method.

        Parameters
        ----------
        frame : pandas.DataFrame
            New customers with (at least) the training features. Not modified.

        Returns
        -------
        pandas.DataFrame
            One row per input row, in input order and on the input's index: the id (or
            ``row``), ``segment`` and ``segment_name`` (recommended method),
            ``segment_<method>`` (``-1`` noise) and ``confidence_<method>`` for every
            method, and ``is_outlier``.

        Raises
        ------
        DataError
            When a needed column is missing or the table is empty.
        """
        if len(frame) == 0:
            raise DataError("the input has no rows to score")
        cleaned, ids = self.clean(frame)
        empty = cleaned[self.schema.features].isna().all(axis=1).to_numpy()
        X = np.asarray(self.preprocessor.transform(cleaned), dtype=np.float64)
        # Int64 ids stay whole; the rows keep the caller's index (written files drop it).
        out = pd.DataFrame({ids.name or "row": ids.array}, index=frame.index)
        labels = {}
        for method in self.methods:
            assigner = self.assigners[method]
            labels[method] = assigner.predict(X)
        recommended = labels[self.recommended]
        names = self.names[self.recommended]
        out["segment"] = recommended
        out["segment_name"] = [names.get(int(s), f"Segment {s}") for s in recommended]
        for method in self.assigners:
            out[f"segment_{method}"] = labels[method]
        for method in self.assigners:
            confidence = segment_confidence(self.assigners[method].estimator, X)
            # Nothing known about them: their segment is the training medians', not theirs.
            out[f"confidence_{method}"] = np.where(empty, 0.0, confidence)
        out["is_outlier"] = self._outliers(cleaned)
        if empty.any():
            logger.warning(
                "%d customer(s) have no value in any feature (training dropped such rows): "
                "placed by the training medians, with confidence 0",
                int(empty.sum()),
            )
        unknown = {
            c: int(
                (
                    ~cleaned[c].isin(self.schema.categories.get(c, {}).values())
                    & cleaned[c].notna()
                ).sum()
            )
            for c in self.schema.categorical
        }
        for column, count in unknown.items():
            if count:
                logger.warning(
                    "Column %r: %d value(s) not seen in training; they count as no category",
                    column,
                    count,
                )
        logger.info("Scored %s with %s", plural(len(out), "customer"), ", ".join(self.assigners))
        return out

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to ``path`` atomically (skops format, the same bytes every time)."""
        path = Path(path)
        with replaced_file(path, prefix=".model-", suffix=".skops") as tmp:
            tmp.write_bytes(dumps_reproducible(self))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SegmentationModel:
        """Read a model written by :meth:`save`, refusing anything that is not one.

        Raises
        ------
        DataError
            When the file is missing, not a skops file (pickle and joblib files are never
            unpickled), holds a type outside :data:`TRUSTED_TYPES`, or is damaged.
        """
        from segmentkit.pipeline import library_versions

        # skops imports every scikit-learn estimator on import: only loading needs it.
        sio = import_skops_io()

        path = Path(path)
        if not path.is_file():
            raise DataError(f"model file not found: {path}")
        if not zipfile.is_zipfile(path):
            raise DataError(
                f"{path} is not a segmentkit model (.skops) file; refusing to load it",
                hint="pickle and joblib files are never loaded: they can run code",
            )
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as error:
            raise DataError(f"{path} is not a readable skops file: {error}") from None
        refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if refused:
            raise DataError(
                f"{path} contains types a segmentkit model never has: {', '.join(refused[:5])}"
                "; refusing to load it",
                hint="only load models written by segmentkit",
            )
        try:
            model = sio.load(path, trusted=list(TRUSTED_TYPES))
        except Exception as error:
            raise DataError(f"{path} could not be read as a segmentkit model: {error}") from None
        if not isinstance(model, SegmentationModel):
            raise DataError(f"{path} does not hold a segmentkit model")
        if model.format_version != FORMAT_VERSION:
            raise DataError(
                f"{path} was written in model format {model.format_version}; this segmentkit "
                f"reads format {FORMAT_VERSION}",
                hint="re-run the segmentation with this version",
            )
        current = library_versions()
        for library, saved in model.versions.items():
            if library != "python" and current.get(library) not in (None, saved):
                logger.warning(
                    "Model saved with %s %s, running %s: scores may differ slightly",
                    library,
                    saved,
                    current[library],
                )
        return model


SegmentationModel.__module__ = SAVED_MODULE_NAME
