"""Segmenter, the scikit-learn estimator: the issue's done-when facts and the estimator contract.

Mall Customers (200 rows) with ``methods=["kmeans"]`` keeps every fit well under a second.
"""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from segmentkit import Config, ConfigError, Segmenter, load_model, segment_file
from segmentkit.output.export import segments_table
from segmentkit.pipeline import SegmentationRun
from segmentkit.scoring.model import MODEL_NAME
from segmentkit.sources.read import read_table

INCOME, SPENDING = "Annual Income (k$)", "Spending Score (1-100)"
#: The issue's example: K-Means with 5 segments on income and spending.
MALL_PARAMS = {
    "k": 5,
    "methods": ["kmeans"],
    "features": [INCOME, SPENDING],
    "id_column": "CustomerID",
}


@pytest.fixture(scope="module")
def mall(mall_csv: Path) -> pd.DataFrame:
    """Mall Customers as pandas reads it (shared by the module: tests must not modify it)."""
    return pd.read_csv(mall_csv)


@pytest.fixture(scope="module")
def fitted(mall: pd.DataFrame) -> Segmenter:
    """The issue's Pipeline, fitted on Mall: its Segmenter step."""
    pipeline = Pipeline([("segment", Segmenter(**MALL_PARAMS))]).fit(mall)
    segmenter = pipeline.named_steps["segment"]
    assert isinstance(segmenter, Segmenter)
    return segmenter


@pytest.fixture
def shuffled(mall: pd.DataFrame) -> pd.DataFrame:
    return mall.sample(frac=1.0, random_state=7)


# ------------------------------------------------------------------ the done-when


def test_pipeline_on_mall_gives_the_known_segment_sizes(
    fitted: Segmenter, mall: pd.DataFrame
) -> None:
    assert sorted(fitted.labels_.value_counts().tolist()) == [22, 23, 35, 39, 81]
    assert fitted.method_ == "kmeans"
    assert fitted.n_segments_ == 5
    assert fitted.labels_.name == "segment"
    assert fitted.labels_.index.equals(mall.index)


def test_predict_on_a_shuffled_copy_is_on_its_index_and_equals_labels(
    fitted: Segmenter, shuffled: pd.DataFrame
) -> None:
    predicted = fitted.predict(shuffled)
    assert predicted.index.equals(shuffled.index)
    pd.testing.assert_series_equal(predicted, fitted.labels_.reindex(shuffled.index))


def test_a_saved_and_reloaded_model_predicts_the_same(
    fitted: Segmenter, shuffled: pd.DataFrame, tmp_path: Path
) -> None:
    written = fitted.save(tmp_path)  # a folder: model.skops inside it
    assert written == tmp_path / MODEL_NAME
    for source in (written, tmp_path):
        loaded = load_model(source)
        pd.testing.assert_series_equal(loaded.predict(shuffled), fitted.predict(shuffled))
        pd.testing.assert_frame_equal(loaded.transform(shuffled), fitted.transform(shuffled))
    assert (loaded.method_, loaded.n_segments_) == (fitted.method_, fitted.n_segments_)
    assert loaded.profiles_["name"].tolist() == fitted.profiles_["name"].tolist()
    assert loaded.get_params()["features"] == [INCOME, SPENDING]
    assert not hasattr(loaded, "labels_")  # the training customers are not in the file
    # Saving a loaded model writes the same file again.
    assert loaded.save(tmp_path / "again.skops").read_bytes() == written.read_bytes()


def test_save_writes_the_file_segmentkit_run_writes(mall_csv: Path, tmp_path: Path) -> None:
    config = Config().with_overrides(
        {
            "clustering.k": 5,
            "clustering.methods": ["kmeans"],
            "input.features": [INCOME, SPENDING],
            "input.id_column": "CustomerID",
        }
    )
    _, out = segment_file(mall_csv, config, tmp_path / "out", figures=False)
    frame = read_table(mall_csv).frame  # as the CLI reads it: ids stay text ("0001")
    saved = Segmenter(config=config).fit(frame).save(tmp_path / MODEL_NAME)
    assert saved.read_bytes() == (out / MODEL_NAME).read_bytes()


def test_clone_keeps_the_parameters_and_nothing_fitted(fitted: Segmenter) -> None:
    copied = clone(fitted)
    assert copied.get_params() == fitted.get_params() == {**MALL_PARAMS, **_DEFAULTS}
    assert not hasattr(copied, "labels_")
    with pytest.raises(NotFittedError):
        copied.predict(pd.DataFrame({INCOME: [50], SPENDING: [50]}))


_DEFAULTS = {"seed": None, "exclude": None, "config": None}


# ------------------------------------------------------------------ the estimator contract


def test_fitted_attributes(fitted: Segmenter, mall: pd.DataFrame) -> None:
    assert isinstance(fitted.run_, SegmentationRun)
    assert fitted.labels_.dtype == np.int64
    assert fitted.feature_names_in_.tolist() == mall.columns.tolist()
    assert fitted.n_features_in_ == 5
    assert fitted.profiles_["segment"].tolist() == [0, 1, 2, 3, 4]
    assert fitted.profiles_["size"].sum() == 200
    assert set(fitted.importance_["feature"]) == {INCOME, SPENDING}
    np.testing.assert_array_equal(fitted.labels_.to_numpy(), fitted.run_.labels)


def test_fit_predict_returns_labels(mall: pd.DataFrame, fitted: Segmenter) -> None:
    labels = Segmenter(**MALL_PARAMS).fit_predict(mall)
    pd.testing.assert_series_equal(labels, fitted.labels_)


def test_fit_is_deterministic_idempotent_and_leaves_params_and_input_alone(
    mall: pd.DataFrame,
) -> None:
    # The DataFrame forms of check_fit_idempotent, check_dont_overwrite_parameters and
    # check_estimators_overwrite_params; the input is never modified.
    before = mall.copy()
    segmenter = Segmenter(k=4, methods="kmeans", seed=3, exclude=["CustomerID"])
    params = copy.deepcopy(segmenter.get_params())
    first = segmenter.fit(mall).labels_.copy()
    first_scores = segmenter.transform(mall)
    assert segmenter.get_params() == params
    assert segmenter.fit(mall) is segmenter
    pd.testing.assert_series_equal(segmenter.labels_, first)
    pd.testing.assert_frame_equal(segmenter.transform(mall), first_scores)
    pd.testing.assert_series_equal(clone(segmenter).fit(mall).labels_, first)
    pd.testing.assert_frame_equal(mall, before)


def test_a_pickled_fitted_segmenter_predicts_the_same(
    fitted: Segmenter, shuffled: pd.DataFrame
) -> None:
    restored = pickle.loads(pickle.dumps(fitted))  # noqa: S301 - our own object
    pd.testing.assert_series_equal(restored.predict(shuffled), fitted.predict(shuffled))


def test_predict_on_a_subset_equals_predict_on_the_whole(
    fitted: Segmenter, shuffled: pd.DataFrame
) -> None:
    # The DataFrame form of check_methods_subset_invariance.
    whole = fitted.predict(shuffled)
    part = shuffled.iloc[10:40]
    pd.testing.assert_series_equal(fitted.predict(part), whole.loc[part.index])


def test_the_caller_index_survives_in_the_library_tables(
    fitted: Segmenter, mall: pd.DataFrame, shuffled: pd.DataFrame
) -> None:
    assert segments_table(fitted.run_).index.equals(mall.index)
    assert fitted.model_.score(shuffled).index.equals(shuffled.index)


def test_rows_cleaning_drops_have_no_label(mall: pd.DataFrame) -> None:
    frame = mall.set_index(mall.index + 1000)
    frame.loc[1003, INCOME] = np.nan
    config = {"cleaning": {"missing": {"numeric": "drop"}}}
    labels = Segmenter(**MALL_PARAMS, config=config).fit(frame).labels_
    assert labels.dtype == "Int64"
    assert labels.index.equals(frame.index)
    assert labels.isna().tolist() == [i == 1003 for i in frame.index]


# ------------------------------------------------------------------ transform


def test_transform_gives_the_distance_to_every_kmeans_segment(
    fitted: Segmenter, shuffled: pd.DataFrame
) -> None:
    distances = fitted.transform(shuffled)
    assert distances.columns.tolist() == [f"distance_{s}" for s in range(5)]
    assert distances.index.equals(shuffled.index)
    nearest = distances.to_numpy().argmin(axis=1)
    np.testing.assert_array_equal(nearest, fitted.predict(shuffled).to_numpy())


def test_transform_counts_a_negative_value_of_a_logged_column_as_zero(
    small_customers: pd.DataFrame,
) -> None:
    segmenter = Segmenter(k=3, methods=["kmeans"]).fit(small_customers)
    logged = [c for _, t, cols in segmenter.model_.preprocessor.transformers_
              if "log1p" in dict(getattr(t, "steps", [])) for c in cols]  # fmt: skip
    assert "orders_per_year" in logged  # skewed in this fixture's data
    new = small_customers.head(3).copy()
    zero = new.copy()
    new.loc[new.index[0], "orders_per_year"] = -5.0  # a data error: no logarithm
    zero.loc[zero.index[0], "orders_per_year"] = 0.0
    pd.testing.assert_frame_equal(segmenter.transform(new), segmenter.transform(zero))


def test_transform_gives_gmm_probabilities(mall: pd.DataFrame) -> None:
    segmenter = Segmenter(k=3, methods=["gmm"], features=[INCOME, SPENDING]).fit(mall)
    probabilities = segmenter.transform(mall)
    assert probabilities.columns.tolist() == ["probability_0", "probability_1", "probability_2"]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        probabilities.to_numpy().argmax(axis=1), segmenter.predict(mall).to_numpy()
    )


def test_transform_says_why_a_method_has_no_scores(mall: pd.DataFrame) -> None:
    segmenter = Segmenter(methods=["dbscan"], features=[INCOME, SPENDING]).fit(mall)
    with pytest.raises(ConfigError, match="dbscan places customers without a distance"):
        segmenter.transform(mall)


# ------------------------------------------------------------------ parameters


def test_parameters_become_the_settings_the_cli_flags_set(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"seed": 7, "clustering": {"k_max": 9}}), encoding="utf-8")
    config = Segmenter(
        k=(3, 4), methods="kmeans", features="Age", exclude=["Genre"], id_column="CustomerID",
        config=path,
    )._resolved_config()  # fmt: skip
    assert config.seed == 7  # seed=None keeps the configuration's seed
    assert (config.clustering.k, config.clustering.k_min, config.clustering.k_max) == (None, 3, 4)
    assert config.clustering.k_limit == 4  # as --k-max: a cap on the search
    assert config.clustering.methods == ["kmeans"]
    assert (config.input.features, config.input.exclude) == (["Age"], ["Genre"])
    assert config.input.id_column == "CustomerID"
    fixed = Segmenter(k=np.int64(6), seed=2, config=Config())._resolved_config()
    assert (fixed.clustering.k, fixed.seed) == (6, 2)


def test_lists_as_on_the_command_line_and_dotted_config_keys() -> None:
    config = Segmenter(
        methods="kmeans, gmm", features="Age,Annual Income (k$)",
        config={"clustering.k_max": 6, "cleaning": {"outliers": {"policy": "drop"}}},
    )._resolved_config()  # fmt: skip
    assert config.clustering.methods == ["kmeans", "gmm"]
    assert config.input.features == ["Age", "Annual Income (k$)"]
    assert config.clustering.k_max == 6
    assert config.cleaning.outliers.policy == "drop"
    with pytest.raises(ConfigError, match=r"Segmenter\(config=...\): 1 invalid setting"):
        Segmenter(config={"clustering.k_maxx": 6})._resolved_config()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"k": 1}, "Segmenter parameters: 1 invalid setting(s): clustering.k: "),
        ({"methods": ["kmeens"]}, "clustering.methods"),
        ({"k": "five"}, "k must be a number of segments"),
        ({"k": (5, 3)}, "k_min (5) must not exceed k_max (3)"),
        ({"config": 42}, "config must be a Config, a dict"),
        ({"config": {"clustering": {"k_maxx": 3}}}, "clustering.k_maxx: unknown key"),
    ],
)
def test_invalid_parameters_name_the_problem(
    mall: pd.DataFrame, params: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Segmenter(**params).fit(mall)  # type: ignore[arg-type]
    assert message in str(info.value)


@pytest.mark.parametrize("X", [np.ones((10, 2)), sparse.csr_matrix(np.ones((10, 2)))])
def test_arrays_are_refused_with_a_type_error(fitted: Segmenter, X: object) -> None:
    with pytest.raises(TypeError, match="takes a pandas DataFrame of customers"):
        Segmenter().fit(X)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DataFrame"):
        fitted.predict(X)  # type: ignore[arg-type]


def test_an_unfitted_segmenter_says_so(tmp_path: Path) -> None:
    frame = pd.DataFrame({INCOME: [50], SPENDING: [50]})
    for use in (Segmenter().predict, Segmenter().transform):
        with pytest.raises(NotFittedError):
            use(frame)
    with pytest.raises(NotFittedError):
        Segmenter().save(tmp_path)


# ------------------------------------------------------------------ display


def test_notebook_display_of_a_segmenter(fitted: Segmenter) -> None:
    unfitted = Segmenter(k=5, features=["<b>"])._repr_html_()
    assert "not fitted" in unfitted
    assert "&lt;b&gt;" in unfitted and "<b>" not in unfitted  # escaped
    shown = fitted._repr_html_()
    assert "kmeans" in shown and "81" in shown
    for name in fitted.profiles_["name"]:
        assert name in shown
    assert fitted._repr_mimebundle_()["text/html"] == shown


def test_a_run_displays_as_a_summary_not_arrays(fitted: Segmenter) -> None:
    text = repr(fitted.run_)
    assert text.startswith("SegmentationRun(kmeans, 200 customers)")
    assert "array(" not in text and len(text.splitlines()) < 15
    assert "Average customers" in text
    html = fitted.run_._repr_html_()
    assert html.startswith('<div class="segmentkit-summary">') and "array(" not in html


# ------------------------------------------------------------------ scikit-learn's checks

#: Checks that fit on numpy arrays of random numbers. A Segmenter takes a DataFrame of named
#: customer columns (features, ids and profiles are named after them) and refuses arrays
#: with a TypeError; the DataFrame forms of these checks are the tests above.
_ARRAY_CHECKS = (
    "check_clustering",
    "check_complex_data",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit1d",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
)


def _not_applicable(estimator: object) -> dict[str, str]:
    reason = "fits a numpy array; a Segmenter takes a DataFrame (see tests/test_estimator.py)"
    return dict.fromkeys(_ARRAY_CHECKS, reason)


@parametrize_with_checks(
    [Segmenter(k=2, methods=["kmeans"])], expected_failed_checks=_not_applicable
)
def test_scikit_learn_checks(estimator: Segmenter, check: object) -> None:
    check(estimator)  # type: ignore[operator]
