"""``output.format: "parquet"``: segments.parquet instead of segments.csv, read back everywhere."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from segmentkit.api import segment_file
from segmentkit.config import Config
from segmentkit.describe.identity import load_previous
from segmentkit.output.folder import OutputFolder
from segmentkit.output.rename import rename_segment
from segmentkit.output.write import read_output_csv


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory, mall_csv: Path) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("formats")
    base = Config().with_overrides({"clustering": {"methods": ["kmeans", "gmm"]}})
    for form in ("csv", "parquet"):
        segment_file(
            mall_csv,
            base.with_overrides({"output": {"format": form}}),
            root / form,
            figures=False,
        )
    return root / "csv", root / "parquet"


def test_parquet_replaces_the_csv_with_the_same_table(folders: tuple[Path, Path]) -> None:
    as_csv, as_parquet = folders
    assert not (as_parquet / "segments.csv").exists()
    assert (as_parquet / "segment_profiles.csv").is_file()  # the small tables stay CSV
    table = pd.read_parquet(as_parquet / "segments.parquet")
    expected = read_output_csv(as_csv / "segments.csv")
    assert list(table.columns) == list(expected.columns)
    assert table.shape == (200, 11)  # 5 input columns, 6 of segments
    assert str(table["segment"].dtype) == "int64" and str(table["is_outlier"].dtype) == "bool"
    assert table["confidence_gmm"].dtype == "float64"
    assert table["CustomerID"].tolist()[:2] == ["0001", "0002"]  # ids as text, as read
    pd.testing.assert_frame_equal(
        table.drop(columns="CustomerID"),
        expected.drop(columns="CustomerID"),
        check_dtype=False,
    )


def test_output_folder_reads_either_form(folders: tuple[Path, Path]) -> None:
    as_csv, as_parquet = folders
    csv_folder, parquet_folder = OutputFolder(as_csv), OutputFolder(as_parquet)
    assert parquet_folder.segments_file.name == "segments.parquet"
    assert csv_folder.segments_file.name == "segments.csv"
    assert parquet_folder.segment_columns() == csv_folder.segment_columns()
    text = parquet_folder.read_segments(text=True)
    expected = csv_folder.read_segments(text=True)
    assert text.drop(columns="confidence_gmm").equals(expected.drop(columns="confidence_gmm"))
    columns = parquet_folder.read_segment_columns(["segment", "is_outlier"])
    assert columns["segment"].tolist() == expected["segment"].tolist()


def test_previous_run_in_parquet_matches_the_csv_one(folders: tuple[Path, Path]) -> None:
    as_csv, as_parquet = folders
    from_csv, from_parquet = load_previous(as_csv), load_previous(as_parquet)
    pd.testing.assert_frame_equal(from_parquet.assignments, from_csv.assignments)


def test_rename_rewrites_segment_name_in_parquet(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    folder = shutil.copytree(folders[1], tmp_path / "run")
    renamed = rename_segment(folder, 0, 'Big, "quoted" =spenders')
    table = pd.read_parquet(folder / "segments.parquet")
    if renamed.recommended:
        assert "segments.parquet" in renamed.files
        names = table.loc[table["segment"] == 0, "segment_name"].unique().tolist()
        assert names == ['Big, "quoted" =spenders']
    assert len(table) == 200
