"""The ``cleaning`` section: duplicates, missing values, outliers, log transform, weights."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from segmentkit.config.section import Section

__all__ = ["CleaningConfig", "LogTransformConfig", "MissingConfig", "OutlierConfig"]

MissingStrategy = Literal["median", "mean", "most_frequent", "constant", "drop"]


class MissingConfig(Section):
    """How missing values are handled."""

    numeric: MissingStrategy = Field("median", description="Default strategy for numeric columns.")
    categorical: MissingStrategy = Field(
        "most_frequent", description="Default strategy for categorical columns."
    )
    fill_value: float | str | None = Field(
        None,
        description=(
            "Value used by the 'constant' strategy (default 0 for numbers, 'missing' for "
            "categories); numeric columns need a number."
        ),
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


class OutlierConfig(Section):
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


class LogTransformConfig(Section):
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


class CleaningConfig(Section):
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
