"""Start-up: each command loads only the libraries its stages use.

Each test runs a fresh interpreter and lists which of the heavy libraries it had loaded when
it exited (no timings here: speed is measured in bench/ and docs/scale.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Libraries that cost tenths of a second to import, and the commands that need them.
HEAVY = (
    "matplotlib",
    "plotly",
    "seaborn",
    "jinja2",
    "pydantic",
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "sklearn.ensemble",
    "skops",
    "dask",
    "numba",
    "genieclust",
    "kneed",
    "pyarrow",
    "rich",
)
#: Figures and report only: never loaded by `run --no-figures` or `score`.
FIGURES = {"plotly", "seaborn", "jinja2"}

# Runs the command line as `python -m segmentkit` does, then writes the HEAVY modules loaded
# at exit (after the command's own sys.exit) to the file named by argv[1].
RUNNER = """
import atexit, json, runpy, sys
heavy, listing = {heavy!r}, sys.argv[1]

def write_loaded():
    with open(listing, "w", encoding="utf-8") as file:
        json.dump(sorted(m for m in heavy if m in sys.modules), file)

atexit.register(write_loaded)
sys.argv = ["segmentkit", *sys.argv[2:]]
runpy.run_module("segmentkit", run_name="__main__", alter_sys=True)
"""


def loaded_by(tmp_path: Path, *args: object) -> set[str]:
    """The HEAVY modules a fresh ``segmentkit *args`` has loaded when it exits (code 0)."""
    listing = tmp_path / "loaded.json"
    result = subprocess.run(
        [sys.executable, "-c", RUNNER.format(heavy=HEAVY), str(listing), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(listing.read_text(encoding="utf-8")))


def test_the_runner_sees_what_a_command_loads(tmp_path: Path) -> None:
    # `config validate` needs pydantic: the listing is not empty by construction.
    (tmp_path / "settings.json").write_text("{}", encoding="utf-8")
    assert "pydantic" in loaded_by(tmp_path, "config", "validate", "settings.json")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["score", "--help"],
        ["profile", "--help"],
        ["rfm", "--help"],
        ["report", "--help"],
        ["rename", "--help"],
        ["demo", "--help"],
        ["config", "--help"],
    ],
    ids=" ".join,
)
def test_help_and_version_load_no_heavy_library(tmp_path: Path, args: list[str]) -> None:
    # Only click and the standard library: not even numpy or the configuration (pydantic).
    assert loaded_by(tmp_path, *args) == set()


@pytest.fixture(scope="module")
def no_figures_run(
    small_customers_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, set[str]]:
    """A default `run --no-figures` of the small customers: its output folder and what it loaded."""
    work = tmp_path_factory.mktemp("startup_run")
    loaded = loaded_by(work, "run", small_customers_csv, "-o", work / "out", "-q", "--no-figures")
    return work / "out", loaded


def test_a_run_without_figures_loads_no_report_or_interactive_figures(
    no_figures_run: tuple[Path, set[str]],
) -> None:
    _, loaded = no_figures_run
    assert not loaded & FIGURES
    # What the stages do use is loaded (the listing is not empty by construction).
    assert {"pandas", "sklearn", "sklearn.ensemble", "skops", "kneed", "genieclust"} <= loaded


def test_a_run_saves_its_model_without_loading_dask(
    no_figures_run: tuple[Path, set[str]],
) -> None:
    # skops imports every scikit-learn package, one of which imports Dask (and numba).
    out, loaded = no_figures_run
    assert (out / "model.skops").is_file()
    assert not loaded & {"dask", "numba"}


def test_score_loads_no_figures_report_or_dask(
    no_figures_run: tuple[Path, set[str]], small_customers_csv: Path, tmp_path: Path
) -> None:
    out, _ = no_figures_run
    loaded = loaded_by(
        tmp_path, "score", out / "model.skops", small_customers_csv, "-o", "scored.csv", "-q"
    )
    assert not loaded & {*FIGURES, "matplotlib", "dask", "numba"}
    assert (tmp_path / "scored.csv").is_file()


def test_profile_of_a_folder_loads_no_scikit_learn(
    no_figures_run: tuple[Path, set[str]], tmp_path: Path
) -> None:
    out, _ = no_figures_run
    loaded = loaded_by(tmp_path, "profile", out)
    assert not loaded & {*FIGURES, "matplotlib", "sklearn", "scipy", "skops", "dask"}


def test_a_kmeans_run_without_figures_loads_no_matplotlib(
    small_customers_csv: Path, tmp_path: Path
) -> None:
    # genieclust (the genie method) imports matplotlib.pyplot itself: K-Means only here.
    loaded = loaded_by(
        tmp_path,
        "run",
        small_customers_csv,
        "-o",
        "out",
        "-q",
        "--no-figures",
        "--methods",
        "kmeans",
    )
    assert "matplotlib" not in loaded
