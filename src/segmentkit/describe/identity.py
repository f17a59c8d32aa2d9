"""Segments that keep their identity across re-runs (``segmentkit run --previous OLD``).

Each method's new segments are matched to the previous run's by their profiles: every
segment is a vector of standardised differences from all customers (the ``<f>_z``
columns of ``segment_profiles.csv``, on the features both runs share), and the
Hungarian algorithm pairs new and old segments so the total distance is smallest. A
pair further apart than ``identity.max_distance`` (root-mean-square of the differences,
in standard deviations) is not the same segment: the new one is reported as new and the
old one as vanished. Matched segments take the old number and name; new ones are
numbered after the highest old number. Customers present in both runs are counted in a
migration table (old segment × new segment).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from segmentkit.describe.profiles import standardised_differences
from segmentkit.errors import DataError
from segmentkit.methods import MethodResult
from segmentkit.methods.base import SegmentAssigner
from segmentkit.output.folder import PROFILES_FILE, SUMMARY_FILE, OutputFolder
from segmentkit.prepare.transformer import PreparedData
from segmentkit.text import plural

__all__ = [
    "Identity",
    "PreviousRun",
    "carried_choices",
    "carry_identities",
    "check_comparable",
    "load_previous",
    "match_segments",
    "migration_table",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreviousRun:
    """What is needed from an earlier output folder.

    Attributes
    ----------
    folder : Path
        The folder.
    profiles : pandas.DataFrame
        Its ``segment_profiles.csv``.
    assignments : pandas.DataFrame
        ``id`` (as text) and ``segment_<method>`` per method, from its ``segments.csv``.
    chosen_names : dict
        Method to segment number to the names people chose (``run.json``
        ``segment_names``: ``profiles.names`` or ``segmentkit rename``); matched segments
        keep them as chosen names.
    features : tuple of str
        The columns it segmented on (``run.json`` ``features``); empty when the folder
        does not record them.
    """

    folder: Path
    profiles: pd.DataFrame
    assignments: pd.DataFrame
    chosen_names: dict[str, dict[int, str]] = field(default_factory=dict)
    features: tuple[str, ...] = ()


def load_previous(folder: str | Path) -> PreviousRun:
    """Read the profiles and assignments of a previous output folder.

    Raises
    ------
    DataError
        When the folder is not a complete segmentkit output.
    """
    folder = Path(folder)
    output = OutputFolder(folder)
    # segments.csv, or segments.parquet from a run with output.format "parquet".
    needed = (PROFILES_FILE, output.segments_file.name, SUMMARY_FILE)
    missing = [n for n in needed if not (folder / n).is_file()]
    if not folder.is_dir() or missing:
        raise DataError(
            f"--previous {folder} is not a segmentkit output folder"
            + (f" (missing {', '.join(missing)})" if folder.is_dir() else ""),
            hint="point --previous at the folder an earlier `segmentkit run` wrote",
        )
    try:
        profiles = output.read_profiles()
        segments = output.read_segments(text=True)
        summary = output.load_summary()
        chosen = {
            str(method): {int(s): str(n) for s, n in names.items()}
            for method, names in (summary.get("segment_names") or {}).items()
        }
    except (OSError, ValueError, AttributeError, TypeError) as error:
        raise DataError(f"cannot read --previous {folder}: {error}") from None
    columns = [c for c in segments.columns if c.startswith("segment_") and c != "segment_name"]
    assignments = pd.DataFrame({"id": segments.iloc[:, 0].astype(str)})
    for column in columns:
        assignments[column] = pd.to_numeric(segments[column], errors="coerce")
    features = summary.get("features")
    return PreviousRun(
        folder,
        profiles,
        assignments,
        chosen,
        features=tuple(str(f) for f in features) if isinstance(features, list) else (),
    )


def check_comparable(previous: PreviousRun, features: list[str]) -> None:
    """Refuse a previous run on other data: one that shares no feature with this run.

    Segments are matched on the features both runs share, and customers by id; with
    no feature in common nothing can match, and ids that happen to coincide (row
    numbers, say) would count unrelated customers as "in both runs". Called as soon as
    the features are known, before any segmentation.

    Parameters
    ----------
    previous : PreviousRun
        The earlier run.
    features : list of str
        This run's features (original column names).

    Raises
    ------
    DataError
        When the earlier run records its features and none of them is one of these.

    Examples
    --------
    >>> old = PreviousRun(Path("q1"), pd.DataFrame(), pd.DataFrame(), features=("Age", "Spend"))
    >>> check_comparable(old, ["Spend", "Visits"])
    >>> check_comparable(old, ["Fresh", "Milk"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    segmentkit.errors.DataError: --previous q1 segmented other data: ...
    """
    if not previous.features:
        return  # a folder written before run.json recorded its features
    shared = [f for f in features if f in previous.features]
    if shared:
        if len(shared) < max(len(features), len(previous.features)):
            logger.info(
                "--previous: segments are matched on the %s both runs share (%s)",
                plural(len(shared), "feature"),
                _listed(shared),
            )
        return
    raise DataError(
        f"--previous {previous.folder} segmented other data: it shares no feature with "
        f"this run (then: {_listed(previous.features)}; now: {_listed(features)})",
        hint="point --previous at an earlier run on the same kind of customer table, "
        "or leave it out",
    )


def _listed(names: tuple[str, ...] | list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


@dataclass(frozen=True)
class Identity:
    """How one method's new segments relate to the previous run's.

    Attributes
    ----------
    mapping : dict
        New raw segment number to final segment number.
    names : dict
        Final segment number to the name carried over from the previous run.
    matched : dict
        Final number (= old number) to the profile distance of the match.
    new_segments : list of int
        Final numbers of segments with no previous counterpart.
    vanished : list of int
        Previous segments with no counterpart now.
    """

    mapping: dict[int, int]
    names: dict[int, str]
    matched: dict[int, float] = field(default_factory=dict)
    new_segments: list[int] = field(default_factory=list)
    vanished: list[int] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """Return the identity as JSON data for ``run.json``."""
        return {
            "matched": {str(k): round(v, 4) for k, v in self.matched.items()},
            "new_segments": self.new_segments,
            "vanished": self.vanished,
        }


def match_segments(
    new: pd.DataFrame, old: pd.DataFrame, old_names: dict[int, str], *, max_distance: float
) -> Identity:
    """Pair new segments with old ones by profile distance (Hungarian algorithm).

    Parameters
    ----------
    new, old : pandas.DataFrame
        Segment × feature standardised differences; only shared columns are used.
    old_names : dict
        Old segment number to name.
    max_distance : float
        Largest root-mean-square difference for two segments to be the same one.

    Returns
    -------
    Identity

    Examples
    --------
    >>> new = pd.DataFrame({"a": [1.0, -1.0]}, index=[0, 1])
    >>> old = pd.DataFrame({"a": [-0.9, 1.1]}, index=[0, 1])
    >>> match_segments(new, old, {0: "Low a", 1: "High a"}, max_distance=0.5).mapping
    {0: 1, 1: 0}
    """
    shared = [c for c in new.columns if c in old.columns]
    if not shared or old.empty or new.empty:
        return _no_match(new, old)
    a, b = new[shared].to_numpy(dtype=float), old[shared].to_numpy(dtype=float)
    a, b = np.nan_to_num(a), np.nan_to_num(b)
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=2))
    rows, cols = linear_sum_assignment(cost)
    mapping: dict[int, int] = {}
    matched: dict[int, float] = {}
    for r, c in zip(rows, cols, strict=True):
        if cost[r, c] <= max_distance:
            old_segment = int(old.index[c])
            mapping[int(new.index[r])] = old_segment
            matched[old_segment] = float(cost[r, c])
    next_free = int(max(old.index.max(), -1)) + 1
    new_segments = []
    for segment in new.index:
        if int(segment) not in mapping:
            mapping[int(segment)] = next_free
            new_segments.append(next_free)
            next_free += 1
    vanished = [int(s) for s in old.index if int(s) not in matched]
    names = {s: old_names[s] for s in matched if s in old_names}
    return Identity(
        dict(sorted(mapping.items())), names, dict(sorted(matched.items())), new_segments, vanished
    )


def _no_match(new: pd.DataFrame, old: pd.DataFrame) -> Identity:
    start = int(old.index.max()) + 1 if len(old) else 0
    mapping = {int(s): start + i for i, s in enumerate(new.index)}
    return Identity(mapping, {}, {}, list(mapping.values()), [int(s) for s in old.index])


def _relabel(result: MethodResult, mapping: dict[int, int]) -> MethodResult:
    def convert(values: np.ndarray) -> np.ndarray:
        out = np.asarray(values).copy()
        for source, target in mapping.items():
            out[np.asarray(values) == source] = target
        return out

    assigner = SegmentAssigner(result.assigner.estimator, convert(result.assigner.mapping))
    stability = result.stability
    if stability is not None:
        stability = replace(
            stability,
            segment_jaccard={mapping.get(k, k): v for k, v in stability.segment_jaccard.items()},
            unstable_segments=tuple(sorted(mapping.get(s, s) for s in stability.unstable_segments)),
        )
    return replace(result, labels=convert(result.labels), assigner=assigner, stability=stability)


def carry_identities(
    results: dict[str, MethodResult],
    prepared: PreparedData,
    previous: PreviousRun,
    *,
    max_distance: float,
) -> tuple[dict[str, MethodResult], dict[str, Identity]]:
    """Renumber every method's segments to match the previous run where they can.

    Returns
    -------
    results : dict
        The results with segments renumbered (noise stays ``-1``).
    identities : dict
        Method to its :class:`Identity`, for methods present in both runs.
    """
    renumbered, identities = dict(results), {}
    for method, result in results.items():
        old_rows = previous.profiles[
            (previous.profiles["method"] == method) & (previous.profiles["segment"] >= 0)
        ]
        if old_rows.empty:
            logger.info("%s: not in the previous run; segments keep their own numbers", method)
            continue
        old = old_rows.set_index(old_rows["segment"].astype(int))
        old_z = old[[c for c in old.columns if str(c).endswith("_z")]]
        old_z.columns = [str(c).removesuffix("_z") for c in old_z.columns]
        new_z = standardised_differences(prepared, result.labels)
        identity = match_segments(
            new_z, old_z, dict(zip(old.index, old["name"].astype(str), strict=True)),
            max_distance=max_distance,
        )  # fmt: skip
        identities[method] = identity
        renumbered[method] = _relabel(result, identity.mapping)
        logger.info(
            "%s: %d segment(s) matched to the previous run, %d new, %d vanished",
            method,
            len(identity.matched),
            len(identity.new_segments),
            len(identity.vanished),
        )
    return renumbered, identities


def carried_choices(
    previous: PreviousRun,
    identities: dict[str, Identity],
    segments: dict[str, set[int]],
) -> dict[str, dict[int, str]]:
    """Return the names people chose in the previous run that this run keeps.

    A matched segment keeps its old number, so a name chosen for it (``profiles.names``
    or ``segmentkit rename``) stays a chosen name; the unusual groups (``-1`` noise,
    ``-2`` outliers) are the same groups in both runs and keep theirs when present. New
    segments, and old ones that vanished, have none.

    Parameters
    ----------
    previous : PreviousRun
        The previous run, with its ``chosen_names``.
    identities : dict
        Method to its :class:`Identity`, from :func:`carry_identities`.
    segments : dict
        Method to the profile groups it has in this run.

    Returns
    -------
    dict
        Method to segment number to chosen name.

    Examples
    --------
    >>> old = PreviousRun(Path("q1"), pd.DataFrame(), pd.DataFrame(),
    ...                   {"kmeans": {0: "Bargain hunters", 3: "Gone", -2: "Odd ones"}})
    >>> identity = Identity({0: 0, 1: 4}, {0: "Bargain hunters"}, {0: 0.1}, [4], [3])
    >>> carried_choices(old, {"kmeans": identity}, {"kmeans": {0, 4, -2}})
    {'kmeans': {0: 'Bargain hunters', -2: 'Odd ones'}}
    """
    carried: dict[str, dict[int, str]] = {}
    for method, names in previous.chosen_names.items():
        identity = identities.get(method)
        if identity is None:
            continue
        present = segments.get(method, set())
        kept = {
            segment: name
            for segment, name in names.items()
            if (segment in identity.matched if segment >= 0 else segment in present)
        }
        if kept:
            carried[method] = kept
    return carried


def migration_table(
    previous: PreviousRun,
    ids: pd.Series,
    labels: dict[str, np.ndarray],
    new_names: dict[str, dict[int, str]],
) -> pd.DataFrame:
    """Count customers present in both runs by (old segment, new segment), per method.

    Returns
    -------
    pandas.DataFrame
        ``method, old_segment, old_name, new_segment, new_name, customers``.
    """
    old_names = {
        (str(m), int(s)): str(n)
        for m, s, n in previous.profiles[["method", "segment", "name"]].itertuples(index=False)
    }
    current = pd.DataFrame({"id": ids.astype(str).to_numpy()})
    frames = []
    for method, values in labels.items():
        column = f"segment_{method}"
        if column not in previous.assignments:
            continue
        current[column] = values
        joined = previous.assignments[["id", column]].merge(
            current[["id", column]], on="id", suffixes=("_old", "_new"), validate="one_to_one"
        )
        counts = (
            joined.groupby([f"{column}_old", f"{column}_new"]).size().reset_index(name="customers")
        )
        counts.columns = ["old_segment", "new_segment", "customers"]
        counts.insert(0, "method", method)
        counts["old_segment"] = counts["old_segment"].astype(int)
        counts["new_segment"] = counts["new_segment"].astype(int)
        noise = {-1: "Unusual customers (noise)"}
        counts.insert(
            3,
            "old_name",
            [old_names.get((method, s), noise.get(s, "")) for s in counts["old_segment"]],
        )
        counts["new_name"] = [
            new_names[method].get(s, noise.get(s, "")) for s in counts["new_segment"]
        ]
        frames.append(
            counts[["method", "old_segment", "old_name", "new_segment", "new_name", "customers"]]
        )
    if not frames:
        return pd.DataFrame(
            columns=["method", "old_segment", "old_name", "new_segment", "new_name", "customers"]
        )
    return pd.concat(frames, ignore_index=True)
