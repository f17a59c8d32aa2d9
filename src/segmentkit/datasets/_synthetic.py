"""Synthetic customer tables with planted, recoverable segments.

:func:`make_customers` draws a customer table from up to eight named archetypes
("Young budget shoppers", "Affluent loyalists", ...). Every archetype has its own
centre in the numeric features and its own gender and region mix, so a correctly
scaled K-Means on the numeric columns recovers the planted segments; ``separation``
pulls the centres together to make the problem harder. Missing cells and extreme
values can be injected at known rates, and both are recorded so tests can check what
a cleaning step found.

Everything is vectorised over rows (loops run over segments, features or
categories only), so tables of 10 million rows take seconds, and the output is
byte-identical for the same arguments.
"""

from __future__ import annotations

import logging
import numbers
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentkit.errors import ConfigError

__all__ = ["SyntheticCustomers", "make_customers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Archetype:
    """One planted segment: typical values of each feature and category mixes.

    Numeric values are the segment's typical (median) customer; the spread around
    them is common to all segments and set in ``_SPREAD``.
    """

    name: str
    age: float  # years
    annual_income: float  # k$
    spending_score: float  # 1-100
    tenure_months: float
    online_share: float  # 0-1
    orders_per_year: float
    avg_order_value: float  # money
    gender: tuple[float, float, float]  # _GENDERS
    region: tuple[float, float, float, float]  # _REGIONS


# Ordered so that the first few archetypes are the most distinct from each other:
# ``n_segments=k`` uses the first k.
_ARCHETYPES: Final[tuple[_Archetype, ...]] = (
    _Archetype(
        "Young budget shoppers", 25, 30, 62, 14, 0.70, 14, 28,
        (0.55, 0.42, 0.03), (0.30, 0.15, 0.35, 0.20),
    ),
    _Archetype(
        "Affluent loyalists", 52, 140, 82, 120, 0.30, 26, 180,
        (0.48, 0.51, 0.01), (0.40, 0.20, 0.15, 0.25),
    ),
    _Archetype(
        "Thrifty seniors", 68, 38, 22, 90, 0.08, 8, 40,
        (0.58, 0.41, 0.01), (0.20, 0.45, 0.15, 0.20),
    ),
    _Archetype(
        "Digital professionals", 35, 95, 55, 36, 0.90, 34, 75,
        (0.40, 0.57, 0.03), (0.25, 0.10, 0.25, 0.40),
    ),
    _Archetype(
        "Bargain-hunting families", 41, 58, 40, 60, 0.45, 45, 45,
        (0.62, 0.37, 0.01), (0.20, 0.30, 0.30, 0.20),
    ),
    _Archetype(
        "Occasional big spenders", 47, 115, 30, 20, 0.55, 3, 420,
        (0.35, 0.64, 0.01), (0.35, 0.15, 0.20, 0.30),
    ),
    _Archetype(
        "Lapsed one-timers", 33, 48, 8, 8, 0.35, 1.5, 30,
        (0.47, 0.50, 0.03), (0.25, 0.25, 0.25, 0.25),
    ),
    _Archetype(
        "Store-loyal regulars", 58, 65, 68, 160, 0.05, 70, 22,
        (0.60, 0.39, 0.01), (0.15, 0.40, 0.30, 0.15),
    ),
)  # fmt: skip

_GENDERS: Final = ("Female", "Male", "Other")
_REGIONS: Final = ("North", "South", "East", "West")
_CHANNELS: Final = ("Online", "Store", "Both")
_NUMERIC: Final = (
    "age",
    "annual_income",
    "spending_score",
    "tenure_months",
    "online_share",
    "orders_per_year",
    "avg_order_value",
)
# Float columns that may receive NaN; the integer columns stay int64.
_MISSING_COLUMNS: Final = ("annual_income", "online_share", "orders_per_year", "avg_order_value")
# Columns an outlier row may get a value multiplied by a large factor in.
_OUTLIER_COLUMNS: Final = ("annual_income", "orders_per_year", "avg_order_value")
_OUTLIER_FACTOR: Final = (8.0, 20.0)
# Decimals the float columns are stored with (k$ to 100 dollars, money to cents).
_DECIMALS: Final[dict[str, int]] = {
    "annual_income": 1,
    "online_share": 3,
    "orders_per_year": 1,
    "avg_order_value": 2,
}

# Each feature is drawn as centre + spread * z on a working scale where the
# within-segment distribution is close to normal: log for money and counts (so they
# come out right-skewed), logit for shares. Spreads are within-segment.
_SPREAD: Final[dict[str, float]] = {
    "age": 6.0,
    "annual_income": 0.25,
    "spending_score": 9.0,
    "tenure_months": 0.40,
    "online_share": 0.50,
    "orders_per_year": 0.30,
    "avg_order_value": 0.30,
}
# Loadings of each feature on two shared within-segment factors ("life stage",
# "engagement"), so features correlate inside a segment as real ones do.
_LOADINGS: Final[dict[str, tuple[float, float]]] = {
    "age": (0.5, 0.0),
    "annual_income": (0.3, 0.1),
    "spending_score": (0.0, 0.5),
    "tenure_months": (0.4, 0.2),
    "online_share": (-0.3, 0.0),
    "orders_per_year": (0.0, 0.5),
    "avg_order_value": (0.1, -0.2),
}
# Every segment gets at least this share of the rows divided by n_segments, so with
# eight segments each holds >= 5% and with two each holds >= 20%.
_MIN_SHARE_TIMES_K: Final = 0.4
_DIRICHLET_ALPHA: Final = 3.0


@dataclass(frozen=True)
class SyntheticCustomers:
    """A synthetic customer table together with its ground truth.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer, ``n`` rows, columns in this order:

        - ``customer_id`` (str): ``"C000001"``, ``"C000002"``, ...; unique. Zero-padded
          to 6 digits, or more when ``n`` needs them.
        - ``age`` (int64): years, 18-90.
        - ``annual_income`` (float64): thousands of dollars, > 0. May hold NaN.
        - ``spending_score`` (int64): 1-100.
        - ``tenure_months`` (int64): >= 0 and never longer than the customer has been
          an adult.
        - ``online_share`` (float64): share of orders placed online, 0-1. May hold NaN.
        - ``orders_per_year`` (float64): >= 0. May hold NaN.
        - ``avg_order_value`` (float64): money, > 0, right-skewed (lognormal within a
          segment). May hold NaN.
        - ``gender`` (category of str): ``Female``, ``Male``, ``Other``.
        - ``region`` (category of str): ``North``, ``South``, ``East``, ``West``.
        - ``channel`` (category of str): ``Online`` when ``online_share >= 0.8``,
          ``Store`` when it is ``<= 0.2``, else ``Both`` (from the value before any
          NaN was injected).
    labels : numpy.ndarray of int64, shape (n,)
        Planted segment of each row, ``0 .. n_segments - 1``; indexes
        ``segment_names``.
    segment_names : tuple of str
        Human-readable name of each planted segment, length ``n_segments``.
    outlier_mask : numpy.ndarray of bool, shape (n,)
        True for rows that received one injected extreme value (one of
        ``annual_income``, ``orders_per_year``, ``avg_order_value`` multiplied by
        8-20).
    """

    frame: pd.DataFrame
    labels: npt.NDArray[np.int64]
    segment_names: tuple[str, ...]
    outlier_mask: npt.NDArray[np.bool_]

    @property
    def n_segments(self) -> int:
        """Number of planted segments."""
        return len(self.segment_names)


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    ivalue = int(value)
    if ivalue < low or (high is not None and ivalue > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ConfigError(f"{name} must be an integer {bound}, got {ivalue}")
    return ivalue


def _check_rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number in [0, 0.5), got {value!r}")
    fvalue = float(value)
    if not 0.0 <= fvalue < 0.5:
        raise ConfigError(f"{name} must be a number in [0, 0.5), got {fvalue!r}")
    return fvalue


def _segment_counts(rng: np.random.Generator, n: int, k: int) -> npt.NDArray[np.int64]:
    """Unequal segment sizes summing to ``n``, each at least ``0.4 * n / k`` rows."""
    floor = min(int(np.ceil(_MIN_SHARE_TIMES_K * n / k)), n // k)
    shares = rng.dirichlet(np.full(k, _DIRICHLET_ALPHA))
    return np.full(k, floor, dtype=np.int64) + rng.multinomial(n - k * floor, shares)


def _centres(archetypes: tuple[_Archetype, ...], separation: float) -> dict[str, np.ndarray]:
    """Segment centres on the working scale, pulled towards their mean by ``separation``."""
    working = {
        "age": np.array([a.age for a in archetypes]),
        "annual_income": np.log([a.annual_income for a in archetypes]),
        "spending_score": np.array([a.spending_score for a in archetypes]),
        "tenure_months": np.log1p([a.tenure_months for a in archetypes]),
        "online_share": np.log(
            [a.online_share / (1.0 - a.online_share) for a in archetypes],
        ),
        "orders_per_year": np.log([a.orders_per_year for a in archetypes]),
        "avg_order_value": np.log([a.avg_order_value for a in archetypes]),
    }
    return {name: c.mean() + separation * (c - c.mean()) for name, c in working.items()}


def _draw_category(
    rng: np.random.Generator,
    labels: npt.NDArray[np.int64],
    probs: npt.NDArray[np.float64],
    categories: tuple[str, ...],
) -> pd.Categorical[str]:
    """Draw one category per row from its segment's probabilities (``probs[segment]``)."""
    cumulative = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(labels.shape[0])
    codes = np.zeros(labels.shape[0], dtype=np.int8)
    # Inverse-CDF sampling, one pass per category boundary rather than per row.
    for j in range(len(categories) - 1):
        codes += u >= cumulative[labels, j]
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(categories)))


def _customer_ids(n: int) -> pd.api.extensions.ExtensionArray:
    """``C000001``, ``C000002``, ...: zero-padded to 6 digits, or more if ``n`` needs them."""
    # Arrow kernels build 10 million ids in about a second; numpy's int -> str
    # conversion takes several.
    digits = pc.utf8_lpad(
        pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string()),
        width=max(6, len(str(n))),
        padding="0",
    )
    return pd.array(pc.binary_join_element_wise("C", digits, ""), dtype="str")


def make_customers(
    n: int = 1000,
    *,
    n_segments: int = 4,
    seed: int = 0,
    missing_rate: float = 0.02,
    outlier_rate: float = 0.01,
    separation: float = 1.0,
) -> SyntheticCustomers:
    """Generate a realistic customer table with planted segments.

    Each row belongs to one of the first ``n_segments`` of eight archetypes (listed
    under Notes). An archetype sets the typical age, income, spending score,
    tenure, online share, order frequency and order value of its customers, plus its
    gender and region mix; the channel follows from the online share. Within a
    segment, money and counts are lognormal and features are mildly correlated.

    Parameters
    ----------
    n : int, default 1000
        Number of customers (rows), >= 1. Ten million rows take a few seconds.
    n_segments : int, default 4
        Number of planted segments, 2-8; the first ``n_segments`` archetypes are used.
    seed : int, default 0
        Seed, >= 0, of a ``numpy.random.SeedSequence`` whose independent child
        streams (``numpy.random.default_rng``) draw sizes, values, categories,
        outliers and missing cells. The same arguments give a byte-identical result,
        and changing ``missing_rate`` or ``outlier_rate`` leaves the clean values
        alone. No global random state is used.
    missing_rate : float, default 0.02
        Fraction of cells set to NaN in each of ``annual_income``, ``online_share``,
        ``orders_per_year`` and ``avg_order_value``, in [0, 0.5). Cells holding an
        injected outlier are never blanked. ``0`` gives a table without NaN.
    outlier_rate : float, default 0.01
        Fraction of rows (rounded to a whole number) that get one extreme value, in
        [0, 0.5); recorded in ``outlier_mask``.
    separation : float, default 1.0
        Scales the distances between segment centres, >= 0. At 1.0, K-Means on the
        standardised numeric columns recovers the segments with an adjusted Rand
        index of about 0.96-1.0 (n=2000, 2-8 segments); at 0.5 about 0.65-0.95; at
        0.3 about 0.25-0.7, the segments overlapping heavily; at 0 they coincide.

    Returns
    -------
    SyntheticCustomers
        The table (``frame``, ``n`` rows x 11 columns, see :class:`SyntheticCustomers`
        for the column contract) with ``labels``, ``segment_names`` and
        ``outlier_mask``.

    Raises
    ------
    segmentkit.errors.ConfigError
        A ``ValueError`` if an argument is out of range, naming the argument and the
        value received.

    Notes
    -----
    The archetypes, in the order they are used, with their typical customer at
    ``separation=1`` (age / income k$ / spending score / tenure months / online
    share / orders per year / order value):

    0. Young budget shoppers: 25 / 30 / 62 / 14 / 0.70 / 14 / 28
    1. Affluent loyalists: 52 / 140 / 82 / 120 / 0.30 / 26 / 180
    2. Thrifty seniors: 68 / 38 / 22 / 90 / 0.08 / 8 / 40
    3. Digital professionals: 35 / 95 / 55 / 36 / 0.90 / 34 / 75
    4. Bargain-hunting families: 41 / 58 / 40 / 60 / 0.45 / 45 / 45
    5. Occasional big spenders: 47 / 115 / 30 / 20 / 0.55 / 3 / 420
    6. Lapsed one-timers: 33 / 48 / 8 / 8 / 0.35 / 1.5 / 30
    7. Store-loyal regulars: 58 / 65 / 68 / 160 / 0.05 / 70 / 22

    Segment sizes are drawn from a Dirichlet distribution, with a floor of
    ``0.4 * n / n_segments`` rows each (so >= 5% with eight segments, >= 20% with two)
    whenever ``n`` allows it.

    Examples
    --------
    >>> from segmentkit.datasets import make_customers
    >>> data = make_customers(200, n_segments=3, seed=1)
    >>> data.frame.shape
    (200, 11)
    >>> list(data.frame.columns[:4])
    ['customer_id', 'age', 'annual_income', 'spending_score']
    >>> data.segment_names
    ('Young budget shoppers', 'Affluent loyalists', 'Thrifty seniors')
    >>> sorted(set(data.labels.tolist()))
    [0, 1, 2]
    >>> make_customers(200, n_segments=3, seed=1).frame.equals(data.frame)
    True
    >>> int(make_customers(50, missing_rate=0.0).frame.isna().sum().sum())
    0
    """
    n = _check_int("n", n, 1)
    k = _check_int("n_segments", n_segments, 2, len(_ARCHETYPES))
    seed = _check_int("seed", seed, 0)
    missing_rate = _check_rate("missing_rate", missing_rate)
    outlier_rate = _check_rate("outlier_rate", outlier_rate)
    if isinstance(separation, bool) or not isinstance(separation, numbers.Real):
        raise ConfigError(f"separation must be a number >= 0, got {separation!r}")
    separation = float(separation)
    if not (np.isfinite(separation) and separation >= 0.0):
        raise ConfigError(f"separation must be a finite number >= 0, got {separation!r}")

    # Independent streams, so that e.g. the outlier rate does not change clean values.
    sizes_ss, values_ss, cats_ss, outlier_ss, missing_ss = np.random.SeedSequence(seed).spawn(5)
    archetypes = _ARCHETYPES[:k]

    # Step 1: planted segments with unequal sizes, in random row order.
    rng = np.random.default_rng(sizes_ss)
    labels = rng.permutation(np.repeat(np.arange(k, dtype=np.int64), _segment_counts(rng, n, k)))

    # Step 2: numeric features on the working scale, centre + spread * z, where z has
    # unit variance and shares two latent factors with the other features.
    rng = np.random.default_rng(values_ss)
    centres = _centres(archetypes, separation)
    factors = rng.standard_normal((2, n))
    working: dict[str, np.ndarray] = {}
    for name in _NUMERIC:
        w = np.asarray(_LOADINGS[name])
        z = w @ factors + np.sqrt(1.0 - w @ w) * rng.standard_normal(n)
        working[name] = centres[name][labels] + _SPREAD[name] * z

    # Step 3: back to natural units, with the rounding real systems store.
    age = np.clip(np.rint(working["age"]), 18, 90).astype(np.int64)
    tenure = np.rint(np.expm1(working["tenure_months"])).clip(0, None)
    tenure = np.minimum(tenure, (age - 18) * 12).astype(np.int64)
    online_share = np.round(
        1.0 / (1.0 + np.exp(-working["online_share"])), _DECIMALS["online_share"]
    )
    values: dict[str, np.ndarray] = {
        "age": age,
        "annual_income": np.round(np.exp(working["annual_income"]), _DECIMALS["annual_income"]),
        "spending_score": np.clip(np.rint(working["spending_score"]), 1, 100).astype(np.int64),
        "tenure_months": tenure,
        "online_share": online_share,
        "orders_per_year": np.round(
            np.exp(working["orders_per_year"]), _DECIMALS["orders_per_year"]
        ),
        "avg_order_value": np.round(
            np.exp(working["avg_order_value"]), _DECIMALS["avg_order_value"]
        ),
    }
    # Rounding must not produce a zero income or order value.
    values["annual_income"] = np.maximum(values["annual_income"], 0.1)
    values["avg_order_value"] = np.maximum(values["avg_order_value"], 0.01)
    del working, factors

    # Step 4: categories, with each segment's own mix.
    rng = np.random.default_rng(cats_ss)
    gender = _draw_category(rng, labels, np.array([a.gender for a in archetypes]), _GENDERS)
    region = _draw_category(rng, labels, np.array([a.region for a in archetypes]), _REGIONS)
    channel_codes = np.where(online_share >= 0.8, 0, np.where(online_share <= 0.2, 1, 2))
    channel = pd.Categorical.from_codes(
        channel_codes.astype(np.int8), categories=pd.Index(list(_CHANNELS))
    )

    # Step 5: outliers, one extreme value in each chosen row.
    rng = np.random.default_rng(outlier_ss)
    outlier_rows = rng.choice(n, size=round(outlier_rate * n), replace=False)
    outlier_col = rng.integers(0, len(_OUTLIER_COLUMNS), size=outlier_rows.shape[0])
    outlier_factor = rng.uniform(*_OUTLIER_FACTOR, size=outlier_rows.shape[0])
    outlier_mask = np.zeros(n, dtype=bool)
    outlier_mask[outlier_rows] = True
    for j, name in enumerate(_OUTLIER_COLUMNS):
        rows = outlier_rows[outlier_col == j]
        scaled = values[name][rows] * outlier_factor[outlier_col == j]
        values[name][rows] = np.round(scaled, _DECIMALS[name])

    # Step 6: missing cells, never on a cell that holds an injected outlier.
    rng = np.random.default_rng(missing_ss)
    n_missing = round(missing_rate * n)
    for name in _MISSING_COLUMNS:
        rows = rng.choice(n, size=n_missing, replace=False)
        if name in _OUTLIER_COLUMNS:
            protected = outlier_rows[outlier_col == _OUTLIER_COLUMNS.index(name)]
            rows = rows[~np.isin(rows, protected)]
        values[name][rows] = np.nan

    frame = pd.DataFrame(
        {
            "customer_id": _customer_ids(n),
            **values,
            "gender": gender,
            "region": region,
            "channel": channel,
        },
    )
    logger.debug(
        "make_customers: %d rows, %d segments, %d outlier rows",
        n,
        k,
        int(outlier_mask.sum()),
    )
    return SyntheticCustomers(
        frame=frame,
        labels=labels,
        segment_names=tuple(a.name for a in archetypes),
        outlier_mask=outlier_mask,
    )
