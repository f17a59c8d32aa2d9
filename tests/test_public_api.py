"""The public surface: ``segmentkit.__all__``, light imports, rfm_table, readable config errors."""

from __future__ import annotations

import json
import subprocess
import sys
import traceback

import pandas as pd
import pytest

import segmentkit
from segmentkit import Config, ConfigError, DataError, load_config, rfm_table

#: Modules `import segmentkit` must not load: plotting, report templates, forests, Dask.
HEAVY = ("matplotlib", "plotly", "seaborn", "jinja2", "sklearn.ensemble", "dask", "skops")


def _loaded_after(statement: str) -> list[str]:
    """The HEAVY modules a fresh interpreter has loaded after running ``statement``."""
    listing = f"[m for m in {HEAVY!r} if m in sys.modules]"
    code = f"{statement}\nimport json, sys\nprint(json.dumps({listing}))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_import_segmentkit_is_light() -> None:
    assert _loaded_after("import segmentkit") == []


def test_importing_the_estimator_loads_no_plotting_report_or_dask() -> None:
    assert _loaded_after("from segmentkit import Segmenter, load_model, Config, rfm_table") == []


def test_every_public_name_is_there() -> None:
    expected = {
        "Segmenter", "Config", "load_config", "load_model", "rfm_table", "segment_file",
        "SegmentkitError", "ConfigError", "DataError", "OutputError", "ResourceError",
        "__version__",
    }  # fmt: skip
    assert set(segmentkit.__all__) == expected
    for name in segmentkit.__all__:
        assert getattr(segmentkit, name) is not None, name
    assert set(segmentkit.__all__) <= set(dir(segmentkit))
    assert issubclass(segmentkit.ConfigError, segmentkit.SegmentkitError)
    assert segmentkit.__version__ == "0.1.0"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Segmentor'"):
        _ = segmentkit.Segmentor  # type: ignore[attr-defined]


def test_a_fresh_interpreter_can_import_the_transactions_package_first() -> None:
    # prepare.roles and transactions.rfm import each other's modules.
    assert _loaded_after("import segmentkit.transactions") == []


def test_load_config_and_config() -> None:
    assert load_config(None) == Config()


# ------------------------------------------------------------------ rfm_table

LOG = pd.DataFrame(
    {
        "client": ["a", "a", "b", "c", "c", "c"],
        "when": [
            "2024-01-01",
            "2024-01-20",
            "2024-01-10",
            "2024-01-02",
            "2024-01-05",
            "2024-01-30",
        ],
        "paid": [10.0, 30.0, 5.0, 1.0, 2.0, 3.0],
    }
)


def test_rfm_table_gives_one_row_per_customer() -> None:
    before = LOG.copy()
    table = rfm_table(LOG, customer_column="client", date_column="when", amount_column="paid")
    assert table["client"].tolist() == ["a", "b", "c"]
    assert table["frequency"].tolist() == [2, 1, 3]
    assert table["monetary"].tolist() == [40.0, 5.0, 6.0]
    assert table["recency_days"].tolist() == [11, 21, 1]  # snapshot: the day after the last
    pd.testing.assert_frame_equal(LOG, before)


def test_rfm_table_snapshot_date() -> None:
    table = rfm_table(
        LOG, customer_column="client", date_column="when", amount_column="paid",
        snapshot_date="2024-02-29",
    )  # fmt: skip
    assert table["recency_days"].tolist() == [40, 50, 30]


def test_rfm_table_errors_name_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"transactions\.snapshot_date"):
        rfm_table(LOG, snapshot_date="29/02/2024")
    with pytest.raises(DataError):
        rfm_table(LOG.iloc[:0])


# ------------------------------------------------------------------ config errors


def test_with_overrides_states_each_problem_in_its_message() -> None:
    with pytest.raises(ConfigError) as info:
        Config().with_overrides({"clustering.k_maxx": 3, "clustering.k": 1})
    shown = traceback.format_exception_only(info.value)[-1]  # what a notebook prints
    assert "clustering.k_maxx: unknown key" in shown
    assert "clustering.k: Input should be greater than or equal to 2" in shown
    # The CLI prints the problems on their own lines, then this summary without them.
    assert info.value.summary() == "overrides: 2 invalid setting(s)"
