"""Choosing the segmentation.

Internal criteria, the number of segments, stability and the method.
"""

from __future__ import annotations

from segmentkit.selection.candidates import (
    Choice,
    choose_candidate,
    elbow_knee,
    separation_drop_choice,
)

__all__ = [
    "Choice",
    "choose_candidate",
    "elbow_knee",
    "separation_drop_choice",
]
