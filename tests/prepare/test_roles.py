"""Tests for segmentkit.prepare.roles: what each column of a customer table is, and why."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import shared_dataset
from segmentkit.config import Config
from segmentkit.prepare.roles import ColumnRole, infer_roles, looks_like_id_name
from segmentkit.prepare.transformer import prepare

N_ROWS = 30


def customers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1001, 1001 + N_ROWS),
            "tier": [1, 2, 3, 4, 5] * 6,
            "level": [1, 2, 3, 4, 5, 6] * 5,
            "country": ["NL"] * N_ROWS,
            # 26 distinct words over 30 rows: not unique, more than max_categories = 20.
            "comment": [f"word{chr(97 + i % 26)}x" for i in range(N_ROWS)],
            "spend": rng.normal(100, 10, N_ROWS).round(2),
            "region": ["north", "south", "east"] * 10,
            "joined": pd.date_range("2024-01-01", periods=N_ROWS).strftime("%Y-%m-%d"),
            "active": [True, False] * 15,
        }
    )


def roles_of(frame: pd.DataFrame, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    config = Config.model_validate(overrides or {})
    return {c: r.role for c, r in infer_roles(frame, config.input, config.cleaning).items()}


def test_default_roles() -> None:
    assert roles_of(customers()) == {
        "CustomerID": "id",
        "tier": "categorical",
        "level": "numeric",
        "country": "constant",
        "comment": "text",
        "spend": "numeric",
        "region": "categorical",
        "joined": "date",
        "active": "categorical",
    }


def test_reasons_say_why() -> None:
    config = Config()
    roles = infer_roles(customers(), config.input, config.cleaning)
    assert roles["CustomerID"].reason == "unique integer key with an id-like name"
    assert roles["tier"].reason == "integer codes with 5 distinct values"
    assert roles["country"].reason == "a single value ('NL')"
    assert "26 distinct values" in roles["comment"].reason
    assert "cleaning.max_categories = 20" in roles["comment"].reason
    assert roles["region"].reason == "text with 3 distinct values"
    assert list(roles) == list(customers().columns)


def test_is_feature() -> None:
    assert ColumnRole("a", "numeric", "").is_feature
    assert ColumnRole("a", "categorical", "").is_feature
    assert ColumnRole("a", "date", "").is_feature
    for role in ["id", "constant", "text", "ignore"]:
        assert not ColumnRole("a", role, "").is_feature


def test_unique_integer_without_id_name_is_numeric() -> None:
    frame = pd.DataFrame({"visits": np.arange(N_ROWS), "spend": np.linspace(0, 1, N_ROWS)})
    assert roles_of(frame)["visits"] == "numeric"


def test_only_one_id() -> None:
    frame = pd.DataFrame({"customer_id": np.arange(N_ROWS), "account_no": np.arange(N_ROWS) + 7})
    assert roles_of(frame) == {"customer_id": "id", "account_no": "numeric"}


def test_a_customer_id_wins_over_an_earlier_key_like_column() -> None:
    # A unique postal_code (or order_no) first in the file must not take the id from
    # customer_id, whose repeats would then go unnoticed.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "postal_code": rng.permutation(N_ROWS) + 10_000,
            "spend": rng.normal(size=N_ROWS),
            "customer_id": [f"C{i % (N_ROWS - 2)}" for i in range(N_ROWS)],  # two repeats
        }
    )
    roles = roles_of(frame)
    assert roles["customer_id"] == "id"
    assert roles["postal_code"] == "numeric"
    # Named in the config, the config decides.
    assert roles_of(frame, {"input": {"id_column": "postal_code"}})["postal_code"] == "id"
    assert roles_of(frame, {"input": {"roles": {"customer_id": "ignore"}}})["postal_code"] == "id"


@pytest.mark.parametrize(
    ("values", "role"),
    [
        ([*range(1, 30), 7], "id"),  # 29 distinct of 30: a duplicate, still the id
        ([*range(1, 30), np.nan], "id"),  # a missing id
        ([*range(1, 29), 7, 8], "id"),  # 28 distinct of 30
        ([*range(1, 27), 7, 8, 9, 10], "id"),  # 26 distinct of 30 (87%) >= 85%
        ([*range(1, 26), 7, 8, 9, 10, 11], "numeric"),  # 25 distinct of 30 (83%)
    ],
)
def test_mostly_unique_integer_id(values: list[float], role: str) -> None:
    frame = pd.DataFrame({"CustomerID": values, "spend": np.linspace(0, 1, N_ROWS)})
    assert roles_of(frame)["CustomerID"] == role


@pytest.mark.parametrize(
    ("values", "role"),
    [
        ([*range(1, 30), 7], "id"),  # 29 distinct of 30 >= 95%
        ([*range(1, 29), 7, 8], "numeric"),  # 28 distinct of 30 < 95%
    ],
)
def test_other_id_like_names_allow_fewer_repeats(values: list[float], role: str) -> None:
    # "order_no" or "postal_code" can be nearly unique in a small table without naming
    # the customer: only a customer-id name is trusted with more repeats.
    frame = pd.DataFrame({"order_no": values, "spend": np.linspace(0, 1, N_ROWS)})
    assert roles_of(frame)["order_no"] == role


def concatenated_export(name: str, text: bool, repeats: int = 20) -> pd.DataFrame:
    """150 customers, the first ``repeats`` of them exported twice (170 rows by default)."""
    ids = [*range(5001, 5151), *range(5001, 5001 + repeats)]
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            name: [f"C{i}" for i in ids] if text else ids,
            "spend": rng.gamma(2.0, 50.0, len(ids)).round(2),
            "visits": rng.integers(1, 30, len(ids)),
        }
    )


@pytest.mark.parametrize("name", ["customer_id", "CustomerID", "id", "client_no", "Member No"])
@pytest.mark.parametrize("text", [False, True])
def test_id_with_duplicates_is_still_the_id(name: str, text: bool) -> None:
    # Regression: 150 distinct of 170 (88%) made the id a numeric feature (or dropped text).
    frame = concatenated_export(name, text)
    assert frame[name].nunique() == 150
    assert roles_of(frame) == {name: "id", "spend": "numeric", "visits": "numeric"}


def test_id_with_duplicates_end_to_end() -> None:
    # The duplicate-id policy (keep_first) then drops the 20 repeats, each with its reason.
    prepared = prepare(concatenated_export("customer_id", text=False), Config())
    assert prepared.id_column == "customer_id"
    assert prepared.features == ["spend", "visits"]
    assert prepared.roles["customer_id"].reason == (
        "mostly unique (150 distinct in 170 rows) integer key with an id-like name"
    )
    assert prepared.row_counts["read"] == 170
    assert prepared.row_counts["kept"] == 150
    assert prepared.row_counts["dropped"] == {"duplicate_id": 20}
    assert prepared.dropped["row"].tolist() == list(range(151, 171))
    assert prepared.dropped["customer_id"].tolist() == list(range(5001, 5021))
    assert prepared.ids.tolist() == list(range(5001, 5151))
    step = next(s for s in prepared.steps if s.rule == "duplicate_ids")
    assert (step.detail, step.rows) == ("20 repeated id(s), policy keep_first", 20)


def test_id_with_too_many_repeats_is_not_the_id() -> None:
    # 150 distinct of 180 (83%): more like a code than an identifier, whatever its name.
    frame = concatenated_export("customer_id", text=False, repeats=30)
    assert roles_of(frame)["customer_id"] == "numeric"


def test_unique_text_key_is_id() -> None:
    # 30 unique text keys: an id even without an id-like name.
    frame = pd.DataFrame(
        {"ref": [f"C{10001 + i}" for i in range(N_ROWS)], "spend": np.arange(N_ROWS) * 1.5}
    )
    roles = roles_of(frame)
    assert roles == {"ref": "id", "spend": "numeric"}


def test_unique_text_key_small_table_needs_id_name() -> None:
    keys = [f"C{10001 + i}" for i in range(5)]
    small = pd.DataFrame({"ref": keys, "spend": [1.0, 2, 3, 4, 5]})
    assert roles_of(small)["ref"] == "categorical"
    named = pd.DataFrame({"Cust_ID": keys, "spend": [1.0, 2, 3, 4, 5]})
    assert roles_of(named)["Cust_ID"] == "id"


@pytest.mark.parametrize(
    ("n_levels", "role"), [(2, "categorical"), (5, "categorical"), (6, "numeric")]
)
def test_integer_codes(n_levels: int, role: str) -> None:
    frame = pd.DataFrame({"code": [i % n_levels for i in range(N_ROWS)]})
    assert roles_of(frame)["code"] == role


def test_integer_codes_as_float_with_missing() -> None:
    frame = pd.DataFrame({"code": [1.0, 2.0, np.nan, 3.0] * 5})
    assert roles_of(frame)["code"] == "categorical"


def test_max_integer_categories_setting() -> None:
    frame = pd.DataFrame({"code": [i % 6 for i in range(N_ROWS)]})
    assert roles_of(frame, {"cleaning": {"max_integer_categories": 6}})["code"] == "categorical"


def test_constant_columns() -> None:
    frame = pd.DataFrame(
        {"same": [7] * 10, "empty": [np.nan] * 10, "spend": np.arange(10, dtype=float)}
    )
    config = Config()
    roles = infer_roles(frame, config.input, config.cleaning)
    assert roles["same"].role == "constant"
    assert roles["empty"].role == "constant"
    assert roles["empty"].reason == "every value is missing"


def test_high_cardinality_text() -> None:
    frame = pd.DataFrame({"city": [f"town {chr(65 + i % 21)}" for i in range(42)]})
    assert roles_of(frame)["city"] == "text"  # 21 > 20
    frame = pd.DataFrame({"city": [f"town {chr(65 + i % 20)}" for i in range(40)]})
    assert roles_of(frame)["city"] == "categorical"  # 20 is allowed
    assert roles_of(frame, {"cleaning": {"max_categories": 19}})["city"] == "text"


def test_override_roles() -> None:
    overrides = {"input": {"roles": {"level": "categorical", "tier": "numeric", "spend": "ignore"}}}
    config = Config.model_validate(overrides)
    roles = infer_roles(customers(), config.input, config.cleaning)
    assert roles["level"].role == "categorical"
    assert roles["tier"].role == "numeric"
    assert roles["spend"].role == "ignore"
    assert roles["level"].reason == "set in the config"


def test_override_role_id() -> None:
    frame = customers().assign(ref=[f"R{i}" for i in range(N_ROWS)])
    roles = roles_of(frame, {"input": {"roles": {"ref": "id"}}})
    assert roles["ref"] == "id"
    assert roles["CustomerID"] == "numeric"  # the id is taken; a unique int is a number


def test_exclude() -> None:
    config = Config().with_overrides({"input.exclude": ["spend", "region"]})
    roles = infer_roles(customers(), config.input, config.cleaning)
    assert roles["spend"].role == "ignore"
    assert roles["region"].role == "ignore"
    assert roles["spend"].reason == "excluded in the config"
    assert roles["level"].role == "numeric"


def test_features_keep_id() -> None:
    roles = roles_of(customers(), {"input": {"features": ["spend", "region"]}})
    assert roles["CustomerID"] == "id"
    assert roles["spend"] == "numeric"
    assert roles["region"] == "categorical"
    others = {c: r for c, r in roles.items() if c not in {"CustomerID", "spend", "region"}}
    assert set(others.values()) == {"ignore"}


def test_id_column() -> None:
    frame = customers().assign(member=np.arange(N_ROWS) * 3)
    roles = roles_of(frame, {"input": {"id_column": "member"}})
    assert roles["member"] == "id"
    # Only one id: CustomerID is now just a unique integer.
    assert roles["CustomerID"] == "numeric"


def test_features_asking_for_text_warns(caplog: pytest.LogCaptureFixture) -> None:
    roles = roles_of(customers(), {"input": {"features": ["comment", "spend"]}})
    assert roles["comment"] == "text"
    assert "'comment' was asked for but is text" in caplog.text


@pytest.mark.parametrize(
    "name",
    [
        "CustomerID",
        "CUST_ID",
        "client id",
        "id",
        "ID",
        "Id",
        "member_no",
        "userId",
        "Voucher No",
        "account-number",
        "id_customer",
        " customer_id ",
    ],
)
def test_looks_like_id_name(name: str) -> None:
    assert looks_like_id_name(name)


@pytest.mark.parametrize(
    "name", ["Paid", "valid", "VALID", "Age", "Android", "Kid", "grid", "zipcode", "Income"]
)
def test_looks_like_id_name_not(name: str) -> None:
    assert not looks_like_id_name(name)


def test_mall_customers_roles(mall_frame: pd.DataFrame) -> None:
    assert roles_of(mall_frame) == {
        "CustomerID": "id",
        "Genre": "categorical",
        "Age": "numeric",
        "Annual Income (k$)": "numeric",
        "Spending Score (1-100)": "numeric",
    }


def test_cc_general_text_key() -> None:
    frame = pd.read_csv(shared_dataset("cc_general/CC GENERAL.csv"))
    roles = roles_of(frame)
    assert roles["CUST_ID"] == "id"  # "C10001", ...
    assert set(roles.values()) == {"id", "numeric"}
    assert list(roles.values()).count("numeric") == 17


def test_input_not_modified() -> None:
    frame = customers()
    before = frame.copy()
    config = Config.model_validate({"input": {"roles": {"level": "categorical"}}})
    infer_roles(frame, config.input, config.cleaning)
    pd.testing.assert_frame_equal(frame, before)


def rfm_table() -> pd.DataFrame:
    """A customer table as `segmentkit rfm` writes it (values do not matter here)."""
    rng = np.random.default_rng(1)
    n = N_ROWS
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, n + 1),
            "recency_days": rng.integers(1, 300, n).astype(float),
            "frequency": rng.integers(1, 30, n),
            "repeat_purchases": rng.integers(0, 29, n),
            "monetary": rng.gamma(2, 300, n).round(2),
            "avg_order_value": rng.gamma(2, 50, n).round(2),
            "tenure_days": rng.integers(300, 400, n).astype(float),
            "first_to_last_days": rng.integers(0, 300, n).astype(float),
            "mean_interpurchase_days": rng.gamma(2, 20, n).round(2),
            "share_toys": rng.random(n).round(4),
            "r_score": rng.integers(1, 6, n),
            "f_score": rng.integers(1, 6, n),
            "m_score": rng.integers(1, 6, n),
            "rfm_score": [f"{i % 5 + 1}{i % 3 + 1}{i % 4 + 1}" for i in range(n)],
            "rfm_group": ["Loyal", "Lost", "Champions"] * (n // 3),
            "age": rng.integers(18, 80, n),
        }
    )


def test_rfm_table_is_segmented_on_the_rfm_features() -> None:
    # Issue 16: `rfm` + `run` segmented on the scores and extra measures as well.
    config = Config()
    roles = infer_roles(rfm_table(), config.input, config.cleaning)
    features = [c for c, r in roles.items() if r.is_feature]
    # The RFM features, and a column joined from elsewhere; `frequency` has 29 values.
    assert features == ["recency_days", "frequency", "monetary", "avg_order_value", "age"]
    assert roles["rfm_score"].role == "ignore"
    assert roles["rfm_score"].reason.startswith("derived RFM score, not a feature")
    assert roles["tenure_days"].reason.startswith("RFM measure not segmented on by default")
    assert roles["share_toys"].role == "ignore"
    # Named features win: the scores are used when asked for.
    asked = roles_of(rfm_table(), {"input": {"features": ["r_score", "tenure_days"]}})
    assert (asked["r_score"], asked["tenure_days"]) == ("categorical", "numeric")
