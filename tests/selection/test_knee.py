"""Kneedle through kneed, loaded without matplotlib.pyplot."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from segmentkit.selection.knee import find_knee

CHECK = """
import sys
from segmentkit.selection.knee import find_knee
knee = find_knee([2, 3, 4, 5, 6, 7], [100.0, 40.0, 15.0, 12.0, 10.5, 9.5],
                 curve="convex", direction="decreasing")
print(knee, "matplotlib.pyplot" in sys.modules)
import matplotlib
matplotlib.use("Agg")
from kneed import KneeLocator
KneeLocator([1, 2, 3, 4], [10.0, 3.0, 2.0, 1.5], curve="convex", direction="decreasing").plot_knee()
print("matplotlib.pyplot" in sys.modules)
"""


def test_kneed_loads_without_pyplot_and_can_still_plot() -> None:
    # Its own plotting imports pyplot when first used, for whoever calls it.
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split() == ["4.0", "False", "True"]


def test_the_knee_of_an_increasing_curve_and_of_a_straight_line() -> None:
    curve = np.array([0.1, 0.11, 0.12, 0.13, 0.14, 0.16, 0.2, 0.5, 1.5, 3.0])
    assert find_knee(np.arange(10), curve, curve="convex", direction="increasing") == 7.0
    line = np.arange(10, dtype=float)
    assert find_knee(np.arange(10), line, curve="convex", direction="increasing") is None
