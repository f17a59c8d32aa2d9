"""Recommended marketing actions: a rule library keyed on a segment's profile.

Rules are plain data (the same shape as the ``profiles.rules`` config), checked in
order: your own rules first, then the built-in library below. A rule fires when all of
its conditions hold; ``fallback`` rules only when nothing else fired. Conditions read
standardised levels (``high`` = at least half a standard deviation above all
customers), means in the data's own units, or the most common value of a category.
Semantic names (``@income``, ``@spending``, ``@recency``, ``@frequency``, ``@age``,
``@balance``, ``@cash_advance``, ``@usage``) are resolved from column names, or from
``profiles.columns`` in the config. Rules may be kept to a kind of data (``kinds``:
retail, banking, usage, general — detected from the column names), and rules with
``applies_to: unusual`` name and advise the outliers and DBSCAN noise.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from segmentkit.config import ProfilesConfig, RuleCondition, RuleConfig
from segmentkit.text import display_name, snake_case, without_units

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


def _rule(
    name: str,
    action: str,
    *when: tuple[str, str, object],
    group: str | None = None,
    fallback: bool = False,
    kinds: list[str] | None = None,
    unusual: str | None = None,
) -> RuleConfig:
    conditions = [RuleCondition.model_validate({"feature": f, test: v}) for f, test, v in when]
    return RuleConfig.model_validate(
        {
            "name": name,
            "when": conditions,
            "action": action,
            "group": group,
            "fallback": fallback,
            "kinds": kinds,
            "applies_to": "unusual" if unusual is not None else "segments",
            "label": unusual or None,
        }
    )


_SHOPS = ["retail", "general"]


#: The built-in rule library, in the order rules are checked.
DEFAULT_RULES: tuple[RuleConfig, ...] = (
    # Unusual customers (outliers, DBSCAN noise) are named by what they are.
    _rule(
        "unusual_data_errors",
        "Check these records before any campaign: most have an impossible figure (a "
        "negative amount, returns larger than purchases, an age out of range); fix or "
        "exclude them.",
        ("@implausible", "mean_above", 0.5),
        group="unusual",
        unusual="Possible data errors",
    ),
    _rule(
        "unusual_lapsed_top_customers",
        "Among your best customers, but they have not bought for a long time: win them back "
        "personally now (a call or a personal offer), before they are lost.",
        ("@top_share", "mean_above", 0.5),
        ("@recency", "is", "high"),
        group="unusual",
        unusual="Lapsed top customers",
    ),
    _rule(
        "unusual_top_customers",
        "Your most valuable customers: VIP care and retention first (a named contact, early "
        "access, service before discounts); check the very largest for business accounts "
        "before treating them as consumers.",
        ("@top_share", "mean_above", 0.5),
        group="unusual",
        unusual="Top customers",
    ),
    _rule(
        "unusual_high_value",
        "High-value customers: VIP care and retention first (a named contact, early access, "
        "service before discounts).",
        ("@value", "is", "high"),
        group="unusual",
        unusual="Top customers",
    ),
    _rule(
        "unusual_some_top_customers",
        "A few of them hold a large share of value: sort them by value in segments.csv "
        "(is_outlier = true, or segment -1) and give the top ones VIP care; look at the "
        "others individually before any campaign.",
        ("@value_index", "mean_above", 2.0),
        group="unusual",
        unusual="Some top customers",
    ),
    _rule(
        "unusual_negligible",
        "No value is recorded for most of them: check for test, closed or mistyped accounts "
        "and returns that cancel purchases before any campaign, and leave them out of "
        "targets until checked.",
        ("@negligible", "mean_above", 0.5),
        group="unusual",
        unusual="No recorded value",
    ),
    _rule(
        "unusual_small_accounts",
        "Very small accounts: serve them through low-cost channels, and check a few for "
        "mistyped figures before including them in a campaign.",
        ("@value", "is", "very_low"),
        group="unusual",
        unusual="Smallest accounts",
    ),
    _rule(
        "unusual_some_negligible",
        "Some of them have no value recorded: check those records (is_outlier in "
        "segments.csv) before including them in a campaign.",
        ("@negligible", "mean_above", 0.2),
        ("@value_index", "mean_above", 2.0),
        unusual="",
    ),
    _rule(
        "vip",
        "Protect and grow: a loyalty tier or VIP service, early access and personal contact; "
        "avoid blanket discounts that give margin away.",
        ("@value_index", "mean_above", 2.0),
    ),
    _rule(
        "lapsed_high_spenders",
        "Win back lapsed high spenders: a personal offer now, before they are lost for good.",
        ("@recency", "is", "high"),
        ("@spending", "is", "high"),
        group="lifecycle",
    ),
    _rule(
        "lapsed",
        "Reactivate cheaply (one reminder with a time-limited incentive), then stop spending "
        "on those who do not respond.",
        ("@recency", "is", "high"),
        ("@frequency", "is", "low"),
        group="lifecycle",
    ),
    _rule(
        "win_back",
        "Win back: a reminder with a time-limited incentive; stop after two unanswered tries.",
        ("@recency", "is", "high"),
        group="lifecycle",
    ),
    _rule(
        "loyal",
        "Reward loyalty: a referral programme, cross-selling and early access; ask them for "
        "reviews.",
        ("@recency", "is", "low"),
        ("@frequency", "is", "high"),
        group="lifecycle",
    ),
    _rule(
        "new",
        "Onboard: a welcome series and an incentive for the second purchase.",
        ("@recency", "is", "low"),
        ("@frequency", "is", "low"),
        group="lifecycle",
    ),
    _rule(
        "cash_advance_users",
        "Heavy cash-advance users: offer a lower-cost instalment loan or balance transfer, "
        "and review credit risk before raising limits.",
        ("@cash_advance", "is", "high"),
        group="banking",
        kinds=["banking"],
    ),
    _rule(
        "revolvers",
        "Carry high balances: offer balance-transfer or instalment plans and payment "
        "reminders; review credit risk before raising limits.",
        ("@balance", "is", "high"),
        group="banking",
        kinds=["banking"],
    ),
    _rule(
        "active_card_spenders",
        "Active spenders: a rewards upgrade, a premium product or partner cash-back offers.",
        ("@spending", "is", "high"),
        group="spending",
        kinds=["banking"],
    ),
    _rule(
        "light_users",
        "Light users: a usage-activation offer (cash-back or a fee waiver on the first "
        "transactions), or a product that suits them better.",
        ("@spending", "is", "low"),
        group="spending",
        kinds=["banking"],
    ),
    _rule(
        "heavy_users",
        "Heavy users: upsell a larger plan or add-ons; they already get value from the service.",
        ("@usage", "is", "high"),
        group="usage",
        kinds=["usage"],
    ),
    _rule(
        "low_usage",
        "Low usage comes before leaving: show them value (features they have not tried, a "
        "check-in call) before their renewal.",
        ("@usage", "is", "low"),
        group="usage",
        kinds=["usage"],
    ),
    _rule(
        "affluent_engaged",
        "Premium offers and new ranges first: they can afford them and already buy.",
        ("@income", "is", "high"),
        ("@spending", "is", "high"),
        group="spending",
    ),
    _rule(
        "untapped",
        "Untapped potential: personalised premium recommendations to win a larger share of "
        "their wallet.",
        ("@income", "is", "high"),
        ("@spending", "is", "low"),
        group="spending",
    ),
    _rule(
        "stretched",
        "Enthusiastic on a budget: loyalty points, bundles and flexible payment; do not push "
        "credit.",
        ("@income", "is", "low"),
        ("@spending", "is", "high"),
        group="spending",
    ),
    _rule(
        "price_sensitive",
        "Price-sensitive: value ranges, promotions and low-cost channels; keep the cost of "
        "reaching them low.",
        ("@income", "is", "low"),
        ("@spending", "is", "low"),
        group="spending",
    ),
    _rule(
        "high_spenders",
        "Upsell and cross-sell complementary products: there is a high spending level to build on.",
        ("@spending", "is", "high"),
        group="spending",
        kinds=_SHOPS,
    ),
    _rule(
        "low_spenders",
        "Grow the basket: bundles, free-delivery thresholds and timely reminders.",
        ("@spending", "is", "low"),
        group="spending",
        kinds=_SHOPS,
    ),
    _rule(
        "young",
        "Reach them on mobile and social channels with visual, trend-led campaigns.",
        ("@age", "mean_below", 30.0),
        group="age",
    ),
    _rule(
        "senior",
        "Use direct channels (email, phone, mail) and stress service, trust and simplicity.",
        ("@age", "mean_above", 55.0),
        group="age",
    ),
    _rule(
        "category_mix",
        "Tailor offers and messages to {category_group}, who are over-represented here.",
        ("@category_group", "lift_above", 1.5),
    ),
    _rule(
        "driver",
        "Lead with offers around {driver}, where this segment stands out most.",
        ("@driver", "is", "high"),
        group="fallback",
        fallback=True,
    ),
    _rule(
        "average",
        "Keep in the standard programme and A/B-test offers to learn what moves them.",
        group="fallback",
        fallback=True,
    ),
)

SEMANTIC_PATTERNS: dict[str, str] = {
    "recency": r"recen|days_since|since_last|last_purchase|last_order",
    "frequency": r"freq|n_orders|num_orders|order_count|orders|visits|transactions",
    "income": r"income|salary|earning|wage",
    "spending": r"spend|spent|purchase|monetary|amount|sales|revenue|mnt",
    "age": r"(^|_)age($|_)",
    "balance": r"^balance$|(^|_)balance($|_)(?!freq)",
    "cash_advance": r"cash_advance$|cash_adv$",
    "usage": r"usage|minutes|(^|_)calls($|_)|data_gb|sessions|logins",
}

#: Words that say what kind of customers a table describes; the kind with most columns
#: wins (banking and usage before retail on a tie: their advice is the more specific).
KIND_PATTERNS: dict[str, str] = {
    "banking": r"balance|credit|(^|_)limit|loan|cash_advance|installment|instalment|payment"
    r"|deposit|overdraft|mortgage|interest|card",
    "usage": r"usage|minutes|(^|_)calls($|_)|data_gb|sessions|logins|subscription|plan|contract",
    "retail": r"spend|spent|purchase|order|basket|(^|_)mnt|visit|sales|monetary|revenue|recency"
    r"|frequency|product|store|catalog|web",
}


def data_kind(columns: list[str]) -> str:
    """Say what kind of customers the columns describe: retail, banking, usage or general.

    Examples
    --------
    >>> data_kind(["BALANCE", "PURCHASES", "CASH_ADVANCE", "CREDIT_LIMIT", "PAYMENTS"])
    'banking'
    >>> data_kind(["recency_days", "frequency", "monetary"])
    'retail'
    >>> data_kind(["Age", "Annual Income (k$)", "Spending Score (1-100)"])
    'retail'
    >>> data_kind(["Fresh", "Milk"])
    'general'
    """
    counts = {
        kind: sum(bool(re.search(pattern, _normalise(c))) for c in columns)
        for kind, pattern in KIND_PATTERNS.items()
    }
    best = max(counts, key=lambda kind: counts[kind])
    return best if counts[best] >= 2 or (counts[best] == 1 and best == "retail") else "general"


_VALUE_NAME = re.compile(
    r"^(total_)?(monetary(_value)?|spend(ing)?|spent|revenue|sales|amount|purchases|value"
    r"|clv|ltv|customer_value)(_total)?$"
)
#: Money spent on something: "MntWines", "spend_online", "grocery_amount", "web_sales".
_MONEY_PART = re.compile(r"^mnt_|(^|_)(spend|spent|amount|revenue|sales)($|_)")
#: ... but not a score, rate, share or count of it ("Spending Score (1-100)", "num_sales").
_NOT_MONEY = re.compile(
    r"(^|_)(score|rate|ratio|share|pct|percent|count|num|number|freq\w*|n|avg|average|mean"
    r"|per)($|_)"
)


def _normalise(name: str) -> str:
    return snake_case(without_units(name))


def semantic_columns(numeric: list[str], overrides: dict[str, str]) -> dict[str, str]:
    """Map semantic names (income, spending, recency, frequency, age) to columns.

    A column whose normalised name equals the semantic name wins, then the first column
    whose name matches the pattern; one column serves one meaning.

    Examples
    --------
    >>> semantic_columns(["Age", "Annual Income (k$)", "Spending Score (1-100)"], {})
    {'income': 'Annual Income (k$)', 'spending': 'Spending Score (1-100)', 'age': 'Age'}
    >>> semantic_columns(["recency", "frequency", "monetary"], {"spending": "monetary"})
    {'spending': 'monetary', 'recency': 'recency', 'frequency': 'frequency'}
    """
    mapping = {k: v for k, v in overrides.items() if v in numeric}
    taken = set(mapping.values())
    for meaning, pattern in SEMANTIC_PATTERNS.items():
        if meaning in mapping:
            continue
        free = [c for c in numeric if c not in taken]
        exact = [c for c in free if _normalise(c) == meaning]
        matches = exact or [c for c in free if re.search(pattern, _normalise(c))]
        if matches:
            mapping[meaning] = matches[0]
            taken.add(matches[0])
    order = [
        "income",
        "spending",
        "recency",
        "frequency",
        "age",
        "balance",
        "cash_advance",
        "usage",
    ]
    return {k: mapping[k] for k in order if k in mapping}


def value_columns(numeric: list[str], configured: list[str] | None) -> list[str]:
    """Return the columns summed into a customer's value.

    A column named as the total ("monetary", "total_spend", "revenue") is the value on its
    own; otherwise every money column ("MntWines", "MntFruits", ...; names with spend,
    amount, revenue or sales that are not a score, rate or count) is summed.

    Examples
    --------
    >>> value_columns(["Age", "total_spend", "visits"], None)
    ['total_spend']
    >>> value_columns(["Age", "Spending Score (1-100)"], None)
    []
    >>> value_columns(["Income", "MntWines", "MntMeatProducts", "NumWebPurchases"], None)
    ['MntWines', 'MntMeatProducts']
    """
    if configured is not None:
        return [c for c in configured if c in numeric]
    found = [c for c in numeric if _VALUE_NAME.match(_normalise(c))]
    if found:
        return found[:1]
    return [
        c
        for c in numeric
        if _MONEY_PART.search(_normalise(c)) and not _NOT_MONEY.search(_normalise(c))
    ]


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
