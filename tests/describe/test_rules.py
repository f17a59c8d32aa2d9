"""Segment rules: readable thresholds that reproduce the segments, and the same in SQL."""

from __future__ import annotations

import csv
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from segmentkit.api import segment_file
from segmentkit.cli import main
from segmentkit.config import Config
from segmentkit.describe.rules import Condition, fit_rules
from segmentkit.describe.rules.sql import condition_sql, sql_script
from segmentkit.output.export import segment_rules_sql, segment_rules_table
from segmentkit.output.write import read_output_csv, write_csv
from segmentkit.pipeline import SegmentationRun, run_segmentation
from segmentkit.report import render_report
from segmentkit.sources.read import read_table

MALL_CONFIG = {
    "input.features": ["Annual Income (k$)", "Spending Score (1-100)"],
    "clustering.methods": ["kmeans"],
    "clustering.k": 5,
}
#: "... agree with the segments for 99% of customers (198 of 200)"
STATED = re.compile(r"agree with the segments for ([\d.]+)% of customers \(([\d,]+) of ([\d,]+)\)")


def quoted(name: str) -> str:
    """A double-quoted SQL identifier, written here independently of segmentkit."""
    return '"' + name.replace('"', '""') + '"'


def load_table(connection: Any, frame: pd.DataFrame, table: str = "customers") -> None:
    """Create ``table`` with the frame's own column names and types, then fill it."""
    kinds = {"i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "b": "BOOLEAN"}
    columns = ", ".join(
        f"{quoted(str(c))} {kinds.get(frame[c].dtype.kind, 'VARCHAR')}" for c in frame.columns
    )
    connection.execute(f"CREATE TABLE {quoted(table)} ({columns})")
    marks = ", ".join("?" for _ in frame.columns)
    rows = [
        tuple(None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in row)
        for row in frame.itertuples(index=False)
    ]
    connection.executemany(f"INSERT INTO {quoted(table)} VALUES ({marks})", rows)  # noqa: S608


def run_sql(connection: Any, script: str, column: str) -> list[Any]:
    """Run a ``segment_rules.sql`` script; return one output column in table order."""
    cursor = connection.execute(script)
    names = [d[0] for d in cursor.description]
    return [row[names.index(column)] for row in cursor.fetchall()]


@dataclass(frozen=True)
class MallRun:
    run: SegmentationRun
    out: Path
    table: pd.DataFrame  # the Mall CSV as read


@pytest.fixture(scope="module")
def mall(tmp_path_factory: pytest.TempPathFactory, mall_csv: Path) -> MallRun:
    out = tmp_path_factory.mktemp("mall") / "out"
    run, folder = segment_file(mall_csv, Config().with_overrides(MALL_CONFIG), out)
    return MallRun(run, folder, read_table(mall_csv).frame)


# --------------------------------------------------------------------------- the target


def test_mall_income_and_spending_rules_agree_with_kmeans(mall: MallRun) -> None:
    rules = mall.run.rules["kmeans"]
    assert rules.agreement >= 0.95
    assert len(rules.paths) <= 10  # at most 2k leaves
    assert set(rules.segments) == set(range(5))
    assert all(rules.segment_paths(s) for s in rules.segments)
    # Thresholds on the input's own units, rounded: whole numbers here.
    thresholds = [c.threshold for p in rules.paths for c in p.conditions]
    assert all(float(t).is_integer() for t in thresholds)
    assert {c.column for p in rules.paths for c in p.conditions} <= set(
        MALL_CONFIG["input.features"]
    )
    predicted = rules.predict(mall.run.prepared.cleaned)
    assert np.mean(predicted == mall.run.labels) == rules.agreement


def test_every_method_gets_rules_in_run_json_and_csv(mall: MallRun) -> None:
    table = read_output_csv(mall.out / "segment_rules.csv")
    assert list(table.columns) == [
        "method", "segment", "name", "path", "rule", "description", "customers",
        "in_segment", "precision", "method_agreement", "method_paths",
    ]  # fmt: skip
    rules = mall.run.rules["kmeans"]
    assert table["customers"].sum() == len(mall.run.labels)  # paths do not overlap
    assert table["method_agreement"].unique().tolist() == [rules.agreement]
    assert (table["precision"] == table["in_segment"] / table["customers"]).all()
    names = mall.run.profiles["kmeans"].names
    assert all(names[s] == n for s, n in zip(table["segment"], table["name"], strict=True))
    run_json = (mall.out / "run.json").read_text(encoding="utf-8")
    assert '"rules"' in run_json


def test_report_shows_the_rule_with_its_agreement(mall: MallRun) -> None:
    html = render_report(mall.out)
    rules = mall.run.rules["kmeans"]
    segment = rules.paths[0].segment
    assert f"Segment {segment}: " in html
    assert "These rules agree with the segments for" in html
    assert "k$" in html  # the rule in words, with the column's unit
    assert "segment_rules.sql" in html


def test_terminal_says_how_far_the_rules_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mall_csv: Path
) -> None:
    flags = ["--features", ",".join(MALL_CONFIG["input.features"]), "--methods", "kmeans"]
    path = str(mall_csv)
    assert main(["run", path, *flags, "--k", "5", "--out", str(tmp_path / "out"), "-q"]) == 0
    assert re.search(
        r"Segment rules: these rules agree with the segments for [\d.]+% of customers",
        capsys.readouterr().out,
    )


# --------------------------------------------------------------------------- SQL


def _stated(script: str) -> tuple[int, int]:
    found = STATED.search(script)
    assert found is not None
    return int(found.group(2).replace(",", "")), int(found.group(3).replace(",", ""))


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_sql_reproduces_the_rules_and_their_agreement(mall: MallRun, engine: str) -> None:
    if engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        connection = duckdb.connect()
    else:
        connection = sqlite3.connect(":memory:")
    load_table(connection, mall.table)
    script = (mall.out / "segment_rules.sql").read_text(encoding="utf-8")
    by_sql = run_sql(connection, script, "segment_kmeans")
    ids = run_sql(connection, script, "CustomerID")
    assert run_sql(connection, script, "segment") == by_sql  # the recommended method
    rules = mall.run.rules["kmeans"]
    expected = dict(
        zip(mall.run.prepared.ids, rules.predict(mall.run.prepared.cleaned), strict=True)
    )
    assert by_sql == [expected[i] for i in ids]
    # The stated agreement is the SQL's own, against segments.csv.
    segments = pd.read_csv(mall.out / "segments.csv", dtype={"CustomerID": str})
    segments = segments.set_index("CustomerID")["segment_kmeans"]
    agree = sum(int(s == segments[i]) for s, i in zip(by_sql, ids, strict=True))
    assert _stated(script) == (agree, len(segments))
    assert agree / len(segments) == pytest.approx(rules.agreement)


def test_hostile_names_and_values_stay_data(tmp_path: Path) -> None:
    hostile = 'x"; DROP TABLE t; --'
    quote = "it's"
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            hostile: rng.uniform(0, 20, 300).round(2),
            quote: rng.choice(["O'Brien", "D'Arcy", "Smith"], 300),
        }
    )
    labels = np.where(frame[hostile] < 10, 0, np.where(frame[quote] == "O'Brien", 1, 2))
    rules = fit_rules(frame, labels, method="planted", categorical=[quote])
    assert rules.agreement == 1.0
    names = {0: "low\nDROP TABLE t; --", 1: "*/ evil", 2: "ok"}
    script = sql_script({"planted": rules}, recommended="planted", names={"planted": names})
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (a INTEGER)")
    load_table(connection, frame)
    by_sql = run_sql(connection, script, "segment_planted")
    assert by_sql == rules.predict(frame).tolist() == labels.tolist()
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)  # t survived
    assert '"x""; DROP TABLE t; --"' in script
    assert "'O''Brien'" in script
    # A name with a newline stays inside its one-line comment.
    assert all(not line.lstrip().startswith("DROP") for line in script.splitlines()), script


def test_categorical_rule_names_the_categories_and_their_input_spellings() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "region": rng.choice(["North", "South", "East", "West"], 400),
            "age": rng.integers(18, 80, 400),
        }
    )
    labels = frame["region"].isin(["North", "South"]).to_numpy().astype(int)
    spellings = {"region": {"North": ("North", " north"), "South": ("South",)}}
    rules = fit_rules(frame, labels, categorical=["region"], spellings=spellings)
    assert rules.agreement == 1.0
    assert [p.text() for p in rules.paths] == ["region is East or West", "region is North or South"]
    assert rules.segment_words(1) == "Region is North or South"
    north = next(c for p in rules.paths for c in p.conditions if "North" in c.categories)
    assert condition_sql(north, spellings["region"]) == "\"region\" IN ('North', ' north', 'South')"
    # A category read as a number stays a number in SQL.
    coded = Condition("Channel", "in", categories=("1", "2"))
    assert condition_sql(coded, {"1": (1,), "2": (2,)}) == '"Channel" IN (1, 2)'


def test_planted_rules_are_found_exactly() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    frame = pd.DataFrame(
        {
            "income": rng.uniform(10, 150, n).round(3),
            "spending": rng.uniform(1, 100, n).round(3),
            "channel": rng.choice(["Online", "Store"], n),
            "age": rng.uniform(18, 80, n).round(1),  # unrelated
        }
    )
    truth = np.select(
        [
            frame["income"] < 50,
            frame["spending"] >= 60,
            frame["channel"] == "Online",
        ],
        [0, 1, 2],
        3,
    )
    rules = fit_rules(frame, truth, categorical=["channel"], seed=3)
    assert rules.agreement == 1.0
    assert len(rules.paths) == 4
    # The true thresholds exactly (the side a customer at 50 falls is not planted).
    found = {
        p.segment: {
            (c.column, c.threshold if not c.is_category else c.categories) for c in p.conditions
        }
        for p in rules.paths
    }
    assert found[0] == {("income", 50.0)}
    assert found[1] == {("income", 50.0), ("spending", 60.0)}
    assert found[2] == {("income", 50.0), ("spending", 60.0), ("channel", ("Online",))}
    assert found[3] == {("income", 50.0), ("spending", 60.0), ("channel", ("Store",))}
    texts = {p.segment: p.text() for p in rules.paths}
    assert "age" not in " ".join(texts.values())


def test_missing_values_follow_the_fill_or_fall_to_the_largest_segment() -> None:
    frame = pd.DataFrame(
        {
            "income": [10.0, 20.0, np.nan, 80.0, 90.0, 95.0, 30.0],
            "score": [1.0, 2.0, 3.0, 4.0, np.nan, 6.0, 7.0],
        }
    )
    labels = np.array([1, 1, 1, 0, 0, 0, 1])
    rules = fit_rules(frame, labels, fill_values={"income": 15.0})
    script = sql_script({"m": rules}, recommended="m")
    assert 'COALESCE("income", 15)' in script
    connection = sqlite3.connect(":memory:")
    load_table(connection, frame)
    by_sql = run_sql(connection, script, "segment_m")
    assert by_sql == rules.predict(frame).tolist()
    assert by_sql[2] == 1  # the missing income counts as 15
    # No fill: a NULL matches no rule and falls to ELSE, the largest segment.
    unfilled = fit_rules(frame, labels)
    assert unfilled.default == 1
    assert unfilled.predict(frame)[2] == 1
    assert "ELSE 1" in sql_script({"m": unfilled}, recommended="m")


def test_date_rules_compare_iso_dates() -> None:
    days = pd.Series(np.arange(0, 1000, 7, dtype=float))
    reference = "2024-06-30T00:00:00"
    frame = pd.DataFrame({"signup": days})
    dates = pd.Timestamp(reference) - pd.to_timedelta(days, unit="D")
    labels = (dates < pd.Timestamp("2023-01-01")).to_numpy().astype(int)
    rules = fit_rules(frame, labels, date_references={"signup": reference})
    assert rules.agreement == 1.0
    assert {p.text() for p in rules.paths} == {"signup < 2023-01-01", "signup >= 2023-01-01"}
    connection = sqlite3.connect(":memory:")
    load_table(connection, pd.DataFrame({"signup": dates.dt.strftime("%Y-%m-%d")}))
    script = sql_script({"m": rules}, recommended="m", dates=["signup"])
    assert run_sql(connection, script, "segment_m") == labels.tolist()


def test_noise_is_a_class_of_its_own_and_never_the_default() -> None:
    values = np.r_[np.linspace(0, 10, 50), np.linspace(20, 30, 40), [100.0, 110.0, 120.0]]
    labels = np.r_[np.zeros(50, int), np.ones(40, int), -np.ones(3, int)]
    rules = fit_rules(pd.DataFrame({"v": values}), labels)
    assert rules.default == 0
    assert rules.agreement == 1.0
    assert "THEN -1" in sql_script({"dbscan": rules}, recommended="dbscan")


def test_outliers_shape_no_rule_but_count_in_the_agreement() -> None:
    values = np.r_[np.linspace(0, 10, 50), np.linspace(20, 30, 50)]
    labels = np.r_[np.zeros(50, int), np.ones(50, int)]
    labels[0] = 1  # an outlier the method put far from its like
    fit_mask = np.ones(100, dtype=bool)
    fit_mask[0] = False
    rules = fit_rules(pd.DataFrame({"v": values}), labels, fit_mask=fit_mask)
    assert len(rules.paths) == 2
    assert rules.agreement == 0.99


# --------------------------------------------------------------------------- contracts


def test_same_bytes_twice(tmp_path: Path, mall_csv: Path) -> None:
    frame = read_table(mall_csv).frame
    config = Config().with_overrides(
        {"clustering.methods": ["kmeans", "gmm"], "clustering.stability.n_resamples": 0}
    )
    written = []
    for name in ("a", "b"):
        run = run_segmentation(frame, config)
        write_csv(segment_rules_table(run), tmp_path / f"{name}.csv")
        (tmp_path / f"{name}.sql").write_text(segment_rules_sql(run), encoding="utf-8")
        written.append(
            ((tmp_path / f"{name}.csv").read_bytes(), (tmp_path / f"{name}.sql").read_bytes())
        )
    assert written[0] == written[1]


def test_input_not_modified() -> None:
    frame = pd.DataFrame({"v": [1.0, np.nan, 3.0, 4.0], "c": ["a", "b", None, "a"]})
    before = frame.copy()
    fit_rules(frame, np.array([0, 0, 1, 1]), categorical=["c"], fill_values={"v": 2.0})
    pd.testing.assert_frame_equal(frame, before)


def test_every_output_file_is_csv_safe(mall: MallRun) -> None:
    with (mall.out / "segment_rules.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.reader(stream):
            assert not any(cell.startswith(("=", "+", "@")) for cell in row)


def test_a_category_missing_without_a_fill_still_gives_valid_sql() -> None:
    frame = pd.DataFrame({"c": ["a", "b", None, None, "a", "b", None, "a"]})
    labels = np.array([0, 0, 1, 1, 0, 0, 1, 0])
    rules = fit_rules(frame, labels, categorical=["c"])
    connection = sqlite3.connect(":memory:")
    load_table(connection, frame)
    by_sql = run_sql(connection, sql_script({"m": rules}, recommended="m"), "segment_m")
    assert by_sql == rules.predict(frame).tolist()
    assert np.mean(np.array(by_sql) == labels) == rules.agreement


def _neighbours_by_sorting(values: np.ndarray, fill: float | None, threshold: float) -> tuple:
    """The rounding's neighbours as they were found before: every value sorted once."""
    if fill is not None:
        values = np.where(np.isnan(values), fill, values)
    ordered = np.unique(values[~np.isnan(values)])
    position = int(np.searchsorted(ordered, threshold, side="right"))
    if position == 0 or position == len(ordered):
        return None
    return float(ordered[position - 1]), float(ordered[position])


@pytest.mark.parametrize("seed", range(30))
def test_rounding_neighbours_equal_those_of_every_value_sorted(seed: int) -> None:
    """Two passes find the same nearest values on each side as sorting (NaN, fills, ties)."""
    from segmentkit.describe.rules.tree import Column, ColumnValues, Rounder

    rng = np.random.default_rng(seed)
    values = rng.integers(0, 12, int(rng.integers(1, 40))).astype(float)
    values[rng.random(len(values)) < 0.2] = np.nan
    fill = [None, 3.0, 11.5, -1.0][seed % 4]
    data = ColumnValues(pd.DataFrame({"x": values}))
    rounder = Rounder(data, {} if fill is None else {"x": fill}, [Column("x")], {})
    for threshold in (-2.0, 0.0, 2.5, 3.0, 5.5, 11.0, 11.5, 20.0):
        expected = _neighbours_by_sorting(values, fill, threshold)
        low, high = rounder._neighbours("x", threshold)
        got = None if np.isinf(low) or np.isinf(high) else (low, high)
        assert got == expected, (threshold, fill)


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "in", "not in"])
def test_a_condition_holds_alike_on_a_frame_its_coded_columns_and_categoricals(op: str) -> None:
    """Kept codes and numbers give what the frame gives; a missing value counts as the fill."""
    from segmentkit.describe.rules.tree import ColumnValues

    frame = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, 4.0, np.nan, 6.0],
            "c": ["a", "b", None, "a", "c", "b"],
        }
    )
    numeric = op not in ("in", "not in")
    for fill in (None, 3.0 if numeric else "b"):
        condition = (
            Condition("x", op, threshold=3.0, fill=fill)  # type: ignore[arg-type]
            if numeric
            else Condition("c", op, categories=("a", "b"), fill=fill)  # type: ignore[arg-type]
        )
        on_frame = condition.holds(frame)
        filled = frame.fillna({"x": fill} if numeric else {"c": fill}) if fill else frame
        expected = Condition(condition.column, op, condition.threshold, condition.categories)
        assert on_frame.tolist() == expected.holds(filled).tolist()
        coded = ColumnValues(frame.assign(c=frame["c"].astype("category")))
        assert condition.holds(coded).tolist() == on_frame.tolist()
        assert condition.holds(coded).tolist() == on_frame.tolist()  # kept, not spent


def test_input_spellings_keep_values_python_calls_equal_apart() -> None:
    """``True`` and ``1`` (and ``-0.0`` and ``0.0``) are each their own category's spelling."""
    from segmentkit.describe.rules.fit import _distinct_pairs

    mixed = pd.Series([1, True, 0, False, 1, None], dtype=object)
    texts = pd.Series(["1", "True", "0", "False", "1", None], dtype="string")
    pairs = _distinct_pairs(texts, mixed)
    assert [(c, v, type(v)) for c, v in pairs] == [
        ("1", 1, int),
        ("True", True, bool),
        ("0", 0, int),
        ("False", False, bool),
    ]
    zeros = pd.Series([-0.0, 0.0, 2.0])
    pairs = _distinct_pairs(pd.Series(["-0.0", "0.0", "2.0"], dtype="string"), zeros)
    assert [(c, str(v)) for c, v in pairs] == [("-0.0", "-0.0"), ("0.0", "0.0"), ("2.0", "2.0")]
    # Texts: counted from codes, the same pairs in the same order.
    words = pd.Series(["b", "a", "b", None, "c"], dtype="str")
    cleaned = pd.Series(["B", "A", "B", "C", "C"], dtype="string")
    assert _distinct_pairs(cleaned, words) == [("B", "b"), ("A", "a"), ("C", "c")]
