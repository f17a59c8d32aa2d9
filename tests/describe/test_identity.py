"""Segments that keep their identity across re-runs (``segmentkit run --previous OLD``).

Unit tests of :func:`segmentkit.describe.identity.match_segments` on hand-built profiles, then end
to end on 600 synthetic customers with four planted segments: the same customers again
(shuffled), customers moved from one planted segment to another, a different k, the
report and the CLI's errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from helpers import invoke_cli, read_run_json
from segmentkit.cli import main
from segmentkit.config import load_config
from segmentkit.datasets import make_customers
from segmentkit.describe.identity import Identity, PreviousRun, load_previous, match_segments
from segmentkit.pipeline import SegmentationRun, run_segmentation
from segmentkit.scoring.model import SegmentationModel
from segmentkit.sources.read import read_table

# --------------------------------------------------------------------------- match_segments

OLD = pd.DataFrame(
    {"a": [1.0, -1.0, 0.0], "b": [0.0, 1.0, -1.0], "c": [0.5, 0.5, -1.0]}, index=[0, 1, 2]
)
OLD_NAMES = {0: "High a", 1: "High b", 2: "Low b"}


def rms(x: list[float], y: list[float]) -> float:
    """Root-mean-square difference, by hand."""
    return float(np.sqrt(np.mean((np.asarray(x) - np.asarray(y)) ** 2)))


def test_a_permutation_is_undone_exactly() -> None:
    # New segment 0 is old 2, new 1 is old 0, new 2 is old 1.
    new = OLD.iloc[[2, 0, 1]].set_axis([0, 1, 2])
    identity = match_segments(new, OLD, OLD_NAMES, max_distance=0.75)
    assert identity.mapping == {0: 2, 1: 0, 2: 1}
    assert identity.matched == {0: 0.0, 1: 0.0, 2: 0.0}
    assert identity.names == OLD_NAMES
    assert identity.new_segments == []
    assert identity.vanished == []


def test_names_are_carried_for_matched_segments_only() -> None:
    new = OLD.iloc[[1, 0]].set_axis([0, 1])
    identity = match_segments(new, OLD, OLD_NAMES, max_distance=0.75)
    assert identity.mapping == {0: 1, 1: 0}
    assert identity.names == {0: "High a", 1: "High b"}
    assert identity.vanished == [2]
    # A matched segment without a known old name carries none.
    identity = match_segments(new, OLD, {0: "High a"}, max_distance=0.75)
    assert identity.names == {0: "High a"}


def test_distances_are_the_root_mean_square_difference() -> None:
    new = pd.DataFrame(
        {"a": [-0.8, 1.3, 0.1], "b": [1.2, 0.1, -0.7], "c": [0.2, 0.5, -1.4]}, index=[0, 1, 2]
    )
    identity = match_segments(new, OLD, OLD_NAMES, max_distance=0.75)
    assert identity.mapping == {0: 1, 1: 0, 2: 2}
    assert identity.matched == pytest.approx(
        {
            0: rms([1.3, 0.1, 0.5], [1.0, 0.0, 0.5]),
            1: rms([-0.8, 1.2, 0.2], [-1.0, 1.0, 0.5]),
            2: rms([0.1, -0.7, -1.4], [0.0, -1.0, -1.0]),
        },
        abs=1e-12,
    )
    assert identity.matched[1] == pytest.approx(np.sqrt((0.04 + 0.04 + 0.09) / 3), abs=1e-12)
    assert identity.describe() == {
        "matched": {str(s): round(d, 4) for s, d in identity.matched.items()},
        "new_segments": [],
        "vanished": [],
    }


def test_only_shared_columns_count() -> None:
    # "a" is in both; "x" only in new and "c" only in old are ignored.
    new = pd.DataFrame({"x": [9.0, -9.0], "a": [0.9, -0.7]}, index=[0, 1])
    old = pd.DataFrame({"a": [-1.0, 1.0], "c": [5.0, -5.0]}, index=[0, 1])
    identity = match_segments(new, old, {0: "low", 1: "high"}, max_distance=0.75)
    assert identity.mapping == {0: 1, 1: 0}
    assert identity.matched == pytest.approx({0: 0.3, 1: 0.1}, abs=1e-12)


def test_the_total_distance_is_smallest_not_the_first_best_pair() -> None:
    # Greedy would pair new 0 with old 0 (0.1) and leave new 1 with old 1 (0.45): 0.55.
    # The best assignment is new 0 -> old 1 (0.2) and new 1 -> old 0 (0.15): 0.35.
    old = pd.DataFrame({"a": [0.0, 0.3]}, index=[0, 1])
    new = pd.DataFrame({"a": [0.1, -0.15]}, index=[0, 1])
    identity = match_segments(new, old, {0: "zero", 1: "some"}, max_distance=0.5)
    assert identity.mapping == {0: 1, 1: 0}
    assert identity.matched == pytest.approx({0: 0.15, 1: 0.2}, abs=1e-12)


def test_a_segment_too_far_from_every_old_one_is_new_and_its_partner_vanished() -> None:
    new = pd.DataFrame(
        {"a": [1.0, -1.0, 4.0], "b": [0.0, 1.0, 4.0], "c": [0.5, 0.5, 4.0]}, index=[0, 1, 2]
    )
    identity = match_segments(new, OLD, OLD_NAMES, max_distance=0.75)
    assert identity.mapping == {0: 0, 1: 1, 2: 3}  # max(old) + 1
    assert identity.matched == {0: 0.0, 1: 0.0}
    assert identity.new_segments == [3]
    assert identity.vanished == [2]
    assert identity.names == {0: "High a", 1: "High b"}


def test_the_distance_limit_is_inclusive() -> None:
    old = pd.DataFrame({"a": [0.0]}, index=[0])
    new = pd.DataFrame({"a": [0.5]}, index=[0])
    assert match_segments(new, old, {0: "n"}, max_distance=0.5).mapping == {0: 0}
    identity = match_segments(new, old, {0: "n"}, max_distance=0.49)
    assert identity.mapping == {0: 1}
    assert (identity.new_segments, identity.vanished) == ([1], [0])


def test_more_new_segments_than_old() -> None:
    # k grows from 3 to 5: the two extra segments are numbered after the highest old one.
    new = pd.DataFrame(
        {
            "a": [3.0, 0.0, 1.1, -3.0, -0.9],
            "b": [3.0, -1.1, 0.0, -3.0, 1.0],
            "c": [3.0, -0.9, 0.4, -3.0, 0.6],
        },
        index=[0, 1, 2, 3, 4],
    )
    identity = match_segments(new, OLD, OLD_NAMES, max_distance=0.75)
    assert identity.mapping == {0: 3, 1: 2, 2: 0, 3: 4, 4: 1}
    assert sorted(identity.matched) == [0, 1, 2]
    assert identity.new_segments == [3, 4]  # in the order of the new segments
    assert identity.vanished == []


def test_new_numbers_follow_the_highest_old_number_not_the_count() -> None:
    # An earlier run left a gap (segment 1 vanished before): old numbers 0, 2 and 5.
    old = OLD.set_axis([0, 2, 5])
    new = pd.DataFrame(
        {"a": [1.0, 0.0, 2.5], "b": [0.0, -1.0, -2.5], "c": [0.5, -1.0, 2.5]}, index=[0, 1, 2]
    )
    identity = match_segments(new, old, {0: "A", 2: "B", 5: "C"}, max_distance=0.75)
    assert identity.mapping == {0: 0, 1: 5, 2: 6}
    assert identity.new_segments == [6]
    assert identity.vanished == [2]
    assert identity.names == {0: "A", 5: "C"}


def test_fewer_new_segments_than_old() -> None:
    # k shrinks from 3 to 2: the unpaired old segment vanished, nothing is new.
    new = pd.DataFrame({"a": [0.1, -1.0], "b": [-1.0, 0.9], "c": [-1.0, 0.5]}, index=[0, 1])
    identity = match_segments(new, OLD, OLD_NAMES, max_distance=0.75)
    assert identity.mapping == {0: 2, 1: 1}
    assert identity.matched == pytest.approx(
        {1: rms([-1, 0.9, 0.5], [-1, 1, 0.5]), 2: 0.1 / 3**0.5}
    )
    assert identity.new_segments == []
    assert identity.vanished == [0]
    assert identity.names == {1: "High b", 2: "Low b"}


def test_no_shared_columns_matches_nothing() -> None:
    new = pd.DataFrame({"x": [1.0, -1.0]}, index=[0, 1])
    identity = match_segments(new, OLD, OLD_NAMES, max_distance=0.75)
    assert identity == Identity(
        mapping={0: 3, 1: 4}, names={}, matched={}, new_segments=[3, 4], vanished=[0, 1, 2]
    )


def test_no_old_segments_numbers_from_zero() -> None:
    new = pd.DataFrame({"a": [1.0, -1.0]}, index=[0, 1])
    identity = match_segments(new, OLD.iloc[:0], {}, max_distance=0.75)
    assert identity.mapping == {0: 0, 1: 1}
    assert (identity.matched, identity.new_segments, identity.vanished) == ({}, [0, 1], [])


# --------------------------------------------------------------------------- end to end

N_ROWS = 600
# Only K-Means at k=4 (identity is not about k), and a light stability and explanation.
FAST = {
    "clustering": {"methods": ["kmeans"], "k": 4, "stability": {"n_resamples": 0}},
    "explain": {"n_estimators": 20, "n_repeats": 1},
}


@dataclass(frozen=True)
class First:
    """Run 1: the planted customers segmented into ``out``."""

    folder: Path
    config_path: Path
    input_path: Path
    out: Path
    frame: pd.DataFrame  # as make_customers made it
    planted: np.ndarray
    segments: pd.DataFrame  # out/segments.csv
    profiles: pd.DataFrame


@dataclass(frozen=True)
class Output:
    code: int
    stdout: str
    stderr: str
    out: Path

    def csv(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.out / name)

    def run_json(self) -> dict[str, Any]:
        return read_run_json(self.out)


def run_into(out: Path, *args: object) -> Output:
    """``segmentkit run *args --out out`` in-process (module fixtures cannot use capsys)."""
    return Output(*invoke_cli("run", *args, "--out", out), out)


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> First:
    folder = tmp_path_factory.mktemp("identity")
    config_path = folder / "fast.json"
    config_path.write_text(json.dumps(FAST), encoding="utf-8")
    data = make_customers(N_ROWS, n_segments=4, seed=1)
    input_path = folder / "run1.csv"
    data.frame.to_csv(input_path, index=False)
    result = run_into(folder / "A", input_path, "--config", config_path, "-q")
    assert result.code == 0, result.stderr
    return First(
        folder=folder,
        config_path=config_path,
        input_path=input_path,
        out=result.out,
        frame=data.frame,
        planted=data.labels,
        segments=result.csv("segments.csv"),
        profiles=result.csv("segment_profiles.csv"),
    )


def previous_of(first: First) -> PreviousRun:
    return load_previous(first.out)


def rerun(first: First, frame: pd.DataFrame, **overrides: Any) -> SegmentationRun:
    """Run 2 in memory (nothing written) with ``--previous`` = run 1."""
    config = load_config(first.config_path).with_overrides(overrides)
    return run_segmentation(frame, config, previous=previous_of(first))


def run1_frame(first: First) -> pd.DataFrame:
    """Run 1's input exactly as the CLI read it."""
    return read_table(first.input_path).frame


def test_run1_recovers_the_planted_segments(first: First) -> None:
    # The premise of the end-to-end tests: one run-1 segment per planted segment.
    crosstab = pd.crosstab(first.segments["segment_kmeans"], first.planted)
    assert (crosstab.max(axis=1) >= 0.98 * crosstab.sum(axis=1)).all()
    assert sorted(crosstab.idxmax(axis=1)) == [0, 1, 2, 3]


# --------------------------------------------------------------------------- the same customers


@pytest.fixture(scope="module")
def shuffled(first: First) -> Output:
    frame = first.frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert frame["customer_id"].tolist() != first.frame["customer_id"].tolist()
    path = first.folder / "run2_shuffled.csv"
    frame.to_csv(path, index=False)
    result = run_into(
        first.folder / "B", path, "--config", first.config_path, "--previous", first.out
    )
    assert result.code == 0, result.stderr
    return result


def test_every_customer_keeps_its_segment_and_name(first: First, shuffled: Output) -> None:
    new = shuffled.csv("segments.csv")
    assert new["customer_id"].tolist() != first.segments["customer_id"].tolist()
    joined = first.segments.merge(new, on="customer_id", suffixes=("_1", "_2"), validate="1:1")
    assert len(joined) == N_ROWS
    for column in ("segment", "segment_name", "segment_kmeans"):
        assert (joined[f"{column}_1"] == joined[f"{column}_2"]).all(), column
    # The profiles carry the same names for the same numbers.
    old = first.profiles.set_index("segment")["name"]
    new_names = shuffled.csv("segment_profiles.csv").set_index("segment")["name"]
    pd.testing.assert_series_equal(new_names.sort_index(), old.sort_index())


def test_migration_of_the_same_customers_is_diagonal(first: First, shuffled: Output) -> None:
    migration = shuffled.csv("segment_migration.csv")
    assert list(migration.columns) == [
        "method",
        "old_segment",
        "old_name",
        "new_segment",
        "new_name",
        "customers",
    ]
    assert set(migration["method"]) == {"kmeans"}
    moved = migration[migration["customers"] > 0]
    assert (moved["old_segment"] == moved["new_segment"]).all()
    assert (moved["old_name"] == moved["new_name"]).all()
    sizes = first.segments["segment_kmeans"].value_counts()
    assert dict(zip(moved["old_segment"], moved["customers"], strict=True)) == sizes.to_dict()
    run1 = read_run_json(first.out)
    recorded = run1["methods"]["kmeans"]["segment_sizes"]
    assert {int(s): n for s, n in recorded.items()} == sizes.to_dict()
    assert migration["customers"].sum() == N_ROWS


def test_run_json_records_the_match(first: First, shuffled: Output) -> None:
    previous = shuffled.run_json()["previous"]
    assert previous["folder"] == str(first.out)
    assert previous["customers_in_both"] == N_ROWS
    kmeans = previous["methods"]["kmeans"]
    assert sorted(kmeans["matched"]) == ["0", "1", "2", "3"]
    # The same customers give the same profiles: distance 0.
    assert all(d == pytest.approx(0.0, abs=1e-4) for d in kmeans["matched"].values())
    assert (kmeans["new_segments"], kmeans["vanished"]) == ([], [])


def test_cli_says_the_segments_kept_their_identity(first: First, shuffled: Output) -> None:
    line = (
        f"Compared with {first.out}: 4 segments kept their identity, new: none, "
        "vanished: none (see segment_migration.csv)"
    )
    assert line in shuffled.stdout.splitlines()


def test_report_shows_the_migration(shuffled: Output) -> None:
    html = (shuffled.out / "report.html").read_text(encoding="utf-8")
    assert html.count('id="figure-migration"') == 1
    assert "4 segments kept their identity" in html


def test_a_run_without_previous_has_no_migration(first: First) -> None:
    assert not (first.out / "segment_migration.csv").exists()
    html = (first.out / "report.html").read_text(encoding="utf-8")
    assert 'id="figure-migration"' not in html
    run_json = read_run_json(first.out)
    assert run_json["previous"] is None


def test_numbers_follow_identity_not_size(first: First) -> None:
    # Keep only 60 customers of run 1's largest segment 0: on its own, K-Means numbers
    # segments by size, so that segment becomes 3; with --previous it stays 0.
    frame = run1_frame(first)
    segment = first.segments["segment_kmeans"].to_numpy()
    rng = np.random.default_rng(3)
    drop = rng.choice(np.flatnonzero(segment == 0), size=(segment == 0).sum() - 60, replace=False)
    keep = np.setdiff1d(np.arange(N_ROWS), drop)
    config = load_config(first.config_path)
    alone = run_segmentation(frame.iloc[keep], config).results["kmeans"].labels
    run = rerun(first, frame.iloc[keep])
    carried = run.results["kmeans"].labels
    old = segment[keep]
    assert (pd.crosstab(old, alone).to_numpy() > 0).sum() == 4  # one-to-one
    assert set(alone[old == 0]) == {3}  # the smallest now
    np.testing.assert_array_equal(carried, old)
    # The saved model scores with the carried numbers too.
    scored = SegmentationModel.from_run(run).score(frame.iloc[keep])
    np.testing.assert_array_equal(scored["segment_kmeans"].to_numpy(), old)


# --------------------------------------------------------------------------- moved customers

PLANTED_FROM, PLANTED_TO = 0, 1  # Young budget shoppers -> Affluent loyalists
N_MOVED, N_DROPPED, N_ADDED = 30, 15, 20


@dataclass(frozen=True)
class Moved:
    result: Output
    moved_ids: set[str]
    old_from: int  # run 1's segment of the planted "from" segment
    old_to: int


@pytest.fixture(scope="module")
def moved(first: First) -> Moved:
    frame = first.frame.copy()
    segments = first.segments
    old_segment = segments["segment_kmeans"].to_numpy()
    typical = ~segments["is_outlier"].to_numpy()
    old_from = int(pd.Series(old_segment[first.planted == PLANTED_FROM]).mode()[0])
    old_to = int(pd.Series(old_segment[first.planted == PLANTED_TO]).mode()[0])
    assert old_from != old_to

    # The donor: the typical member of the target segment nearest its median customer.
    numeric = frame.select_dtypes("number")
    z = (numeric - numeric.mean()) / numeric.std()
    complete = frame.notna().all(axis=1).to_numpy()
    candidates = np.flatnonzero(
        (first.planted == PLANTED_TO) & typical & complete & (old_segment == old_to)
    )
    centre = z.iloc[candidates].median()
    donor = candidates[int(np.argmin(((z.iloc[candidates] - centre) ** 2).sum(axis=1)))]

    rng = np.random.default_rng(11)
    sources = np.flatnonzero((first.planted == PLANTED_FROM) & typical & (old_segment == old_from))
    moved_rows = rng.choice(sources, size=N_MOVED, replace=False)
    is_moved = np.isin(np.arange(N_ROWS), moved_rows)
    for column in frame.columns.drop("customer_id"):
        frame[column] = frame[column].mask(is_moved, frame[column].iloc[donor])

    # Some customers left, some joined (copies of existing customers under new ids).
    others = np.setdiff1d(np.arange(N_ROWS), moved_rows)
    dropped = rng.choice(others, size=N_DROPPED, replace=False)
    joined = frame.iloc[rng.choice(others, size=N_ADDED, replace=False)].copy()
    joined["customer_id"] = [f"N{i:06d}" for i in range(1, N_ADDED + 1)]
    frame = pd.concat([frame.drop(index=frame.index[dropped]), joined], ignore_index=True)

    path = first.folder / "run2_moved.csv"
    frame.to_csv(path, index=False)
    result = run_into(
        first.folder / "C", path, "--config", first.config_path, "--previous", first.out, "-q"
    )
    assert result.code == 0, result.stderr
    ids = set(first.segments["customer_id"].iloc[moved_rows])
    return Moved(result, ids, old_from, old_to)


def joined_assignments(first: First, moved: Moved) -> pd.DataFrame:
    new = moved.result.csv("segments.csv")
    return first.segments[["customer_id", "segment_kmeans"]].merge(
        new[["customer_id", "segment_kmeans"]],
        on="customer_id",
        suffixes=("_old", "_new"),
        validate="1:1",
    )


def test_segments_are_still_matched_after_the_move(moved: Moved) -> None:
    kmeans = moved.result.run_json()["previous"]["methods"]["kmeans"]
    assert sorted(kmeans["matched"]) == ["0", "1", "2", "3"]
    assert (kmeans["new_segments"], kmeans["vanished"]) == ([], [])


def test_migration_counts_the_moved_customers(first: First, moved: Moved) -> None:
    joined = joined_assignments(first, moved)
    was_moved = joined["customer_id"].isin(moved.moved_ids)
    assert was_moved.sum() == N_MOVED
    # By hand: the moved customers who went from the "from" segment to the "to" one.
    moved_to = joined[
        was_moved
        & (joined["segment_kmeans_old"] == moved.old_from)
        & (joined["segment_kmeans_new"] == moved.old_to)
    ]
    assert len(moved_to) >= 25, "the move was not detected"
    migration = moved.result.csv("segment_migration.csv")
    row = migration[
        (migration["old_segment"] == moved.old_from) & (migration["new_segment"] == moved.old_to)
    ]
    assert row["customers"].tolist() == [len(moved_to)]
    # Everyone else stays where they were, give or take a few at the borders.
    stayed = joined[~was_moved]
    assert (stayed["segment_kmeans_old"] != stayed["segment_kmeans_new"]).sum() <= 5


def test_migration_table_is_the_crosstab_of_customers_in_both_runs(
    first: First, moved: Moved
) -> None:
    joined = joined_assignments(first, moved)
    assert len(joined) == N_ROWS - N_DROPPED  # the new ids are in run 2 only
    by_hand = joined.groupby(["segment_kmeans_old", "segment_kmeans_new"]).size()
    migration = moved.result.csv("segment_migration.csv").set_index(["old_segment", "new_segment"])
    assert migration["customers"].to_dict() == by_hand.to_dict()
    assert migration["customers"].sum() == N_ROWS - N_DROPPED
    assert moved.result.run_json()["previous"]["customers_in_both"] == N_ROWS - N_DROPPED
    # Names: run 1's for the old segment, run 2's for the new one.
    old_names = dict(zip(first.profiles["segment"], first.profiles["name"], strict=True))
    profiles = moved.result.csv("segment_profiles.csv")
    new_names = dict(zip(profiles["segment"], profiles["name"], strict=True))
    table = migration.reset_index()
    assert table["old_name"].tolist() == [old_names[s] for s in table["old_segment"]]
    assert table["new_name"].tolist() == [new_names[s] for s in table["new_segment"]]


def test_customers_only_in_run_2_get_a_segment_but_no_migration(moved: Moved) -> None:
    new = moved.result.csv("segments.csv")
    added = new[new["customer_id"].str.startswith("N")]
    assert len(added) == N_ADDED
    assert added["segment_kmeans"].between(0, 3).all()


# --------------------------------------------------------------------------- a different k


def test_k_grows_one_segment_is_new(first: First) -> None:
    run = rerun(first, run1_frame(first), **{"clustering.k": 5})
    identity = run.identities["kmeans"]
    assert identity.new_segments == [4]  # max old + 1
    assert sorted(identity.matched) == [0, 1, 2, 3]
    assert identity.vanished == []
    assert sorted(set(run.results["kmeans"].labels)) == [0, 1, 2, 3, 4]
    names = run.profiles["kmeans"].names
    old_names = first.profiles.set_index("segment")["name"]
    assert all(names[s] == old_names[s] for s in range(4))
    assert names[4] not in set(old_names)
    migration = run.migration
    assert migration is not None
    assert migration["customers"].sum() == N_ROWS
    assert migration.loc[migration["new_segment"] == 4, "customers"].sum() > 0


def test_k_shrinks_one_segment_vanishes(first: First) -> None:
    # Agglomerative was not in run 1: it keeps its own numbers and has no migration.
    run = rerun(
        first,
        run1_frame(first),
        **{"clustering.k": 3, "clustering.methods": ["kmeans", "agglomerative"]},
    )
    identity = run.identities["kmeans"]
    # Run 1's segment 3 (young budget shoppers) merges into segment 0 at k=3.
    assert identity.vanished == [3]
    assert identity.new_segments == []
    assert sorted(identity.matched) == [0, 1, 2]
    assert sorted(set(run.results["kmeans"].labels)) == sorted(identity.matched)
    assert set(identity.matched) | set(identity.vanished) == {0, 1, 2, 3}
    assert "agglomerative" not in run.identities
    assert sorted(set(run.results["agglomerative"].labels)) == [0, 1, 2]
    assert run.migration is not None
    assert set(run.migration["method"]) == {"kmeans"}
    assert run.migration["customers"].sum() == N_ROWS
    assert not (run.migration["new_segment"] == identity.vanished[0]).any()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kind", ["empty folder", "missing path", "a file", "incomplete output"])
def test_previous_that_is_not_an_output(
    first: First, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    previous = tmp_path / "previous"
    if kind == "empty folder":
        previous.mkdir()
    elif kind == "a file":
        previous.write_text("not a folder\n", encoding="utf-8")
    elif kind == "incomplete output":
        previous.mkdir()
        (previous / "segments.csv").write_bytes((first.out / "segments.csv").read_bytes())
    out = tmp_path / "out"
    args = ["--config", first.config_path, "--previous", previous, "--out", out]
    code = main(["run", str(first.input_path), *map(str, args)])
    stdout, err = capsys.readouterr()
    assert code == 1, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert errors[0].startswith(f"error: --previous {previous} is not a segmentkit output folder")
    if kind in ("empty folder", "incomplete output"):
        missing = (
            "segment_profiles.csv, run.json"
            if kind == "incomplete output"
            else ("segment_profiles.csv, segments.csv, run.json")
        )
        assert f"(missing {missing})" in errors[0]
    assert stdout == ""
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"previous"}


# --------------------------------------------------------------------------- bugs


def test_integer_ids_with_one_blank_still_match(
    first: First, tmp_path: Path, small_customers: pd.DataFrame
) -> None:
    frame = small_customers
    frame["customer_id"] = pd.array(range(1001, 1301), dtype="Int64")
    frame.to_csv(tmp_path / "q1.csv", index=False)
    flags = ("--config", first.config_path, "--k", "3", "-q")
    result = run_into(tmp_path / "q1", tmp_path / "q1.csv", *flags)
    assert result.code == 0, result.stderr
    frame.loc[5, "customer_id"] = pd.NA  # next quarter's file has one row without an id
    frame.to_csv(tmp_path / "q2.csv", index=False)
    lines = (tmp_path / "q2.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("1001,")  # integers in the file, as in run 1's
    assert lines[6].startswith(",")
    config = load_config(first.config_path).with_overrides({"clustering.k": 3})
    run = run_segmentation(
        read_table(tmp_path / "q2.csv").frame, config, previous=load_previous(tmp_path / "q1")
    )
    assert len(run.prepared.ids) == 299  # the row without an id is dropped
    assert run.migration is not None
    assert run.migration["customers"].sum() == 299
