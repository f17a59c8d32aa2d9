"""``Segmenter``: the whole segmentation as a scikit-learn estimator.

:func:`~segmentkit.pipeline.run_segmentation` does the work, as scikit-learn's ``k_means()``
sits behind ``KMeans``; :class:`Segmenter` gives it the estimator contract (``fit`` returns
``self``, learned state ends in ``_``, ``get_params``/``set_params``/``clone``, a place in a
``Pipeline``) and the pandas habits of the rest of segmentkit: customers go in as a
``DataFrame`` and segments come back as a ``Series`` on the caller's index.

The heavy modules (the pipeline, the scoring model, skops) are imported by the methods
that use them, so ``from segmentkit import Segmenter`` stays quick.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from segmentkit.describe.run_summary import segment_sizes, summary_html
from segmentkit.errors import ConfigError

if TYPE_CHECKING:
    from sklearn.utils import Tags

    from segmentkit.config import Config
    from segmentkit.methods.base import SegmentAssigner
    from segmentkit.pipeline import SegmentationRun
    from segmentkit.scoring.model import SegmentationModel

__all__ = ["Segmenter", "load_model"]

#: Source named in the errors of settings given as Segmenter parameters.
_PARAMETERS = "Segmenter parameters"


class Segmenter(ClusterMixin, BaseEstimator):
    """Segment customers: clean, cluster with several methods, pick one, name and explain it.

    ``fit`` runs :func:`~segmentkit.pipeline.run_segmentation` (what ``segmentkit run``
    does, without writing files); ``predict`` places customers in the fitted segments with
    the same scoring model as ``segmentkit score``.

    Parameters
    ----------
    k : int or (int, int), optional
        The number of segments (``clustering.k``, the CLI's ``--k``), or a ``(k_min, k_max)``
        range to search (``--k-min``/``--k-max``). ``None``: the configuration's range.
    methods : list of str or str, optional
        Clustering methods to compare (``clustering.methods``, ``--methods``), e.g.
        ``["kmeans", "gmm"]`` or ``"kmeans,gmm"``. ``None``: the configuration's methods.
    seed : int, optional
        The one random seed (``seed``, ``--seed``). ``None``: the configuration's seed (0
        unless it sets one), so that a seed set in ``config`` is not overwritten by a default.
    features : list of str or str, optional
        The only columns to segment on (``input.features``, ``--features``): a list, or a
        comma-separated string as on the command line.
    exclude : list of str or str, optional
        Columns never to segment on (``input.exclude``, ``--exclude``); a list or ``"a,b"``.
    id_column : str, optional
        The customer id column (``input.id_column``, ``--id-column``); never a feature.
    config : Config, dict or path, optional
        Every other setting: a :class:`~segmentkit.config.Config`, the same settings as a
        dict (nested sections as in the JSON file, or dotted keys such as
        ``{"clustering.k_max": 6}``), or the path of a JSON configuration file. The
        parameters above override it, exactly as the command-line flags override
        ``--config``.

    Attributes
    ----------
    labels_ : pandas.Series
        Segment of every customer given to ``fit``, on its index, named ``segment``
        (``0`` the largest, ``-1`` noise). dtype ``int64``; ``Int64`` with ``<NA>`` for
        rows cleaning dropped (for example a missing value under ``cleaning.missing``
        ``drop``), when there are any.
    n_segments_ : int
        Number of segments of the recommended method (noise not counted).
    method_ : str
        The recommended method, whose segments are ``labels_``.
    profiles_ : pandas.DataFrame
        The recommended method's profiles, one row per segment (the rows of
        ``segment_profiles.csv`` for that method). Flagged outliers are profiled apart, in
        a row ``-2`` ("Unusual customers"), while ``labels_`` still places each of them in
        its nearest segment: a segment's ``size`` here can be smaller than its count in
        ``labels_`` by the outliers it holds.
    importance_ : pandas.DataFrame
        How much each feature separates the recommended method's segments (the rows of
        ``feature_importance.csv`` for that method).
    run_ : SegmentationRun
        The full run: every method's result, profiles, importance, rules, timings.
    model_ : SegmentationModel
        The scoring model (``model.skops``) behind ``predict`` and ``transform``;
        ``model_.score(X)`` gives every method's segment and confidence.
    feature_names_in_ : numpy.ndarray of str
        Columns of the ``X`` given to ``fit``.
    n_features_in_ : int
        Number of those columns.

    See Also
    --------
    segmentkit.load_model : Read a saved model back as a fitted Segmenter.
    segmentkit.segment_file : Segment a file and write every output (report, CSVs, model).

    Notes
    -----
    ``fit`` is deterministic for a given seed, and writes no file (no figures, no report:
    pass ``run_`` to :func:`segmentkit.output.export.save_run` for those).

    scikit-learn conformance: the checks of
    :func:`sklearn.utils.estimator_checks.parametrize_with_checks` that build no data
    (parameters, ``clone``, ``repr``, tags, ``__init__`` that only stores) pass. The checks
    that fit on numpy arrays of random numbers cannot apply: a Segmenter takes a
    ``DataFrame`` of named customer columns (features, ids and profiles are named after
    them) and refuses an array with a ``TypeError``; the equivalent checks on a
    ``DataFrame`` (parameters not overwritten, idempotent fit, input not modified,
    ``fit_predict`` equal to ``labels_``, pickling) are in ``tests/test_estimator.py``.

    Examples
    --------
    >>> from segmentkit import Segmenter
    >>> from segmentkit.datasets import load_wholesale
    >>> customers = load_wholesale()
    >>> segmenter = Segmenter(k=3, methods=["kmeans"]).fit(customers)
    >>> segmenter.method_, segmenter.n_segments_
    ('kmeans', 3)
    >>> segmenter.labels_.value_counts().sort_index().tolist()
    [223, 123, 94]
    >>> segmenter.predict(customers.tail(3)).index.tolist()
    [437, 438, 439]
    """

    def __init__(
        self,
        *,
        k: int | tuple[int, int] | None = None,
        methods: list[str] | str | None = None,
        seed: int | None = None,
        features: list[str] | str | None = None,
        exclude: list[str] | str | None = None,
        id_column: str | None = None,
        config: Config | dict[str, Any] | str | os.PathLike[str] | None = None,
    ) -> None:
        self.k = k
        self.methods = methods
        self.seed = seed
        self.features = features
        self.exclude = exclude
        self.id_column = id_column
        self.config = config

    # ------------------------------------------------------------------ fitting

    def fit(self, X: pd.DataFrame, y: object = None) -> Segmenter:
        """Segment the customers in ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer. Not modified.
        y : None
            Ignored; accepted for the scikit-learn API.

        Returns
        -------
        Segmenter
            This estimator, fitted.

        Raises
        ------
        TypeError
            When ``X`` is not a DataFrame.
        ConfigError
            When a parameter or the configuration is invalid.
        DataError
            When the data cannot be cleaned or segmented as configured.
        """
        from segmentkit.pipeline import run_segmentation
        from segmentkit.scoring.model import SegmentationModel

        frame = _customers(X, "fit")
        run = run_segmentation(frame, self._resolved_config())
        self._set_fitted(SegmentationModel.from_run(run), run.profiles[run.recommended].table)
        self.run_ = run
        self.labels_ = _labels_on_index(run, frame.index)
        self.importance_ = run.importance[run.recommended].table
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def _set_fitted(self, model: SegmentationModel, profiles: pd.DataFrame) -> None:
        self.model_ = model
        self.method_ = model.recommended
        self.profiles_ = profiles
        self.n_segments_ = int((profiles["segment"] >= 0).sum()) if len(profiles) else 0

    def _resolved_config(self) -> Config:
        """Return the configuration of ``config`` with the parameters applied, validated."""
        from segmentkit.config import Config, load_config, parse_config

        if self.config is None:
            config = Config()
        elif isinstance(self.config, Config):
            config = self.config
        elif isinstance(self.config, dict):
            # Nested sections as in a JSON file, or dotted keys as Config.with_overrides takes.
            nested = {key: value for key, value in self.config.items() if "." not in str(key)}
            dotted = {key: value for key, value in self.config.items() if "." in str(key)}
            config = parse_config(nested, source="Segmenter(config=...)")
            config = config.with_overrides(dotted, source="Segmenter(config=...)")
        elif isinstance(self.config, str | os.PathLike):
            config = load_config(Path(self.config))
        else:
            raise ConfigError(
                "Segmenter: config must be a Config, a dict of settings or the path of a JSON "
                f"configuration file, got {type(self.config).__name__}"
            )
        try:
            return config.with_overrides(self._overrides(), source=_PARAMETERS)
        except ConfigError as error:
            problems = error.problems or [error.message]
            raise ConfigError(
                f"{_PARAMETERS}: {len(problems)} invalid setting(s)",
                problems=problems,
                hint=error.hint,
            ) from None

    def _overrides(self) -> dict[str, Any]:
        """Return the parameters as the dotted settings the CLI flags set (``None``: not given)."""
        from segmentkit.config.clustering import k_range_overrides

        overrides: dict[str, Any] = {
            "clustering.methods": _names(self.methods),
            "seed": self.seed,
            "input.features": _names(self.features),
            "input.exclude": _names(self.exclude),
            "input.id_column": self.id_column,
        }
        k = self.k
        if k is None:
            return overrides
        if isinstance(k, int | np.integer) and not isinstance(k, bool):
            overrides["clustering.k"] = int(k)
        elif isinstance(k, tuple | list) and len(k) == 2:
            k_min, k_max = (int(v) if isinstance(v, np.integer) else v for v in k)
            overrides.update(k_range_overrides(k_min, k_max))  # k_max a cap, as --k-max
        else:
            raise ConfigError(
                "Segmenter: k must be a number of segments (an integer >= 2) or a "
                f"(k_min, k_max) range, got {k!r}"
            )
        return overrides

    # ------------------------------------------------------------------ using the fit

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """Place customers in the fitted segments (the recommended method).

        Parameters
        ----------
        X : pandas.DataFrame
            Customers with (at least) the training features. Not modified.

        Returns
        -------
        pandas.Series
            The segment of every row of ``X``, on ``X``'s index, named ``segment``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        DataError
            When ``X`` lacks a feature the model needs, or has no rows.
        """
        check_is_fitted(self, "model_")
        frame = _customers(X, "predict")
        scored = self.model_.score(frame)
        return scored["segment"].rename("segment")

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return how close each customer is to every segment of the recommended method.

        Parameters
        ----------
        X : pandas.DataFrame
            Customers with (at least) the training features. Not modified.

        Returns
        -------
        pandas.DataFrame
            On ``X``'s index, one column per segment: ``distance_<segment>`` (Euclidean, in
            the scaled feature space) for methods with centres (K-Means, Agglomerative), or
            ``probability_<segment>`` for a mixture (GMM).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ConfigError
            When the recommended method has neither centres nor probabilities (DBSCAN,
            Genie, Agglomerative on micro-clusters).
        """
        check_is_fitted(self, "model_")
        frame = _customers(X, "transform")
        model = self.model_
        cleaned, _ = model.clean(frame)
        matrix = np.asarray(model.preprocessor.transform(cleaned), dtype=np.float64)
        kind, values = _per_segment(model.assigners[model.recommended], matrix, model.recommended)
        return pd.DataFrame(
            {f"{kind}_{segment}": column for segment, column in values.items()}, index=frame.index
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model as ``model.skops``, the file ``segmentkit run`` writes.

        Parameters
        ----------
        path : str or path-like
            The file to write, or a folder to write ``model.skops`` into.

        Returns
        -------
        Path
            The file written. :func:`load_model` reads it back; ``segmentkit score`` scores
            with it.
        """
        from segmentkit.scoring.model import MODEL_NAME

        check_is_fitted(self, "model_")
        target = Path(path)
        if target.is_dir():
            target = target / MODEL_NAME
        return self.model_.save(target)

    # ------------------------------------------------------------------ display

    def _repr_html_(self) -> str:
        """Notebook display: the fitted segments (method, sizes, names), or the parameters."""
        if not hasattr(self, "model_"):
            params = [(name, repr(value)) for name, value in self.get_params(deep=False).items()]
            return summary_html("Segmenter (not fitted)", params, pd.DataFrame())
        facts = [("method", self.method_), ("segments", str(self.n_segments_))]
        if hasattr(self, "labels_"):
            facts.append(("customers", f"{len(self.labels_):,}"))
        return summary_html("Segmenter", facts, segment_sizes(self.profiles_))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        """Jupyter display: this summary rather than scikit-learn's estimator diagram."""
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def __sklearn_tags__(self) -> Tags:
        """Tags: customer tables hold text, categories and missing values."""
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        # transform gives distances or probabilities per segment, always as floats.
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def load_model(path: str | os.PathLike[str]) -> Segmenter:
    """Read a saved model back as a fitted :class:`Segmenter` that predicts as the saved one.

    Reads ``model.skops`` files written by :meth:`Segmenter.save` or by ``segmentkit run``
    (give the file, or the output folder holding it). Only files whose every type is on
    segmentkit's trusted list are loaded; pickle and joblib files are refused.

    Parameters
    ----------
    path : str or path-like
        A ``model.skops`` file, or a folder holding one.

    Returns
    -------
    Segmenter
        Fitted: ``predict``, ``transform`` and ``save`` work, and ``method_``,
        ``n_segments_``, ``profiles_`` and ``model_`` are set. The training customers are
        not in the file, so there is no ``labels_``, ``importance_`` or ``run_``. Its
        parameters are the training run's methods, seed, features and id column; the
        rest of its configuration is not kept, so fitting it again is a new segmentation.

    Raises
    ------
    DataError
        When the file is missing or is not a segmentkit model.
    """
    from segmentkit.scoring.model import MODEL_NAME, SegmentationModel

    source = Path(path)
    if source.is_dir():
        source = source / MODEL_NAME
    model = SegmentationModel.load(source)
    schema = model.schema
    segmenter = Segmenter(
        methods=list(model.assigners),
        seed=model.seed,
        features=list(schema.features),
        id_column=schema.id_column,
    )
    profiles = pd.DataFrame(model.profiles.get(model.recommended, []))
    if "segment" not in profiles:
        profiles = pd.DataFrame({"segment": [], "name": [], "size": [], "share": []})
    segmenter._set_fitted(model, profiles)
    needed = [*([schema.id_column] if schema.id_column else []), *schema.features]
    segmenter.feature_names_in_ = np.asarray(needed, dtype=object)
    segmenter.n_features_in_ = len(needed)
    return segmenter


def _customers(X: object, verb: str) -> pd.DataFrame:
    """Return ``X`` when it is a customer table, else say what a Segmenter takes."""
    from scipy import sparse

    if not isinstance(X, pd.DataFrame):
        # Features, ids and profiles are named after the columns: an array has no names.
        kind = "a sparse matrix (sparse input is not supported)" if sparse.issparse(X) else None
        raise TypeError(
            f"Segmenter.{verb} takes a pandas DataFrame of customers (one row per customer, "
            f"named columns), got {kind or type(X).__name__}"
        )
    return X


def _names(value: list[str] | str | None) -> list[str] | None:
    """Return a column or method list as the settings take it (one name may stand alone)."""
    if value is None:
        return None
    if isinstance(value, str):
        # "a,b" as on the command line; a name with a comma in it goes in a list.
        return [name.strip() for name in value.split(",") if name.strip()]
    return [str(name) for name in value]


def _labels_on_index(run: SegmentationRun, index: pd.Index) -> pd.Series:
    """Return the recommended segments on the caller's index (``<NA>``: dropped rows)."""
    kept = run.prepared.kept_rows
    labels = np.asarray(run.labels, dtype=np.int64)
    if len(kept) == len(index):
        return pd.Series(labels, index=index, name="segment")
    full = pd.Series(pd.NA, index=index, name="segment", dtype="Int64")
    full.iloc[kept] = labels
    return full


def _per_segment(
    assigner: SegmentAssigner, matrix: np.ndarray, method: str
) -> tuple[str, dict[int, np.ndarray]]:
    """Distances to, or probabilities of, every segment, from the assigner's own estimator.

    The estimator numbers its clusters its own way; the assigner's mapping turns them into
    segments (several clusters of one segment: the nearest distance, the summed probability).
    """
    from sklearn.metrics import euclidean_distances

    estimator = assigner.estimator
    centres = getattr(estimator, "cluster_centers_", getattr(estimator, "centroids_", None))
    if centres is not None:
        raw = euclidean_distances(matrix, centres)
        clusters = np.asarray(getattr(estimator, "classes_", np.arange(len(centres))))
        kind = "distance"
    elif hasattr(estimator, "predict_proba"):
        raw = np.asarray(estimator.predict_proba(matrix))
        clusters = np.arange(raw.shape[1])
        kind = "probability"
    else:
        raise ConfigError(
            f"transform: {method} places customers without a distance or a probability per segment",
            hint=(
                "segment with methods=['kmeans'] or ['agglomerative'] (distances) "
                "or ['gmm'] (probabilities)"
            ),
        )
    segments = assigner.relabel(clusters)
    per_segment = {}
    for segment in sorted(set(segments.tolist()) - {-1}):
        columns = raw[:, segments == segment]
        per_segment[int(segment)] = (
            columns.min(axis=1) if kind == "distance" else columns.sum(axis=1)
        )
    return kind, per_segment
