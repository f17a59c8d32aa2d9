"""Sample datasets shipped inside the package.

The files live in ``segmentkit/datasets/data/`` and are installed as package data;
``data/ATTRIBUTION.md`` records where each one comes from and under which licence.
"""

from __future__ import annotations

import pathlib
from importlib import resources

import pandas as pd

from segmentkit.errors import ConfigError, DataError

__all__ = ["load_online_retail", "load_wholesale", "sample_data_path"]

_PACKAGE = "segmentkit.datasets"
_DATA_DIR = "data"
# Documentation shipped next to the data, not a dataset.
_NOT_DATA = frozenset({"ATTRIBUTION.md"})


def _available() -> list[str]:
    folder = resources.files(_PACKAGE).joinpath(_DATA_DIR)
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.is_file() and entry.name not in _NOT_DATA and not entry.name.startswith(".")
    )


#: Wholesale columns that are annual spending (monetary units) on a product category.
WHOLESALE_SPEND_COLUMNS: tuple[str, ...] = (
    "Fresh",
    "Milk",
    "Grocery",
    "Frozen",
    "Detergents_Paper",
    "Delicassen",
)


def sample_data_path(name: str = "wholesale_customers.csv") -> pathlib.Path:
    """Return the path of a sample dataset bundled with segmentkit.

    Parameters
    ----------
    name : str, default "wholesale_customers.csv"
        File name of the dataset, as listed in ``segmentkit/datasets/data/``.

    Returns
    -------
    pathlib.Path
        Absolute path of the installed file. Treat it as read-only.

    Raises
    ------
    segmentkit.errors.ConfigError
        A ``ValueError`` if ``name`` is not a bundled dataset; the message lists the
        available names.
    segmentkit.errors.DataError
        If the package is installed in a way that does not put its data files on the
        file system (e.g. imported from a zip archive).

    Examples
    --------
    >>> from segmentkit.datasets import sample_data_path
    >>> path = sample_data_path()
    >>> path.name
    'wholesale_customers.csv'
    >>> path.is_file()
    True
    """
    available = _available()
    if name not in available:
        raise ConfigError(
            f"name must be one of the bundled datasets {available}, got {name!r}",
        )
    resource = resources.files(_PACKAGE).joinpath(_DATA_DIR, name)
    if not isinstance(resource, pathlib.Path):
        raise DataError(
            f"bundled dataset {name!r} is not a file on disk ({resource!r})",
            hint="install segmentkit as a regular (unzipped) package",
        )
    return resource


def load_wholesale() -> pd.DataFrame:
    """Load the UCI Wholesale customers dataset (real data, CC BY 4.0).

    Annual spending of 440 clients of a Portuguese wholesale distributor (Cardoso,
    2013; UCI Machine Learning Repository, https://doi.org/10.24432/C5030X). The
    bundled file is byte-identical to the published CSV; see
    ``segmentkit/datasets/data/ATTRIBUTION.md`` for provenance and attribution.

    Returns
    -------
    pandas.DataFrame
        440 rows x 8 int64 columns, no missing values, no id column:

        - ``Channel``: 1 = Horeca (hotel/restaurant/cafe, 298 rows), 2 = Retail (142).
        - ``Region``: 1 = Lisbon (77), 2 = Oporto (47), 3 = Other (316).
        - ``Fresh``, ``Milk``, ``Grocery``, ``Frozen``, ``Detergents_Paper``,
          ``Delicassen`` (sic): annual spending in monetary units; strongly
          right-skewed, so a log transform usually helps before clustering.

    Examples
    --------
    >>> from segmentkit.datasets import load_wholesale
    >>> df = load_wholesale()
    >>> df.shape
    (440, 8)
    >>> list(df.columns)
    ['Channel', 'Region', 'Fresh', 'Milk', 'Grocery', 'Frozen', 'Detergents_Paper', 'Delicassen']
    >>> round(float(df["Fresh"].mean()), 2)
    12000.3
    """
    return pd.read_csv(sample_data_path("wholesale_customers.csv"))


def load_online_retail() -> pd.DataFrame:
    """Load a real transaction log: a subset of UCI Online Retail (CC BY 4.0).

    Every transaction of 400 customers of a UK online gift-ware retailer, 2010-12-01 to
    2011-12-09, plus 800 lines without a customer id (Chen, 2015; UCI Machine Learning
    Repository, https://doi.org/10.24432/C5BW33); see ``ATTRIBUTION.md``.

    Returns
    -------
    pandas.DataFrame
        35,462 rows: ``InvoiceNo`` (text; ``C...`` = cancellation), ``StockCode``,
        ``Description``, ``Quantity`` (negative on returns), ``InvoiceDate``,
        ``UnitPrice`` (GBP), ``CustomerID`` (missing on 800 rows), ``Country``.

    Examples
    --------
    >>> from segmentkit.datasets import load_online_retail
    >>> log = load_online_retail()
    >>> log.shape, int(log["CustomerID"].nunique())
    ((35462, 8), 400)
    """
    return pd.read_csv(
        sample_data_path("online_retail_sample.csv.gz"),
        dtype={"InvoiceNo": str, "StockCode": str},
        parse_dates=["InvoiceDate"],
    )
