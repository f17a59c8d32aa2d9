"""The one JSON configuration file, validated by pydantic.

Every option has a default, so an empty ``{}`` (or no file at all) is a complete
configuration. Unknown keys are errors, and every problem is reported as one
``field: message`` line before any data is read.
"""

from __future__ import annotations

import datetime
import json
import logging
import string
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from segmentkit.describe.segment_names import check_segment_name
from segmentkit.errors import ConfigError

__all__ = [
    "DEFAULT_METHODS",
    "METHOD_NAMES",
    "AgglomerativeConfig",
    "CleaningConfig",
    "ClusteringConfig",
    "Config",
    "DBSCANConfig",
    "ExplainConfig",
    "GMMConfig",
    "GenieConfig",
    "IdentityConfig",
    "InputConfig",
    "KMeansConfig",
    "LogTransformConfig",
    "MissingConfig",
    "OutlierConfig",
    "ProfilesConfig",
    "ReportConfig",
    "RuleCondition",
    "RuleConfig",
    "StabilityConfig",
    "TransactionsConfig",
    "config_schema",
    "load_config",
    "normalise_delimiter",
    "parse_config",
]

logger = logging.getLogger(__name__)

#: Clustering methods the registry knows, in the order they run and are reported.
METHOD_NAMES: tuple[str, ...] = ("kmeans", "agglomerative", "gmm", "dbscan", "genie")
#: Methods a run uses unless told otherwise: all of them.
DEFAULT_METHODS: tuple[str, ...] = METHOD_NAMES

Role = Literal["id", "numeric", "categorical", "date", "ignore"]
MissingStrategy = Literal["median", "mean", "most_frequent", "constant", "drop"]


class _Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class InputConfig(_Section):
    """Which columns to read and what they mean."""

    id_column: str | None = Field(
        None, description="Column that identifies a customer; inferred when not set."
    )
    features: list[str] | None = Field(
        None, description="Use only these columns as segmentation features (default: all usable)."
    )
    exclude: list[str] = Field(default_factory=list, description="Columns never used as features.")
    outcomes: list[str] | None = Field(
        None,
        description=(
            "Outcome columns (campaign results such as Response, churned, y): profiled per "
            "segment as <column>_mean, never used to segment (default: detected by name; "
            "[] for none)."
        ),
    )
    roles: dict[str, Role] = Field(
        default_factory=dict,
        description=(
            "Override the inferred role of a column: id, numeric, categorical, date, ignore."
        ),
    )
    encoding: str | None = Field(
        None, description="Text encoding of CSV input (default: detected)."
    )
    delimiter: str | None = Field(
        None,
        description=(
            "Field delimiter of CSV/text input: ',', ';', tab ('\\t' or 'tab'), '|' or "
            "'whitespace' (runs of spaces, or aligned columns); default: detected."
        ),
    )
    sheet: str | int | None = Field(
        None,
        description=(
            "Excel sheet name or 0-based position (default: the first sheet, or the only "
            "sheet with data when the first has none)."
        ),
    )

    @field_validator("delimiter")
    @classmethod
    def _known_delimiter(cls, value: str | None) -> str | None:
        return None if value is None else normalise_delimiter(value)

    @model_validator(mode="after")
    def _outcomes_are_not_features(self) -> InputConfig:
        # An outcome is profiled, never used to segment: a column cannot be both.
        for name in self.outcomes or []:
            if name in (self.features or []):
                where = "features"
            elif name == self.id_column:
                where = "id_column"
            elif name in self.roles:
                where = "roles"
            else:
                continue
            raise ValueError(
                f"outcomes and {where} both name {name!r}: an outcome is profiled per "
                "segment and never used to segment; keep it in one of them"
            )
        return self


#: Spellings ``input.delimiter`` and ``--delimiter`` accept, to the delimiter they mean.
DELIMITER_NAMES: dict[str, str] = {
    ",": ",",
    "comma": ",",
    ";": ";",
    "semicolon": ";",
    "\t": "\t",
    "\\t": "\t",
    "tab": "\t",
    "|": "|",
    "pipe": "|",
    "whitespace": "whitespace",
    "space": "whitespace",
    " ": "whitespace",
}


def normalise_delimiter(value: str) -> str:
    r"""Return the delimiter a spelling means: one character, or ``"whitespace"``.

    Examples
    --------
    >>> [normalise_delimiter(v) for v in [",", "tab", "\\t", "Space", "|"]]
    [',', '\t', '\t', 'whitespace', '|']

    Raises
    ------
    ValueError
        For any other value.
    """
    key = value if value.strip() == "" else value.strip().lower()
    if key not in DELIMITER_NAMES:
        raise ValueError(
            "must be one of ',', ';', '|', tab ('\\t' or 'tab') or 'whitespace' "
            f"('space'), got {value!r}"
        )
    return DELIMITER_NAMES[key]


class MissingConfig(_Section):
    """How missing values are handled."""

    numeric: MissingStrategy = Field("median", description="Default strategy for numeric columns.")
    categorical: MissingStrategy = Field(
        "most_frequent", description="Default strategy for categorical columns."
    )
    fill_value: float | str | None = Field(
        None, description="Value used by the 'constant' strategy (default 0 or 'missing')."
    )
    per_column: dict[str, MissingStrategy] = Field(
        default_factory=dict, description="Strategy for named columns, overriding the defaults."
    )
    max_missing_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Columns with a larger share of missing values are dropped with a warning.",
    )

    @field_validator("numeric", "categorical")
    @classmethod
    def _no_mean_for_categorical(cls, value: str, info: Any) -> str:
        if info.field_name == "categorical" and value in {"median", "mean"}:
            raise ValueError(f"must be most_frequent, constant or drop, got {value!r}")
        return value


class OutlierConfig(_Section):
    """Unusual customers: far from the customers near them, or beyond one feature's fences."""

    method: Literal["neighbours", "iqr"] = Field(
        "neighbours",
        description=(
            "neighbours: on the scale the clustering sees, a customer is an outlier when "
            "its distance to its n_neighbours-th nearest customer lies beyond "
            "Q3 + factor*IQR of everyone's distances (log scale), so a dense group at the "
            "edge of a feature is never flagged but an isolated customer is. iqr: a "
            "customer is an outlier when any one feature lies outside "
            "[Q1 - factor*IQR, Q3 + factor*IQR] of that feature; it flags whole groups "
            "that sit at the edge of a feature."
        ),
    )
    factor: float | None = Field(
        None,
        gt=0,
        description=(
            "Tukey's IQR multiplier: of the log neighbour distances (neighbours, default "
            "2) or of each feature's values (iqr, default 1.5)."
        ),
    )
    n_neighbours: int = Field(
        15,
        ge=1,
        le=200,
        description=(
            "neighbours: the neighbour whose distance is judged (at most 5% of the "
            "customers, so a group larger than that is never flagged as a whole); far "
            "clumps of up to this many customers are still flagged."
        ),
    )
    max_rows: int = Field(
        20_000,
        ge=1_000,
        description=(
            "neighbours: above this many customers distances are measured to a seeded "
            "sample of this size (n_neighbours then counts customers of the sample), and "
            "every customer is first ranked against 2,000 of them so that only the 10% "
            "most isolated are measured exactly (about 8 s per million customers)."
        ),
    )
    policy: Literal["flag", "drop", "keep"] = Field(
        "flag",
        description=(
            "flag: outliers are marked is_outlier = true and kept out of everything that decides "
            "the segmentation (imputation values, scaling, the choice of k and its criteria); "
            "the chosen segmentation is then fitted on every customer, so each gets a segment. "
            "drop: outlier rows are removed (counted in run.json). keep: no special treatment."
        ),
    )
    max_share: float = Field(
        0.1,
        gt=0,
        le=1,
        description=(
            "If more rows than this share would be flagged, the factor is widened until "
            "they are not, so that long-tailed data cannot exclude a large part of the "
            "customers from shaping the segments."
        ),
    )

    @property
    def fence_factor(self) -> float:
        """``factor``, or the method's default when it is not set."""
        if self.factor is not None:
            return self.factor
        return 2.0 if self.method == "neighbours" else 1.5


class LogTransformConfig(_Section):
    """Log transform of skewed, non-negative (money-like) columns before scaling."""

    mode: Literal["auto", "always", "never"] = Field(
        "auto",
        description=(
            "auto: columns whose skewness exceeds skew_threshold; always: every non-negative "
            "numeric column; never: no log transform."
        ),
    )
    skew_threshold: float = Field(2.0, gt=0, description="Skewness above which 'auto' applies.")
    columns: list[str] | None = Field(
        None, description="Exactly these columns get the transform (overrides mode)."
    )


class CleaningConfig(_Section):
    """Cleaning rules applied before segmenting."""

    duplicate_ids: Literal["keep_first", "keep_last", "drop_all", "error"] = Field(
        "keep_first", description="What to do with rows whose customer id repeats."
    )
    missing: MissingConfig = Field(default_factory=MissingConfig)
    outliers: OutlierConfig = Field(default_factory=OutlierConfig)
    log_transform: LogTransformConfig = Field(default_factory=LogTransformConfig)
    max_categories: int = Field(
        20,
        ge=2,
        description="Text columns with more distinct values than this are free text and dropped.",
    )
    max_integer_categories: int = Field(
        5,
        ge=0,
        description="Integer columns with at most this many distinct values are categorical codes.",
    )
    numeric_text_share: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Text columns are converted to numbers when this share of values parses.",
    )
    categorical_weight: Literal["sqrt_levels", "unit"] | float = Field(
        "sqrt_levels",
        description=(
            "How much a categorical column weighs next to the standardised numeric ones. "
            "sqrt_levels: each of its one-hot columns is multiplied by 1/sqrt(levels), so two "
            "customers in different categories are sqrt(2/levels) apart (0.82 for 3 levels) "
            "and a category unrelated to the real groups does not split them; unit: plain "
            "0/1 columns (sqrt(2) = 1.41 apart, as far as a strong numeric difference); a "
            "positive number: every one-hot column is multiplied by it."
        ),
    )

    @field_validator("categorical_weight", mode="before")
    @classmethod
    def _weight_name_or_positive(cls, value: Any) -> Any:
        # Checked before the union is tried, so a typo gets one message instead of one per
        # member of the union.
        if isinstance(value, str) and value in {"sqrt_levels", "unit"}:
            return value
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and 0 < value < float("inf")
        ):
            return value
        raise ValueError(f"must be sqrt_levels, unit or a finite number > 0, got {value!r}")


class KMeansConfig(_Section):
    """K-Means settings."""

    n_init: int = Field(10, ge=10, description="Independent k-means++ starts (at least 10).")
    max_iter: int = Field(300, ge=10)
    max_rows: int = Field(
        100_000,
        ge=1_000,
        description=(
            "Above this many rows the k search runs on a seeded sample of this size, and the "
            "chosen k is fitted on every row from the sample's best centres (full Lloyd passes)."
        ),
    )


class AgglomerativeConfig(_Section):
    """Agglomerative (hierarchical) clustering settings."""

    linkage: Literal["ward", "complete", "average", "single"] = Field(
        "ward", description="Linkage criterion of the tree."
    )
    max_rows: int = Field(
        10_000,
        ge=100,
        description=(
            "Largest exact tree (its memory and time grow with the square of the rows: about "
            "7 s at 10,000 rows, 30 s and 3 GiB at 20,000); above it the tree is grown from "
            "weighted K-Means micro-clusters."
        ),
    )
    search_max_rows: int = Field(
        100_000,
        ge=1_000,
        description=(
            "Above this many rows k is chosen on a seeded sample of this size; the chosen "
            "k is then cut from a tree over every customer."
        ),
    )
    micro_clusters: int = Field(
        1_000,
        ge=50,
        le=5_000,
        description=(
            "Micro-clusters summarising the customers above max_rows; each customer takes "
            "the segment of its micro-cluster."
        ),
    )


class GMMConfig(_Section):
    """Gaussian Mixture settings."""

    covariance_types: list[Literal["full", "tied", "diag", "spherical"]] = Field(
        default_factory=lambda: ["full", "tied", "diag", "spherical"],  # type: ignore[arg-type]
        min_length=1,
        description="Covariance types tried for every number of components.",
    )
    n_init: int = Field(3, ge=1, description="EM initialisations per candidate.")
    search_max_rows: int = Field(
        3_000,
        ge=100,
        description="Candidates are compared on a seeded sample of this many rows above it.",
    )
    max_rows: int = Field(
        100_000,
        ge=1_000,
        description=(
            "Above this many rows the chosen mixture is fitted on a seeded sample of this "
            "size and then gives every customer its most probable component."
        ),
    )
    reg_covar: float = Field(1e-6, gt=0, description="Added to the covariance diagonals.")
    max_iter: int = Field(200, ge=10)


class DBSCANConfig(_Section):
    """DBSCAN settings."""

    min_samples: int | None = Field(
        None, ge=2, description="Neighbourhood size of a core point (default 2 × features, >= 4)."
    )
    eps: float | None = Field(
        None,
        gt=0,
        description="Fix the neighbourhood radius (default: knee of the k-distance curve).",
    )
    max_noise_share: float = Field(
        0.5, gt=0, le=1, description="A result with more noise than this is degenerate."
    )
    max_rows: int = Field(
        10_000,
        ge=100,
        description="Above this many rows DBSCAN is fitted on a seeded sample; the rest join "
        "their nearest core point (each eps candidate costs about 0.3 s at 10,000 rows, 7 s "
        "at 50,000, and assigning a million customers about 3 s per 1,000 core points).",
    )


class GenieConfig(_Section):
    """Genie (genieclust) settings."""

    gini_threshold: float = Field(
        0.5,
        gt=0,
        le=1,
        description=(
            "While the Gini index of the segment sizes exceeds this, the smallest segment is "
            "merged first (1 would be single linkage; the authors' default 0.3 found the "
            "reference k less often on the tuning benchmark than 0.5)."
        ),
    )
    max_rows: int = Field(
        10_000,
        ge=100,
        description=(
            "Largest tree grown on the customers themselves; above it the tree is grown from "
            "K-Means micro-clusters and each customer takes its micro-cluster's segment."
        ),
    )
    search_max_rows: int = Field(
        100_000,
        ge=1_000,
        description="Above this many rows k is chosen on a seeded sample of this size.",
    )
    micro_clusters: int = Field(
        1_000,
        ge=50,
        le=5_000,
        description="Micro-clusters summarising the customers above max_rows.",
    )


class StabilityConfig(_Section):
    """Bootstrap stability of every chosen segmentation."""

    n_resamples: int = Field(10, ge=0, description="Bootstrap resamples (0 turns it off).")
    max_rows: int = Field(
        5_000, ge=100, description="Resamples are drawn from a seeded subset of this size."
    )
    jaccard_threshold: float = Field(
        0.6, gt=0, le=1, description="Segments with a lower mean Jaccard are flagged unstable."
    )
    min_stability: float = Field(
        0.6,
        ge=0,
        le=1,
        description=(
            "A segmentation whose stability (mean adjusted Rand index over the resamples) is "
            "below this is not recommended while a stable one exists; when none reaches it "
            "the run says so."
        ),
    )


class ExplainConfig(_Section):
    """The surrogate Random Forest that explains each segmentation."""

    n_estimators: int = Field(100, ge=10, le=1000, description="Trees in the surrogate forest.")
    test_share: float = Field(
        0.25, gt=0, lt=1, description="Held-out share for fidelity and permutation importance."
    )
    max_rows: int = Field(
        20_000,
        ge=200,
        description="Above this many customers the forest trains on a seeded stratified sample.",
    )
    n_repeats: int = Field(5, ge=1, le=50, description="Permutation repeats per feature.")
    group_correlation: float = Field(
        0.7,
        gt=0,
        le=1,
        description=(
            "Features whose |Spearman correlation| reaches this for every pair are shuffled "
            "together as one group (1: only features that rank customers identically)."
        ),
    )


Level = Literal["very_low", "low", "average", "high", "very_high"]

#: Placeholders an action text may use; filled from the segment's profile.
ACTION_PLACEHOLDERS: tuple[str, ...] = ("category", "category_feature", "category_group", "driver")


class RuleCondition(_Section):
    """One test on a segment's profile; a rule fires when all of its conditions hold.

    ``feature`` is a column name or a semantic name: ``@income``, ``@spending``,
    ``@recency``, ``@frequency``, ``@age``, ``@value_index`` (share of value / share of
    customers), ``@category`` (the categorical value that most sets the segment apart),
    ``@driver`` (the numeric feature on which the segment stands out most), ``@value``
    (the customer's value, compared on a log scale; ``@spending`` falls back to it).
    """

    feature: str = Field(min_length=1, description="Column or @semantic name.")
    is_: Level | None = Field(
        None,
        alias="is",
        description=(
            "Standardised level: very_low (<= -1.5), low (<= -0.5), average, high (>= 0.5), "
            "very_high (>= 1.5)."
        ),
    )
    mean_above: float | None = Field(None, description="Segment mean above this, in data units.")
    mean_below: float | None = Field(None, description="Segment mean below this, in data units.")
    top: str | None = Field(None, description="Most common value of a categorical column.")
    lift_above: float | None = Field(
        None,
        gt=0,
        description=(
            "Lift of the most common value over all customers above this (for an outcome "
            "column: the lift of its rate)."
        ),
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_test(self) -> RuleCondition:
        tests = [self.is_, self.mean_above, self.mean_below, self.top, self.lift_above]
        if sum(t is not None for t in tests) != 1:
            raise ValueError("give exactly one of is, mean_above, mean_below, top, lift_above")
        return self


class RuleConfig(_Section):
    """A marketing action for the segments whose profile matches every condition."""

    name: str = Field(min_length=1, description="Short identifier shown next to the action.")
    when: list[RuleCondition] = Field(
        default_factory=list, description="Conditions; all must hold (empty: always)."
    )
    action: str = Field(
        min_length=1,
        description=("The recommendation; may use {category}, {category_feature} and {driver}."),
    )
    fallback: bool = Field(False, description="Only used when no other rule matched the segment.")
    group: str | None = Field(
        None,
        description="Rules sharing a group are alternatives: only the first that fires is kept.",
    )
    applies_to: Literal["segments", "unusual"] = Field(
        "segments",
        description=(
            "segments: the segments; unusual: the outliers and DBSCAN noise, described apart."
        ),
    )
    label: str | None = Field(
        None,
        min_length=1,
        description=(
            "For rules on unusual customers: their name when the rule fires (e.g. 'Top customers')."
        ),
    )
    kinds: list[Literal["retail", "banking", "usage", "general"]] | None = Field(
        None,
        description=(
            "Only for data of these kinds (detected from the column names: retail = spend "
            "and visits, banking = balances and credit, usage = usage and tenure); "
            "default: any."
        ),
    )

    @field_validator("action")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
        except ValueError as error:
            raise ValueError(f"malformed placeholder in action: {error}") from None
        unknown = [f for f in fields if f not in ACTION_PLACEHOLDERS]
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}; "
                f"use {', '.join('{' + p + '}' for p in ACTION_PLACEHOLDERS)}"
            )
        return value


class ProfilesConfig(_Section):
    """Segment profiles, names and recommended actions."""

    value_columns: list[str] | None = Field(
        None,
        description=(
            "Columns summed into each customer's value for 'share of value' (default: a "
            "column named as the total - spend, revenue, sales, amount, monetary, purchases - "
            "else every money column such as Mnt*, *_spend, *_sales; [] turns it off)."
        ),
    )
    columns: dict[
        Literal[
            "income", "spending", "recency", "frequency", "age", "balance", "cash_advance", "usage"
        ],
        str,
    ] = Field(
        default_factory=dict,
        description="Name the columns behind @income, @spending, ... (default: by column name).",
    )
    top_categories: int = Field(
        3, ge=1, le=10, description="Most common values listed per categorical feature."
    )
    rules: list[RuleConfig] = Field(
        default_factory=list, description="Your rules; checked before the built-in library."
    )
    default_rules: bool = Field(True, description="Also use the built-in rule library.")
    max_recommendations: int = Field(
        3, ge=1, le=10, description="Actions listed per segment, in rule order."
    )
    unusual_action: str = Field(
        "A small group unlike any segment: look at their figures and a few of them "
        "individually before including them in a mass campaign.",
        min_length=1,
        description=(
            "Recommendation for outliers and DBSCAN noise when no rule for unusual "
            "customers (top customers, possible data errors, ...) fits them."
        ),
    )
    names: dict[str, dict[int, str]] = Field(
        default_factory=dict,
        description=(
            'Your names for segments, by method and segment number, e.g. {"kmeans": {"2": '
            '"Bargain hunters"}}; they replace the automatic names everywhere (-1: noise, '
            "-2: outliers). A number the run does not have is an error."
        ),
    )

    @field_validator("names", mode="before")
    @classmethod
    def _segment_numbers(cls, value: Any) -> Any:
        for method, names in value.items() if isinstance(value, dict) else ():
            for key in names if isinstance(names, dict) else ():
                if isinstance(key, bool) or not str(key).strip().lstrip("-").isdigit():
                    raise ValueError(
                        f"{method}: {key!r} is not a segment number (0, 1, ...; -1: noise, "
                        "-2: outliers)"
                    )
        return value

    @field_validator("names")
    @classmethod
    def _segment_names(cls, value: dict[str, dict[int, str]]) -> dict[str, dict[int, str]]:
        checked: dict[str, dict[int, str]] = {}
        for method, names in value.items():
            if method not in METHOD_NAMES:
                raise ValueError(
                    f"unknown method {method!r}; choose from {', '.join(METHOD_NAMES)}"
                )
            checked[method] = {}
            for segment, name in names.items():
                if segment < -2:
                    raise ValueError(
                        f"{method}: no segment {segment}; segments are numbered from 0 "
                        "(-1: noise, -2: outliers)"
                    )
                try:
                    checked[method][segment] = check_segment_name(name)
                except ValueError as error:
                    raise ValueError(f"{method}.{segment}: {error}") from None
            seen: dict[str, int] = {}
            for segment, name in checked[method].items():
                if name in seen:
                    raise ValueError(
                        f"{method}: segments {seen[name]} and {segment} are both named "
                        f"{name!r}; give each segment its own name"
                    )
                seen[name] = segment
        return checked


class TransactionsConfig(_Section):
    """Reading a transaction log into one row per customer (``segmentkit rfm``)."""

    customer_column: str | None = Field(None, description="Customer id column (inferred).")
    date_column: str | None = Field(None, description="Date/time column (inferred).")
    amount_column: str | None = Field(
        None, description="Line amount; else quantity x unit price (inferred)."
    )
    quantity_column: str | None = Field(None, description="Quantity column (inferred).")
    price_column: str | None = Field(None, description="Unit price column (inferred).")
    order_column: str | None = Field(None, description="Order/invoice id column (inferred).")
    category_column: str | None = Field(
        None, description="Product category column, for spend shares (inferred)."
    )
    snapshot_date: str | None = Field(
        None,
        description=(
            "Date recency and tenure are measured at, YYYY-MM-DD (default: the day after "
            "the last transaction); later transactions are left out."
        ),
    )
    frequency_unit: Literal["order", "day"] = Field(
        "order",
        description=(
            "A purchase is one order (needs an order column; else days are used) or one "
            "day with a purchase (lifetimes' convention)."
        ),
    )
    cancelled_prefix: str | None = Field(
        "C", description="Order ids starting with this mark cancellations (Online Retail: C)."
    )
    drop_duplicate_rows: bool = Field(True, description="Drop exact duplicate lines (counted).")
    max_categories: int = Field(
        8, ge=1, le=50, description="Categories with their own spend-share column."
    )

    @field_validator("snapshot_date")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"must be a date written YYYY-MM-DD, got {value!r}") from None
        return value


class ReportConfig(_Section):
    """Figures and the HTML report."""

    title: str = Field("Customer segments", min_length=1, description="Title of report.html.")
    max_points: int = Field(
        5_000,
        ge=100,
        le=100_000,
        description=(
            "Scatter plots and the silhouette plot show at most this many customers "
            "(a seeded sample stratified by segment, noted on the figure)."
        ),
    )
    distribution_plot: Literal["box", "violin"] = Field(
        "box", description="How the top drivers are shown by segment."
    )


class IdentityConfig(_Section):
    """Matching segments to a previous run (``segmentkit run --previous``)."""

    max_distance: float = Field(
        0.75,
        gt=0,
        description=(
            "Largest root-mean-square difference of standardised profiles (in standard "
            "deviations) for a new segment to keep an old segment's number and name."
        ),
    )


class ClusteringConfig(_Section):
    """Which methods run and how the number of segments is chosen."""

    methods: list[str] = Field(
        default_factory=lambda: list(DEFAULT_METHODS),
        min_length=1,
        description=f"Methods to run, any of: {', '.join(METHOD_NAMES)}.",
    )
    k: int | None = Field(None, ge=2, description="Fix the number of segments (skips the search).")
    k_min: int = Field(2, ge=2, description="Smallest number of segments tried.")
    k_max: int = Field(
        10,
        ge=2,
        le=50,
        description=(
            "Largest number of segments tried at first; when the best k is at k_max the "
            "search widens, k_max more at a time, up to k_limit."
        ),
    )
    k_limit: int = Field(
        50,
        ge=2,
        le=200,
        description=(
            "Most segments a widened search may reach (also bounded by about the square "
            "root of half the customers)."
        ),
    )
    validity_sample_size: int = Field(
        5_000,
        ge=100,
        description=(
            "Near-neighbour separation (which chooses Genie's k) is computed on a "
            "seeded sample of this size above it."
        ),
    )
    silhouette_sample_size: int = Field(
        10_000,
        ge=100,
        description="Silhouette is computed on a seeded stratified sample of this size above it.",
    )
    kmeans: KMeansConfig = Field(default_factory=KMeansConfig)
    agglomerative: AgglomerativeConfig = Field(default_factory=AgglomerativeConfig)
    gmm: GMMConfig = Field(default_factory=GMMConfig)
    dbscan: DBSCANConfig = Field(default_factory=DBSCANConfig)
    genie: GenieConfig = Field(default_factory=GenieConfig)
    stability: StabilityConfig = Field(default_factory=StabilityConfig)

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in METHOD_NAMES]
        if unknown:
            raise ValueError(
                f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHOD_NAMES)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("methods must not repeat")
        # Run in registry order whatever order the user listed them in.
        return [m for m in METHOD_NAMES if m in value]

    @model_validator(mode="after")
    def _k_range(self) -> ClusteringConfig:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        return self


class DaskConfig(_Section):
    """The Dask backend (``--backend dask``)."""

    sample_size: int = Field(
        100_000,
        ge=100,
        description=(
            "Customers (a seeded sample) the methods, k and profiles are chosen on; "
            "K-Means is refitted on every customer and everyone is placed by the model."
        ),
    )


class Config(_Section):
    """The complete segmentkit configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str | None = Field(
        None, alias="$schema", description="Optional JSON Schema reference for editors."
    )
    seed: int = Field(
        0, ge=0, le=2**32 - 1, strict=True, description="The one random seed of the run."
    )
    n_jobs: int | None = Field(
        None,
        ge=1,
        description="Threads for the whole run (None: one per available core, never more).",
    )
    input: InputConfig = Field(default_factory=InputConfig)
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig)
    clustering: ClusteringConfig = Field(default_factory=ClusteringConfig)
    explain: ExplainConfig = Field(default_factory=ExplainConfig)
    profiles: ProfilesConfig = Field(default_factory=ProfilesConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    transactions: TransactionsConfig = Field(default_factory=TransactionsConfig)
    dask: DaskConfig = Field(default_factory=DaskConfig)

    def to_dict(self) -> dict[str, Any]:
        """Return the resolved configuration (defaults filled in) as plain JSON data."""
        return self.model_dump(mode="json", exclude={"schema_"}, by_alias=True)

    def with_overrides(self, overrides: dict[str, Any]) -> Config:
        """Return a copy with dotted-path overrides applied, validated again.

        Parameters
        ----------
        overrides : dict
            Keys like ``"clustering.k"`` mapped to new values; ``None`` values are skipped.
        """
        data = self.to_dict()
        for dotted, value in overrides.items():
            if value is None:
                continue
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                # A misspelt section becomes an unknown key that validation names.
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"command line: {dotted}: {part} is a setting, not a section")
            node[leaf] = value
        return parse_config(data, source="command line")


def _format_errors(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see `segmentkit config schema`)"
        lines.append(f"{location}: {message}")
    return lines


def parse_config(data: Any, *, source: str = "config") -> Config:
    """Validate configuration data.

    Parameters
    ----------
    data : Any
        Parsed JSON; must be an object.
    source : str
        Where the data came from, for error messages.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        With one ``field: message`` line per problem in ``problems``.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the configuration must be a JSON object, got {type(data).__name__}"
        )
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        problems = _format_errors(error)
        raise ConfigError(
            f"{source}: {len(problems)} invalid setting(s)", problems=problems
        ) from None
    # Names for a method that does not run would silently never appear.
    methods = config.clustering.methods
    problems = [
        f"profiles.names.{method}: {method} does not run; clustering.methods is "
        f"{', '.join(methods)}"
        for method in config.profiles.names
        if method not in methods
    ]
    if problems:
        raise ConfigError(f"{source}: {len(problems)} invalid setting(s)", problems=problems)
    return config


def load_config(path: str | Path | None) -> Config:
    """Read and validate a JSON configuration file (``None`` gives the defaults).

    Parameters
    ----------
    path : str or Path or None
        The JSON file.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        When the file is missing, is not valid JSON, or fails validation.

    Examples
    --------
    >>> load_config(None).clustering.k_max
    10
    """
    if path is None:
        return Config()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"config file not found: {path}",
            hint="create one with `segmentkit config init`",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    config = parse_config(data, source=str(path))
    logger.info("Loaded configuration from %s", path)
    return config


def config_schema() -> dict[str, Any]:
    """Return the JSON Schema of the configuration file."""
    schema = Config.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "segmentkit configuration"
    return schema
