"""kneed's Kneedle, loaded without the plotting module it does not need here.

kneed imports ``matplotlib.pyplot`` when matplotlib is installed, for plotting helpers
segmentkit never calls: half a second in a process that has matplotlib's modules
already, a full second in a worker that has not, paid by every process that chooses k
(a run without figures would import matplotlib for nothing). While kneed loads, pyplot
is hidden, so kneed records it as missing; pyplot imports as usual afterwards.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["find_knee"]

_PYPLOT = "matplotlib.pyplot"


def _load_kneed() -> None:
    if "kneed" in sys.modules or _PYPLOT in sys.modules:
        return
    # A None entry makes `import matplotlib.pyplot` raise ImportError, which kneed expects
    # when matplotlib is absent. Only the k search loads kneed, in one thread of its process.
    sys.modules[_PYPLOT] = None  # type: ignore[assignment]
    try:
        import kneed  # noqa: F401
    finally:
        del sys.modules[_PYPLOT]


def find_knee(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    curve: str,
    direction: str,
) -> float | None:
    """Return the x of the knee Kneedle finds on the curve ``y(x)``, or ``None``.

    Parameters
    ----------
    x, y
        The curve, ``x`` increasing.
    curve : {"convex", "concave"}
    direction : {"increasing", "decreasing"}
        Passed to :class:`kneed.KneeLocator` (its defaults describe a concave increasing
        curve).

    Examples
    --------
    >>> find_knee([2, 3, 4, 5, 6, 7], [100.0, 40.0, 15.0, 12.0, 10.5, 9.5],
    ...      curve="convex", direction="decreasing")
    4.0
    """
    _load_kneed()
    from kneed import KneeLocator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kneed warns when there is no knee
        found = KneeLocator(x, y, curve=curve, direction=direction).knee
    return None if found is None else float(found)
