"""One colour per segment, the same in every static and interactive figure."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["NOISE_COLOUR", "OUTLIER_COLOUR", "segment_colours"]

# Tableau 10 then its light variants: distinct, colour-blind-aware, print legibly.
_PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#1f77b4",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#17becf",
)  # fmt: skip
NOISE_COLOUR = "#9e9e9e"
OUTLIER_COLOUR = "#222222"


def segment_colours(groups: Iterable[int]) -> dict[int, str]:
    """Map segment numbers to colours: segment ``i`` always gets the ``i``-th colour.

    ``-1`` (noise) is grey and ``-2`` (outliers) near-black; beyond 20 segments the
    palette repeats.

    Examples
    --------
    >>> segment_colours([1, 0, -1])
    {-1: '#9e9e9e', 0: '#4e79a7', 1: '#f28e2b'}
    """
    colours = {}
    for group in sorted({int(g) for g in groups}):
        if group == -1:
            colours[group] = NOISE_COLOUR
        elif group < -1:
            colours[group] = OUTLIER_COLOUR
        else:
            colours[group] = _PALETTE[group % len(_PALETTE)]
    return colours
