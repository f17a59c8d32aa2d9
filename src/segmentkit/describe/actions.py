"""Recommended marketing actions: a rule library keyed on a segment's profile.

Rules are plain data (the same shape as the ``profiles.rules`` config), checked in
order: your own rules first, then the built-in library
(:mod:`segmentkit.describe.action_library`). A rule fires when all of its conditions hold;
``fallback`` rules only when nothing else fired. Conditions read standardised levels
(``high`` = at least half a standard deviation above all customers), means in the data's
own units, or the most common value of a category. Semantic names (``@income``,
``@spending``, ``@recency``, ``@frequency``, ``@age``, ``@balance``, ``@cash_advance``,
``@usage``) are resolved from column names, or from ``profiles.columns`` in the config
(:mod:`segmentkit.describe.column_meanings`). Rules may be kept to a kind of data
(``kinds``: retail, banking, usage, general — detected from the column names), and rules
with ``applies_to: unusual`` name and advise the outliers and DBSCAN noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from segmentkit.config import ProfilesConfig, RuleCondition, RuleConfig
from segmentkit.describe.action_library import DEFAULT_RULES
from segmentkit.describe.column_meanings import (
    SEMANTIC_PATTERNS,
    data_kind,
    semantic_columns,
    value_columns,
)
from segmentkit.text import display_name

__all__ = [
    "DEFAULT_RULES",
    "VALUE_FEATURE",
    "SegmentFacts",
    "data_kind",
    "level_of",
    "match_rules",
    "match_unusual",
    "semantic_columns",
    "unknown_rule_features",
    "value_columns",
]

logger = logging.getLogger(__name__)

#: Name under which a customer's value (sum of the value columns) reaches the rules.
VALUE_FEATURE = "@value"


def level_of(z: float) -> str:
    """Name the standardised level of a segment on one feature.

    Examples
    --------
    >>> [level_of(z) for z in (-2.0, -0.7, 0.1, 0.9, 1.6)]
    ['very_low', 'low', 'average', 'high', 'very_high']
    """
    if z >= 1.5:
        return "very_high"
    if z >= 0.5:
        return "high"
    if z <= -1.5:
        return "very_low"
    if z <= -0.5:
        return "low"
    return "average"


@dataclass(frozen=True)
class SegmentFacts:
    """What the rules may read about one segment.

    Attributes
    ----------
    z : dict
        Numeric column to standardised difference from all customers.
    mean : dict
        Numeric column to the segment mean, in data units.
    top : dict
        Categorical column to ``(most common value, its lift over all customers)``.
    semantic : dict
        Semantic name to column.
    value_index : float or None
        Share of value divided by share of customers.
    category : tuple or None
        ``(column, value, lift)`` of the value that most sets the segment apart.
    driver : str or None
        Numeric column with the highest positive standardised difference.
    category_group : str or None
        ``category`` in words ("households with one child at home"); ``None`` when its
        value is a bare code.
    kind : str
        What the table describes (:func:`data_kind`): rules may be kept to some kinds.
    implausible : float
        Share of the group's customers with an impossible figure (``@implausible``).
    negligible : float
        Share of the group's customers with no value recorded (``@negligible``).
    top_share : float
        Share of the group's customers among the top 10% of all by value (``@top_share``).
    outcomes : dict
        Outcome column (a campaign result, :mod:`segmentkit.describe.outcomes`) to ``(segment mean
        or rate, lift over all customers)``; conditions on it read ``lift_above``,
        ``mean_above`` and ``mean_below``.
    """

    z: dict[str, float]
    mean: dict[str, float]
    top: dict[str, tuple[str, float]] = field(default_factory=dict)
    semantic: dict[str, str] = field(default_factory=dict)
    value_index: float | None = None
    category: tuple[str, str, float] | None = None
    driver: str | None = None
    outcomes: dict[str, tuple[float, float]] = field(default_factory=dict)
    category_group: str | None = None
    kind: str = "general"
    implausible: float = 0.0
    negligible: float = 0.0
    top_share: float = 0.0


def _holds(condition: RuleCondition, facts: SegmentFacts) -> bool:
    feature = condition.feature
    if feature == "@value_index":
        value = facts.value_index
        if value is None:
            return False
        if condition.mean_above is not None:
            return value > condition.mean_above
        if condition.mean_below is not None:
            return value < condition.mean_below
        return False
    if feature in ("@category", "@category_group"):
        if facts.category is None or (feature == "@category_group" and not facts.category_group):
            return False
        _, top_value, lift = facts.category
        return _categorical_holds(condition, top_value, lift)
    if feature in ("@implausible", "@negligible", "@top_share"):
        share = {
            "@implausible": facts.implausible,
            "@negligible": facts.negligible,
            "@top_share": facts.top_share,
        }[feature]
        if condition.mean_above is not None:
            return share > condition.mean_above
        if condition.mean_below is not None:
            return share < condition.mean_below
        return False
    if feature == "@driver":
        feature = facts.driver or ""
    elif feature.startswith("@") and feature != VALUE_FEATURE:
        feature = facts.semantic.get(feature[1:], "")
    if feature in facts.outcomes:
        rate, lift = facts.outcomes[feature]
        if condition.lift_above is not None:
            return lift > condition.lift_above
        if condition.mean_above is not None:
            return rate > condition.mean_above
        if condition.mean_below is not None:
            return rate < condition.mean_below
        return False
    if feature in facts.z:
        if condition.is_ is not None:
            level = level_of(facts.z[feature])
            if condition.is_ in ("high", "low"):
                return level in (condition.is_, f"very_{condition.is_}")
            return level == condition.is_
        if condition.mean_above is not None:
            return facts.mean[feature] > condition.mean_above
        if condition.mean_below is not None:
            return facts.mean[feature] < condition.mean_below
        return False
    if feature in facts.top:
        top_value, lift = facts.top[feature]
        return _categorical_holds(condition, top_value, lift)
    return False


def _categorical_holds(condition: RuleCondition, top_value: str, lift: float) -> bool:
    if condition.top is not None:
        return top_value.casefold() == condition.top.casefold()
    if condition.lift_above is not None:
        return lift > condition.lift_above
    return False


def _rules(config: ProfilesConfig, facts: SegmentFacts, applies_to: str) -> list[RuleConfig]:
    every = [*config.rules, *(DEFAULT_RULES if config.default_rules else ())]
    return [
        rule
        for rule in every
        if rule.applies_to == applies_to and (rule.kinds is None or facts.kind in rule.kinds)
    ]


def _fire(rules: list[RuleConfig], facts: SegmentFacts, fields: dict[str, str]) -> list[RuleConfig]:
    fired: list[RuleConfig] = []
    groups = set()
    for rule in rules:
        if rule.group in groups or not all(_holds(c, facts) for c in rule.when):
            continue
        fired.append(rule)
        if rule.group is not None:
            groups.add(rule.group)
    return fired


def _fields(facts: SegmentFacts) -> dict[str, str]:
    return {
        "category": facts.category[1] if facts.category else "",
        "category_feature": display_name(facts.category[0]).lower() if facts.category else "",
        "category_group": facts.category_group or "",
        "driver": display_name(facts.driver).lower() if facts.driver else "",
    }


def match_rules(facts: SegmentFacts, config: ProfilesConfig) -> list[tuple[str, str]]:
    """Return ``(rule name, action)`` for the rules that fire on one segment, in order.

    Parameters
    ----------
    facts : SegmentFacts
        The segment's profile, as the rules see it.
    config : ProfilesConfig
        Your rules, whether to use the built-in library, and how many actions to keep.

    Returns
    -------
    list of (str, str)
        At most ``config.max_recommendations`` entries.
    """
    fields = _fields(facts)
    rules = _rules(config, facts, "segments")
    fired = _fire([r for r in rules if not r.fallback], facts, fields)
    # Fallback rules speak only for segments nothing else describes.
    fired = fired or _fire([r for r in rules if r.fallback], facts, fields)
    return [(r.name, r.action.format_map(fields)) for r in fired[: config.max_recommendations]]


def match_unusual(
    facts: SegmentFacts, config: ProfilesConfig
) -> tuple[str | None, list[tuple[str, str]]]:
    """Name and advise a group of unusual customers (outliers or DBSCAN noise).

    The rules for unusual customers (``applies_to: unusual``) are checked in order; the
    first that fires with a ``label`` names the group ("Top customers"). When none
    fires, ``profiles.unusual_action`` is the advice and the group keeps its plain name.

    Returns
    -------
    label : str or None
        The group's name, when a rule gives one.
    actions : list of (str, str)
        ``(rule name, action)`` pairs, at most ``config.max_recommendations``.
    """
    fields = _fields(facts)
    fired = _fire(_rules(config, facts, "unusual"), facts, fields)
    label = next((r.label for r in fired if r.label), None)
    actions = [(r.name, r.action.format_map(fields)) for r in fired]
    return label, (actions or [("unusual", config.unusual_action)])[: config.max_recommendations]


def unknown_rule_features(config: ProfilesConfig, columns: list[str]) -> list[str]:
    """Return warnings for user rules that name a column the data does not have."""
    known_semantic = {"@" + k for k in SEMANTIC_PATTERNS} | {
        "@value_index",
        "@category",
        "@category_group",
        "@implausible",
        "@negligible",
        "@top_share",
        "@driver",
        VALUE_FEATURE,
    }
    problems = []
    for rule in config.rules:
        for condition in rule.when:
            feature = condition.feature
            if feature.startswith("@") and feature not in known_semantic:
                problems.append(
                    f"rule {rule.name!r}: unknown name {feature}; use one of "
                    f"{', '.join(sorted(known_semantic))}"
                )
            elif not feature.startswith("@") and feature not in columns:
                problems.append(f"rule {rule.name!r}: no feature column named {feature!r}")
    return problems
