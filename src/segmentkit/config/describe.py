"""Describing the segments: the explain, profiles, identity and report sections.

``profiles`` holds the segment names and the marketing rules (actions) as well.
"""

from __future__ import annotations

import string
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from segmentkit.config.clustering import METHOD_NAMES
from segmentkit.config.section import Section
from segmentkit.describe.segment_names import check_segment_name

__all__ = [
    "ACTION_PLACEHOLDERS",
    "ExplainConfig",
    "IdentityConfig",
    "ProfilesConfig",
    "ReportConfig",
    "RuleCondition",
    "RuleConfig",
]


class ExplainConfig(Section):
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


class RuleCondition(Section):
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


class RuleConfig(Section):
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


class ProfilesConfig(Section):
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


class IdentityConfig(Section):
    """Matching segments to a previous run (``segmentkit run --previous``)."""

    max_distance: float = Field(
        0.75,
        gt=0,
        description=(
            "Largest root-mean-square difference of standardised profiles (in standard "
            "deviations) for a new segment to keep an old segment's number and name."
        ),
    )


class ReportConfig(Section):
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
    figures: Literal["recommended", "all"] = Field(
        "recommended",
        description=(
            "Which methods get a PNG of each figure in plots/: the recommended one (the "
            "report shows every method's scatter, criteria and importance interactively, "
            "and embeds every dendrogram and k-distance curve), or all of them "
            "(--all-figures; about three times the drawing)."
        ),
    )
