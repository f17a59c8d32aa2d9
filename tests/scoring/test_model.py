"""Tests for segmentkit.scoring.model: saved models, scoring new customers, refusing unsafe files.

One segmentation (500 synthetic customers, all four methods) is run and saved once for
the module; every test reads that output folder or a copy of its ``model.skops``.
"""

from __future__ import annotations

import copy
import importlib
import logging
import os
import pathlib
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.metrics import euclidean_distances

import segmentkit.pipeline
from helpers import RunCli, error_lines, read_run_json
from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.errors import DataError
from segmentkit.output.export import save_run
from segmentkit.pipeline import SegmentationRun, run_segmentation
from segmentkit.scoring.model import FORMAT_VERSION, MODEL_NAME, TRUSTED_TYPES, SegmentationModel

METHODS = ["kmeans", "agglomerative", "gmm", "dbscan", "genie"]
MODEL_LOGGER = "segmentkit.scoring.model"


@dataclass(frozen=True)
class Trained:
    """A finished run, its output folder and what the tests compare against."""

    frame: pd.DataFrame
    run: SegmentationRun
    folder: Path
    segments: pd.DataFrame
    summary: dict[str, Any]

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_NAME


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    frame = make_customers(500, n_segments=4, seed=2).frame
    config = Config().with_overrides({"clustering.methods": METHODS})
    run = run_segmentation(frame, config)
    folder = save_run(run, tmp_path_factory.mktemp("trained") / "out")
    segments = pd.read_csv(folder / "segments.csv")
    summary = read_run_json(folder)
    return Trained(frame, run, folder, segments, summary)


@pytest.fixture(scope="module")
def model(trained: Trained) -> SegmentationModel:
    return SegmentationModel.load(trained.model_path)


@pytest.fixture(scope="module")
def scored(model: SegmentationModel, trained: Trained) -> pd.DataFrame:
    """The training customers scored by the loaded model."""
    return model.score(trained.frame)


@pytest.fixture(scope="module")
def training_X(model: SegmentationModel, trained: Trained) -> np.ndarray:
    """The training matrix, through the loaded model's preprocessor."""
    cleaned = trained.run.prepared.cleaned[model.schema.features]
    return np.asarray(model.preprocessor.transform(cleaned), dtype=np.float64)


def merged(scored: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Scored rows next to their ``segments.csv`` rows, matched by customer id."""
    both = scored.merge(segments, on="customer_id", suffixes=("", "_train"), validate="1:1")
    assert len(both) == len(segments) == len(scored)
    return both


def _money(value: object) -> object:
    """Write a number the way a spreadsheet export would: "$1,200.50"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    return f"${float(value):,.2f}"  # type: ignore[arg-type]


def model_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == MODEL_LOGGER and r.levelno == logging.WARNING
    ]


def assert_clean_failure(code: int, err: str, *, exit_code: int = 1) -> str:
    """Exit code as documented, exactly one ``error:`` line, no traceback; return it."""
    assert code == exit_code, err
    assert "Traceback" not in err
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert err.strip().splitlines()[-1] == lines[0]
    return lines[0]


# --------------------------------------------------------------------------- the fixture run


def test_fixture_run_keeps_every_customer(trained: Trained, training_X: np.ndarray) -> None:
    # The comparisons below assume the training table is the input, row for row.
    assert trained.summary["rows"]["read"] == trained.summary["rows"]["kept"] == 500
    assert list(trained.run.results) == METHODS
    # The recommended-segment checks assume a method whose round trip is exact.
    assert trained.run.recommended == "kmeans"
    assert trained.segments["customer_id"].tolist() == trained.frame["customer_id"].tolist()
    # The saved preprocessor reproduces the training matrix.
    np.testing.assert_allclose(training_X, trained.run.prepared.X, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- 1. round trip


@pytest.mark.parametrize("method", METHODS)
def test_round_trip_agrees_with_training(
    method: str, scored: pd.DataFrame, trained: Trained, model: SegmentationModel
) -> None:
    both = merged(scored, trained.segments)
    agreement = float((both[f"segment_{method}"] == both[f"segment_{method}_train"]).mean())
    assert agreement == pytest.approx(trained.summary["methods"][method]["scoring_agreement"])
    assert agreement == pytest.approx(model.agreement[method])
    if method == "agglomerative":
        assert agreement >= 0.9
    else:
        # Centres, posteriors and the nearest core point reproduce training exactly.
        assert agreement == 1.0


def test_recommended_segment_and_name_round_trip(scored: pd.DataFrame, trained: Trained) -> None:
    both = merged(scored, trained.segments)
    assert (both["segment"] == both["segment_train"]).all()
    assert (both["segment_name"] == both["segment_name_train"]).all()


# --------------------------------------------------------------------------- 2. output contract


def test_scored_columns_and_order(scored: pd.DataFrame, trained: Trained) -> None:
    expected = [
        "customer_id",
        "segment",
        "segment_name",
        *(f"segment_{m}" for m in METHODS),
        *(f"confidence_{m}" for m in METHODS),
        "is_outlier",
    ]
    assert list(scored.columns) == expected
    assert scored["customer_id"].tolist() == trained.frame["customer_id"].tolist()
    assert (scored["is_outlier"].to_numpy() == trained.segments["is_outlier"].to_numpy()).all()


def test_one_row_per_input_row_in_order(model: SegmentationModel, trained: Trained) -> None:
    frame = trained.frame.head(20)
    doubled = pd.concat([frame.iloc[[3, 3]], frame.iloc[::-1]]).set_index(pd.Index(range(100, 122)))
    out = model.score(doubled)
    assert out["customer_id"].tolist() == doubled["customer_id"].tolist()


def test_confidences(
    scored: pd.DataFrame, model: SegmentationModel, training_X: np.ndarray
) -> None:
    for method in METHODS:
        values = scored[f"confidence_{method}"].to_numpy()
        assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
    posterior = model.assigners["gmm"].estimator.predict_proba(training_X).max(axis=1)
    np.testing.assert_allclose(scored["confidence_gmm"], posterior)
    centres = model.assigners["kmeans"].estimator.cluster_centers_
    distances = np.sort(euclidean_distances(training_X, centres), axis=1)
    np.testing.assert_allclose(
        scored["confidence_kmeans"], 1 - distances[:, 0] / distances[:, 1], rtol=1e-9
    )
    centroids = model.assigners["agglomerative"].estimator.centroids_
    distances = np.sort(euclidean_distances(training_X, centroids), axis=1)
    np.testing.assert_allclose(
        scored["confidence_agglomerative"], 1 - distances[:, 0] / distances[:, 1], rtol=1e-9
    )
    noise = scored["segment_dbscan"] == -1
    assert (scored.loc[noise, "confidence_dbscan"] == 0).all()
    assessor = model.assigners["dbscan"].estimator
    inside = ~noise.to_numpy()
    expected = 1 - assessor.distance(training_X[inside]) / assessor.eps
    np.testing.assert_allclose(scored.loc[inside, "confidence_dbscan"], expected)


# --------------------------------------------------------------------------- 3. cleaning


def test_numbers_as_text_and_category_spellings_score_the_same(
    model: SegmentationModel, trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    frame = trained.frame.head(40).copy()
    baseline = model.score(frame)
    text = frame.copy()
    text["annual_income"] = [
        "" if pd.isna(v) else f"${v:,.2f}" for v in frame["annual_income"].astype(float)
    ]
    text["gender"] = [v if pd.isna(v) else f"  {str(v).upper()} " for v in frame["gender"]]
    text["region"] = [v if pd.isna(v) else str(v).lower() for v in frame["region"]]
    with caplog.at_level(logging.WARNING, logger=MODEL_LOGGER):
        out = model.score(text)
    assert model_warnings(caplog) == []
    for method in METHODS:
        assert out[f"segment_{method}"].tolist() == baseline[f"segment_{method}"].tolist()


def test_unseen_category_is_scored_with_a_warning(
    model: SegmentationModel, trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    frame = trained.frame.head(10).copy()
    frame["region"] = frame["region"].astype(object)
    frame.loc[[0, 1], "region"] = "Mars"
    with caplog.at_level(logging.WARNING, logger=MODEL_LOGGER):
        out = model.score(frame)
    assert len(out) == 10
    warnings = model_warnings(caplog)
    assert len(warnings) == 1
    assert "'region'" in warnings[0] and "2 value(s)" in warnings[0]


def test_unreadable_numbers_are_missing_with_a_warning(
    model: SegmentationModel, trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    frame = trained.frame.head(10).copy()
    frame["age"] = frame["age"].astype(object)
    frame.loc[[2, 3, 4], "age"] = "n/a"
    with caplog.at_level(logging.WARNING, logger=MODEL_LOGGER):
        model.score(frame)
    assert any("'age'" in w and "3 value(s)" in w for w in model_warnings(caplog))


def test_missing_required_column_is_a_data_error(
    model: SegmentationModel, trained: Trained
) -> None:
    with pytest.raises(DataError, match="annual_income"):
        model.score(trained.frame.drop(columns=["annual_income"]))


def test_input_without_id_column_does_not_invent_ids(
    model: SegmentationModel, trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=MODEL_LOGGER):
        out = model.score(trained.frame.drop(columns=["customer_id"]).head(3))
    assert out.columns[0] == "row"
    assert out["row"].tolist() == [1, 2, 3]
    assert "customer_id" not in out.columns
    assert any("row number" in w for w in model_warnings(caplog))


def test_ids_are_scored_as_read(model: SegmentationModel, trained: Trained) -> None:
    frame = trained.frame.head(3).copy()
    frame["customer_id"] = ["0001", "0002", "0003"]
    assert model.score(frame)["customer_id"].tolist() == ["0001", "0002", "0003"]
    # Whole numbers read as floats because of a blank id: 1001, not 1001.0.
    frame["customer_id"] = [1001.0, np.nan, 1003.0]
    ids = model.score(frame)["customer_id"]
    assert ids.dtype == "Int64"
    assert ids.astype("string").fillna("").tolist() == ["1001", "", "1003"]


def test_models_saved_before_transactions_existed_load(model: SegmentationModel) -> None:
    older = copy.copy(model)
    older.__dict__.pop("transactions", None)  # as in a file written before the attribute
    assert older.transactions is None
    with pytest.raises(DataError, match="segmentkit rfm LOG"):
        older.transaction_settings()


def test_dates_with_utc_offsets_do_not_crash_scoring(tmp_path: Path) -> None:
    frame = make_customers(120, n_segments=3, seed=4).frame
    days = pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(120) % 90, unit="D")
    frame["last_order"] = days.strftime("%Y-%m-%d")
    config = Config().with_overrides({"clustering.methods": ["kmeans"], "clustering.k": 3})
    run = run_segmentation(frame, config)
    assert "last_order" in run.prepared.numeric_features
    path = SegmentationModel.from_run(run).save(tmp_path / MODEL_NAME)
    model = SegmentationModel.load(path)
    baseline = model.score(frame)
    shifted = frame.copy()
    # Midnight in +02:00 is 22:00 UTC the day before: 2 hours earlier than the naive date.
    shifted["last_order"] = days.strftime("%Y-%m-%dT02:00:00+02:00")
    out = model.score(shifted)
    assert out["segment_kmeans"].tolist() == baseline["segment_kmeans"].tolist()


def test_missing_values_are_scored(
    model: SegmentationModel, trained: Trained, scored: pd.DataFrame
) -> None:
    frame = trained.frame.head(10).astype({"age": float, "spending_score": float})
    frame["gender"] = frame["gender"].astype(object)
    frame.loc[0, ["age", "annual_income", "spending_score"]] = np.nan
    frame.loc[1, "gender"] = np.nan
    frame.loc[2, model.schema.numeric] = np.nan
    out = model.score(frame)
    assert len(out) == 10
    for method in METHODS:
        assert out[f"segment_{method}"].notna().all()
        assert set(out[f"segment_{method}"]) <= set(trained.segments[f"segment_{method}"])
        confidence = out[f"confidence_{method}"]
        assert confidence.between(0.0, 1.0).all(), method
    assert out["segment_name"].notna().all()
    # Rows without missing cells score as before.
    pd.testing.assert_frame_equal(
        out.iloc[3:].reset_index(drop=True), scored.iloc[3:10].reset_index(drop=True)
    )


def test_infinite_values_are_missing_with_a_warning(
    model: SegmentationModel, trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    infinite = trained.frame.head(12).copy()
    infinite.loc[[0, 4], "annual_income"] = np.inf
    infinite.loc[5, "annual_income"] = -np.inf
    infinite.loc[7, "annual_income"] = 1e300  # beyond float32: as unusable as infinity
    missing = trained.frame.head(12).copy()
    missing.loc[[0, 4, 5, 7], "annual_income"] = np.nan
    caplog.set_level(logging.WARNING, logger=MODEL_LOGGER)
    out = model.score(infinite)
    warnings = model_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "'annual_income'" in warnings[0]
    assert "4 infinite or impossibly large value(s)" in warnings[0]
    pd.testing.assert_frame_equal(out, model.score(missing))
    assert not out.loc[[0, 4, 5], "is_outlier"].any()


def test_scoring_does_not_modify_the_input(model: SegmentationModel, trained: Trained) -> None:
    frame = trained.frame.head(30).copy()
    frame["annual_income"] = frame["annual_income"].map(_money).astype(object)
    frame["region"] = frame["region"].astype(object).str.upper()
    frame.loc[2, "region"] = "Mars"
    frame.loc[3, "orders_per_year"] = np.inf
    frame.columns = [f" {c} " if c == "age" else c for c in frame.columns]
    frame.index = pd.Index(range(100, 130))
    before = frame.copy(deep=True)
    out = model.score(frame)
    assert len(out) == 30
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    "frame",
    [pd.DataFrame(), pd.DataFrame(columns=["customer_id", "age", "annual_income"])],
    ids=["no columns", "header only"],
)
def test_empty_frame_is_a_data_error(model: SegmentationModel, frame: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="no rows"):
        model.score(frame)


@pytest.fixture
def new_csv(tmp_path: Path, trained: Trained) -> Path:
    path = tmp_path / "new.csv"
    trained.frame.head(40).to_csv(path, index=False)
    return path


def test_cli_missing_column(tmp_path: Path, trained: Trained, run_cli: RunCli) -> None:
    path = tmp_path / "new.csv"
    trained.frame.drop(columns=["spending_score"]).to_csv(path, index=False)
    out = tmp_path / "scored.csv"
    code, _, err = run_cli("score", trained.model_path, path, "--out", out, "-q")
    line = assert_clean_failure(code, err)
    assert "'spending_score'" in line
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"new.csv"}


def test_cli_out_is_a_folder(
    tmp_path: Path, trained: Trained, new_csv: Path, run_cli: RunCli
) -> None:
    folder = tmp_path / "existing"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep", encoding="utf-8")
    code, _, err = run_cli("score", trained.model_path, new_csv, "--out", folder, "-q")
    line = assert_clean_failure(code, err)
    assert "is a folder" in line
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_cli_replaces_out_only_on_success(
    tmp_path: Path, trained: Trained, new_csv: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "scored.csv"
    out.write_bytes(b"previous,scores\n1,2\n")
    broken = tmp_path / "broken.csv"
    trained.frame.drop(columns=["age"]).head(5).to_csv(broken, index=False)
    code, _, err = run_cli("score", trained.model_path, broken, "--out", out, "-q")
    assert_clean_failure(code, err)
    assert out.read_bytes() == b"previous,scores\n1,2\n"
    # A failing model load leaves it too.
    code, _, err = run_cli("score", tmp_path / "nope.skops", new_csv, "--out", out, "-q")
    assert "not found" in assert_clean_failure(code, err)
    assert out.read_bytes() == b"previous,scores\n1,2\n"
    # Success replaces it, with no temporary file left behind.
    code, _, err = run_cli("score", trained.model_path, new_csv, "--out", out, "-q")
    assert code == 0, err
    assert len(pd.read_csv(out)) == 40
    assert {p.name for p in tmp_path.iterdir()} == {"scored.csv", "broken.csv", "new.csv"}


# --------------------------------------------------------------------------- 5. security


class WritesMarkerOnUnpickle:
    """Unpickling this calls ``Path.write_text(marker)``: code chosen by the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (pathlib.Path.write_text, (pathlib.Path(self.marker), "pwned"))


class WritesMarkerOnLoad:
    """Restoring this object from its state (pickle or skops) writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __setstate__(self, state: dict[str, Any]) -> None:
        Path(state["marker"]).write_text("pwned", encoding="utf-8")
        self.__dict__.update(state)


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_payloads_are_live(tmp_path: Path) -> None:
    # Without this, the refusals below could pass because the payloads do nothing.
    marker = tmp_path / "pickle-ran"
    pickle.loads(pickle.dumps(WritesMarkerOnUnpickle(marker)))  # noqa: S301
    assert marker.read_text(encoding="utf-8") == "pwned"
    marker = tmp_path / "skops-ran"
    path = tmp_path / "object.skops"
    sio.dump(WritesMarkerOnLoad(marker), path)
    sio.load(path, trusted=[_type_name(WritesMarkerOnLoad)])
    assert marker.read_text(encoding="utf-8") == "pwned"


def _write_pickle(path: Path, marker: Path) -> None:
    path.write_bytes(pickle.dumps(WritesMarkerOnUnpickle(marker)))


def _write_joblib(path: Path, marker: Path) -> None:
    joblib.dump(WritesMarkerOnUnpickle(marker), path)


def _write_joblib_compressed(path: Path, marker: Path) -> None:
    joblib.dump(WritesMarkerOnUnpickle(marker), path, compress=3)


def _write_zipped_pickle(path: Path, marker: Path) -> None:
    # A zip, so it passes the "is it a zip" check, but with a pickle instead of a schema.
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.pkl", pickle.dumps(WritesMarkerOnUnpickle(marker)))


PICKLE_WRITERS = {
    "evil.pkl": _write_pickle,
    "evil.skops": _write_pickle,
    "model.joblib": _write_joblib,
    "model.joblib.z": _write_joblib_compressed,
    "zipped-pickle.skops": _write_zipped_pickle,
}


@pytest.mark.parametrize("name", list(PICKLE_WRITERS))
def test_pickle_files_are_refused_without_running(
    name: str, tmp_path: Path, run_cli: RunCli, new_csv: Path
) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / name
    PICKLE_WRITERS[name](path, marker)
    with pytest.raises(DataError) as info:
        SegmentationModel.load(path)
    assert "refusing" in str(info.value) or "not a readable skops file" in str(info.value)
    assert not marker.exists()
    out = tmp_path / "scored.csv"
    code, _, err = run_cli("score", path, new_csv, "--out", out, "-q")
    line = assert_clean_failure(code, err)
    assert str(path) in line
    assert not marker.exists()
    assert not out.exists()


def test_pickle_is_refused_as_such(tmp_path: Path) -> None:
    path = tmp_path / "evil.pkl"
    _write_pickle(path, tmp_path / "pwned")
    with pytest.raises(DataError, match="refusing to load it") as info:
        SegmentationModel.load(path)
    assert "pickle and joblib files are never loaded" in str(info.value)


def test_skops_file_with_untrusted_class_is_refused(
    tmp_path: Path, run_cli: RunCli, new_csv: Path
) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.skops"
    sio.dump(WritesMarkerOnLoad(marker), path)
    assert zipfile.is_zipfile(path)
    with pytest.raises(DataError, match="refusing") as info:
        SegmentationModel.load(path)
    assert _type_name(WritesMarkerOnLoad) in str(info.value)
    assert "WritesMarkerOnLoad" in str(info.value)
    assert not marker.exists()
    code, _, err = run_cli("score", path, new_csv, "--out", tmp_path / "s.csv", "-q")
    assert "WritesMarkerOnLoad" in assert_clean_failure(code, err)
    assert not marker.exists()


def test_real_model_with_untrusted_part_is_refused(tmp_path: Path, trained: Trained) -> None:
    # A genuine model whose preprocessor was swapped for a hostile object.
    marker = tmp_path / "pwned"
    tampered = SegmentationModel.load(trained.model_path)
    tampered.preprocessor = WritesMarkerOnLoad(marker)
    path = tampered.save(tmp_path / "model.skops")
    with pytest.raises(DataError, match="refusing") as info:
        SegmentationModel.load(path)
    assert _type_name(WritesMarkerOnLoad) in str(info.value)
    assert "SegmentationModel" not in str(info.value)
    assert not marker.exists()


def test_skops_file_with_a_function_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "system.skops"
    sio.dump({"run": os.system, "argument": f"touch {tmp_path / 'pwned'}"}, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted, "skops should see the function as untrusted"
    with pytest.raises(DataError, match="refusing") as info:
        SegmentationModel.load(path)
    assert any(name in str(info.value) for name in untrusted)
    assert "system" in str(info.value)
    assert not (tmp_path / "pwned").exists()


def test_skops_file_without_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dict.skops"
    sio.dump({"a": np.arange(3)}, path)
    with pytest.raises(DataError, match="does not hold a segmentkit model"):
        SegmentationModel.load(path)


def _truncated(source: Path, target: Path) -> None:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def _random(source: Path, target: Path) -> None:
    target.write_bytes(np.random.default_rng(0).bytes(len(source.read_bytes())))


def _empty(source: Path, target: Path) -> None:
    target.write_bytes(b"")


def _damaged_arrays(source: Path, target: Path) -> None:
    # A valid zip and schema, but every stored array cut in half.
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            copy.writestr(item, data if item.filename == "schema.json" else data[: len(data) // 2])


def _bad_schema(source: Path, target: Path) -> None:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            copy.writestr(item, b"{not json" if item.filename == "schema.json" else data)


DAMAGE = {
    "truncated": _truncated,
    "random": _random,
    "empty": _empty,
    "damaged-arrays": _damaged_arrays,
    "bad-schema": _bad_schema,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_model_is_a_clean_error(
    damage: str,
    tmp_path: Path,
    trained: Trained,
    new_csv: Path,
    run_cli: RunCli,
) -> None:
    path = tmp_path / "model.skops"
    DAMAGE[damage](trained.model_path, path)
    with pytest.raises(DataError) as info:
        SegmentationModel.load(path)
    assert str(path) in str(info.value)
    out = tmp_path / "scored.csv"
    code, _, err = run_cli("score", path, new_csv, "--out", out, "-q")
    assert str(path) in assert_clean_failure(code, err)
    assert not out.exists()


def test_trusted_types_cover_a_real_model(trained: Trained) -> None:
    needed = set(sio.get_untrusted_types(file=trained.model_path))
    assert "segmentkit.model.SegmentationModel" in needed
    assert needed <= set(TRUSTED_TYPES)


def test_trusted_types_hold_no_code_runners() -> None:
    dangerous = {
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.getattr",
        "builtins.setattr",
        "builtins.__import__",
        "builtins.open",
        "builtins.breakpoint",
        "os.system",
        "posix.system",
        "nt.system",
        "os.popen",
        "os.execv",
        "subprocess.Popen",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_output",
        "pickle.loads",
        "pickle.load",
        "joblib.load",
        "importlib.import_module",
        "operator.attrgetter",
        "operator.methodcaller",
        "functools.partial",
        "pathlib.Path",
        "pathlib.PosixPath",
    }
    assert not dangerous & set(TRUSTED_TYPES)
    assert len(TRUSTED_TYPES) == len(set(TRUSTED_TYPES))
    for name in TRUSTED_TYPES:
        assert name.startswith(("segmentkit.", "numpy.")), name
        module, _, attribute = name.rpartition(".")
        obj = getattr(importlib.import_module(module), attribute)
        if name.startswith("numpy."):
            assert isinstance(obj, np.ufunc | type), name
        else:
            # Our own classes are restored from plain state, never by custom code.
            assert isinstance(obj, type), name
            assert "__setstate__" not in vars(obj), name
            assert "__reduce__" not in vars(obj), name


# --------------------------------------------------------------------------- 6. versions


def test_library_version_mismatch_warns_and_loads(
    trained: Trained, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = segmentkit.pipeline.library_versions()
    monkeypatch.setattr(
        segmentkit.pipeline, "library_versions", lambda: {**real, "scikit-learn": "0.0.1"}
    )
    caplog.set_level(logging.WARNING, logger=MODEL_LOGGER)
    loaded = SegmentationModel.load(trained.model_path)
    assert isinstance(loaded, SegmentationModel)
    saved = loaded.versions["scikit-learn"]
    assert saved == real["scikit-learn"] != "0.0.1"
    warnings = model_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "scikit-learn" in warnings[0]
    assert saved in warnings[0]
    assert "0.0.1" in warnings[0]
    assert len(loaded.score(trained.frame.head(5))) == 5


def test_matching_versions_load_without_warning(
    trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=MODEL_LOGGER)
    SegmentationModel.load(trained.model_path)
    assert model_warnings(caplog) == []


# --------------------------------------------------------------------------- 7. CLI happy path


def test_cli_score(
    tmp_path: Path,
    trained: Trained,
    model: SegmentationModel,
    new_csv: Path,
    run_cli: RunCli,
) -> None:
    out = tmp_path / "scored.csv"
    code, stdout, err = run_cli("score", trained.model_path, new_csv, "--out", out, "-q")
    assert code == 0, err
    assert error_lines(err) == []
    assert out.is_file()
    assert f"40 customers scored with {model.recommended} (recommended)" in stdout
    agreement = ", ".join(
        f"{m} {trained.summary['methods'][m]['scoring_agreement']:.1%}" for m in METHODS
    )
    assert f"Training customers the model puts back in their own segment: {agreement}" in stdout
    expected = model.score(trained.frame.head(40))
    # Each segment's count is printed under its name.
    for name, count in expected["segment_name"].value_counts().items():
        assert f"  {name}: {count}" in stdout
    written = pd.read_csv(out)
    assert written.columns.tolist() == expected.columns.tolist()
    assert written["customer_id"].tolist() == expected["customer_id"].tolist()
    for column in ["segment", "segment_name", *(f"segment_{m}" for m in METHODS), "is_outlier"]:
        assert written[column].tolist() == expected[column].tolist(), column
    for method in METHODS:
        np.testing.assert_allclose(
            written[f"confidence_{method}"], expected[f"confidence_{method}"], rtol=1e-9
        )


# --------------------------------------------------------------------------- 8. format version


def test_other_format_version_is_refused(tmp_path: Path, trained: Trained) -> None:
    future = SegmentationModel.load(trained.model_path)
    assert future.format_version == FORMAT_VERSION
    future.format_version = 99
    path = future.save(tmp_path / "model.skops")
    with pytest.raises(DataError, match="format 99") as info:
        SegmentationModel.load(path)
    assert f"reads format {FORMAT_VERSION}" in str(info.value)


def test_save_load_round_trip_keeps_the_model(tmp_path: Path, model: SegmentationModel) -> None:
    path = model.save(tmp_path / "again.skops")
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert {p.name for p in tmp_path.iterdir()} == {"again.skops"}
    again = SegmentationModel.load(path)
    assert again.schema == model.schema
    assert again.names == model.names
    assert again.agreement == model.agreement
    assert again.recommended == model.recommended


def test_saving_gives_the_same_bytes_every_time(
    tmp_path: Path, model: SegmentationModel, trained: Trained
) -> None:
    # A deep copy holds equal values in other objects (other id()s, which skops writes
    # into the file), saved at another moment (skops stamps the time).
    first = model.save(tmp_path / "first.skops").read_bytes()
    second = copy.deepcopy(model).save(tmp_path / "second.skops").read_bytes()
    assert first == second
    again = SegmentationModel.load(tmp_path / "second.skops")
    pd.testing.assert_frame_equal(again.score(trained.frame), model.score(trained.frame))


def test_model_carries_the_profiles(model: SegmentationModel, trained: Trained) -> None:
    saved = pd.read_csv(trained.folder / "segment_profiles.csv")
    for method in METHODS:
        rows = model.profiles[method]
        expected = saved[saved["method"] == method]
        assert [r["name"] for r in rows] == expected["name"].tolist()
        assert [r["size"] for r in rows] == expected["size"].tolist()
        assert [r["segment"] for r in rows] == expected["segment"].tolist()


# ------------------------------------------------------------ large-data Agglomerative model


def test_micro_cluster_agglomerative_saves_loads_and_reproduces_training(
    tmp_path: Path,
) -> None:
    # max_rows below the customer count: the tree grows from micro-clusters, and the saved
    # model puts every training customer back through its nearest micro-cluster.
    frame = make_customers(800, n_segments=3, seed=4).frame
    config = Config().with_overrides(
        {
            "clustering.methods": ["agglomerative"],
            "clustering.agglomerative.max_rows": 200,
            "clustering.stability.n_resamples": 0,
        }
    )
    run = run_segmentation(frame, config)
    folder = save_run(run, tmp_path / "out")
    model = SegmentationModel.load(folder / MODEL_NAME)
    assert model.agreement["agglomerative"] == 1.0
    scored = model.score(frame)
    segments = pd.read_csv(folder / "segments.csv")
    assert scored["segment_agglomerative"].tolist() == segments["segment_agglomerative"].tolist()
    confidence = scored["confidence_agglomerative"]
    assert confidence.between(0, 1).all() and confidence.median() > 0.2


def test_negative_values_of_a_log_transformed_column_count_as_zero(
    model: SegmentationModel, trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    logged = [c for _, t, cols in model.preprocessor.transformers_
              if "log1p" in dict(getattr(t, "steps", [])) for c in cols]  # fmt: skip
    assert "annual_income" in logged  # the fixture's data has a skewed money column
    new = trained.frame.head(5).copy()
    new.loc[new.index[0], "annual_income"] = -3.5  # a refund: no logarithm
    zero = new.copy()
    zero.loc[zero.index[0], "annual_income"] = 0.0
    with caplog.at_level("WARNING", logger="segmentkit.scoring.model"):
        scored = model.score(new)
    assert "Column 'annual_income': 1 negative value(s) counted as 0" in caplog.text
    pd.testing.assert_frame_equal(scored, model.score(zero))


def test_a_customer_with_no_feature_value_is_scored_with_confidence_zero(
    model: SegmentationModel, trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    new = trained.frame.head(3).copy()
    new.loc[new.index[1], model.schema.features] = np.nan
    with caplog.at_level("WARNING", logger="segmentkit.scoring.model"):
        scored = model.score(new)
    assert "1 customer(s) have no value in any feature" in caplog.text
    confidence = scored.filter(like="confidence_")
    assert (confidence.iloc[1] == 0).all()
    assert (confidence.drop(index=new.index[1]) > 0).any(axis=None)
