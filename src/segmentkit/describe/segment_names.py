"""The names people choose for their segments, put in place of the automatic ones.

segmentkit names every segment from its profile ("Low annual income · High spending
score"); a marketing team calls it "Bargain hunters". A chosen name comes from the
configuration (``profiles.names``: method → segment number → name), from a previous run
whose matched segment carried one (``--previous``), or from ``segmentkit rename``
(:mod:`segmentkit.output.rename`). It is applied after the automatic names are made and
replaces them everywhere a name appears: the profiles, ``segments.csv``, the report, the
saved model and ``run.json`` (``segment_names``, which records only the chosen ones).

Names are data: they are written through the same spreadsheet-safe CSV writer and
escaped in the report like any other text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segmentkit.describe.profiles import SegmentProfiles

__all__ = [
    "MAX_NAME_LENGTH",
    "UNUSUAL_GROUPS",
    "apply_names",
    "check_segment_name",
    "describe_segments",
    "unknown_segments",
]

#: The longest name accepted: a name is a label, shown on axes and in table cells.
MAX_NAME_LENGTH = 100
#: The groups described apart, which may be named too: DBSCAN noise and flagged outliers.
UNUSUAL_GROUPS = {-1: "noise", -2: "outliers"}

# C0/C1 control characters (a newline, a tab ...): a name is one line of visible text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_segment_name(name: object) -> str:
    """Return a segment name without surrounding spaces, or say what is wrong with it.

    Raises
    ------
    ValueError
        When the name is not text, is empty, holds a line break, tab or other control
        character, or is longer than :data:`MAX_NAME_LENGTH` characters.

    Examples
    --------
    >>> check_segment_name("  Bargain hunters ")
    'Bargain hunters'
    >>> check_segment_name("=HYPERLINK(1)")  # data: neutralised when written, not refused
    '=HYPERLINK(1)'
    >>> check_segment_name(" ")
    Traceback (most recent call last):
    ...
    ValueError: a segment name must not be empty
    """
    if not isinstance(name, str):
        raise ValueError(f"a segment name must be text, got {type(name).__name__}")
    text = name.strip()
    if not text:
        raise ValueError("a segment name must not be empty")
    if _CONTROL.search(text):
        raise ValueError(f"a segment name must be one line without control characters: {text!r}")
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(
            f"a segment name must have at most {MAX_NAME_LENGTH} characters, got {len(text)}"
        )
    return text


def describe_segments(segments: Iterable[int]) -> str:
    """List segment numbers for a message, the unusual groups said as what they are.

    Examples
    --------
    >>> describe_segments([2, 0, -2, 1])
    '0, 1, 2, -2 (outliers)'
    """
    ordered = sorted({int(s) for s in segments}, key=lambda s: (s < 0, abs(s)))
    return ", ".join(
        f"{s} ({UNUSUAL_GROUPS[s]})" if s in UNUSUAL_GROUPS else str(s) for s in ordered
    )


def unknown_segments(
    chosen: Mapping[str, Mapping[int, str]],
    segments: Mapping[str, Iterable[int]],
    *,
    source: str = "profiles.names",
) -> list[str]:
    """Return one ``field: message`` line per chosen name whose method or segment is absent.

    Parameters
    ----------
    chosen : mapping
        Method to segment number to name.
    segments : mapping
        Every method that has segments to the numbers it has (its profile groups).
    source : str
        Where the names came from, the start of each line.

    Examples
    --------
    >>> unknown_segments({"kmeans": {7: "VIP"}}, {"kmeans": [0, 1, -2]})
    ['profiles.names.kmeans.7: kmeans has no segment 7; its segments are 0, 1, -2 (outliers)']
    """
    problems = []
    for method, names in chosen.items():
        if method not in segments:
            problems.append(
                f"{source}.{method}: {method} has no segments in this run; the methods that "
                f"ran are {', '.join(segments) or 'none'}"
            )
            continue
        present = {int(s) for s in segments[method]}
        problems += [
            f"{source}.{method}.{segment}: {method} has no segment {segment}; its segments "
            f"are {describe_segments(present)}"
            for segment in names
            if int(segment) not in present
        ]
    return problems


def _free(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)`` ... whichever is not taken."""
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name} ({number})"
        number += 1
    return candidate


def apply_names(profiles: SegmentProfiles, chosen: Mapping[int, str]) -> SegmentProfiles:
    """Return the profiles with the chosen names in place of the automatic ones.

    Names stay unique within a method: an automatic name that equals a chosen one gets a
    number, e.g. "High income (2)". The input is not modified.

    Parameters
    ----------
    profiles : SegmentProfiles
        One method's profiles, with their automatic names.
    chosen : mapping
        Segment number to name; every number must be one of the profiles' segments
        (check with :func:`unknown_segments` first).

    Returns
    -------
    SegmentProfiles
        With ``names`` and the table's ``name`` column changed, nothing else.
    """
    if not chosen:
        return profiles
    names = dict(profiles.names)
    chosen = {int(s): n for s, n in chosen.items()}
    names.update({s: n for s, n in chosen.items() if s in names})
    taken = set(chosen.values())
    for segment, name in list(names.items()):
        if segment not in chosen and name in taken:
            names[segment] = _free(name, taken | set(names.values()))
            taken.add(names[segment])
    table = profiles.table.copy()
    table["name"] = [names[int(s)] for s in table["segment"]]
    return dataclasses.replace(profiles, names=names, table=table)
