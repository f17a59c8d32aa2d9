"""Shared fixtures. OMP_NUM_THREADS=1: 2-core CI machines oversubscribe badly otherwise."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import pandas as pd
import pytest

from helpers import CliResult, RunCli
from segmentkit.cli import main
from segmentkit.datasets import make_customers

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
MALL = "mall_customers/Mall_Customers.csv"


def shared_dataset(relative: str) -> Path:
    """Path of a file in ../shared/datasets, skipping the test when it is absent."""
    path = SHARED_DATASETS / relative
    if not path.exists():
        pytest.skip(f"shared dataset not available: {relative}")
    return path


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run ``segmentkit *args`` in-process: ``code, out, err = run_cli("run", path)``.

    stdout and stderr are everything printed since ``capsys`` was last read, as a test
    reading ``capsys`` itself would see them. Module fixtures use ``helpers.invoke_cli``.
    """

    def run(*args: object) -> CliResult:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


# --------------------------------------------------------------------------- datasets


@pytest.fixture(scope="session")
def mall_csv() -> Path:
    """The Mall Customers CSV (200 rows; the test is skipped when it is absent)."""
    return shared_dataset(MALL)


@pytest.fixture
def mall_frame(mall_csv: Path) -> pd.DataFrame:
    """The Mall Customers table as pandas reads it; a fresh frame for each test."""
    return pd.read_csv(mall_csv)


@pytest.fixture
def small_customers() -> pd.DataFrame:
    """300 synthetic customers in 3 segments (seed 4); a fresh frame for each test."""
    return make_customers(300, n_segments=3, seed=4).frame


@pytest.fixture(scope="session")
def small_customers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``small_customers`` written once as CSV; read it, never write beside it."""
    path = tmp_path_factory.mktemp("small_customers") / "customers.csv"
    make_customers(300, n_segments=3, seed=4).frame.to_csv(path, index=False)
    return path
