"""Memory estimates before each stage: a stage that cannot fit stops cleanly, up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from segmentkit import resources
from segmentkit.cli import main
from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.errors import ResourceError
from segmentkit.pipeline import run_segmentation
from segmentkit.resources import WORKING_MEMORY_MIB, check_memory, stage_memory


def test_estimates_grow_with_the_data_and_respect_the_sample_caps() -> None:
    config = Config()
    # Linear in the rows on top of a constant (scikit-learn's pairwise-distance chunks).
    constant = stage_memory("segment:kmeans", 0, 20, config)
    assert constant == WORKING_MEMORY_MIB * 2**20
    small = stage_memory("segment:kmeans", 10_000, 20, config) - constant
    large = stage_memory("segment:kmeans", 1_000_000, 20, config) - constant
    assert large == pytest.approx(100 * small)
    # Agglomerative is estimated at its micro-cluster strategy: an exact tree that would
    # not fit switches to it by itself, so it never stops the run.
    assert stage_memory("segment:agglomerative", 10_000, 20, config) < 16 * 10_000**2 / 5
    # The forest trains on at most explain.max_rows rows, whatever the customer count.
    assert stage_memory("explain", 10**7, 20, config) == stage_memory(
        "explain", config.explain.max_rows, 20, config
    )


def test_check_memory_passes_when_it_fits_and_names_the_stage_when_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resources, "available_memory", lambda: 2 * 2**30)
    check_memory("segment:kmeans", 2**30, hint="h")
    with pytest.raises(ResourceError) as caught:
        check_memory("segment:kmeans", 3 * 2**30, hint="leave kmeans out")
    assert str(caught.value) == (
        "stage segment:kmeans needs about 3.0 GiB of memory but only 2.0 GiB are available "
        "(leave kmeans out)"
    )


def test_a_run_that_cannot_fit_stops_before_the_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = make_customers(400, n_segments=3, seed=0).frame
    # Enough for preparing the data and K-Means, not for the DBSCAN neighbourhoods.
    config = Config().with_overrides({"clustering.methods": ["kmeans", "dbscan"]})
    enough = stage_memory("segment:kmeans", 400, 17, config)
    assert stage_memory("segment:dbscan", 400, 17, config) > enough
    monkeypatch.setattr(resources, "available_memory", lambda: enough)
    with pytest.raises(ResourceError, match=r"^stage segment:dbscan needs about 259 MiB"):
        run_segmentation(frame, config)


def test_the_cli_reports_a_memory_stop_in_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "customers.csv"
    make_customers(300, n_segments=3, seed=0).frame.to_csv(source, index=False)
    monkeypatch.setattr(resources, "available_memory", lambda: 1024)
    code = main(["run", str(source), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 1 and "Traceback" not in err
    assert len(errors) == 1 and "stage prepare needs about" in errors[0]
    assert "--backend dask" in errors[0]
    assert not (tmp_path / "out").exists()
