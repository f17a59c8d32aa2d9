"""Tests for describe.actions: semantic columns, value columns, levels and the rule library."""

from __future__ import annotations

from typing import Any

import pytest

from segmentkit.config import Config, ProfilesConfig, RuleCondition, parse_config
from segmentkit.describe.actions import (
    DEFAULT_RULES,
    SegmentFacts,
    level_of,
    match_rules,
    semantic_columns,
    unknown_rule_features,
    value_columns,
)
from segmentkit.describe.labels import category_words
from segmentkit.errors import ConfigError

SEMANTIC = {
    "income": "income",
    "spending": "spend",
    "recency": "recency",
    "frequency": "frequency",
    "age": "age",
}


def facts(
    z: dict[str, float] | None = None,
    mean: dict[str, float] | None = None,
    **kwargs: Any,
) -> SegmentFacts:
    """Facts on the five semantic columns, average unless told otherwise."""
    levels = dict.fromkeys(SEMANTIC.values(), 0.0) | (z or {})
    means = dict.fromkeys(levels, 40.0) | (mean or {})
    if kwargs.get("category") and "category_group" not in kwargs:
        kwargs["category_group"] = category_words(*kwargs["category"][:2])
    return SegmentFacts(z=levels, mean=means, semantic=dict(SEMANTIC), **kwargs)


def profiles_config(**settings: Any) -> ProfilesConfig:
    return parse_config({"profiles": settings}).profiles


def rule_names(found: list[tuple[str, str]]) -> list[str]:
    return [name for name, _ in found]


def action_of(name: str) -> str:
    return next(rule.action for rule in DEFAULT_RULES if rule.name == name)


# --------------------------------------------------------------------------- semantic_columns


def test_semantic_cc_general_names() -> None:
    columns = ["BALANCE", "PURCHASES", "PURCHASES_FREQUENCY", "CREDIT_LIMIT"]
    assert semantic_columns(columns, {}) == {
        "spending": "PURCHASES",
        "frequency": "PURCHASES_FREQUENCY",
        "balance": "BALANCE",
    }


def test_semantic_rfm_names() -> None:
    assert semantic_columns(["recency", "frequency", "monetary"], {}) == {
        "spending": "monetary",
        "recency": "recency",
        "frequency": "frequency",
    }


def test_semantic_exact_name_preferred_over_pattern() -> None:
    assert semantic_columns(["amount_spent", "spending"], {}) == {"spending": "spending"}
    assert semantic_columns(["order_frequency", "Frequency"], {}) == {"frequency": "Frequency"}
    assert semantic_columns(["CustomerAge", "Age"], {}) == {"age": "Age"}


def test_semantic_first_pattern_match_and_normalised_names() -> None:
    columns = ["NumWebVisits", "AnnualSalary", "TotalSpend", "days_since_last_order", "Age (years)"]
    assert semantic_columns(columns, {}) == {
        "income": "AnnualSalary",
        "spending": "TotalSpend",
        "recency": "days_since_last_order",
        "frequency": "NumWebVisits",
        "age": "Age (years)",
    }
    # "age" must be a word of its own ("usage" is usage, not age).
    assert semantic_columns(["average_basket", "page_views", "usage"], {}) == {"usage": "usage"}


def test_semantic_overrides_win() -> None:
    columns = ["income", "BALANCE", "spend"]
    assert semantic_columns(columns, {"income": "BALANCE"}) == {
        "income": "BALANCE",
        "spending": "spend",
    }
    # An override naming a column that is not there is ignored.
    assert semantic_columns(columns, {"income": "salary"})["income"] == "income"


def test_semantic_one_column_per_meaning() -> None:
    # "spend" is taken by the override for frequency, so spending gets nothing.
    assert semantic_columns(["spend", "visits"], {"frequency": "spend"}) == {"frequency": "spend"}
    # "last_purchase" matches recency and spending; recency is resolved first.
    assert semantic_columns(["last_purchase"], {}) == {"recency": "last_purchase"}
    mapping = semantic_columns(["PURCHASES_FREQUENCY", "PURCHASES", "purchase_count"], {})
    assert len(set(mapping.values())) == len(mapping)


# --------------------------------------------------------------------------- value_columns


@pytest.mark.parametrize(
    "column",
    ["total_spend", "Revenue", "monetary", "TotalSpend", "Amount ($)", "PURCHASES", "CLV", "sales"],
)
def test_value_column_detected(column: str) -> None:
    assert value_columns(["Age", column], None) == [column]


@pytest.mark.parametrize(
    "column",
    ["Spending Score (1-100)", "Age", "Income", "avg_spend", "spending_score", "num_sales"],
)
def test_value_column_not_detected(column: str) -> None:
    assert value_columns(["Age", column], None) == []


def test_money_columns_are_summed_when_no_total_is_named() -> None:
    # marketing_campaign: the spend is split over six Mnt* columns, purchases are counts.
    columns = ["Income", "MntWines", "MntFruits", "NumWebPurchases", "MntGoldProds"]
    assert value_columns(columns, None) == ["MntWines", "MntFruits", "MntGoldProds"]
    # A column named as the total wins over the parts.
    assert value_columns(["web_sales", "store_sales", "total_spend"], None) == ["total_spend"]


def test_value_columns_first_detected_only() -> None:
    assert value_columns(["Age", "Revenue", "total_spend"], None) == ["Revenue"]


def test_value_columns_configured() -> None:
    numeric = ["a", "b", "total_spend"]
    assert value_columns(numeric, ["b", "missing", "a"]) == ["b", "a"]
    assert value_columns(numeric, []) == []


# --------------------------------------------------------------------------- level_of


@pytest.mark.parametrize(
    ("z", "level"),
    [
        (-1.5, "very_low"),
        (-1.4999, "low"),
        (-0.5, "low"),
        (-0.4999, "average"),
        (0.0, "average"),
        (0.4999, "average"),
        (0.5, "high"),
        (1.4999, "high"),
        (1.5, "very_high"),
    ],
)
def test_level_boundaries(z: float, level: str) -> None:
    assert level_of(z) == level


# --------------------------------------------------------------------------- default rules


def test_default_library_shape() -> None:
    names = [rule.name for rule in DEFAULT_RULES]
    assert len(set(names)) == len(names)
    # Rules for unusual customers first (they never fire on segments), then the VIP rule.
    segment_rules = [rule.name for rule in DEFAULT_RULES if rule.applies_to == "segments"]
    assert segment_rules[0] == "vip"
    naming = [r for r in DEFAULT_RULES if r.applies_to == "unusual" and r.group == "unusual"]
    assert naming and all(rule.label for rule in naming)
    average = DEFAULT_RULES[names.index("average")]
    assert average.fallback
    assert average.when == []


def test_untapped() -> None:
    found = match_rules(facts({"income": 1.0, "spend": -1.0}), ProfilesConfig())
    assert found == [("untapped", action_of("untapped"))]


def test_lapsed() -> None:
    found = match_rules(facts({"recency": 0.8, "frequency": -0.9}), ProfilesConfig())
    assert found == [("lapsed", action_of("lapsed"))]


def test_lapsed_high_spenders_before_lapsed() -> None:
    found = match_rules(facts({"recency": 0.8, "frequency": -0.9, "spend": 0.7}), ProfilesConfig())
    # Same group (lifecycle): only the first fires; spending high also fires in its group.
    assert rule_names(found) == ["lapsed_high_spenders", "high_spenders"]


def test_vip_on_value_index() -> None:
    assert rule_names(match_rules(facts(value_index=2.5), ProfilesConfig())) == ["vip"]
    # Strictly above 2.
    assert rule_names(match_rules(facts(value_index=2.0), ProfilesConfig())) == ["average"]
    assert rule_names(match_rules(facts(value_index=None), ProfilesConfig())) == ["average"]


def test_young_and_senior_on_mean_age() -> None:
    assert rule_names(match_rules(facts(mean={"age": 25.0}), ProfilesConfig())) == ["young"]
    assert rule_names(match_rules(facts(mean={"age": 30.0}), ProfilesConfig())) == ["average"]
    assert rule_names(match_rules(facts(mean={"age": 60.0}), ProfilesConfig())) == ["senior"]


def test_category_mix_fills_placeholders() -> None:
    found = match_rules(facts(category=("Channel", "Retail", 2.0)), ProfilesConfig())
    assert found == [
        (
            "category_mix",
            "Tailor offers and messages to customers whose channel is Retail, who are "
            "over-represented here.",
        )
    ]
    # Lift strictly above 1.5.
    found = match_rules(facts(category=("Channel", "Retail", 1.5)), ProfilesConfig())
    assert rule_names(found) == ["average"]


def test_only_first_rule_of_a_group_fires() -> None:
    found = match_rules(facts({"income": 0.9, "spend": 1.2}), ProfilesConfig())
    assert rule_names(found) == ["affluent_engaged"]
    assert "high_spenders" not in rule_names(found)


def test_very_high_counts_as_high() -> None:
    found = match_rules(facts({"income": 2.0, "spend": -3.0}), ProfilesConfig())
    assert rule_names(found) == ["untapped"]


def test_fallback_only_when_nothing_else_fires() -> None:
    assert match_rules(facts(), ProfilesConfig()) == [("average", action_of("average"))]
    found = match_rules(facts({"spend": -0.6}), ProfilesConfig())
    assert rule_names(found) == ["low_spenders"]


def test_driver_names_the_standout_feature() -> None:
    found = match_rules(facts({"tenure": 0.8}, driver="tenure"), ProfilesConfig())
    assert found == [
        ("driver", "Lead with offers around tenure, where this segment stands out most.")
    ]
    assert "average" not in rule_names(found)


def test_max_recommendations_caps_the_list() -> None:
    busy = facts(
        {"income": 1.0, "spend": 1.0, "recency": 1.0, "frequency": -1.0},
        mean={"age": 25.0},
        value_index=3.0,
        category=("region", "north", 2.0),
    )
    every = ["vip", "lapsed_high_spenders", "affluent_engaged", "young", "category_mix"]
    assert rule_names(match_rules(busy, ProfilesConfig())) == every[:3]
    assert rule_names(match_rules(busy, profiles_config(max_recommendations=10))) == every
    assert rule_names(match_rules(busy, profiles_config(max_recommendations=1))) == ["vip"]


# --------------------------------------------------------------------------- user rules


def test_user_rules_come_first() -> None:
    config = profiles_config(
        rules=[{"name": "call", "when": [{"feature": "income", "is": "high"}], "action": "Call."}]
    )
    found = match_rules(facts({"income": 1.0, "spend": -1.0}), config)
    assert found[0] == ("call", "Call.")
    assert rule_names(found) == ["call", "untapped"]


def test_user_rule_in_a_group_replaces_the_library_rule() -> None:
    config = profiles_config(
        rules=[
            {
                "name": "premium",
                "when": [{"feature": "@income", "is": "high"}],
                "action": "Premium.",
                "group": "spending",
            }
        ]
    )
    found = match_rules(facts({"income": 1.0, "spend": 1.0}), config)
    assert rule_names(found) == ["premium"]


def test_default_rules_off() -> None:
    config = profiles_config(
        default_rules=False,
        rules=[{"name": "call", "when": [{"feature": "income", "is": "high"}], "action": "Call."}],
    )
    assert match_rules(facts({"income": 1.0, "spend": -1.0}), config) == [("call", "Call.")]
    found = match_rules(facts({"spend": -1.0}, value_index=5.0), config)
    assert not set(rule_names(found)) & {rule.name for rule in DEFAULT_RULES}


def test_user_fallback_rule() -> None:
    config = profiles_config(
        default_rules=False,
        rules=[{"name": "other", "when": [], "action": "Standard.", "fallback": True}],
    )
    assert match_rules(facts(), config) == [("other", "Standard.")]


@pytest.mark.parametrize("wanted", ["retail", "RETAIL", "Retail"])
def test_user_rule_on_category_case_insensitive(wanted: str) -> None:
    config = profiles_config(
        rules=[
            {"name": "shops", "when": [{"feature": "Channel", "top": wanted}], "action": "Shops."}
        ]
    )
    found = match_rules(facts(top={"Channel": ("Retail", 1.8)}), config)
    assert found[0] == ("shops", "Shops.")


def test_user_rule_on_category_other_value_does_not_fire() -> None:
    config = profiles_config(
        rules=[
            {"name": "hotels", "when": [{"feature": "Channel", "top": "Horeca"}], "action": "H."}
        ]
    )
    found = match_rules(facts(top={"Channel": ("Retail", 1.8)}), config)
    assert "hotels" not in rule_names(found)


def test_user_rule_mean_thresholds_in_data_units() -> None:
    config = profiles_config(
        rules=[
            {"name": "rich", "when": [{"feature": "income", "mean_above": 100}], "action": "R."},
            {"name": "poor", "when": [{"feature": "income", "mean_below": 100}], "action": "P."},
        ]
    )
    assert rule_names(match_rules(facts(mean={"income": 150.0}), config))[0] == "rich"
    assert rule_names(match_rules(facts(mean={"income": 50.0}), config))[0] == "poor"
    assert "rich" not in rule_names(match_rules(facts(mean={"income": 100.0}), config))


def test_exact_level_test() -> None:
    config = profiles_config(
        rules=[{"name": "top", "when": [{"feature": "income", "is": "very_high"}], "action": "T."}]
    )
    assert "top" not in rule_names(match_rules(facts({"income": 1.0}), config))
    assert rule_names(match_rules(facts({"income": 1.5}), config))[0] == "top"


def test_rule_on_missing_column_never_fires_and_is_reported() -> None:
    config = profiles_config(
        rules=[
            {"name": "ghost", "when": [{"feature": "Income2", "is": "high"}], "action": "G."},
            {"name": "odd", "when": [{"feature": "@unknown", "is": "low"}], "action": "O."},
            {"name": "fine", "when": [{"feature": "@income", "is": "low"}], "action": "F."},
        ]
    )
    # The known name fires; the missing column and the unknown name never do.
    for level in (-2.0, 2.0):
        found = rule_names(match_rules(facts({"income": level}), config))
        assert ("fine" in found) == (level < 0)
        assert "ghost" not in found
        assert "odd" not in found
    problems = unknown_rule_features(config, list(SEMANTIC.values()))
    assert len(problems) == 2
    assert problems[0] == "rule 'ghost': no feature column named 'Income2'"
    assert problems[1].startswith("rule 'odd': unknown name @unknown; use one of ")
    assert "@income" in problems[1]


def test_unknown_rule_features_quiet_for_known_names() -> None:
    config = profiles_config(
        rules=[
            {
                "name": "ok",
                "when": [
                    {"feature": "@spending", "is": "high"},
                    {"feature": "@value_index", "mean_above": 1.0},
                    {"feature": "@category", "lift_above": 2.0},
                    {"feature": "@driver", "is": "high"},
                    {"feature": "Age", "mean_below": 30},
                ],
                "action": "OK.",
            }
        ]
    )
    assert unknown_rule_features(config, ["Age", "Income"]) == []


# --------------------------------------------------------------------------- config validation


def test_condition_is_alias() -> None:
    condition = RuleCondition.model_validate({"feature": "income", "is": "high"})
    assert condition.is_ == "high"
    rule = parse_config(
        {
            "profiles": {
                "rules": [{"name": "r", "when": [{"feature": "x", "is": "low"}], "action": "a"}]
            }
        }
    ).profiles.rules[0]
    assert rule.when[0].is_ == "low"


@pytest.mark.parametrize(
    "condition",
    [{"feature": "income", "is": "high", "mean_above": 3}, {"feature": "income"}],
)
def test_condition_needs_exactly_one_test(condition: dict[str, Any]) -> None:
    rules = [{"name": "r", "when": [condition], "action": "Act."}]
    with pytest.raises(ConfigError) as caught:
        parse_config({"profiles": {"rules": rules}})
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert line.startswith("profiles.rules.0.when.0: ")
    assert "exactly one of" in line


def test_unknown_placeholder_rejected() -> None:
    rules = [{"name": "r", "when": [{"feature": "income", "is": "high"}], "action": "Offer {foo}"}]
    with pytest.raises(ConfigError) as caught:
        Config().with_overrides({"profiles.rules": rules})
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert line.startswith("profiles.rules.0.action: ")
    assert "{foo}" in line


def test_known_placeholders_accepted() -> None:
    action = "Talk about {category} ({category_feature}) and {driver}."
    rules = [{"name": "r", "when": [], "action": action}]
    config = Config().with_overrides({"profiles.rules": rules})
    assert config.profiles.rules[0].action == action


def test_long_since_last_purchase_is_won_back_whatever_the_frequency() -> None:
    # CDNOW: half the customers last bought 503 days ago, at an average frequency; they
    # were advised "Grow the basket: free-delivery thresholds".
    found = match_rules(facts({"recency": 1.2, "spend": -0.6}), ProfilesConfig())
    assert rule_names(found)[0] == "win_back"
