"""The built-in library of marketing actions: rules as plain data, in the order checked.

Each rule has the shape of a ``profiles.rules`` entry in the config (a name, conditions on a
segment's profile, an action, an optional group of which only the first rule fires, the kinds
of data it is kept to); :mod:`segmentkit.describe.actions` checks them after your own rules.
"""

from __future__ import annotations

from segmentkit.config import RuleCondition, RuleConfig

__all__ = ["DEFAULT_RULES"]


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
